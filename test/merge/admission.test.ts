// Istio's admission before output: every case the issue measured (render exit 0, Istio refusing
// the output) is now a warning that leaves the branch out, or a failed render naming the field.
import { describe, expect, it } from 'vitest';
import type { DestinationRule, VirtualService } from '../../src/model/istio.ts';
import { merge } from '../../src/merge/merge.ts';
import { fullMatch, re2Problem } from '../../src/merge/regex.ts';
import { branch, fragment, NOW, policy, release, run } from '../builders.ts';

const production = release('checkout-v1', 'production', 1);
const regexPolicy = policy({ allowedMatches: ['exact', 'regex'] });

const messages = (out: ReturnType<typeof run>, severity: string) => out.results.filter((r) => r.severity === severity).map((r) => r.message);

describe('regex branch values are judged by RE2, as Istio and Envoy judge them', () => {
  const refused = ['\\Z', '[]', '[^]', 'a{1001}', '(ab{40}){30}', '\\cA', '\\u0041', '[\\b]', '[[:foo:]]', '\\e', '\\x4', '\\C', '\\p{Foo}', '[a-\\d]', '\\h', '(?=x)', '(a)\\1'];
  it.each(refused)('%s: the branch is left out with a warning, production renders', (value) => {
    const out = run([production, branch('checkout-bad', value, { match: 'regex' })], { policy: regexPolicy });
    const warnings = messages(out, 'warning').filter((m) => m.includes('checkout-bad'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/spec\.branch\.value .*(RE2|1024 bytes)/);
    const dr = out.objects.find((o): o is DestinationRule => o.kind === 'DestinationRule')!;
    expect(dr.spec.subsets.map((s) => s.name)).toEqual(['checkout-v1']);
  });
  const accepted = ['(?i:x)', '\\b+', '^*', '(a+)+$', '(?P<n>x)', '\\pL'];
  it.each(accepted)('%s: RE2 accepts it, so it routes', (value) => {
    const out = run([production, branch('checkout-ok', value, { match: 'regex' })], { policy: regexPolicy });
    expect(messages(out, 'warning')).toEqual([]);
    expect(messages(out, 'error')).toEqual([]);
  });
});

describe('re2Problem', () => {
  it("takes Istio's 1,024-byte limit, in UTF-8 bytes as Go counts them", () => {
    expect(re2Problem('a'.repeat(1024))).toBeUndefined();
    expect(re2Problem('a'.repeat(1025))).toMatch(/1025 bytes/);
    expect(re2Problem('é'.repeat(513))).toMatch(/1026 bytes/);
    expect(re2Problem('')).toMatch(/empty/);
  });
  it('runs every pattern RE2 accepts, in linear time, with full-string matching', () => {
    expect(fullMatch('(a+)+$', `${'a'.repeat(5000)}!`)).toBe(false);
    expect(fullMatch('feature-(a|b)', 'feature-a')).toBe(true);
    expect(fullMatch('feature-(a|b)', 'xfeature-a')).toBe(false);
    expect(fullMatch('(?i)abc', 'ABC')).toBe(true);
    expect(fullMatch('[', 'x')).toBeUndefined();
  });
});

describe('policy routeSettings obey Istio', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['timeout 0s', { timeout: '0s' }, /spec\.routeSettings\.timeout is "0s"; .*at least 1ms/],
    ['timeout 0ms', { timeout: '0ms' }, /spec\.routeSettings\.timeout .*at least 1ms/],
    ['timeout 0.5ms', { timeout: '0.5ms' }, /spec\.routeSettings\.timeout .*at least 1ms/],
    ['timeout 1.0005s', { timeout: '1.0005s' }, /spec\.routeSettings\.timeout .*millisecond/],
    ['timeout 3000000h', { timeout: '3000000h' }, /spec\.routeSettings\.timeout .*not a duration/],
    ['attempts 0 with perTryTimeout', { retries: { attempts: 0, perTryTimeout: '1s' } }, /spec\.routeSettings\.retries\.attempts .*disables retries/],
    ['retryOn with a space', { retries: { attempts: 2, retryOn: '5xx, reset' } }, /spec\.routeSettings\.retries\.retryOn has " reset"/],
    ['unknown retries field', { retries: { attempt: 2 } }, /spec\.routeSettings\.retries\.attempt is not a field .*did you mean attempts\?/],
    ['allowMethods lower case', { corsPolicy: { allowMethods: ['get'] } }, /spec\.routeSettings\.corsPolicy\.allowMethods\[0\] is "get"/],
    ['empty allowOrigins exact', { corsPolicy: { allowOrigins: [{ exact: '' }] } }, /spec\.routeSettings\.corsPolicy\.allowOrigins\[0\] .*empty origin/],
    ['set :path', { headers: { request: { set: { ':path': '/x' } } } }, /spec\.routeSettings\.headers\.request\.set\[":path"\] .*pseudo-headers/],
    ['value 100%', { headers: { response: { set: { 'x-a': '100%' } } } }, /single %/],
  ];
  it.each(cases)('%s fails the render naming the field', (_, routeSettings, expected) => {
    const out = run([production], { policy: policy({ routeSettings } as never) });
    expect(out.objects).toEqual([]);
    expect(messages(out, 'error').join('\n')).toMatch(expected);
  });
  it('a valid routeSettings renders', () => {
    const out = run([production], { policy: policy({ routeSettings: { timeout: '1.5s', retries: { attempts: 3, perTryTimeout: '500ms', retryOn: '5xx,reset,503' } } } as never) });
    expect(messages(out, 'error')).toEqual([]);
  });
});

