// The whole merge: (policy, fragments, base objects, workloads, now) -> VirtualServices,
// DestinationRules and results. Pure: no I/O, no clock, no environment; inputs are not mutated.
import type { DestinationRule, DestinationRuleSubset, VirtualService } from '../model/istio.ts';
import type { KubeObject, RouteFragment, Sourced } from '../model/kinds.ts';
import type { Result } from '../model/result.ts';
import type { Problem } from '../schema/validate.ts';
import { readBases } from './base.ts';
import { applyPorts, portProblem, portsBySubset, type ServicePorts } from './ports.ts';
import { buildDestinationRule, buildVirtualService, MANAGED_BY, MANAGED_BY_LABEL, type ServiceId } from './build.ts';
import { byString, fingerprint, groupBy, sortKeysDeep } from './canonical.ts';
import { checkFragment, type CheckedFragment } from './fragments.ts';
import { droppedReason, indexWorkloads, type WorkloadRef } from './live.ts';
import { describeSubject, printable, qualified, resultFor } from './messages.ts';
import { resolvePolicy, type Policy } from './policy.ts';
import { chooseReleases, type ReleaseShare } from './releases.ts';
import { orderRoutes } from './routes.ts';
import { checkSize } from './size.ts';

export type { WorkloadRef } from './live.ts';

export interface MergeInput {
  policy: Sourced<unknown>;
  fragments: readonly Sourced<unknown>[];
  /** VirtualServices and DestinationRules of the input: bases, or what an earlier run generated. */
  istioObjects: readonly Sourced<KubeObject>[];
  /** Every object of the input, by kind and name, for `spec.workload` cleanup. */
  workloads: readonly WorkloadRef[];
  /** Kinds that `workloads` lists completely for the fragments' namespaces (cluster mode): one missing is gone even where none is left. */
  completeWorkloadKinds?: readonly string[];
  /** The input's Services and their ports, for destination ports (ports.ts); absent where none are known. */
  services?: readonly ServicePorts[];
  now: Date;
  /** The value of the switchyard.dev/rendered-by annotation on every generated object (`switchyard/0.1.0`). */
  renderedBy: string;
  /** Something in the input already failed (an object that could not be read): report every problem, render nothing. */
  failed?: boolean;
}

export interface ObjectId {
  kind: string;
  name: string;
  namespace?: string;
}

export interface MergeOutput {
  /** One VirtualService and one DestinationRule per service, sorted by namespace and service. */
  objects: (VirtualService | DestinationRule)[];
  /** Objects Switchyard generated earlier for a service that has no live fragment any more. */
  retired: ObjectId[];
  results: Result[];
}

/** A fragment in the merge, with what happened to it. */
interface Entry extends CheckedFragment {
  /** Why it is left out without being broken (expired, workload gone). */
  inactive?: string;
}

export function merge(input: MergeInput): MergeOutput {
  const { policy, results } = resolvePolicy(input.policy);
  if (!policy) return { objects: [], retired: [], results };

  const entries: Entry[] = sortBySource(input.fragments).map((f) => checkFragment(f, policy));
  flagDuplicateNames(entries);
  const live = { now: input.now, workloads: indexWorkloads(input.workloads), completeKinds: new Set(input.completeWorkloadKinds ?? []) };
  for (const entry of entries) if (entry.fragment) entry.inactive = droppedReason(entry.fragment, live);

  const objects: (VirtualService | DestinationRule)[] = [];
  const summaries: Result[] = [];
  const serviceResults: Result[] = [];
  for (const [key, group] of groupByService(entries.filter(isLive))) {
    const merged = mergeService(parseServiceKey(key), group, policy, input);
    if (!merged) continue;
    objects.push(...merged.objects);
    serviceResults.push(...merged.results);
    summaries.push(merged.summary);
  }

  for (const entry of entries) results.push(...entryResults(entry, policy));
  const retired = retire(input.istioObjects, objects);
  for (const id of retired) {
    results.push({
      severity: 'info',
      message: `${id.kind} ${qualified(id.namespace, id.name)}: removed, because service ${id.name} has no live RouteFragment any more.`,
      resourceRef: { apiVersion: 'networking.istio.io/v1', kind: id.kind, name: id.name, ...(id.namespace ? { namespace: id.namespace } : {}) },
    });
  }
  // A failed render renders nothing: no summary that could be read as success, and no warnings
  // about objects that were not made (a broken release would also show as a missing route).
  if (input.failed || results.some((r) => r.severity === 'error') || serviceResults.some((r) => r.severity === 'error')) {
    return { objects: [], retired: [], results: [...results, ...serviceResults.filter((r) => r.severity === 'error')] };
  }
  results.push(...serviceResults, ...summaries);
  return { objects, retired, results };
}

