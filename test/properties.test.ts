// Properties over random sets of fragments AND random policies (test/arbitraries.ts), thousands of
// cases per run: the merge never throws; what it renders passes Istio's own schema and the
// structural rules (test/routing-checks.ts), or it renders nothing and says why with an error;
// no fragment is silently lost; any input order gives the same bytes; its output fed back changes
// nothing. The same through the KRM function on ResourceList text, so that the line scanner, the
// block-YAML reader and the yaml library fallback are exercised too.
import fc from 'fast-check';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { fn } from '../src/cli/fn.ts';
import type { KubeObject } from '../src/model/kinds.ts';
import type { MergeOutput } from '../src/merge/merge.ts';
import { fragmentsArb, itemStyleArb, itemText, PASS_THROUGH, policyArb, resourceListText, type FragmentObject } from './arbitraries.ts';
import { NOW, run } from './builders.ts';
import { lostFragments, routingProblems, structuralProblems } from './routing-checks.ts';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 2500);
const FN_RUNS = Math.round(RUNS / 4);

const bytes = (out: MergeOutput) => JSON.stringify({ objects: out.objects, retired: out.retired, results: out.results });
const objectsOf = (out: MergeOutput) => out.objects as unknown as Record<string, unknown>[];
/** A permutation of `values`, from random sort keys. */
const permute = <T>(values: readonly T[], keys: readonly number[]): T[] =>
  values.map((v, i) => [v, keys[i % Math.max(1, keys.length)]! * 1000 + i] as const).sort((a, b) => a[1] - b[1]).map(([v]) => v);
const orderArb = fc.array(fc.nat(), { minLength: 1, maxLength: 20 });

