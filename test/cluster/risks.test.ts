// One test per risk of issue 15, against the fake API server through the real client-node stack:
// what a real cluster does that the first fake hid (hung requests, refused writes, 429s, other
// field managers, Envoy's propagation delay, skew, closed watches, namespaces that come and go).
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/cluster/client.ts';
import { Health, serveHealth } from '../../src/cluster/health.ts';
import { LeaderElector } from '../../src/cluster/leader.ts';
import { POLICY_DIGEST, SUBSETS_ADDED_AT, UNROUTED_AT } from '../../src/cluster/plan.ts';
import { policyDigest } from '../../src/cluster/reconcile.ts';
import { NOW, policy } from '../builders.ts';
import { FakeApiServer, type FakeApiServerOptions } from './fake-api-server.ts';
import { branch, brokenMoments, eventually, fragment, POLICY, reconcile, release, routeNames, startController, stored, subsetNames, writesTo } from './helpers.ts';

const servers: FakeApiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function start(options: FakeApiServerOptions = {}, requestTimeoutMs = 2_000) {
  const server = await FakeApiServer.start(options);
  servers.push(server);
  const cluster = await connect({ kubeconfig: server.kubeconfig, requestTimeoutMs, maxRetryAfterMs: 50 });
  return { server, cluster };
}

const payments = (name = 'payments-v1', namespace = 'shop') => fragment(name, { service: 'payments', release: { environment: 'production', revision: 1 } }, namespace);

describe('bounded calls', () => {
  it('a request that never answers fails that reconcile within the request timeout, naming the call; other namespaces are reconciled', async () => {
    const { server, cluster } = await start({ hang: (r) => r.verb === 'list' && r.resource === 'deployments' && r.namespace === 'stuck' }, 300);
    server.put('routefragments', stored(fragment('checkout-v1', { service: 'checkout', release: { environment: 'production', revision: 1 } }, 'stuck')));
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    await expect(reconcile(cluster, 'stuck')).rejects.toThrow(/^cannot list deployments\.apps in namespace stuck: the API server at https:\/\/127\.0\.0\.1:\d+ did not answer within 0\.3 s\.$/);
    expect((await reconcile(cluster, 'shop')).ok).toBe(true);
    expect(routeNames(server)).toEqual(['environment:production', 'default:production']);
  });

  it("a leader whose Lease renewal hangs stops leading within the renew deadline (client-go's renew), and another takes over", async () => {
    let hangLeases = false;
    const { server, cluster } = await start({ hang: (r) => hangLeases && r.resource === 'leases' }, 60_000);
    const timings = { leaseDurationMs: 1_000, renewDeadlineMs: 400, retryPeriodMs: 50 };
    const log: string[] = [];
    const a = new LeaderElector({ cluster, namespace: 'shop', name: 'lease', identity: 'a', timings, log: (m) => log.push(m) });
    const never = new AbortController();
    expect(await a.acquire(never.signal)).toBe(true);
    hangLeases = true; // every Lease request from now on hangs (the request timeout is a minute)
    expect(await a.hold(never.signal)).toBe('lost');
    expect(log.at(-1)).toBe('stopped leading: could not renew Lease shop/lease within the renew deadline (400 ms).');
    hangLeases = false;
    const b = new LeaderElector({ cluster: await connect({ kubeconfig: server.kubeconfig }), namespace: 'shop', name: 'lease', identity: 'b', timings });
    expect(await b.acquire(never.signal)).toBe(true);
  });

  it('liveness goes unhealthy when a reconcile stalls past the bound, and readiness waits for the start', async () => {
    let now = 0;
    const health = new Health(1_000, () => now);
    const probes = await serveHealth(health, '127.0.0.1', 0);
    try {
      const get = async (path: string) => {
        const response = await fetch(`http://127.0.0.1:${probes.port}${path}`);
        return `${response.status} ${(await response.text()).trim()}`;
      };
      expect(await get('/readyz')).toBe('503 starting: watches and the first list are not done yet');
      health.markStarted();
      expect(await get('/readyz')).toBe('200 ok');
      let finish = () => undefined as void;
      const work = health.track('the reconcile of namespace shop', () => new Promise<void>((resolve) => (finish = resolve)));
      now = 1_500;
      expect(await get('/livez')).toBe('503 the reconcile of namespace shop has run for 2 s (stall bound 1 s)');
      expect(await get('/readyz')).toMatch(/^503 /);
      finish();
      await work;
      expect(await get('/livez')).toBe('200 ok');
      now = 3_000; // and silence: no resync, reconcile or Lease attempt
      expect(await get('/livez')).toBe('503 no reconcile, resync or Lease attempt for 2 s');
    } finally {
      await probes.close();
    }
  });
});

