// Settings of a whole service: from the policy, else from a base VirtualService/DestinationRule
// in the input; everything else in a base is kept. Idempotence, and retiring what Switchyard made.
import { describe, expect, it } from 'vitest';
import type { DestinationRule, VirtualService } from '../../src/model/istio.ts';
import type { KubeObject, Sourced } from '../../src/model/kinds.ts';
import type { MergeOutput } from '../../src/merge/merge.ts';
import { branch, fragment, policy, release, RENDERED_BY, run } from '../builders.ts';

/** Table rows named by their `case`, printed in full (vitest's `$case` cuts names at 40 characters). */
const rows = <T extends { case: string }>(table: T[]): [string, T][] => table.map((row) => [row.case, row]);

const vs = (out: MergeOutput, service = 'checkout'): VirtualService => out.objects.find((o): o is VirtualService => o.kind === 'VirtualService' && o.metadata.name === service)!;
const dr = (out: MergeOutput, service = 'checkout'): DestinationRule => out.objects.find((o): o is DestinationRule => o.kind === 'DestinationRule' && o.metadata.name === service)!;
const sourced = (objects: readonly object[]): Sourced<KubeObject>[] => objects.map((object, index) => ({ object: object as KubeObject, source: { path: 'base.yaml', index } }));
const MANAGED = { 'app.kubernetes.io/managed-by': 'switchyard' };
const STAMP = { 'switchyard.dev/rendered-by': RENDERED_BY };

const fragments = [release('v1', 'production', 1), release('v2', 'production', 2, 10), branch('feature-x', 'x')];

const baseVS = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'checkout', namespace: 'shop', ...meta },
  spec,
});
const baseDR = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: 'checkout', namespace: 'shop', ...meta },
  spec,
});

describe('service-wide settings from the policy', () => {
  const p = policy({
    gateways: ['istio-system/public-gateway'],
    exportTo: ['.', 'istio-system'],
    routeSettings: { timeout: '5s', retries: { attempts: 3, perTryTimeout: '2s' }, corsPolicy: { allowOrigins: [{ exact: 'https://shop.example.com' }] } },
    trafficPolicy: { connectionPool: { http: { http2MaxRequests: 1000 } } },
  });
  const out = run(fragments, { policy: p });

  it('writes gateways and exportTo on the gateway VirtualServices; without mesh there is no mesh VirtualService', () => {
    expect(vs(out, 'checkout.production').spec.gateways).toEqual(['istio-system/public-gateway']);
    expect(vs(out, 'checkout.production').spec.exportTo).toEqual(['.', 'istio-system']);
    expect(vs(out, 'checkout.production').spec.hosts).toEqual(['shop.example.com']);
    expect(vs(out)).toBeUndefined();
  });

  it('writes the route settings on every route', () => {
    const http = vs(out, 'checkout.staging').spec.http;
    expect(http.map((r) => r.name)).toEqual(['branch:feature-x', 'environment:staging']);
    for (const route of out.objects.flatMap((o) => (o.kind === 'VirtualService' ? o.spec.http : []))) {
      const { name: _n, match: _m, route: _r, headers: _h, ...settings } = route;
      expect(settings).toEqual({ timeout: '5s', retries: { attempts: 3, perTryTimeout: '2s' }, corsPolicy: { allowOrigins: [{ exact: 'https://shop.example.com' }] } });
    }
    expect(Object.keys(http[0]!).slice(0, 3)).toEqual(['name', 'match', 'route']);
  });

  it("merges the settings' header operations with the generated ones: the environment header wins, removals are unioned", () => {
    const headers = { request: { set: { 'x-environment': 'spoofed', 'x-client': 'shop' }, remove: ['x-debug'] }, response: { set: { 'x-served-by': 'shop' } } };
    const o = run(fragments, { policy: policy({ routeSettings: { headers } }) });
    expect(vs(o, 'checkout.production').spec.http[0]!.headers).toEqual({
      request: { remove: ['x-branch', 'x-debug'], set: { 'x-client': 'shop', 'x-environment': 'production' } },
      response: { set: { 'x-served-by': 'shop' } },
    });
  });

  it("writes the DestinationRule's top-level trafficPolicy and exportTo", () => {
    expect(dr(out).spec.trafficPolicy).toEqual({ connectionPool: { http: { http2MaxRequests: 1000 } } });
    expect(dr(out).spec.exportTo).toEqual(['.', 'istio-system']);
    expect(Object.keys(dr(out).spec)).toEqual(['host', 'trafficPolicy', 'exportTo', 'subsets']);
  });

  it('writes none of them when neither policy nor base has them', () => {
    const plain = run(fragments);
    expect(Object.keys(vs(plain).spec)).toEqual(['hosts', 'http']);
    expect(Object.keys(dr(plain).spec)).toEqual(['host', 'subsets']);
    expect(vs(plain).metadata).toEqual({ name: 'checkout', namespace: 'shop', labels: MANAGED, annotations: STAMP });
    for (const route of vs(plain).spec.http) expect(Object.keys(route).filter((k) => !['name', 'match', 'route', 'headers'].includes(k))).toEqual([]);
  });
});

