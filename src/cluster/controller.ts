// `reconcile --watch`: a level-triggered controller loop. Watch events only say WHICH namespace to
// look at; what to write always comes from a fresh read (reconcile.ts), so a missed or repeated
// event costs at most one extra reconcile, never a wrong route. With leader election, only the
// replica holding the Lease reconciles.
import type { Sourced } from '../model/kinds.ts';
import { MANAGED_BY, MANAGED_BY_LABEL } from '../merge/build.ts';
import { backoffDelay, sleep, type Backoff } from './backoff.ts';
import type { Cluster, Watching } from './cluster.ts';
import type { Health } from './health.ts';
import { LeaderElector } from './leader.ts';
import type { LeaseTimings } from './lease.ts';
import { policyDigest, reconcileNamespace, type ReconcileOptions, type ReconcileOutcome } from './reconcile.ts';
import type { ClusterObject, ResourceKind } from './resources.ts';

export interface ControllerOptions {
  cluster: Cluster;
  /** One namespace, or undefined for all. */
  namespace: string | undefined;
  /** Read again before every reconcile, so a changed policy (a remounted ConfigMap) takes effect. */
  loadPolicy: () => Sourced<unknown>;
  renderedBy: string;
  /** Called after each reconcile, and with controller news (leadership, watch restarts). */
  report: (event: { outcome?: ReconcileOutcome; message?: string }) => void;
  signal: AbortSignal;
  leaderElection?: { namespace: string; name: string; identity: string; timings: LeaseTimings };
  /** Every namespace is reconciled this often even without events (expiry, missed events). Default 60 s. */
  resyncMs?: number;
  /** Events are gathered this long before a reconcile. Default 200 ms. */
  debounceMs?: number;
  /** Wait after a failed reconcile of a namespace. Default 1 s doubling to 60 s. */
  failureBackoff?: Backoff;
  /** A watch that ends cleanly is restarted after this long (jittered, doubling while watches keep ending within a minute); a failed one after failureBackoff. Default 1 s to 60 s. */
  watchRestart?: Backoff;
  /** Told about every reconcile and sign of life, for the liveness and readiness probes. */
  health?: Health;
  /** Passed on to each reconcile (backoff, bounds, settle time). */
  reconcile?: Pick<ReconcileOptions, 'backoff' | 'maxConflicts' | 'maxWriteRounds' | 'random' | 'settleMs' | 'adoptPolicy'>;
}

const WATCHED: readonly ResourceKind[] = ['RouteFragment', 'Deployment', 'VirtualService', 'DestinationRule'];

export async function runController(options: ControllerOptions): Promise<void> {
  const { signal } = options;
  if (!options.leaderElection) {
    await lead(options, signal);
    return;
  }
  const elector = new LeaderElector({ cluster: options.cluster, ...options.leaderElection, log: (message) => options.report({ message }), ...(options.health ? { health: options.health } : {}) });
  try {
    while (!signal.aborted) {
      if (!(await elector.acquire(signal))) break;
      const leading = new AbortController();
      const stopLeading = () => leading.abort();
      signal.addEventListener('abort', stopLeading, { once: true });
      const held = elector.hold(leading.signal).then((how) => {
        leading.abort();
        return how;
      });
      await lead(options, leading.signal);
      await held;
      signal.removeEventListener('abort', stopLeading);
    }
  } finally {
    await elector.release();
  }
}

