// Which writes bring one namespace from what it holds to what it should hold, in make-before-break
// order. Pure: the caller (reconcile.ts) executes the steps. Nothing to write is an empty plan.
//
// For each service:
//   1. the DestinationRule with the union of its current and its new subsets, so that every subset
//      the new VirtualServices route to exists before any route points at it;
//   2. its VirtualServices (`checkout` on the mesh, `checkout.<environment>` at the gateways);
//   3. the DestinationRule without the subsets no route uses any more (re-checked against the
//      VirtualServices as they are when the step runs).
// A service with no live fragment left: the VirtualServices are deleted first, then the DestinationRule.
import { byString, fingerprint } from '../merge/canonical.ts';
import type { DestinationRule, DestinationRuleSubset, VirtualService } from '../model/istio.ts';
import type { DesiredState } from './desired.ts';
import { describe, withoutServerFields, type ClusterObject } from './resources.ts';

export type IstioKind = 'VirtualService' | 'DestinationRule';

interface Target {
  kind: IstioKind;
  namespace: string;
  name: string;
  /** What the step does, for people: `add subsets feature-jp12`. */
  summary: string;
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

/** Does the live object already say what the desired one says? Server-set fields do not count. */
export const isSame = (desired: object, live: ClusterObject | undefined): boolean => live !== undefined && fingerprint(desired) === fingerprint(withoutServerFields(live));

export function planWrites(desired: DesiredState, live: Live, namespace: string): Step[] {
  if (!desired.ok) return [];
  const find = (list: readonly ClusterObject[], name: string) => list.find((o) => o.metadata.name === name && o.metadata.namespace === namespace);
  const steps: Step[] = [];
  const serviceOf = (name: string) => name.split('.')[0]!; // checkout.staging is service checkout's
  for (const dr of [...desired.destinationRules].sort((a, b) => byString(a.metadata.name, b.metadata.name))) {
    const name = dr.metadata.name;
    const services = desired.virtualServices.filter((vs) => serviceOf(vs.metadata.name) === name).sort((a, b) => byString(a.metadata.name, b.metadata.name));
    const liveDr = find(live.destinationRules, name);
    const target = (kind: IstioKind, objectName = name) => ({ kind, namespace, name: objectName });

    // 1. Make: every subset, old and new.
    const union = liveDr ? withSubsets(dr, unionSubsets(dr.spec.subsets, subsetsOf(liveDr))) : dr;
    const drWritten = !isSame(union, liveDr);
    if (!liveDr) steps.push({ ...target('DestinationRule'), action: 'create', object: union, summary: `create with subsets ${names(union.spec.subsets)}` });
    else if (drWritten) {
      steps.push({ ...target('DestinationRule'), action: 'update', object: union, version: { read: versionOf(liveDr) }, summary: describeSubsetChange(subsetsOf(liveDr), union.spec.subsets, 'before the VirtualService') });
    }

    // 2. Switch the routes.
    for (const vs of services) {
      const liveVs = find(live.virtualServices, vs.metadata.name);
      if (!liveVs) steps.push({ ...target('VirtualService', vs.metadata.name), action: 'create', object: vs, summary: `create with routes ${names(vs.spec.http)}` });
      else if (!isSame(vs, liveVs)) {
        steps.push({ ...target('VirtualService', vs.metadata.name), action: 'update', object: vs, version: { read: versionOf(liveVs) }, summary: describeRouteChange(routesOf(liveVs), vs.spec.http) });
      }
    }

    // 3. Break: drop the subsets that no route of the new VirtualServices uses.
    const pruned = keepRouted(dr, union, services);
    if (fingerprint(pruned) !== fingerprint(union)) {
      steps.push({
        ...target('DestinationRule'),
        action: 'prune',
        object: pruned,
        before: union,
        version: drWritten || !liveDr ? 'written' : { read: versionOf(liveDr) },
        virtualServices: services.map((vs) => vs.metadata.name),
        summary: describeSubsetChange(union.spec.subsets, pruned.spec.subsets, 'after the VirtualService'),
      });
    }
  }

  // Retired services: routes first, then the subsets they used.
  const retired = [...desired.retired].sort((a, b) => (a.kind === 'VirtualService' ? -1 : 1) - (b.kind === 'VirtualService' ? -1 : 1) || byString(a.name, b.name));
  for (const id of retired) {
    if (id.kind !== 'VirtualService' && id.kind !== 'DestinationRule') continue;
    const object = find(id.kind === 'VirtualService' ? live.virtualServices : live.destinationRules, id.name);
    if (!object) continue;
    steps.push({
      kind: id.kind,
      namespace,
      name: id.name,
      action: 'delete',
      resourceVersion: versionOf(object),
      ...(object.metadata.uid ? { uid: object.metadata.uid } : {}),
      summary: `delete: Switchyard no longer makes it (service ${id.name.split('.')[0]} has no live RouteFragment, or no longer answers those hosts)`,
    });
  }
  return steps;
}

/**
 * Step 3 as it runs: the desired DestinationRule, plus every subset of `before` that the
 * VirtualService (as it is now) still routes to. A concurrent reconciler may have written a
 * VirtualService that uses a subset this one would retire; that subset stays until no route uses it.
 */
export function keepRouted(desired: DestinationRule, before: DestinationRule, virtualServices: readonly (object | undefined)[], wanted: ReadonlySet<string> = new Set()): DestinationRule {
  const routed = new Set(virtualServices.flatMap((vs) => [...routedSubsets(vs)]));
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
