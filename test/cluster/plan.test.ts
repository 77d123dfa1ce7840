// The pure parts of cluster mode: desired state from listed objects, and the make-before-break plan.
import { describe, expect, it } from 'vitest';
import { desiredState, type Snapshot } from '../../src/cluster/desired.ts';
import { describeStep, isSame, keepRouted, planWrites, routedSubsets, unionSubsets, type Step } from '../../src/cluster/plan.ts';
import type { ClusterObject } from '../../src/cluster/resources.ts';
import type { DestinationRule } from '../../src/model/istio.ts';
import { branch, NOW, policy, release, RENDERED_BY } from '../builders.ts';

// One environment without hosts: one VirtualService per service, so the plans stay about make-before-break.
const POLICY = { object: policy({ environments: [{ name: 'production', default: true, allowBranches: false }] }), source: { path: 'policy.yaml' } };
let version = 100;

/** What the API server would hand back for an object we wrote: server fields added. */
function served(object: object): ClusterObject {
  const o = structuredClone(object) as ClusterObject;
  return { ...o, metadata: { ...o.metadata, uid: `uid-${o.metadata.name}`, resourceVersion: String(++version), generation: 1, creationTimestamp: '2026-11-27T00:00:00Z', managedFields: [{ manager: 'x' }] }, status: {} };
}

function snapshot(fragments: object[], live: { virtualServices?: ClusterObject[]; destinationRules?: ClusterObject[]; deployments?: string[] } = {}): Snapshot {
  return {
    namespace: 'shop',
    fragments: fragments.map(served),
    virtualServices: live.virtualServices ?? [],
    destinationRules: live.destinationRules ?? [],
    deployments: (live.deployments ?? []).map((name) => served({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'shop' } })),
  };
}

const desire = (s: Snapshot) => desiredState({ snapshot: s, policy: POLICY, now: NOW, renderedBy: RENDERED_BY });

/** Applies a plan the way a cluster would (no concurrency), returning the new live objects. */
function applyPlan(steps: readonly Step[], live: { virtualServices: ClusterObject[]; destinationRules: ClusterObject[] }) {
  const out = { virtualServices: [...live.virtualServices], destinationRules: [...live.destinationRules] };
  for (const step of steps) {
    const list = step.kind === 'VirtualService' ? out.virtualServices : out.destinationRules;
    const i = list.findIndex((o) => o.metadata.name === step.name);
    if (step.action === 'delete') list.splice(i, 1);
    else if (step.action === 'prune') list.splice(i, 1, served(keepRouted(step.object, step.before, out.virtualServices.filter((v) => step.virtualServices.includes(v.metadata.name)))));
    else if (i >= 0) list.splice(i, 1, served(step.object));
    else list.push(served(step.object));
  }
  return out;
}

describe('desiredState', () => {
  it('ignores server fields, status and fragments being deleted', () => {
    const deleting = { ...served(branch('checkout-b', 'b')), metadata: { ...served(branch('checkout-b', 'b')).metadata, deletionTimestamp: '2026-11-27T00:00:00Z' } };
    const s = snapshot([release('checkout-v1', 'production', 1)]);
    const d = desire({ ...s, fragments: [...s.fragments, deleting] });
    expect(d.ok).toBe(true);
    expect(d.destinationRules[0]!.spec.subsets.map((x) => x.name)).toEqual(['checkout-v1']);
    expect(JSON.stringify(d)).not.toMatch(/managedFields|uid-|resourceVersion/);
  });

  it('reads the Deployment list as complete: a workload missing from it is gone, even when the namespace has none left', () => {
    const withWorkload = { ...branch('checkout-b', 'b'), spec: { ...branch('checkout-b', 'b').spec, workload: { kind: 'Deployment', name: 'checkout-b' } } };
    const kept = desire(snapshot([release('checkout-v1', 'production', 1), withWorkload], { deployments: ['checkout-b'] }));
    const dropped = desire(snapshot([release('checkout-v1', 'production', 1), withWorkload], { deployments: [] }));
    expect(kept.virtualServices[0]!.spec.http.map((r) => r.name)).toContain('branch:checkout-b');
    expect(dropped.virtualServices[0]!.spec.http.map((r) => r.name)).not.toContain('branch:checkout-b');
  });

  it('an error leaves nothing to plan', () => {
    const d = desire(snapshot([release('checkout-v1', 'production', 1, 150)]));
    expect(d.ok).toBe(false);
    expect(planWrites(d, { virtualServices: [], destinationRules: [] }, 'shop')).toEqual([]);
  });
});

