// `switchyard canary` against a real Prometheus (Debian's 2.42, started on 127.0.0.1 by
// server.ts), fed with synthetic Istio series: healthy, failing, clearly worse than the baseline,
// slow, too quiet and unlabelled canaries, a promotion, --until-done, custom query templates, a
// query Prometheus refuses, and Prometheus down. Each case checks the exit code, the figures the
// decision rested on, and the fragment file afterwards, byte for byte where it must not change.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE, requireTool, run } from '../e2e/tools.ts';
import { FAST, openMetrics, SLOW, startPrometheus, type RunningPrometheus, type Workload } from './server.ts';

const END = Math.floor(Date.now() / 1000) - 60;
const START = END - 1800;
const NOW = new Date(END * 1000).toISOString();

const healthy = (namespace: string, version: string, rps: number): Workload => ({ namespace, service: 'checkout', version, rps, errorRate: 0.001, latencyCdf: FAST });
const WORKLOADS: Workload[] = [
  healthy('healthy', 'v2', 50),
  healthy('healthy', 'v3', 2),
  healthy('failing', 'v2', 50),
  { ...healthy('failing', 'v3', 2), errorRate: 0.05 },
  { ...healthy('worse', 'v2', 50), errorRate: 0.0005 },
  { ...healthy('worse', 'v3', 5), errorRate: 0.008 }, // under the 1% limit, but 16 × the baseline's
  healthy('slow', 'v2', 50),
  { ...healthy('slow', 'v3', 2), latencyCdf: SLOW },
  healthy('quiet', 'v2', 50),
  healthy('quiet', 'v3', 0.1), // 30 requests in 5 minutes
  healthy('unlabelled', 'v2', 50), // and no series at all for its canary v3
];

let prometheus: RunningPrometheus;
beforeAll(async () => {
  requireTool(BUNDLE);
  prometheus = await startPrometheus(openMetrics(WORKLOADS, START, END));
});
afterAll(() => prometheus?.stop());

const CANARY_FILE = (namespace: string, weight: number) => `# The canary of v3: switchyard canary moves its weight.
apiVersion: switchyard.dev/v1alpha1
kind: RouteFragment
metadata:
  name: checkout-v3
  namespace: ${namespace}
  annotations:
    config.kubernetes.io/local-config: "true"  # never applied
spec:
  service: checkout
  subset: {name: v3, labels: {app: checkout, version: v3}}
  release:
    environment: production
    revision: 3
    weight: ${weight} # the canary's share
`;

/** A folder with the stable v2 and the canary v3 of `namespace`; returns the canary's path. */
function fragments(namespace: string, weight = 1): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'switchyard-canary-')), 'fragments');
  mkdirSync(dir);
  writeFileSync(join(dir, 'checkout-v2.yaml'), `apiVersion: switchyard.dev/v1alpha1\nkind: RouteFragment\nmetadata: {name: checkout-v2, namespace: ${namespace}}\nspec:\n  service: checkout\n  subset: {name: v2, labels: {app: checkout, version: v2}}\n  release: {environment: production, revision: 2}\n`);
  writeFileSync(join(dir, 'checkout-v3.yaml'), CANARY_FILE(namespace, weight));
  return join(dir, 'checkout-v3.yaml');
}

function canary(file: string, ...flags: string[]) {
  const result = run('node', [BUNDLE, 'canary', file, '--prometheus', prometheus.url, '--now', NOW, '--output', 'json', ...flags]);
  const reports = result.stdout.trim() === '' ? [] : result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, any>);
  return { status: result.status, stderr: result.stderr, reports, report: reports.at(-1)!, text: readFileSync(file, 'utf8') };
}

