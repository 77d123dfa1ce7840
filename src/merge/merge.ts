// The whole merge: (policy, fragments, base objects, workloads, now) -> VirtualServices,
// DestinationRules and results. Pure: no I/O, no clock, no environment; inputs are not mutated.
import type { DestinationRule, DestinationRuleSubset, VirtualService } from '../model/istio.ts';
import type { KubeObject, RouteFragment, Sourced } from '../model/kinds.ts';
import type { Result } from '../model/result.ts';
import type { Problem } from '../schema/validate.ts';
import { readBase } from './base.ts';
import { applyPorts, portProblem, portsBySubset, type ServicePorts } from './ports.ts';
import { buildDestinationRule, buildVirtualService, gatewaysOf, MANAGED_BY, MANAGED_BY_LABEL, MESH_GATEWAY, type ServiceId, type VirtualServicePlan } from './build.ts';
import { ISTIO_API_VERSION } from '../model/istio.ts';
import { byString, fingerprint, groupBy, sortKeysDeep } from './canonical.ts';
import { checkFragment, type CheckedFragment } from './fragments.ts';
import { droppedReason, indexWorkloads, type WorkloadRef } from './live.ts';
import { describeSubject, printable, qualified, resultFor } from './messages.ts';
import { policySubject, resolvePolicy, type Policy, type PolicyEnvironment } from './policy.ts';
import { chooseReleases, type ReleaseShare } from './releases.ts';
import { isGeneratedRouteName, orderRoutes } from './routes.ts';
import { claimsOf, describeClaimant, describeConflict, findHostConflicts } from './host-claims.ts';
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
  const consumedBases: ConsumedBase[] = [];
  const groups = groupByService(entries.filter(isLive));
  const withReleases = new Set(entries.filter((e) => e.role === 'release' && e.fragment).map((e) => serviceKey(e.fragment!)));
  const liveReleases = new Set(entries.filter((e) => e.role === 'release' && isLive(e)).map((e) => serviceKey(e.fragment!)));
  const answering = chooseHostServices(policy, [...groups.keys()], liveReleases, input.policy);
  results.push(...answering.results);
  for (const [key, group] of groups) {
    const answers = policy.environments.filter((env) => env.hosts.length > 0 && answering.byEnvironment.get(env.name) === key);
    const merged = mergeService(parseServiceKey(key), group, policy, input, answers, withReleases.has(key));
    if (!merged) continue;
    objects.push(...merged.objects);
    if (merged.consumed) consumedBases.push(merged.consumed);
    serviceResults.push(...merged.results);
    summaries.push(merged.summary);
  }

  for (const entry of entries) results.push(...entryResults(entry, policy));
  results.push(...claimConflicts(objects, input.istioObjects));
  const retired = retire(input.istioObjects, objects);
  const absorbed = consumedBases.filter((b) => !retired.some((r) => r.kind === b.id.kind && r.name === b.id.name && r.namespace === b.id.namespace));
  for (const { id, into, dropped } of absorbed) {
    const lost = dropped.length > 0 ? ` Its own ${dropped.join(', ')} are not kept: move them to a VirtualService named like one of those.` : '';
    results.push({
      severity: dropped.length > 0 ? 'warning' : 'info',
      message: `VirtualService ${qualified(id.namespace, id.name)}: its settings now come with ${into.join(', ')}, and it is not written itself, because the gateways do not include mesh (it would claim no host).${lost}`,
      resourceRef: { apiVersion: 'networking.istio.io/v1', kind: id.kind, name: id.name, ...(id.namespace ? { namespace: id.namespace } : {}) },
    });
  }
  retired.push(...absorbed.map((b) => b.id));
  for (const id of retired.slice(0, retired.length - absorbed.length)) {
    results.push({
      severity: 'info',
      message: `${id.kind} ${qualified(id.namespace, id.name)}: removed, because ${retiredWhy(id, objects)}.`,
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

/**
 * Which service answers each environment's hosts at the gateways: the environment's hostService,
 * else the policy's, else the one service with release fragments, else the one service. A branch
 * fragment can never change the answer while any service has releases.
 */
function chooseHostServices(
  policy: Policy,
  services: readonly string[],
  withReleases: ReadonlySet<string>,
  sourced: Sourced<unknown>,
): { byEnvironment: Map<string, string>; results: Result[] } {
  const subject = policySubject(sourced);
  const results: Result[] = [];
  const byEnvironment = new Map<string, string>();
  const inferred = withReleases.size > 0 ? [...withReleases].sort(byString) : [...services];
  let reported = false;
  policy.environments.forEach((env, i) => {
    if (env.hosts.length === 0) return;
    const ref = env.hostService;
    if (!ref) {
      if (inferred.length === 1) byEnvironment.set(env.name, inferred[0]!);
      else if (inferred.length > 1 && !reported) {
        reported = true;
        const names = inferred.map((k) => describeServiceKey(k)).join(', ');
        results.push(resultFor(subject, 'error', `names no hostService, and ${inferred.length} services could answer the environments' hosts (${names}); set spec.hostService to the one that answers them at the gateways (such as ${describeServiceKey(inferred[0]!)}), or spec.environments[].hostService per environment.`, 'spec.hostService'));
      }
      return;
    }
    const field = policySpecOf(sourced)?.environments?.[i]?.hostService !== undefined ? `spec.environments[${i}].hostService` : 'spec.hostService';
    const candidates = services.filter((k) => {
      const { namespace = '', service } = parseServiceKey(k);
      return service === ref.service && (ref.namespace === undefined || ref.namespace === namespace);
    });
    const shown = ref.namespace ? `${ref.namespace}/${ref.service}` : ref.service;
    if (candidates.length === 1) byEnvironment.set(env.name, candidates[0]!);
    else if (candidates.length === 0) {
      results.push(resultFor(subject, 'warning', `is ${shown}, which has no live RouteFragment in this render, so no VirtualService answers the hosts of environment ${env.name} (${env.hosts.join(', ')}); add its fragments to the render, or name a service that has some.`, field));
    } else {
      results.push(resultFor(subject, 'error', `is ${shown}, a service in ${candidates.length} namespaces (${candidates.map(describeServiceKey).join(', ')}); write namespace/name.`, field));
    }
  });
  return { byEnvironment, results };
}

const describeServiceKey = (key: string): string => {
  const { namespace, service } = parseServiceKey(key);
  return namespace ? `${namespace}/${service}` : service;
};

const policySpecOf = (sourced: Sourced<unknown>) => (sourced.object as { spec?: { environments?: { hostService?: unknown }[] } } | null)?.spec;

/** One service's VirtualServices and DestinationRule, or nothing when no fragment of it is live. */
function mergeService(
  id: ServiceId,
  group: readonly Entry[],
  policy: Policy,
  input: MergeInput,
  answers: readonly PolicyEnvironment[],
  hasReleases: boolean,
): { objects: (VirtualService | DestinationRule)[]; results: Result[]; summary: Result; consumed?: ConsumedBase } | undefined {
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
  const routes = orderRoutes(
    policy,
    { service: id.service, branches: routed.filter((e) => e.role === 'branch').map((e) => e.fragment!), environments, hasReleases },
    answers,
  );
  const subsets = collectSubsets(routed.map((e) => e.fragment!));
  // Bases are cleaned and judged by Istio's rules (base.ts); their problems fail the render.
  const baseResults: Result[] = [];
  const base = (kind: 'VirtualService' | 'DestinationRule', name = id.service) => {
    const read = readBase(input.istioObjects, kind, id.namespace, name);
    baseResults.push(...read.results);
    return read.object;
  };
  const ports = portsBySubset(routed.map((e) => e.fragment!)); // ports.ts
  const serviceBase = base('VirtualService');
  // A base's gateways: the hand-written VirtualService's, or (our own output fed back) the union of S's and every S.E's
  const gateways = gatewaysOf(policy, [serviceBase, ...policy.environments.map((env) => base('VirtualService', `${id.service}.${env.name}`))]);
  const onMesh = !gateways || gateways.length === 0 || gateways.includes(MESH_GATEWAY);
  const outside = gateways?.filter((g) => g !== MESH_GATEWAY);
  const plans: VirtualServicePlan[] = [];
  if (onMesh) plans.push({ name: id.service, hosts: [id.service], gateways: gateways && [MESH_GATEWAY], routes: applyPorts(routes.mesh, ports), base: serviceBase, serviceBase });
  for (const env of answers) {
    const name = `${id.service}.${env.name}`;
    plans.push({ name, hosts: env.hosts, gateways: outside && outside.length > 0 ? outside : gateways && [MESH_GATEWAY], routes: applyPorts(routes.gateways.get(env.name)!, ports), base: base('VirtualService', name), serviceBase });
  }
  const services = plans.map((plan) => buildVirtualService(id, policy, plan, input.renderedBy)).sort((a, b) => byString(a.metadata.name, b.metadata.name));
  const dr = buildDestinationRule(id, policy, subsets, base('DestinationRule'), input.renderedBy);

  const where = `VirtualService ${qualified(id.namespace, id.service)}`;
  const ref = (name: string) => ({ apiVersion: ISTIO_API_VERSION, kind: 'VirtualService', name, ...(id.namespace ? { namespace: id.namespace } : {}) });
  const resourceRef = ref(id.service);
  const results: Result[] = [...baseResults];
  for (const object of [...services, dr]) {
    const tooBig = checkSize(object);
    if (tooBig) results.push(tooBig);
  }
  if (services.length === 0) {
    const why = `service ${id.service} answers no environment's hosts and the policy's gateways (${(gateways ?? []).join(', ')}) do not include mesh`;
    results.push({ severity: 'warning', message: `${where} is not made: ${why}, so nothing routes to its subsets; add mesh to spec.gateways, or make it an environment's hostService.`, resourceRef });
  }
  const carried = new Set(services.flatMap((vs) => vs.spec.http.map((r) => r.name)));
  for (const e of routed.filter((r) => r.role === 'branch' && !carried.has(`branch:${r.fragment!.metadata.name}`))) {
    results.push(resultFor(e.subject, 'warning', `routes nothing: the policy's gateways (${(gateways ?? []).join(', ')}) do not include mesh, and service ${id.service} answers the hosts of no environment that allows branches, so no VirtualService carries this branch's route; add mesh to the policy's spec.gateways, or make ${id.service} the hostService of an environment that allows branches.`));
  }
  for (const fallback of routes.fallbacks) {
    const env = fallback.environment;
    const whose = env ? `environment ${env} has no live release of service ${id.service}` : `the policy names no default environment`;
    const message =
      fallback.kind === 'default'
        ? `${whose}, so its requests go to ${fallback.from}'s release; add a release fragment for ${env} to give it its own.`
        : fallback.kind === 'service'
          ? `${whose}, and the service has no release at all, so ${env ? 'its requests' : 'requests that name no environment'} go to Service ${id.service} itself without subset: every pod it selects, branch builds included, takes them; add a release fragment${env ? ` for ${env}` : ''}.`
          : env
            ? `${whose}, so its requests get ${fallback.status} (fail closed: no branch can take them); add a release fragment for ${env}.`
            : `${whose}, so requests inside the mesh that name no environment and no branch get ${fallback.status}; mark one environment default: true in the policy to give them one.`;
    results.push({ severity: env === '' && fallback.kind === 'status' ? 'warning' : fallback.kind === 'default' ? 'info' : 'warning', message: `${where}: ${message}`, resourceRef });
  }
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const routeCount = services.reduce((n, vs) => n + vs.spec.http.length, 0);
  const summary: Result = {
    severity: 'info',
    message: `merged ${count(routed.length, 'fragment')} into ${services.length === 1 ? where : `${count(services.length, 'VirtualService')} of ${qualified(id.namespace, id.service)} (${services.map((vs) => vs.metadata.name).join(', ')})`}: ${count(routeCount, 'route')}, ${count(subsets.length, 'subset')}.`,
    resourceRef,
  };
  const consumed =
    serviceBase && !onMesh && services.length > 0
      ? { id: { kind: 'VirtualService', name: id.service, ...(id.namespace ? { namespace: id.namespace } : {}) }, into: services.map((vs) => vs.metadata.name), dropped: ownParts(serviceBase) }
      : undefined;
  return { objects: [...services, dr], results, summary, ...(consumed ? { consumed } : {}) };
}

/**
 * A generated VirtualService may not claim a (gateway, host) that a VirtualService of the input
 * claims which Switchyard does not take over (not a base of the same name, not labelled managed-by
 * switchyard): Istio would merge or drop one of them.
 */
function claimConflicts(made: readonly (VirtualService | DestinationRule)[], input: readonly Sourced<KubeObject>[]): Result[] {
  const key = (ns: unknown, name: unknown) => `${String(ns ?? '')}/${String(name)}`;
  const madeKeys = new Set(made.map((o) => key(o.metadata.namespace, o.metadata.name)));
  const generated = made.filter((o): o is VirtualService => o.kind === 'VirtualService').map((o) => claimsOf(o));
  const others = input
    .filter((o) => o.object.kind === 'VirtualService' && !madeKeys.has(key(o.object.metadata?.namespace, o.object.metadata?.name)))
    .filter((o) => (o.object.metadata?.labels as Record<string, unknown> | undefined)?.[MANAGED_BY_LABEL] !== MANAGED_BY)
    .map((o) => claimsOf(o.object, o.source.path === undefined ? undefined : printable(o.source.path)));
  const generatedSet = new Set(generated);
  // Only the same host: a wildcard of another VirtualService is a virtual host of its own, and Envoy
  // prefers the exact host (check warns about such overlaps).
  const conflicts = findHostConflicts([...generated, ...others], (a, b) => generatedSet.has(a) !== generatedSet.has(b)).filter((c) => c.hostA === c.hostB);
  return conflicts.map((c) => {
    const [mine, theirs] = generatedSet.has(c.a) ? [c.a, c.b] : [c.b, c.a];
    return {
      severity: 'error' as const,
      message: `${describeClaimant(mine)} would claim ${describeConflict(c)}, which ${describeClaimant(theirs)} claims too; Istio would merge or drop one of them: take the host out of ${qualified(theirs.namespace, theirs.name)}, or rename it ${mine.name} to make it the base.`,
      resourceRef: { apiVersion: ISTIO_API_VERSION, kind: 'VirtualService', name: theirs.name, ...(theirs.namespace ? { namespace: theirs.namespace } : {}) },
      ...(theirs.file ? { file: { path: theirs.file } } : {}),
    };
  });
}

/** Why Switchyard no longer makes an object it made before. */
function retiredWhy(id: ObjectId, made: readonly (VirtualService | DestinationRule)[]): string {
  const service = id.name.split('.')[0]!;
  const alive = made.some((o) => o.metadata.name.split('.')[0] === service && o.metadata.namespace === id.namespace);
  if (!alive) return `service ${service} has no live RouteFragment any more`;
  return id.name === service ? `the policy's gateways no longer include mesh` : `service ${service} no longer answers the hosts of environment ${id.name.slice(service.length + 1)}`;
}

interface ConsumedBase {
  id: ObjectId;
  into: string[];
  /** What the base says that no generated object carries: its own routes, tls, tcp. */
  dropped: string[];
}

/** A base's parts that only its own VirtualService would carry: routes with a match (by name), and spec fields Switchyard does not own. */
function ownParts(base: KubeObject): string[] {
  const spec = (base.spec ?? {}) as Record<string, unknown>;
  const routes = (Array.isArray(spec.http) ? spec.http : []) as Record<string, unknown>[];
  const named = routes.filter((r) => r && r.match !== undefined && !isGeneratedRouteName(r.name)).map((r) => `route ${typeof r.name === 'string' ? r.name : '(unnamed)'}`);
  const fields = Object.keys(spec).filter((k) => !['hosts', 'gateways', 'exportTo', 'http'].includes(k)).map((k) => `spec.${k}`);
  return [...named, ...fields];
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
