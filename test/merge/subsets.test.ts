// The DestinationRule: one subset per distinct subset of the live fragments, sorted by name; one
// subset name must select the same pods everywhere. Releases are believed over branches.
import { describe, expect, it } from 'vitest';
import type { DestinationRule, VirtualService } from '../../src/model/istio.ts';
import type { RouteFragment } from '../../src/model/kinds.ts';
import type { MergeOutput } from '../../src/merge/merge.ts';
import { fragment, policy, release, run } from '../builders.ts';

/** Table rows named by their `case`, printed in full (vitest's `$case` cuts names at 40 characters). */
const rows = <T extends { case: string }>(table: T[]): [string, T][] => table.map((row) => [row.case, row]);

const dr = (out: MergeOutput, namespace = 'shop', service = 'checkout'): DestinationRule | undefined =>
  out.objects.find((o): o is DestinationRule => o.kind === 'DestinationRule' && o.metadata.namespace === namespace && o.metadata.name === service);
const vs = (out: MergeOutput): VirtualService | undefined => out.objects.find((o): o is VirtualService => o.kind === 'VirtualService');
const routeNames = (out: MergeOutput): string[] => vs(out)?.spec.http.map((r) => r.name) ?? [];

/** A fragment whose subset is `subset` with the given labels (and trafficPolicy). */
const withSubset = (
  name: string,
  role: { branch: { value: string } } | { release: { environment: string; revision: number; weight?: number } },
  subset: string,
  labels: Record<string, string>,
  trafficPolicy?: Record<string, unknown>,
): RouteFragment => fragment(name, { ...role, subset: { name: subset, labels, ...(trafficPolicy ? { trafficPolicy } : {}) } } as never);
const asBranch = (value: string) => ({ branch: { value } });
const asRelease = (environment: string, revision: number, weight?: number) => ({ release: { environment, revision, ...(weight === undefined ? {} : { weight }) } });

const conflict = (name: string, subset: string, others: string[], severity: 'warning' | 'error') =>
  `RouteFragment shop/${name} (fragments/${name}.yaml): spec.subset names subset ${subset}, which ${others
    .map((o) => `RouteFragment shop/${o} (fragments/${o}.yaml)`)
    .join(', ')} defines with other labels, trafficPolicy or port; a subset name must select the same pods everywhere: rename the subset or make the definitions equal.${
    severity === 'warning' ? ' This branch fragment is left out; everything else renders.' : ''
  }`;