describe('service-wide settings from a base VirtualService and DestinationRule', () => {
  const base = [
    baseVS(
      {
        hosts: ['ignored.example.com'],
        gateways: ['istio-system/public-gateway'],
        exportTo: ['.'],
        tls: [{ match: [{ sniHosts: ['shop.example.com'] }], route: [{ destination: { host: 'checkout' } }] }],
        http: [
          { name: 'hand-written', match: [{ uri: { prefix: '/old' } }], timeout: '1s', route: [{ destination: { host: 'old' } }] },
          { timeout: '5s', retries: { attempts: 3 }, route: [{ destination: { host: 'checkout' } }] },
        ],
      },
      { labels: { team: 'payments' }, annotations: { 'example.com/owner': 'payments' } },
    ),
    baseDR(
      {
        host: 'someone-else',
        trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
        workloadSelector: { matchLabels: { app: 'checkout' } },
        subsets: [{ name: 'hand-written', labels: { version: 'old' } }],
      },
      { labels: { team: 'payments' } },
    ),
  ];
  const out = run(fragments, { istioObjects: sourced(base) });

  it('takes gateways and exportTo from the base VirtualService for the gateway VirtualServices (no mesh gateway: no mesh VirtualService)', () => {
    expect(vs(out, 'checkout.production').spec.gateways).toEqual(['istio-system/public-gateway']);
    expect(vs(out, 'checkout.production').spec.exportTo).toEqual(['.']);
    expect(vs(out, 'checkout.production').spec.hosts).toEqual(['shop.example.com']);
    expect(vs(out)).toBeUndefined();
  });

  it("takes route settings from the base's last http route", () => {
    const http = vs(out, 'checkout.staging').spec.http;
    expect(http.map((r) => r.name)).toEqual(['branch:feature-x', 'environment:staging']);
    for (const route of http) {
      const { name: _n, match: _m, route: _r, headers: _h, ...settings } = route;
      expect(settings).toEqual({ retries: { attempts: 3 }, timeout: '5s' });
    }
  });

  it('a base that no generated object is named like is not written, and says what of it is not kept', () => {
    expect(out.retired).toContainEqual({ kind: 'VirtualService', name: 'checkout', namespace: 'shop' });
    expect(out.results).toContainEqual(
      expect.objectContaining({
        severity: 'warning',
        message: expect.stringContaining('VirtualService shop/checkout: its settings now come with checkout.pre-staging, checkout.production, checkout.staging, and it is not written itself, because the gateways do not include mesh (it would claim no host). Its own route hand-written, spec.tls are not kept'),
      }),
    );
  });

  it("keeps a base's own routes that have a match, before the generated ones, in the VirtualService of its name", () => {
    const own = { name: 'admin', match: [{ uri: { prefix: '/admin' } }], route: [{ destination: { host: 'admin' } }] };
    const o = run(fragments, { istioObjects: sourced([baseVS({ http: [own, { timeout: '2s' }] })]) });
    expect(vs(o).spec.http.map((r) => r.name)).toEqual(['admin', 'environment:production', 'branch:feature-x', 'default:production']);
    expect(vs(o).spec.http[0]).toEqual(own);
    expect(vs(o).spec.http[1]!.timeout).toBe('2s');
    const again = run(fragments, { istioObjects: sourced(o.objects) });
    expect(JSON.stringify(again.objects)).toBe(JSON.stringify(o.objects));
  });

  it('keeps unknown spec fields, labels and annotations of the base, and adds the managed-by label', () => {
    const withMesh = run(fragments, { istioObjects: sourced([{ ...base[0]!, spec: { ...base[0]!.spec, gateways: ['istio-system/public-gateway', 'mesh'] } }, base[1]!]) });
    expect(vs(withMesh).spec.tls).toEqual([{ match: [{ sniHosts: ['shop.example.com'] }], route: [{ destination: { host: 'checkout' } }] }]);
    expect(vs(out, 'checkout.production').spec.tls).toBeUndefined();
    expect(vs(out, 'checkout.production').metadata).toEqual({ name: 'checkout.production', namespace: 'shop', labels: { ...MANAGED, team: 'payments' }, annotations: { 'example.com/owner': 'payments', ...STAMP } });
    expect(dr(out).metadata).toEqual({ name: 'checkout', namespace: 'shop', labels: { ...MANAGED, team: 'payments' }, annotations: STAMP });
  });

  it("takes the DestinationRule's trafficPolicy, keeps its other fields, and owns host and subsets", () => {
    expect(dr(out).spec).toEqual({
      host: 'checkout',
      trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
      subsets: [
        { name: 'feature-x', labels: { app: 'checkout', version: 'feature-x' } },
        { name: 'v1', labels: { app: 'checkout', version: 'v1' } },
        { name: 'v2', labels: { app: 'checkout', version: 'v2' } },
      ],
      workloadSelector: { matchLabels: { app: 'checkout' } },
    });
  });

  it.each(rows([
    { case: 'mesh among the base gateways', gateways: ['istio-system/public-gateway', 'mesh'], meshHost: true },
    { case: 'only an ingress gateway in the base', gateways: ['istio-system/public-gateway'], meshHost: false },
    { case: 'no gateways in the base', gateways: undefined, meshHost: true },
  ]))('makes the mesh VirtualService when the base binds the mesh gateway or none: %s', (_, { gateways, meshHost }) => {
    const o = run(fragments, { istioObjects: sourced([baseVS(gateways ? { gateways } : {})]) });
    expect(vs(o) !== undefined).toBe(meshHost);
    if (meshHost) expect(vs(o).spec.hosts).toEqual(['checkout']);
  });

  it.each(rows([
    { case: 'another namespace', meta: { namespace: 'other' } },
    { case: 'another name', meta: { name: 'cart' } },
    { case: 'no namespace', meta: { namespace: undefined } },
  ]))('ignores a base of %s', (_, { meta }) => {
    const o = run(fragments, { istioObjects: sourced([baseVS({ gateways: ['istio-system/gw'], exportTo: ['.'] }, meta), baseDR({ trafficPolicy: { tls: { mode: 'DISABLE' } } }, meta)]) });
    expect(vs(o).spec.gateways).toBeUndefined();
    expect(vs(o).spec.exportTo).toBeUndefined();
    expect(dr(o).spec.trafficPolicy).toBeUndefined();
    expect(vs(o).metadata.labels).toEqual(MANAGED);
  });

  it('the policy wins over the base', () => {
    const p = policy({ gateways: ['istio-system/policy-gateway'], exportTo: ['*'], routeSettings: { timeout: '9s' }, trafficPolicy: { tls: { mode: 'SIMPLE' } } });
    const o = run(fragments, {
      policy: p,
      istioObjects: sourced([baseVS({ gateways: ['istio-system/base-gateway', 'mesh'], exportTo: ['.'], http: [{ timeout: '1s' }] }), baseDR({ trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } }, exportTo: ['.'] })]),
    });
    expect(vs(o)).toBeUndefined();
    expect(vs(o, 'checkout.production').spec.gateways).toEqual(['istio-system/policy-gateway']);
    expect(vs(o, 'checkout.production').spec.exportTo).toEqual(['*']);
    for (const route of vs(o, 'checkout.staging').spec.http) expect(route.timeout).toBe('9s');
    expect(dr(o).spec.trafficPolicy).toEqual({ tls: { mode: 'SIMPLE' } });
    expect(dr(o).spec.exportTo).toEqual(['*']);
  });
});

