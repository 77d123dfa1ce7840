// Which writes bring one namespace from what it holds to what it should hold, in make-before-break
// order, service by service, in Envoy's time. Pure: the caller (reconcile.ts) executes the steps and
// passes the clock. Nothing to write is an empty plan. docs/decisions/envoy-time.md says why.
//
// For each service (its DestinationRule and every VirtualService the merge made for it):
//   1. the DestinationRule with the union of its current and its new subsets, so that every subset
//      a new route points at exists before any route points at it; a write that adds subsets
//      records when (the annotation switchyard.dev/subsets-added-at);
//   2. the VirtualServices, once the subsets they newly route to have been in the DestinationRule
//      for the settle time (Istio: "503 errors while reconfiguring service routes": add the subset,
//      wait for it to reach the proxies, then switch); a write that stops routing to a subset records
//      when (switchyard.dev/unrouted-at);
//   3. the DestinationRule without the subsets no route uses any more, once the settle time has
//      passed since the VirtualService write that stopped using them (re-checked against the
//      VirtualServices as they are when the step runs). Until then the plan says when to come back.
// A service with no live fragment left: its VirtualServices are deleted first, then its DestinationRule.
// With settleMs 0 all three happen in one round, in that order.
import { byString, fingerprint } from '../merge/canonical.ts';
import type { DestinationRule, DestinationRuleSubset, VirtualService } from '../model/istio.ts';
import type { DesiredState } from './desired.ts';
import { describe, withoutServerFields, type ClusterObject } from './resources.ts';

export type IstioKind = 'VirtualService' | 'DestinationRule';

/** When a write last added subsets to a DestinationRule (RFC 3339). */
export const SUBSETS_ADDED_AT = 'switchyard.dev/subsets-added-at';
/** When a write last stopped a VirtualService routing to some subset (RFC 3339). */
export const UNROUTED_AT = 'switchyard.dev/unrouted-at';
/** A digest of the RoutingPolicy the object was rendered with. */
export const POLICY_DIGEST = 'switchyard.dev/policy-digest';

interface Target {
  kind: IstioKind;
  namespace: string;
  name: string;
  /** The service the object belongs to: failures and waits are per service. */
  service: string;
  /** What the step does, for people: `add subsets feature-jp12`. */
  summary: string;
  /** Take over fields Switchyard 0.1 wrote without a field manager (server-side apply's force). */
  force?: boolean;
}

/** The version a step's precondition names: one read from the cluster, or the one this plan's earlier step wrote. */
export type Version = { read: string } | 'written';

export type Step =
  | (Target & { action: 'create'; object: VirtualService | DestinationRule })
  | (Target & { action: 'update'; object: VirtualService | DestinationRule; version: Version })
  /** Step 3: `object` is the pruned DestinationRule, `before` the one step 1 left; `virtualServices` are re-read when the step runs. */
  | (Target & { action: 'prune'; object: DestinationRule; before: DestinationRule; version: Version; virtualServices: string[] })
  | (Target & { action: 'delete'; resourceVersion: string; uid?: string });

export interface Live {
  virtualServices: readonly ClusterObject[];
  destinationRules: readonly ClusterObject[];
}

export interface Timing {
  now: Date;
  /** How long configuration takes to reach the proxies; 0 writes all three steps in one round. */
  settleMs: number;
}

/** What the plan stamps on every object it writes. */
export interface Stamp {
  policyDigest?: string;
}

export interface ServicePlan {
  service: string;
  steps: Step[];
  /** A step was held back: plan again at this instant (ms since the epoch). */
  waitUntil?: number;
  /** Why, for people. */
  waiting?: string;
}

/**
 * Does the live object already say what the desired one says? Server-set fields do not count, and
 * neither do labels and annotations other writers added (server-side apply keeps them): spec equal,
 * and every label and annotation of the desired object present with the same value.
 */
export function isSame(desired: object, live: ClusterObject | undefined): boolean {
  if (live === undefined) return false;
  const d = desired as { spec?: unknown; metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } };
  const l = withoutServerFields(live);
  if (fingerprint(d.spec ?? null) !== fingerprint(l.spec ?? null)) return false;
  for (const group of ['labels', 'annotations'] as const) {
    for (const [k, v] of Object.entries(d.metadata?.[group] ?? {})) if (l.metadata[group]?.[k] !== v) return false;
  }
  const rest = (o: object) => fingerprint(Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'spec' && k !== 'metadata' && k !== 'status')));
  return rest(d) === rest(l);
}

