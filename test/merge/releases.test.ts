// An environment's traffic: the live stable release (highest revision without weight) takes what
// its canaries leave; weights sum to 100; rollback, promotion, and the errors of release fragments.
import { describe, expect, it } from 'vitest';
import type { DestinationRule, VirtualService } from '../../src/model/istio.ts';
import type { MergeOutput } from '../../src/merge/merge.ts';
import { fragment, policy, release, run } from '../builders.ts';

/** Table rows named by their `case`, printed in full (vitest's `$case` cuts names at 40 characters). */
const rows = <T extends { case: string }>(table: T[]): [string, T][] => table.map((row) => [row.case, row]);

const vs = (out: MergeOutput): VirtualService => out.objects.find((o): o is VirtualService => o.kind === 'VirtualService')!;
const dr = (out: MergeOutput): DestinationRule => out.objects.find((o): o is DestinationRule => o.kind === 'DestinationRule')!;

/** `subset:weight, ...` of an environment's route (the catch-all for the default one), or undefined if it has none. */
function shares(out: MergeOutput, environment: string): string | undefined {
  const route = vs(out).spec.http.find((r) => r.name === `environment:${environment}` || r.name === `default:${environment}`);
  return route?.route?.map((d) => `${d.destination.subset}:${d.weight}`).join(', ');
}
const subsets = (out: MergeOutput): string[] => dr(out).spec.subsets.map((s) => s.name);

describe('an environment takes its live stable release and its canaries', () => {
  it.each(rows([
    { case: 'one stable release', fragments: [release('v1', 'production', 1)], production: 'v1:100', subsets: ['v1'] },
    {
      case: 'the stable release with the highest revision is live; older stable releases keep their subsets',
      fragments: [release('v1', 'production', 1), release('v3', 'production', 3), release('v2', 'production', 2)],
      production: 'v3:100',
      subsets: ['v1', 'v2', 'v3'],
    },
    {
      case: 'revision decides, not the fragment name',
      fragments: [release('a-newest', 'production', 10), release('z-oldest', 'production', 2)],
      production: 'a-newest:100',
      subsets: ['a-newest', 'z-oldest'],
    },
    {
      case: 'revision is compared as a number (10 > 9)',
      fragments: [release('r9', 'production', 9), release('r10', 'production', 10)],
      production: 'r10:100',
      subsets: ['r10', 'r9'],
    },
    {
      case: 'a canary takes its weight, the live stable the rest',
      fragments: [release('v2', 'production', 2), release('v3', 'production', 3, 10)],
      production: 'v2:90, v3:10',
      subsets: ['v2', 'v3'],
    },
    {
      case: 'a 1% canary',
      fragments: [release('v2', 'production', 2), release('v3', 'production', 3, 1)],
      production: 'v2:99, v3:1',
      subsets: ['v2', 'v3'],
    },
    {
      case: 'two canaries, each by its weight, after the stable in revision order',
      fragments: [release('v4', 'production', 4, 5), release('v2', 'production', 2), release('v3', 'production', 3, 10)],
      production: 'v2:85, v3:10, v4:5',
      subsets: ['v2', 'v3', 'v4'],
    },
    {
      case: 'canaries that take 100 together leave the stable no route, but its subset',
      fragments: [release('v2', 'production', 2), release('v3', 'production', 3, 60), release('v4', 'production', 4, 40)],
      production: 'v3:60, v4:40',
      subsets: ['v2', 'v3', 'v4'],
    },
    {
      case: 'a canary at 100 takes everything; the stable keeps its subset',
      fragments: [release('v2', 'production', 2), release('v3', 'production', 3, 100)],
      production: 'v3:100',
      subsets: ['v2', 'v3'],
    },
    {
      case: 'rollback: weight 0 takes no traffic, and its subset stays',
      fragments: [release('v2', 'production', 2), release('v3', 'production', 3, 0)],
      production: 'v2:100',
      subsets: ['v2', 'v3'],
    },
    {
      case: 'rollback of one canary of two',
      fragments: [release('v2', 'production', 2), release('v3', 'production', 3, 0), release('v4', 'production', 4, 20)],
      production: 'v2:80, v4:20',
      subsets: ['v2', 'v3', 'v4'],
    },
    {
      case: 'rollback by deleting the canary fragment',
      fragments: [release('v2', 'production', 2)],
      production: 'v2:100',
      subsets: ['v2'],
    },
    {
      case: 'promotion: the canary drops its weight, is newer, and so is live; older stables stay as subsets',
      fragments: [release('v1', 'production', 1), release('v2', 'production', 2), release('v3', 'production', 3)],
      production: 'v3:100',
      subsets: ['v1', 'v2', 'v3'],
    },
    {
      case: 'a canary older than the live stable is still a canary',
      fragments: [release('v3', 'production', 3), release('v2', 'production', 2, 10)],
      production: 'v3:90, v2:10',
      subsets: ['v2', 'v3'],
    },
    {
      case: 'a rolled-back release alone: no traffic, subset kept',
      fragments: [release('v1', 'production', 1), release('s3', 'staging', 3, 0)],
      production: 'v1:100',
      subsets: ['s3', 'v1'],
      staging: undefined,
    },
    {
      case: 'environments are independent, and may reuse revisions',
      fragments: [release('v1', 'production', 1), release('v2', 'production', 2, 30), release('s1', 'staging', 1), release('s2', 'staging', 2, 50)],
      production: 'v1:70, v2:30',
      staging: 's1:50, s2:50',
      subsets: ['s1', 's2', 'v1', 'v2'],
    },
  ]))('%s', (_, { fragments, production, subsets: expectedSubsets, ...rest }) => {
    const out = run(fragments);
    expect(out.results.filter((r) => r.severity === 'error')).toEqual([]);
    expect(shares(out, 'production')).toBe(production);
    if ('staging' in rest) expect(shares(out, 'staging')).toBe(rest.staging);
    expect(subsets(out)).toEqual(expectedSubsets);
    // the default environment's host route and its catch-all send traffic the same way
    const production2 = vs(out).spec.http.filter((r) => r.name.endsWith(':production'));
    expect(production2.map((r) => r.name)).toEqual(['environment:production', 'default:production']);
    expect(production2[0]!.route).toEqual(production2[1]!.route);
    // weights of every route sum to 100, and no destination has weight 0
    for (const route of vs(out).spec.http) {
      expect(route.route!.reduce((sum, d) => sum + d.weight, 0)).toBe(100);
      for (const d of route.route!) expect(d.weight).toBeGreaterThan(0);
    }
  });

  it('walks a whole release: deploy v3 as a 1% canary, then 100%, then promote, then roll back', () => {
    const v2 = release('v2', 'production', 2);
    const steps: [string, ReturnType<typeof release>[], string][] = [
      ['v3 deployed, no traffic yet', [v2, release('v3', 'production', 3, 0)], 'v2:100'],
      ['v3 takes 1%', [v2, release('v3', 'production', 3, 1)], 'v2:99, v3:1'],
      ['v3 takes 100%', [v2, release('v3', 'production', 3, 100)], 'v3:100'],
      ['v3 promoted (stable)', [v2, release('v3', 'production', 3)], 'v3:100'],
      ['rolled back by deleting v3', [v2], 'v2:100'],
    ];
    expect(steps.map(([, fragments]) => shares(run(fragments), 'production'))).toEqual(steps.map(([, , expected]) => expected));
  });
});