describe('switchyard.dev/rendered-by: what made a generated object', () => {
  it('stamps the value the caller passes on both objects, after the base annotations, in key order', () => {
    const out = run(fragments, { renderedBy: 'switchyard/9.8.7', istioObjects: sourced([baseVS({}, { annotations: { 'zz.example.com/last': 'x', 'aa.example.com/first': 'y' } })]) });
    expect(vs(out).metadata.annotations).toEqual({ 'aa.example.com/first': 'y', 'switchyard.dev/rendered-by': 'switchyard/9.8.7', 'zz.example.com/last': 'x' });
    expect(Object.keys(vs(out).metadata.annotations!)).toEqual(['aa.example.com/first', 'switchyard.dev/rendered-by', 'zz.example.com/last']);
    expect(dr(out).metadata.annotations).toEqual({ 'switchyard.dev/rendered-by': 'switchyard/9.8.7' });
  });

  it('replaces the stamp of an earlier version when the output is rendered again', () => {
    const earlier = run(fragments, { renderedBy: 'switchyard/0.0.1' });
    const again = run(fragments, { renderedBy: 'switchyard/0.2.0', istioObjects: sourced(earlier.objects) });
    expect(again.objects.length).toBe(5);
    for (const o of again.objects) expect(o.metadata.annotations).toEqual({ 'switchyard.dev/rendered-by': 'switchyard/0.2.0' });
  });
});