/** The service an object belongs to: a VirtualService `S` or `S.E` (one per environment at gateways), a DestinationRule `S`. */
export const serviceOf = (name: string): string => name.split('.')[0]!;

export function planWrites(desired: DesiredState, live: Live, namespace: string, timing: Timing = { now: new Date(0), settleMs: 0 }, stamp: Stamp = {}): Step[] {
  return planServices(desired, live, namespace, timing, stamp).flatMap((p) => p.steps);
}

export function planServices(desired: DesiredState, live: Live, namespace: string, timing: Timing = { now: new Date(0), settleMs: 0 }, stamp: Stamp = {}): ServicePlan[] {
  if (!desired.ok) return [];
  const find = (list: readonly ClusterObject[], name: string) => list.find((o) => o.metadata.name === name && o.metadata.namespace === namespace);
  const nowMs = timing.now.getTime();
  const at = microless(timing.now);
  const plans: ServicePlan[] = [];
  const drs = [...desired.destinationRules].sort((a, b) => byString(a.metadata.name, b.metadata.name));
  const orphans = desired.virtualServices.filter((vs) => !drs.some((dr) => dr.metadata.name === serviceOf(vs.metadata.name)));
  if (orphans.length > 0) throw new Error(`planWrites: VirtualService ${orphans[0]!.metadata.name} without its DestinationRule`);
  for (const drDesired of drs) {
    const service = drDesired.metadata.name;
    const plan: ServicePlan = { service, steps: [] };
    const hold = (until: number, why: string) => {
      if (plan.waitUntil === undefined || until < plan.waitUntil) [plan.waitUntil, plan.waiting] = [until, why];
    };
    const target = (kind: IstioKind, name: string) => ({ kind, namespace, name, service });
    const vss = desired.virtualServices.filter((vs) => serviceOf(vs.metadata.name) === service).sort((a, b) => byString(a.metadata.name, b.metadata.name));
    const liveDr = find(live.destinationRules, service);
    const liveSubsets = liveDr ? subsetsOf(liveDr) : [];
    const liveNames = new Set(liveSubsets.map((s) => s.name));

    // 1. Make: every subset, old and new.
    const union = withSubsets(drDesired, unionSubsets(drDesired.spec.subsets, liveSubsets));
    const adds = union.spec.subsets.some((s) => !liveNames.has(s.name));
    const liveAddedAt = timeOf(liveDr, SUBSETS_ADDED_AT);
    const drAddedAt = adds ? nowMs : liveAddedAt;
    const drObject = stamped(union, stamp, { [SUBSETS_ADDED_AT]: adds ? at : annotationOf(liveDr, SUBSETS_ADDED_AT) });
    const drWritten = !isSame(drObject, liveDr);
    if (!liveDr) plan.steps.push({ ...target('DestinationRule', service), action: 'create', object: drObject, summary: `create with subsets ${names(union.spec.subsets)}` });
    else if (drWritten) {
      plan.steps.push({ ...target('DestinationRule', service), action: 'update', object: drObject, version: { read: versionOf(liveDr) }, summary: describeSubsetChange(liveSubsets, union.spec.subsets, 'before the VirtualService') });
    }

    // 2. Switch the routes, once what they newly route to has settled.
    const switched: string[] = [];
    let unroutedAt: number | undefined;
    for (const vs of vss) {
      const name = vs.metadata.name;
      const liveVs = find(live.virtualServices, name);
      const before = routedSubsets(liveVs);
      const after = routedSubsets(vs);
      const stops = [...before].some((s) => !after.has(s));
      const object = stamped(vs, stamp, { [UNROUTED_AT]: stops ? at : annotationOf(liveVs, UNROUTED_AT) });
      if (isSame(object, liveVs)) {
        unroutedAt = Math.max(unroutedAt ?? 0, timeOf(liveVs, UNROUTED_AT) ?? 0) || undefined;
        continue;
      }
      const newlyRouted = [...after].filter((s) => !before.has(s));
      const ready = drAddedAt === undefined || newlyRouted.length === 0 || nowMs >= drAddedAt + timing.settleMs;
      if (!ready) {
        hold(drAddedAt! + timing.settleMs, `VirtualService ${namespace}/${name} waits ${Math.ceil((drAddedAt! + timing.settleMs - nowMs) / 1000)} s for subsets ${newlyRouted.join(', ')} to reach the proxies`);
        unroutedAt = Math.max(unroutedAt ?? 0, timeOf(liveVs, UNROUTED_AT) ?? 0, nowMs) || undefined; // nothing retires while a switch is pending
        continue;
      }
      switched.push(name);
      unroutedAt = Math.max(unroutedAt ?? 0, stops ? nowMs : (timeOf(liveVs, UNROUTED_AT) ?? 0)) || undefined;
      if (!liveVs) plan.steps.push({ ...target('VirtualService', name), action: 'create', object, summary: `create with routes ${names(vs.spec.http)}` });
      else plan.steps.push({ ...target('VirtualService', name), action: 'update', object, version: { read: versionOf(liveVs) }, summary: describeRouteChange(routesOf(liveVs), vs.spec.http) });
    }
    // Switches still pending keep every subset the live routes use: the prune below re-reads them anyway.

    // 3. Break: drop the subsets no route of the service uses, a settle time after the routes stopped using them.
    const pruned = stamped(withSubsets(drDesired, keepRouted(drDesired, union, undefined).spec.subsets), stamp, { [SUBSETS_ADDED_AT]: annotationOf(drObject, SUBSETS_ADDED_AT) });
    const retiring = union.spec.subsets.filter((s) => !pruned.spec.subsets.some((p) => p.name === s.name)).map((s) => s.name);
    if (retiring.length > 0) {
      const due = unroutedAt === undefined ? nowMs : unroutedAt + timing.settleMs;
      if (nowMs >= due && plan.waitUntil === undefined) {
        plan.steps.push({
          ...target('DestinationRule', service),
          action: 'prune',
          object: pruned,
          before: drObject,
          version: drWritten || !liveDr ? 'written' : { read: versionOf(liveDr) },
          virtualServices: vss.map((v) => v.metadata.name),
          summary: describeSubsetChange(union.spec.subsets, pruned.spec.subsets, 'after the VirtualService'),
        });
      } else if (plan.waitUntil === undefined) {
        hold(due, `subsets ${retiring.join(', ')} of DestinationRule ${namespace}/${service} are removed ${Math.ceil((due - nowMs) / 1000)} s after the routes stopped using them`);
      }
    }
    if (plan.steps.length > 0 || plan.waitUntil !== undefined) plans.push(plan);
  }

  // Retired services: routes first, then the subsets they used.
  const retired = [...desired.retired].sort((a, b) => byString(serviceOf(a.name), serviceOf(b.name)) || (a.kind === 'VirtualService' ? -1 : 1) - (b.kind === 'VirtualService' ? -1 : 1) || byString(a.name, b.name));
  for (const id of retired) {
    if (id.kind !== 'VirtualService' && id.kind !== 'DestinationRule') continue;
    const object = find(id.kind === 'VirtualService' ? live.virtualServices : live.destinationRules, id.name);
    if (!object) continue;
    const service = serviceOf(id.name);
    let plan = plans.find((p) => p.service === service);
    if (!plan) plans.push((plan = { service, steps: [] }));
    plan.steps.push({
      kind: id.kind,
      namespace,
      name: id.name,
      service,
      action: 'delete',
      resourceVersion: versionOf(object),
      ...(object.metadata.uid ? { uid: object.metadata.uid } : {}),
      summary: `delete: service ${service} has no live RouteFragment any more`,
    });
  }
  return plans;
}

