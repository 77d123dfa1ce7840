// Route order is the routing: Istio takes the first http route whose match fits. These tables pin
// the five groups of the contract ("Merge rules"), the route names, header and match options, and
// the VirtualService hosts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HTTPMatchRequest, HTTPRoute, StringMatch, VirtualService } from '../../src/model/istio.ts';
import type { MergeOutput } from '../../src/merge/merge.ts';
import { branch, fragment, policy, release, run } from '../builders.ts';

/** Table rows named by their `case`, printed in full (vitest's `$case` cuts names at 40 characters). */
const rows = <T extends { case: string }>(table: T[]): [string, T][] => table.map((row) => [row.case, row]);

/** The shop/checkout VirtualService of a run that must have rendered one. */
function virtualService(out: MergeOutput, namespace = 'shop', service = 'checkout'): VirtualService {
  const vs = out.objects.find((o): o is VirtualService => o.kind === 'VirtualService' && o.metadata.name === service && o.metadata.namespace === namespace);
  if (!vs) throw new Error(`no VirtualService ${namespace}/${service}; results: ${out.results.map((r) => r.message).join(' | ')}`);
  return vs;
}

const op = (m: StringMatch): string => ('exact' in m ? `=${m.exact}` : 'prefix' in m ? `^=${m.prefix}` : `~=${m.regex}`);
const showMatch = (m: HTTPMatchRequest): string =>
  [m.authority ? `host${op(m.authority)}` : undefined, ...Object.entries(m.headers ?? {}).map(([h, s]) => `${h}${op(s)}`)].filter(Boolean).join(' & ');

/** `name [match | match] -> subset:weight, ...`; a catch-all has no brackets. */
const showRoute = (r: HTTPRoute): string =>
  `${r.name}${r.match ? ` [${r.match.map(showMatch).join(' | ')}]` : ''} -> ${r.route.map((d) => `${d.destination.subset}:${d.weight}`).join(', ')}`;

const routes = (out: MergeOutput, namespace?: string, service?: string): string[] => virtualService(out, namespace, service).spec.http.map(showRoute);

const P = 'shop.example.com';
const S = 'staging.shop.example.com';
const PS = 'pre-staging.shop.example.com';

describe('route order: the five groups', () => {
  const everything = [
    release('prod-v1', 'production', 1),
    release('staging-v1', 'staging', 1),
    release('pre-v1', 'pre-staging', 1),
    branch('feature-b', 'feature-b'),
    branch('feature-a', 'feature-a'),
    branch('scoped-z', 'scoped-z', { environment: 'staging' }),
    branch('scoped-a', 'scoped-a', { environment: 'pre-staging' }),
  ];

  it('orders scoped branches, protected hosts, unscoped branches, other environments, then the catch-all', () => {
    expect(routes(run(everything))).toEqual([
      // 1. scoped branch routes: the environment's hosts AND the header; ties by fragment name, not policy order
      `branch:scoped-a [host=${PS} & x-branch=scoped-a] -> scoped-a:100`,
      `branch:scoped-z [host=${S} & x-branch=scoped-z] -> scoped-z:100`,
      // 2. allowBranches: false environments: their hosts
      `environment:production [host=${P}] -> prod-v1:100`,
      // 3. unscoped branch routes: the header alone
      'branch:feature-a [x-branch=feature-a] -> feature-a:100',
      'branch:feature-b [x-branch=feature-b] -> feature-b:100',
      // 4. other non-default environments in policy order
      `environment:staging [host=${S}] -> staging-v1:100`,
      `environment:pre-staging [host=${PS}] -> pre-v1:100`,
      // 5. the default environment: no match, last
      'default:production -> prod-v1:100',
    ]);
  });

  it('writes the exact Istio shape of a scoped branch route and of the catch-all', () => {
    const http = virtualService(run([release('prod-v1', 'production', 1), branch('scoped-z', 'scoped-z', { environment: 'staging' })])).spec.http;
    expect(http[0]).toEqual({
      name: 'branch:scoped-z',
      match: [{ authority: { exact: S }, headers: { 'x-branch': { exact: 'scoped-z' } } }],
      route: [{ destination: { host: 'checkout', subset: 'scoped-z' }, weight: 100 }],
    });
    expect(http.at(-1)).toEqual({ name: 'default:production', route: [{ destination: { host: 'checkout', subset: 'prod-v1' }, weight: 100 }] });
    expect(Object.keys(http.at(-1)!)).not.toContain('match');
  });

  it('gives any input order the same routes (order independence)', () => {
    const expected = run(everything);
    fc.assert(
      fc.property(fc.shuffledSubarray(everything, { minLength: everything.length }), (shuffled) => {
        expect(JSON.stringify(run(shuffled))).toBe(JSON.stringify(expected));
      }),
      { numRuns: 50 },
    );
  });

  it('has exactly one catch-all, and it is the last route', () => {
    const http = virtualService(run(everything)).spec.http;
    const catchAlls = http.filter((r) => r.match === undefined);
    expect(catchAlls.map((r) => r.name)).toEqual(['default:production']);
    expect(http.at(-1)!.name).toBe('default:production');
  });

  it('never lets a branch route reach the hosts of an allowBranches: false environment, nor match without its header', () => {
    for (const route of virtualService(run(everything)).spec.http.filter((r) => r.name.startsWith('branch:'))) {
      for (const m of route.match ?? []) {
        expect(m.headers).toBeDefined();
        expect(m.authority).not.toEqual({ exact: P });
      }
      expect(route.match).toBeDefined();
    }
  });
});