describe('idempotence: the output fed back as input renders the same objects', () => {
  const withBase = sourced([
    baseVS({ gateways: ['istio-system/gw', 'mesh'], http: [{ timeout: '5s' }], tls: [] }, { labels: { team: 'payments' }, annotations: { note: 'hand-written' } }),
    baseDR({ trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } }, workloadSelector: { matchLabels: { app: 'checkout' } } }),
  ]);
  const allSettings = policy({ gateways: ['istio-system/gw'], exportTo: ['.'], routeSettings: { timeout: '5s', retries: { attempts: 2 } }, trafficPolicy: { tls: { mode: 'SIMPLE' } } });
  const twoServices = [...fragments, fragment('cart-v1', { service: 'cart', release: { environment: 'staging', revision: 1 } }), fragment('eu-v1', { release: { environment: 'production', revision: 1 } }, 'shop-eu')];

  it.each(rows([
    { case: 'no base, default policy', fragments, istioObjects: [], policy: undefined },
    { case: 'every setting from the policy', fragments, istioObjects: [], policy: allSettings },
    { case: 'settings from a base', fragments, istioObjects: withBase, policy: undefined },
    { case: 'settings from both', fragments, istioObjects: withBase, policy: allSettings },
    { case: 'several services and namespaces', fragments: twoServices, istioObjects: withBase, policy: policy({ hostService: 'shop/checkout' }) },
    { case: 'no default release (no catch-all)', fragments: [release('s1', 'staging', 1), branch('b', 'b')], istioObjects: [], policy: undefined },
  ]))('%s', (_, { fragments: fs, istioObjects, policy: p }) => {
    const first = run(fs, { istioObjects, ...(p ? { policy: p } : {}) });
    expect(first.results.filter((r) => r.severity === 'error')).toEqual([]);
    const second = run(fs, { istioObjects: sourced(first.objects), ...(p ? { policy: p } : {}) });
    const third = run(fs, { istioObjects: sourced(second.objects), ...(p ? { policy: p } : {}) });
    expect(JSON.stringify(second.objects)).toBe(JSON.stringify(first.objects));
    expect(JSON.stringify(third.objects)).toBe(JSON.stringify(first.objects));
    expect(second.retired).toEqual([]);
    expect(third.results).toEqual(second.results);
    // a base the first render did not write itself is said so once, then it is gone
    const notWritten = (r: { message: string }) => !r.message.includes('it is not written itself');
    expect(second.results).toEqual(first.results.filter(notWritten));
  });
});