describe('per-service failures', () => {
  it('a webhook refusing one service and a 500 on another: the third is written, each failure names the object and quotes the server', async () => {
    const { server, cluster } = await start({
      webhook: (r, o) => (r.resource === 'virtualservices' && o.metadata.name === 'payments' ? 'configuration is invalid: route weight exceeds 100' : undefined),
      fault: (r) => (r.resource === 'destinationrules' && r.name === 'orders' ? { code: 500, message: 'etcdserver: request timed out' } : undefined),
    });
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    server.put('routefragments', stored(payments()));
    server.put('routefragments', stored(fragment('orders-v1', { service: 'orders', release: { environment: 'production', revision: 1 } })));
    server.put('destinationrules', { metadata: { name: 'orders', namespace: 'shop' }, spec: { host: 'orders', subsets: [] } }); // so the write is an apply (PATCH)
    const outcome = await reconcile(cluster);
    expect(outcome.ok).toBe(false);
    expect(routeNames(server)).toEqual(['environment:production', 'default:production']);
    expect(routeNames(server, 'payments')).toBeUndefined();
    const errors = outcome.results.filter((r) => r.severity === 'error').map((r) => r.message);
    expect(errors).toEqual([
      'DestinationRule shop/orders: the write was refused, so service orders is not written this time: "etcdserver: request timed out" (HTTP 500); the API server failed; the next reconcile tries again; the other services were written.',
      'VirtualService shop/payments: the write was refused, so service payments is not written this time: "admission webhook \"validation.istio.io\" denied the request: configuration is invalid: route weight exceeds 100" (HTTP 400); fix what it names (a webhook that refuses an object says why); the other services were written.',
    ]);
    // payments' DestinationRule went first (make), its VirtualService was refused: no route to a missing subset anywhere.
    expect(subsetNames(server, 'payments')).toEqual(['payments-v1']);
    expect(brokenMoments(server.history)).toEqual([]);
  });

  it('a 429 is retried after its Retry-After, and the write goes through', async () => {
    let throttled = 0;
    const { server, cluster } = await start({ fault: (r) => (r.verb === 'create' && r.resource === 'virtualservices' && throttled++ < 2 ? { code: 429, message: 'Too many requests, please try again later.', retryAfterSeconds: 1 } : undefined) });
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    const outcome = await reconcile(cluster);
    expect(outcome.ok).toBe(true);
    expect(throttled).toBe(3);
    expect(routeNames(server)).toEqual(['environment:production', 'default:production']);
  });

  it('--dry-run=server sends every write with dryRun=All: the webhook judges, nothing is stored', async () => {
    const { server, cluster } = await start({ webhook: (r, o) => (o.metadata.name === 'payments' && r.resource === 'destinationrules' ? 'subset name "payments-v1" is not allowed here' : undefined) });
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    server.put('routefragments', stored(payments()));
    const outcome = await reconcile(cluster, 'shop', { dryRun: 'server' });
    const writes = [...writesTo(server, 'virtualservices'), ...writesTo(server, 'destinationrules')];
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.every((w) => w.dryRun === true)).toBe(true);
    expect(server.list('virtualservices', 'shop')).toEqual([]);
    expect(server.list('destinationrules', 'shop')).toEqual([]);
    expect(outcome.writes.map((r) => r.message)).toContain('the API server accepted (dry run): create VirtualService shop/checkout: create with routes environment:production, default:production.');
    expect(outcome.results.find((r) => r.severity === 'error')?.message).toMatch(/^DestinationRule shop\/payments: the write was refused.*subset name "payments-v1" is not allowed here/);
  });
});

