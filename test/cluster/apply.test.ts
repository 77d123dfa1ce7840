// `apply`: fragments written into the cluster, owned by their Deployment.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyFragments } from '../../src/cluster/apply.ts';
import { branch, deployment, eventually, startEnv, stored, type Env } from './helpers.ts';

let env: Env;
beforeEach(async () => {
  env = await startEnv();
});
afterEach(async () => {
  await env.server.stop();
});

const owned = (name: string) => ({ kind: 'Deployment' as const, name });

describe('apply', () => {
  it('creates the fragment with an ownerReference to the Deployment, by its uid', async () => {
    const { server, cluster } = env;
    const d = server.put('deployments', deployment('checkout-b1'));
    const outcome = await applyFragments({ cluster, fragments: [{ fragment: branch('checkout-b1', 'b1'), source: 'stdin' }], owner: owned('checkout-b1') });
    expect(outcome.ok).toBe(true);
    expect(outcome.results.map((r) => r.message)).toEqual([`created RouteFragment shop/checkout-b1, owned by Deployment shop/checkout-b1 (uid ${d.metadata.uid}).`]);
    const f = server.get('routefragments', 'shop', 'checkout-b1')!;
    expect(f.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout-b1', uid: d.metadata.uid }]);
    expect(f.spec).toMatchObject({ workload: { kind: 'Deployment', name: 'checkout-b1' } });

    // The garbage collector deletes it with its Deployment; an unowned fragment stays.
    server.put('routefragments', stored(branch('checkout-unowned', 'u')));
    await cluster.remove('Deployment', 'shop', 'checkout-b1');
    expect(await eventually(() => server.get('routefragments', 'shop', 'checkout-b1'), (x) => x === undefined)).toBeUndefined();
    expect(server.get('routefragments', 'shop', 'checkout-unowned')).toBeDefined();
  });

  it('updates an existing fragment with its resourceVersion, and says when nothing changed', async () => {
    const { server, cluster } = env;
    server.put('deployments', deployment('checkout-b1'));
    const apply = (value: string) => applyFragments({ cluster, fragments: [{ fragment: branch('checkout-b1', value), source: 'stdin' }], owner: owned('checkout-b1') });
    await apply('b1');
    const updates = () => server.requests.filter((r) => r.resource === 'routefragments' && r.verb === 'update').length;
    expect((await apply('b1')).results[0]!.message).toMatch(/^unchanged RouteFragment shop\/checkout-b1/);
    expect(updates()).toBe(0);
    expect((await apply('b2')).results[0]!.message).toMatch(/^updated RouteFragment shop\/checkout-b1/);
    expect(updates()).toBe(1);
    expect(server.get('routefragments', 'shop', 'checkout-b1')!.spec).toMatchObject({ branch: { value: 'b2' } });
  });

  it('re-owns a fragment when its Deployment was deleted and created again (a new uid)', async () => {
    const { server, cluster } = env;
    server.put('deployments', deployment('checkout-b1'));
    await applyFragments({ cluster, fragments: [{ fragment: branch('checkout-b1', 'b1'), source: 'stdin' }], owner: owned('checkout-b1') });
    server.gcPaused = true; // the new Deployment arrives before the garbage collector runs
    server.delete('deployments', 'shop', 'checkout-b1');
    const again = server.put('deployments', deployment('checkout-b1'));
    await applyFragments({ cluster, fragments: [{ fragment: branch('checkout-b1', 'b1'), source: 'stdin' }], owner: owned('checkout-b1') });
    server.gcPaused = false;
    server.collectGarbage();
    const f = server.get('routefragments', 'shop', 'checkout-b1')!;
    expect(f.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout-b1', uid: again.metadata.uid }]);
  });

  it('writes nothing when the owner is missing or a namespace disagrees', async () => {
    const { server, cluster } = env;
    const missing = await applyFragments({ cluster, fragments: [{ fragment: branch('checkout-b1', 'b1'), source: 'stdin' }], owner: owned('checkout-b1') });
    expect(missing.ok).toBe(false);
    expect(missing.results.map((r) => r.message)).toEqual([
      'Deployment shop/checkout-b1 does not exist, so it cannot own a fragment (the garbage collector would delete the fragment at once); deploy it first.',
    ]);
    const clash = await applyFragments({ cluster, namespace: 'other', fragments: [{ fragment: branch('checkout-b1', 'b1'), source: 'f.yaml' }] });
    expect(clash.results.map((r) => r.message)).toEqual(['RouteFragment shop/checkout-b1 (f.yaml): metadata.namespace is shop, but -n says other; drop one of them.']);
    expect(server.requests.filter((r) => r.resource === 'routefragments')).toEqual([]);
  });
});
