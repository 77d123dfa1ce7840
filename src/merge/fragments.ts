// One fragment on its own: is it well formed, and does the policy allow what it asks for?
import { API_VERSION, FRAGMENT_KIND, type RouteFragment, type Sourced } from '../model/kinds.ts';
import { checkFragmentSchema, show, type Problem } from '../schema/validate.ts';
import { checkHeaderName } from './headers.ts';
import type { Subject } from './messages.ts';
import type { Policy } from './policy.ts';
import { matchesAny } from './glob.ts';
import { re2Problem } from './regex.ts';
import { checkTrafficPolicy } from './istio-rules.ts';
import { under } from './policy-istio.ts';

/** A branch fragment only diverts requests that carry its header; a release moves an environment's traffic. */
export type Role = 'branch' | 'release';

export interface CheckedFragment {
  subject: Subject;
  role: Role;
  /** Set when the fragment is well formed and allowed by the policy. */
  fragment?: RouteFragment;
  problems: Problem[];
}

export function fragmentSubject(sourced: Sourced<unknown>): Subject {
  const meta = ((sourced.object ?? {}) as { metadata?: { name?: unknown; namespace?: unknown } }).metadata;
  const ref = { apiVersion: API_VERSION, kind: FRAGMENT_KIND, name: typeof meta?.name === 'string' ? meta.name : '' };
  return { ref: typeof meta?.namespace === 'string' ? { ...ref, namespace: meta.namespace } : ref, source: sourced.source };
}

/**
 * Anything that is not clearly a branch fragment is judged as a release, so that a fragment
 * too broken to tell fails the render instead of silently moving no traffic.
 */
export function roleOf(object: unknown): Role {
  const spec = (object as { spec?: { branch?: unknown; release?: unknown } } | null)?.spec;
  return spec && typeof spec === 'object' && spec.branch !== undefined && spec.release === undefined ? 'branch' : 'release';
}

export function checkFragment(sourced: Sourced<unknown>, policy: Policy): CheckedFragment {
  const subject = fragmentSubject(sourced);
  const role = roleOf(sourced.object);
  const problems = checkFragmentSchema(sourced.object);
  if (problems.length > 0) return { subject, role, problems };
  const fragment = sourced.object as RouteFragment;
  problems.push(...checkAgainstPolicy(fragment, policy), ...checkReleasePath(fragment, sourced.source.path, policy));
  return problems.length > 0 ? { subject, role, problems } : { subject, role, fragment, problems };
}

function checkAgainstPolicy(fragment: RouteFragment, policy: Policy): Problem[] {
  const problems: Problem[] = [];
  const { branch, release, expires } = fragment.spec;
  const environmentNames = policy.environments.map((e) => e.name);
  const unknownEnvironment = (name: string, path: string) =>
    problems.push({ path, message: `is ${show(name)}, which is not an environment of the policy; use one of ${environmentNames.join(', ')}.` });

  if (expires !== undefined && Number.isNaN(Date.parse(expires))) {
    problems.push({ path: 'spec.expires', message: `is ${show(expires)}, which is not a real instant; use a date and time such as 2026-12-24T00:00:00Z.` });
  }
  // The subset's trafficPolicy goes into the shared DestinationRule: Istio's rules decide (`{}` means none).
  const trafficPolicy = fragment.spec.subset.trafficPolicy;
  if (trafficPolicy !== undefined && !(Object.getPrototypeOf(trafficPolicy) === Object.prototype && Object.keys(trafficPolicy).length === 0)) {
    problems.push(...under('spec.subset.trafficPolicy', checkTrafficPolicy(trafficPolicy, 'SubsetTrafficPolicy')));
  }
  if (release) {
    if (!environmentNames.includes(release.environment)) unknownEnvironment(release.environment, 'spec.release.environment');
  }
  if (branch) {
    if (branch.environment !== undefined) {
      const env = policy.environments.find((e) => e.name === branch.environment);
      if (!env) unknownEnvironment(branch.environment, 'spec.branch.environment');
      else if (!env.allowBranches) {
        problems.push({ path: 'spec.branch.environment', message: `is ${env.name}, whose hosts take no branch routes (allowBranches: false); scope the branch to another environment or to none.` });
      } else if (env.hosts.length === 0) {
        problems.push({ path: 'spec.branch.environment', message: `is ${env.name}, which has no hosts to scope the route to; leave environment out to match the header on every host that allows branches.` });
      }
    }
    const header = branch.header ?? policy.branchHeader;
    const headerProblem = checkHeaderName(header);
    if (headerProblem) problems.push({ path: 'spec.branch.header', message: headerProblem });
    else if (!policy.allowedHeaders.has(header)) {
      problems.push({ path: 'spec.branch.header', message: `is ${header}, which the policy does not allow; use one of ${[...policy.allowedHeaders].join(', ')} (the policy's allowedHeaders).` });
    }
    const match = branch.match ?? 'exact';
    if (!policy.allowedMatches.has(match)) {
      problems.push({ path: 'spec.branch.match', message: `is ${match}, which the policy does not allow; use ${[...policy.allowedMatches].join(' or ')} (the policy's allowedMatches).` });
    } else if (match === 'regex') {
      const regexProblem = re2Problem(branch.value);
      if (regexProblem) problems.push({ path: 'spec.branch.value', message: `${regexProblem}.` });
    }
  }
  return problems;
}

/**
 * An environment's releasePaths say which files may move its traffic, so that repository
 * ownership (CODEOWNERS) decides who changes production. Where the orchestrator does not say
 * which file a fragment came from, the restriction fails closed.
 */
function checkReleasePath(fragment: RouteFragment, path: string | undefined, policy: Policy): Problem[] {
  const release = fragment.spec.release;
  const globs = release && policy.environments.find((e) => e.name === release.environment)?.releasePaths;
  if (!globs || globs.length === 0) return [];
  const allowed = globs.join(', ');
  if (path === undefined) {
    return [{ path: 'spec.release.environment', message: `is ${release.environment}, whose releases may only come from ${allowed} (the policy's releasePaths), and the input does not say which file this fragment came from; with kustomize, add buildMetadata: [originAnnotations] to the kustomization.` }];
  }
  if (matchesAny(path, globs)) return [];
  return [{ path: 'spec.release.environment', message: `is ${release.environment}, whose releases may only come from ${allowed} (the policy's releasePaths); move the file there, or ask its owners to.` }];
}
