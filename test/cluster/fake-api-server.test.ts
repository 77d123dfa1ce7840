// The fake API server behaves like kube-apiserver for what cluster mode relies on; checked through
// the real client-node stack (the Cluster edge, and client-node's own API classes for patch).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClusterError, ConflictError, NotFoundError, type WatchEvent } from '../../src/cluster/cluster.ts';
import { connect } from '../../src/cluster/client.ts';
import type { ClusterObject } from '../../src/cluster/resources.ts';
import { FakeApiServer } from './fake-api-server.ts';
import { deployment, eventually, startEnv, type Env } from './helpers.ts';

let env: Env;
beforeEach(async () => {
  env = await startEnv();
});
afterEach(async () => {
  await env.server.stop();
});

const vs = (name: string, extra: object = {}): ClusterObject => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace: 'shop' }, spec: { hosts: [name], http: [] }, ...extra });

describe('fake API server, through client-node', () => {
  it('gives every write a new resourceVersion and refuses stale updates and deletes with 409', async () => {
    const { cluster } = env;
    const created = await cluster.create('VirtualService', 'shop', vs('a'));
    expect(created.metadata).toMatchObject({ name: 'a', namespace: 'shop', generation: 1 });
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    const updated = await cluster.replace('VirtualService', 'shop', { ...created, spec: { hosts: ['b'] } });
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    expect(updated.metadata.generation).toBe(2);
    await expect(cluster.replace('VirtualService', 'shop', { ...created, spec: { hosts: ['c'] } })).rejects.toThrow(ConflictError);
    await expect(cluster.create('VirtualService', 'shop', vs('a'))).rejects.toThrow(/already exists/);
    await expect(cluster.remove('VirtualService', 'shop', 'a', { resourceVersion: created.metadata.resourceVersion! })).rejects.toThrow(/Precondition failed/);
    await expect(cluster.remove('VirtualService', 'shop', 'a', { uid: 'someone-else' })).rejects.toThrow(ConflictError);
    await cluster.remove('VirtualService', 'shop', 'a', { resourceVersion: updated.metadata.resourceVersion!, uid: updated.metadata.uid! });
    expect(await cluster.get('VirtualService', 'shop', 'a')).toBeUndefined();
    await expect(cluster.replace('VirtualService', 'shop', updated)).rejects.toThrow(NotFoundError);
  });

  it('lists one namespace or all, by label; built-in kinds come without apiVersion and kind, and the client fills them in', async () => {
    const { server, cluster } = env;
    server.put('deployments', deployment('d1'));
    server.put('deployments', deployment('d2', 'other'));
    server.put('virtualservices', { ...vs('x'), metadata: { name: 'x', namespace: 'shop', labels: { team: 'a' } } } as never);
    server.put('virtualservices', { ...vs('y'), metadata: { name: 'y', namespace: 'other', labels: { team: 'b' } } } as never);
    expect((await cluster.list('Deployment', 'shop')).map((d) => [d.apiVersion, d.kind, d.metadata.name])).toEqual([['apps/v1', 'Deployment', 'd1']]);
    expect((await cluster.list('Deployment', undefined)).map((d) => d.metadata.name).sort()).toEqual(['d1', 'd2']);
    expect((await cluster.list('VirtualService', undefined, 'team=b')).map((d) => d.metadata.name)).toEqual(['y']);
  });

  it('watches from a resourceVersion, or from now with ADDED events for what exists', async () => {
    const { server, cluster } = env;
    server.put('virtualservices', vs('before') as never);
    const events: [WatchEvent, string][] = [];
    const watching = await cluster.watch('VirtualService', 'shop', (type, o) => events.push([type, o.metadata.name]), () => undefined);
    const created = await cluster.create('VirtualService', 'shop', vs('during'));
    await cluster.replace('VirtualService', 'shop', { ...created, spec: { hosts: ['z'] } });
    await cluster.remove('VirtualService', 'shop', 'during');
    await cluster.create('VirtualService', 'other', vs('elsewhere', { metadata: { name: 'elsewhere', namespace: 'other' } }));
    const seen = await eventually(() => events.length, (n) => n >= 4);
    watching.stop();
    expect(seen).toBe(4);
    expect(events).toEqual([
      ['ADDED', 'before'],
      ['ADDED', 'during'],
      ['MODIFIED', 'during'],
      ['DELETED', 'during'],
    ]);
    // A client-node watch from a resourceVersion replays what came after it.
    const k8s = await import('@kubernetes/client-node');
    const config = new k8s.KubeConfig();
    config.loadFromFile(server.kubeconfig);
    const replayed: string[] = [];
    const controller = await new k8s.Watch(config).watch('/apis/networking.istio.io/v1/namespaces/shop/virtualservices', { resourceVersion: created.metadata.resourceVersion }, (type: string) => replayed.push(type), () => undefined);
    await eventually(() => replayed.length, (n) => n >= 2);
    controller.abort();
    expect(replayed).toEqual(['MODIFIED', 'DELETED']);
  });

  it('collects garbage in the background: dependents of a deleted owner, down a chain; not those with another live owner; orphans on request', async () => {
    const { server, cluster } = env;
    const owner = await cluster.create('Deployment', 'shop', deployment('owner') as unknown as ClusterObject);
    const other = await cluster.create('Deployment', 'shop', deployment('other') as unknown as ClusterObject);
    const ref = (o: ClusterObject) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid! });
    const child = await cluster.create('VirtualService', 'shop', vs('child', { metadata: { name: 'child', namespace: 'shop', ownerReferences: [ref(owner)] } }));
    await cluster.create('DestinationRule', 'shop', { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'grandchild', namespace: 'shop', ownerReferences: [ref(child)] }, spec: { host: 'x' } });
    await cluster.create('VirtualService', 'shop', vs('shared', { metadata: { name: 'shared', namespace: 'shop', ownerReferences: [ref(owner), ref(other)] } }));
    server.gcPaused = true; // to see the order: the delete returns before the collector runs
    await cluster.remove('Deployment', 'shop', 'owner');
    expect(server.get('virtualservices', 'shop', 'child')).toBeDefined();
    server.gcPaused = false;
    server.collectGarbage();
    expect(server.get('virtualservices', 'shop', 'child')).toBeUndefined();
    expect(server.get('destinationrules', 'shop', 'grandchild')).toBeUndefined();
    expect(server.get('virtualservices', 'shop', 'shared')!.metadata.ownerReferences).toEqual([ref(other)]);

    const k8s = await import('@kubernetes/client-node');
    const config = new k8s.KubeConfig();
    config.loadFromFile(server.kubeconfig);
    await config.makeApiClient(k8s.CustomObjectsApi).deleteNamespacedCustomObject({ group: 'apps', version: 'v1', namespace: 'shop', plural: 'deployments', name: 'other', body: { propagationPolicy: 'Orphan' } });
    await new Promise((r) => setTimeout(r, 30));
    expect(server.get('virtualservices', 'shop', 'shared')!.metadata.ownerReferences).toBeUndefined();
  });

  it('deletes an object created with an owner that does not exist (a dangling reference)', async () => {
    const { server, cluster } = env;
    await cluster.create('VirtualService', 'shop', vs('dangling', { metadata: { name: 'dangling', namespace: 'shop', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'gone', uid: 'no-such-uid' }] } }));
    expect(await eventually(() => server.get('virtualservices', 'shop', 'dangling'), (x) => x === undefined)).toBeUndefined();
  });

  it('applies JSON merge patches with an optional resourceVersion precondition', async () => {
    const { server, cluster } = env;
    const created = await cluster.create('VirtualService', 'shop', vs('p', { metadata: { name: 'p', namespace: 'shop', labels: { a: '1', b: '2' } } }));
    const k8s = await import('@kubernetes/client-node');
    const config = new k8s.KubeConfig();
    config.loadFromFile(server.kubeconfig);
    const api = config.makeApiClient(k8s.CustomObjectsApi);
    const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
    const target = { group: 'networking.istio.io', version: 'v1', namespace: 'shop', plural: 'virtualservices', name: 'p' };
    await api.patchNamespacedCustomObject({ ...target, body: { metadata: { labels: { b: null, c: '3' } }, spec: { hosts: ['q'] } } }, merge);
    expect(server.get('virtualservices', 'shop', 'p')).toMatchObject({ metadata: { labels: { a: '1', c: '3' } }, spec: { hosts: ['q'], http: [] } });
    await expect(api.patchNamespacedCustomObject({ ...target, body: { metadata: { resourceVersion: created.metadata.resourceVersion }, spec: { hosts: ['r'] } } }, merge)).rejects.toMatchObject({ code: 409 });
  });

  it('answers 401 without the token, 403 where RBAC says no, 404 (with a hint) where the CRD is missing', async () => {
    const strict = await FakeApiServer.start({ authorize: (r) => r.verb !== 'delete', uninstalled: ['routefragments'] });
    try {
      const cluster = await connect({ kubeconfig: strict.kubeconfig });
      await cluster.create('VirtualService', 'shop', vs('a'));
      await expect(cluster.remove('VirtualService', 'shop', 'a')).rejects.toThrow(
        'cannot delete virtualservices.networking.istio.io a in namespace shop: virtualservices.networking.istio.io "a" is forbidden: User "system:serviceaccount:test:switchyard" cannot delete resource "virtualservices" in API group "networking.istio.io" in the namespace "shop" (HTTP 403).',
      );
      await expect(cluster.list('RouteFragment', 'shop')).rejects.toThrow(
        'cannot list routefragments.switchyard.dev in namespace shop: the server could not find the requested resource (HTTP 404). Is the RouteFragment CustomResourceDefinition installed? kubectl apply -f manifests/routefragment-crd.yaml',
      );
      const { readFileSync, writeFileSync } = await import('node:fs');
      const config = JSON.parse(readFileSync(strict.kubeconfig, 'utf8'));
      config.users[0].user = {};
      writeFileSync(`${strict.kubeconfig}-anonymous`, JSON.stringify(config));
      const anonymous = await connect({ kubeconfig: `${strict.kubeconfig}-anonymous` });
      await expect(anonymous.list('Deployment', 'shop')).rejects.toThrow('cannot list deployments.apps in namespace shop: Unauthorized (HTTP 401).');
    } finally {
      await strict.stop();
    }
  });

  it('reports an unreachable server as a cluster error naming it', async () => {
    const stopped = await FakeApiServer.start();
    const cluster = await connect({ kubeconfig: stopped.kubeconfig });
    await stopped.stop();
    const error = await cluster.list('RouteFragment', 'shop').catch((e: Error) => e);
    expect(error).toBeInstanceOf(ClusterError);
    expect((error as Error).message).toMatch(new RegExp(`^cannot list routefragments.switchyard.dev in namespace shop: the API server at ${stopped.url.replaceAll('.', '\\.')} did not answer`));
  });
});