describe('server-side apply and other field managers', () => {
  it('updates are applies by field manager switchyard; a route another manager (Argo CD) owns is reported, never fought over', async () => {
    const { server, cluster } = await start();
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    expect((await reconcile(cluster)).ok).toBe(true);
    server.put('routefragments', stored(release('checkout-v2', 'production', 2)));
    expect((await reconcile(cluster)).ok).toBe(true);
    const patches = server.requests.filter((r) => r.verb === 'patch');
    expect(patches.length).toBeGreaterThan(0);
    expect(patches.every((r) => r.apply && r.fieldManager === 'switchyard')).toBe(true);
    const managers = (server.get('virtualservices', 'shop', 'checkout')!.metadata.managedFields as { manager: string; operation: string }[]).map((m) => `${m.manager}/${m.operation}`);
    expect(managers).toContain('switchyard/Apply');

    // Argo CD syncs its own copy of the routes (client-side apply: an Update of spec.http).
    const k8s = await import('@kubernetes/client-node');
    const config = new k8s.KubeConfig();
    config.loadFromFile(server.kubeconfig);
    const api = config.makeApiClient(k8s.CustomObjectsApi);
    const live = server.get('virtualservices', 'shop', 'checkout')!;
    const argoRoutes = [{ name: 'argo', route: [{ destination: { host: 'checkout', subset: 'checkout-v1' } }] }];
    await api.replaceNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1', namespace: 'shop', plural: 'virtualservices', name: 'checkout', fieldManager: 'argocd-controller', body: { ...live, spec: { ...(live.spec as object), http: argoRoutes } } });
    const before = server.get('virtualservices', 'shop', 'checkout')!.metadata.resourceVersion;
    for (let i = 0; i < 2; i++) {
      const outcome = await reconcile(cluster);
      expect(outcome.ok).toBe(false);
      expect(outcome.results.filter((r) => r.severity === 'error').map((r) => r.message)).toEqual([
        'VirtualService shop/checkout: fields Switchyard writes are also managed by argocd-controller (spec.http) (managedFields), so service checkout is not written: Switchyard does not fight over them; let one tool own it: exclude it from the other (Argo CD: resource.exclusions or ignoreDifferences on /spec/http and /spec/subsets; Flux: remove it from the Kustomization), see docs/cluster.md#co-managers.',
      ]);
    }
    expect(server.get('virtualservices', 'shop', 'checkout')!.metadata.resourceVersion).toBe(before); // no flapping
    expect((server.get('virtualservices', 'shop', 'checkout')!.spec as { http: unknown }).http).toEqual(argoRoutes);
  });

  it('the fake refuses an apply over another manager\'s field with kube-apiserver\'s FieldManagerConflict, and the client names the manager', async () => {
    const { server, cluster } = await start();
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    await reconcile(cluster);
    const live = server.get('destinationrules', 'shop', 'checkout')!;
    const k8s = await import('@kubernetes/client-node');
    const config = new k8s.KubeConfig();
    config.loadFromFile(server.kubeconfig);
    await config.makeApiClient(k8s.CustomObjectsApi).replaceNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1', namespace: 'shop', plural: 'destinationrules', name: 'checkout', fieldManager: 'kustomize-controller', body: { ...live, spec: { host: 'checkout', subsets: [] } } });
    const { FieldConflictError } = await import('../../src/cluster/cluster.ts');
    const error = await cluster.apply('DestinationRule', 'shop', { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'checkout', namespace: 'shop' }, spec: { host: 'checkout', subsets: [{ name: 'x' }] } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FieldConflictError);
    expect((error as InstanceType<typeof FieldConflictError>).managers).toEqual(['kustomize-controller']);
    expect((error as Error).message).toMatch(/Apply failed with 1 conflict: conflict with "kustomize-controller" using networking\.istio\.io\/v1: \.spec\.subsets/);
  });
});

describe("make-before-break in Envoy's time (an injected clock)", () => {
  it('adds the subset, switches the route a settle time later, and removes the retired subset a settle time after the route stopped using it', async () => {
    const { server, cluster } = await start();
    let now = NOW.getTime();
    const at = () => new Date(now);
    const step = (options = {}) => reconcile(cluster, 'shop', { now: at, settleMs: 10_000, waitToSwitch: false, ...options });
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    await reconcile(cluster, 'shop', { now: at });
    expect(routeNames(server)).toEqual(['environment:production', 'default:production']);

    server.put('routefragments', stored(branch('checkout-b1', 'b1')));
    const added = await step();
    expect(subsetNames(server)).toEqual(['checkout-b1', 'checkout-v1']);
    expect(routeNames(server)).not.toContain('branch:checkout-b1'); // not yet: Envoy may not know the subset
    expect(added.requeueAt).toBe(now + 10_000);
    expect(server.get('destinationrules', 'shop', 'checkout')!.metadata.annotations).toMatchObject({ [SUBSETS_ADDED_AT]: at().toISOString() });
    expect(added.results.map((r) => r.message)).toContain('VirtualService shop/checkout waits 10 s for subsets checkout-b1 to reach the proxies.');

    now += 9_999;
    expect((await step()).written).toEqual([]);
    now += 1;
    await step();
    expect(routeNames(server)).toContain('branch:checkout-b1');

    // The build goes: the route goes at once, the subset a settle time later, by a later reconcile.
    server.delete('routefragments', 'shop', 'checkout-b1');
    now += 60_000;
    const unrouted = await step();
    expect(routeNames(server)).not.toContain('branch:checkout-b1');
    expect(subsetNames(server)).toEqual(['checkout-b1', 'checkout-v1']);
    expect(server.get('virtualservices', 'shop', 'checkout')!.metadata.annotations).toMatchObject({ [UNROUTED_AT]: at().toISOString() });
    expect(unrouted.requeueAt).toBe(now + 10_000);
    now += 9_000;
    expect((await step()).written).toEqual([]);
    now += 1_000;
    const pruned = await step();
    expect(pruned.writes.map((r) => r.message)).toEqual(['updated DestinationRule shop/checkout: remove subsets checkout-b1 (after the VirtualService).']);
    expect(subsetNames(server)).toEqual(['checkout-v1']);
    expect(brokenMoments(server.history)).toEqual([]);
  });

  it('a pipeline reconcile waits for the switch itself (on its timer), and leaves the retired subset to a later run', async () => {
    const { server, cluster } = await start();
    let now = NOW.getTime();
    const slept: number[] = [];
    const sleep = async (ms: number) => {
      slept.push(ms);
      now += ms;
    };
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    const first = await reconcile(cluster, 'shop', { now: () => new Date(now), settleMs: 10_000, sleep });
    expect(first.ok).toBe(true);
    expect(slept).toEqual([10_000]);
    expect(first.writes.map((r) => r.message.split(':')[0])).toEqual(['created DestinationRule shop/checkout', 'created VirtualService shop/checkout']);
  });
});

