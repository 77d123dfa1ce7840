// One definition of "live" (src/merge/live.ts): prune never deletes what render routes to, because
// both decide with it. A property over release sets whose workloads come and go and whose fragments
// expire: the subsets render sends production's traffic to are never pruned by --keep-previous 0.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planPrune } from '../../src/merge/prune.ts';
import type { VirtualService } from '../../src/model/istio.ts';
import type { RouteFragment } from '../../src/model/kinds.ts';
import { fragment, NOW, run } from '../builders.ts';

const routedSubsets = (objects: readonly { kind: string }[]): Set<string> => {
  const vs = objects.find((o) => o.kind === 'VirtualService') as VirtualService | undefined;
  return new Set((vs?.spec.http ?? []).flatMap((r) => (r.route ?? []).filter((d) => (d.weight ?? 100) > 0).map((d) => d.destination.subset ?? '')));
};

describe('live: render and prune agree', () => {
  it('prune --keep-previous 0 keeps the release render routes to when a newer one lost its workload', () => {
    const v2 = fragment('checkout-v2', { release: { environment: 'production', revision: 2 }, workload: { kind: 'Deployment', name: 'checkout-v2' } });
    const v3 = fragment('checkout-v3', { release: { environment: 'production', revision: 3 }, workload: { kind: 'Deployment', name: 'checkout-v3' } });
    const workloads = [{ kind: 'Deployment', name: 'checkout-v2', namespace: 'shop' }];
    expect([...routedSubsets(run([v2, v3], { workloads }).objects)]).toEqual(['checkout-v2']);
    const pruned = planPrune([v2, v3].map((object) => ({ object, source: {} })), { now: NOW, keepPrevious: 0, workloads }).prune;
    expect(pruned.map((d) => d.fragment.object.metadata.name)).toEqual([]);
  });

  it('for any releases, workloads and expiry: no fragment render routes to is pruned', () => {
    const releaseArb = fc.record({
      revision: fc.integer({ min: 0, max: 9 }),
      // Mostly stable releases: a canary with no stable release fails the render.
      weight: fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: fc.integer({ min: 0, max: 30 }), weight: 2 }),
      workload: fc.boolean(),
      present: fc.boolean(),
      expired: fc.boolean(),
    });
    let failed = 0;
    fc.assert(
      fc.property(fc.uniqueArray(releaseArb, { selector: (r) => r.revision, minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 2 }), (specs, keepPrevious) => {
        const fragments: RouteFragment[] = specs.map((s) =>
          fragment(`checkout-v${s.revision}`, {
            release: { environment: 'production', revision: s.revision, ...(s.weight === undefined ? {} : { weight: s.weight }) },
            ...(s.workload ? { workload: { kind: 'Deployment', name: `checkout-v${s.revision}` } } : {}),
            ...(s.expired ? { expires: '2026-01-01T00:00:00Z' } : {}),
          }),
        );
        // One unrelated Deployment, so that the input carries workloads of that kind.
        const workloads = [{ kind: 'Deployment', name: 'other', namespace: 'shop' }, ...specs.filter((s) => s.present).map((s) => ({ kind: 'Deployment', name: `checkout-v${s.revision}`, namespace: 'shop' }))];
        const merged = run(fragments, { workloads });
        if (merged.results.some((r) => r.severity === 'error')) {
          failed++;
          return; // a failed render routes nothing
        }
        const routed = routedSubsets(merged.objects);
        const pruned = planPrune(fragments.map((object) => ({ object, source: {} })), { now: NOW, keepPrevious, workloads }).prune;
        for (const d of pruned) expect(routed.has(d.fragment.object.spec.subset.name), d.reason).toBe(false);
      }),
      { numRuns: 200 },
    );
    expect(failed).toBeLessThan(150); // most runs render: the property says something
  });
});
