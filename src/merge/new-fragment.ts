// The RouteFragment of one build, as `switchyard fragment` writes it: git branch names become
// valid subset names and header values, names are checked against Kubernetes' limits, the
// result against the schema (and the policy, when given), and the new fragment against the
// fragments already in the folder, so that two builds never silently take each other's route.
// Pure: no I/O, `now` is a parameter.
import { API_VERSION, FRAGMENT_KIND, type RouteFragment, type Sourced } from '../model/kinds.ts';
import { checkFragmentSchema } from '../schema/validate.ts';
import { fingerprint } from './canonical.ts';
export { parseDuration } from './duration.ts';
import { checkFragment } from './fragments.ts';
import { describeSubject } from './messages.ts';
import type { Policy } from './policy.ts';

/** The git branch a branch fragment was made for, as it was named in git (`feature/JP-12`). */
export const BRANCH_ANNOTATION = 'switchyard.dev/branch';
/** The image reference a fragment was made from. */
export const IMAGE_ANNOTATION = 'switchyard.dev/image';

/** Subset names and label values are DNS labels: at most 63 characters. */
export const LABEL_MAX = 63;
/** Object names are DNS subdomains: at most 253 characters. */
export const NAME_MAX = 253;

/**
 * A git branch name as a subset name and header value: lower case, every run of characters
 * other than a-z and 0-9 replaced by one `-`, no `-` at either end. `feature/JP-12` → `feature-jp-12`.
 * (GitLab's CI_COMMIT_REF_SLUG, without its silent cut at 63 characters.)
 */
export const slugify = (branch: string): string => trimDashes(branch.toLowerCase().replace(/[^a-z0-9]+/g, '-'));

/** The text without `-` at either end (a loop: `/^-+|-+$/g` is quadratic on a long run of dashes). */
function trimDashes(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text[start] === '-') start++;
  while (end > start && text[end - 1] === '-') end--;
  return text.slice(start, end);
}

/** An RFC 3339 instant in UTC without milliseconds: `2026-12-11T12:00:00Z`. */
export const formatInstant = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface FragmentRequest {
  service: string;
  namespace?: string;
  /** Default: `<service>-<subset>` for a branch, `<service>-<environment>-<subset>` for a release. */
  name?: string;
  /** Default: the branch's slug, or `v<revision>` for a release. */
  subset?: string;
  /** Default: `{app: <service>, version: <subset>}`. */
  labels?: Record<string, string>;
  /** A branch build: the git branch name (made into a valid value) and optional scope and header. */
  branch?: { name: string; environment?: string; header?: string };
  release?: { environment: string; revision: number; weight?: number };
  expires?: string;
  workload?: { kind: string; name: string };
  annotations?: Record<string, string>;
}

/** One problem with the fragment asked for: the flag or field, and what is wrong. */
export interface FragmentProblem {
  what: string;
  message: string;
}

export function buildFragment(request: FragmentRequest): { fragment?: RouteFragment; name: string; problems: FragmentProblem[] } {
  const problems: FragmentProblem[] = [];
  const { branch, release } = request;
  let value: string | undefined;
  if (branch) {
    value = slugify(branch.name);
    if (value === '') problems.push({ what: '--branch', message: `is ${JSON.stringify(branch.name)}, which has no letter or digit to make a value of; use the git branch name.` });
  }
  const subset = request.subset ?? (branch ? value : release ? `v${release.revision}` : undefined) ?? '';
  if (branch && value && request.subset === undefined && subset.length > LABEL_MAX) {
    problems.push({
      what: '--branch',
      message: `is ${branch.name}, which becomes the subset name and label value ${subset} (${subset.length} characters); those are DNS labels of at most ${LABEL_MAX}: use a shorter branch name, or give --subset NAME.`,
    });
  }
  const name =
    request.name ?? (branch ? `${request.service}-${subset}` : release ? `${request.service}-${release.environment}-${subset}` : request.service);
  if (request.name === undefined && name.length > NAME_MAX) {
    problems.push({ what: '--name', message: `would be ${name.slice(0, 40)}... (${name.length} characters); a name has at most ${NAME_MAX}: give a shorter --name.` });
  }
  if (problems.length > 0) return { name, problems };

  const labels = sortedRecord(request.labels ?? { app: request.service, version: subset });
  const annotations = { ...(request.annotations ?? {}), ...(branch && branch.name !== value ? { [BRANCH_ANNOTATION]: branch.name } : {}) };
  const fragment = {
    apiVersion: API_VERSION,
    kind: FRAGMENT_KIND,
    metadata: {
      name,
      ...(request.namespace !== undefined ? { namespace: request.namespace } : {}),
      ...(Object.keys(annotations).length > 0 ? { annotations: sortedRecord(annotations) } : {}),
    },
    spec: {
      service: request.service,
      subset: { name: subset, labels },
      ...(branch
        ? { branch: { value: value!, ...(branch.environment !== undefined ? { environment: branch.environment } : {}), ...(branch.header !== undefined ? { header: branch.header } : {}) } }
        : {}),
      ...(release ? { release: { environment: release.environment, revision: release.revision, ...(release.weight !== undefined ? { weight: release.weight } : {}) } } : {}),
      ...(request.expires !== undefined ? { expires: request.expires } : {}),
      ...(request.workload ? { workload: { kind: request.workload.kind, name: request.workload.name } } : {}),
    },
  } as RouteFragment;
  const schemaProblems = checkFragmentSchema(fragment).map((p) => ({ what: p.path, message: p.message }));
  return schemaProblems.length > 0 ? { name, problems: schemaProblems } : { fragment, name, problems: [] };
}