describe('route order: policy variations', () => {
  const twoHostPolicy = policy({
    environments: [
      { name: 'production', hosts: ['shop.example.com', 'www.shop.example.com'], default: true, allowBranches: false },
      { name: 'staging', hosts: ['staging.shop.example.com', 'staging2.shop.example.com'] },
      { name: 'partner', hosts: ['partner.shop.example.com'], allowBranches: false },
      { name: 'qa', hosts: ['qa.shop.example.com'] },
    ],
  });
  const defaultAllowsBranches = policy({
    environments: [
      { name: 'staging', hosts: [S] },
      { name: 'production', hosts: [P], default: true },
    ],
  });
  const noDefault = policy({ environments: [{ name: 'staging', hosts: [S] }] });
  const protectedDefaultWithoutHosts = policy({
    environments: [
      { name: 'mesh-only', default: true, allowBranches: false },
      { name: 'staging', hosts: [S] },
    ],
  });

  it.each(rows([
    {
      case: 'an environment with several hosts gets one match per host, a scoped branch one per host with the header',
      policy: twoHostPolicy,
      fragments: [release('p1', 'production', 1), release('s1', 'staging', 1), branch('scoped', 'x', { environment: 'staging' })],
      routes: [
        'branch:scoped [host=staging.shop.example.com & x-branch=x | host=staging2.shop.example.com & x-branch=x] -> scoped:100',
        'environment:production [host=shop.example.com | host=www.shop.example.com] -> p1:100',
        'environment:staging [host=staging.shop.example.com | host=staging2.shop.example.com] -> s1:100',
        'default:production -> p1:100',
      ],
    },
    {
      case: 'several allowBranches: false environments come before unscoped branches, in policy order',
      policy: twoHostPolicy,
      fragments: [release('q1', 'qa', 1), release('pa1', 'partner', 1), release('p1', 'production', 1), branch('b', 'b')],
      routes: [
        'environment:production [host=shop.example.com | host=www.shop.example.com] -> p1:100',
        'environment:partner [host=partner.shop.example.com] -> pa1:100',
        'branch:b [x-branch=b] -> b:100',
        'environment:qa [host=qa.shop.example.com] -> q1:100',
        'default:production -> p1:100',
      ],
    },
    {
      case: 'a default environment that allows branches gets only the catch-all, after the unscoped branches',
      policy: defaultAllowsBranches,
      fragments: [release('p1', 'production', 1), release('s1', 'staging', 1), branch('b', 'b')],
      routes: ['branch:b [x-branch=b] -> b:100', `environment:staging [host=${S}] -> s1:100`, 'default:production -> p1:100'],
    },
    {
      case: 'a branch may be scoped to the default environment when it allows branches',
      policy: defaultAllowsBranches,
      fragments: [release('p1', 'production', 1), branch('b', 'b', { environment: 'production' })],
      routes: [`branch:b [host=${P} & x-branch=b] -> b:100`, 'default:production -> p1:100'],
    },
    {
      case: 'a protected default environment without hosts has no host route, only the catch-all',
      policy: protectedDefaultWithoutHosts,
      fragments: [release('m1', 'mesh-only', 1), branch('b', 'b')],
      routes: ['branch:b [x-branch=b] -> b:100', 'default:mesh-only -> m1:100'],
    },
    {
      case: 'an environment without a release of the service has no route',
      policy: undefined,
      fragments: [release('p1', 'production', 1), release('pre1', 'pre-staging', 1)],
      routes: [`environment:production [host=${P}] -> p1:100`, `environment:pre-staging [host=${PS}] -> pre1:100`, 'default:production -> p1:100'],
    },
    {
      case: 'no default environment: no catch-all at all',
      policy: noDefault,
      fragments: [release('s1', 'staging', 1), branch('b', 'b')],
      routes: ['branch:b [x-branch=b] -> b:100', `environment:staging [host=${S}] -> s1:100`],
    },
  ]))('%s', (_, { policy: p, fragments, routes: expected }) => {
    const out = run(fragments, p ? { policy: p } : {});
    expect(out.results.filter((r) => r.severity === 'error')).toEqual([]);
    expect(routes(out)).toEqual(expected);
    expect(virtualService(out).spec.http.filter((r) => r.match === undefined).length).toBeLessThanOrEqual(1);
  });

  it.each(rows([
    {
      case: 'no default environment',
      policy: noDefault,
      fragments: [release('s1', 'staging', 1)],
      message: 'VirtualService shop/checkout: the policy names no default environment, so requests that match no host or branch get no route (404).',
    },
    {
      case: 'the default environment has no stable release of the service',
      policy: undefined,
      fragments: [release('s1', 'staging', 1)],
      message:
        'VirtualService shop/checkout: environment production (the default) has no stable release of service checkout, so requests that match no route get none (404); add a release fragment for production.',
    },
  ]))('warns when there is no catch-all: %s', (_, { policy: p, fragments, message }) => {
    const out = run(fragments, p ? { policy: p } : {});
    expect(virtualService(out).spec.http.some((r) => r.match === undefined)).toBe(false);
    expect(out.results.filter((r) => r.severity === 'warning').map((r) => r.message)).toEqual([message]);
  });
});

