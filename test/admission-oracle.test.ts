// Istio's admission, judged by the independent oracle (test/oracles/istio-admission.ts), over every
// golden fixture and every example Switchyard renders: 0 objects Istio would refuse. The random
// renders of test/properties.test.ts go through the same oracle (routingProblems). First, the
// oracle itself must catch what Istio refuses, or a green run would mean nothing.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { admissionProblems, admit, analyze, HOSTS_BELONG_TO_SERVICES } from './oracles/istio-admission.ts';

const ROOT = join(import.meta.dirname, '..');
type Json = Record<string, unknown>;

const vs = (http: Json[], spec: Json = {}): Json => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'checkout', namespace: 'shop' },
  spec: { hosts: ['checkout'], http, ...spec },
});
const dr = (spec: Json): Json => ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'checkout', namespace: 'shop' }, spec: { host: 'checkout', subsets: [{ name: 'v1', labels: { version: 'v1' } }], ...spec } });
const route = (extra: Json = {}): Json => ({ name: 'default', route: [{ destination: { host: 'checkout', subset: 'v1' }, weight: 100 }], ...extra });

describe('the oracle refuses what Istio refuses', () => {
  it('accepts a plain VirtualService and DestinationRule', () => {
    expect(admissionProblems([vs([route({ timeout: '5s', retries: { attempts: 2, perTryTimeout: '1s', retryOn: '5xx,reset' } })]), dr({})])).toEqual([]);
  });
  it.each<[string, Json]>([
    ['timeout 0s', { timeout: '0s' }],
    ['timeout 0.5ms', { timeout: '0.5ms' }],
    ['timeout 1.0005s', { timeout: '1.0005s' }],
    ['timeout 3000000h', { timeout: '3000000h' }],
    ['attempts 0 with perTryTimeout', { retries: { attempts: 0, perTryTimeout: '1s' } }],
    ['retryOn with a space', { retries: { attempts: 1, retryOn: '5xx, reset' } }],
    ['unknown field attempt', { retries: { attempt: 1 } }],
    ['allowMethods get', { corsPolicy: { allowMethods: ['get'] } }],
    ['empty origin', { corsPolicy: { allowOrigins: [{ exact: '' }] } }],
    ['set :path', { headers: { request: { set: { ':path': '/x' } } } }],
    ['value 100%', { headers: { request: { set: { 'x-a': '100%' } } } }],
    ['redirect beside route', { redirect: { uri: '/x' } }],
    ['directResponse beside route', { directResponse: { status: 503 } }],
    ['a regex RE2 refuses', { match: [{ headers: { 'x-branch': { regex: '\\Z' } } }] }],
    ['__proto__', JSON.parse('{"__proto__": {"x": 1}}')],
  ])('route %s', (_, extra) => {
    expect(admit(vs([route(extra)])).errors).not.toEqual([]);
  });
  it('warns about mirrorPercent and legacy gateway names', () => {
    expect(admit(vs([route({ mirrorPercent: 5, mirror: { host: 'x' } })])).warnings).not.toEqual([]);
    expect(admit(vs([route()], { gateways: ['public-gateway.istio-system'] })).warnings).not.toEqual([]);
  });
  it.each<[string, Json]>([
    ['gateway with _', { gateways: ['istio-system/Public_Gateway'] }],
    ['gateway with two slashes', { gateways: ['istio-system/gw/x'] }],
    ['exportTo ~', { exportTo: ['~'] }],
    ['exportTo twice', { exportTo: ['.', '.'] }],
    ['exportTo * and more', { exportTo: ['*', 'other'] }],
    ['exportTo not a namespace', { exportTo: ['Not_A_Namespace'] }],
  ])('VirtualService %s', (_, spec) => {
    expect(admit(vs([route()], spec)).errors).not.toEqual([]);
  });
  it.each<[string, Json]>([
    ['trafficPolicy {}', { trafficPolicy: {} }],
    ['connectionPool {}', { trafficPolicy: { connectionPool: {} } }],
    ['MUTUAL without certificates', { trafficPolicy: { tls: { mode: 'MUTUAL' } } }],
    ['simple FOO', { trafficPolicy: { loadBalancer: { simple: 'FOO' } } }],
    ['unknown field', { trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL', sni2: 'x' } } }],
    ['a subset with a bad trafficPolicy', { subsets: [{ name: 'v1', labels: { version: 'v1' }, trafficPolicy: { outlierDetection: { interval: '0s' } } }] }],
  ])('DestinationRule %s', (_, spec) => {
    expect(admit(dr(spec)).errors).not.toEqual([]);
  });
  it('refuses server-populated metadata', () => {
    expect(admit({ ...dr({}), metadata: { name: 'checkout', namespace: 'shop', resourceVersion: '1', uid: 'u' } }).errors).toHaveLength(2);
  });
  it('finds IST0109, IST0101 and IST0112', () => {
    const other = { ...vs([route()]), metadata: { name: 'other', namespace: 'shop' } };
    expect(analyze([vs([route()]), other, dr({})]).join('\n')).toMatch(/IST0109/);
    expect(analyze([vs([route({ route: [{ destination: { host: 'checkout', subset: 'v9' }, weight: 100 }] })]), dr({})]).join('\n')).toMatch(/IST0101/);
    expect(analyze([vs([route()]), dr({})], [{ name: 'checkout', namespace: 'shop', ports: 2 }]).join('\n')).toMatch(/IST0112/);
  });
});

/** Every rendered file: golden fixtures' expected.yaml, examples' expected.yaml and kpt's routes/. */
function renderedFiles(): string[] {
  const files: string[] = [];
  for (const name of readdirSync(join(ROOT, 'test/fixtures'))) {
    const file = join(ROOT, 'test/fixtures', name, 'expected.yaml');
    if (existsSync(file)) files.push(file);
  }
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.ya?ml$/.test(entry) && (entry === 'expected.yaml' || path.includes('/routes/'))) files.push(path);
    }
  };
  walk(join(ROOT, 'examples'));
  return files;
}

/** The Services of a rendered file's input folder, for IST0112. */
function servicesOf(objects: Json[]): { name: string; namespace?: string; ports: number }[] {
  return objects
    .filter((o) => o.kind === 'Service' && o.apiVersion === 'v1')
    .map((o) => ({ name: String((o.metadata as Json).name), namespace: (o.metadata as Json).namespace as string | undefined, ports: ((o.spec as Json)?.ports as unknown[] | undefined)?.length ?? 0 }));
}

describe('every golden fixture and every example passes Istio admission', () => {
  const files = renderedFiles();
  it('finds the rendered files', () => {
    expect(files.length).toBeGreaterThan(20);
  });
  it.each(files.map((f) => relative(ROOT, f)))('%s', (file) => {
    const objects = parseAllDocuments(readFileSync(join(ROOT, file), 'utf8')).map((d) => d.toJS() as Json).filter(Boolean);
    const items = objects.length === 1 && Array.isArray(objects[0]!.items) ? (objects[0]!.items as Json[]) : objects;
    expect(admissionProblems(items, servicesOf(items), { ist0109: HOSTS_BELONG_TO_SERVICES })).toEqual([]);
  });
});
