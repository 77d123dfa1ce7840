// Pure parts: leader-election decisions and the backoff.
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/cluster/backoff.ts';
import { decideLease, microTime, releasedLease, type LeaseTimings, type Observation } from '../../src/cluster/lease.ts';
import type { ClusterObject } from '../../src/cluster/resources.ts';

const timings: LeaseTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
const at = (seconds: number) => new Date(Date.UTC(2026, 10, 27, 12, 0, seconds));
const lease = (spec: object): ClusterObject => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'switchyard-reconcile', namespace: 'ops', resourceVersion: '7' }, spec });
const decide = (current: ClusterObject | undefined, identity: string, seconds: number, observed?: Observation) =>
  decideLease({ current, identity, namespace: 'ops', name: 'switchyard-reconcile', now: at(seconds), observed, timings });

describe('decideLease', () => {
  it('creates the Lease when there is none', () => {
    const { decision } = decide(undefined, 'a', 0);
    expect(decision).toEqual({
      action: 'create',
      lease: {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'switchyard-reconcile', namespace: 'ops' },
        spec: { acquireTime: '2026-11-27T12:00:00.000000Z', renewTime: '2026-11-27T12:00:00.000000Z', holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 },
      },
    });
  });

  it('renews its own lease, keeping acquireTime and transitions and the resourceVersion it read', () => {
    const { decision } = decide(lease({ holderIdentity: 'a', renewTime: microTime(at(0)), acquireTime: microTime(at(0)), leaseTransitions: 3, leaseDurationSeconds: 15 }), 'a', 2);
    expect(decision).toMatchObject({ action: 'update', takeover: false, lease: { metadata: { resourceVersion: '7' }, spec: { holderIdentity: 'a', renewTime: microTime(at(2)), acquireTime: microTime(at(0)), leaseTransitions: 3 } } });
  });

  it('waits while another holder renews, judging expiry by when it last saw the record change (its own clock)', () => {
    const held = lease({ holderIdentity: 'a', renewTime: '1999-01-01T00:00:00.000000Z', leaseDurationSeconds: 15, leaseTransitions: 0 });
    // b's clock says the renewTime is ancient, but b has only just seen this record: it waits.
    const first = decide(held, 'b', 0);
    expect(first.decision).toMatchObject({ action: 'wait', holder: 'a', expiresInMs: 15_000 });
    expect(decide(held, 'b', 14, first.observed).decision.action).toBe('wait');
    // The record changed (a renewed): the clock starts again.
    const renewed = lease({ holderIdentity: 'a', renewTime: '1999-01-01T00:00:10.000000Z', leaseDurationSeconds: 15, leaseTransitions: 0 });
    const seen = decide(renewed, 'b', 14, first.observed);
    expect(seen.decision).toMatchObject({ action: 'wait', expiresInMs: 15_000 });
    // No change for the whole lease duration: b takes over.
    expect(decide(renewed, 'b', 30, seen.observed).decision).toMatchObject({ action: 'update', takeover: true, lease: { spec: { holderIdentity: 'b', leaseTransitions: 1, acquireTime: microTime(at(30)) } } });
  });

  it('takes a released lease at once', () => {
    const released = releasedLease(lease({ holderIdentity: 'a', renewTime: microTime(at(0)), leaseDurationSeconds: 15, leaseTransitions: 2 }), at(1));
    // client-go's release: no holder, 1 s, renewTime and acquireTime both now, transitions kept.
    expect(released.spec).toEqual({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 2, acquireTime: microTime(at(1)), renewTime: microTime(at(1)) });
    expect(decide(released, 'b', 1).decision).toMatchObject({ action: 'update', takeover: true, lease: { spec: { holderIdentity: 'b', leaseTransitions: 3 } } });
  });
});

describe('backoffDelay', () => {
  it('grows exponentially to the cap, with full jitter', () => {
    const b = { baseMs: 50, maxMs: 1_000 };
    expect([1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, b, () => 0.999999))).toEqual([49, 99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(3, b, () => 0)).toBe(0);
  });
});
