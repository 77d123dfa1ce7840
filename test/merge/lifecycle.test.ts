// Cleanup: a fragment past `expires` (relative to the `now` parameter), or whose `workload` is
// missing from an input that carries workloads of that kind, is dropped with an info result.
import { describe, expect, it } from 'vitest';
import type { DestinationRule, VirtualService } from '../../src/model/istio.ts';
import type { RouteFragment } from '../../src/model/kinds.ts';
import type { MergeOutput, WorkloadRef } from '../../src/merge/merge.ts';
import { fragment, NOW, policy, release, run } from '../builders.ts';

/** Table rows named by their `case`, printed in full (vitest's `$case` cuts names at 40 characters). */
const rows = <T extends { case: string }>(table: T[]): [string, T][] => table.map((row) => [row.case, row]);

const routeNames = (out: MergeOutput, namespace = 'shop'): string[] =>
  out.objects.find((o): o is VirtualService => o.kind === 'VirtualService' && o.metadata.namespace === namespace)?.spec.http.map((r) => r.name) ?? [];
const subsets = (out: MergeOutput, namespace = 'shop'): string[] =>
  out.objects.find((o): o is DestinationRule => o.kind === 'DestinationRule' && o.metadata.namespace === namespace)?.spec.subsets.map((s) => s.name) ?? [];
const infos = (out: MergeOutput) => out.results.filter((r) => r.severity === 'info' && r.resourceRef?.kind === 'RouteFragment');
const notInfo = (out: MergeOutput) => out.results.filter((r) => r.severity !== 'info');

const expiring = (name: string, expires: string, namespace?: string) => fragment(name, { branch: { value: name }, expires }, namespace);
const expiredInfo = (name: string, expires: string, namespace = 'shop') =>
  `RouteFragment ${namespace}/${name} (fragments/${name}.yaml): expired at ${expires}; it is left out of the routes, and its file can be deleted.`;

describe('expires', () => {
  const stable = release('v1', 'production', 1);

  it.each(rows([
    { case: 'a day before now: dropped', expires: '2026-11-26T12:00:00Z', dropped: true },
    { case: 'a second before now: dropped', expires: '2026-11-27T11:59:59Z', dropped: true },
    { case: 'a fraction of a second before now: dropped', expires: '2026-11-27T11:59:59.5Z', dropped: true },
    { case: 'in the past with an offset (13:00+02:00 is 11:00Z): dropped', expires: '2026-11-27T13:00:00+02:00', dropped: true },
    { case: 'a second after now: kept', expires: '2026-11-27T12:00:01Z', dropped: false },
    { case: 'a year after now: kept', expires: '2027-11-27T12:00:00Z', dropped: false },
    { case: 'in the future with an offset (11:00-02:00 is 13:00Z): kept', expires: '2026-11-27T11:00:00-02:00', dropped: false },
  ]))('%s', (_, { expires, dropped }) => {
    const out = run([stable, expiring('feature-x', expires)]);
    expect(notInfo(out)).toEqual([]);
    if (dropped) {
      expect(infos(out).map((r) => [r.resourceRef?.name, r.message, r.file?.path])).toEqual([['feature-x', expiredInfo('feature-x', expires), 'fragments/feature-x.yaml']]);
      expect(routeNames(out)).toEqual(['environment:production', 'default:production']);
      expect(subsets(out)).toEqual(['v1']);
    } else {
      expect(infos(out)).toEqual([]);
      expect(routeNames(out)).toEqual(['environment:production', 'branch:feature-x', 'default:production']);
      expect(subsets(out)).toEqual(['feature-x', 'v1']);
    }
  });

  it('is judged against the now parameter, not the clock', () => {
    const f = expiring('feature-x', '2026-11-27T12:00:01Z');
    expect(routeNames(run([stable, f], { now: NOW }))).toContain('branch:feature-x');
    expect(routeNames(run([stable, f], { now: new Date('2026-11-27T12:00:02Z') }))).not.toContain('branch:feature-x');
    expect(routeNames(run([stable, f], { now: new Date('2000-01-01T00:00:00Z') }))).toContain('branch:feature-x');
  });

  it('an expired stable release hands the environment to the previous stable release', () => {
    const v2 = fragment('v2', { release: { environment: 'production', revision: 2 }, expires: '2026-11-01T00:00:00Z' });
    const out = run([stable, v2]);
    expect(infos(out).map((r) => r.message)).toEqual([expiredInfo('v2', '2026-11-01T00:00:00Z')]);
    const vs = out.objects.find((o): o is VirtualService => o.kind === 'VirtualService')!;
    expect(vs.spec.http.at(-1)!.route).toEqual([{ destination: { host: 'checkout', subset: 'v1' }, weight: 100 }]);
    expect(subsets(out)).toEqual(['v1']);
  });

  it('an expired canary gives its weight back', () => {
    const v2 = fragment('v2', { release: { environment: 'production', revision: 2, weight: 30 }, expires: '2026-11-01T00:00:00Z' });
    const out = run([stable, v2]);
    const vs = out.objects.find((o): o is VirtualService => o.kind === 'VirtualService')!;
    expect(vs.spec.http.at(-1)!.route).toEqual([{ destination: { host: 'checkout', subset: 'v1' }, weight: 100 }]);
  });
});