describe('switchyard canary against Prometheus', () => {
  it('advances a healthy canary to the next step, measuring only the destination side', () => {
    const file = fragments('healthy');
    const out = canary(file);
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(out.report.outcome).toBe('advanced');
    expect(out.report.weight).toEqual({ from: 1, to: 5 });
    // 2 requests/s over 5 minutes; the source-side reports of the same requests are not counted.
    expect(out.report.figures.canary.requests).toBeCloseTo(600, -1);
    expect(out.report.figures.baseline.requests).toBeCloseTo(15000, -2);
    expect(out.report.figures.canary.errorRate).toBeGreaterThan(0);
    expect(out.report.figures.canary.errorRate).toBeLessThan(0.003);
    expect(out.report.figures.canary.latencyP99Ms).toBeGreaterThan(50);
    expect(out.report.figures.canary.latencyP99Ms).toBeLessThan(100);
    expect(out.text).toBe(CANARY_FILE('healthy', 1).replace('weight: 1 #', 'weight: 5 #'));
  });

  it('rolls back a canary over the error-rate limit', () => {
    const file = fragments('failing', 5);
    const out = canary(file);
    expect(out.status).toBe(5);
    expect(out.report.outcome).toBe('rolled-back');
    expect(out.report.figures.canary.errorRate).toBeCloseTo(0.05, 2);
    expect(out.text).toBe(CANARY_FILE('failing', 5).replace('weight: 5 #', 'weight: 0 #'));
  });

  it('rolls back a canary under the limit that is clearly worse than its baseline', () => {
    const file = fragments('worse', 5);
    const out = canary(file);
    expect(out.status).toBe(5);
    expect(out.report.checks).toContainEqual(expect.objectContaining({ metric: 'error rate', kind: 'relative', passed: false }));
    expect(out.report.checks).toContainEqual(expect.objectContaining({ metric: 'error rate', kind: 'absolute', passed: true }));
    // The same canary passes with the comparison turned off.
    expect(canary(fragments('worse', 5), '--max-relative-error-rate', '0').status).toBe(0);
  });

  it('rolls back a slow canary', () => {
    const file = fragments('slow', 25);
    const out = canary(file);
    expect(out.status).toBe(5);
    expect(out.report.figures.canary.latencyP99Ms).toBeGreaterThan(1000);
    expect(out.report.reasons[0]).toContain('--max-latency-p99 500 ms');
    expect(out.text).toContain('weight: 0 # the canary');
  });

  it('holds a canary with too few requests, and changes nothing', () => {
    const file = fragments('quiet');
    const out = canary(file);
    expect(out.status).toBe(4);
    expect(out.report.outcome).toBe('held');
    expect(out.report.figures.canary.requests).toBeCloseTo(30, 0);
    expect(out.text).toBe(CANARY_FILE('quiet', 1));
    // With a lower bar, the same figures advance it.
    expect(canary(file, '--min-requests', '20').status).toBe(0);
  });

  it('cannot decide when the canary has no series, and changes nothing', () => {
    const file = fragments('unlabelled');
    const out = canary(file);
    expect(out.status).toBe(6);
    expect(out.report.outcome).toBe('undecided');
    expect(out.report.reasons[0]).toContain('no series');
    expect(out.text).toBe(CANARY_FILE('unlabelled', 1));
  });

  it('promotes a healthy canary at the last step: the weight goes, the comments stay', () => {
    const file = fragments('healthy', 50);
    const out = canary(file);
    expect(out.status).toBe(3);
    expect(out.report.outcome).toBe('promoted');
    expect(out.report.weight).toEqual({ from: 50, to: null });
    expect(out.text).toBe(CANARY_FILE('healthy', 50).replace('    weight: 50 # the canary\'s share\n', ''));
    // Run again (the next scheduled run): the release is stable already, nothing to do.
    const again = canary(file);
    expect(again.status).toBe(3);
    expect(again.text).toBe(out.text);
  });

  it('fills {{label.NAME}}, {{service}}, {{namespace}} and {{interval}} into custom queries', () => {
    const file = fragments('slow', 25);
    const selector = 'reporter="destination",destination_workload="{{service}}-{{label.version}}",destination_workload_namespace="{{namespace}}"';
    const out = canary(
      file,
      '--requests-query', `sum(increase(istio_requests_total{${selector}}[{{interval}}]))`,
      '--error-rate-query', `sum(rate(istio_requests_total{${selector},response_code=~"5.."}[{{interval}}])) / sum(rate(istio_requests_total{${selector}}[{{interval}}])) or vector(0)`,
      '--latency-query', `histogram_quantile(0.90, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${selector}}[{{interval}}])))`,
      '--max-relative-latency-p99', '0',
    );
    expect(out.report.queries.canary.requests).toBe('sum(increase(istio_requests_total{reporter="destination",destination_workload="checkout-v3",destination_workload_namespace="slow"}[5m]))');
    // p90 of the slow canary is 250 ms: within the limit, so it advances.
    expect(out.report.figures.canary.latencyP99Ms).toBeCloseTo(250, -1);
    expect(out.status).toBe(0);
    expect(out.text).toContain('weight: 50 #');
  });

  it('cannot decide when Prometheus refuses a query', () => {
    const file = fragments('healthy');
    const out = canary(file, '--latency-query', 'histogram_quantile(0.99, sum(rate(x[{{interval}}]))');
    expect(out.status).toBe(6);
    expect(out.report.reasons[0]).toMatch(/refused the query \(HTTP 400, bad_data\)/);
    expect(out.text).toBe(CANARY_FILE('healthy', 1));
  });

  it('--until-done steps through every weight, waiting --interval, until promoted', () => {
    const file = fragments('healthy');
    // The queries keep a 5-minute window of the series; --interval is only the wait between steps here.
    const selector = 'reporter="destination",destination_service_namespace="{{namespace}}",destination_version="{{label.version}}"';
    const out = canary(
      file,
      '--until-done', '--interval', '1s', '--steps', '1,10,60',
      '--requests-query', `sum(increase(istio_requests_total{${selector}}[5m]))`,
      '--error-rate-query', `(sum(rate(istio_requests_total{${selector},response_code=~"5.."}[5m])) or vector(0)) / sum(rate(istio_requests_total{${selector}}[5m]))`,
      '--latency-query', `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${selector}}[5m])))`,
    );
    expect(out.reports.map((r) => `${r.outcome} ${r.weight.to}`)).toEqual(['advanced 10', 'advanced 60', 'promoted null']);
    expect(out.status).toBe(3);
    expect(out.text).not.toMatch(/^ *weight:/m);
  });

  it('prints the decision and the figures as text', () => {
    const file = fragments('slow', 25);
    const result = run('node', [BUNDLE, 'canary', file, '--prometheus', prometheus.url, '--now', NOW, '--dry-run']);
    expect(result.status).toBe(5);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('canary slow/checkout-v3: rolled back (25% -> 0%)');
    expect(lines[1]).toMatch(/^  canary   v3 +requests +600 +error rate +0\.\d+% +p99 1\d{3}(\.\d+)? ms$/);
    expect(lines[2]).toMatch(/^  baseline v2 +requests +15000 +error rate +0\.\d+% +p99 9\d(\.\d+)? ms$/);
    expect(result.stdout).toContain('FAIL     latency p99 (absolute)');
    expect(result.stdout).toContain('Dry run: the file was not changed.');
    expect(readFileSync(file, 'utf8')).toBe(CANARY_FILE('slow', 25));
  });

  it('cannot decide when Prometheus is down, and changes nothing', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const file = fragments('healthy');
    const result = run('node', [BUNDLE, 'canary', file, '--prometheus', `http://127.0.0.1:${port}`, '--now', NOW]);
    expect(result.status).toBe(6);
    expect(result.stdout).toContain('could not decide');
    expect(result.stdout).toMatch(/unreachable: ECONNREFUSED/);
    expect(readFileSync(file, 'utf8')).toBe(CANARY_FILE('healthy', 1));
  });
});
