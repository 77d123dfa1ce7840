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
// Failures are per service (docs/decisions/cluster-failures.md): a write the API server refuses, a
// field another manager owns, or routes from a newer Switchyard or another policy stop that
// service's writes only; every other service is written. Writes are server-side applies as field
// manager `switchyard`. Make-before-break waits for Envoy (plan.ts, docs/decisions/envoy-time.md).
// Depends on the Cluster interface only, never on the client library.
import { createHash } from 'node:crypto';
import { RENDERED_BY_ANNOTATION } from '../merge/build.ts';
import { fingerprint } from '../merge/canonical.ts';
import type { Sourced } from '../model/kinds.ts';
import type { Result } from '../model/result.ts';
import { backoffDelay, DEFAULT_BACKOFF, sleep as defaultSleep, type Backoff } from './backoff.ts';
import { ClusterError, ConflictError, FieldConflictError, NotFoundError, type Cluster } from './cluster.ts';
import { coManagers, legacyOwnersOnly, newerVersion, type CoManager } from './skew.ts';
import { desiredState, type Snapshot } from './desired.ts';
import { keepRouted, planServices, POLICY_DIGEST, routedSubsets, type ServicePlan, type Step, type Version } from './plan.ts';
import { describe, type ClusterObject } from './resources.ts';

/** Istio's guidance gives no number ("wait a few seconds"); istiod's push debounce is 100 ms to 10 s (PILOT_DEBOUNCE_MAX). */
export const DEFAULT_SETTLE_MS = 10_000;

export interface ReconcileOptions {
  cluster: Cluster;
  namespace: string;
  policy: Sourced<unknown>;
  /** The clock, for `expires` and the settle time; a parameter so that tests and --now can fix it. */
  now: () => Date;
  /** The switchyard.dev/rendered-by annotation of generated objects. */
  renderedBy: string;
  /** Compute and return the plan; write nothing. `server`: send every write with dryRun=All, so the API server and its webhooks judge it. */
  dryRun?: boolean | 'server';
  /** How long a configuration change takes to reach the proxies (make-before-break in Envoy time). Default 10 s. */
  settleMs?: number;
  /** Wait in this call for a VirtualService switch that must settle first (a pipeline's reconcile); false: return and say when (the controller requeues). Default true. */
  waitToSwitch?: boolean;
  /** Policy digests this reconciler wrote before (the controller's own earlier policies): objects carrying one are adopted. */
  ownDigests?: ReadonlySet<string>;
  /** Overwrite routes rendered with another policy (a deliberate policy change). */
  adoptPolicy?: boolean;
  /** Conflicts tolerated before giving up (default 10). */
  maxConflicts?: number;
  /** Rounds that wrote something tolerated before giving up, when fragments keep changing (default 10). */
  maxWriteRounds?: number;
  backoff?: Backoff;
  random?: () => number;
  signal?: AbortSignal;
  /** The timer, for tests with a clock of their own. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
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
  /** A step waits for the settle time: reconcile again at this instant (ms since the epoch). */
  requeueAt?: number;
  /** The namespace holds nothing Switchyard reads or made: a controller can forget it. */
  empty?: boolean;
}

/** Reads a namespace: VirtualServices and DestinationRules first, then fragments and Deployments (the order matters). */
export async function readNamespace(cluster: Cluster, namespace: string): Promise<Snapshot> {
  const [virtualServices, destinationRules] = await Promise.all([cluster.list('VirtualService', namespace), cluster.list('DestinationRule', namespace)]);
  const [fragments, deployments] = await Promise.all([cluster.list('RouteFragment', namespace), cluster.list('Deployment', namespace)]);
  return { namespace, virtualServices, destinationRules, fragments, deployments };
}

/** A short digest of the policy as the merge reads it (key order and formatting do not count). */
export const policyDigest = (policy: Sourced<unknown>): string => createHash('sha256').update(fingerprint(policy.object as object)).digest('hex').slice(0, 16);