/** Reconciles on every change until `signal` aborts. */
async function lead(options: ControllerOptions, signal: AbortSignal): Promise<void> {
  const { cluster, namespace, health } = options;
  const queue = new NamespaceQueue();
  const known = new Set<string>(namespace ? [namespace] : []);
  const watches = new Map<ResourceKind, Watching>();
  const failures = new Map<string, number>();
  const requeues = new Map<string, NodeJS.Timeout>();
  /** The policies this controller wrote with: after the ConfigMap changes, its own older routes are adopted. */
  const ownDigests = new Set<string>();
  const debounceMs = options.debounceMs ?? 200;
  const failureBackoff = options.failureBackoff ?? { baseMs: 1_000, maxMs: 60_000 };
  const watchRestart = options.watchRestart ?? { baseMs: 1_000, maxMs: 60_000 };

  const relevant = (kind: ResourceKind, object: ClusterObject): string | undefined => {
    const ns = object.metadata?.namespace;
    if (!ns || (namespace && ns !== namespace)) return undefined;
    if (kind === 'RouteFragment' || object.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY) known.add(ns);
    // A Deployment or a hand-written VirtualService matters only where there are fragments.
    return known.has(ns) ? ns : undefined;
  };
  // Watches end (API servers close them every few minutes, proxies sooner) or fail; each is
  // restarted after a jittered wait that doubles while they keep ending quickly or failing, so a
  // proxy that closes every stream at once cannot make a hot re-list loop. Everything is looked at
  // again in case events were missed.
  const watchTrouble = new Map<ResourceKind, { attempt: number; startedAt: number }>();
  const restartWatch = (kind: ResourceKind, failed: boolean) => {
    watches.delete(kind);
    const trouble = watchTrouble.get(kind) ?? { attempt: 0, startedAt: 0 };
    const quick = Date.now() - trouble.startedAt < 60_000;
    const attempt = failed || quick ? trouble.attempt + 1 : 1;
    watchTrouble.set(kind, { ...trouble, attempt });
    const backoff = failed ? failureBackoff : watchRestart;
    const cap = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (attempt - 1));
    const delay = cap / 2 + backoffDelay(1, { baseMs: cap / 2, maxMs: cap / 2 }, Math.random);
    void sleep(delay, signal).then(() => startWatch(kind).then(() => queue.addAll(known)));
  };
  const startWatch = async (kind: ResourceKind): Promise<void> => {
    if (signal.aborted) return;
    watchTrouble.set(kind, { attempt: watchTrouble.get(kind)?.attempt ?? 0, startedAt: Date.now() });
    let ended = false;
    const end = (error: Error | undefined) => {
      if (ended || signal.aborted) return;
      ended = true;
      watches.get(kind)?.stop();
      if (error) options.report({ message: `the watch of ${kind}s failed (${error.message}); starting it again.` });
      restartWatch(kind, error !== undefined);
    };
    try {
      const watching = await cluster.watch(
        kind,
        namespace,
        (type, object) => {
          if (type === 'ERROR') {
            // The server ends a watch with an ERROR event carrying a Status (410 Gone: too old; 403; 500).
            const status = object as unknown as { code?: number; message?: string };
            return end(new Error(`the API server sent an ERROR event: ${status.message ?? 'no message'}${status.code ? ` (HTTP ${status.code})` : ''}`));
          }
          if (type === 'BOOKMARK') return;
          // Events do not reset the backoff: a restarted watch replays every object as ADDED, so a
          // proxy that closes each stream after that would otherwise keep the shortest wait. Only
          // a watch that lasted a minute does (restartWatch).
          const ns = relevant(kind, object);
          if (ns) queue.add(ns);
        },
        end,
      );
      if (signal.aborted || ended) watching.stop();
      else watches.set(kind, watching);
    } catch (error) {
      options.report({ message: `cannot watch ${kind}s: ${(error as Error).message}; trying again.` });
      restartWatch(kind, true);
    }
  };
  const resync = async (): Promise<void> => {
    try {
      const found = namespace ? [namespace] : await discoverNamespaces(cluster);
      // Namespaces with nothing left (no fragment, no routes Switchyard made) are forgotten.
      if (!namespace) {
        for (const ns of known) if (!found.includes(ns)) forget(ns);
      }
      for (const ns of found) known.add(ns);
    } catch (error) {
      options.report({ message: `cannot list namespaces to reconcile: ${(error as Error).message}` });
    }
    health?.beat();
    queue.addAll(known);
  };
  const forget = (ns: string) => {
    known.delete(ns);
    failures.delete(ns);
    clearTimeout(requeues.get(ns));
    requeues.delete(ns);
  };
  const requeueAt = (ns: string, at: number) => {
    clearTimeout(requeues.get(ns));
    requeues.set(
      ns,
      setTimeout(() => {
        requeues.delete(ns);
        queue.add(ns);
      }, Math.max(0, at - Date.now())),
    );
  };

  await Promise.all(WATCHED.map(startWatch));
  await resync();
  health?.markStarted();
  const resyncTimer = setInterval(() => void resync(), options.resyncMs ?? 60_000);
  const stop = () => queue.close();
  signal.addEventListener('abort', stop, { once: true });
  const reconcileOne = async (ns: string): Promise<void> => {
    let outcome: ReconcileOutcome;
    const policy = options.loadPolicy();
    try {
      const run = () =>
        reconcileNamespace({
          cluster,
          namespace: ns,
          policy,
          now: () => new Date(),
          renderedBy: options.renderedBy,
          signal,
          waitToSwitch: false, // the namespace is requeued instead: other namespaces are not held up
          ownDigests,
          ...options.reconcile,
        });
      outcome = health ? await health.track(`the reconcile of namespace ${ns}`, run) : await run();
    } catch (error) {
      outcome = { namespace: ns, ok: false, results: [{ severity: 'error', message: (error as Error).message }], writes: [], written: [], planned: [], conflicts: 0, rounds: 0 };
    }
    if (signal.aborted) return;
    if (outcome.written.length > 0) ownDigests.add(policyDigest(policy));
    options.report({ outcome });
    if (outcome.empty && !namespace) forget(ns);
    if (outcome.requeueAt !== undefined) requeueAt(ns, outcome.requeueAt);
    if (outcome.ok) failures.delete(ns);
    else {
      const attempt = (failures.get(ns) ?? 0) + 1;
      failures.set(ns, attempt);
      void sleep(failureBackoff.baseMs + backoffDelay(attempt, failureBackoff, Math.random), signal).then(() => {
        if (known.has(ns)) queue.add(ns);
      });
    }
  };
  try {
    // Gather events for a moment, then reconcile every namespace that had one; events that arrive
    // meanwhile make the next batch.
    while (!signal.aborted) {
      if (!(await queue.wait())) break;
      await sleep(debounceMs, signal);
      for (const ns of queue.takeAll()) {
        if (signal.aborted) break;
        await reconcileOne(ns);
      }
    }
  } finally {
    clearInterval(resyncTimer);
    for (const timer of requeues.values()) clearTimeout(timer);
    signal.removeEventListener('abort', stop);
    for (const w of watches.values()) w.stop();
  }
}

/** Namespaces with fragments, or with routes Switchyard made earlier (to retire them). */
export async function discoverNamespaces(cluster: Cluster): Promise<string[]> {
  const selector = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
  const lists = await Promise.all([cluster.list('RouteFragment', undefined), cluster.list('VirtualService', undefined, selector), cluster.list('DestinationRule', undefined, selector)]);
  return [...new Set(lists.flat().flatMap((o) => (o.metadata.namespace ? [o.metadata.namespace] : [])))].sort();
}

/** Namespaces waiting for a reconcile, each once. */
class NamespaceQueue {
  private readonly waiting = new Set<string>();
  private wake: (() => void) | undefined;
  private closed = false;

  add(namespace: string): void {
    this.waiting.add(namespace);
    this.wake?.();
  }

  addAll(namespaces: Iterable<string>): void {
    for (const ns of namespaces) this.waiting.add(ns);
    this.wake?.();
  }

  /** Resolves true when a namespace waits, false when the queue was closed. */
  async wait(): Promise<boolean> {
    while (!this.closed && this.waiting.size === 0) await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
    return !this.closed;
  }

  takeAll(): string[] {
    const all = [...this.waiting];
    this.waiting.clear();
    return all;
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }
}