describe('DestinationRule subsets', () => {
  it('has host = the service and one subset per distinct subset, sorted by name', () => {
    const out = run([
      release('v2', 'production', 2),
      release('v10', 'production', 10),
      withSubset('feature-b', asBranch('b'), 'b-subset', { app: 'checkout', version: 'b' }),
      withSubset('feature-a', asBranch('a'), 'a-subset', { version: 'a', app: 'checkout' }),
    ]);
    expect(dr(out)!.spec).toEqual({
      host: 'checkout',
      subsets: [
        { name: 'a-subset', labels: { app: 'checkout', version: 'a' } },
        { name: 'b-subset', labels: { app: 'checkout', version: 'b' } },
        { name: 'v10', labels: { app: 'checkout', version: 'v10' } },
        { name: 'v2', labels: { app: 'checkout', version: 'v2' } },
      ],
    });
  });

  it('carries a subset trafficPolicy', () => {
    const tp = { connectionPool: { http: { http2MaxRequests: 10 } } };
    const out = run([withSubset('v1', asRelease('production', 1), 'v1', { app: 'checkout' }, tp)]);
    expect(dr(out)!.spec.subsets).toEqual([{ name: 'v1', labels: { app: 'checkout' }, trafficPolicy: tp }]);
  });

  it.each(rows([
    {
      case: 'a branch and a release sharing a subset with the same labels',
      fragments: [withSubset('v1', asRelease('production', 1), 'v1', { app: 'checkout', version: 'v1' }), withSubset('try-v1', asBranch('try'), 'v1', { app: 'checkout', version: 'v1' })],
      routes: ['environment:production', 'branch:try-v1', 'default:production'],
    },
    {
      case: 'two releases of two environments sharing a subset',
      fragments: [withSubset('p3', asRelease('production', 3), 'v3', { app: 'checkout', version: 'v3' }), withSubset('s3', asRelease('staging', 3), 'v3', { app: 'checkout', version: 'v3' })],
      routes: ['environment:production', 'environment:staging', 'default:production'],
    },
    {
      case: 'two branches sharing a subset, labels in another key order',
      fragments: [
        release('v1', 'production', 1),
        withSubset('b1', asBranch('one'), 'shared', { app: 'checkout', version: 'shared' }),
        withSubset('b2', asBranch('two'), 'shared', { version: 'shared', app: 'checkout' }),
      ],
      routes: ['environment:production', 'branch:b1', 'branch:b2', 'default:production'],
    },
    {
      case: 'the same trafficPolicy in both',
      fragments: [
        withSubset('v1', asRelease('production', 1), 'v1', { app: 'checkout' }, { tls: { mode: 'ISTIO_MUTUAL' } }),
        withSubset('b', asBranch('b'), 'v1', { app: 'checkout' }, { tls: { mode: 'ISTIO_MUTUAL' } }),
      ],
      routes: ['environment:production', 'branch:b', 'default:production'],
    },
  ]))('one subset for %s', (_, { fragments, routes }) => {
    const out = run(fragments);
    expect(out.results.filter((r) => r.severity !== 'info')).toEqual([]);
    const names = dr(out)!.spec.subsets.map((s) => s.name);
    expect(names).toEqual([...new Set(names)].sort());
    expect(names.length).toBe(new Set(fragments.map((f) => f.spec.subset.name)).size);
    expect(routeNames(out)).toEqual(routes);
  });

  it('does not compare subsets of different services or namespaces', () => {
    const out = run([
      withSubset('v1', asRelease('production', 1), 'v1', { app: 'checkout' }),
      fragment('cart-v1', { service: 'cart', release: { environment: 'production', revision: 1 }, subset: { name: 'v1', labels: { app: 'cart' } } }),
      fragment('eu-v1', { release: { environment: 'production', revision: 1 }, subset: { name: 'v1', labels: { app: 'checkout-eu' } } }, 'shop-eu'),
    ], { policy: policy({ hostService: 'shop/checkout' }) });
    expect(out.results.filter((r) => r.severity !== 'info')).toEqual([]);
    expect(dr(out, 'shop', 'checkout')!.spec.subsets).toEqual([{ name: 'v1', labels: { app: 'checkout' } }]);
    expect(dr(out, 'shop', 'cart')!.spec.subsets).toEqual([{ name: 'v1', labels: { app: 'cart' } }]);
    expect(dr(out, 'shop-eu', 'checkout')!.spec.subsets).toEqual([{ name: 'v1', labels: { app: 'checkout-eu' } }]);
  });
});