const sortedRecord = (record: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** What the policy says about the fragment (unknown environment, a protected one, a header it does not allow). */
export function checkAgainstPolicy(fragment: RouteFragment, policy: Policy, path?: string): FragmentProblem[] {
  return checkFragment({ object: fragment, source: path !== undefined ? { path } : {} }, policy).problems.map((p) => ({ what: p.path, message: p.message }));
}

/** The git branch a branch fragment stands for: its annotation, else its value. */
export const branchNameOf = (f: RouteFragment): string | undefined => f.metadata.annotations?.[BRANCH_ANNOTATION] ?? f.spec.branch?.value;

/**
 * Why `fragment` cannot join `existing` (the fragments already in the folder): a fragment of the
 * same name made for another git branch, another branch with the same header value, a subset
 * name with other labels, or a release revision taken twice. `ownFile` is the file the new
 * fragment goes to: a fragment there with the same name is this build's own, and is replaced.
 */
export function findCollisions(fragment: RouteFragment, existing: readonly Sourced<RouteFragment>[], ownFile?: string): FragmentProblem[] {
  const problems: FragmentProblem[] = [];
  const ns = fragment.metadata.namespace;
  const mine = fragment.spec;
  const myBranch = mine.branch ? branchNameOf(fragment) : undefined;
  for (const other of existing) {
    const o = other.object;
    if ((o.metadata.namespace ?? undefined) !== ns) continue;
    const who = describeSubject({ ref: { apiVersion: API_VERSION, kind: FRAGMENT_KIND, name: o.metadata.name, ...(ns ? { namespace: ns } : {}) }, source: other.source });
    if (o.metadata.name === fragment.metadata.name) {
      if (ownFile !== undefined && other.source.path !== ownFile) {
        problems.push({ what: 'metadata.name', message: `is ${o.metadata.name}, which ${who} already uses in another file; two fragments with one name are both left out of the routes: give --name, or delete the other file.` });
      } else if (mine.branch && o.spec.branch && branchNameOf(o) !== myBranch) {
        problems.push({
          what: '--branch',
          message: `is ${myBranch}, which becomes ${mine.branch.value}, as branch ${branchNameOf(o)} of ${who} does; the two branches would share one route: rename one of the branches, or give --subset and --name.`,
        });
      }
      continue; // this build's own file: replaced
    }
    if (o.spec.service !== mine.service) continue;
    if (mine.branch && o.spec.branch) {
      const same = (b: NonNullable<RouteFragment['spec']['branch']>) => [b.value, b.header ?? '', b.match ?? 'exact', b.environment ?? ''].join('\u0000');
      if (same(mine.branch) === same(o.spec.branch)) {
        const theirs = branchNameOf(o);
        problems.push({
          what: '--branch',
          message:
            theirs !== myBranch
              ? `is ${myBranch}, which becomes the header value ${mine.branch.value}, as branch ${theirs} of ${who} does; one header value routes to one build, so both would be left out: rename one of the branches, or delete the stale fragment.`
              : `is ${myBranch}, whose header value ${mine.branch.value} ${who} already routes; one header value routes to one build: delete the stale fragment, or give the same --name to replace it.`,
        });
      }
    }
    if (o.spec.subset.name === mine.subset.name) {
      const shape = (f: RouteFragment) => fingerprint({ labels: f.spec.subset.labels, trafficPolicy: f.spec.subset.trafficPolicy && Object.keys(f.spec.subset.trafficPolicy).length > 0 ? f.spec.subset.trafficPolicy : undefined });
      if (shape(o) !== shape(fragment)) {
        problems.push({ what: '--subset', message: `is ${mine.subset.name}, which ${who} defines with other labels; a subset name selects one set of pods: give another --subset, or the same --labels.` });
      }
    }
    if (mine.release && o.spec.release && o.spec.release.environment === mine.release.environment && o.spec.release.revision === mine.release.revision) {
      problems.push({ what: '--revision', message: `is ${mine.release.revision}, which ${who} already uses for ${mine.release.environment}; give each release of an environment its own revision.` });
    }
  }
  return problems;
}