/** One service's VirtualService and DestinationRule, or nothing when no fragment of it is live. */
function mergeService(
  id: ServiceId,
  group: readonly Entry[],
  policy: Policy,
  input: MergeInput,
): { objects: (VirtualService | DestinationRule)[]; results: Result[]; summary: Result } | undefined {
  flagBranchConflicts(group, policy);
  flagPortProblems(group, input.services?.find((s) => s.name === id.service && (s.namespace ?? undefined) === id.namespace));
  flagSubsetConflicts(group);
  const live = group.filter(isLive);
  if (live.length === 0) return undefined;

  const environments = new Map<string, ReleaseShare[]>();
  for (const env of policy.environments) {
    const releases = live.filter((e) => e.fragment!.spec.release?.environment === env.name);
    const traffic = chooseReleases(env.name, releases.map((e) => e.fragment!));
    for (const [fragment, problems] of traffic.problems) addProblems(live.find((e) => e.fragment === fragment)!, problems);
    if (traffic.shares.length > 0) environments.set(env.name, traffic.shares);
  }
  const routed = group.filter(isLive);
  const ordered = orderRoutes(policy, {
    service: id.service,
    branches: routed.filter((e) => e.role === 'branch').map((e) => e.fragment!),
    environments,
  });
  const routes = applyPorts(ordered, portsBySubset(routed.map((e) => e.fragment!))); // ports.ts
  const subsets = collectSubsets(routed.map((e) => e.fragment!));
  const bases = readBases(input.istioObjects, id); // cleaned, and judged by Istio's rules (base.ts)
  const vs = buildVirtualService(id, policy, routes, bases.virtualService, input.renderedBy);
  const dr = buildDestinationRule(id, policy, subsets, bases.destinationRule, input.renderedBy);

  const where = `VirtualService ${qualified(id.namespace, id.service)}`;
  const resourceRef = { apiVersion: vs.apiVersion, kind: vs.kind, name: id.service, ...(id.namespace ? { namespace: id.namespace } : {}) };
  const results: Result[] = [...bases.results];
  for (const object of [vs, dr]) {
    const tooBig = checkSize(object);
    if (tooBig) results.push(tooBig);
  }
  if (vs.spec.hosts.length === 0) {
    // Istio refuses a VirtualService without hosts: the whole render would fail at apply time.
    results.push({
      severity: 'error',
      message: `${where} would have no hosts: no environment of the policy has hosts, and its gateways (${(vs.spec.gateways ?? []).join(', ')}) do not include mesh; give an environment hosts, or add mesh to the policy's spec.gateways.`,
      resourceRef,
    });
  }
  const defaultEnv = policy.environments.find((e) => e.isDefault);
  if (!routes.some((r) => r.match === undefined)) {
    results.push({
      severity: 'warning',
      message: defaultEnv
        ? `${where}: environment ${defaultEnv.name} (the default) has no stable release of service ${id.service}, so requests that match no route get none (404); add a release fragment for ${defaultEnv.name}.`
        : `${where}: the policy names no default environment, so requests that match no host or branch get no route (404).`,
      resourceRef,
    });
  }
  for (const env of policy.environments) {
    if (env.isDefault || env.hosts.length === 0 || environments.has(env.name) || !defaultEnv || !environments.has(defaultEnv.name)) continue;
    results.push({
      severity: 'info',
      message: `${where}: environment ${env.name} has no stable release of service ${id.service}, so requests to its hosts take the next route that matches: ${env.allowBranches ? 'a branch route, or ' : ''}${defaultEnv.name}'s.`,
      resourceRef,
    });
  }
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const summary: Result = {
    severity: 'info',
    message: `merged ${count(routed.length, 'fragment')} into ${where}: ${count(routes.length, 'route')}, ${count(subsets.length, 'subset')}.`,
    resourceRef,
  };
  // Istio refuses a VirtualService without routes ("http, tcp or tls must be provided"): only the
  // DestinationRule is written, so that the subsets stay for the next release.
  if (vs.spec.http.length === 0) {
    results.push({ severity: 'warning', message: `${where} is not written: no fragment of service ${id.service} takes traffic (a canary at weight 0 and no stable release), and Istio refuses a VirtualService without routes; add a stable release.`, resourceRef });
    return { objects: [dr], results, summary };
  }
  return { objects: [vs, dr], results, summary };
}

