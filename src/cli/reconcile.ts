// `switchyard reconcile [-n NS | -A] --policy FILE [--dry-run] [--watch] [--kubeconfig PATH]`:
// cluster mode. Lists the RouteFragments in the cluster, renders them with the one merge, and
// writes the VirtualServices and DestinationRules that changed (src/cluster/reconcile.ts).
import { existsSync, statSync } from 'node:fs';
import type { Sourced } from '../model/kinds.ts';
import type { Result } from '../model/result.ts';
import { connect } from '../cluster/client.ts';
import { ClusterError, ConflictError, NotFoundError, type Cluster } from '../cluster/cluster.ts';
import { discoverNamespaces, runController } from '../cluster/controller.ts';
import { DEFAULT_LEASE_TIMINGS } from '../cluster/lease.ts';
import { describeStep } from '../cluster/plan.ts';
import { reconcileNamespace, type ReconcileOutcome } from '../cluster/reconcile.ts';
import { parseFlags } from './args.ts';
import { RECONCILE_HELP } from './help.ts';
import { displayPath, exitCodeFor, InputError, printResults, UsageError } from './io.ts';
import { readPolicy } from './render.ts';
import { RENDERED_BY } from './version.ts';

/** Failures of the cluster or of the connection are one error line and exit 1, never a stack trace. */
export async function reportingClusterErrors(work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ClusterError || error instanceof ConflictError || error instanceof NotFoundError) {
      printResults([{ severity: 'error', message: error.message }]);
      return 1;
    }
    throw error;
  }
}

const OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  policy: { type: 'string' },
  'dry-run': { type: 'boolean' },
  watch: { type: 'boolean', short: 'w' },
  kubeconfig: { type: 'string' },
  lease: { type: 'string' },
  now: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runReconcile(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, OPTIONS);
  if (values.help) {
    process.stdout.write(`${RECONCILE_HELP}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`reconcile takes no arguments (got ${positionals.join(' ')}); it reads the fragments from the cluster.`);
  if (values.namespace !== undefined && values['all-namespaces']) throw new UsageError('-n NAMESPACE and -A (all namespaces) exclude each other; give one.');
  if (values.policy === undefined) throw new UsageError('reconcile needs --policy FILE, the RoutingPolicy (in a cluster, mount it from a ConfigMap).');
  if (values.watch && values['dry-run']) throw new UsageError('--dry-run and --watch exclude each other: --dry-run shows one plan and writes nothing.');
  if (values.watch && values.now !== undefined) throw new UsageError('--now applies to one reconcile; --watch always judges expiry by the clock.');
  if (!values.watch && values.lease !== undefined) throw new UsageError('--lease applies to --watch only.');
  const now = values.now === undefined ? undefined : new Date(values.now);
  if (now && Number.isNaN(now.getTime())) throw new UsageError(`--now ${values.now} is not an instant; use RFC 3339, such as 2026-12-24T00:00:00Z.`);
  const policyPath = values.policy;
  const loadPolicy = () => readPolicyFile(policyPath);
  loadPolicy(); // a missing or unreadable policy is reported before connecting

  return reportingClusterErrors(async () => {
    const cluster = await connect(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {});
    const namespace = values['all-namespaces'] ? undefined : (values.namespace ?? cluster.defaultNamespace);
    if (values.watch) return watch(cluster, namespace, loadPolicy, values.lease);
    const namespaces = namespace ?? (await discoverNamespaces(cluster));
    const outcomes: ReconcileOutcome[] = [];
    for (const ns of typeof namespaces === 'string' ? [namespaces] : namespaces) {
      outcomes.push(
        await reconcileNamespace({ cluster, namespace: ns, policy: loadPolicy(), now: () => now ?? new Date(), renderedBy: RENDERED_BY, dryRun: values['dry-run'] === true }),
      );
    }
    if (values['dry-run']) {
      const planned = outcomes.flatMap((o) => o.planned);
      process.stdout.write(planned.map((step) => `${describeStep(step)}\n`).join(''));
    }
    const results = outcomes.flatMap((o) => [...o.results, ...o.writes, ...conflictNote(o)]);
    if (outcomes.length === 0) results.push({ severity: 'info', message: 'no namespace has a RouteFragment or routes Switchyard made; nothing to reconcile.' });
    printResults(results, values.quiet ? ['error', 'warning'] : ['error', 'warning', 'info']);
    return outcomes.every((o) => o.ok) ? exitCodeFor(results) : 1;
  });
}

async function watch(cluster: Cluster, namespace: string | undefined, loadPolicy: () => Sourced<unknown>, lease: string | undefined): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const [leaseNamespace, leaseName] = lease?.includes('/') ? lease.split('/', 2) : [namespace ?? cluster.defaultNamespace, lease ?? 'switchyard-reconcile'];
  // Loaded here, not at the top: every switchyard start would pay for modules only reconcile uses.
  const { hostname } = await import('node:os');
  const identity = `${process.env.POD_NAME ?? hostname()}_${globalThis.crypto.randomUUID().slice(0, 8)}`;
  const lastReport = new Map<string, string>();
  printResults([{ severity: 'info', message: `watching ${namespace ? `namespace ${namespace}` : 'all namespaces'} on ${cluster.server} as ${identity} (Lease ${leaseNamespace}/${leaseName}).` }]);
  await runController({
    cluster,
    namespace,
    loadPolicy,
    renderedBy: RENDERED_BY,
    signal: stop.signal,
    leaderElection: { namespace: leaseNamespace!, name: leaseName!, identity, timings: DEFAULT_LEASE_TIMINGS },
    report: ({ outcome, message }) => {
      if (message) printResults([{ severity: 'info', message }]);
      if (!outcome) return;
      // Writes always; problems when they differ from the last report for the namespace (no repeats every resync).
      const problems = outcome.results.filter((r) => r.severity !== 'info');
      const key = JSON.stringify(problems.map((r) => r.message));
      printResults([...(key !== lastReport.get(outcome.namespace) ? problems : []), ...outcome.writes, ...conflictNote(outcome)]);
      lastReport.set(outcome.namespace, key);
    },
  });
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return 0;
}

function conflictNote(outcome: ReconcileOutcome): Result[] {
  if (outcome.conflicts === 0) return [];
  return [{ severity: 'info', message: `namespace ${outcome.namespace}: ${outcome.conflicts} conflict${outcome.conflicts === 1 ? '' : 's'} with other writers, resolved by reading again (${outcome.rounds} rounds).` }];
}

/** The RoutingPolicy file, read by the same bounded reader as render's --policy; the merge reports what is wrong inside it. */
export function readPolicyFile(path: string): Sourced<unknown> {
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`--policy ${path}: no such file.`);
  const read = readPolicy(path).read();
  if ('problem' in read) throw new InputError(`${displayPath(path)}: ${read.problem}`);
  return { object: read.object, source: { path: displayPath(path) } };
}