describe('workload', () => {
  const withWorkload = (name: string, workload: { kind: string; name: string }, namespace?: string): RouteFragment =>
    fragment(name, { branch: { value: name }, workload }, namespace);
  const stable = release('v1', 'production', 1);
  const goneInfo = (name: string, kind: string, workload: string, namespace = 'shop') =>
    `RouteFragment ${namespace}/${name} (fragments/${name}.yaml): names ${kind} ${workload} in spec.workload, which is not in the input (other ${kind}s of namespace ${namespace} are); it is left out of the routes, and its file can be deleted.`;

  it.each(rows<{ case: string; workloads: WorkloadRef[]; kept: boolean }>([
    { case: 'present in the same namespace: kept', workloads: [{ kind: 'Deployment', name: 'checkout-x', namespace: 'shop' }], kept: true },
    { case: 'present without a namespace: kept', workloads: [{ kind: 'Deployment', name: 'checkout-x' }], kept: true },
    { case: 'missing while other Deployments are in the input: dropped', workloads: [{ kind: 'Deployment', name: 'checkout-y', namespace: 'shop' }], kept: false },
    {
      case: 'present only in another namespace, while other Deployments of its namespace are in the input: dropped',
      workloads: [
        { kind: 'Deployment', name: 'checkout-x', namespace: 'tools' },
        { kind: 'Deployment', name: 'checkout-y', namespace: 'shop' },
      ],
      kept: false,
    },
    { case: 'no workloads in the input at all: kept', workloads: [], kept: true },
    { case: 'the input carries workloads of other kinds only: kept', workloads: [{ kind: 'StatefulSet', name: 'db', namespace: 'shop' }, { kind: 'Service', name: 'checkout', namespace: 'shop' }], kept: true },
    { case: 'a StatefulSet of that name does not stand for the Deployment: dropped', workloads: [{ kind: 'StatefulSet', name: 'checkout-x', namespace: 'shop' }, { kind: 'Deployment', name: 'checkout-y', namespace: 'shop' }], kept: false },
    {
      case: 'the input carries Deployments of another namespace only (it says nothing about this namespace): kept',
      workloads: [{ kind: 'Deployment', name: 'tooling', namespace: 'tools' }],
      kept: true,
    },
  ]))('%s', (_, { workloads, kept }) => {
    const out = run([stable, withWorkload('feature-x', { kind: 'Deployment', name: 'checkout-x' })], { workloads });
    expect(notInfo(out)).toEqual([]);
    if (kept) {
      expect(infos(out)).toEqual([]);
      expect(routeNames(out)).toContain('branch:feature-x');
    } else {
      expect(infos(out).map((r) => [r.resourceRef?.name, r.message])).toEqual([['feature-x', goneInfo('feature-x', 'Deployment', 'checkout-x')]]);
      expect(routeNames(out)).not.toContain('branch:feature-x');
      expect(subsets(out)).not.toContain('feature-x');
    }
  });

  it('judges each fragment against workloads of its own namespace', () => {
    const out = run(
      [
        stable,
        fragment('v1-eu', { release: { environment: 'production', revision: 1 } }, 'shop-eu'),
        withWorkload('feature-x', { kind: 'Deployment', name: 'checkout-x' }, 'shop'),
        withWorkload('feature-x-eu', { kind: 'Deployment', name: 'checkout-x' }, 'shop-eu'),
      ],
      { policy: policy({ hostService: 'shop/checkout' }), workloads: [{ kind: 'Deployment', name: 'checkout-x', namespace: 'shop-eu' }, { kind: 'Deployment', name: 'checkout-v1', namespace: 'shop' }] },
    );
    expect(infos(out).map((r) => `${r.resourceRef?.namespace}/${r.resourceRef?.name}`)).toEqual(['shop/feature-x']);
    expect(routeNames(out, 'shop')).not.toContain('branch:feature-x');
    expect(routeNames(out, 'shop-eu')).toContain('branch:feature-x-eu');
  });

  it('a release whose Deployment is gone is dropped too, and the previous stable release takes over', () => {
    const v2 = fragment('v2', { release: { environment: 'production', revision: 2 }, workload: { kind: 'Deployment', name: 'checkout-v2' } });
    const out = run([stable, v2], { workloads: [{ kind: 'Deployment', name: 'checkout-v1', namespace: 'shop' }] });
    expect(infos(out).map((r) => r.message)).toEqual([goneInfo('v2', 'Deployment', 'checkout-v2')]);
    expect(subsets(out)).toEqual(['v1']);
  });

  it('a service whose every fragment is dropped renders nothing, with an info for each', () => {
    const out = run([expiring('feature-old', '2026-01-01T00:00:00Z'), withWorkload('feature-gone', { kind: 'Deployment', name: 'gone' })], {
      workloads: [{ kind: 'Deployment', name: 'other', namespace: 'shop' }],
    });
    expect(out.objects).toEqual([]);
    expect(infos(out).map((r) => r.resourceRef?.name)).toEqual(['feature-gone', 'feature-old']);
  });
});