const isLive = (e: Entry): boolean => e.fragment !== undefined && e.problems.length === 0 && e.inactive === undefined;

/** Fragments in a canonical order: namespace, name, file, index, then content (for exact duplicates). */
function sortBySource(fragments: readonly Sourced<unknown>[]): Sourced<unknown>[] {
  const keyed = fragments.map((s) => {
    const meta = (s.object as KubeObject | null)?.metadata;
    return { s, key: [String(meta?.namespace ?? ''), String(meta?.name ?? ''), s.source.path ?? '', String(s.source.index ?? 0).padStart(9, '0')] };
  });
  const compare = (a: (typeof keyed)[number], b: (typeof keyed)[number]): number => {
    for (let i = 0; i < a.key.length; i++) {
      const c = byString(a.key[i]!, b.key[i]!);
      if (c !== 0) return c;
    }
    return byString(fingerprint(a.s.object), fingerprint(b.s.object)); // only for exact ties
  };
  return keyed.sort(compare).map((k) => k.s);
}

function addProblems(entry: Entry, problems: readonly Problem[]): void {
  entry.problems.push(...problems);
}

/** Two fragments with one name: neither can be trusted to be the real one. */
function flagDuplicateNames(entries: Entry[]): void {
  const named = entries.filter((e) => e.subject.ref.name);
  for (const same of groupBy(named, (e) => `${e.subject.ref.namespace ?? ''}\u0000${e.subject.ref.name}`).values()) {
    if (same.length < 2) continue;
    const name = qualified(same[0]!.subject.ref.namespace, same[0]!.subject.ref.name);
    const places = same.map((e) => (e.subject.source.path === undefined ? '(no file)' : printable(e.subject.source.path))).join(', ');
    for (const e of same) {
      addProblems(e, [{ path: 'metadata.name', message: `is ${name}, which ${same.length} RouteFragments use (${places}); give each fragment its own name.` }]);
    }
  }
}

const serviceKey = (f: RouteFragment): string => `${f.metadata.namespace ?? ''}/${f.spec.service}`;

function parseServiceKey(key: string): ServiceId {
  const [namespace = '', service = ''] = key.split('/');
  return namespace ? { namespace, service } : { service };
}

function groupByService(entries: readonly Entry[]): Map<string, Entry[]> {
  const groups = groupBy(entries, (e) => serviceKey(e.fragment!));
  const order = (key: string) => key.split('/');
  return new Map([...groups].sort(([a], [b]) => byString(order(a)[0]!, order(b)[0]!) || byString(order(a)[1]!, order(b)[1]!)));
}

/** One header value on one header, scope and match kind routes to one build only. */
function flagBranchConflicts(group: readonly Entry[], policy: Policy): void {
  const branches = group.filter((e) => e.fragment!.spec.branch);
  const byKey = groupBy(branches, (e) => {
    const b = e.fragment!.spec.branch!;
    return JSON.stringify([b.environment ?? '', b.header ?? policy.branchHeader, b.match ?? 'exact', b.value]);
  });
  for (const same of byKey.values()) {
    if (same.length < 2) continue;
    for (const e of same) {
      const others = same.filter((o) => o !== e).map((o) => describeSubject(o.subject)).join(', ');
      const b = e.fragment!.spec.branch!;
      addProblems(e, [{ path: 'spec.branch.value', message: `is ${JSON.stringify(b.value)}, which ${others} routes too; one header value routes to one build, so both are left out: delete the stale fragment.` }]);
    }
  }
}

