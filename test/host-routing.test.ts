// Host routing judged by an independent evaluator of Envoy and Istio (test/oracles/envoy-routing.ts):
// no request for a protected environment's host, in any case, with any port or headers, reaches a
// branch subset; no two VirtualServices claim one host on one gateway or the mesh; a request that
// entered on staging's host stays in staging across mesh hops when the application propagates the
// environment and branch headers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { RouteFragment } from '../src/model/kinds.ts';
import { fragment, policy, run } from './builders.ts';
import { istioProblems } from './routing-checks.ts';
import { BUNDLE, ROOT, run as runTool } from './e2e/tools.ts';
import { hostClaimConflicts, nextCall, routeRequest, type Outcome, type VirtualServiceLike } from './oracles/envoy-routing.ts';

const GATEWAY = 'istio-system/public-gateway';
const PROPAGATED = ['x-environment', 'x-branch', 'x-team'];

const isolationPolicy = policy({
  gateways: [GATEWAY, 'mesh'],
  allowedHeaders: ['x-branch', 'x-team'],
  allowedMatches: ['exact', 'prefix', 'regex'],
  environments: [
    { name: 'production', hosts: ['shop.example.com', '*.eu.shop.example.com'], default: true, allowBranches: false },
    { name: 'admin', hosts: ['admin.example.com'], allowBranches: false },
    { name: 'staging', hosts: ['staging.shop.example.com'] },
  ],
});

const service = (name: string, spec: Record<string, unknown>, svc = 'checkout', namespace = 'shop'): RouteFragment => {
  const f = fragment(name, { service: svc, ...spec }, namespace);
  return { ...f, spec: { ...f.spec, subset: { name, labels: { app: svc, version: name } } } } as RouteFragment;
};

const VALUES = ['feature-a', 'feature-b', 'Feature-A', 'fix', 'x'];
const branchArb = fc.record({
  value: fc.constantFrom(...VALUES),
  header: fc.constantFrom('x-branch', 'x-team'),
  match: fc.constantFrom('exact', 'prefix', 'regex'),
  scoped: fc.boolean(),
});

const vsOf = (objects: readonly { kind: string }[]) => objects.filter((o) => o.kind === 'VirtualService') as unknown as VirtualServiceLike[];
const subsetsOf = (o: Outcome) => (o.kind === 'route' ? o.destinations.map((d) => d.subset) : []);

/** A host of a protected environment as a client may write it. */
const protectedHost = fc
  .record({
    host: fc.constantFrom('shop.example.com', 'admin.example.com', 'x.eu.shop.example.com', 'a-b.eu.shop.example.com'),
    upper: fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
    port: fc.option(fc.constantFrom(80, 443, 8080, 31380), { nil: undefined }),
  })
  .map(({ host, upper, port }) => [...host].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('') + (port === undefined ? '' : `:${port}`));