describe('trafficPolicy obeys Istio', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['empty', {}, /sets none of/],
    ['empty connectionPool', { connectionPool: {} }, /connectionPool sets neither http nor tcp/],
    ['MUTUAL without certificates', { tls: { mode: 'MUTUAL' } }, /tls\.clientCertificate is required/],
    ['unknown simple', { loadBalancer: { simple: 'FOO' } }, /loadBalancer\.simple is "FOO"; use one of/],
    ['unknown field', { connectionPool: { tcp: { maxConnection: 3 } } }, /maxConnection is not a field .*did you mean maxConnections\?/],
    ['__proto__ key', JSON.parse('{"tls": {"mode": "ISTIO_MUTUAL"}, "__proto__": {"x": 1}}'), /__proto__ is not a field/],
    ['a !!timestamp', { connectionPool: { tcp: { connectTimeout: new Date('2001-12-14') } } }, /!!timestamp/],
  ];
  it.each(cases)("the policy's %s fails the render", (_, trafficPolicy, expected) => {
    const out = run([production], { policy: policy({ trafficPolicy } as never) });
    expect(out.objects).toEqual([]);
    expect(messages(out, 'error').join('\n')).toMatch(expected);
  });
  it.each(cases.filter(([name]) => name !== 'empty'))("a branch's subset %s is left out with a warning", (_, trafficPolicy, expected) => {
    const bad = fragment('checkout-bad', { branch: { value: 'bad' }, subset: { trafficPolicy } as never });
    const out = run([production, bad]);
    expect(messages(out, 'error')).toEqual([]);
    const warning = messages(out, 'warning').join('\n');
    expect(warning).toMatch(/RouteFragment shop\/checkout-bad \(fragments\/checkout-bad\.yaml\): spec\.subset\.trafficPolicy/);
    expect(warning).toMatch(expected);
    const dr = out.objects.find((o): o is DestinationRule => o.kind === 'DestinationRule')!;
    expect(dr.spec.subsets.map((s) => s.name)).toEqual(['checkout-v1']);
  });
  it("a release's subset with a bad trafficPolicy fails the render", () => {
    const bad = fragment('checkout-v2', { release: { environment: 'production', revision: 2 }, subset: { trafficPolicy: { loadBalancer: { simple: 'FOO' } } } as never });
    const out = run([production, bad]);
    expect(out.objects).toEqual([]);
    expect(messages(out, 'error').join('\n')).toMatch(/checkout-v2 .*spec\.subset\.trafficPolicy\.loadBalancer\.simple/);
  });
});

