// One step of a canary, decided from figures: hold, roll back, advance to the next weight, or
// promote. Pure: the figures come in as numbers (or undefined: the query returned nothing), and
// nothing here reads a clock, a file or the network. docs/canary.md explains every rule.

/** What one side (the canary, or the baseline) measured over the interval. */
export interface Figures {
  /** Requests over the interval; undefined when the query returned no value. */
  requests?: number;
  /** Failed requests / all requests, 0..1. */
  errorRate?: number;
  /** The 99th percentile of request duration, in milliseconds (Infinity: above the top bucket). */
  latencyP99Ms?: number;
}

export interface Thresholds {
  /** Fewer canary requests than this over the interval: hold. */
  minRequests: number;
  /** A canary error rate above this (0..1): roll back. */
  maxErrorRate: number;
  /** A canary p99 above this, in milliseconds: roll back. */
  maxLatencyP99Ms: number;
  /** Roll back when the canary's error rate is more than this many times the baseline's, significantly (0: off). */
  maxRelativeErrorRate: number;
  /** Roll back when the canary's p99 is more than this many times the baseline's, by a margin (0: off). */
  maxRelativeLatencyP99: number;
}

export interface StepInput {
  /** The canary's weight now (1..100). */
  weight: number;
  /** The weights to go through, increasing, each 1..100. */
  steps: readonly number[];
  canary: Figures;
  baseline: Figures;
  thresholds: Thresholds;
}

export type Action = 'advance' | 'promote' | 'hold' | 'rollback' | 'undecided';

/** One comparison the decision made, for the report. */
export interface Check {
  metric: 'requests' | 'error rate' | 'latency p99';
  /** absolute: against the flag; relative: against the baseline. */
  kind: 'absolute' | 'relative';
  passed: boolean;
  /** What was compared, in words: `0.4% <= 1%`. */
  detail: string;
}

export interface Decision {
  action: Action;
  /** The weight the fragment gets: a number, or undefined after promote (the weight is dropped) and when nothing changes. */
  weight?: number;
  /** Why, in sentences, the deciding ones first. */
  reasons: string[];
  checks: Check[];
}

/**
 * The z score a rise in error rate must reach to count as more than chance: a one-sided
 * two-proportion z test at z >= 3 (p < 0.0014). At 1% traffic a canary sees few requests, and a
 * couple of unlucky errors must not roll it back when the baseline has the same rate.
 */
export const SIGNIFICANT_Z = 3;

/**
 * A p99 rise smaller than this share of --max-latency-p99 is noise, whatever the ratio: Istio's
 * duration buckets are coarse (…, 25, 50, 100, 250, 500 ms) and histogram_quantile interpolates
 * inside one, so 4 ms against 2 ms is "twice the baseline" and means nothing.
 */
export const LATENCY_MARGIN_SHARE = 0.1;

const percent = (rate: number): string => `${+(rate * 100).toPrecision(3)}%`;
const ms = (value: number): string => (value === Infinity ? 'above the highest bucket' : `${+value.toPrecision(4)} ms`);
const valid = (value: number | undefined): value is number => value !== undefined && !Number.isNaN(value) && value >= 0;

/** The weight after `weight` on the way up, or undefined when the last step is done (promote). */
export function nextStep(weight: number, steps: readonly number[]): number | undefined {
  return steps.find((step) => step > weight);
}

