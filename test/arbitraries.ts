// Random fragments, policies and ResourceList texts for the property tests (test/properties.test.ts).
// The value spaces are small on purpose, so that conflicts, shared subsets, duplicate names, broken
// fragments and broken policies all occur often; a few values are hostile (a Cyrillic letter, a
// header Envoy owns, a regex RE2 rejects, a catastrophic regex).
import fc from 'fast-check';
import { Document, stringify } from 'yaml';
import type { RoutingPolicy } from '../src/model/kinds.ts';

export const SERVICES = ['checkout', 'cart'];
export const ENVIRONMENTS = ['production', 'staging', 'pre-staging', 'qa'];
const namespaceArb = fc.oneof({ arbitrary: fc.constant('shop'), weight: 15 }, { arbitrary: fc.constant('shop-eu'), weight: 3 }, { arbitrary: fc.constant(undefined), weight: 2 });
const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n'];
const SUBSETS = ['v1', 'v2', 'v3', 'feature-a', 'feature-b'];
const VALUES = ['feature-a', 'feature-b', 'bugfix-c', 'pay-', 'x'];
const REGEXES = ['^feature-[a-z0-9]+$', 'feature-(a|b)', '(a+)+$', '(?=x)feature', '(a)\\1', '[unclosed', '\\Z', '[^]', 'a{1001}', '\\u0041', '\\p{Foo}', '(?i:feature-a)', '\\b+'];
/** Subset trafficPolicies: valid ones, and ones Istio refuses (its schema, CEL rules or webhook). */
const TRAFFIC_POLICIES: Record<string, unknown>[] = [
  { connectionPool: { tcp: { maxConnections: 10 } } },
  { connectionPool: { tcp: { maxConnections: 10, connectTimeout: '250ms' } } },
  { outlierDetection: { interval: '0.5ms' } },
  { connectionPool: {} },
  { tls: { mode: 'MUTUAL' } },
  { loadBalancer: { simple: 'FOO' } },
  { connectionPool: { tcp: { maxConnection: 10 } } },
  { outlierDetection: { baseEjectionTime: '1.0005s' } },
];
/** Headers a fragment may name: allowed ones, and ones the policy or Envoy never allow. */
const HEADERS = ['x-branch', 'x-tenant', 'x-team', 'host', 'x-envoy-upstream-rq-timeout-ms', ':authority', 'X-Branch'];

/** `arb` in `percent` of the cases, else undefined. */
const maybe = <T>(arb: fc.Arbitrary<T>, percent: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 100 - percent }, { arbitrary: arb, weight: percent });

// --- policies ---------------------------------------------------------------------------------

const environmentArb = fc.record({
  hosts: fc.subarray(['own', 'www'], { maxLength: 2 }),
  sharedHost: fc.integer({ min: 0, max: 14 }), // 0: shop.example.com, which another environment may have too
  allowBranches: maybe(fc.boolean(), 50),
  releasePaths: maybe(fc.constantFrom(['fragments/**'], ['releases/**']), 10),
});