describe('retiring what Switchyard generated', () => {
  const generatedFor = (service: string, namespace = 'shop') => {
    const f = fragment(`${service}-v1`, { service, release: { environment: 'production', revision: 1 } }, namespace);
    return run([f]).objects;
  };

  it('retires a generated VirtualService and DestinationRule whose service has no live fragment any more, with an info result', () => {
    const out = run(fragments, { istioObjects: sourced([...generatedFor('cart'), ...generatedFor('checkout')]) });
    expect(out.retired.map((r) => `${r.kind} ${r.namespace}/${r.name}`)).toEqual([
      'DestinationRule shop/cart',
      'VirtualService shop/cart',
      'VirtualService shop/cart.pre-staging',
      'VirtualService shop/cart.production',
      'VirtualService shop/cart.staging',
    ]);
    expect(out.results.filter((r) => r.message.includes('removed')).map((r) => [r.severity, r.message, r.resourceRef]).slice(0, 3)).toEqual([
      [
        'info',
        'DestinationRule shop/cart: removed, because service cart has no live RouteFragment any more.',
        { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', name: 'cart', namespace: 'shop' },
      ],
      [
        'info',
        'VirtualService shop/cart: removed, because service cart has no live RouteFragment any more.',
        { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', name: 'cart', namespace: 'shop' },
      ],
      [
        'info',
        'VirtualService shop/cart.pre-staging: removed, because service cart has no live RouteFragment any more.',
        { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', name: 'cart.pre-staging', namespace: 'shop' },
      ],
    ]);
    expect(out.objects.map((o) => o.metadata.name)).toEqual(['checkout', 'checkout.pre-staging', 'checkout.production', 'checkout.staging', 'checkout']);
  });

  it("retires a gateway VirtualService when the service no longer answers that environment's hosts", () => {
    const earlier = run(fragments).objects;
    const out = run(fragments, { policy: policy({ environments: [{ name: 'production', hosts: ['shop.example.com'], default: true, allowBranches: false }, { name: 'staging', hosts: ['staging.shop.example.com'] }] }), istioObjects: sourced(earlier) });
    expect(out.retired).toEqual([{ kind: 'VirtualService', name: 'checkout.pre-staging', namespace: 'shop' }]);
    expect(out.results.map((r) => r.message)).toContain('VirtualService shop/checkout.pre-staging: removed, because service checkout no longer answers the hosts of environment pre-staging.');
  });

  it('retires when the last fragment of a service expired', () => {
    const old = fragment('cart-v1', { service: 'cart', release: { environment: 'production', revision: 1 }, expires: '2026-01-01T00:00:00Z' });
    const out = run([...fragments, old], { istioObjects: sourced(generatedFor('cart')) });
    expect(out.retired.map((r) => `${r.kind} ${r.namespace}/${r.name}`)).toEqual(['DestinationRule shop/cart', 'VirtualService shop/cart', 'VirtualService shop/cart.pre-staging', 'VirtualService shop/cart.production', 'VirtualService shop/cart.staging']);
  });

  it('retires by namespace: a generated shop-eu/checkout goes while shop/checkout stays', () => {
    const out = run(fragments, { istioObjects: sourced([...generatedFor('checkout', 'shop-eu'), ...generatedFor('checkout')]) });
    expect(out.retired.map((r) => `${r.kind} ${r.namespace}/${r.name}`)).toEqual([
      'DestinationRule shop-eu/checkout',
      'VirtualService shop-eu/checkout',
      'VirtualService shop-eu/checkout.pre-staging',
      'VirtualService shop-eu/checkout.production',
      'VirtualService shop-eu/checkout.staging',
    ]);
  });

  it('never retires a hand-written base without the managed-by label', () => {
    const handWritten = [baseVS({ gateways: ['mesh'] }, { name: 'cart' }), baseDR({}, { name: 'cart', labels: { 'app.kubernetes.io/managed-by': 'helm' } })];
    const out = run(fragments, { istioObjects: sourced(handWritten) });
    expect(out.retired).toEqual([]);
    expect(out.results.filter((r) => r.message.includes('removed'))).toEqual([]);
  });

  it('retires nothing when the render fails', () => {
    const out = run([...fragments, release('v9', 'production', 9, 150)], { istioObjects: sourced(generatedFor('cart')) });
    expect(out.results.some((r) => r.severity === 'error')).toBe(true);
    expect(out.retired).toEqual([]);
    expect(out.objects).toEqual([]);
  });
});
