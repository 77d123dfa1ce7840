// Leader election over the Cluster interface: the decisions are lease.ts's, this file only reads
// and writes the Lease. Leadership saves work; it is not what keeps routes correct: every write a
// leader makes still carries a resourceVersion precondition (docs/decisions/reconcile-concurrency.md),
// so a leader that lost its lease without noticing yet cannot overwrite a newer leader's routes.
import { sleep } from './backoff.ts';
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
}

type Attempt = 'leading' | 'following' | 'failed';

export class LeaderElector {
  private observed: Observation | undefined;
  private holder = '';

  constructor(private readonly options: LeaderOptions) {}

  /** Resolves true once this candidate leads, false when `signal` aborts first. */
  async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if ((await this.attempt()) === 'leading') {
        this.options.log?.(`leading: Lease ${this.options.namespace}/${this.options.name} is held by ${this.options.identity}.`);
        return true;
      }
      // client-go waits retryPeriod with up to 20% jitter between attempts.
      await sleep(this.options.timings.retryPeriodMs * (1 + 0.2 * Math.random()), signal);
    }
    return false;
  }

  /** While leading: renews the Lease; resolves 'lost' when it could not, 'stopped' when `signal` aborts. */
  async hold(signal: AbortSignal): Promise<'lost' | 'stopped'> {
    let renewed = Date.now();
    while (!signal.aborted) {
      await sleep(this.options.timings.retryPeriodMs, signal);
      if (signal.aborted) break;
      const attempt = await this.attempt();
      if (attempt === 'leading') renewed = Date.now();
      else if (attempt === 'following') {
        this.options.log?.(`stopped leading: Lease ${this.options.namespace}/${this.options.name} is now held by ${this.holder}.`);
        return 'lost';
      } else if (Date.now() - renewed > this.options.timings.renewDeadlineMs) {
        this.options.log?.(`stopped leading: could not renew Lease ${this.options.namespace}/${this.options.name} for ${this.options.timings.renewDeadlineMs} ms.`);
        return 'lost';
      }
    }
    return 'stopped';
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