/** A RoutingPolicy: mostly valid, sometimes broken (two defaults, a shared host, a bad header, an unknown field). */
export const policyArb: fc.Arbitrary<RoutingPolicy> = fc
  .record({
    // Production first, the default, in most policies; any order and default in the others.
    names: fc.oneof(
      { arbitrary: fc.shuffledSubarray(ENVIRONMENTS.slice(1)).map((rest) => ['production', ...rest]), weight: 9 },
      { arbitrary: fc.shuffledSubarray(ENVIRONMENTS, { minLength: 1 }), weight: 1 },
    ),
    environments: fc.array(environmentArb, { minLength: 4, maxLength: 4 }),
    defaultAt: fc.oneof({ arbitrary: fc.constant(0), weight: 8 }, { arbitrary: fc.nat(), weight: 1 }, { arbitrary: fc.constant(undefined), weight: 1 }),
    secondDefault: fc.integer({ min: 0, max: 49 }),
    branchHeader: maybe(fc.constantFrom('x-branch', 'x-tenant'), 30),
    allowedHeaders: maybe(fc.subarray(['x-branch', 'x-tenant', 'x-team'], { minLength: 1 }), 30),
    allowedMatches: maybe(fc.subarray(['exact', 'prefix', 'regex'] as const, { minLength: 1 }), 50),
    invalidBranches: maybe(fc.constantFrom('quarantine', 'fail'), 40),
    gateways: maybe(fc.subarray(['mesh', 'istio-system/public-gateway']), 50),
    hostService: maybe(fc.constantFrom('checkout', 'cart', 'shop/checkout'), 80),
    exportTo: maybe(fc.constantFrom(['.'], ['*']), 30),
    routeSettings: maybe(
      fc.oneof(
        { arbitrary: fc.constantFrom({ timeout: '5s' }, { retries: { attempts: 3, perTryTimeout: '2s' } }), weight: 8 },
        { arbitrary: fc.constantFrom({ timeout: '0.5ms' }, { retries: { attempts: 0, perTryTimeout: '1s' } }, { corsPolicy: { allowMethods: ['get'] } }), weight: 1 },
      ),
      30,
    ),
    trafficPolicy: maybe(fc.constantFrom({ tls: { mode: 'ISTIO_MUTUAL' } }, { loadBalancer: { simple: 'ROUND_ROBIN' } }), 30),
    mistake: fc.integer({ min: 0, max: 79 }),
  })
  .map((r) => {
    const environments = r.names.map((name, i) => {
      const env = r.environments[i]!;
      // Each environment's own hosts, so that most policies are valid; shop.example.com may be shared.
      const hosts = [...env.hosts.map((h) => (h === 'own' ? `${name}.shop.example.com` : `www.${name}.example.com`)), ...(env.sharedHost === 0 ? ['shop.example.com'] : [])];
      const isDefault = r.defaultAt !== undefined && r.defaultAt % r.names.length === i;
      const second = r.secondDefault === 0 && i === (((r.defaultAt ?? 0) + 1) % r.names.length) && r.names.length > 1;
      return {
        name,
        ...(hosts.length > 0 || !isDefault ? { hosts: hosts.length > 0 ? hosts : [`${name}.shop.example.com`] } : {}),
        ...(isDefault || second ? { default: true } : {}),
        ...(env.allowBranches === undefined ? {} : { allowBranches: env.allowBranches }),
        ...(env.releasePaths === undefined ? {} : { releasePaths: env.releasePaths }),
      };
    });
    const spec: Record<string, unknown> = { environments };
    for (const key of ['branchHeader', 'allowedHeaders', 'allowedMatches', 'invalidBranches', 'gateways', 'hostService', 'exportTo', 'routeSettings', 'trafficPolicy'] as const) {
      if (r[key] !== undefined) spec[key] = r[key];
    }
    if (r.mistake === 0) spec.branchHeader = 'host';
    if (r.mistake === 1) spec.enviroments = environments;
    if (r.mistake === 2) spec.allowedHeaders = ['x-branch', 'x-envoy-original-path'];
    return { apiVersion: 'switchyard.dev/v1alpha1', kind: 'RoutingPolicy', metadata: { name: 'routing' }, spec } as unknown as RoutingPolicy;
  });

// --- fragments --------------------------------------------------------------------------------

/** A fragment's spec; `mistake` 0..4 breaks it in one of several ways (schema, look-alike letter). */
const specArb = fc
  .record({
    service: fc.oneof({ arbitrary: fc.constant(SERVICES[0]!), weight: 7 }, { arbitrary: fc.constant(SERVICES[1]!), weight: 3 }),
    subset: fc.constantFrom(...SUBSETS),
    labelTwist: fc.integer({ min: 0, max: 7 }), // 0: the same subset name with other labels
    trafficPolicy: fc.integer({ min: 0, max: 9 }), // 0: a subset trafficPolicy
    trafficPolicyAt: fc.nat(),
    kind: fc.constantFrom('branch', 'release'),
    value: fc.constantFrom(...VALUES),
    regex: fc.constantFrom(...REGEXES),
    scope: maybe(fc.constantFrom(...ENVIRONMENTS, 'nowhere'), 20),
    releaseOf: fc.oneof({ arbitrary: fc.constant('production'), weight: 24 }, { arbitrary: fc.constantFrom(...ENVIRONMENTS.slice(1), 'nowhere'), weight: 1 }),
    header: maybe(fc.constantFrom(...HEADERS), 15),
    match: maybe(fc.constantFrom('exact', 'prefix', 'regex'), 25),
    revision: fc.integer({ min: 0, max: 5 }),
    weight: maybe(fc.oneof({ arbitrary: fc.integer({ min: 0, max: 30 }), weight: 19 }, { arbitrary: fc.constant(150), weight: 1 }), 15),
    expires: maybe(fc.constantFrom('2026-01-01T00:00:00Z', '2099-01-01T00:00:00Z', '2026-02-30T00:00:00Z'), 20),
    workload: maybe(fc.constantFrom('present', 'gone'), 20),
    mistake: fc.integer({ min: 0, max: 149 }),
  })
  .map((r) => {
    const subsetName = r.mistake === 1 ? 'v\u0430' : r.subset; // Cyrillic а: looks like va
    const spec: Record<string, unknown> = {
      service: r.service,
      subset: {
        name: subsetName,
        labels: { app: r.service, version: r.labelTwist === 0 ? `${r.subset}-x` : r.subset },
        // Mostly a valid one; a third of them one that Istio refuses.
        ...(r.trafficPolicy === 0 ? { trafficPolicy: TRAFFIC_POLICIES[r.trafficPolicyAt % 3 < 2 ? r.trafficPolicyAt % 2 : r.trafficPolicyAt % TRAFFIC_POLICIES.length] } : {}),
      },
    };
    if (r.kind === 'branch') {
      const value = r.match === 'regex' ? r.regex : r.value;
      spec.branch = { value, ...(r.scope ? { environment: r.scope } : {}), ...(r.header ? { header: r.header } : {}), ...(r.match ? { match: r.match } : {}) };
    } else {
      spec.release = { environment: r.releaseOf, revision: r.revision, ...(r.weight === undefined ? {} : { weight: r.weight }) };
    }
    if (r.expires) spec.expires = r.expires;
    if (r.workload) spec.workload = { kind: 'Deployment', name: r.workload === 'present' ? 'checkout-present' : 'checkout-gone' };
    if (r.mistake === 0) spec.servce = 'typo';
    if (r.mistake === 2 && r.kind === 'release') spec.release = { environment: 'production', revision: '3' };
    if (r.mistake === 4 && r.kind === 'branch') spec.release = { environment: 'production', revision: 1 };
    if (r.mistake === 3) spec.branch = { value: 'has space' };
    return spec;
  });

