// `reconcile --watch`: the controller loop and leader election, against the fake API server.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyFragments } from '../../src/cluster/apply.ts';
import { runController, type ControllerOptions } from '../../src/cluster/controller.ts';
import { LeaderElector } from '../../src/cluster/leader.ts';
import { holderOf, type LeaseTimings } from '../../src/cluster/lease.ts';
import type { ClusterObject } from '../../src/cluster/resources.ts';
import { RENDERED_BY } from '../builders.ts';
import { branch, deployment, eventually, POLICY, release, routeNames, startEnv, stored, type Env } from './helpers.ts';

const TIMINGS: LeaseTimings = { leaseDurationMs: 1_000, renewDeadlineMs: 700, retryPeriodMs: 100 };

let env: Env;
beforeEach(async () => {
  env = await startEnv();
});
afterEach(async () => {
  await env.server.stop();
});

function start(identity: string, extra: Partial<ControllerOptions> = {}) {
  const stop = new AbortController();
  const log: string[] = [];
  const done = runController({
    cluster: env.cluster,
    namespace: 'shop',
    loadPolicy: () => POLICY,
    renderedBy: RENDERED_BY,
    signal: stop.signal,
    leaderElection: { namespace: 'shop', name: 'switchyard-reconcile', identity, timings: TIMINGS },
    debounceMs: 20,
    watchRestart: { baseMs: 20, maxMs: 100 },
    reconcile: { backoff: { baseMs: 2, maxMs: 20 }, settleMs: 0 },
    report: ({ outcome, message }) => {
      if (message) log.push(message);
      if (outcome) log.push(...outcome.writes.map((r) => r.message), ...outcome.results.filter((r) => r.severity !== 'info').map((r) => r.message));
    },
    ...extra,
  });
  return { stop: () => stop.abort(), done, log };
}

const holder = () => holderOf(env.server.get('leases', 'shop', 'switchyard-reconcile') as ClusterObject | undefined);
const branchRoutes = () => (routeNames(env.server) ?? []).filter((r) => r.startsWith('branch:'));

describe('reconcile --watch', () => {
  it('reconciles on every change: a new fragment, a changed one, a deleted Deployment; and after the watch breaks', async () => {
    const { server, cluster } = env;
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    const controller = start('a');
    expect(await eventually(() => routeNames(server), (r) => r !== undefined)).toEqual(['environment:production', 'default:production']);

    server.put('deployments', deployment('checkout-b1'));
    await applyFragments({ cluster, fragments: [{ fragment: branch('checkout-b1', 'b1'), source: 'test' }], owner: { kind: 'Deployment', name: 'checkout-b1' } });
    expect(await eventually(branchRoutes, (r) => r.length === 1)).toEqual(['branch:checkout-b1']);

    server.endWatches(); // an API server restart: the controller watches again and catches up
    server.put('routefragments', stored(branch('checkout-b2', 'b2')));
    expect(await eventually(branchRoutes, (r) => r.length === 2)).toEqual(['branch:checkout-b1', 'branch:checkout-b2']);

    server.delete('deployments', 'shop', 'checkout-b1');
    expect(await eventually(branchRoutes, (r) => r.length === 1)).toEqual(['branch:checkout-b2']);
    await eventually(() => server.get('routefragments', 'shop', 'checkout-b1'), (f) => f === undefined);
    expect(server.get('routefragments', 'shop', 'checkout-b1')).toBeUndefined();

    controller.stop();
    await controller.done;
    expect(holder()).toBe(''); // released on the way out
    // Every watch was started again after the server ended them.
    for (const resource of ['routefragments', 'deployments', 'virtualservices', 'destinationrules']) {
      expect(server.requests.filter((r) => r.verb === 'watch' && r.resource === resource).length, resource).toBe(2);
    }
  });

  it('only the leader reconciles; when it stops, the other replica takes over', async () => {
    const { server } = env;
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    const a = start('a');
    await eventually(holder, (h) => h === 'a');
    const b = start('b');
    await eventually(() => routeNames(server), (r) => r !== undefined);
    await new Promise((r) => setTimeout(r, 300)); // several retry periods: b keeps following
    expect(holder()).toBe('a');
    const writers = () => server.requests.filter((r) => r.resource !== 'leases' && ['create', 'update', 'patch', 'delete'].includes(r.verb)).length;
    const acted = (log: string[]) => log.filter((m) => /^(leading:|created |updated |deleted )/.test(m));
    expect(acted(a.log)).toEqual([expect.stringMatching(/^leading: Lease shop\/switchyard-reconcile is held by a\.$/), expect.stringMatching(/^created DestinationRule/), expect.stringMatching(/^created VirtualService/)]);
    expect(acted(b.log)).toEqual([]);

    a.stop();
    await a.done;
    expect(await eventually(holder, (h) => h === 'b', 3_000)).toBe('b');
    const before = writers();
    server.put('routefragments', stored(branch('checkout-b1', 'b1')));
    expect(await eventually(branchRoutes, (r) => r.length === 1)).toEqual(['branch:checkout-b1']);
    expect(writers()).toBeGreaterThan(before);
    // The report comes after the reconcile's checking round, a moment after the routes change.
    expect(await eventually(() => acted(b.log), (l) => l.length >= 3)).toEqual([expect.stringMatching(/^leading: Lease shop\/switchyard-reconcile is held by b\.$/), expect.stringMatching(/^updated DestinationRule/), expect.stringMatching(/^updated VirtualService/)]);
    b.stop();
    await b.done;
  });

  it('a leader that stops renewing (a crashed replica) loses the Lease after its duration', async () => {
    const { cluster } = env;
    const never = new AbortController();
    const crashed = new LeaderElector({ cluster, namespace: 'shop', name: 'switchyard-reconcile', identity: 'crashed', timings: TIMINGS });
    expect(await crashed.acquire(never.signal)).toBe(true);
    const started = Date.now();
    const successor = new LeaderElector({ cluster, namespace: 'shop', name: 'switchyard-reconcile', identity: 'successor', timings: TIMINGS });
    expect(await successor.acquire(never.signal)).toBe(true);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(TIMINGS.leaseDurationMs);
    expect(waited).toBeLessThan(TIMINGS.leaseDurationMs + 1_000);
    expect(holder()).toBe('successor');
    expect((env.server.get('leases', 'shop', 'switchyard-reconcile')!.spec as { leaseTransitions: number }).leaseTransitions).toBe(1);
    // The crashed one, back, sees it lost.
    const stop = new AbortController();
    expect(await crashed.hold(stop.signal)).toBe('lost');
  });
});
