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
import { Health, serveHealth } from '../cluster/health.ts';
import { DEFAULT_SETTLE_MS, reconcileNamespace, type ReconcileOutcome } from '../cluster/reconcile.ts';
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
  'dry-run-server': { type: 'boolean' },
  watch: { type: 'boolean', short: 'w' },
  settle: { type: 'string' },
  'request-timeout': { type: 'string' },
  'adopt-policy': { type: 'boolean' },
  'health-address': { type: 'string' },
  'health-port': { type: 'string' },
  kubeconfig: { type: 'string' },
  lease: { type: 'string' },
  now: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `--dry-run=server` and `--dry-run=client` as kubectl spells them (node's parseArgs has no optional values). */
const dryRunSpelling = (arg: string): string => {
  if (arg === '--dry-run=server') return '--dry-run-server';
  if (arg === '--dry-run=client') return '--dry-run';
  if (arg.startsWith('--dry-run=')) throw new UsageError(`${arg}: use --dry-run (computed here) or --dry-run=server (the API server and its webhooks judge every write).`);
  return arg;
};

/** `10s`, `500ms`, `2m` or a number of seconds, as milliseconds. */
function parseDuration(flag: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value);
  if (!match) throw new UsageError(`${flag} ${value} is not a duration; use 10s, 500ms or 2m.`);
  return Number(match[1]) * ({ ms: 1, s: 1000, m: 60_000 }[match[2] ?? 's'] ?? 1000);
}