export async function reconcileNamespace(options: ReconcileOptions): Promise<ReconcileOutcome> {
  const { cluster, namespace } = options;
  const maxConflicts = options.maxConflicts ?? 10;
  const maxWriteRounds = options.maxWriteRounds ?? 10;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? defaultSleep;
  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  const digest = policyDigest(options.policy);
  const written: Step[] = [];
  const writeResults: Result[] = [];
  /** Services this reconcile stopped writing, with why: reported once, never retried in this reconcile. */
  const failed = new Map<string, Result[]>();
  /** What this reconcile wrote last, per object: to notice an API server that changes objects as it stores them. */
  const lastWrite = new Map<string, { fingerprint: string; resourceVersion: string }>();
  let conflicts = 0;
  let writeRounds = 0;
  let rounds = 0;
  let waited = false;
  const outcome = (ok: boolean, results: Result[], extra: Partial<ReconcileOutcome> = {}): ReconcileOutcome => {
    const failures = [...failed.values()].flat();
    return { namespace, ok: ok && !failures.some((r) => r.severity === 'error'), results: [...results, ...failures], writes: writeResults, written, planned: [], conflicts, rounds, ...extra };
  };

  for (;;) {
    if (options.signal?.aborted) return outcome(false, [{ severity: 'error', message: `namespace ${namespace}: reconcile stopped before it finished.` }]);
    rounds++;
    const snapshot = await readNamespace(cluster, namespace);
    const empty = snapshot.fragments.length === 0 && ![...snapshot.virtualServices, ...snapshot.destinationRules].some((o) => o.metadata.labels?.['app.kubernetes.io/managed-by'] === 'switchyard');
    const now = options.now();
    const desired = desiredState({ snapshot, policy: options.policy, now, renderedBy: options.renderedBy });
    if (!desired.ok) return outcome(false, desired.results);
    const guard: Result[] = [];
    const plans = planServices(desired, snapshot, namespace, { now, settleMs }, { policyDigest: digest })
      .filter((plan) => !failed.has(plan.service))
      .map((plan) => ({ ...plan, steps: plan.steps.filter((step) => !rewritesOwnWrite(step, snapshot, lastWrite, guard)) }))
      .filter((plan) => !blocked(plan, snapshot, options, digest, failed));
    const steps = plans.flatMap((p) => p.steps);
    const waits = plans.filter((p) => p.waitUntil !== undefined);
    const requeueAt = waits.length > 0 ? Math.min(...waits.map((p) => p.waitUntil!)) : undefined;
    const waitNotes: Result[] = waits.map((p) => ({ severity: 'info', message: `${p.waiting}.` }));
    if (options.dryRun === true) return outcome(true, [...desired.results, ...waitNotes], { planned: steps, ...(requeueAt ? { requeueAt } : {}) });
    if (steps.length === 0) {
      // Only a VirtualService switch that waits for its subsets to settle is waited for here; a
      // retired subset's removal is left to a later reconcile (the controller requeues; a pipeline's next run).
      const switchWait = waits.filter((p) => p.waiting?.startsWith('VirtualService')).map((p) => p.waitUntil!);
      if (switchWait.length > 0 && options.waitToSwitch !== false && options.dryRun !== 'server' && !waited) {
        waited = true; // once: a clock that does not move (a fixed --now) must not hold the reconcile forever
        await sleep(Math.max(0, Math.min(...switchWait) - now.getTime()), options.signal);
        continue;
      }
      return outcome(true, [...desired.results, ...guard, ...waitNotes], { ...(requeueAt ? { requeueAt } : {}), ...(empty ? { empty } : {}) });
    }
    if (writeRounds >= maxWriteRounds) {
      return outcome(false, [
        ...desired.results,
        { severity: 'error', message: `namespace ${namespace}: the fragments kept changing while ${maxWriteRounds} rounds were written; run switchyard reconcile again.` },
      ]);
    }

    writeRounds++;
    let conflict: Error | undefined;
    for (const plan of plans) {
      try {
        await execute(cluster, namespace, plan.steps, options.dryRun === 'server', (step, result) => {
          written.push(step);
          const verb = options.dryRun === 'server' ? `the API server accepted (dry run): ${step.action === 'prune' ? 'update' : step.action}` : pastTense(step);
          writeResults.push({ severity: 'info', message: `${verb} ${describe(step.kind, step.namespace, step.name)}: ${step.summary}.`, resourceRef: { apiVersion: 'networking.istio.io/v1', kind: step.kind, name: step.name, namespace } });
          if (result && step.action !== 'delete') lastWrite.set(`${step.kind}/${step.name}`, { fingerprint: fingerprint(step.object), resourceVersion: result.metadata.resourceVersion ?? '' });
        });
      } catch (error) {
        if (error instanceof ConflictError || error instanceof NotFoundError) {
          conflict = error;
          continue; // the other services still get their writes; this one is planned again
        }
        if (!(error instanceof ClusterError) || !(error as FailedStep).step) throw error;
        failed.set(plan.service, [refusal(error as ClusterError & FailedStep)]);
      }
    }
    if (options.dryRun === 'server') return outcome(true, [...desired.results, ...waitNotes], { planned: steps });
    // A round that wrote is checked by another one: the reconcile ends only when a round writes nothing.
    if (conflict) {
      conflicts++;
      if (conflicts > maxConflicts) {
        return outcome(false, [
          ...desired.results,
          { severity: 'error', message: `namespace ${namespace}: gave up after ${conflicts} conflicts with other writers (last: ${conflict.message}); run switchyard reconcile again.` },
        ]);
      }
      await sleep(backoffDelay(conflicts, options.backoff ?? DEFAULT_BACKOFF, random), options.signal);
    }
  }
}