describe('names', () => {
  it.each([['istio-system/Public_Gateway'], ['istio-system/gw/x']])('gateway %s fails the render', (gateway) => {
    const out = run([production], { policy: policy({ gateways: [gateway] }) });
    expect(messages(out, 'error').join('\n')).toMatch(/spec\.gateways\[0\] .*Istio refuses/);
  });
  it('the legacy name.namespace form is a warning with the fix', () => {
    const out = run([production], { policy: policy({ gateways: ['public-gateway.istio-system', 'mesh'] }) });
    expect(messages(out, 'error')).toEqual([]);
    expect(messages(out, 'warning').join('\n')).toMatch(/spec\.gateways\[0\] .*write istio-system\/public-gateway/);
  });
  it.each([[['~']], [['.', '.']], [['*', 'other']], [['Not_A_Namespace']]])('exportTo %j fails the render', (exportTo) => {
    const out = run([production], { policy: policy({ exportTo }) });
    expect(out.objects).toEqual([]);
    expect(messages(out, 'error').join('\n')).toMatch(/spec\.exportTo/);
  });
});

describe('bases give settings, not actions', () => {
  const baseVs = (lastRoute: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    object: {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'checkout', namespace: 'shop', resourceVersion: '42', uid: 'u-1', generation: 3, creationTimestamp: '2026-01-01T00:00:00Z', managedFields: [{ manager: 'kubectl' }], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', team: 'a' } },
      spec: { hosts: ['checkout'], http: [lastRoute], ...extra },
      status: { observedGeneration: 3 },
    },
    source: { path: 'base.yaml' },
  });
  const baseDr = (spec: Record<string, unknown>) => ({ object: { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'checkout', namespace: 'shop' }, spec: { host: 'checkout', ...spec } }, source: { path: 'base-dr.yaml' } });
  const vsOf = (out: ReturnType<typeof run>) => out.objects.find((o) => o.kind === 'VirtualService')!;

  it.each(['redirect', 'directResponse', 'delegate'])('a %s in the base fails the render, naming the base, the field and the file', (action) => {
    const value = { redirect: { uri: '/x' }, directResponse: { status: 503 }, delegate: { name: 'x' } }[action];
    const out = run([production], { istioObjects: [baseVs({ timeout: '5s', [action]: value })] });
    expect(out.objects).toEqual([]);
    expect(messages(out, 'error')).toContainEqual(expect.stringMatching(new RegExp(`^VirtualService shop/checkout \\(base\\.yaml\\): spec\\.http\\[0\\]\\.${action} is a route action`)));
  });
  it('mirrorPercent in the base fails the render with the replacement', () => {
    const out = run([production], { istioObjects: [baseVs({ mirror: { host: 'mirror' }, mirrorPercent: 5 })] });
    expect(messages(out, 'error').join('\n')).toMatch(/spec\.http\[0\]\.mirrorPercent is deprecated.*mirrorPercentage/);
  });
  it('never copies server-populated metadata or status, and keeps the rest', () => {
    const vs = vsOf(run([production], { istioObjects: [baseVs({ timeout: '5s' })] })) as unknown as Record<string, Record<string, unknown>>;
    for (const field of ['resourceVersion', 'uid', 'generation', 'creationTimestamp', 'managedFields']) expect(vs.metadata).not.toHaveProperty(field);
    expect(vs).not.toHaveProperty('status');
    expect(vs.metadata!.annotations).not.toHaveProperty(['kubectl.kubernetes.io/last-applied-configuration']);
    expect(vs.metadata!.annotations).toHaveProperty('team', 'a');
  });
  it("falls back field by field: a policy that sets only timeout keeps the base's retries", () => {
    const retries = { attempts: 2, perTryTimeout: '1s' };
    const out = run([production], { policy: policy({ routeSettings: { timeout: '3s' } } as never), istioObjects: [baseVs({ timeout: '5s', retries })] });
    expect(vsOf(out).spec.http[0]).toMatchObject({ timeout: '3s', retries });
  });
  it.each<[string, Record<string, unknown>, Record<string, unknown>, RegExp]>([
    ['a timeout of 0s', { timeout: '0s' }, {}, /spec\.http\[0\]\.timeout .*at least 1ms/],
    ['retries with attempts 0', { retries: { attempts: 0, retryOn: '5xx' } }, {}, /spec\.http\[0\]\.retries\.attempts/],
    ['an unknown route field', { timout: '5s' }, {}, /spec\.http\[0\]\.timout is not a field .*did you mean timeout\?/],
    ['a __proto__ key in spec', { timeout: '5s' }, JSON.parse('{"__proto__": {"x": 1}}'), /spec\.__proto__ is not a field/],
    ['a bad gateway', { timeout: '5s' }, { gateways: ['istio-system/gw/x'] }, /spec\.gateways\[0\]/],
  ])('a base with %s fails the render', (_, last, extra, expected) => {
    const out = run([production], { istioObjects: [baseVs(last, extra)] });
    expect(out.objects).toEqual([]);
    expect(messages(out, 'error').join('\n')).toMatch(expected);
  });
  it('a base DestinationRule with a trafficPolicy Istio refuses fails the render', () => {
    const out = run([production], { istioObjects: [baseDr({ trafficPolicy: { connectionPool: {} } })] });
    expect(messages(out, 'error').join('\n')).toMatch(/^DestinationRule shop\/checkout \(base-dr\.yaml\): spec\.trafficPolicy\.connectionPool sets neither/m);
  });
  it("a valid base DestinationRule gives its trafficPolicy", () => {
    const out = run([production], { istioObjects: [baseDr({ trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } })] });
    expect((out.objects.find((o) => o.kind === 'DestinationRule') as DestinationRule).spec.trafficPolicy).toEqual({ tls: { mode: 'ISTIO_MUTUAL' } });
  });
});

