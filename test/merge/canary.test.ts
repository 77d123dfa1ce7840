// The canary step as a pure function: a table of figures and the decision each one calls for.
import { describe, expect, it } from 'vitest';
import { clearlyMoreErrors, decideStep, nextStep, type Figures, type StepInput, type Thresholds } from '../../src/merge/canary.ts';

const LIMITS: Thresholds = { minRequests: 100, maxErrorRate: 0.01, maxLatencyP99Ms: 500, maxRelativeErrorRate: 2, maxRelativeLatencyP99: 2 };
const STEPS = [1, 5, 25, 50];
const GOOD: Figures = { requests: 1000, errorRate: 0.001, latencyP99Ms: 120 };
const BASE: Figures = { requests: 100_000, errorRate: 0.001, latencyP99Ms: 110 };

const step = (over: Partial<StepInput> & { c?: Figures; b?: Figures; t?: Partial<Thresholds> } = {}) => {
  const { c, b, t, ...rest } = over;
  return decideStep({ weight: 1, steps: STEPS, canary: { ...GOOD, ...c }, baseline: { ...BASE, ...b }, thresholds: { ...LIMITS, ...t }, ...rest });
};

describe('decideStep', () => {
  const table: [string, Parameters<typeof step>[0], string, number | undefined][] = [
    // [case, input, action, new weight]
    ['healthy at the first step advances to the second', {}, 'advance', 5],
    ['healthy at 5 advances to 25', { weight: 5 }, 'advance', 25],
    ['a weight between steps advances to the next step above it', { weight: 3 }, 'advance', 5],
    ['healthy at the last step promotes', { weight: 50 }, 'promote', undefined],
    ['a weight above the last step promotes', { weight: 80 }, 'promote', undefined],
    ['too few requests holds', { c: { requests: 99 } }, 'hold', undefined],
    ['too few requests holds even with errors: too few to judge', { c: { requests: 10, errorRate: 0.5 } }, 'hold', undefined],
    ['too few requests holds with a NaN error rate (0/0)', { c: { requests: 0, errorRate: NaN, latencyP99Ms: NaN } }, 'hold', undefined],
    ['exactly --min-requests is enough', { c: { requests: 100 } }, 'advance', 5],
    ['an error rate over the limit rolls back', { c: { errorRate: 0.02 } }, 'rollback', 0],
    ['an error rate at the limit passes', { c: { errorRate: 0.01 }, b: { errorRate: 0.01 } }, 'advance', 5],
    ['a p99 over the limit rolls back', { c: { latencyP99Ms: 501 } }, 'rollback', 0],
    ['a p99 above the highest bucket (+Inf) rolls back', { c: { latencyP99Ms: Infinity } }, 'rollback', 0],
    ['a missing request count cannot decide', { c: { requests: undefined } }, 'undecided', undefined],
    ['a NaN request count cannot decide', { c: { requests: NaN } }, 'undecided', undefined],
    ['a negative request count cannot decide', { c: { requests: -1 } }, 'undecided', undefined],
    ['a NaN error rate with enough requests cannot decide', { c: { errorRate: NaN } }, 'undecided', undefined],
    ['a missing p99 with enough requests cannot decide', { c: { latencyP99Ms: undefined } }, 'undecided', undefined],
    ["a missing baseline request count cannot decide", { b: { requests: undefined } }, 'undecided', undefined],
    ["a NaN baseline error rate cannot decide", { b: { errorRate: NaN } }, 'undecided', undefined],
    ['clearly more errors than the baseline rolls back, under the limit', { c: { requests: 2000, errorRate: 0.008 }, b: { errorRate: 0.0005 } }, 'rollback', 0],
    ['more errors, but few requests: not significant, advances', { c: { requests: 100, errorRate: 0.01 }, b: { errorRate: 0.004 } }, 'advance', 5],
    ['significantly more errors, but under the factor: advances', { c: { requests: 100_000, errorRate: 0.0015 }, b: { errorRate: 0.001 } }, 'advance', 5],
    ['the relative error check off (0): advances', { c: { requests: 2000, errorRate: 0.008 }, b: { errorRate: 0.0005 }, t: { maxRelativeErrorRate: 0 } }, 'advance', 5],
    ['a p99 of 3 × the baseline rolls back, under the limit', { c: { latencyP99Ms: 330 } }, 'rollback', 0],
    ['a p99 of exactly 2 × the baseline is not clearly worse: advances', { c: { latencyP99Ms: 220 } }, 'advance', 5],
    ['a p99 of 3 × a tiny baseline is noise (under the 50 ms margin): advances', { c: { latencyP99Ms: 30 }, b: { latencyP99Ms: 10 } }, 'advance', 5],
    ['the relative latency check off (0): advances', { c: { latencyP99Ms: 330 }, t: { maxRelativeLatencyP99: 0 } }, 'advance', 5],
    ['a quiet baseline: judged by the absolute limits alone', { c: { latencyP99Ms: 330 }, b: { requests: 20, errorRate: NaN, latencyP99Ms: NaN } }, 'advance', 5],
    ['a quiet baseline does not save a canary over the limit', { c: { errorRate: 0.05 }, b: { requests: 20, errorRate: NaN, latencyP99Ms: NaN } }, 'rollback', 0],
  ];
  it.each(table)('%s', (_, input, action, weight) => {
    const decision = step(input);
    expect(decision.action).toBe(action);
    expect(decision.weight).toBe(weight);
    expect(decision.reasons.length).toBeGreaterThan(0);
  });

  it('names every failed limit in the reasons of a rollback', () => {
    const decision = step({ c: { errorRate: 0.2, latencyP99Ms: 900 } });
    expect(decision.reasons.join(' ')).toContain('--max-error-rate 1%');
    expect(decision.reasons.join(' ')).toContain('--max-latency-p99 500 ms');
    expect(decision.checks.filter((c) => !c.passed).map((c) => `${c.metric} ${c.kind}`)).toEqual(['error rate absolute', 'latency p99 absolute', 'error rate relative', 'latency p99 relative']);
  });

  it('says so when the baseline was too quiet to compare with', () => {
    expect(step({ b: { requests: 5 } }).reasons.join(' ')).toContain('absolute limits alone');
  });

  it('never moves the weight without every figure it needs (property over missing figures)', () => {
    const keys: (keyof Figures)[] = ['requests', 'errorRate', 'latencyP99Ms'];
    for (const side of ['c', 'b'] as const) {
      for (const key of keys) {
        for (const bad of [undefined, NaN]) {
          const decision = step({ [side]: { [key]: bad } });
          expect(['undecided', 'hold']).toContain(decision.action);
          if (decision.action === 'hold') expect(side === 'c' && key === 'requests').toBe(false);
        }
      }
    }
  });
});

describe('nextStep', () => {
  it('is the first step above the weight, or none after the last', () => {
    expect([0, 1, 4, 5, 49, 50, 99].map((w) => nextStep(w, STEPS))).toEqual([1, 5, 5, 25, 50, undefined, undefined]);
  });
});

describe('clearlyMoreErrors', () => {
  it('needs both the factor and significance', () => {
    expect(clearlyMoreErrors(2000, 0.008, 100_000, 0.0005, 2).worse).toBe(true);
    expect(clearlyMoreErrors(50, 0.02, 100_000, 0.005, 2).worse).toBe(false); // 1 error in 50: chance
    expect(clearlyMoreErrors(100_000, 0.0015, 100_000, 0.001, 2).worse).toBe(false); // significant, but only 1.5 ×
    expect(clearlyMoreErrors(1000, 0, 1000, 0, 2).worse).toBe(false); // no errors at all: z is 0, not NaN
    expect(clearlyMoreErrors(1000, 1, 1000, 1, 2).worse).toBe(false);
  });
});