export interface FragmentObject {
  apiVersion: string;
  kind: 'RouteFragment';
  metadata: { name: string; namespace?: string };
  spec: Record<string, unknown>;
}

/** Fragments with names that are mostly unique per namespace (sometimes not: both are then broken). */
export const fragmentsArb = (maxLength = 12): fc.Arbitrary<FragmentObject[]> =>
  fc
    .array(fc.tuple(fc.constantFrom(...NAMES), namespaceArb, specArb, fc.integer({ min: 0, max: 49 })), { minLength: 1, maxLength })
    .map((rows) => {
      const seen = new Set<string>();
      return rows.map(([name, namespace, spec, twin], i) => {
        // Mostly one fragment per name and namespace; twin 0 keeps a duplicate name.
        let unique = name;
        while (seen.has(`${namespace}/${unique}`) && twin !== 0) unique = `${unique}${i}`;
        seen.add(`${namespace}/${unique}`);
        // Mostly one revision per release; twin 1..4 keeps the random one, which may repeat.
        const release = spec.release as { revision?: unknown } | undefined;
        const own = release && typeof release.revision === 'number' && (twin < 1 || twin > 4) ? { ...spec, release: { ...release, revision: 10 + i } } : spec;
        return { apiVersion: 'switchyard.dev/v1alpha1', kind: 'RouteFragment', metadata: { name: unique, ...(namespace ? { namespace } : {}) }, spec: own };
      });
    });

// --- ResourceList texts -----------------------------------------------------------------------

/** How an item is written: kpt's block style, flow collections inside, comments, quoted strings. */
export type ItemStyle = 'block' | 'flow-subset' | 'commented' | 'quoted';
export const itemStyleArb: fc.Arbitrary<ItemStyle> = fc.constantFrom('block', 'flow-subset', 'commented', 'quoted');

/** An item as kpt writes it, with its file annotations, at column 0 (`- ` and two spaces). */
export function itemText(object: Record<string, unknown>, path: string, style: ItemStyle): string {
  const metadata = (object.metadata ?? {}) as Record<string, unknown>;
  const annotated = {
    ...object,
    metadata: {
      ...metadata,
      annotations: {
        ...((metadata.annotations as object | undefined) ?? {}),
        'internal.config.kubernetes.io/path': path,
        'internal.config.kubernetes.io/index': '0',
      },
    },
  };
  const doc = new Document(annotated);
  if (style === 'flow-subset') {
    for (const field of [['spec', 'subset'], ['spec', 'branch'], ['spec', 'release'], ['data']]) {
      const node = doc.getIn(field, true) as { flow?: boolean } | undefined;
      if (node && typeof node === 'object') node.flow = true;
    }
  }
  let text = doc.toString({ indentSeq: false, lineWidth: 0, ...(style === 'quoted' ? { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' } : {}) });
  if (style === 'commented') text = text.replace(/^spec:$/m, 'spec: # the route\n  # a comment inside the item');
  const lines = text.replace(/\n$/, '').split('\n');
  return `${lines.map((line, i) => (i === 0 ? `- ${line}` : line ? `  ${line}` : '')).join('\n')}\n`;
}

/** Objects that are not Switchyard's: a Deployment (for spec.workload) and a ConfigMap of YAML 1.1 look-alikes. */
export const PASS_THROUGH: Record<string, unknown>[] = [
  { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'checkout-present', namespace: 'shop' }, spec: { replicas: 1 } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'values', namespace: 'shop' }, data: { switch: 'on', mode: '0777', day: '2026-01-01', time: '1:30' } },
];

/** A ResourceList as kpt sends it: the items in the given order, the policy as function config (kpt's annotations on it). */
export function resourceListText(items: readonly string[], policy: unknown, { anchor = false } = {}): string {
  const config = stringify(
    {
      functionConfig: {
        ...(policy as object),
        metadata: { ...((policy as { metadata?: object }).metadata ?? {}), annotations: { 'internal.config.kubernetes.io/index': '0', 'internal.config.kubernetes.io/path': 'policy.yaml' } },
      },
    },
    { indentSeq: false, lineWidth: 0 },
  );
  // An anchor and an alias anywhere make the line scanner decline: the whole text goes to the yaml library.
  const head = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n${anchor ? 'x-defaults: &d {owner: platform}\nx-copy: *d\n' : ''}items:\n`;
  return `${head}${items.join('')}${config}`;
}