/** The object with the plan's annotations; an undefined value leaves the key out. */
function stamped<T extends VirtualService | DestinationRule>(object: T, stamp: Stamp, extra: Record<string, string | undefined>): T {
  const annotations: Record<string, string> = { ...(object.metadata.annotations ?? {}) };
  if (stamp.policyDigest) annotations[POLICY_DIGEST] = stamp.policyDigest;
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) annotations[k] = v;
  const sorted = Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => byString(a, b)));
  return { ...object, metadata: { ...object.metadata, annotations: sorted } };
}

const annotationOf = (object: { metadata?: { annotations?: Record<string, string> } } | undefined, key: string): string | undefined => object?.metadata?.annotations?.[key];

function timeOf(object: ClusterObject | undefined, key: string): number | undefined {
  const value = annotationOf(object, key);
  const ms = value === undefined ? NaN : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** RFC 3339 to the millisecond. */
const microless = (date: Date): string => date.toISOString();

/**
 * Step 3 as it runs: the desired DestinationRule, plus every subset of `before` that the
 * VirtualService (as it is now) still routes to. A concurrent reconciler may have written a
 * VirtualService that uses a subset this one would retire; that subset stays until no route uses it.
 */
export function keepRouted(desired: DestinationRule, before: DestinationRule, virtualService: object | readonly (object | undefined)[] | undefined, wanted: ReadonlySet<string> = new Set()): DestinationRule {
  const routed = new Set((Array.isArray(virtualService) ? virtualService : [virtualService]).flatMap((vs) => [...routedSubsets(vs)]));
  const kept = before.spec.subsets.filter((s) => routed.has(s.name) || wanted.has(s.name));
  return withSubsets(desired, unionSubsets(desired.spec.subsets, kept));
}

/** Every subset a VirtualService's routes (http, tcp, tls) send traffic to. */
export function routedSubsets(virtualService: object | undefined): Set<string> {
  const found = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') {
      const destination = (value as { destination?: { subset?: unknown } }).destination;
      if (typeof destination?.subset === 'string') found.add(destination.subset);
      Object.values(value).forEach(walk);
    }
  };
  walk((virtualService as { spec?: unknown } | undefined)?.spec);
  return found;
}

