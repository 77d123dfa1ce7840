// Leader election through a coordination.k8s.io Lease, the way client-go's leaderelection does it,
// as pure decisions. A lease is expired when its record has not changed for leaseDurationSeconds
// by the LOCAL clock since this candidate last saw it change, so clocks of different nodes never
// need to agree. The caller reads the Lease, asks `decideLease`, and writes with the Lease's
// resourceVersion as a precondition (so two candidates cannot both take it).
import { apiVersionOf, type ClusterObject } from './resources.ts';

export interface LeaseTimings {
  /** How long a leader's claim lasts without renewal (written into the Lease). */
  leaseDurationMs: number;
  /** A leader that could not renew for this long stops leading. Less than leaseDurationMs. */
  renewDeadlineMs: number;
  /** How often candidates try and leaders renew. */
  retryPeriodMs: number;
}

/** client-go's defaults. */
export const DEFAULT_LEASE_TIMINGS: LeaseTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** The last lease record this candidate saw, and when (local clock, ms) it first saw it. */
export interface Observation {
  record: string;
  at: number;
}

export type LeaseDecision =
  /** No Lease yet: create it, holding it. */
  | { action: 'create'; lease: ClusterObject }
  /** Renew our own lease, or take over a free or expired one: write with the read resourceVersion. */
  | { action: 'update'; lease: ClusterObject; takeover: boolean }
  /** Someone else holds a live lease. */
  | { action: 'wait'; holder: string; expiresInMs: number };

export interface LeaseInput {
  current: ClusterObject | undefined;
  identity: string;
  namespace: string;
  name: string;
  now: Date;
  observed: Observation | undefined;
  timings: LeaseTimings;
}

/** RFC 3339 with microseconds: the API server's MicroTime format. */
export const microTime = (date: Date): string => date.toISOString().replace(/Z$/, '000Z');

export function decideLease(input: LeaseInput): { decision: LeaseDecision; observed: Observation } {
  const { current, identity, now, timings } = input;
  const nowMs = now.getTime();
  const durationSeconds = Math.max(1, Math.ceil(timings.leaseDurationMs / 1000));
  const claim = (spec: LeaseSpec): LeaseSpec => ({ ...spec, holderIdentity: identity, leaseDurationSeconds: durationSeconds, renewTime: microTime(now) });

  if (!current) {
    const spec = claim({ acquireTime: microTime(now), leaseTransitions: 0 });
    return {
      decision: { action: 'create', lease: { apiVersion: apiVersionOf('Lease'), kind: 'Lease', metadata: { name: input.name, namespace: input.namespace }, spec } },
      observed: { record: recordOf(spec), at: nowMs },
    };
  }
  const spec = (current.spec ?? {}) as LeaseSpec;
  const record = recordOf(spec);
  const observed = input.observed?.record === record ? input.observed : { record, at: nowMs };
  const holder = spec.holderIdentity ?? '';
  const update = (next: LeaseSpec, takeover: boolean): LeaseDecision => ({ action: 'update', lease: { ...current, spec: next }, takeover });

  if (holder === identity) return { decision: update(claim(spec), false), observed };
  const durationMs = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
  const expiresInMs = observed.at + durationMs - nowMs;
  if (holder !== '' && expiresInMs > 0) return { decision: { action: 'wait', holder, expiresInMs }, observed };
  const transitions = (spec.leaseTransitions ?? 0) + 1;
  return { decision: update(claim({ ...spec, acquireTime: microTime(now), leaseTransitions: transitions }), true), observed };
}

/** A released lease, as client-go's release writes it: no holder, a 1 s duration, renewTime and acquireTime now, transitions kept. */
export function releasedLease(current: ClusterObject, now: Date): ClusterObject {
  const spec = (current.spec ?? {}) as LeaseSpec;
  return { ...current, spec: { ...spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: microTime(now), renewTime: microTime(now) } };
}

export const holderOf = (lease: ClusterObject | undefined): string => ((lease?.spec ?? {}) as LeaseSpec).holderIdentity ?? '';

const recordOf = (spec: LeaseSpec): string => JSON.stringify([spec.holderIdentity ?? '', spec.renewTime ?? '', spec.leaseTransitions ?? 0]);
