// One reconcile of one namespace: read, compute (pure), write only what changed, and repeat until a
// round finds nothing to write. docs/decisions/reconcile-concurrency.md says why no route is lost
// when several reconcilers run at once:
//   - each round reads the VirtualServices and DestinationRules BEFORE it lists the fragments, and
//     writes with the resourceVersion it read as a precondition: a write succeeds only if nothing
//     was written since the read, and then its fragment list is at least as new as what it replaces;
//   - on a conflict (409) the round is thrown away: re-read, re-list, re-render, after a jittered
//     backoff, a bounded number of times;
//   - a round that wrote is followed by another round, so a reconcile only ends with a round that
//     saw the cluster as it rendered it and had nothing to write.
// Depends on the Cluster interface only, never on the client library.
import { fingerprint } from '../merge/canonical.ts';
import type { Sourced } from '../model/kinds.ts';
import type { Result } from '../model/result.ts';
import { backoffDelay, DEFAULT_BACKOFF, sleep, type Backoff } from './backoff.ts';
import { ConflictError, NotFoundError, type Cluster } from './cluster.ts';
import { desiredState, type Snapshot } from './desired.ts';
import { keepRouted, planWrites, routedSubsets, type Step, type Version } from './plan.ts';
import { describe, type ClusterObject } from './resources.ts';

export interface ReconcileOptions {
  cluster: Cluster;
  namespace: string;
  policy: Sourced<unknown>;
  /** The clock, for `expires`; a parameter so that tests and --now can fix it. */
  now: () => Date;
  /** The switchyard.dev/rendered-by annotation of generated objects. */
  renderedBy: string;
  /** Compute and return the plan; write nothing. */
  dryRun?: boolean;
  /** Conflicts tolerated before giving up (default 10). */
  maxConflicts?: number;
  /** Rounds that wrote something tolerated before giving up, when fragments keep changing (default 10). */
  maxWriteRounds?: number;
  backoff?: Backoff;
  random?: () => number;
  signal?: AbortSignal;
}

export interface ReconcileOutcome {
  namespace: string;
  ok: boolean;
  /** The merge's results from the last round, and any failure. */
  results: Result[];
  /** One info result per write, in order. */
  writes: Result[];
  /** The steps written, in order. */
  written: Step[];
  /** With dryRun: what would be written. */
  planned: Step[];
  conflicts: number;
  rounds: number;
}

/** Reads a namespace: VirtualServices and DestinationRules first, then fragments and Deployments (the order matters). */
export async function readNamespace(cluster: Cluster, namespace: string): Promise<Snapshot> {
  const [virtualServices, destinationRules] = await Promise.all([cluster.list('VirtualService', namespace), cluster.list('DestinationRule', namespace)]);
  const [fragments, deployments] = await Promise.all([cluster.list('RouteFragment', namespace), cluster.list('Deployment', namespace)]);
  return { namespace, virtualServices, destinationRules, fragments, deployments };
}

export async function reconcileNamespace(options: ReconcileOptions): Promise<ReconcileOutcome> {
  const { cluster, namespace } = options;
  const maxConflicts = options.maxConflicts ?? 10;
  const maxWriteRounds = options.maxWriteRounds ?? 10;
  const random = options.random ?? Math.random;
  const written: Step[] = [];
  const writeResults: Result[] = [];
  /** What this reconcile wrote last, per object: to notice an API server that changes objects as it stores them. */
  const lastWrite = new Map<string, { fingerprint: string; resourceVersion: string }>();
  let conflicts = 0;
  let writeRounds = 0;
  let rounds = 0;
  const outcome = (ok: boolean, results: Result[], planned: Step[] = []): ReconcileOutcome => ({ namespace, ok, results, writes: writeResults, written, planned, conflicts, rounds });

  for (;;) {
    if (options.signal?.aborted) return outcome(false, [{ severity: 'error', message: `namespace ${namespace}: reconcile stopped before it finished.` }]);
    rounds++;
    const snapshot = await readNamespace(cluster, namespace);
    const desired = desiredState({ snapshot, policy: options.policy, now: options.now(), renderedBy: options.renderedBy });
    if (!desired.ok) return outcome(false, desired.results);
    const guard: Result[] = [];
    const steps = planWrites(desired, snapshot, namespace).filter((step) => !rewritesOwnWrite(step, snapshot, lastWrite, guard));
    if (steps.length === 0) return outcome(true, [...desired.results, ...guard]);
    if (options.dryRun) return outcome(true, desired.results, steps);
    if (writeRounds >= maxWriteRounds) {
      return outcome(false, [
        ...desired.results,
        { severity: 'error', message: `namespace ${namespace}: the fragments kept changing while ${maxWriteRounds} rounds were written; run switchyard reconcile again.` },
      ]);
    }

    try {
      writeRounds++;
      await execute(cluster, namespace, steps, (step, result) => {
        written.push(step);
        writeResults.push({ severity: 'info', message: `${pastTense(step)}.`, resourceRef: { apiVersion: 'networking.istio.io/v1', kind: step.kind, name: step.name, namespace } });
        if (result && step.action !== 'delete') lastWrite.set(`${step.kind}/${step.name}`, { fingerprint: fingerprint(step.object), resourceVersion: result.metadata.resourceVersion ?? '' });
      });
      // A round that wrote is checked by another one: the reconcile ends only when a round writes nothing.
    } catch (error) {
      if (!(error instanceof ConflictError || error instanceof NotFoundError)) throw error;
      conflicts++;
      if (conflicts > maxConflicts) {
        return outcome(false, [
          ...desired.results,
          { severity: 'error', message: `namespace ${namespace}: gave up after ${conflicts} conflicts with other writers (last: ${error.message}); run switchyard reconcile again.` },
        ]);
      }
      await sleep(backoffDelay(conflicts, options.backoff ?? DEFAULT_BACKOFF, random), options.signal);
    }
  }
}