/**
 * One subset name means one set of pods. Where definitions differ, releases are believed over
 * branches (a branch cannot redefine a release's pods); two differing releases are both wrong.
 */
function flagSubsetConflicts(group: readonly Entry[]): void {
  const byName = groupBy(group.filter(isLive), (e) => e.fragment!.spec.subset.name);
  for (const [name, same] of byName) {
    const shape = (e: Entry) => fingerprint({ labels: e.fragment!.spec.subset.labels, trafficPolicy: nonEmpty(e.fragment!.spec.subset.trafficPolicy), port: e.fragment!.spec.port });
    if (new Set(same.map(shape)).size < 2) continue;
    const releaseShapes = new Set(same.filter((e) => e.role === 'release').map(shape));
    for (const e of same) {
      const trusted = releaseShapes.size === 1 && e.role === 'release';
      const agrees = releaseShapes.size === 1 && releaseShapes.has(shape(e));
      if (trusted || agrees) continue;
      const others = same.filter((o) => o !== e && shape(o) !== shape(e)).map((o) => describeSubject(o.subject)).join(', ');
      addProblems(e, [{ path: 'spec.subset', message: `names subset ${name}, which ${others} defines with other labels, trafficPolicy or port; a subset name must select the same pods everywhere: rename the subset or make the definitions equal.` }]);
    }
  }
}

/** A fragment whose port its Service does not have, or that names none where the Service has several (ports.ts). */
function flagPortProblems(group: readonly Entry[], service: ServicePorts | undefined): void {
  if (!service) return;
  for (const e of group) {
    const problem = isLive(e) ? portProblem(e.fragment!, service) : undefined;
    if (problem) addProblems(e, [problem]);
  }
}

/** `trafficPolicy: {}` says nothing: it is the same as no trafficPolicy. */
const nonEmpty = (value: object | undefined): object | undefined => (value && Object.keys(value).length > 0 ? value : undefined);

function collectSubsets(fragments: readonly RouteFragment[]): DestinationRuleSubset[] {
  const subsets = new Map<string, DestinationRuleSubset>();
  for (const f of fragments) {
    const { name, labels, trafficPolicy } = f.spec.subset;
    if (!subsets.has(name)) {
      const policy = nonEmpty(trafficPolicy);
      subsets.set(name, { name, labels, ...(policy ? { trafficPolicy: sortKeysDeep(policy) as Record<string, unknown> } : {}) });
    }
  }
  return [...subsets.values()];
}

/** What Switchyard made before (it carries the managed-by label) and would not make now. */
function retire(existing: readonly Sourced<KubeObject>[], made: readonly (VirtualService | DestinationRule)[]): ObjectId[] {
  const key = (kind: unknown, ns: unknown, name: unknown) => `${String(kind)}/${String(ns ?? '')}/${String(name)}`;
  const madeKeys = new Set(made.map((o) => key(o.kind, o.metadata.namespace, o.metadata.name)));
  return existing
    .map((o) => o.object)
    .filter((o) => (o.metadata?.labels as Record<string, unknown> | undefined)?.[MANAGED_BY_LABEL] === MANAGED_BY)
    .filter((o) => !madeKeys.has(key(o.kind, o.metadata?.namespace, o.metadata?.name)))
    .map((o) => ({ kind: String(o.kind), name: String(o.metadata?.name), ...(typeof o.metadata?.namespace === 'string' ? { namespace: o.metadata.namespace } : {}) }))
    .sort((a, b) => byString(key(a.kind, a.namespace, a.name), key(b.kind, b.namespace, b.name)));
}

function entryResults(entry: Entry, policy: Policy): Result[] {
  if (entry.problems.length === 0) return entry.inactive ? [resultFor(entry.subject, 'info', entry.inactive)] : [];
  const fatal = entry.role === 'release' || policy.invalidBranches === 'fail';
  if (fatal) return entry.problems.map((p) => resultFor(entry.subject, 'error', p.message, p.path || undefined));
  return entry.problems.map((p) =>
    resultFor(entry.subject, 'warning', `${p.message} This branch fragment is left out; everything else renders.`, p.path || undefined),
  );
}
