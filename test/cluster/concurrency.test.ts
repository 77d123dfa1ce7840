// Many pipelines at once: each changes its own fragment (creates a branch build with its Deployment,
// deletes a Deployment, deletes or changes a fragment, moves a canary) and then reconciles, while
// other reconcilers run too; random delays everywhere, including inside the API server. After every
// round, the VirtualService and DestinationRule must be exactly what the live fragments say.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFragments } from '../../src/cluster/apply.ts';
import { desiredState } from '../../src/cluster/desired.ts';
import { isSame } from '../../src/cluster/plan.ts';
import { readNamespace } from '../../src/cluster/reconcile.ts';
import type { ClusterObject } from '../../src/cluster/resources.ts';
import { NOW, RENDERED_BY } from '../builders.ts';
import { NotFoundError } from '../../src/cluster/cluster.ts';
import { branch, brokenMoments, deployment, POLICY, reconcile, release, routeNames, startEnv, stored, subsetNames, type Env } from './helpers.ts';

// npm test runs a short version (a few seconds: every kind of change still races, and a broken
// safeguard shows within it); npm run test:soak, which .ci/run runs after npm test, runs 200 rounds.
const ROUNDS = Number(process.env.SWITCHYARD_CONCURRENCY_ROUNDS ?? 25);
const WRITERS = 3;
const EXTRA_RECONCILERS = 2;

/** A small seeded generator, so that a failing run can be repeated (the seed is printed). */
function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seed = Number(process.env.SWITCHYARD_SEED ?? Date.now() % 1_000_000);
const random = generator(seed);
const pause = (maxMs: number) => new Promise((r) => setTimeout(r, Math.floor(random() * maxMs)));
const pick = <T>(list: readonly T[]): T | undefined => list[Math.floor(random() * list.length)];

let env: Env;
beforeAll(async () => {
  env = await startEnv({ latencyMs: () => Math.floor(random() * 3), plainHttp: process.env.SWITCHYARD_FAKE_TLS !== '1' });
});
afterAll(async () => {
  await env.server.stop();
});