export async function runReconcile(argv: string[]): Promise<number> {
  const args = argv.map(dryRunSpelling);
  const { values, positionals } = parseFlags(args, OPTIONS);
  if (values.help) {
    process.stdout.write(`${RECONCILE_HELP}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`reconcile takes no arguments (got ${positionals.join(' ')}); it reads the fragments from the cluster.`);
  if (values.namespace !== undefined && values['all-namespaces']) throw new UsageError('-n NAMESPACE and -A (all namespaces) exclude each other; give one.');
  if (values.policy === undefined) throw new UsageError('reconcile needs --policy FILE, the RoutingPolicy (in a cluster, mount it from a ConfigMap).');
  const dryRun = values['dry-run-server'] ? ('server' as const) : values['dry-run'] === true;
  if (values.watch && dryRun) throw new UsageError('--dry-run and --watch exclude each other: --dry-run shows one plan and writes nothing.');
  if (!values.watch && (values['health-address'] !== undefined || values['health-port'] !== undefined)) throw new UsageError('--health-address and --health-port apply to --watch only.');
  const settleMs = values.settle === undefined ? DEFAULT_SETTLE_MS : parseDuration('--settle', values.settle);
  const requestTimeoutMs = values['request-timeout'] === undefined ? undefined : parseDuration('--request-timeout', values['request-timeout']);
  if (requestTimeoutMs === 0) throw new UsageError('--request-timeout 0 would let one hung request stop routing; give a duration such as 30s.');
  const healthPort = values['health-port'] === undefined ? 8081 : Number(values['health-port']);
  if (!Number.isInteger(healthPort) || healthPort < 0 || healthPort > 65535) throw new UsageError(`--health-port ${values['health-port']} is not a port (0 to 65535).`);
  if (values.watch && values.now !== undefined) throw new UsageError('--now applies to one reconcile; --watch always judges expiry by the clock.');
  if (!values.watch && values.lease !== undefined) throw new UsageError('--lease applies to --watch only.');
  const fixed = values.now === undefined ? undefined : new Date(values.now);
  if (fixed && Number.isNaN(fixed.getTime())) throw new UsageError(`--now ${values.now} is not an instant; use RFC 3339, such as 2026-12-24T00:00:00Z.`);
  // --now fixes the start; the clock still runs from there, so a settle wait ends.
  const started = Date.now();
  const now = () => (fixed ? new Date(fixed.getTime() + Date.now() - started) : new Date());
  const policyPath = values.policy;
  const loadPolicy = () => readPolicyFile(policyPath);
  loadPolicy(); // a missing or unreadable policy is reported before connecting

  return reportingClusterErrors(async () => {
    const cluster = await connect({ ...(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {}), ...(requestTimeoutMs !== undefined ? { requestTimeoutMs } : {}) });
    const namespace = values['all-namespaces'] ? undefined : (values.namespace ?? cluster.defaultNamespace);
    const adoptPolicy = values['adopt-policy'] === true;
    if (values.watch) return watch(cluster, namespace, loadPolicy, values.lease, { settleMs, adoptPolicy, healthAddress: values['health-address'] ?? '127.0.0.1', healthPort });
    const namespaces = namespace ?? (await discoverNamespaces(cluster));
    const outcomes: ReconcileOutcome[] = [];
    for (const ns of typeof namespaces === 'string' ? [namespaces] : namespaces) {
      try {
        outcomes.push(await reconcileNamespace({ cluster, namespace: ns, policy: loadPolicy(), now, renderedBy: RENDERED_BY, dryRun, settleMs, adoptPolicy }));
      } catch (error) {
        // A namespace the API server would not read (a hung or refused list) fails alone; the others are reconciled.
        if (!(error instanceof ClusterError)) throw error;
        outcomes.push({ namespace: ns, ok: false, results: [{ severity: 'error', message: `namespace ${ns}: ${error.message}` }], writes: [], written: [], planned: [], conflicts: 0, rounds: 0 });
      }
    }
    if (dryRun === true) {
      const planned = outcomes.flatMap((o) => o.planned);
      process.stdout.write(planned.map((step) => `${describeStep(step)}\n`).join(''));
    }
    const results = outcomes.flatMap((o) => [...o.results, ...o.writes, ...conflictNote(o)]);
    if (outcomes.length === 0) results.push({ severity: 'info', message: 'no namespace has a RouteFragment or routes Switchyard made; nothing to reconcile.' });
    printResults(results, values.quiet ? ['error', 'warning'] : ['error', 'warning', 'info']);
    return outcomes.every((o) => o.ok) ? exitCodeFor(results) : 1;
  });
}

interface WatchSettings {
  settleMs: number;
  adoptPolicy: boolean;
  healthAddress: string;
  healthPort: number;
}

async function watch(cluster: Cluster, namespace: string | undefined, loadPolicy: () => Sourced<unknown>, lease: string | undefined, settings: WatchSettings): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const [leaseNamespace, leaseName] = lease?.includes('/') ? lease.split('/', 2) : [namespace ?? cluster.defaultNamespace, lease ?? 'switchyard-reconcile'];
  // Loaded here, not at the top: every switchyard start would pay for modules only reconcile uses.
  const { hostname } = await import('node:os');
  const identity = `${process.env.POD_NAME ?? hostname()}_${globalThis.crypto.randomUUID().slice(0, 8)}`;
  const lastReport = new Map<string, string>();
  // Stalled: longer than a reconcile's bounded requests could explain, and longer than the 60 s resync.
  const health = new Health(120_000);
  const probes = await serveHealth(health, settings.healthAddress, settings.healthPort).catch((error: Error) => {
    throw new ClusterError(`cannot serve the health probes on ${settings.healthAddress}:${settings.healthPort}: ${error.message}; choose another --health-port.`);
  });
  printResults([
    {
      severity: 'info',
      message: `watching ${namespace ? `namespace ${namespace}` : 'all namespaces'} on ${cluster.server} as ${identity} (Lease ${leaseNamespace}/${leaseName}); probes on http://${settings.healthAddress}:${probes.port}/livez and /readyz.`,
    },
  ]);
  await runController({
    health,
    reconcile: { settleMs: settings.settleMs, adoptPolicy: settings.adoptPolicy },
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
  await probes.close();
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