describe('protected hosts', () => {
  it('never reach a branch subset, at the gateway or on the next mesh hop, whatever the host case, port, wildcard subdomain and headers', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(branchArb, { minLength: 1, maxLength: 5, selector: (b) => `${b.header}/${b.value}/${b.match}/${b.scoped}` }),
        fc.boolean(),
        protectedHost,
        fc.record({ 'x-branch': fc.option(fc.constantFrom(...VALUES, 'feature-a-1'), { nil: undefined }), 'x-team': fc.option(fc.constantFrom(...VALUES), { nil: undefined }), 'x-environment': fc.option(fc.constantFrom('staging', 'production', 'admin'), { nil: undefined }) }),
        (branches, canary, authority, rawHeaders) => {
          const fragments = [
            service('v1', { release: { environment: 'production', revision: 1 } }),
            ...(canary ? [service('v2', { release: { environment: 'production', revision: 2, weight: 0 } })] : []),
            service('s1', { release: { environment: 'staging', revision: 1 } }),
            ...branches.map((b, i) => service(`b${i}`, { branch: { value: b.match === 'regex' ? `${b.value}.*` : b.value, header: b.header, match: b.match, ...(b.scoped ? { environment: 'staging' } : {}) } })),
          ];
          const out = run(fragments, { policy: isolationPolicy });
          expect(out.results.filter((r) => r.severity === 'error')).toEqual([]);
          const services = vsOf(out.objects);
          const branchSubsets = new Set(branches.map((_, i) => `b${i}`));
          const headers = Object.fromEntries(Object.entries(rawHeaders).filter(([, v]) => v !== undefined)) as Record<string, string>;
          const first = routeRequest(services, { gateway: GATEWAY }, { authority, headers });
          // Istio gives a wildcard host only the gateway server's port (80 here): another port finds no virtual host (404)
          const wildcardOtherPort = /\.eu\./i.test(authority) && /:(?!80$)\d+$/.test(authority);
          expect(first.kind).toBe(wildcardOtherPort ? 'no-virtual-host' : 'route');
          expect(subsetsOf(first).filter((s) => s !== undefined && branchSubsets.has(s))).toEqual([]);
          // admin has no release of its own: it gets production's (the default's), never a branch
          if (!wildcardOtherPort) expect(subsetsOf(first)).toEqual(['v1']);
          const second = nextCall(services, first, 'checkout', PROPAGATED);
          expect(subsetsOf(second).filter((s) => s !== undefined && branchSubsets.has(s))).toEqual([]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('fail closed: a protected environment without a release, when the default has none either, answers 503 and names it', () => {
    const out = run([service('s1', { release: { environment: 'staging', revision: 1 } }), service('feature-a', { branch: { value: 'feature-a' } })], { policy: isolationPolicy });
    const services = vsOf(out.objects);
    for (const authority of ['admin.example.com', 'SHOP.example.com:8080', 'x.eu.shop.example.com']) {
      expect(routeRequest(services, { gateway: GATEWAY }, { authority, headers: { 'x-branch': 'feature-a' } })).toMatchObject({ kind: 'direct', status: 503 });
    }
    expect(routeRequest(services, { gateway: 'mesh' }, { authority: 'checkout', headers: { 'x-environment': 'admin', 'x-branch': 'feature-a' } })).toMatchObject({ kind: 'direct', status: 503 });
    expect(out.results.map((r) => r.message)).toContainEqual(expect.stringContaining('environment admin has no live release of service checkout, so its requests get 503'));
  });

  it('staging hosts do take branch routes, and only with their header', () => {
    const out = run([service('v1', { release: { environment: 'production', revision: 1 } }), service('s1', { release: { environment: 'staging', revision: 1 } }), service('feature-a', { branch: { value: 'feature-a' } })], { policy: isolationPolicy });
    const services = vsOf(out.objects);
    expect(subsetsOf(routeRequest(services, { gateway: GATEWAY }, { authority: 'Staging.Shop.example.com:8443', headers: { 'x-branch': 'feature-a' } }))).toEqual(['feature-a']);
    expect(subsetsOf(routeRequest(services, { gateway: GATEWAY }, { authority: 'staging.shop.example.com', headers: {} }))).toEqual(['s1']);
    expect(subsetsOf(routeRequest(services, { gateway: GATEWAY }, { authority: 'shop.example.com', headers: { 'x-branch': 'feature-a' } }))).toEqual(['v1']);
  });
});

describe('host claims', () => {
  const names = ['frontend', 'checkout', 'payments'];
  const namespaces = ['shop', 'shop-typo'];
  it('no two VirtualServices of a multi-service render claim one host on one gateway or on the mesh', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ svc: fc.constantFrom(...names), ns: fc.constantFrom(...namespaces), kind: fc.constantFrom('release', 'branch'), env: fc.constantFrom('production', 'staging') }), { minLength: 1, maxLength: 8 }),
        fc.option(fc.constantFrom('frontend', 'shop/frontend', 'checkout'), { nil: undefined }),
        fc.constantFrom<string[] | undefined>([GATEWAY, 'mesh'], ['mesh'], [GATEWAY], undefined),
        (rows, hostService, gateways) => {
          const revisions = new Map<string, number>();
          const fragments = rows.map((row, i) => {
            const key = `${row.ns}/${row.svc}/${row.env}`;
            const revision = (revisions.get(key) ?? 0) + 1;
            revisions.set(key, revision);
            const spec = row.kind === 'release' ? { release: { environment: row.env, revision } } : { branch: { value: `b${i}` } };
            return service(`${row.svc}-f${i}`, spec, row.svc, row.ns);
          });
          const p = policy({ ...(gateways ? { gateways } : {}), ...(hostService ? { hostService } : {}) });
          const out = run(fragments, { policy: p });
          if (out.results.some((r) => r.severity === 'error')) {
            expect(out.objects).toEqual([]);
            return;
          }
          const services = vsOf(out.objects);
          expect(hostClaimConflicts(services)).toEqual([]);
          for (const o of out.objects) expect(istioProblems(o as never)).toEqual([]);
          for (const vs of services) expect(vs.spec.http?.length ?? 0).toBeGreaterThan(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a branch fragment in a typo namespace never changes who answers a host', () => {
    const fragments = [service('v1', { release: { environment: 'production', revision: 1 } }, 'frontend'), service('typo', { branch: { value: 'x' } }, 'frontend', 'shpo')];
    const out = run(fragments, { policy: policy({ gateways: [GATEWAY, 'mesh'] }) });
    expect(out.results.filter((r) => r.severity === 'error')).toEqual([]);
    const answer = routeRequest(vsOf(out.objects), { gateway: GATEWAY }, { authority: 'shop.example.com', headers: { 'x-branch': 'x' } });
    expect(answer).toMatchObject({ kind: 'route', virtualService: 'shop/frontend.production', destinations: [{ host: 'frontend', subset: 'v1', share: 100 }] });
  });

  it('several services with releases and no hostService: an error naming them and the fix', () => {
    const out = run([service('f1', { release: { environment: 'production', revision: 1 } }, 'frontend'), service('c1', { release: { environment: 'production', revision: 1 } }, 'checkout')]);
    expect(out.objects).toEqual([]);
    expect(out.results.map((r) => r.message)).toContainEqual(expect.stringMatching(/spec\.hostService.*shop\/checkout, shop\/frontend.*set spec\.hostService/));
  });
});

describe('a three-service application: frontend → checkout → payments', () => {
  const fragments = ['frontend', 'checkout', 'payments'].flatMap((svc) => [
    service(`${svc}-p1`, { release: { environment: 'production', revision: 1 } }, svc),
    service(`${svc}-s1`, { release: { environment: 'staging', revision: 1 } }, svc),
  ]);
  fragments.push(service('payments-fix', { branch: { value: 'pay-fix', environment: 'staging' } }, 'payments'));
  const out = run(fragments, { policy: policy({ gateways: [GATEWAY, 'mesh'], hostService: 'frontend' }) });
  const services = vsOf(out.objects);
  const journey = (authority: string, headers: Record<string, string>) => {
    const atFrontend = routeRequest(services, { gateway: GATEWAY }, { authority, headers });
    const atCheckout = nextCall(services, atFrontend, 'checkout', ['x-environment', 'x-branch']);
    const atPayments = nextCall(services, atCheckout, 'payments', ['x-environment', 'x-branch']);
    return [atFrontend, atCheckout, atPayments].map(subsetsOf);
  };

  it('renders without errors, and only frontend claims the public hosts', () => {
    expect(out.results.filter((r) => r.severity === 'error')).toEqual([]);
    expect(services.filter((vs) => vs.spec.gateways?.includes(GATEWAY)).map((vs) => vs.metadata.name).sort()).toEqual(['frontend.pre-staging', 'frontend.production', 'frontend.staging']);
    expect(hostClaimConflicts(services)).toEqual([]);
  });
  it("a request on staging's host reaches payments' staging release", () => {
    expect(journey('staging.shop.example.com', {})).toEqual([['frontend-s1'], ['checkout-s1'], ['payments-s1']]);
  });
  it('with the branch header of a payments branch scoped to staging, that branch', () => {
    expect(journey('staging.shop.example.com', { 'x-branch': 'pay-fix' })).toEqual([['frontend-s1'], ['checkout-s1'], ['payments-fix']]);
  });
  it("production's host with the same header stays on production's releases", () => {
    expect(journey('SHOP.example.com:443', { 'x-branch': 'pay-fix', 'x-environment': 'staging' })).toEqual([['frontend-p1'], ['checkout-p1'], ['payments-p1']]);
  });
  it('pre-staging, which has no release, gets production’s release (the default), named in a result', () => {
    expect(journey('pre-staging.shop.example.com', {})).toEqual([['frontend-p1'], ['checkout-p1'], ['payments-p1']]);
    expect(out.results.map((r) => r.message)).toContainEqual(expect.stringContaining('environment pre-staging has no live release of service frontend'));
  });
});

describe('host validation', () => {
  const envs = (hosts: Record<string, string[]>) =>
    Object.entries(hosts).map(([name, h], i) => ({ name, hosts: h, ...(i === 0 ? { default: true } : {}) }));
  const errors = (hosts: Record<string, string[]>) =>
    run([service('v1', { release: { environment: 'production', revision: 1 } })], { policy: policy({ environments: envs(hosts) as never }) })
      .results.filter((r) => r.severity === 'error')
      .map((r) => r.message);
  it.each([
    ['a port', { production: ['shop.example.com:8080'] }, /hosts\[0\] is shop\.example\.com:8080, with a port.*write shop\.example\.com/],
    ['an all-numeric top-level label', { production: ['10.0.0.1'] }, /top-level label 1 is all digits/],
    ['a label over 63 characters', { production: [`${'a'.repeat(64)}.example.com`] }, /of 64 characters; a DNS label has at most 63/],
    ['a name over 253 characters', { production: [Array.from({ length: 6 }, () => 'a'.repeat(50)).join('.')] }, /spec\.environments\[0\]\.hosts\[0\].*253/],
    ['* inside', { production: ['shop.*.example.com'] }, /\* may only stand first/],
    ['bare *', { production: ['*'] }, /is \*, which would take every request/],
    ['a single label (a service\'s short name)', { production: ['checkout'] }, /is checkout, a single label/],
    ['a wildcard over another environment\'s host', { production: ['*.example.com'], staging: ['staging.example.com'] }, /environments\[1\]\.hosts\[0\] is staging\.example\.com, which matches some requests that host \*\.example\.com of environment production/],
    ['nested wildcards', { production: ['*.a.com'], staging: ['*.b.a.com'] }, /is \*\.b\.a\.com, which matches some requests that host \*\.a\.com of environment production/],
  ])('refuses %s', (_case, hosts, message) => {
    expect(errors(hosts)).toContainEqual(expect.stringMatching(message));
  });
  it('accepts wildcards that do not overlap', () => {
    expect(errors({ production: ['shop.example.com', '*.eu.shop.example.com'], staging: ['staging.shop.example.com'] })).toEqual([]);
  });
  it('refuses an environment header that branches use too', () => {
    const out = run([], { policy: policy({ environmentHeader: 'x-branch' }) });
    expect(out.results.map((r) => r.message)).toContainEqual(expect.stringMatching(/spec\.environmentHeader is x-branch, which branch fragments match on too/));
  });
});

describe('examples/three-services/expected.yaml, judged by the oracle', () => {
  const text = readFileSync(join(ROOT, 'examples/three-services/expected.yaml'), 'utf8');
  const services = parseAllDocuments(text).map((d) => d.toJS()).filter((o) => o.kind === 'VirtualService') as VirtualServiceLike[];
  const journey = (authority: string, headers: Record<string, string>) => {
    const atFrontend = routeRequest(services, { gateway: GATEWAY }, { authority, headers });
    const atCheckout = nextCall(services, atFrontend, 'checkout', ['x-environment', 'x-branch']);
    return [atFrontend, atCheckout, nextCall(services, atCheckout, 'payments', ['x-environment', 'x-branch'])].map(subsetsOf);
  };
  it.each([
    ['shop.example.com', {}, [['v1'], ['v1'], ['v1']]],
    ['shop.example.com', { 'x-branch': 'fix-refunds' }, [['v1'], ['v1'], ['v1']]],
    ['staging.shop.example.com', {}, [['v2'], ['v2'], ['v2']]],
    ['staging.shop.example.com', { 'x-branch': 'fix-refunds' }, [['v2'], ['v2'], ['fix-refunds']]],
  ])('%s %j: frontend, checkout, payments get %j', (authority, headers, expected) => {
    expect(journey(authority, headers)).toEqual(expected);
  });
  it('without propagation the environment is lost after the first hop: the default (production) answers', () => {
    const atFrontend = routeRequest(services, { gateway: GATEWAY }, { authority: 'staging.shop.example.com', headers: {} });
    expect(subsetsOf(nextCall(services, atFrontend, 'checkout', []))).toEqual(['v1']);
  });
  it('claims each host once', () => {
    expect(hostClaimConflicts(services)).toEqual([]);
  });
  it('is what `switchyard render examples/three-services` prints', () => {
    const rendered = runTool('node', [BUNDLE, 'render', 'examples/three-services'], { cwd: ROOT });
    expect(rendered.status, rendered.stderr).toBe(0);
    expect(rendered.stdout).toBe(text);
  });
});

describe('host claims against VirtualServices of the input', () => {
  const legacy = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}) => ({
    object: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'legacy', namespace: 'shop', ...meta }, spec },
    source: { path: 'legacy.yaml' },
  });
  const fragments = [service('v1', { release: { environment: 'production', revision: 1 } })];
  const p = policy({ gateways: [GATEWAY, 'mesh'] });
  it.each([
    ['the same host on the same gateway', { hosts: ['shop.example.com'], gateways: [GATEWAY] }, /VirtualService shop\/checkout\.production would claim host shop\.example\.com on gateway istio-system\/public-gateway, which VirtualService shop\/legacy \(legacy\.yaml\) claims too/],
    ['the service name on the mesh, in its long form', { hosts: ['checkout.shop.svc.cluster.local'] }, /VirtualService shop\/checkout would claim host checkout\.shop\.svc\.cluster\.local on the mesh/],
    ['a gateway named without namespace, in the gateway\'s namespace', { hosts: ['SHOP.example.com'], gateways: ['public-gateway'] }, /would claim host shop\.example\.com on gateway istio-system\/public-gateway/],
  ])('fail the render: %s', (_case, spec, message) => {
    const meta = (spec as { gateways?: string[] }).gateways?.[0] === 'public-gateway' ? { namespace: 'istio-system' } : {};
    const out = run(fragments, { policy: p, istioObjects: [legacy(spec, meta) as never] });
    expect(out.objects).toEqual([]);
    expect(out.results.filter((r) => r.severity === 'error').map((r) => r.message)).toContainEqual(expect.stringMatching(message));
  });
  it.each([
    ['another gateway', { hosts: ['shop.example.com'], gateways: ['istio-system/other'] }, {}],
    ['a wildcard over an environment host: a virtual host of its own, the exact host wins (check warns)', { hosts: ['*.example.com'], gateways: [GATEWAY] }, {}],
    ['another namespace on the mesh', { hosts: ['checkout'] }, { namespace: 'other' }],
    ['a VirtualService Switchyard made (managed-by)', { hosts: ['shop.example.com'], gateways: [GATEWAY] }, { labels: { 'app.kubernetes.io/managed-by': 'switchyard' } }],
    ['both exported to their own namespace only: no proxy sees both', { hosts: ['checkout.shop.svc.cluster.local'], exportTo: ['.'] }, { namespace: 'other' }],
  ])('do not fail it: %s', (_case, spec, meta) => {
    const exported = (spec as { exportTo?: string[] }).exportTo ? policy({ gateways: [GATEWAY, 'mesh'], exportTo: ['.'] }) : p;
    const out = run(fragments, { policy: exported, istioObjects: [legacy(spec, meta) as never] });
    expect(out.results.filter((r) => r.severity === 'error')).toEqual([]);
  });
});