describe('skew between reconcilers', () => {
  it('routes written by a newer Switchyard are left alone, and it says so', async () => {
    const { server, cluster } = await start();
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    await reconcile(cluster, 'shop', { renderedBy: 'switchyard/9.0.0' });
    const before = server.resourceVersion;
    server.put('routefragments', stored(release('checkout-v2', 'production', 2)));
    const outcome = await reconcile(cluster, 'shop', { renderedBy: 'switchyard/0.1.0' });
    expect(outcome.results.filter((r) => r.severity === 'warning').map((r) => r.message)).toContain(
      'DestinationRule shop/checkout was written by switchyard/9.0.0, newer than this switchyard/0.1.0; it is not overwritten (an older merge could drop what the newer one knows): upgrade this reconciler.',
    );
    expect(server.history.filter((e) => e.resourceVersion > before + 1 && e.plural !== 'routefragments')).toEqual([]);
  });

  it('two reconcilers with different policies do not flip-flop: the second leaves the routes and names both digests; --adopt-policy takes them over', async () => {
    const { server, cluster } = await start();
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    await reconcile(cluster);
    expect((server.get('virtualservices', 'shop', 'checkout')!.metadata.annotations as Record<string, string> | undefined)?.[POLICY_DIGEST]).toBe(policyDigest(POLICY));
    const other = { object: policy({ branchHeader: 'x-other' }), source: { path: 'other.yaml' } };
    server.put('routefragments', stored(branch('checkout-b1', 'b1')));
    const refused = await reconcile(cluster, 'shop', { policy: other });
    expect(refused.ok).toBe(false);
    expect(refused.results.find((r) => r.severity === 'error')!.message).toContain(`was rendered with another RoutingPolicy (digest ${policyDigest(POLICY)}; this reconciler's is ${policyDigest(other)})`);
    expect(routeNames(server)).not.toContain('branch:checkout-b1');
    const adopted = await reconcile(cluster, 'shop', { policy: other, adoptPolicy: true });
    expect(adopted.ok).toBe(true);
    expect((server.get('virtualservices', 'shop', 'checkout')!.metadata.annotations as Record<string, string> | undefined)?.[POLICY_DIGEST]).toBe(policyDigest(other));
  });
});