describe('destination ports where the Service has several (never IST0112)', () => {
  const services = [{ name: 'checkout', namespace: 'shop', ports: [80, 9090] }];
  const withPort = (f: ReturnType<typeof fragment>, port?: number) => ({ ...f, spec: { ...f.spec, ...(port === undefined ? {} : { port }) } });
  const merged = (fragments: unknown[], svc = services) =>
    merge({ policy: { object: policy(), source: { path: 'policy.yaml' } }, fragments: fragments.map((object, i) => ({ object, source: { path: `f${i}.yaml` } })), istioObjects: [], workloads: [], services: svc, now: NOW, renderedBy: 'test' });

  it('writes each fragment\'s port on its destinations', () => {
    const out = merged([withPort(production, 80), withPort(branch('checkout-b', 'b'), 9090)]);
    expect(messages(out, 'error')).toEqual([]);
    const vs = out.objects.find((o) => o.kind === 'VirtualService') as VirtualService;
    expect(vs.spec.http.flatMap((r) => (r.route ?? []).map((d) => d.destination.port?.number))).toEqual([80, 9090, 80]); // production's hosts, the branch, the catch-all
  });
  it('a release without a port fails the render, naming the ports to choose from', () => {
    const out = merged([production]);
    expect(out.objects).toEqual([]);
    expect(messages(out, 'error').join('\n')).toMatch(/spec\.port is missing, and Service checkout has several ports \(80, 9090\)/);
  });
  it('a branch with a port the Service lacks is left out with a warning', () => {
    const out = merged([withPort(production, 80), withPort(branch('checkout-b', 'b'), 8443)]);
    expect(messages(out, 'warning').join('\n')).toMatch(/checkout-b .*spec\.port is 8443, which is not a port of Service checkout/);
    expect((out.objects.find((o) => o.kind === 'DestinationRule') as DestinationRule).spec.subsets.map((s) => s.name)).toEqual(['checkout-v1']);
  });
  it('a Service with one port, or none in the input, needs no port', () => {
    expect(messages(merged([production], [{ name: 'checkout', namespace: 'shop', ports: [80] }]), 'error')).toEqual([]);
    expect(messages(merged([production], []), 'error')).toEqual([]);
  });
});