describe('merge properties: random fragments and policies', () => {
  it('renders routes that pass Istio\'s schema and the structural rules, or nothing, with an error', () => {
    let rendered = 0;
    fc.assert(
      fc.property(fragmentsArb(), policyArb, (fragments, policy) => {
        const out = run(fragments, { policy });
        if (out.results.some((r) => r.severity === 'error')) {
          expect(out.objects).toEqual([]);
          expect(out.retired).toEqual([]);
          return;
        }
        if (out.objects.length > 0) rendered++;
        expect(routingProblems(objectsOf(out))).toEqual([]);
      }),
      { numRuns: RUNS },
    );
    expect(rendered).toBeGreaterThan(RUNS / 4); // the arbitraries really produce renders, not only errors
  });

  it('puts every fragment in the output or names it in a result', () => {
    fc.assert(
      fc.property(fragmentsArb(), policyArb, (fragments, policy) => {
        const out = run(fragments, { policy });
        if (out.results.some((r) => r.severity === 'error')) return; // renders nothing; the error is the answer
        expect(lostFragments(fragments, out.results, objectsOf(out))).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('gives the same bytes for any input order', () => {
    fc.assert(
      fc.property(fragmentsArb(), policyArb, orderArb, (fragments, policy, order) => {
        expect(bytes(run(permute(fragments, order), { policy }))).toBe(bytes(run(fragments, { policy })));
      }),
      { numRuns: RUNS },
    );
  });

  it('renders the same objects again when its output is fed back as base objects', () => {
    fc.assert(
      fc.property(fragmentsArb(), policyArb, (fragments, policy) => {
        const first = run(fragments, { policy });
        const second = run(fragments, { policy, istioObjects: first.objects.map((object) => ({ object: object as unknown as KubeObject, source: {} })) });
        expect(second.objects).toEqual(first.objects);
        expect(second.retired).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('KRM function properties: ResourceList text, any style, any order', () => {
  interface Case {
    fragments: FragmentObject[];
    items: string[];
    policy: unknown;
    anchor: boolean;
  }
  const caseArb: fc.Arbitrary<Case> = fc
    .record({ fragments: fragmentsArb(10), policy: policyArb, styles: fc.array(itemStyleArb, { minLength: 12, maxLength: 12 }), anchor: fc.boolean() })
    .map(({ fragments, policy, styles, anchor }) => ({
      fragments,
      policy,
      anchor,
      // Each object keeps its file (and so its source) whatever the order it arrives in.
      items: [
        ...fragments.map((f, i) => itemText(f as unknown as Record<string, unknown>, `fragments/${f.metadata.namespace ?? 'cluster'}/${f.metadata.name}-${i}.yaml`, styles[i % styles.length]!)),
        ...PASS_THROUGH.map((o, i) => itemText(o, `deploy/${i}.yaml`, styles[11]!)),
      ],
    }));

  /** The item regions of a ResourceList's text (each `- ` at column 0 up to the next), and its results. */
  const split = (text: string) => {
    const lines = text.split('\n');
    const regions: string[] = [];
    let i = lines.indexOf('items:') + 1;
    while (i < lines.length && lines[i]!.startsWith('- ')) {
      let j = i + 1;
      while (j < lines.length && (lines[j]!.startsWith('  ') || lines[j] === '')) j++;
      regions.push(lines.slice(i, j).join('\n'));
      i = j;
    }
    return { regions, results: text.slice(text.indexOf('\nresults:')) };
  };
  const withoutResults = (text: string) => text.replace(/^results:[\s\S]*$/m, '');

  it('never crashes; renders valid routes and loses no fragment, or renders nothing with an error; any order gives the same items and results', () => {
    let rendered = 0;
    fc.assert(
      fc.property(caseArb, orderArb, ({ fragments, items, policy, anchor }, order) => {
        const text = resourceListText(items, policy, { anchor });
        const out = fn(text, NOW);
        const list = parse(out.stdout) as { items: Record<string, unknown>[]; results: { severity: string; message: string }[] };
        expect(list.results.length).toBeGreaterThan(0);
        for (const r of list.results) expect(r.message).not.toContain('\n'); // one line each: never a stack trace
        const { regions, results } = split(out.stdout);
        if (out.exitCode !== 0) {
          expect(list.results.some((r) => r.severity === 'error')).toBe(true);
          expect(regions).toEqual(split(text).regions); // a failed render changes nothing
        } else {
          rendered++;
          const routing = list.items.filter((o) => o.kind === 'VirtualService' || o.kind === 'DestinationRule');
          expect(routingProblems(routing)).toEqual([]);
          expect(lostFragments(fragments, out.results, routing)).toEqual([]);
        }
        const shuffled = fn(resourceListText(permute(items, order), policy, { anchor }), NOW);
        expect(shuffled.exitCode).toBe(out.exitCode);
        const again = split(shuffled.stdout);
        expect(again.results).toBe(results);
        expect([...again.regions].sort()).toEqual([...regions].sort());
      }),
      { numRuns: FN_RUNS },
    );
    expect(rendered).toBeGreaterThan(FN_RUNS / 5);
  });

  it('its output, fed back, comes out unchanged', () => {
    fc.assert(
      fc.property(caseArb, ({ items, policy, anchor }) => {
        const first = fn(resourceListText(items, policy, { anchor }), NOW);
        if (first.exitCode !== 0) return;
        const second = fn(withoutResults(first.stdout), NOW);
        expect(second.exitCode).toBe(0);
        expect(withoutResults(second.stdout)).toBe(withoutResults(first.stdout));
      }),
      { numRuns: FN_RUNS },
    );
  });
});

describe('the checks can fail', () => {
  const vs = (http: unknown[]) => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'checkout', namespace: 'shop' }, spec: { hosts: ['checkout'], http } });
  const dr = { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'checkout', namespace: 'shop' }, spec: { host: 'checkout', subsets: [{ name: 'v1', labels: { version: 'v1' } }] } };
  const to = (subset: string, weight: unknown) => ({ destination: { host: 'checkout', subset }, weight });
  it.each([
    ['a catch-all before another route', [{ name: 'a', route: [to('v1', 100)] }, { name: 'b', match: [{ headers: { 'x-branch': { exact: 'x' } } }], route: [to('v1', 100)] }], /catch-all/],
    ['weights that sum to 99', [{ name: 'a', route: [to('v1', 99)] }], /sum to 99/],
    ['a subset the DestinationRule lacks', [{ name: 'a', route: [to('v9', 100)] }], /v9 is not in the DestinationRule/],
    ['two routes for one header value', [1, 2].map((n) => ({ name: `r${n}`, match: [{ headers: { 'x-branch': { exact: 'x' } } }], route: [to('v1', 100)] })), /same match/],
    ['a negative weight', [{ name: 'a', route: [to('v1', 101), { destination: { host: 'checkout', subset: 'v1' }, weight: -1 }] }], /weight -1/],
    ['a field Switchyard never writes', [{ name: 'a', route: [to('v1', 100)], mirror: { host: 'x' } }], /unexpected field mirror/],
    ['a header Envoy owns', [{ name: 'a', match: [{ headers: { 'x-envoy-foo': { exact: 'x' } } }], route: [to('v1', 100)] }], /header x-envoy-foo/],
  ])('%s', (_, http, problem) => {
    expect(structuralProblems([vs(http), dr]).join('\n')).toMatch(problem);
  });
  it('Istio\'s schema refuses a weight that is not a number', () => {
    expect(routingProblems([vs([{ name: 'a', route: [to('v1', 'all')] }]), dr]).join('\n')).toMatch(/weight must be integer/);
  });
});
