// `switchyard fragment`: writes the RouteFragment of one build, from flags or from the build's
// image reference, to stdout or as <name>.yaml into a folder (never touching another file). The
// fragment is checked against the schema (and the policy, with --policy) and against the fragments
// already in the folder before anything is written.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isFragment, isPolicy } from '../krm/process.ts';
import { Item } from '../krm/item.ts';
import { LOCAL_CONFIG } from '../krm/annotations.ts';
import { API_VERSION, FRAGMENT_KIND, type RouteFragment, type Sourced } from '../model/kinds.ts';
import type { Result } from '../model/result.ts';
import { qualified } from '../merge/messages.ts';
import { buildFragment, checkAgainstPolicy, findCollisions, formatInstant, IMAGE_ANNOTATION, parseDuration, slugify, type FragmentProblem, type FragmentRequest } from '../merge/new-fragment.ts';
import { merge } from '../merge/merge.ts';
import { resolvePolicy } from '../merge/policy.ts';
import { parseImageRef, readTag, type TagValues } from '../merge/tag-pattern.ts';
import { checkFragmentSchema } from '../schema/validate.ts';
import { finishCommand, parseFlags, parseInteger, parseNow, parseOutput, type CommandRun } from './args.ts';
import { FRAGMENT_HELP } from './help.ts';
import { displayPath, InputError, listYamlFiles, readYamlFile, UsageError } from './io.ts';
import { editFragmentFile, editsFor } from './fragment-file.ts';
import { readPolicy } from './render.ts';
import { RENDERED_BY } from './version.ts';

