// Route order is the routing: Istio takes the first http route whose match fits. These tables pin
// the groups of the merge rules (docs/reference.md) for the mesh VirtualService `checkout` and the
// gateway VirtualServices `checkout.<environment>`, the route names, header and match options, the
// fallbacks, and the hosts each VirtualService claims.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HTTPMatchRequest, HTTPRoute, StringMatch, VirtualService } from '../../src/model/istio.ts';
import type { MergeOutput } from '../../src/merge/merge.ts';
import { branch, fragment, policy, release, run } from '../builders.ts';

/** Table rows named by their `case`, printed in full (vitest's `$case` cuts names at 40 characters). */
const rows = <T extends { case: string }>(table: T[]): [string, T][] => table.map((row) => [row.case, row]);

/** The VirtualService `name` (checkout: the mesh one; checkout.staging: staging's at the gateways). */
function virtualService(out: MergeOutput, namespace = 'shop', name = 'checkout'): VirtualService {
  const vs = out.objects.find((o): o is VirtualService => o.kind === 'VirtualService' && o.metadata.name === name && o.metadata.namespace === namespace);
  if (!vs) throw new Error(`no VirtualService ${namespace}/${name}; results: ${out.results.map((r) => r.message).join(' | ')}`);
  return vs;
}

const op = (m: StringMatch): string => ('exact' in m ? `=${m.exact}` : 'prefix' in m ? `^=${m.prefix}` : `~=${m.regex}`);
const showMatch = (m: HTTPMatchRequest): string =>
  [m.authority ? `host${op(m.authority)}` : undefined, ...Object.entries(m.headers ?? {}).map(([h, s]) => `${h}${op(s)}`)].filter(Boolean).join(' & ');
const showHeaders = (r: HTTPRoute): string => {
  const request = r.headers?.request;
  const parts = [...Object.entries(request?.set ?? {}).map(([h, v]) => `set ${h}=${v}`), ...(request?.remove ?? []).map((h) => `remove ${h}`)];
  return parts.length > 0 ? ` {${parts.join('; ')}}` : '';
};

/** `name [match | match] -> subset:weight, ... {set h=v; remove h}`; a catch-all has no brackets. */
const showRoute = (r: HTTPRoute): string =>
  `${r.name}${r.match ? ` [${r.match.map(showMatch).join(' | ')}]` : ''} -> ${
    r.directResponse ? `status ${r.directResponse.status}` : r.route!.map((d) => `${d.destination.subset ?? '(service)'}:${d.weight}`).join(', ')
  }${showHeaders(r)}`;