describe('planWrites', () => {
  it('creates the DestinationRule before the VirtualService, then plans nothing once applied', () => {
    const s = snapshot([release('checkout-v1', 'production', 1)]);
    const steps = planWrites(desire(s), s, 'shop');
    expect(steps.map(describeStep)).toEqual([
      'create DestinationRule shop/checkout: create with subsets checkout-v1',
      'create VirtualService shop/checkout: create with routes environment:production, default:production',
    ]);
    const live = applyPlan(steps, { virtualServices: [...s.virtualServices], destinationRules: [...s.destinationRules] });
    const again = { ...s, ...live };
    expect(planWrites(desire(again), again, 'shop')).toEqual([]);
  });

  it('is make-before-break: union of subsets, then routes, then the retired subsets go', () => {
    const first = snapshot([release('checkout-v1', 'production', 1), branch('checkout-b', 'b')]);
    const live = applyPlan(planWrites(desire(first), first, 'shop'), { virtualServices: [], destinationRules: [] });
    const next = snapshot([release('checkout-v2', 'production', 2)], live);
    const steps = planWrites(desire(next), next, 'shop');
    expect(steps.map(describeStep)).toEqual([
      'update DestinationRule shop/checkout: add subsets checkout-v2 (before the VirtualService)',
      'update VirtualService shop/checkout: remove routes branch:checkout-b; change routes environment:production, default:production',
      'update DestinationRule shop/checkout: remove subsets checkout-b, checkout-v1 (after the VirtualService)',
    ]);
    const [union, vs, prune] = steps as [Step & { action: 'update' }, Step & { action: 'update' }, Step & { action: 'prune' }];
    expect((union.object as DestinationRule).spec.subsets.map((x) => x.name)).toEqual(['checkout-b', 'checkout-v1', 'checkout-v2']);
    expect(union.version).toEqual({ read: live.destinationRules[0]!.metadata.resourceVersion });
    expect(vs.version).toEqual({ read: live.virtualServices[0]!.metadata.resourceVersion });
    expect(prune.version).toBe('written');
    expect(prune.object.spec.subsets.map((x) => x.name)).toEqual(['checkout-v2']);
    // After every step, every subset a route uses is defined.
    let state = live;
    for (const step of steps) {
      state = applyPlan([step], state);
      const defined = new Set((state.destinationRules[0]!.spec as DestinationRule['spec']).subsets.map((x) => x.name));
      expect([...routedSubsets(state.virtualServices[0])].filter((x) => !defined.has(x))).toEqual([]);
    }
  });

  it('prunes without a DestinationRule write first when only subsets retire', () => {
    const first = snapshot([release('checkout-v1', 'production', 1), branch('checkout-b', 'b')]);
    const live = applyPlan(planWrites(desire(first), first, 'shop'), { virtualServices: [], destinationRules: [] });
    const next = snapshot([release('checkout-v1', 'production', 1)], live);
    const steps = planWrites(desire(next), next, 'shop');
    expect(steps.map((s) => `${s.action} ${s.kind}`)).toEqual(['update VirtualService', 'prune DestinationRule']);
    expect((steps[1] as Step & { action: 'prune' }).version).toEqual({ read: live.destinationRules[0]!.metadata.resourceVersion });
  });

  it('deletes a retired service: the VirtualService, then the DestinationRule, each with its version and uid', () => {
    const first = snapshot([release('checkout-v1', 'production', 1)]);
    const live = applyPlan(planWrites(desire(first), first, 'shop'), { virtualServices: [], destinationRules: [] });
    const next = snapshot([], live);
    const steps = planWrites(desire(next), next, 'shop');
    expect(steps).toEqual([
      expect.objectContaining({ action: 'delete', kind: 'VirtualService', name: 'checkout', resourceVersion: live.virtualServices[0]!.metadata.resourceVersion, uid: 'uid-checkout' }),
      expect.objectContaining({ action: 'delete', kind: 'DestinationRule', name: 'checkout', resourceVersion: live.destinationRules[0]!.metadata.resourceVersion }),
    ]);
  });

  it('leaves hand-written VirtualServices and DestinationRules of other names alone', () => {
    const other = served({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'payments', namespace: 'shop' }, spec: { hosts: ['payments'], http: [] } });
    const s = snapshot([release('checkout-v1', 'production', 1)], { virtualServices: [other] });
    expect(planWrites(desire(s), s, 'shop').map((x) => x.name)).toEqual(['checkout', 'checkout']);
  });
});

describe('keepRouted and unionSubsets', () => {
  const subset = (name: string, version = name) => ({ name, labels: { version } });
  const dr = (...names: string[]) => ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'checkout' }, spec: { host: 'checkout', subsets: names.map((n) => subset(n)) } }) as DestinationRule;

  it('keeps a retiring subset that the VirtualService as it is now still routes to', () => {
    const vs = { spec: { http: [{ route: [{ destination: { host: 'checkout', subset: 'old' } }] }], tcp: [{ route: [{ destination: { host: 'checkout', subset: 'tcp-only' } }] }] } };
    expect(keepRouted(dr('new'), dr('gone', 'new', 'old', 'tcp-only'), [vs]).spec.subsets.map((s) => s.name)).toEqual(['new', 'old', 'tcp-only']);
    expect(keepRouted(dr('new'), dr('gone', 'new', 'old'), [undefined]).spec.subsets.map((s) => s.name)).toEqual(['new']);
    // every VirtualService of the service counts: the mesh one and those of the gateways
    const gateway = { spec: { http: [{ route: [{ destination: { host: 'checkout', subset: 'gone' } }] }] } };
    expect(keepRouted(dr('new'), dr('gone', 'new', 'old'), [undefined, gateway]).spec.subsets.map((s) => s.name)).toEqual(['gone', 'new']);
  });

  it('unions by name, the new definition winning, sorted', () => {
    expect(unionSubsets([subset('b', 'v2')], [subset('c'), subset('b', 'v1'), subset('a')])).toEqual([subset('a'), subset('b', 'v2'), subset('c')]);
  });

  it('isSame ignores what the server adds, but not a change', () => {
    const object = dr('a');
    expect(isSame(object, served(object))).toBe(true);
    expect(isSame(dr('a', 'b'), served(object))).toBe(false);
    expect(isSame(object, undefined)).toBe(false);
  });
});