interface FailedStep {
  step?: Step;
}

/** A refused write, as a result: the object, the server's own words, and what to do. */
function refusal(error: ClusterError & FailedStep): Result {
  const step = error.step!;
  const object = describe(step.kind, step.namespace, step.name);
  const quoted = error.serverMessage ? `"${error.serverMessage}"` : error.message;
  const ref = { apiVersion: 'networking.istio.io/v1', kind: step.kind, name: step.name, namespace: step.namespace };
  if (error instanceof FieldConflictError) {
    return { severity: 'error', resourceRef: ref, message: `${object}: another field manager (${error.managers.join(', ') || 'named in the message'}) owns fields Switchyard writes, so service ${step.service} is not written: the API server said ${quoted}; ${CO_MANAGER_FIX}` };
  }
  const hint =
    error.status === undefined
      ? 'the next reconcile tries again; the other services were written.'
      : error.status === 429
        ? 'the API server is overloaded; the next reconcile tries again; the other services were written.'
        : error.status >= 500
          ? 'the API server failed; the next reconcile tries again; the other services were written.'
          : 'fix what it names (a webhook that refuses an object says why); the other services were written.';
  return { severity: 'error', resourceRef: ref, message: `${object}: the write was refused, so service ${step.service} is not written this time: ${quoted} (${error.status ? `HTTP ${error.status}` : 'no answer'}); ${hint}` };
}

const CO_MANAGER_FIX = 'let one tool own it: exclude it from the other (Argo CD: resource.exclusions or ignoreDifferences on /spec/http and /spec/subsets; Flux: remove it from the Kustomization), see docs/cluster.md#co-managers.';

/** Services Switchyard must not write this round: co-managed fields, routes from a newer Switchyard, another policy. Says why, once. */
function blocked(plan: ServicePlan, snapshot: Snapshot, options: ReconcileOptions, digest: string, failed: Map<string, Result[]>): boolean {
  const lives = plan.steps.flatMap((step) => {
    const live = (step.kind === 'VirtualService' ? snapshot.virtualServices : snapshot.destinationRules).find((o) => o.metadata.name === step.name);
    return live ? [{ step, live }] : [];
  });
  const problems: Result[] = [];
  for (const { step, live } of lives) {
    const object = describe(step.kind, step.namespace, step.name);
    const ref = { apiVersion: 'networking.istio.io/v1', kind: step.kind, name: step.name, namespace: step.namespace };
    const theirs = live.metadata.annotations?.[RENDERED_BY_ANNOTATION];
    if (newerVersion(theirs, options.renderedBy)) {
      problems.push({ severity: 'warning', resourceRef: ref, message: `${object} was written by ${theirs}, newer than this ${options.renderedBy}; it is not overwritten (an older merge could drop what the newer one knows): upgrade this reconciler.` });
      continue;
    }
    const liveDigest = live.metadata.annotations?.[POLICY_DIGEST];
    if (step.action !== 'delete' && liveDigest && liveDigest !== digest && !options.adoptPolicy && !options.ownDigests?.has(liveDigest)) {
      problems.push({
        severity: 'error',
        resourceRef: ref,
        message: `${object} was rendered with another RoutingPolicy (digest ${liveDigest}; this reconciler's is ${digest}), so it is not overwritten: two policies would flip-flop the routes. Give every reconciler the same policy; after a deliberate policy change, run switchyard reconcile --adopt-policy once.`,
      });
      continue;
    }
    if (step.action === 'delete') continue;
    const others: CoManager[] = coManagers(live, step.object);
    if (legacyOwnersOnly(others)) step.force = true;
    else if (others.length > 0) {
      const list = others.filter((o) => !o.legacy).map((o) => `${o.manager} (${o.fields.join(', ')})`);
      problems.push({ severity: 'error', resourceRef: ref, message: `${object}: fields Switchyard writes are also managed by ${list.join('; ')} (managedFields), so service ${step.service} is not written: Switchyard does not fight over them; ${CO_MANAGER_FIX}` });
    }
  }
  if (problems.length === 0) return false;
  failed.set(plan.service, problems);
  return true;
}