describe('one subset name with different definitions', () => {
  const v1 = withSubset('v1', asRelease('production', 1), 'v1', { app: 'checkout', version: 'v1' });

  it('branch vs branch: both are quarantined with a warning, the rest renders', () => {
    const out = run([
      v1,
      withSubset('b1', asBranch('one'), 'shared', { app: 'checkout', version: 'one' }),
      withSubset('b2', asBranch('two'), 'shared', { app: 'checkout', version: 'two' }),
    ]);
    expect(out.results.filter((r) => r.severity !== 'info').map((r) => [r.severity, r.resourceRef?.name, r.field?.path, r.message])).toEqual([
      ['warning', 'b1', 'spec.subset', conflict('b1', 'shared', ['b2'], 'warning')],
      ['warning', 'b2', 'spec.subset', conflict('b2', 'shared', ['b1'], 'warning')],
    ]);
    expect(dr(out)!.spec.subsets).toEqual([{ name: 'v1', labels: { app: 'checkout', version: 'v1' } }]);
    expect(routeNames(out)).toEqual(['environment:production', 'default:production']);
  });

  it.each(rows([
    { case: 'other labels', branch: withSubset('b', asBranch('b'), 'v1', { app: 'checkout', version: 'hijack' }) },
    { case: 'an extra label', branch: withSubset('b', asBranch('b'), 'v1', { app: 'checkout', version: 'v1', track: 'x' }) },
    { case: 'another trafficPolicy', branch: withSubset('b', asBranch('b'), 'v1', { app: 'checkout', version: 'v1' }, { tls: { mode: 'DISABLE' } }) },
  ]))('branch vs release (%s): the branch is quarantined, the release kept', (_, { branch }) => {
    for (const fragments of [[v1, branch], [branch, v1]]) {
      const out = run(fragments);
      expect(out.results.filter((r) => r.severity !== 'info').map((r) => [r.severity, r.resourceRef?.name, r.message])).toEqual([['warning', 'b', conflict('b', 'v1', ['v1'], 'warning')]]);
      expect(dr(out)!.spec.subsets).toEqual([{ name: 'v1', labels: { app: 'checkout', version: 'v1' } }]);
      expect(routeNames(out)).toEqual(['environment:production', 'default:production']);
    }
  });

  it('branch vs release, with another branch that agrees with the release: only the differing branch is quarantined', () => {
    const out = run([
      v1,
      withSubset('agrees', asBranch('a'), 'v1', { app: 'checkout', version: 'v1' }),
      withSubset('differs', asBranch('d'), 'v1', { app: 'checkout', version: 'other' }),
    ]);
    expect(out.results.filter((r) => r.severity !== 'info').map((r) => [r.severity, r.resourceRef?.name, r.message])).toEqual([
      ['warning', 'differs', conflict('differs', 'v1', ['agrees', 'v1'], 'warning')],
    ]);
    expect(routeNames(out)).toEqual(['environment:production', 'branch:agrees', 'default:production']);
    expect(dr(out)!.spec.subsets).toEqual([{ name: 'v1', labels: { app: 'checkout', version: 'v1' } }]);
  });

  it('release vs release: an error on both, and the render fails', () => {
    const out = run([
      withSubset('p3', asRelease('production', 3), 'v3', { app: 'checkout', version: 'v3' }),
      withSubset('s3', asRelease('staging', 3), 'v3', { app: 'checkout', version: 'v3-staging' }),
    ]);
    expect(out.results.filter((r) => r.severity !== 'info').map((r) => [r.severity, r.resourceRef?.name, r.field?.path, r.file?.path, r.message])).toEqual([
      ['error', 'p3', 'spec.subset', 'fragments/p3.yaml', conflict('p3', 'v3', ['s3'], 'error')],
      ['error', 's3', 'spec.subset', 'fragments/s3.yaml', conflict('s3', 'v3', ['p3'], 'error')],
    ]);
    expect(out.objects).toEqual([]);
  });

  it('release vs release with a branch as well: releases fail, the branch is quarantined', () => {
    const out = run([
      withSubset('p3', asRelease('production', 3), 'v3', { app: 'checkout', version: 'a' }),
      withSubset('s3', asRelease('staging', 3), 'v3', { app: 'checkout', version: 'b' }),
      withSubset('br', asBranch('x'), 'v3', { app: 'checkout', version: 'a' }),
    ]);
    const bySeverity = (s: string) => out.results.filter((r) => r.severity === s).map((r) => r.resourceRef?.name);
    expect(bySeverity('error')).toEqual(['p3', 's3']);
    expect(bySeverity('warning')).toEqual(['br']);
  });

  it('an empty trafficPolicy is the same policy as none', () => {
    const out = run([v1, withSubset('b', asBranch('b'), 'v1', { app: 'checkout', version: 'v1' }, {})]);
    expect(out.results.filter((r) => r.severity !== 'info')).toEqual([]);
    expect(routeNames(out)).toEqual(['environment:production', 'branch:b', 'default:production']);
  });
});