describe('release errors name the fragment, the field and the file', () => {
  it.each(rows([
    {
      case: 'canary weights over 100',
      fragments: [release('v2', 'production', 2), release('v3', 'production', 3, 60), release('v4', 'production', 4, 50)],
      errors: [
        ['v3', 'spec.release.weight', 'is 60; the canaries of production (v3: 60, v4: 50) take 110% together, and may take at most 100.'],
        ['v4', 'spec.release.weight', 'is 50; the canaries of production (v3: 60, v4: 50) take 110% together, and may take at most 100.'],
      ],
    },
    {
      case: 'two stable releases of one environment with the same revision',
      fragments: [release('v2', 'production', 2), release('v2-again', 'production', 2)],
      errors: [
        ['v2', 'spec.release.revision', 'is 2, as is RouteFragment shop/v2-again; give each release of production its own revision.'],
        ['v2-again', 'spec.release.revision', 'is 2, as is RouteFragment shop/v2; give each release of production its own revision.'],
      ],
    },
    {
      case: 'a canary and a stable release with the same revision',
      fragments: [release('v1', 'production', 1), release('v2', 'production', 2), release('v2-canary', 'production', 2, 10)],
      errors: [
        ['v2', 'spec.release.revision', 'is 2, as is RouteFragment shop/v2-canary; give each release of production its own revision.'],
        ['v2-canary', 'spec.release.revision', 'is 2, as is RouteFragment shop/v2; give each release of production its own revision.'],
      ],
    },
    {
      case: 'a canary with no stable release',
      fragments: [release('v3', 'production', 3, 10)],
      errors: [
        [
          'v3',
          'spec.release.weight',
          'is 10, but production has no stable release to take the rest of its traffic; release a stable version first (a release without weight), or drop weight to make this one stable.',
        ],
      ],
    },
    {
      case: 'a canary whose only other release is rolled back (weight 0)',
      fragments: [release('s2', 'staging', 2, 0), release('s3', 'staging', 3, 20), release('v1', 'production', 1)],
      errors: [
        [
          's3',
          'spec.release.weight',
          'is 20, but staging has no stable release to take the rest of its traffic; release a stable version first (a release without weight), or drop weight to make this one stable.',
        ],
      ],
    },
  ]))('%s', (_, { fragments, errors }) => {
    const out = run(fragments);
    const got = out.results.filter((r) => r.severity === 'error');
    expect(got.map((r) => [r.resourceRef?.name, r.field?.path, r.message])).toEqual(
      errors.map(([name, field, message]) => [name, field, `RouteFragment shop/${name} (fragments/${name}.yaml): ${field} ${message}`]),
    );
    for (const r of got) {
      expect(r.resourceRef).toEqual({ apiVersion: 'switchyard.dev/v1alpha1', kind: 'RouteFragment', name: r.resourceRef!.name, namespace: 'shop' });
      expect(r.file?.path).toBe(`fragments/${r.resourceRef!.name}.yaml`);
    }
    // a failed render writes nothing and retires nothing
    expect(out.objects).toEqual([]);
    expect(out.retired).toEqual([]);
  });

  it('does not confuse releases of two services with one revision', () => {
    const cart = fragment('cart-v2', { service: 'cart', release: { environment: 'production', revision: 2 } });
    const out = run([release('v2', 'production', 2), cart], { policy: policy({ hostService: 'checkout' }) });
    expect(out.results.filter((r) => r.severity !== 'info')).toEqual([]);
    expect(out.objects.filter((o) => o.kind === 'VirtualService').map((o) => o.metadata.name)).toEqual(['cart', 'checkout', 'checkout.pre-staging', 'checkout.production', 'checkout.staging']);
  });
});
