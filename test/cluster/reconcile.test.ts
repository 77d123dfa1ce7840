// `reconcile` against the fake API server, through the real client-node HTTP stack.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyFragments } from '../../src/cluster/apply.ts';
import { describeStep } from '../../src/cluster/plan.ts';
import { branch, brokenMoments, deployment, eventually, fragment, reconcile, release, routeNames, startEnv, stored, subsetNames, writesTo, type Env } from './helpers.ts';

let env: Env;
beforeEach(async () => {
  env = await startEnv();
});
afterEach(async () => {
  await env.server.stop();
});

describe('reconcile', () => {
  it('creates the VirtualService and DestinationRule, and a second run writes nothing', async () => {
    const { server, cluster } = env;
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    server.put('routefragments', stored(branch('checkout-feature-jp12', 'feature-jp12')));
    const first = await reconcile(cluster);
    expect(first.ok).toBe(true);
    expect(routeNames(server)).toEqual(['environment:production', 'branch:checkout-feature-jp12', 'default:production']);
    expect(subsetNames(server)).toEqual(['checkout-feature-jp12', 'checkout-v1']);
    expect(first.writes.map((r) => r.message)).toEqual([
      'created DestinationRule shop/checkout: create with subsets checkout-feature-jp12, checkout-v1.',
      'created VirtualService shop/checkout: create with routes environment:production, branch:checkout-feature-jp12, default:production.',
    ]);
    const vs = server.get('virtualservices', 'shop', 'checkout')!;
    expect(vs.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'switchyard' });

    const writes = writesTo(server, 'virtualservices').length + writesTo(server, 'destinationrules').length;
    const second = await reconcile(cluster);
    expect(second.ok).toBe(true);
    expect(second.written).toEqual([]);
    expect(second.rounds).toBe(1);
    expect(writesTo(server, 'virtualservices').length + writesTo(server, 'destinationrules').length).toBe(writes);
    expect(server.get('virtualservices', 'shop', 'checkout')!.metadata.resourceVersion).toBe(vs.metadata.resourceVersion);
    expect(second.results.map((r) => r.message)).toContain('merged 2 fragments into VirtualService shop/checkout: 3 routes, 2 subsets.');
  });

  it('is make-before-break: the new subset exists before the route uses it, the old one goes after', async () => {
    const { server, cluster } = env;
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    await reconcile(cluster);
    const start = server.resourceVersion;

    // v2 replaces v1 in one change of the fragment set.
    server.delete('routefragments', 'shop', 'checkout-v1');
    server.put('routefragments', stored(release('checkout-v2', 'production', 2)));
    const outcome = await reconcile(cluster);
    expect(outcome.ok).toBe(true);
    expect(outcome.written.map(describeStep)).toEqual([
      'update DestinationRule shop/checkout: add subsets checkout-v2 (before the VirtualService)',
      'update VirtualService shop/checkout: change routes environment:production, default:production',
      'update DestinationRule shop/checkout: remove subsets checkout-v1 (after the VirtualService)',
    ]);
    const writes = server.history.filter((e) => e.resourceVersion > start && e.plural !== 'routefragments');
    const subsetsAt = (i: number) => ((writes[i]!.object.spec as { subsets: { name: string }[] }).subsets ?? []).map((s) => s.name);
    expect(writes.map((e) => `${e.type} ${e.plural}`)).toEqual(['MODIFIED destinationrules', 'MODIFIED virtualservices', 'MODIFIED destinationrules']);
    expect(subsetsAt(0)).toEqual(['checkout-v1', 'checkout-v2']);
    expect(subsetsAt(2)).toEqual(['checkout-v2']);
    expect(brokenMoments(server.history)).toEqual([]);
  });

  it('deleting the Deployment garbage-collects its owned fragment, and the next reconcile removes its route and subset', async () => {
    const { server, cluster } = env;
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    server.put('deployments', deployment('checkout-feature-jp12'));
    const applied = await applyFragments({ cluster, fragments: [{ fragment: branch('checkout-feature-jp12', 'feature-jp12'), source: 'test' }], owner: { kind: 'Deployment', name: 'checkout-feature-jp12' } });
    expect(applied.ok).toBe(true);
    await reconcile(cluster);
    expect(routeNames(server)).toEqual(['environment:production', 'branch:checkout-feature-jp12', 'default:production']);

    await cluster.remove('Deployment', 'shop', 'checkout-feature-jp12');
    const gone = await eventually(() => server.get('routefragments', 'shop', 'checkout-feature-jp12'), (f) => f === undefined);
    expect(gone).toBeUndefined();
    const outcome = await reconcile(cluster);
    expect(outcome.ok).toBe(true);
    expect(routeNames(server)).toEqual(['environment:production', 'default:production']);
    expect(subsetNames(server)).toEqual(['checkout-v1']);
    expect(brokenMoments(server.history)).toEqual([]);
  });

  it('drops a fragment whose spec.workload Deployment is gone, before any garbage collection, even when no Deployment is left', async () => {
    const { server, cluster } = env;
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    server.put('routefragments', stored(fragment('checkout-feature-x', { branch: { value: 'x' }, workload: { kind: 'Deployment', name: 'checkout-feature-x' } })));
    server.put('deployments', deployment('checkout-feature-x'));
    await reconcile(cluster);
    expect(routeNames(server)).toEqual(['environment:production', 'branch:checkout-feature-x', 'default:production']);

    server.delete('deployments', 'shop', 'checkout-feature-x'); // no ownerReference: the fragment stays
    const outcome = await reconcile(cluster);
    expect(server.get('routefragments', 'shop', 'checkout-feature-x')).toBeDefined();
    expect(routeNames(server)).toEqual(['environment:production', 'default:production']);
    expect(outcome.results.map((r) => r.message)).toContain(
      'RouteFragment shop/checkout-feature-x: names Deployment checkout-feature-x in spec.workload, which is not in the input; it is left out of the routes, and its file can be deleted.',
    );
  });

  it('on a conflict it reads again, renders again and writes what is now true', async () => {
    const { server, cluster } = env;
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    await reconcile(cluster);
    server.put('routefragments', stored(branch('checkout-feature-a', 'a')));
    // Another pipeline adds its fragment and updates the VirtualService just before this one writes it.
    let raced = false;
    server.onRequest(async (r) => {
      if (raced || r.verb !== 'patch' || r.resource !== 'virtualservices') return;
      raced = true;
      server.put('routefragments', stored(branch('checkout-feature-b', 'b')));
      const vs = server.get('virtualservices', 'shop', 'checkout')!;
      server.put('virtualservices', { ...vs, metadata: { ...vs.metadata, annotations: { ...(vs.metadata.annotations as object), 'other-writer': 'was here' } } });
    });
    const outcome = await reconcile(cluster);
    expect(raced).toBe(true);
    expect(outcome.ok).toBe(true);
    expect(outcome.conflicts).toBe(1);
    expect(routeNames(server)).toEqual(['environment:production', 'branch:checkout-feature-a', 'branch:checkout-feature-b', 'default:production']);
    expect(subsetNames(server)).toEqual(['checkout-feature-a', 'checkout-feature-b', 'checkout-v1']);
  });

  it('gives up after the bounded number of conflicts, and says so', async () => {
    const { server, cluster } = env;
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    server.onRequest((r) => {
      // Someone creates the DestinationRule every time just before this reconciler does.
      if (r.verb === 'create' && r.resource === 'destinationrules') server.put('destinationrules', { metadata: { name: 'checkout', namespace: 'shop' }, spec: { host: 'checkout', subsets: [] } });
      if (r.verb === 'patch' && r.resource === 'destinationrules') {
        const dr = server.get('destinationrules', 'shop', 'checkout')!;
        server.put('destinationrules', { ...dr, metadata: { ...dr.metadata, labels: { touched: String(server.resourceVersion) } } });
      }
    });
    const outcome = await reconcile(cluster, 'shop', { maxConflicts: 3 });
    expect(outcome.ok).toBe(false);
    expect(outcome.conflicts).toBe(4);
    expect(outcome.results.at(-1)!.message).toMatch(/^namespace shop: gave up after 4 conflicts with other writers \(last: cannot apply destinationrules.networking.istio.io checkout in namespace shop: Operation cannot be fulfilled/);
    expect(server.get('virtualservices', 'shop', 'checkout')).toBeUndefined();
  });

  it('--dry-run plans and writes nothing', async () => {
    const { server, cluster } = env;
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    const outcome = await reconcile(cluster, 'shop', { dryRun: true });
    expect(outcome.ok).toBe(true);
    expect(outcome.planned.map(describeStep)).toEqual([
      'create DestinationRule shop/checkout: create with subsets checkout-v1',
      'create VirtualService shop/checkout: create with routes environment:production, default:production',
    ]);
    expect(writesTo(server, 'virtualservices')).toEqual([]);
    expect(writesTo(server, 'destinationrules')).toEqual([]);
  });

  it('a broken release writes nothing and reports the error', async () => {
    const { server, cluster } = env;
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    await reconcile(cluster);
    const before = server.resourceVersion;
    server.put('routefragments', stored(release('checkout-v2', 'production', 2, 150)));
    const outcome = await reconcile(cluster);
    expect(outcome.ok).toBe(false);
    expect(outcome.results.filter((r) => r.severity === 'error').map((r) => r.message)).toEqual(['RouteFragment shop/checkout-v2: spec.release.weight is 150; use 100 or less.']);
    expect(server.history.filter((e) => e.resourceVersion > before + 1)).toEqual([]);
  });

  it('deletes the routes of a service whose last fragment is gone: the VirtualService first', async () => {
    const { server, cluster } = env;
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    await reconcile(cluster);
    server.delete('routefragments', 'shop', 'checkout-v1');
    const start = server.resourceVersion;
    const outcome = await reconcile(cluster);
    expect(outcome.ok).toBe(true);
    expect(server.history.filter((e) => e.resourceVersion > start).map((e) => `${e.type} ${e.plural}`)).toEqual(['DELETED virtualservices', 'DELETED destinationrules']);
    expect(routeNames(server)).toBeUndefined();
    expect(subsetNames(server)).toBeUndefined();
  });

  it('keeps what a hand-written base VirtualService says and only takes over the routing fields', async () => {
    const { server, cluster } = env;
    server.put('virtualservices', { metadata: { name: 'checkout', namespace: 'shop', annotations: { team: 'payments' } }, spec: { hosts: ['x'], gateways: ['istio-system/public', 'mesh'], http: [{ name: 'settings', timeout: '3s', route: [] }] } });
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    await reconcile(cluster);
    const vs = server.get('virtualservices', 'shop', 'checkout')!;
    expect(vs.metadata.annotations).toMatchObject({ team: 'payments' });
    // the policy's one environment has no hosts: the mesh VirtualService is all there is, bound to the mesh only
    expect(vs.spec).toMatchObject({ hosts: ['checkout'], gateways: ['mesh'], http: [{ name: 'environment:production', timeout: '3s' }, { name: 'default:production', timeout: '3s' }] });
    expect((await reconcile(cluster)).written).toEqual([]);
  });

  it('reconciles one namespace at a time: another namespace is neither read for fragments nor written', async () => {
    const { server, cluster } = env;
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    server.put('routefragments', stored(fragment('checkout-v1', { release: { environment: 'production', revision: 1 } }, 'other')));
    await reconcile(cluster, 'other');
    expect(routeNames(server, 'checkout', 'other')).toEqual(['environment:production', 'default:production']);
    expect(routeNames(server, 'checkout', 'shop')).toBeUndefined();
  });
});