describe('hostService', () => {
  const f = (svc: string, ns = 'shop') => service(`${svc}-${ns}-v1`, { release: { environment: 'production', revision: 1 } }, svc, ns);
  it('a hostService with no fragment in the render: no VirtualService for the hosts, and a warning', () => {
    const out = run([f('checkout')], { policy: policy({ hostService: 'frontend' }) });
    expect(out.objects.map((o) => o.metadata.name)).toEqual(['checkout', 'checkout']);
    expect(out.results).toContainEqual(expect.objectContaining({ severity: 'warning', message: expect.stringContaining('spec.hostService is frontend, which has no live RouteFragment in this render, so no VirtualService answers the hosts of environment production (shop.example.com)') }));
  });
  it('a name in two namespaces asks for namespace/name', () => {
    const out = run([f('frontend'), f('frontend', 'shop-eu')], { policy: policy({ hostService: 'frontend' }) });
    expect(out.results.filter((r) => r.severity === 'error').map((r) => r.message)).toContainEqual(expect.stringContaining('is frontend, a service in 2 namespaces (shop/frontend, shop-eu/frontend); write namespace/name.'));
  });
  it('an environment may name its own', () => {
    const p = policy({ hostService: 'frontend', environments: [{ name: 'production', hosts: ['shop.example.com'], default: true, allowBranches: false }, { name: 'staging', hosts: ['admin.example.com'], hostService: 'shop/admin' }] as never });
    const out = run([f('frontend'), f('admin')], { policy: p });
    expect(out.objects.filter((o) => o.kind === 'VirtualService').map((o) => o.metadata.name)).toEqual(['admin', 'admin.staging', 'frontend', 'frontend.production']);
  });
});