/** Runs one service's steps in order; stops at its first failure (the caller decides what it means). */
async function execute(cluster: Cluster, namespace: string, steps: readonly Step[], dryRun: boolean, onWrite: (step: Step, result?: ClusterObject) => void): Promise<void> {
  const versions = new Map<string, string>();
  const versionFor = (step: Step & { version: Version }) => {
    const version = step.version === 'written' ? versions.get(`${step.kind}/${step.name}`) : step.version.read;
    if (version === undefined) throw new Error(`plan: ${describe(step.kind, namespace, step.name)} has no written version to follow`);
    return version;
  };
  const withVersion = (object: object, resourceVersion?: string): ClusterObject => {
    const o = object as ClusterObject;
    return resourceVersion === undefined ? o : { ...o, metadata: { ...o.metadata, resourceVersion } };
  };
  for (const step of steps) {
    const write = { dryRun, ...(step.force ? { force: true } : {}) };
    const key = `${step.kind}/${step.name}`;
    let result: ClusterObject | undefined;
    try {
      if (step.kind === 'VirtualService' && step.action !== 'delete' && !dryRun) await checkSubsetsExist(cluster, namespace, step.service, step.object);
      switch (step.action) {
        case 'create':
          // POST, not apply: a create must fail when another reconciler created the object first.
          result = await cluster.create(step.kind, namespace, withVersion(step.object), write);
          break;
        case 'update':
          result = await cluster.apply(step.kind, namespace, withVersion(step.object, versionFor(step)), write);
          break;
        case 'prune': {
          // Keep what the VirtualServices route to right now, in case another reconciler just wrote one,
          // and every subset a fragment listed NOW asks for: a reconciler that is about to route to a
          // subset listed its fragment before this list, or its DestinationRule write (which adds the
          // subset) moves the resourceVersion this prune is conditioned on, and the prune conflicts.
          const current = await Promise.all(step.virtualServices.map((name) => cluster.get('VirtualService', namespace, name)));
          const fragments = await cluster.list('RouteFragment', namespace);
          const wanted = new Set(
            fragments
              .map((f) => (f as { spec?: { service?: unknown; subset?: { name?: unknown } } }).spec)
              .filter((spec) => spec?.service === step.service && typeof spec.subset?.name === 'string')
              .map((spec) => spec!.subset!.name as string),
          );
          const pruned = keepRouted(step.object, step.before, current, wanted);
          if (fingerprint(pruned) === fingerprint(step.before)) continue;
          result = await cluster.apply(step.kind, namespace, withVersion(pruned, versionFor(step)), write);
          break;
        }
        case 'delete':
          await cluster.remove(step.kind, namespace, step.name, { resourceVersion: step.resourceVersion, ...(step.uid ? { uid: step.uid } : {}) }, write);
          break;
      }
    } catch (error) {
      if (error instanceof ClusterError) Object.assign(error, { step });
      throw error;
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
  return { create: 'created', update: 'updated', prune: 'updated', delete: 'deleted' }[step.action];
}