describe('route names and ties', () => {
  it.each([
    { input: ['c', 'a', 'b'], order: ['branch:a', 'branch:b', 'branch:c'] },
    { input: ['feature-10', 'feature-9', 'bugfix-1'], order: ['branch:bugfix-1', 'branch:feature-10', 'branch:feature-9'] },
  ])('unscoped branches $input route in fragment-name order', ({ input, order }) => {
    const out = run([release('v1', 'production', 1), ...input.map((n) => branch(n, `value-${n}`))]);
    expect(virtualService(out).spec.http.map((r) => r.name).filter((n) => n.startsWith('branch:'))).toEqual(order);
  });

  it('orders by fragment name, not by header value or subset name', () => {
    const out = run([
      release('v1', 'production', 1),
      fragment('b-first', { branch: { value: 'zzz' }, subset: { name: 'zz-subset' } }),
      fragment('a-first', { branch: { value: 'aaa' }, subset: { name: 'aa-subset' } }),
      fragment('c-first', { branch: { value: 'mmm' }, subset: { name: '00-subset' } }),
    ]);
    expect(routes(out).slice(1, 4)).toEqual(['branch:a-first [x-branch=aaa] -> aa-subset:100', 'branch:b-first [x-branch=zzz] -> zz-subset:100', 'branch:c-first [x-branch=mmm] -> 00-subset:100']);
  });

  it('names every route after where it came from, and no two routes alike', () => {
    const out = run([release('p1', 'production', 1), release('s1', 'staging', 1), branch('feature-x', 'x'), branch('feature-y', 'y', { environment: 'staging' })]);
    const names = virtualService(out).spec.http.map((r) => r.name);
    expect(names).toEqual(['branch:feature-y', 'environment:production', 'branch:feature-x', 'environment:staging', 'default:production']);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('header and match options', () => {
  const allowing = (extra: Record<string, unknown>) => policy(extra as never);

  it.each(rows([
    { case: 'default header, exact', policy: undefined, extra: {}, route: 'branch:b [x-branch=feat] -> b:100' },
    { case: 'another branchHeader', policy: allowing({ branchHeader: 'x-build' }), extra: {}, route: 'branch:b [x-build=feat] -> b:100' },
    { case: 'a custom header the policy allows', policy: allowing({ allowedHeaders: ['x-branch', 'x-tenant'] }), extra: { header: 'x-tenant' }, route: 'branch:b [x-tenant=feat] -> b:100' },
    { case: 'explicit exact match', policy: undefined, extra: { match: 'exact' }, route: 'branch:b [x-branch=feat] -> b:100' },
    { case: 'prefix, when allowed', policy: allowing({ allowedMatches: ['exact', 'prefix'] }), extra: { match: 'prefix' }, route: 'branch:b [x-branch^=feat] -> b:100' },
    { case: 'regex, when allowed', policy: allowing({ allowedMatches: ['regex'] }), extra: { match: 'regex' }, route: 'branch:b [x-branch~=feat] -> b:100' },
    {
      case: 'scoped, custom header and prefix together',
      policy: allowing({ allowedHeaders: ['x-tenant'], allowedMatches: ['prefix'] }),
      extra: { header: 'x-tenant', match: 'prefix', environment: 'staging' },
      route: `branch:b [host=${S} & x-tenant^=feat] -> b:100`,
    },
  ]))('%s', (_, { policy: p, extra, route }) => {
    const out = run([release('v1', 'production', 1), branch('b', 'feat', extra)], p ? { policy: p } : {});
    expect(out.results.filter((r) => r.severity !== 'info')).toEqual([]);
    expect(routes(out).filter((r) => r.startsWith('branch:'))).toEqual([route]);
  });

  it('writes a regex match as Istio StringMatch.regex', () => {
    const out = run([release('v1', 'production', 1), branch('b', '^feat-[0-9]+$', { match: 'regex' })], { policy: allowing({ allowedMatches: ['exact', 'regex'] }) });
    expect(virtualService(out).spec.http.find((r) => r.name === 'branch:b')!.match).toEqual([{ headers: { 'x-branch': { regex: '^feat-[0-9]+$' } } }]);
  });
});

describe('VirtualService hosts and the mesh gateway', () => {
  const allHosts = [PS, P, S].sort();
  it.each(rows([
    { case: 'no gateways given', gateways: undefined, hosts: ['checkout', ...allHosts].sort() },
    { case: 'an empty gateway list', gateways: [], hosts: ['checkout', ...allHosts].sort() },
    { case: 'mesh alone', gateways: ['mesh'], hosts: ['checkout', ...allHosts].sort() },
    { case: 'mesh among gateways', gateways: ['istio-system/public-gateway', 'mesh'], hosts: ['checkout', ...allHosts].sort() },
    { case: 'only an ingress gateway', gateways: ['istio-system/public-gateway'], hosts: allHosts },
    { case: 'two ingress gateways', gateways: ['istio-system/a', 'istio-system/b'], hosts: allHosts },
  ]))('%s', (_, { gateways, hosts }) => {
    const out = run([release('v1', 'production', 1)], { policy: policy(gateways === undefined ? {} : { gateways }) });
    const vs = virtualService(out);
    expect(vs.spec.hosts).toEqual(hosts);
    expect(vs.spec.gateways).toEqual(gateways);
  });

  it('uses the service name of each VirtualService as its mesh host', () => {
    const cart = fragment('cart-v1', { service: 'cart', release: { environment: 'production', revision: 1 } });
    const out = run([release('v1', 'production', 1), cart]);
    expect(virtualService(out, 'shop', 'cart').spec.hosts).toContain('cart');
    expect(virtualService(out, 'shop', 'cart').spec.hosts).not.toContain('checkout');
    expect(virtualService(out, 'shop', 'cart').spec.http.flatMap((r) => r.route.map((d) => d.destination.host))).toEqual(['cart', 'cart']);
  });
});

describe('one VirtualService per namespace and service', () => {
  it('renders each (namespace, service) on its own', () => {
    const out = run([
      release('v1', 'production', 1),
      fragment('eu-v1', { release: { environment: 'production', revision: 1 } }, 'shop-eu'),
      fragment('cart-v1', { service: 'cart', release: { environment: 'production', revision: 7 } }),
      fragment('eu-b', { branch: { value: 'x' } }, 'shop-eu'),
    ]);
    const ids = out.objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`);
    expect([...ids].sort()).toEqual([
      'DestinationRule shop-eu/checkout',
      'DestinationRule shop/cart',
      'DestinationRule shop/checkout',
      'VirtualService shop-eu/checkout',
      'VirtualService shop/cart',
      'VirtualService shop/checkout',
    ]);
    // each service's VirtualService is followed by its DestinationRule
    ids.forEach((id, i) => {
      if (id.startsWith('VirtualService ')) expect(ids[i + 1]).toBe(id.replace('VirtualService', 'DestinationRule'));
    });
    expect(routes(out, 'shop-eu', 'checkout')).toEqual([`environment:production [host=${P}] -> eu-v1:100`, 'branch:eu-b [x-branch=x] -> eu-b:100', 'default:production -> eu-v1:100']);
    expect(routes(out, 'shop', 'checkout')).toEqual([`environment:production [host=${P}] -> v1:100`, 'default:production -> v1:100']);
  });
});