const OPTIONS = {
  service: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  name: { type: 'string' },
  subset: { type: 'string' },
  labels: { type: 'string', multiple: true },
  branch: { type: 'string' },
  environment: { type: 'string' },
  header: { type: 'string' },
  release: { type: 'boolean' },
  revision: { type: 'string' },
  weight: { type: 'string' },
  'expires-in': { type: 'string' },
  workload: { type: 'string' },
  image: { type: 'string' },
  'tag-pattern': { type: 'string', multiple: true },
  policy: { type: 'string' },
  existing: { type: 'string', multiple: true },
  out: { type: 'string' },
  output: { type: 'string', short: 'o' },
  now: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface FragmentOptions {
  service?: string;
  namespace?: string;
  name?: string;
  subset?: string;
  labels?: Record<string, string>;
  branch?: string;
  environment?: string;
  header?: string;
  release: boolean;
  revision?: number;
  weight?: number;
  expiresIn?: number;
  workload?: { kind: string; name: string };
  image?: string;
  tagPatterns: string[];
  policy?: string;
  existing: string[];
  out?: string;
  output: 'yaml' | 'json';
  now: Date;
}

/** `app=checkout,version=v3` (the flag may repeat). */
export function parseLabels(values: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of values.flatMap((v) => v.split(',')).map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--labels ${pair} is not key=value; write --labels app=checkout,version=v3.`);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  if (Object.keys(labels).length === 0) throw new UsageError('--labels names no label; write --labels app=checkout,version=v3.');
  return labels;
}

/** `checkout-v3` (a Deployment) or `StatefulSet/checkout-v3`. */
function parseWorkload(value: string): { kind: string; name: string } {
  const slash = value.indexOf('/');
  const [kind, name] = slash < 0 ? ['Deployment', value] : [value.slice(0, slash), value.slice(slash + 1)];
  if (!kind || !name || name.includes('/')) throw new UsageError(`--workload ${value} is not NAME or KIND/NAME; write --workload checkout-v3 or --workload StatefulSet/checkout-v3.`);
  return { kind: kind === 'deployment' ? 'Deployment' : kind, name };
}

export function parseFragmentArgs(args: readonly string[]): FragmentOptions | undefined {
  const { values: v, positionals } = parseFlags(args, OPTIONS);
  if (v.help) return undefined;
  if (positionals.length > 0) throw new UsageError(`fragment takes no PATH (got ${positionals.join(' ')}); write into a folder with --out DIR.`);
  if (v.release && v.branch !== undefined) throw new UsageError('--release and --branch exclude each other: a fragment is a release of an environment or a branch build.');
  if (!v.release && (v.revision !== undefined || v.weight !== undefined)) throw new UsageError('--revision and --weight belong to a release: add --release.');
  if (v.release && v.header !== undefined) throw new UsageError('--header belongs to a branch build, not to a release.');
  if (v['tag-pattern'] && v.image === undefined) throw new UsageError('--tag-pattern reads the tag of --image IMAGE; give the image reference too.');
  let expiresIn: number | undefined;
  if (v['expires-in'] !== undefined) {
    expiresIn = parseDuration(v['expires-in']);
    if (expiresIn === undefined) throw new UsageError(`--expires-in ${v['expires-in']} is not a duration; write a number and a unit (s, m, h, d, w), such as 14d or 36h.`);
  }
  return {
    ...(v.service !== undefined ? { service: v.service } : {}),
    ...(v.namespace !== undefined ? { namespace: v.namespace } : {}),
    ...(v.name !== undefined ? { name: v.name } : {}),
    ...(v.subset !== undefined ? { subset: v.subset } : {}),
    ...(v.labels !== undefined ? { labels: parseLabels(v.labels) } : {}),
    ...(v.branch !== undefined ? { branch: v.branch } : {}),
    ...(v.environment !== undefined ? { environment: v.environment } : {}),
    ...(v.header !== undefined ? { header: v.header } : {}),
    release: v.release === true,
    ...(v.revision !== undefined ? { revision: parseInteger('--revision', v.revision) } : {}),
    ...(v.weight !== undefined ? { weight: parseInteger('--weight', v.weight, 0, 100) } : {}),
    ...(expiresIn !== undefined ? { expiresIn } : {}),
    ...(v.workload !== undefined ? { workload: parseWorkload(v.workload) } : {}),
    ...(v.image !== undefined ? { image: v.image } : {}),
    tagPatterns: v['tag-pattern'] ?? [],
    ...(v.policy !== undefined ? { policy: v.policy } : {}),
    existing: v.existing ?? [],
    ...(v.out !== undefined ? { out: v.out } : {}),
    output: parseOutput(v.output, ['yaml', 'json'] as const),
    now: parseNow(v.now),
  };
}

const error = (message: string): Result => ({ severity: 'error', message });

/** The values the image reference gives: its name (the service) and what the tag pattern reads. */
function fromImage(options: FragmentOptions, environments: readonly string[] | undefined): { service?: string; values: TagValues; problem?: string; guessed?: boolean } {
  if (options.image === undefined) return { values: {} };
  const ref = parseImageRef(options.image);
  if ('problem' in ref) return { values: {}, problem: `--image ${options.image} ${ref.problem}` };
  if (options.tagPatterns.length === 0) return { service: ref.name, values: {} };
  if (ref.tag === undefined) return { service: ref.name, values: {}, problem: `--image ${options.image} has no tag for --tag-pattern to read; give the reference with its tag, such as ${options.image}:staging-feature-jp12-3f2a9c1.` };
  const problems: string[] = [];
  for (const pattern of options.tagPatterns) {
    const read = readTag(pattern, ref.tag, environments);
    if ('values' in read) return { service: ref.name, values: read.values, ...(read.guessed ? { guessed: true } : {}) };
    problems.push(read.problem);
    if (read.problem.includes('in two ways')) break;
  }
  return { service: ref.name, values: {}, problem: problems.join(' ') };
}

/** A flag and the image's tag may both give a value; they must agree. */
function agree(flag: string, given: string | undefined, fromTag: string | undefined): string | undefined {
  if (given !== undefined && fromTag !== undefined && given !== fromTag) {
    throw new UsageError(`${flag} ${given} disagrees with the image tag, which says ${fromTag}; leave out the flag, or fix the tag pattern.`);
  }
  return given ?? fromTag;
}

interface Existing {
  /** The well-formed fragments, for the collision checks. */
  fragments: Sourced<RouteFragment>[];
  /** Every fragment as read, for the merge. */
  all: Sourced<unknown>[];
  /** RoutingPolicies found among them: with exactly one, the set is merged as render would. */
  policies: Item[];
}

function readExisting(folders: readonly string[]): Existing {
  const existing: Existing = { fragments: [], all: [], policies: [] };
  for (const folder of folders) {
    if (!existsSync(folder)) continue;
    for (const file of listYamlFiles(folder)) {
      const { items } = readYamlFile(file);
      existing.policies.push(...items.filter(isPolicy));
      for (const item of items.filter(isFragment)) {
        const read = item.read();
        if (!('object' in read)) continue;
        existing.all.push({ object: read.object, source: item.source });
        if (checkFragmentSchema(read.object).length === 0) existing.fragments.push({ object: read.object as RouteFragment, source: item.source });
      }
    }
  }
  return existing;
}

/**
 * What the merge render will run says about the set this command leaves behind (the existing
 * fragments with this one in place of its old version): the errors that this fragment brings, and
 * its own warnings. Errors the set already had are not this fragment's doing, and do not stop it.
 */
function checkSet(fragment: RouteFragment, targetPath: string | undefined, existing: Existing, policy: Item, now: Date): Result[] {
  const read = policy.read();
  if (!('object' in read)) return [];
  const sameName = (f: Sourced<unknown>) => {
    const meta = (f.object as RouteFragment | null)?.metadata;
    return meta?.name === fragment.metadata.name && (meta?.namespace ?? undefined) === fragment.metadata.namespace;
  };
  const run = (fragments: Sourced<unknown>[]) =>
    merge({ policy: { object: read.object, source: policy.source }, fragments, istioObjects: [], workloads: [], now, renderedBy: RENDERED_BY }).results;
  const before = new Set(run(existing.all).map((r) => `${r.severity}\u0000${r.message}`));
  const after = run([...existing.all.filter((f) => !sameName(f)), { object: fragment, source: targetPath !== undefined ? { path: targetPath } : {} }]);
  const mine = (r: Result) => r.resourceRef?.name === fragment.metadata.name && (r.resourceRef.namespace ?? undefined) === fragment.metadata.namespace;
  return after.filter((r) => !before.has(`${r.severity}\u0000${r.message}`) && (r.severity === 'error' || (r.severity === 'warning' && mine(r))));
}

export function fragmentCommand(options: FragmentOptions): CommandRun {
  const results: Result[] = [];
  const policyItem = options.policy !== undefined ? readPolicy(options.policy) : undefined;
  let policy: ReturnType<typeof resolvePolicy>['policy'];
  if (policyItem) {
    const read = policyItem.read();
    const resolved = resolvePolicy({ object: 'object' in read ? read.object : undefined, source: policyItem.source });
    if (!resolved.policy) return { stdout: '', results: resolved.results, exitCode: 1 };
    policy = resolved.policy;
  }

  const image = fromImage(options, policy?.environments.map((e) => e.name));
  if (image.problem) return { stdout: '', results: [error(image.problem)], exitCode: 1 };
  if (image.guessed) {
    results.push({
      severity: 'warning',
      message: `the image tag gives the environment ${image.values.environment}, read as one word because no --policy names the environments; an environment such as pre-staging would be misread: give --policy FILE.`,
    });
  }
  const service = agree('--service', options.service, image.service);
  if (service === undefined) throw new UsageError('fragment needs --service NAME (or --image, whose name is the service).');
  const environment = agree('--environment', options.environment, image.values.environment);
  // The tag holds the branch as a tag may spell it (feature-JP-12); --branch may give the git name
  // (feature/JP-12), which is kept on the fragment so that collisions can be told apart.
  const tagBranch = options.release ? undefined : image.values.branch;
  const branch = options.branch !== undefined && tagBranch !== undefined && slugify(options.branch) === slugify(tagBranch) ? options.branch : agree('--branch', options.branch, tagBranch);
  const revisionText = agree('--revision', options.revision?.toString(), image.values.revision);

  const request: FragmentRequest = { service };
  if (options.namespace !== undefined) request.namespace = options.namespace;
  if (options.name !== undefined) request.name = options.name;
  if (options.subset !== undefined) request.subset = options.subset;
  if (options.labels !== undefined) request.labels = options.labels;
  if (options.release) {
    if (environment === undefined) throw new UsageError('--release needs --environment NAME (or an image tag pattern with {environment}).');
    if (revisionText === undefined) throw new UsageError('--release needs --revision N (or an image tag pattern with {revision}): it orders the releases of an environment.');
    request.release = { environment, revision: Number(revisionText), ...(options.weight !== undefined ? { weight: options.weight } : {}) };
  } else if (branch !== undefined) {
    request.branch = { name: branch, ...(environment !== undefined ? { environment } : {}), ...(options.header !== undefined ? { header: options.header } : {}) };
  } else {
    throw new UsageError('say what the build is: --branch NAME [--environment ENV], or --release --environment ENV --revision N, or --image IMAGE with a --tag-pattern that has {branch}.');
  }
  if (options.expiresIn !== undefined) request.expires = formatInstant(new Date(options.now.getTime() + options.expiresIn));
  if (options.workload) request.workload = options.workload;
  request.annotations = { [LOCAL_CONFIG]: 'true', ...(options.image !== undefined ? { [IMAGE_ANNOTATION]: options.image } : {}) };

  const built = buildFragment(request);
  const subject = (name: string) => `${FRAGMENT_KIND} ${qualified(options.namespace, name)}`;
  const report = (name: string, problems: readonly FragmentProblem[]) => problems.map((p) => error(`${subject(name)}: ${p.what} ${p.message}`));
  if (!built.fragment) return { stdout: '', results: report(built.name, built.problems), exitCode: 1 };
  const fragment = built.fragment;
  const name = fragment.metadata.name;

  const target = options.out !== undefined ? join(options.out, `${name}.yaml`) : undefined;
  const targetPath = target !== undefined ? displayPath(target) : undefined;
  if (policy) results.push(...report(name, checkAgainstPolicy(fragment, policy, targetPath)));
  const folders = [...options.existing, ...(options.out !== undefined ? [options.out] : [])];
  const existing = readExisting(folders);
  results.push(...report(name, findCollisions(fragment, existing.fragments, targetPath)));
  // The set left behind, merged as render will merge it: with --policy, or the one policy among the folders.
  const mergePolicy = policyItem ?? (existing.policies.length === 1 ? existing.policies[0] : undefined);
  if (mergePolicy && !results.some((r) => r.severity === 'error')) results.push(...checkSet(fragment, targetPath, existing, mergePolicy, options.now));
  if (target !== undefined && existsSync(target)) {
    const problem = notOurFile(target, fragment);
    if (problem) results.push(error(`${subject(name)}: ${displayPath(target)} ${problem}`));
  }
  if (results.some((r) => r.severity === 'error')) return { stdout: '', results, exitCode: 1 };

  const text = options.output === 'json' ? `${JSON.stringify(fragment, null, 2)}\n` : Item.generated(fragment, {}).print();
  if (target === undefined) return { stdout: text, results, exitCode: 0 };

  if (existsSync(options.out!) && !statSync(options.out!).isDirectory()) throw new InputError(`--out ${options.out} is not a folder.`);
  mkdirSync(options.out!, { recursive: true });
  let unchanged: boolean;
  if (existsSync(target) && options.output === 'yaml') {
    // This build's own file: edit it, keeping every field this command does not set, and every comment.
    unchanged = !editFragmentFile(target, editsFor(fragment as unknown as Parameters<typeof editsFor>[0])).changed;
  } else {
    unchanged = existsSync(target) && readFileSync(target, 'utf8') === text;
    if (!unchanged) writeFileSync(target, text);
  }
  results.push({ severity: 'info', message: `${subject(name)}: ${unchanged ? 'unchanged in' : 'written to'} ${targetPath}.`, resourceRef: { apiVersion: API_VERSION, kind: FRAGMENT_KIND, name, ...(options.namespace ? { namespace: options.namespace } : {}) } });
  return { stdout: `${targetPath}\n`, results, exitCode: 0 };
}

/** Why the file at the target path is not this build's fragment file (and must not be overwritten). */
function notOurFile(path: string, fragment: RouteFragment): string | undefined {
  const { items, results } = readYamlFile(path);
  if (results.length > 0) return 'exists and is not valid YAML; it is left alone: move it away, or give --name.';
  const ours = items.length === 1 && isFragment(items[0]!) && items[0]!.header.name === fragment.metadata.name && (items[0]!.header.namespace ?? undefined) === fragment.metadata.namespace;
  return ours ? undefined : 'exists and holds something other than this fragment; it is left alone: move it away, or give --name.';
}

export function runFragment(args: readonly string[]): number {
  const options = parseFragmentArgs(args);
  return finishCommand(options, FRAGMENT_HELP, fragmentCommand);
}