describe('watches and namespaces', () => {
  it('watches the server keeps closing restart with a growing delay, not in a hot loop; ERROR events and 403s are reported as such', async () => {
    const { server, cluster } = await start({ authorize: (r) => !(r.verb === 'watch' && r.resource === 'deployments') });
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    const messages: string[] = [];
    const { stop, done } = startController(cluster, {
      namespace: 'shop',
      debounceMs: 5,
      watchRestart: { baseMs: 100, maxMs: 400 },
      failureBackoff: { baseMs: 100, maxMs: 400 },
      report: ({ message }) => message && messages.push(message),
    });
    await eventually(() => routeNames(server), (r) => r !== undefined);
    const closer = setInterval(() => server.endWatches(), 5);
    await new Promise((r) => setTimeout(r, 1_200));
    clearInterval(closer);
    await eventually(() => server.openWatches('routefragments'), (n) => n > 0);
    server.failWatches(410);
    await eventually(() => messages.some((m) => m.includes('ERROR event')), Boolean);
    stop.abort();
    await done;
    const watchesOf = (resource: string) => server.requests.filter((r) => r.verb === 'watch' && r.resource === resource).length;
    // Closed every 5 ms for 1.2 s: a restart without delay would open hundreds; the backoff (100 ms doubling to 400 ms) a handful.
    expect(watchesOf('routefragments')).toBeGreaterThanOrEqual(3);
    expect(watchesOf('routefragments')).toBeLessThan(15);
    expect(messages, messages.join('\n')).toContain('the watch of RouteFragments failed (the API server sent an ERROR event: too old resource version: 1 (2) (HTTP 410)); starting it again.');
    const forbidden = messages.find((m) => m.startsWith('the watch of Deployments failed'));
    expect(forbidden).toMatch(/^the watch of Deployments failed \(cannot watch deployments\.apps in namespace shop: Forbidden \(HTTP 403\)\. Grant it in the Role or ClusterRole/);
    expect(forbidden).not.toContain('did not answer');
  });

  it('a namespace with nothing left is forgotten: its routes retired, it is no longer listed at each resync', async () => {
    const { server, cluster } = await start();
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    server.put('routefragments', stored(fragment('checkout-v1', { service: 'checkout', release: { environment: 'production', revision: 1 } }, 'preview-1')));
    const outcomes: { namespace: string; empty?: boolean }[] = [];
    const { stop, done } = startController(cluster, {
      namespace: undefined,
      debounceMs: 5,
      resyncMs: 50,
      reconcile: { settleMs: 0, backoff: { baseMs: 2, maxMs: 20 } },
      report: ({ outcome }) => outcome && outcomes.push(outcome),
    });
    await eventually(() => routeNames(server, 'checkout', 'preview-1'), (r) => r !== undefined);
    server.delete('routefragments', 'preview-1', 'checkout-v1');
    await eventually(() => outcomes.some((o) => o.namespace === 'preview-1' && o.empty), Boolean, 10_000);
    expect(routeNames(server, 'checkout', 'preview-1')).toBeUndefined();
    const lists = (ns: string) => server.requests.filter((r) => r.verb === 'list' && r.namespace === ns).length;
    const [preview, shop] = [lists('preview-1'), lists('shop')];
    await eventually(() => lists('shop'), (n) => n >= shop + 5 * 4, 15_000); // five more resyncs of shop (four lists each)
    expect(lists('shop')).toBeGreaterThanOrEqual(shop + 20);
    // Forgotten: at most one stray reconcile (a resync whose namespace list was read before the delete), not one per resync.
    expect(lists('preview-1') - preview).toBeLessThanOrEqual(4);
    stop.abort();
    await done;
  });
});

describe('the fake API server, where the first one hid risks', () => {
  it('NamespaceLifecycle: a write into a missing namespace is 404, into one being deleted 403; a no-op write keeps the resourceVersion; PUT without resourceVersion on a custom resource is 422', async () => {
    const { server, cluster } = await start({ namespaceLifecycle: true });
    const vs = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'x', namespace: 'gone' }, spec: { hosts: ['x'] } };
    await expect(cluster.create('VirtualService', 'gone', vs)).rejects.toThrow(/namespaces "gone" not found/);
    server.createNamespace('shop');
    const created = await cluster.create('VirtualService', 'shop', { ...vs, metadata: { name: 'x', namespace: 'shop' } });
    const again = await cluster.apply('VirtualService', 'shop', { ...vs, metadata: { name: 'x', namespace: 'shop' } }, { force: true });
    const same = await cluster.apply('VirtualService', 'shop', { ...vs, metadata: { name: 'x', namespace: 'shop' } });
    expect(same.metadata.resourceVersion).toBe(again.metadata.resourceVersion);
    expect(Number(again.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(created.metadata.resourceVersion));
    const { resourceVersion: _rv, ...meta } = same.metadata;
    await expect(cluster.replace('VirtualService', 'shop', { ...same, metadata: meta })).rejects.toThrow(/metadata\.resourceVersion: Invalid value: 0x0: must be specified for an update \(HTTP 422\)/);
    server.terminateNamespace('shop');
    await expect(cluster.create('VirtualService', 'shop', { ...vs, metadata: { name: 'y', namespace: 'shop' } })).rejects.toThrow(/unable to create new content in namespace shop because it is being terminated \(HTTP 403\)/);
  });
});
