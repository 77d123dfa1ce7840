// Properties over random sets of fragments: the merge is a function of the set (any order, the
// same bytes), running it on its own output changes nothing, and no fragment is silently lost.
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { fn } from '../src/cli/fn.ts';
import type { KubeObject } from '../src/model/kinds.ts';
import type { MergeOutput } from '../src/merge/merge.ts';
import { fragment, NOW, policy, run } from './builders.ts';

const SERVICES = ['checkout', 'cart'];
const ENVIRONMENTS = ['production', 'staging', 'pre-staging'];
const VALUES = ['feature-a', 'feature-b', 'bugfix-c', 'pay-'];

/** One fragment, from a small space so that conflicts, shared subsets and errors all occur. */
const fragmentArb = fc
  .record({
    service: fc.constantFrom(...SERVICES),
    subset: fc.constantFrom('v1', 'v2', 'v3', 'v4', 'feature-a', 'feature-b'),
    labelTwist: fc.boolean(), // occasionally the same subset name with other labels
    kind: fc.constantFrom('branch', 'release'),
    value: fc.constantFrom(...VALUES),
    environment: fc.option(fc.constantFrom(...ENVIRONMENTS), { nil: undefined }),
    revision: fc.integer({ min: 1, max: 6 }),
    weight: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
    expired: fc.boolean(),
    broken: fc.integer({ min: 0, max: 9 }), // 0: a schema mistake
  })
  .map((r): unknown => {
    const spec: Record<string, unknown> = {
      service: r.service,
      subset: { name: r.subset, labels: { app: r.service, version: r.labelTwist ? `${r.subset}-x` : r.subset } },
    };
    if (r.kind === 'branch') spec.branch = { value: r.value, ...(r.environment ? { environment: r.environment } : {}) };
    else spec.release = { environment: r.environment ?? 'production', revision: r.revision, ...(r.weight === undefined ? {} : { weight: r.weight }) };
    if (r.expired) spec.expires = '2026-01-01T00:00:00Z';
    if (r.broken === 0) spec.servce = 'typo';
    return spec;
  });

const fragmentsArb = fc.uniqueArray(fragmentArb, { minLength: 1, maxLength: 14 }).map((specs) =>
  specs.map((spec, i) => fragment(`f${i}`, spec as Record<string, unknown>)),
);

const policyArb = fc.record({
  allowedMatches: fc.constantFrom(['exact'], ['exact', 'prefix']),
  invalidBranches: fc.constantFrom('quarantine', 'fail'),
});

const bytes = (out: MergeOutput) => stringify({ objects: out.objects, retired: out.retired, results: out.results });

describe('merge properties', () => {
  it('any input order gives the same bytes', () => {
    fc.assert(
      fc.property(fragmentsArb, policyArb, fc.infiniteStream(fc.nat()), (fragments, spec, seeds) => {
        const p = policy(spec as never);
        const shuffled = [...fragments].sort(() => (seeds.next().value % 3) - 1);
        expect(bytes(run(shuffled, { policy: p }))).toBe(bytes(run(fragments, { policy: p })));
      }),
      { numRuns: 300 },
    );
  });

  it('feeding the output back as base objects changes nothing', () => {
    fc.assert(
      fc.property(fragmentsArb, (fragments) => {
        const first = run(fragments);
        const second = run(fragments, { istioObjects: first.objects.map((object) => ({ object: object as unknown as KubeObject, source: {} })) });
        expect(second.objects).toEqual(first.objects);
        expect(second.retired).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('every fragment is in a DestinationRule or named in a result', () => {
    fc.assert(
      fc.property(fragmentsArb, (fragments) => {
        const out = run(fragments);
        if (out.results.some((r) => r.severity === 'error')) {
          expect(out.objects).toEqual([]); // a failed render renders nothing, so nothing half-applies
          return;
        }
        const named = new Set(out.results.map((r) => r.resourceRef?.name));
        for (const f of fragments) {
          if (named.has(f.metadata.name)) continue;
          const dr = out.objects.find((o) => o.kind === 'DestinationRule' && o.metadata.name === f.spec.service);
          const subsets = (dr?.spec.subsets ?? []) as { name: string }[];
          expect(subsets.map((s) => s.name)).toContain(f.spec.subset.name);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('routes are well formed: one catch-all at most and last, weights sum to 100, subsets exist', () => {
    fc.assert(
      fc.property(fragmentsArb, (fragments) => {
        const out = run(fragments);
        for (const vs of out.objects.filter((o) => o.kind === 'VirtualService')) {
          const dr = out.objects.find((o) => o.kind === 'DestinationRule' && o.metadata.name === vs.metadata.name)!;
          const subsets = new Set((dr.spec.subsets as { name: string }[]).map((s) => s.name));
          const http = vs.spec.http as { match?: unknown[]; route: { destination: { subset: string }; weight: number }[] }[];
          const catchAll = http.map((r, i) => (r.match === undefined ? i : -1)).filter((i) => i >= 0);
          expect(catchAll.length).toBeLessThanOrEqual(1);
          if (catchAll.length === 1) expect(catchAll[0]).toBe(http.length - 1);
          for (const route of http) {
            expect(route.route.reduce((sum, d) => sum + d.weight, 0)).toBe(100);
            for (const d of route.route) expect(subsets.has(d.destination.subset)).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('KRM function properties', () => {
  const resourceList = (items: unknown[]) =>
    stringify({ apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items, functionConfig: policy() }, { indentSeq: false });
  const withoutResults = (text: string) => text.replace(/^results:[\s\S]*$/m, '');

  it('its output, fed back, comes out unchanged', () => {
    fc.assert(
      fc.property(fragmentsArb, (fragments) => {
        const first = fn(resourceList(fragments), NOW);
        if (first.exitCode !== 0) return;
        const second = fn(withoutResults(first.stdout), NOW);
        expect(second.exitCode).toBe(0);
        expect(withoutResults(second.stdout)).toBe(withoutResults(first.stdout));
      }),
      { numRuns: 150 },
    );
  });
});