export function decideStep(input: StepInput): Decision {
  const { canary, baseline, thresholds: t, weight } = input;
  const checks: Check[] = [];
  const undecided = (reason: string): Decision => ({ action: 'undecided', reasons: [`${reason} Nothing was changed: the canary stays at ${weight}%.`], checks });

  if (!valid(canary.requests) || canary.requests === Infinity) return undecided(`The canary's request count is ${describeMissing(canary.requests)}.`);
  const enough = canary.requests >= t.minRequests;
  checks.push({ metric: 'requests', kind: 'absolute', passed: enough, detail: `${count(canary.requests)} ${enough ? '>=' : '<'} ${count(t.minRequests)}` });
  if (!enough) {
    return {
      action: 'hold',
      reasons: [`The canary served ${count(canary.requests)} requests over the interval, fewer than --min-requests ${count(t.minRequests)}: too few to judge, so it stays at ${weight}%.`],
      checks,
    };
  }
  if (!valid(canary.errorRate)) return undecided(`The canary's error rate is ${describeMissing(canary.errorRate)}, with ${count(canary.requests)} requests.`);
  if (!valid(canary.latencyP99Ms)) return undecided(`The canary's p99 latency is ${describeMissing(canary.latencyP99Ms)}, with ${count(canary.requests)} requests.`);
  if (!valid(baseline.requests) || baseline.requests === Infinity) return undecided(`The baseline's request count is ${describeMissing(baseline.requests)}.`);
  const compare = baseline.requests >= t.minRequests;
  if (compare) {
    if (!valid(baseline.errorRate)) return undecided(`The baseline's error rate is ${describeMissing(baseline.errorRate)}, with ${count(baseline.requests)} requests.`);
    if (!valid(baseline.latencyP99Ms)) return undecided(`The baseline's p99 latency is ${describeMissing(baseline.latencyP99Ms)}, with ${count(baseline.requests)} requests.`);
  }

  const failures: string[] = [];
  const errorOk = canary.errorRate <= t.maxErrorRate;
  checks.push({ metric: 'error rate', kind: 'absolute', passed: errorOk, detail: `${percent(canary.errorRate)} ${errorOk ? '<=' : '>'} ${percent(t.maxErrorRate)}` });
  if (!errorOk) failures.push(`The canary's error rate is ${percent(canary.errorRate)}, above --max-error-rate ${percent(t.maxErrorRate)}.`);
  const latencyOk = canary.latencyP99Ms <= t.maxLatencyP99Ms;
  checks.push({ metric: 'latency p99', kind: 'absolute', passed: latencyOk, detail: `${ms(canary.latencyP99Ms)} ${latencyOk ? '<=' : '>'} ${ms(t.maxLatencyP99Ms)}` });
  if (!latencyOk) failures.push(`The canary's p99 latency is ${ms(canary.latencyP99Ms)}, above --max-latency-p99 ${ms(t.maxLatencyP99Ms)}.`);

  const notes: string[] = [];
  if (!compare) {
    notes.push(`The baseline served ${count(baseline.requests)} requests, fewer than --min-requests ${count(t.minRequests)}: the canary was judged by the absolute limits alone.`);
  } else {
    const b = baseline as Required<Figures>;
    if (t.maxRelativeErrorRate > 0) {
      const worse = clearlyMoreErrors(canary.requests, canary.errorRate, b.requests, b.errorRate, t.maxRelativeErrorRate);
      checks.push({ metric: 'error rate', kind: 'relative', passed: !worse.worse, detail: worse.detail });
      if (worse.worse) failures.push(`The canary's error rate (${percent(canary.errorRate)}) is clearly worse than the baseline's (${percent(b.errorRate)}): ${worse.detail}.`);
    }
    if (t.maxRelativeLatencyP99 > 0) {
      const margin = t.maxLatencyP99Ms * LATENCY_MARGIN_SHARE;
      const limit = Math.max(b.latencyP99Ms * t.maxRelativeLatencyP99, b.latencyP99Ms + margin);
      const slower = canary.latencyP99Ms > limit;
      const detail = `${ms(canary.latencyP99Ms)} ${slower ? '>' : '<='} ${ms(limit)} (the larger of ${t.maxRelativeLatencyP99} × the baseline's ${ms(b.latencyP99Ms)}, and the baseline's + ${ms(margin)})`;
      checks.push({ metric: 'latency p99', kind: 'relative', passed: !slower, detail });
      if (slower) failures.push(`The canary's p99 latency (${ms(canary.latencyP99Ms)}) is clearly worse than the baseline's (${ms(b.latencyP99Ms)}): ${detail}.`);
    }
  }

  if (failures.length > 0) {
    return { action: 'rollback', weight: 0, reasons: [...failures, `Rolled back: weight ${weight} -> 0, and the baseline takes all traffic.`, ...notes], checks };
  }
  const next = nextStep(weight, input.steps);
  if (next === undefined) {
    return { action: 'promote', reasons: [`Healthy at ${weight}%, the last step: promoted (weight dropped), so the fragment is the stable release.`, ...notes], checks };
  }
  return { action: 'advance', weight: next, reasons: [`Healthy at ${weight}%: advanced to ${next}%.`, ...notes], checks };
}

/**
 * "Clearly worse": the canary's error rate is more than `factor` times the baseline's, and the
 * difference is significant in a one-sided two-proportion z test (z >= SIGNIFICANT_Z).
 */
export function clearlyMoreErrors(canaryRequests: number, canaryRate: number, baselineRequests: number, baselineRate: number, factor: number): { worse: boolean; detail: string } {
  const ratioLimit = baselineRate * factor;
  const pooled = (canaryRate * canaryRequests + baselineRate * baselineRequests) / (canaryRequests + baselineRequests);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / canaryRequests + 1 / baselineRequests));
  const z = se > 0 ? (canaryRate - baselineRate) / se : 0;
  const worse = canaryRate > ratioLimit && z >= SIGNIFICANT_Z;
  const detail = `${percent(canaryRate)} ${canaryRate > ratioLimit ? '>' : '<='} ${factor} × the baseline's ${percent(baselineRate)}, z = ${Number.isFinite(z) ? z.toFixed(2) : 'n/a'} (${z >= SIGNIFICANT_Z ? '>=' : '<'} ${SIGNIFICANT_Z})`;
  return { worse, detail };
}

function describeMissing(value: number | undefined): string {
  if (value === undefined) return 'missing (the query returned no series)';
  if (Number.isNaN(value)) return 'NaN';
  return `${value}, which is not a count or rate`;
}

const count = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));
