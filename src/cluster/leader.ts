// Leader election over the Cluster interface: the decisions are lease.ts's, this file only reads
// and writes the Lease. Leadership saves work; it is not what keeps routes correct: every write a
// leader makes still carries a resourceVersion precondition (docs/decisions/reconcile-concurrency.md),
// so a leader that lost its lease without noticing yet cannot overwrite a newer leader's routes.
import { sleep } from './backoff.ts';
import type { Health } from './health.ts';
import { ClusterError, ConflictError, type Cluster } from './cluster.ts';
import { decideLease, holderOf, releasedLease, type LeaseTimings, type Observation } from './lease.ts';

export interface LeaderOptions {
  cluster: Cluster;
  namespace: string;
  name: string;
  identity: string;
  timings: LeaseTimings;
  /** Told when this candidate starts or stops leading, and why. */
  log?: (message: string) => void;
  /** Told of every attempt, for the liveness probe. */
  health?: Health;
  /** The clock (ms); a parameter for tests. */
  clock?: () => number;
}

/** client-go's wait.JitterUntil factor for acquiring (leaderelection.JitterFactor). */
export const JITTER_FACTOR = 1.2;

type Attempt = 'leading' | 'following' | 'failed' | 'timeout';

export class LeaderElector {
  private observed: Observation | undefined;
  private holder = '';

  constructor(private readonly options: LeaderOptions) {}

  /** Resolves true once this candidate leads, false when `signal` aborts first. Like client-go's acquire: retryPeriod with jitter 1.2 between attempts. */
  async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      const attempt = await this.bounded(this.options.timings.renewDeadlineMs);
      this.options.health?.beat();
      // A replica that follows is as ready as the leader: it answers, and takes over when needed.
      if (attempt === 'following') this.options.health?.markStarted();
      if (attempt === 'leading') {
        this.options.log?.(`leading: Lease ${this.options.namespace}/${this.options.name} is held by ${this.options.identity}.`);
        return true;
      }
      await sleep(this.options.timings.retryPeriodMs * (1 + JITTER_FACTOR * Math.random()), signal);
    }
    return false;
  }

  /**
   * While leading: renews the Lease; resolves 'lost' when it could not, 'stopped' when `signal` aborts.
   * Like client-go's renew: every retryPeriod, try to renew, retrying every retryPeriod, until the
   * renew deadline from the first try of that round; each try is cut off at what is left of the
   * deadline, so a request that hangs cannot keep a leader leading past it.
   */
  async hold(signal: AbortSignal): Promise<'lost' | 'stopped'> {
    const { timings } = this.options;
    const clock = this.options.clock ?? Date.now;
    while (!signal.aborted) {
      await sleep(timings.retryPeriodMs, signal);
      if (signal.aborted) break;
      const deadline = clock() + timings.renewDeadlineMs;
      let renewed = false;
      while (!signal.aborted && clock() < deadline) {
        const attempt = await this.bounded(deadline - clock());
        this.options.health?.beat();
        if (attempt === 'leading') {
          renewed = true;
          break;
        }
        if (attempt === 'following') {
          this.options.log?.(`stopped leading: Lease ${this.options.namespace}/${this.options.name} is now held by ${this.holder}.`);
          return 'lost';
        }
        const left = deadline - clock();
        if (left > 0) await sleep(Math.min(timings.retryPeriodMs, left), signal);
      }
      if (signal.aborted) break;
      if (!renewed) {
        this.options.log?.(`stopped leading: could not renew Lease ${this.options.namespace}/${this.options.name} within the renew deadline (${timings.renewDeadlineMs} ms).`);
        return 'lost';
      }
    }
    return 'stopped';
  }

  /** One attempt, abandoned (as failed) after `ms`: client-go passes the renew deadline's context to each try. */
  private async bounded(ms: number): Promise<Attempt> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Attempt>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(0, ms))));
    try {
      const result = await Promise.race([this.attempt(), timeout]);
      if (result === 'timeout') this.options.log?.(`cannot renew Lease ${this.options.namespace}/${this.options.name}: the API server did not answer within ${Math.round(ms)} ms.`);
      return result === 'timeout' ? 'failed' : result;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Gives the Lease up, so that another replica takes over at once instead of after it expires. */
  async release(): Promise<void> {
    const { cluster, namespace, name, identity } = this.options;
    try {
      const current = await cluster.get('Lease', namespace, name);
      if (current && holderOf(current) === identity) await cluster.replace('Lease', namespace, releasedLease(current, new Date()));
    } catch (error) {
      if (!(error instanceof ClusterError || error instanceof ConflictError)) throw error;
    }
  }

  private async attempt(): Promise<Attempt> {
    const { cluster, namespace, name, identity, timings } = this.options;
    try {
      const current = await cluster.get('Lease', namespace, name);
      const { decision, observed } = decideLease({ current, identity, namespace, name, now: new Date(), observed: this.observed, timings });
      this.observed = observed;
      if (decision.action === 'wait') {
        this.holder = decision.holder;
        return 'following';
      }
      if (decision.action === 'create') await cluster.create('Lease', namespace, decision.lease);
      else await cluster.replace('Lease', namespace, decision.lease);
      this.holder = identity;
      return 'leading';
    } catch (error) {
      // Someone else wrote the Lease first: they lead (or renewed); look again next period.
      if (error instanceof ConflictError) return 'following';
      if (error instanceof ClusterError) {
        this.options.log?.(`cannot read or write Lease ${namespace}/${name}: ${error.message}`);
        return 'failed';
      }
      throw error;
    }
  }
}