const routes = (out: MergeOutput, namespace?: string, name?: string): string[] => virtualService(out, namespace, name).spec.http.map(showRoute);
const names = (out: MergeOutput) => out.objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`);

const P = 'shop.example.com';
const S = 'staging.shop.example.com';
const PS = 'pre-staging.shop.example.com';

describe('route order: the mesh VirtualService', () => {
  const everything = [
    release('prod-v1', 'production', 1),
    release('staging-v1', 'staging', 1),
    release('pre-v1', 'pre-staging', 1),
    branch('feature-b', 'feature-b'),
    branch('feature-a', 'feature-a'),
    branch('scoped-z', 'scoped-z', { environment: 'staging' }),
    branch('scoped-a', 'scoped-a', { environment: 'pre-staging' }),
  ];

  it('orders scoped branches, protected environments, unscoped branches, other environments, then the catch-all', () => {
    expect(routes(run(everything))).toEqual([
      // 1. scoped branch routes: the environment header AND the branch header; ties by fragment name
      'branch:scoped-a [x-branch=scoped-a & x-environment=pre-staging] -> scoped-a:100',
      'branch:scoped-z [x-branch=scoped-z & x-environment=staging] -> scoped-z:100',
      // 2. allowBranches: false environments: the environment header; the branch headers go
      'environment:production [x-environment=production] -> prod-v1:100 {remove x-branch}',
      // 3. unscoped branch routes: the branch header alone
      'branch:feature-a [x-branch=feature-a] -> feature-a:100',
      'branch:feature-b [x-branch=feature-b] -> feature-b:100',
      // 4. other non-default environments in policy order
      'environment:staging [x-environment=staging] -> staging-v1:100',
      'environment:pre-staging [x-environment=pre-staging] -> pre-v1:100',
      // 5. the default environment: no match, last
      'default:production -> prod-v1:100',
    ]);
  });

  it('claims only the service name, and never matches a host', () => {
    const vs = virtualService(run(everything));
    expect(vs.spec.hosts).toEqual(['checkout']);
    expect(JSON.stringify(vs.spec.http)).not.toContain('authority');
  });

  it('writes the exact Istio shape of a scoped branch route and of the catch-all', () => {
    const http = virtualService(run([release('prod-v1', 'production', 1), branch('scoped-z', 'scoped-z', { environment: 'staging' })])).spec.http;
    expect(http[0]).toEqual({
      name: 'branch:scoped-z',
      match: [{ headers: { 'x-branch': { exact: 'scoped-z' }, 'x-environment': { exact: 'staging' } } }],
      route: [{ destination: { host: 'checkout', subset: 'scoped-z' }, weight: 100 }],
    });
    expect(http.at(-1)).toEqual({ name: 'default:production', route: [{ destination: { host: 'checkout', subset: 'prod-v1' }, weight: 100 }] });
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

  it('has exactly one catch-all in each VirtualService, and it is the last route', () => {
    for (const vs of run(everything).objects.filter((o): o is VirtualService => o.kind === 'VirtualService')) {
      const catchAlls = vs.spec.http.filter((r) => r.match === undefined);
      expect(catchAlls).toHaveLength(1);
      expect(vs.spec.http.at(-1)).toBe(catchAlls[0]);
    }
  });
});

describe('route order: the gateway VirtualServices', () => {
  const everything = [
    release('prod-v1', 'production', 1),
    release('staging-v1', 'staging', 1),
    branch('feature-a', 'feature-a'),
    branch('scoped-z', 'scoped-z', { environment: 'staging' }),
  ];
  const out = run(everything, { policy: policy({ gateways: ['istio-system/public-gateway', 'mesh'] }) });

  it('makes one per environment host, bound to the gateways without mesh', () => {
    expect(names(out)).toEqual([
      'VirtualService shop/checkout',
      'VirtualService shop/checkout.pre-staging',
      'VirtualService shop/checkout.production',
      'VirtualService shop/checkout.staging',
      'DestinationRule shop/checkout',
    ]);
    expect(virtualService(out, 'shop', 'checkout').spec.gateways).toEqual(['mesh']);
    for (const [env, host] of [['production', P], ['staging', S], ['pre-staging', PS]]) {
      const vs = virtualService(out, 'shop', `checkout.${env}`);
      expect(vs.spec.hosts).toEqual([host]);
      expect(vs.spec.gateways).toEqual(['istio-system/public-gateway']);
    }
  });

  it('a protected environment has no branch route at all, and strips the branch headers', () => {
    expect(routes(out, 'shop', 'checkout.production')).toEqual(['environment:production -> prod-v1:100 {set x-environment=production; remove x-branch}']);
  });

  it('an environment that allows branches: its scoped branches, the unscoped ones, then its catch-all; each route sets the environment header', () => {
    expect(routes(out, 'shop', 'checkout.staging')).toEqual([
      'branch:scoped-z [x-branch=scoped-z] -> scoped-z:100 {set x-environment=staging}',
      'branch:feature-a [x-branch=feature-a] -> feature-a:100 {set x-environment=staging}',
      'environment:staging -> staging-v1:100 {set x-environment=staging}',
    ]);
  });

  it('an environment without a release of its own gets the default environment\'s, with an info result', () => {
    expect(routes(out, 'shop', 'checkout.pre-staging')).toEqual(['branch:feature-a [x-branch=feature-a] -> feature-a:100 {set x-environment=pre-staging}', 'environment:pre-staging -> prod-v1:100 {set x-environment=pre-staging}']);
    expect(out.results).toContainEqual(expect.objectContaining({ severity: 'info', message: expect.stringContaining("environment pre-staging has no live release of service checkout, so its requests go to production's release") }));
  });

  it('an unscoped branch with the same header match as a scoped one is left out where the scoped one answers', () => {
    const both = run([release('p1', 'production', 1), branch('a', 'x'), branch('b', 'x', { environment: 'staging' })]);
    expect(routes(both, 'shop', 'checkout.staging').map((r) => r.split(' ')[0])).toEqual(['branch:b', 'environment:staging']);
    expect(routes(both, 'shop', 'checkout.pre-staging').map((r) => r.split(' ')[0])).toEqual(['branch:a', 'environment:pre-staging']);
  });
});

describe('fallbacks', () => {
  const noDefault = policy({ environments: [{ name: 'staging', hosts: [S] }] });
  it.each(rows([
    {
      case: 'no release anywhere of a service that has releases elsewhere: 503, fail closed',
      policy: undefined,
      fragments: [release('s1', 'staging', 1), branch('b', 'b')],
      vs: 'checkout.production',
      routes: ['environment:production -> status 503 {set x-environment=production; remove x-branch}'],
      message: 'VirtualService shop/checkout: environment production has no live release of service checkout, so its requests get 503 (fail closed: no branch can take them); add a release fragment for production.',
    },
    {
      case: 'a weight-0 canary alone is no release: 503, never http: []',
      policy: undefined,
      fragments: [fragment('c0', { release: { environment: 'production', revision: 2, weight: 0 } })],
      vs: 'checkout.production',
      routes: ['environment:production -> status 503 {set x-environment=production; remove x-branch}'],
      message: undefined,
    },
    {
      case: 'a branch-only service: the Service itself, without subset',
      policy: undefined,
      fragments: [branch('b', 'b')],
      vs: 'checkout',
      routes: ['environment:production [x-environment=production] -> (service):100 {remove x-branch}', 'branch:b [x-branch=b] -> b:100', 'default:production -> (service):100'],
      message: 'VirtualService shop/checkout: environment production has no live release of service checkout, and the service has no release at all, so its requests go to Service checkout itself without subset: every pod it selects, branch builds included, takes them; add a release fragment for production.',
    },
    {
      case: 'no default environment: the mesh catch-all answers 404',
      policy: noDefault,
      fragments: [release('s1', 'staging', 1), branch('b', 'b')],
      vs: 'checkout',
      routes: ['branch:b [x-branch=b] -> b:100', 'environment:staging [x-environment=staging] -> s1:100', 'default -> status 404'],
      message: 'VirtualService shop/checkout: the policy names no default environment, so requests inside the mesh that name no environment and no branch get 404; mark one environment default: true in the policy to give them one.',
    },
  ]))('%s', (_, { policy: p, fragments, vs, routes: expected, message }) => {
    const out = run(fragments, p ? { policy: p } : {});
    expect(out.results.filter((r) => r.severity === 'error')).toEqual([]);
    expect(routes(out, 'shop', vs)).toEqual(expected);
    if (message) expect(out.results.map((r) => r.message)).toContain(message);
    for (const o of out.objects) if (o.kind === 'VirtualService') expect(o.spec.http.length).toBeGreaterThan(0);
  });

  it('never copies a setting Istio refuses beside directResponse', () => {
    const base = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'checkout', namespace: 'shop' }, spec: { http: [{ fault: { abort: { httpStatus: 500, percentage: { value: 1 } } }, rewrite: { uri: '/' }, timeout: '3s' }] } };
    const out = run([release('s1', 'staging', 1)], { istioObjects: [{ object: base, source: { path: 'base.yaml' } }] });
    const route = virtualService(out, 'shop', 'checkout.production').spec.http[0]!;
    expect(route).toMatchObject({ directResponse: { status: 503 }, timeout: '3s' });
    expect(Object.keys(route)).not.toContain('fault');
    expect(Object.keys(route)).not.toContain('rewrite');
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
  const defaultAllowsBranches = policy({ environments: [{ name: 'staging', hosts: [S] }, { name: 'production', hosts: [P], default: true }] });

  it('an environment with several hosts gets one gateway VirtualService claiming them all', () => {
    const out = run([release('p1', 'production', 1), release('s1', 'staging', 1), branch('scoped', 'x', { environment: 'staging' })], { policy: twoHostPolicy });
    expect(virtualService(out, 'shop', 'checkout.staging').spec.hosts).toEqual(['staging.shop.example.com', 'staging2.shop.example.com']);
    expect(routes(out, 'shop', 'checkout.staging')).toEqual(['branch:scoped [x-branch=x] -> scoped:100 {set x-environment=staging}', 'environment:staging -> s1:100 {set x-environment=staging}']);
  });

  it('several allowBranches: false environments come before unscoped branches on the mesh, in policy order', () => {
    const out = run([release('q1', 'qa', 1), release('pa1', 'partner', 1), release('p1', 'production', 1), branch('b', 'b')], { policy: twoHostPolicy });
    expect(routes(out)).toEqual([
      'environment:production [x-environment=production] -> p1:100 {remove x-branch}',
      'environment:partner [x-environment=partner] -> pa1:100 {remove x-branch}',
      'branch:b [x-branch=b] -> b:100',
      'environment:qa [x-environment=qa] -> q1:100',
      'default:production -> p1:100',
    ]);
  });

  it('a default environment that allows branches gets only the catch-all on the mesh, after the unscoped branches', () => {
    const out = run([release('p1', 'production', 1), release('s1', 'staging', 1), branch('b', 'b')], { policy: defaultAllowsBranches });
    expect(routes(out)).toEqual(['branch:b [x-branch=b] -> b:100', 'environment:staging [x-environment=staging] -> s1:100', 'default:production -> p1:100']);
    expect(routes(out, 'shop', 'checkout.production')).toEqual(['branch:b [x-branch=b] -> b:100 {set x-environment=production}', 'environment:production -> p1:100 {set x-environment=production}']);
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
});

describe('header and match options', () => {
  const allowing = (extra: Record<string, unknown>) => policy(extra as never);

  it.each(rows([
    { case: 'default header, exact', policy: undefined, extra: {}, route: 'branch:b [x-branch=feat] -> b:100' },
    { case: 'another branchHeader', policy: allowing({ branchHeader: 'x-build' }), extra: {}, route: 'branch:b [x-build=feat] -> b:100' },
    { case: 'a custom header the policy allows', policy: allowing({ allowedHeaders: ['x-branch', 'x-tenant'] }), extra: { header: 'x-tenant' }, route: 'branch:b [x-tenant=feat] -> b:100' },
    { case: 'prefix, when allowed', policy: allowing({ allowedMatches: ['exact', 'prefix'] }), extra: { match: 'prefix' }, route: 'branch:b [x-branch^=feat] -> b:100' },
    { case: 'regex, when allowed', policy: allowing({ allowedMatches: ['regex'] }), extra: { match: 'regex' }, route: 'branch:b [x-branch~=feat] -> b:100' },
    {
      case: 'scoped, custom header and prefix together',
      policy: allowing({ allowedHeaders: ['x-tenant'], allowedMatches: ['prefix'] }),
      extra: { header: 'x-tenant', match: 'prefix', environment: 'staging' },
      route: 'branch:b [x-environment=staging & x-tenant^=feat] -> b:100',
    },
    { case: 'another environmentHeader', policy: allowing({ environmentHeader: 'x-env' }), extra: { environment: 'staging' }, route: 'branch:b [x-branch=feat & x-env=staging] -> b:100' },
  ]))('%s', (_, { policy: p, extra, route }) => {
    const out = run([release('v1', 'production', 1), branch('b', 'feat', extra)], p ? { policy: p } : {});
    expect(out.results.filter((r) => r.severity === 'error' || r.severity === 'warning')).toEqual([]);
    expect(routes(out).filter((r) => r.startsWith('branch:'))).toEqual([route]);
  });

  it('removes every allowed branch header on protected routes, sorted', () => {
    const out = run([release('v1', 'production', 1)], { policy: allowing({ allowedHeaders: ['x-tenant', 'x-branch', 'x-build'] }) });
    expect(routes(out, 'shop', 'checkout.production')).toEqual(['environment:production -> v1:100 {set x-environment=production; remove x-branch; remove x-build; remove x-tenant}']);
  });
});

describe('VirtualService hosts and the mesh gateway', () => {
  it.each(rows([
    { case: 'no gateways given', gateways: undefined, mesh: { gateways: undefined }, gateway: undefined },
    { case: 'mesh alone', gateways: ['mesh'], mesh: { gateways: ['mesh'] }, gateway: ['mesh'] },
    { case: 'mesh among gateways', gateways: ['istio-system/public-gateway', 'mesh'], mesh: { gateways: ['mesh'] }, gateway: ['istio-system/public-gateway'] },
    { case: 'only an ingress gateway', gateways: ['istio-system/public-gateway'], mesh: undefined, gateway: ['istio-system/public-gateway'] },
    { case: 'two ingress gateways', gateways: ['istio-system/a', 'istio-system/b'], mesh: undefined, gateway: ['istio-system/a', 'istio-system/b'] },
  ]))('%s', (_, { gateways, mesh, gateway }) => {
    const out = run([release('v1', 'production', 1)], { policy: policy(gateways === undefined ? {} : { gateways }) });
    if (mesh) {
      expect(virtualService(out).spec.hosts).toEqual(['checkout']);
      expect(virtualService(out).spec.gateways).toEqual(mesh.gateways);
    } else expect(names(out)).not.toContain('VirtualService shop/checkout');
    expect(virtualService(out, 'shop', 'checkout.production').spec.hosts).toEqual([P]);
    expect(virtualService(out, 'shop', 'checkout.production').spec.gateways).toEqual(gateway);
  });

  it('a service that answers no host gets only its mesh VirtualService', () => {
    const cart = fragment('cart-v1', { service: 'cart', release: { environment: 'production', revision: 1 } });
    const out = run([release('v1', 'production', 1), cart], { policy: policy({ hostService: 'checkout' }) });
    expect(names(out).filter((n) => n.includes('/cart'))).toEqual(['VirtualService shop/cart', 'DestinationRule shop/cart']);
    expect(virtualService(out, 'shop', 'cart').spec.hosts).toEqual(['cart']);
    expect(virtualService(out, 'shop', 'cart').spec.http.flatMap((r) => r.route!.map((d) => d.destination.host))).toEqual(['cart', 'cart']);
  });
});

describe('one set of objects per namespace and service', () => {
  it('renders each (namespace, service) on its own; only the host service answers the hosts', () => {
    const out = run(
      [
        release('v1', 'production', 1),
        fragment('eu-v1', { release: { environment: 'production', revision: 1 } }, 'shop-eu'),
        fragment('cart-v1', { service: 'cart', release: { environment: 'production', revision: 7 } }),
        fragment('eu-b', { branch: { value: 'x' } }, 'shop-eu'),
      ],
      { policy: policy({ hostService: 'shop/checkout' }) },
    );
    expect(names(out)).toEqual([
      'VirtualService shop/cart',
      'DestinationRule shop/cart',
      'VirtualService shop/checkout',
      'VirtualService shop/checkout.pre-staging',
      'VirtualService shop/checkout.production',
      'VirtualService shop/checkout.staging',
      'DestinationRule shop/checkout',
      'VirtualService shop-eu/checkout',
      'DestinationRule shop-eu/checkout',
    ]);
    expect(routes(out, 'shop-eu', 'checkout')).toEqual(['environment:production [x-environment=production] -> eu-v1:100 {remove x-branch}', 'branch:eu-b [x-branch=x] -> eu-b:100', 'default:production -> eu-v1:100']);
  });
});