describe(`concurrent reconcilers and fragment writers (seed ${seed})`, () => {
  it(`never lose a fragment: after each of ${ROUNDS} rounds the routes are exactly the live fragments'`, async () => {
    const { server, cluster } = env;
    server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
    let serial = 0;
    const counts = { create: 0, deleteDeployment: 0, deleteFragment: 0, change: 0, reapply: 0, flash: 0, canary: 0, reconciles: 0, conflicts: 0, writes: 0 };
    const started = Date.now();

    const writer = async (): Promise<void> => {
      await pause(8);
      const branches = server.list('routefragments', 'shop').filter((f) => f.metadata.name.startsWith('checkout-b'));
      const action = random();
      if (action < 0.35 || branches.length < 2) {
        // A branch build: its Deployment, then its fragment owned by it.
        const name = `checkout-b${++serial}`;
        await cluster.create('Deployment', 'shop', deployment(name) as unknown as ClusterObject);
        const applied = await applyFragments({ cluster, fragments: [{ fragment: branch(name, name), source: 'pipeline' }], owner: { kind: 'Deployment', name } });
        expect(applied.ok).toBe(true);
        counts.create++;
      } else if (action < 0.55) {
        // The build is torn down: the garbage collector deletes its fragment.
        const victim = pick(branches)!;
        await cluster.remove('Deployment', 'shop', victim.metadata.name).catch(() => undefined);
        counts.deleteDeployment++;
      } else if (action < 0.65) {
        const victim = pick(branches)!;
        await cluster.remove('RouteFragment', 'shop', victim.metadata.name).catch(() => undefined);
        counts.deleteFragment++;
      } else if (action < 0.8) {
        // A re-run pipeline: the same fragment deleted and applied again (a new uid, the same routes).
        const victim = pick(branches)!;
        if (server.get('deployments', 'shop', victim.metadata.name)) {
          await cluster.remove('RouteFragment', 'shop', victim.metadata.name).catch(() => undefined);
          await pause(3);
          await applyFragments({ cluster, fragments: [{ fragment: branch(victim.metadata.name, (victim.spec as { branch: { value: string } }).branch.value), source: 'pipeline' }], owner: { kind: 'Deployment', name: victim.metadata.name } }).catch(() => undefined);
          counts.reapply++;
        }
      } else if (action < 0.85) {
        // A build cancelled right after it announced itself: its fragment comes and goes.
        const name = `checkout-b${++serial}`;
        await cluster.create('RouteFragment', 'shop', stored(branch(name, name)) as unknown as ClusterObject);
        await pause(3);
        // Another pipeline may have picked it to delete in the meantime: gone is gone.
        await cluster.remove('RouteFragment', 'shop', name).catch((error: unknown) => {
          if (!(error instanceof NotFoundError)) throw error;
        });
        counts.flash++;
      } else if (action < 0.93) {
        // The build moves to another header value (a changed route, same subset).
        const victim = pick(branches)!;
        const moved = branch(victim.metadata.name, `${victim.metadata.name}-${++serial}`);
        if (server.get('deployments', 'shop', victim.metadata.name)) {
          await applyFragments({ cluster, fragments: [{ fragment: moved, source: 'pipeline' }], owner: { kind: 'Deployment', name: victim.metadata.name } }).catch(() => undefined);
          counts.change++;
        }
      } else {
        // The canary moves (or rolls back to 0).
        await applyFragments({ cluster, fragments: [{ fragment: release('checkout-v2', 'production', 2, Math.floor(random() * 4) * 10), source: 'pipeline' }] });
        counts.canary++;
      }
      await pause(4);
      const outcome = await reconcile(cluster, 'shop', { random });
      expect(outcome.results.filter((r) => r.severity === 'error')).toEqual([]);
      expect(outcome.ok).toBe(true);
      counts.reconciles++;
      counts.conflicts += outcome.conflicts;
      counts.writes += outcome.written.length;
    };
    const reconciler = async (): Promise<void> => {
      await pause(12);
      const outcome = await reconcile(cluster, 'shop', { random });
      expect(outcome.ok).toBe(true);
      counts.reconciles++;
      counts.conflicts += outcome.conflicts;
      counts.writes += outcome.written.length;
    };

    for (let round = 1; round <= ROUNDS; round++) {
      await Promise.all([...Array.from({ length: WRITERS }, writer), ...Array.from({ length: EXTRA_RECONCILERS }, reconciler)]);

      // What the live fragments say, computed from scratch by the pure core...
      const snapshot = await readNamespace(cluster, 'shop');
      const desired = desiredState({ snapshot, policy: POLICY, now: NOW, renderedBy: RENDERED_BY });
      const live = (kind: 'virtualservices' | 'destinationrules') => server.get(kind, 'shop', 'checkout') as unknown as ClusterObject;
      const context = `round ${round}, seed ${seed}`;
      expect(isSame(desired.virtualServices[0]!, live('virtualservices')), context).toBe(true);
      expect(isSame(desired.destinationRules[0]!, live('destinationrules')), context).toBe(true);
      // ...and independently of it: one branch route per fragment whose Deployment exists, one subset each.
      const liveBranches = server
        .list('routefragments', 'shop')
        .filter((f) => f.metadata.name.startsWith('checkout-b') && server.get('deployments', 'shop', f.metadata.name))
        .map((f) => f.metadata.name)
        .sort();
      expect(routeNames(server)!.filter((r) => r.startsWith('branch:')).map((r) => r.slice('branch:'.length)).sort(), context).toEqual(liveBranches);
      expect(subsetNames(server)!.filter((s) => s.startsWith('checkout-b')), context).toEqual(liveBranches);
    }

    const broken = brokenMoments(server.history);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `${ROUNDS} rounds (seed ${seed}) in ${seconds} s: ${counts.reconciles} reconciles, ${counts.writes} writes, ${counts.conflicts} conflicts retried; ` +
        `${counts.create} builds created, ${counts.deleteDeployment} Deployments and ${counts.deleteFragment} fragments deleted, ${counts.change} fragments changed, ${counts.reapply} re-applied, ${counts.flash} created and deleted at once, ${counts.canary} canary moves; ` +
        `${server.requests.length} API requests; ${broken.length} moments with a route to a missing subset.`,
    );
    expect(counts.conflicts).toBeGreaterThan(0); // the rounds really did race
    // Make-before-break between reconcilers: a route to a subset that is not (yet, or any more)
    // defined can only appear when two reconcilers disagree about a fragment that is created or
    // deleted at that very moment, in a window of one request (docs/decisions/reconcile-concurrency.md).
    // Measured: 0 in seven runs since the prune lists the fragments again (before that, 0 to 2 and
    // once 7 on a loaded machine); without the re-read of the DestinationRule 24 to 33, without
    // resourceVersion preconditions 70 to 100.
    expect(broken.length, JSON.stringify(broken)).toBeLessThanOrEqual(4);
  }, 120_000);
});
