// `switchyard canary` without a real Prometheus: its flags, the weight edit, the answers of the
// Prometheus API it must read (or refuse), and the input problems it names. The runs against a
// real Prometheus are in test/prometheus/ (npm run test:prometheus).
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryStep, parseCanaryArgs, parseDuration, type CanaryOptions } from '../../src/cli/canary.ts';
import { InputError, UsageError } from '../../src/cli/io.ts';
import { parseSampleValue, queryPrometheus } from '../../src/cli/prometheus.ts';
import { setReleaseWeight } from '../../src/krm/set-release-weight.ts';
import { DEFAULT_QUERIES, fillQuery } from '../../src/merge/canary-queries.ts';
import { BUNDLE, run } from '../e2e/tools.ts';
import { NOW, POLICY_ALL_MATCHES, releaseYaml, workspace } from './workspace.ts';

/** A stand-in for Prometheus's /api/v1/query: answers by the first rule whose text the query contains. */
let server: Server;
let url: string;
let rules: [string, number, unknown][] = [];
const methods: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      // GET with the query in the URL; POST with it in a form body (for long queries).
      methods.push(req.method!);
      const query = (req.method === 'GET' ? new URL(req.url!, 'http://x').searchParams : new URLSearchParams(body)).get('query') ?? '';
      const rule = rules.find(([needle]) => query.includes(needle));
      if (!rule) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
      const [, status, answer] = rule;
      if (answer === 'hang') return; // never answers
      res.writeHead(status, { 'content-type': 'application/json' }).end(typeof answer === 'string' ? answer : JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const vector = (...values: string[]) => ({ status: 'success', data: { resultType: 'vector', result: values.map((v, i) => ({ metric: { i: String(i) }, value: [1796159268, v] })) } });

/** Figures by subset: `version="v3"` selects the canary's queries, `version="v2"` the baseline's. */
function figures(version: string, requests: string, errorRate: string, p99: string): [string, number, unknown][] {
  return [
    [`destination_version="${version}"}[5m]))`, 200, vector(requests)],
    [`destination_version="${version}",response_code`, 200, vector(errorRate)],
    [`bucket{reporter="destination",destination_service_namespace="shop",destination_service_name="checkout",destination_version="${version}"`, 200, vector(p99)],
  ];
}
// The error-rate query also holds the requests selector; the more specific rules go first.
const healthy = () => [...figures('v3', '1000', '0.001', '100').reverse(), ...figures('v2', '100000', '0.001', '100').reverse()];

const options = (file: string, extra: string[] = []): CanaryOptions => parseCanaryArgs([file, '--prometheus', url, '--now', NOW.toISOString(), ...extra])!;

function folder(canaryWeight = 1, extra: Record<string, string> = {}) {
  return workspace({
    'fragments/checkout-v2.yaml': releaseYaml('checkout-v2', 'v2', 'production', 2),
    'fragments/checkout-v3.yaml': `# v3, the canary\n${releaseYaml('checkout-v3', 'v3', 'production', 3, canaryWeight)}`,
    ...extra,
  });
}

describe('canary flags', () => {
  it('has the defaults the help states', () => {
    const o = parseCanaryArgs(['f.yaml', '--prometheus', 'http://p:9090'])!;
    expect(o.steps).toEqual([1, 5, 25, 50]);
    expect([o.interval, o.intervalMs, o.timeoutMs]).toEqual(['5m', 300_000, 30_000]);
    expect(o.thresholds).toEqual({ minRequests: 100, maxErrorRate: 0.01, maxLatencyP99Ms: 500, maxRelativeErrorRate: 2, maxRelativeLatencyP99: 2 });
    expect(o.queries).toEqual(DEFAULT_QUERIES);
    expect([o.output, o.dryRun, o.untilDone]).toEqual(['text', false, false]);
  });

  it('reads rates, latencies and durations in their usual spellings', () => {
    const o = parseCanaryArgs(['f.yaml', '--prometheus', 'http://p', '--max-error-rate', '2%', '--max-latency-p99', '1.5s', '--interval', '1h30m', '--timeout', '500ms'])!;
    expect([o.thresholds.maxErrorRate, o.thresholds.maxLatencyP99Ms, o.intervalMs, o.timeoutMs]).toEqual([0.02, 1500, 5_400_000, 500]);
    expect(parseDuration('--interval', '90s')).toBe(90_000);
  });

  it.each([
    [[], /one FRAGMENT_FILE/],
    [['a.yaml', 'b.yaml', '--prometheus', 'http://p'], /not 2/],
    [['a.yaml'], /needs --prometheus URL/],
    [['a.yaml', '--prometheus', 'p:9090'], /not an http or https URL/],
    [['a.yaml', '--prometheus', 'http://p', '--steps', '5,1'], /increasing whole numbers/],
    [['a.yaml', '--prometheus', 'http://p', '--steps', '0,50'], /from 1 to 100/],
    [['a.yaml', '--prometheus', 'http://p', '--interval', '5 minutes'], /not a duration/],
    [['a.yaml', '--prometheus', 'http://p', '--max-error-rate', '5'], /fraction from 0 to 1/],
    [['a.yaml', '--prometheus', 'http://p', '--max-latency-p99', 'fast'], /not a latency/],
    [['a.yaml', '--prometheus', 'http://p', '--max-relative-error-rate', '0.5'], /use 1 or more/],
    [['a.yaml', '--prometheus', 'http://p', '--requests-query', 'sum(x{a="{{servce}}"})'], /uses \{\{servce\}\}/],
    [['a.yaml', '--prometheus', 'http://p', '--until-done', '--dry-run'], /do not go together/],
    [['a.yaml', '--prometheus', 'http://p', '--output', 'yaml'], /not a known format/],
    [['a.yaml', '--prometheus', 'http://p', '--bogus'], /Unknown option '--bogus'/],
  ])('%j is a usage error', (args, message) => {
    expect(() => parseCanaryArgs(args as string[])).toThrow(UsageError);
    expect(() => parseCanaryArgs(args as string[])).toThrow(message);
  });
});

describe('the default queries', () => {
  it("select Istio's destination-side reports of the subset's version", () => {
    const context = { service: 'checkout', namespace: 'shop', subset: 'v3', labels: { app: 'checkout', version: 'v3' }, interval: '5m' };
    expect(fillQuery(DEFAULT_QUERIES.requests, context)).toEqual({
      query: 'sum(increase(istio_requests_total{reporter="destination",destination_service_namespace="shop",destination_service_name="checkout",destination_version="v3"}[5m]))',
    });
    expect(fillQuery(DEFAULT_QUERIES.latencyP99, { ...context, labels: { app: 'checkout' } })).toEqual({ missing: '{{label.version}}: subset v3 has no label version' });
  });
});

describe('setReleaseWeight', () => {
  const block = '# keep me\nspec:\n  release:\n    environment: production  # two spaces\n    revision: 3\n    weight: 1   # the share\n  service: checkout\n';
  it('changes only the bytes of the weight', () => {
    expect(setReleaseWeight(block, 'f.yaml', 25)).toEqual({ text: block.replace('weight: 1 ', 'weight: 25 ') });
  });
  it('removes the weight line to promote, and nothing else', () => {
    expect(setReleaseWeight(block, 'f.yaml', undefined)).toEqual({ text: block.replace('    weight: 1   # the share\n', '') });
  });
  it.each([
    ['{environment: production, revision: 3, weight: 5}', '{environment: production, revision: 3}'],
    ['{weight: 5, environment: production, revision: 3}', '{environment: production, revision: 3}'],
    ['{environment: production, weight: 5, revision: 3}', '{environment: production, revision: 3}'],
  ])('removes the weight from a flow map: %s', (flow, expected) => {
    const text = `spec:\n  release: ${flow} # flow\n`;
    expect(setReleaseWeight(text, 'f.yaml', undefined)).toEqual({ text: `spec:\n  release: ${expected} # flow\n` });
    expect(setReleaseWeight(text, 'f.yaml', 0)).toEqual({ text: `spec:\n  release: ${flow.replace('5', '0')} # flow\n` });
  });
  it('refuses a file of several documents, and one without spec.release', () => {
    expect(setReleaseWeight('a: 1\n---\nb: 2\n', 'f.yaml', 5)).toEqual({ problem: expect.stringContaining('holds 2 YAML documents') });
    expect(setReleaseWeight('spec: {branch: {value: x}}\n', 'f.yaml', 5)).toEqual({ problem: expect.stringContaining('spec.release is not a map') });
  });
});

describe('reading Prometheus answers', () => {
  const ask = (needle: string, status: number, answer: unknown, timeoutMs = 2000) => {
    rules = [[needle, status, answer]];
    return queryPrometheus(new URL(url), needle, { time: NOW, timeoutMs });
  };
  it('reads a one-sample vector, a scalar, an empty vector, NaN and +Inf', async () => {
    expect(await ask('a', 200, vector('12.5'))).toEqual({ value: 12.5 });
    expect(await ask('b', 200, { status: 'success', data: { resultType: 'scalar', result: [1, '3'] } })).toEqual({ value: 3 });
    expect(await ask('c', 200, vector())).toEqual({ value: undefined });
    expect(await ask('d', 200, vector('NaN'))).toEqual({ value: NaN });
    expect(await ask('e', 200, vector('+Inf'))).toEqual({ value: Infinity });
    expect(parseSampleValue('-Inf')).toBe(-Infinity);
    expect(parseSampleValue(7)).toBe(7);
  });
  it('asks with GET, and with POST when the query is too long for a URL', async () => {
    methods.length = 0;
    expect(await ask('short', 200, vector('1'))).toEqual({ value: 1 });
    expect(await ask(`long${' '.repeat(7000)}`, 200, vector('2'))).toEqual({ value: 2 });
    expect(methods).toEqual(['GET', 'POST']);
  });
  it('refuses several series, a range vector, an error, what is not JSON, and a slow answer', async () => {
    expect(await ask('f', 200, vector('1', '2'))).toEqual({ problem: expect.stringContaining('gives 2 series') });
    expect(await ask('g', 200, { status: 'success', data: { resultType: 'matrix', result: [] } })).toEqual({ problem: expect.stringContaining('not a matrix') });
    expect(await ask('h', 422, { status: 'error', errorType: 'execution', error: 'boom' })).toEqual({ problem: 'Prometheus refused the query (HTTP 422, execution): boom.' });
    expect(await ask('i', 200, '<html>login</html>')).toEqual({ problem: expect.stringContaining('not JSON') });
    expect(await ask('j', 200, 'hang', 200)).toEqual({ problem: expect.stringContaining('did not answer within 0.2 s') });
  });
});

describe('canaryStep', () => {
  it('advances, writes only the weight, and reports the figures', async () => {
    const dir = folder();
    rules = healthy();
    const { report } = await (canaryStep(options(join(dir, 'fragments/checkout-v3.yaml')), NOW));
    expect(report).toMatchObject({ outcome: 'advanced', exitCode: 0, weight: { from: 1, to: 5 }, written: true, baseline: { name: 'checkout-v2', subset: 'v2', revision: 2 } });
    expect(report.figures.canary).toEqual({ requests: 1000, errorRate: 0.001, latencyP99Ms: 100 });
    expect(readFileSync(join(dir, 'fragments/checkout-v3.yaml'), 'utf8')).toBe(`# v3, the canary\n${releaseYaml('checkout-v3', 'v3', 'production', 3, 5)}`);
  });

  it('--dry-run decides and writes nothing', async () => {
    const dir = folder();
    rules = healthy();
    const { report } = await (canaryStep(options(join(dir, 'fragments/checkout-v3.yaml'), ['--dry-run']), NOW));
    expect([report.outcome, report.written]).toEqual(['advanced', false]);
    expect(readFileSync(join(dir, 'fragments/checkout-v3.yaml'), 'utf8')).toContain('weight: 1}');
  });

  it('cannot decide on a query error, and says which query failed', async () => {
    const dir = folder();
    rules = [[`destination_version="v2",response_code`, 400, { status: 'error', errorType: 'bad_data', error: 'parse error' }], ...healthy()];
    const { report } = await (canaryStep(options(join(dir, 'fragments/checkout-v3.yaml')), NOW));
    expect([report.outcome, report.exitCode, report.written]).toEqual(['undecided', 6, false]);
    expect(report.reasons[0]).toContain('The error-rate query for the baseline failed');
  });

  it('will not step into a weight that does not render: canaries over 100%', async () => {
    const dir = folder(50, { 'fragments/checkout-v4.yaml': releaseYaml('checkout-v4', 'v4', 'production', 4, 30) });
    rules = healthy();
    await expect((canaryStep(options(join(dir, 'fragments/checkout-v3.yaml'), ['--steps', '50,80']), NOW))).rejects.toThrow(/at weight 80 the routes would not render, so nothing was written.*take 110% together/);
  });

  it('with a policy, refuses a canary that does not render: its environment is not in the policy', async () => {
    const dir = folder(1, { 'policy.yaml': POLICY_ALL_MATCHES.replace('name: production', 'name: prod') });
    rules = healthy();
    await expect((canaryStep(options(join(dir, 'fragments/checkout-v3.yaml'), ['--policy', join(dir, 'policy.yaml')]), NOW))).rejects.toThrow(
      /RouteFragment shop\/checkout-v3 \(.*fragments\/checkout-v3.yaml\): spec.release.environment is "production", which is not an environment of the policy/,
    );
    // The one RoutingPolicy in the folder counts too; a good policy lets the step through.
    const good = folder(1, { 'fragments/policy.yaml': POLICY_ALL_MATCHES });
    expect((await (canaryStep(options(join(good, 'fragments/checkout-v3.yaml')), NOW))).report.outcome).toBe('advanced');
    const bad = folder(1, { 'fragments/policy.yaml': POLICY_ALL_MATCHES.replace('name: production', 'name: prod') });
    await expect((canaryStep(options(join(bad, 'fragments/checkout-v3.yaml')), NOW))).rejects.toThrow(/not an environment of the policy/);
  });

  it.each([
    ['a branch fragment', { 'fragments/checkout-v3.yaml': 'apiVersion: switchyard.dev/v1alpha1\nkind: RouteFragment\nmetadata: {name: checkout-v3, namespace: shop}\nspec:\n  service: checkout\n  subset: {name: v3, labels: {version: v3}}\n  branch: {value: v3}\n' }, /has no spec.release/],
    ['no stable release beside it', { 'fragments/checkout-v2.yaml': releaseYaml('checkout-v2', 'v2', 'staging', 2) }, /has no stable release to take the rest|no stable release beside it/],
    ['a revision under the live one', { 'fragments/checkout-v2.yaml': releaseYaml('checkout-v2', 'v2', 'production', 7) }, /revision is 3, not above the live RouteFragment shop\/checkout-v2 \(revision 7\)/],
    ['a subset without a version label', { 'fragments/checkout-v3.yaml': releaseYaml('checkout-v3', 'v3', 'production', 3, 1).replace('version: v3', 'track: v3') }, /\{\{label.version\}\}: subset v3 has no label version, which the default query needs/],
    ['a broken fragment', { 'fragments/checkout-v3.yaml': releaseYaml('checkout-v3', 'v3', 'production', 3, 150) }, /spec.release.weight/],
  ])('names the problem with %s', async (_, files, message) => {
    const dir = folder(1, files);
    rules = healthy();
    const run = (canaryStep(options(join(dir, 'fragments/checkout-v3.yaml')), NOW));
    await expect(run).rejects.toThrow(InputError);
    await expect(run).rejects.toThrow(message);
  });
});

describe('the executable', () => {
  it('has --help, and a usage error exits 2', () => {
    const help = run('node', [BUNDLE, 'canary', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: switchyard canary FRAGMENT_FILE --prometheus URL');
    expect(run('node', [BUNDLE, '--help']).stdout).toContain('canary');
    const usage = run('node', [BUNDLE, 'canary', 'f.yaml']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toBe('switchyard: canary needs --prometheus URL, such as --prometheus http://prometheus.istio-system:9090.\nRun switchyard --help for usage.\n');
  });

  it('prints Markdown for a step summary and exits with the outcome', async () => {
    const dir = folder();
    rules = [...figures('v3', '1000', '0.05', '100').reverse(), ...figures('v2', '100000', '0.001', '100').reverse()];
    const result = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
      // Async: the stand-in Prometheus answers from this process.
      import('node:child_process').then(({ execFile }) =>
        execFile('node', [BUNDLE, 'canary', 'fragments/checkout-v3.yaml', '--prometheus', url, '--output', 'markdown'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout) =>
          resolve({ status: error ? (error as { code?: number }).code ?? null : 0, stdout }),
        ),
      );
    });
    expect(result.status).toBe(5);
    expect(result.stdout).toContain('### Canary shop/checkout-v3: rolled back (1% -\\> 0%)');
    expect(result.stdout).toContain('| error rate | 5% | 0.1% | at most 1%');
    expect(readFileSync(join(dir, 'fragments/checkout-v3.yaml'), 'utf8')).toContain('weight: 0}');
  });
});