/** The new definitions, plus the old subsets that are not redefined; sorted by name like the merge sorts them. */
export function unionSubsets(next: readonly DestinationRuleSubset[], previous: readonly DestinationRuleSubset[]): DestinationRuleSubset[] {
  const byName = new Map(previous.map((s) => [s.name, s]));
  for (const s of next) byName.set(s.name, s);
  return [...byName.values()].sort((a, b) => byString(a.name, b.name));
}

const withSubsets = (dr: DestinationRule, subsets: DestinationRuleSubset[]): DestinationRule => ({ ...dr, spec: { ...dr.spec, subsets } });

export const describeStep = (step: Step): string => `${step.action === 'prune' ? 'update' : step.action} ${describe(step.kind, step.namespace, step.name)}: ${step.summary}`;

function versionOf(object: ClusterObject): string {
  const version = object.metadata.resourceVersion;
  if (typeof version !== 'string' || version === '') throw new Error(`${describe(object.kind, object.metadata.namespace, object.metadata.name)} came from the API server without a resourceVersion`);
  return version;
}

function subsetsOf(dr: ClusterObject): DestinationRuleSubset[] {
  const subsets = (dr.spec as { subsets?: unknown } | undefined)?.subsets;
  return Array.isArray(subsets) ? subsets.filter((s): s is DestinationRuleSubset => typeof (s as { name?: unknown })?.name === 'string') : [];
}

function routesOf(vs: ClusterObject): { name?: string }[] {
  const http = (vs.spec as { http?: unknown } | undefined)?.http;
  return Array.isArray(http) ? (http as { name?: string }[]) : [];
}

const names = (list: readonly { name?: string }[]): string => (list.length === 0 ? '(none)' : list.map((x) => x.name ?? '(unnamed)').join(', '));

/** `add subsets a; remove subsets b; change subsets c`, or what else changed. */
function describeChange(kind: string, before: readonly { name?: string }[], after: readonly { name?: string }[], otherwise: string): string {
  const print = (x: object) => fingerprint(x);
  const old = new Map(before.map((x) => [x.name ?? '', x]));
  const next = new Map(after.map((x) => [x.name ?? '', x]));
  const added = [...next.keys()].filter((n) => !old.has(n));
  const removed = [...old.keys()].filter((n) => !next.has(n));
  const changed = [...next.keys()].filter((n) => old.has(n) && print(old.get(n)!) !== print(next.get(n)!));
  const order = before.map((x) => x.name).join() !== after.filter((x) => old.has(x.name ?? '')).map((x) => x.name).join() && added.length + removed.length + changed.length === 0;
  const parts = [
    added.length > 0 ? `add ${kind} ${added.join(', ')}` : '',
    removed.length > 0 ? `remove ${kind} ${removed.join(', ')}` : '',
    changed.length > 0 ? `change ${kind} ${changed.join(', ')}` : '',
    order ? `reorder ${kind}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join('; ') : otherwise;
}

const describeSubsetChange = (before: readonly DestinationRuleSubset[], after: readonly DestinationRuleSubset[], when: string): string =>
  `${describeChange('subsets', before, after, 'update other fields')} (${when})`;

const describeRouteChange = (before: readonly { name?: string }[], after: readonly { name?: string }[]): string => describeChange('routes', before, after, 'update other fields');