/** Runs the steps in order; stops at the first conflict (the caller starts a new round). */
async function execute(cluster: Cluster, namespace: string, steps: readonly Step[], onWrite: (step: Step, result?: ClusterObject) => void): Promise<void> {
  const versions = new Map<string, string>();
  const versionFor = (step: Step & { version: Version }) => {
    const version = step.version === 'written' ? versions.get(`${step.kind}/${step.name}`) : step.version.read;
    if (version === undefined) throw new Error(`plan: ${describe(step.kind, namespace, step.name)} has no written version to follow`);
    return version;
  };
  const withVersion = (object: object, resourceVersion: string): ClusterObject => {
    const o = object as ClusterObject;
    return { ...o, metadata: { ...o.metadata, resourceVersion } };
  };
  for (const step of steps) {
    const key = `${step.kind}/${step.name}`;
    let result: ClusterObject | undefined;
    if (step.kind === 'VirtualService' && step.action !== 'delete') await checkSubsetsExist(cluster, namespace, step.name.split('.')[0]!, step.object);
    switch (step.action) {
      case 'create':
        result = await cluster.create(step.kind, namespace, step.object as unknown as ClusterObject);
        break;
      case 'update':
        result = await cluster.replace(step.kind, namespace, withVersion(step.object, versionFor(step)));
        break;
      case 'prune': {
        // Keep what the VirtualService routes to right now, in case another reconciler just wrote one,
        // and every subset a fragment listed NOW asks for: a reconciler that is about to route to a
        // subset listed its fragment before this list, or its DestinationRule write (which adds the
        // subset) moves the resourceVersion this prune is conditioned on, and the prune conflicts.
        const current = await Promise.all(step.virtualServices.map((name) => cluster.get('VirtualService', namespace, name)));
        const fragments = await cluster.list('RouteFragment', namespace);
        const wanted = new Set(
          fragments
            .map((f) => (f as { spec?: { service?: unknown; subset?: { name?: unknown } } }).spec)
            .filter((spec) => spec?.service === step.name && typeof spec.subset?.name === 'string')
            .map((spec) => spec!.subset!.name as string),
        );
        const pruned = keepRouted(step.object, step.before, current, wanted);
        if (fingerprint(pruned) === fingerprint(step.before)) continue;
        result = await cluster.replace(step.kind, namespace, withVersion(pruned, versionFor(step)));
        break;
      }
      case 'delete':
        await cluster.remove(step.kind, namespace, step.name, { resourceVersion: step.resourceVersion, ...(step.uid ? { uid: step.uid } : {}) });
        break;
    }
    if (result?.metadata.resourceVersion) versions.set(key, result.metadata.resourceVersion);
    onWrite(step, result);
  }
}

/**
 * Make-before-break across reconcilers: right before a VirtualService is written, every subset it
 * routes to must be in the DestinationRule as it is NOW. Another reconciler, whose fragment list was
 * older, may have pruned one since this round read it; then this round is a conflict and starts over.
 */
async function checkSubsetsExist(cluster: Cluster, namespace: string, name: string, virtualService: object): Promise<void> {
  const dr = await cluster.get('DestinationRule', namespace, name);
  const defined = new Set(((dr?.spec as { subsets?: { name?: unknown }[] } | undefined)?.subsets ?? []).map((s) => s.name));
  const missing = [...routedSubsets(virtualService)].filter((s) => !defined.has(s));
  if (missing.length > 0) throw new ConflictError(`${describe('DestinationRule', namespace, name)} no longer defines subset${missing.length === 1 ? '' : 's'} ${missing.join(', ')}, which the VirtualService would route to`);
}

/**
 * A step that would write again exactly what this reconcile wrote last round, onto the version that
 * write produced, means the API server stores the object differently from how it was sent (defaults,
 * pruned fields): writing again would loop. It is dropped with a warning instead.
 */
function rewritesOwnWrite(step: Step, snapshot: Snapshot, lastWrite: ReadonlyMap<string, { fingerprint: string; resourceVersion: string }>, results: Result[]): boolean {
  if (step.action === 'delete') return false;
  const last = lastWrite.get(`${step.kind}/${step.name}`);
  if (!last || last.fingerprint !== fingerprint(step.object)) return false;
  const live = (step.kind === 'VirtualService' ? snapshot.virtualServices : snapshot.destinationRules).find((o) => o.metadata.name === step.name);
  if (live?.metadata.resourceVersion !== last.resourceVersion) return false;
  results.push({
    severity: 'warning',
    message: `${describe(step.kind, step.namespace, step.name)}: the API server stores it differently from how it was written (defaults or dropped fields?), so it is not written again; compare kubectl get -o yaml with switchyard reconcile --dry-run.`,
  });
  return true;
}

function pastTense(step: Step): string {
  const verb = { create: 'created', update: 'updated', prune: 'updated', delete: 'deleted' }[step.action];
  return `${verb} ${describe(step.kind, step.namespace, step.name)}: ${step.summary}`;
}

