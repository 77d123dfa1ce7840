// `switchyard canary FRAGMENT_FILE --prometheus URL ...`: one step of a canary, gated on metrics.
// Reads the release fragment and the fragments beside it (the live stable release of the same
// environment and service is the baseline), asks Prometheus for both sides' requests, error rate
// and p99 latency, lets src/merge/canary.ts decide, and writes only the fragment's weight.
// Exit codes: docs/canary.md. Nothing is written unless the figures call for it.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isFragment, isPolicy } from '../krm/process.ts';
import { parseStream } from '../krm/resource-list.ts';
import { setReleaseWeight } from '../krm/set-release-weight.ts';
import { checkNewWeight, findBaseline, renderErrors } from '../merge/canary-baseline.ts';
import { DEFAULT_QUERIES, fillQuery, unknownPlaceholders, type Metric, type QueryTemplates } from '../merge/canary-queries.ts';
import { decideStep, type Action, type Check, type Decision, type Figures, type Thresholds } from '../merge/canary.ts';
import { parseDuration as readDuration } from '../merge/duration.ts';
import { qualified } from '../merge/messages.ts';
import type { RouteFragment, Sourced } from '../model/kinds.ts';
import type { Result } from '../model/result.ts';
import { checkFragmentSchema } from '../schema/validate.ts';
import { parseFlags, parseInteger, parseNow, parseOutput } from './args.ts';
import { CANARY_HELP } from './help.ts';
import { displayPath, InputError, printResults, readTextFile, UsageError, writeStdout } from './io.ts';
import { code, escapeText } from './markdown.ts';
import { queryPrometheus } from './prometheus.ts';
import { readInputs, readPolicy } from './render.ts';

const OPTIONS = {
  prometheus: { type: 'string' },
  steps: { type: 'string' },
  interval: { type: 'string' },
  'max-error-rate': { type: 'string' },
  'max-latency-p99': { type: 'string' },
  'min-requests': { type: 'string' },
  'max-relative-error-rate': { type: 'string' },
  'max-relative-latency-p99': { type: 'string' },
  'requests-query': { type: 'string' },
  'error-rate-query': { type: 'string' },
  'latency-query': { type: 'string' },
  policy: { type: 'string' },
  timeout: { type: 'string' },
  output: { type: 'string', short: 'o' },
  'dry-run': { type: 'boolean' },
  'until-done': { type: 'boolean' },
  now: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The exit status of each outcome; 1 is an error result (bad input), 2 a usage error. */
export const EXIT_CODES: Record<Action, number> = { advance: 0, promote: 3, hold: 4, rollback: 5, undecided: 6 };
/** The outcome's name in reports and JSON. */
export const OUTCOMES: Record<Action, string> = { advance: 'advanced', promote: 'promoted', hold: 'held', rollback: 'rolled-back', undecided: 'undecided' };

export interface CanaryOptions {
  file: string;
  prometheus: URL;
  steps: number[];
  interval: string;
  intervalMs: number;
  thresholds: Thresholds;
  queries: QueryTemplates;
  policy?: string;
  timeoutMs: number;
  output: 'text' | 'markdown' | 'json';
  dryRun: boolean;
  untilDone: boolean;
  /** --now: the instant of the first step (later steps of --until-done add the time waited). */
  now?: Date;
}

const DURATION = /^(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$/;

/** A Prometheus duration (5m, 1h30m, 90s), in milliseconds. */
export function parseDuration(flag: string, value: string): number {
  if (value === '' || !DURATION.test(value)) throw new UsageError(`${flag} ${value} is not a duration; use Prometheus's form, such as 30s, 5m or 1h30m.`);
  const total = readDuration(value);
  if (total === undefined) throw new UsageError(`${flag} ${value} is zero; use a positive duration, such as 5m.`);
  return total;
}

/** Milliseconds: `500ms`, `1.5s`, or a bare number of milliseconds. */
function parseLatency(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(value);
  if (!match || Number(match[1]) <= 0) throw new UsageError(`--max-latency-p99 ${value} is not a latency; use milliseconds or seconds, such as 500ms or 1.5s.`);
  return Number(match[1]) * (match[2] === 's' ? 1000 : 1);
}

/** A fraction: `0.01` or `1%`. */
function parseRate(flag: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)(%)?$/.exec(value);
  const rate = match ? Number(match[1]) / (match[2] ? 100 : 1) : NaN;
  if (!(rate >= 0 && rate <= 1)) throw new UsageError(`${flag} ${value} is not a rate; use a fraction from 0 to 1 or a percentage, such as 0.01 or 1%.`);
  return rate;
}

function parseFactor(flag: string, value: string): number {
  if (!/^\d+(?:\.\d+)?$/.test(value) || (Number(value) > 0 && Number(value) < 1)) throw new UsageError(`${flag} ${value} is not a factor; use 1 or more (such as 2: twice the baseline's), or 0 to turn the comparison off.`);
  return Number(value);
}

export function parseSteps(value: string): number[] {
  const steps = value.split(',').map((s) => s.trim());
  const numbers = steps.map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  if (numbers.some((n) => !(n >= 1 && n <= 100)) || numbers.some((n, i) => i > 0 && n <= numbers[i - 1]!)) {
    throw new UsageError(`--steps ${value} is not a list of weights; use increasing whole numbers from 1 to 100, such as 1,5,25,50.`);
  }
  return numbers;
}

function parseQuery(flag: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (value.trim() === '') throw new UsageError(`${flag} is empty; give a PromQL query, such as sum(rate(http_requests_total{version="{{label.version}}"}[{{interval}}])).`);
  const unknown = unknownPlaceholders(value);
  if (unknown.length > 0) throw new UsageError(`${flag} uses ${unknown.join(', ')}; the placeholders are {{service}}, {{namespace}}, {{subset}}, {{interval}} and {{label.NAME}}.`);
  return value;
}

export function parseCanaryArgs(args: readonly string[]): CanaryOptions | undefined {
  const { values: v, positionals } = parseFlags(args, OPTIONS);
  if (v.help) return undefined;
  if (positionals.length !== 1) throw new UsageError(`canary takes one FRAGMENT_FILE (the canary's release fragment)${positionals.length > 1 ? `, not ${positionals.length}` : ''}.`);
  if (v.prometheus === undefined) throw new UsageError('canary needs --prometheus URL, such as --prometheus http://prometheus.istio-system:9090.');
  let prometheus: URL;
  try {
    prometheus = new URL(v.prometheus);
  } catch {
    throw new UsageError(`--prometheus ${v.prometheus} is not a URL; use one such as http://prometheus.istio-system:9090.`);
  }
  if (prometheus.protocol !== 'http:' && prometheus.protocol !== 'https:') throw new UsageError(`--prometheus ${v.prometheus} is not an http or https URL.`);
  if (v['until-done'] && v['dry-run']) throw new UsageError('--until-done and --dry-run do not go together: a dry run never moves the weight, so it would never be done.');
  const interval = v.interval ?? '5m';
  return {
    file: positionals[0]!,
    prometheus,
    steps: parseSteps(v.steps ?? '1,5,25,50'),
    interval,
    intervalMs: parseDuration('--interval', interval),
    thresholds: {
      minRequests: parseInteger('--min-requests', v['min-requests'] ?? '100'),
      maxErrorRate: parseRate('--max-error-rate', v['max-error-rate'] ?? '0.01'),
      maxLatencyP99Ms: parseLatency(v['max-latency-p99'] ?? '500ms'),
      maxRelativeErrorRate: parseFactor('--max-relative-error-rate', v['max-relative-error-rate'] ?? '2'),
      maxRelativeLatencyP99: parseFactor('--max-relative-latency-p99', v['max-relative-latency-p99'] ?? '2'),
    },
    queries: {
      requests: parseQuery('--requests-query', v['requests-query'], DEFAULT_QUERIES.requests),
      errorRate: parseQuery('--error-rate-query', v['error-rate-query'], DEFAULT_QUERIES.errorRate),
      latencyP99: parseQuery('--latency-query', v['latency-query'], DEFAULT_QUERIES.latencyP99),
    },
    ...(v.policy !== undefined ? { policy: v.policy } : {}),
    timeoutMs: parseDuration('--timeout', v.timeout ?? '30s'),
    output: parseOutput(v.output, ['text', 'markdown', 'json'] as const),
    dryRun: v['dry-run'] === true,
    untilDone: v['until-done'] === true,
    ...(v.now !== undefined ? { now: parseNow(v.now) } : {}),
  };
}

/** A fragment as the report names it. */
interface Side {
  name: string;
  namespace?: string;
  file?: string;
  subset: string;
  revision: number;
}

/** What one step did: the JSON output (schema in docs/canary.md) and what the text and Markdown show. */
export interface StepReport {
  fragment: Side & { service: string; environment: string };
  /** null when the canary was done already (no step was measured). */
  baseline: Side | null;
  outcome: string;
  exitCode: number;
  /** Percent; null: no weight (stable). */
  weight: { from: number | null; to: number | null };
  written: boolean;
  reasons: string[];
  figures: { canary: Record<keyof Figures, number | null>; baseline: Record<keyof Figures, number | null> };
  checks: Check[];
  thresholds: Thresholds;
  interval: string;
  time: string;
  queries: { canary: QueryTemplates; baseline: QueryTemplates } | null;
}

const sideOf = (f: Sourced<RouteFragment>): Side => ({
  name: f.object.metadata.name,
  ...(f.object.metadata.namespace ? { namespace: f.object.metadata.namespace } : {}),
  ...(f.source.path ? { file: f.source.path } : {}),
  subset: f.object.spec.subset.name,
  revision: f.object.spec.release!.revision,
});

const describe = (f: Sourced<RouteFragment>) => `RouteFragment ${qualified(f.object.metadata.namespace, f.object.metadata.name)}${f.source.path ? ` (${f.source.path})` : ''}`;

/** The canary's fragment: the one RouteFragment of the file, well formed, a release. */
function readCanary(file: string): { canary: Sourced<RouteFragment>; text: string } {
  const path = displayPath(file);
  let text: string;
  try {
    text = readTextFile(file);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new UsageError(`${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}.`);
  }
  const { items, results } = parseStream(text, path);
  if (results.length > 0) throw new InputError(results[0]!.message);
  const fragments = items.filter(isFragment);
  if (fragments.length !== 1 || items.length !== 1) throw new InputError(`${path} holds ${items.length} objects, ${fragments.length} of them RouteFragments; canary edits a file that holds exactly one RouteFragment (as switchyard fragment writes it).`);
  const read = fragments[0]!.read();
  const name = `RouteFragment ${qualified(fragments[0]!.header.namespace, fragments[0]!.header.name ?? '(unnamed)')} (${path})`;
  const problems = 'object' in read ? checkFragmentSchema(read.object) : [{ path: '', message: read.problem }];
  if (problems.length > 0) throw new InputError(`${name}: ${problems[0]!.path ? `${problems[0]!.path} ` : ''}${problems[0]!.message}`);
  const object = (read as { object: unknown }).object as RouteFragment;
  if (!object.spec.release) throw new InputError(`${name}: has no spec.release; canary steps a release of an environment, not a branch fragment.`);
  return { canary: { object, source: { path } }, text };
}

/** The fragments beside the file (its folder, as render reads it); broken ones are named and skipped. */
function readSiblings(file: string): { fragments: Sourced<RouteFragment>[]; policies: Sourced<unknown>[]; results: Result[] } {
  const { items, results: read } = readInputs([dirname(file)]);
  const results: Result[] = read.map((r) => ({ ...r, severity: 'warning' }));
  const fragments: Sourced<RouteFragment>[] = [];
  const policies: Sourced<unknown>[] = [];
  for (const item of items) {
    if (isPolicy(item)) {
      const r = item.read();
      if ('object' in r) policies.push({ object: r.object, source: item.source });
      continue;
    }
    if (!isFragment(item) || item.source.path === displayPath(file)) continue;
    const r = item.read();
    const problems = 'object' in r ? checkFragmentSchema(r.object) : [{ path: '', message: r.problem }];
    if (problems.length > 0) {
      results.push({ severity: 'warning', message: `RouteFragment ${qualified(item.header.namespace, item.header.name ?? '(unnamed)')} (${item.source.path}): ${problems[0]!.path} ${problems[0]!.message} canary cannot read it, so it is not a baseline candidate.` });
      continue;
    }
    fragments.push({ object: (r as { object: unknown }).object as RouteFragment, source: item.source });
  }
  return { fragments, policies, results };
}

const METRICS: readonly Metric[] = ['requests', 'errorRate', 'latencyP99'];

function fillAll(templates: QueryTemplates, f: Sourced<RouteFragment>, interval: string): QueryTemplates {
  const context = { service: f.object.spec.service, ...(f.object.metadata.namespace ? { namespace: f.object.metadata.namespace } : {}), subset: f.object.spec.subset.name, labels: f.object.spec.subset.labels, interval };
  const out = {} as QueryTemplates;
  for (const metric of METRICS) {
    const filled = fillQuery(templates[metric], context);
    if ('missing' in filled) {
      const flag = { requests: '--requests-query', errorRate: '--error-rate-query', latencyP99: '--latency-query' }[metric];
      throw new InputError(`${describe(f)}: ${filled.missing}, which ${templates[metric] === DEFAULT_QUERIES[metric] ? 'the default query' : flag} needs; add it, or pass ${flag} without it.`);
    }
    out[metric] = filled.query;
  }
  return out;
}

/** --policy FILE, read as render reads it. */
function sourcedPolicy(file: string): Sourced<unknown> {
  const item = readPolicy(file);
  const read = item.read();
  if (!('object' in read)) throw new InputError(`${displayPath(file)}: ${read.problem}`);
  return { object: read.object, source: item.source };
}

/** One step: read, measure, decide, write. Bad input throws InputError (exit 1). */
export async function canaryStep(options: CanaryOptions, now: Date): Promise<{ report: StepReport; results: Result[] }> {
  const { canary, text } = readCanary(options.file);
  const release = canary.object.spec.release!;
  const fragment = { ...sideOf(canary), service: canary.object.spec.service, environment: release.environment };
  // A canary that is done already (promoted or rolled back by an earlier run) says so again, and
  // needs no baseline: a promoted one is the live release itself.
  if (release.weight === undefined || release.weight === 0) {
    const action: Action = release.weight === undefined ? 'promote' : 'rollback';
    const reasons = [release.weight === undefined ? `${describe(canary)} has no weight: it is a stable release already (promoted); nothing to do.` : `${describe(canary)} has weight 0: it was rolled back already; nothing to do. Release a new revision to try again.`];
    const none = { requests: null, errorRate: null, latencyP99Ms: null };
    return {
      report: { fragment, baseline: null, thresholds: options.thresholds, interval: options.interval, time: now.toISOString(), queries: null, outcome: OUTCOMES[action], exitCode: EXIT_CODES[action], weight: { from: release.weight ?? null, to: release.weight ?? null }, written: false, reasons, figures: { canary: none, baseline: none }, checks: [] },
      results: [],
    };
  }
  const { fragments, policies, results } = readSiblings(options.file);
  const found = findBaseline(canary.object, fragments.map((f) => f.object), now);
  if ('problem' in found) throw new InputError(`${describe(canary)}: ${found.problem}`);
  const baseline = fragments.find((f) => f.object === found.baseline)!;
  // With a policy (--policy, or the one RoutingPolicy in the folder), the canary must render as it
  // is, and its new weight must add no error: a step is never what breaks the routes.
  const policy = options.policy !== undefined ? sourcedPolicy(options.policy) : policies.length === 1 ? policies[0] : undefined;
  const errorsBefore = policy ? renderErrors(policy, [...fragments, canary], now) : [];
  const own = errorsBefore.filter((r) => r.resourceRef?.name === canary.object.metadata.name && r.resourceRef.namespace === canary.object.metadata.namespace);
  if (own.length > 0) throw new InputError(`${own.map((r) => r.message).join(' ')} canary steps only a fragment that renders with the policy (${policy!.source.path ?? 'RoutingPolicy'}).`);

  const queries = { canary: fillAll(options.queries, canary, options.interval), baseline: fillAll(options.queries, baseline, options.interval) };
  const base = { fragment, baseline: sideOf(baseline), thresholds: options.thresholds, interval: options.interval, time: now.toISOString(), queries };

  const answers = await Promise.all(
    (['canary', 'baseline'] as const).flatMap((side) => METRICS.map(async (metric) => ({ side, metric, answer: await queryPrometheus(options.prometheus, queries[side][metric], { time: now, timeoutMs: options.timeoutMs }) }))),
  );
  const figures: Record<'canary' | 'baseline', Figures> = { canary: {}, baseline: {} };
  const failed = answers.find((a) => 'problem' in a.answer);
  for (const { side, metric, answer } of answers) {
    if ('value' in answer && answer.value !== undefined) figures[side][metric === 'latencyP99' ? 'latencyP99Ms' : metric] = answer.value;
  }
  const decision: Decision = failed
    ? { action: 'undecided', reasons: [`The ${failed.metric === 'latencyP99' ? 'latency' : failed.metric === 'errorRate' ? 'error-rate' : 'requests'} query for the ${failed.side} failed: ${(failed.answer as { problem: string }).problem} Nothing was changed: the canary stays at ${release.weight}%.`], checks: [] }
    : decideStep({ weight: release.weight, steps: options.steps, canary: figures.canary, baseline: figures.baseline, thresholds: options.thresholds });

  const changes = decision.action === 'advance' || decision.action === 'promote' || decision.action === 'rollback';
  const to = decision.action === 'promote' ? null : changes ? decision.weight! : release.weight;
  let written = false;
  if (changes) {
    const after: RouteFragment = { ...canary.object, spec: { ...canary.object.spec, release: { ...release, ...(to === null ? { weight: undefined } : { weight: to }) } } };
    if (to === null) delete after.spec.release!.weight;
    const problems = checkNewWeight(after, fragments.map((f) => f.object), now);
    if (policy) {
      const before = new Set(errorsBefore.map((r) => r.message));
      problems.push(...renderErrors(policy, [...fragments, { object: after, source: canary.source }], now).map((r) => r.message).filter((m) => !before.has(m)));
    }
    if (problems.length > 0) throw new InputError(`${describe(canary)}: at weight ${to ?? '(none: stable)'} the routes would not render, so nothing was written: ${problems.join(' ')}`);
    if (!options.dryRun) {
      const edited = setReleaseWeight(text, canary.source.path!, to ?? undefined);
      if ('problem' in edited) throw new InputError(edited.problem);
      // A rename replaces the file at once: a reader (or a crash) never sees half of it.
      const temporary = join(dirname(options.file), `.${basename(options.file)}.switchyard-canary`);
      try {
        writeFileSync(temporary, edited.text);
        renameSync(temporary, options.file);
      } catch (error) {
        rmSync(temporary, { force: true });
        throw new InputError(`${canary.source.path}: could not be written (${(error as Error).message}); nothing was changed.`);
      }
      written = true;
    }
  }
  const report: StepReport = {
    ...base,
    outcome: OUTCOMES[decision.action],
    exitCode: EXIT_CODES[decision.action],
    weight: { from: release.weight, to },
    written,
    reasons: options.dryRun && changes ? [...decision.reasons, 'Dry run: the file was not changed.'] : decision.reasons,
    figures: { canary: plain(figures.canary), baseline: plain(figures.baseline) },
    checks: decision.checks,
  };
  return { report, results };
}

/** Figures for JSON, which has no NaN or Infinity: those and missing values are null, and the reasons say which it was. */
function plain(f: Figures): Record<keyof Figures, number | null> {
  const v = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? null : n);
  return { requests: v(f.requests), errorRate: v(f.errorRate), latencyP99Ms: v(f.latencyP99Ms) };
}

const pct = (n: number | null) => (n === null ? 'n/a' : `${+(n * 100).toPrecision(3)}%`);
const num = (n: number | null) => (n === null ? 'n/a' : String(+n.toFixed(1)));
const msOf = (n: number | null) => (n === null ? 'n/a' : `${+n.toPrecision(4)} ms`);
const weightOf = (w: number | null) => (w === null ? 'stable' : `${w}%`);

function headline(r: StepReport): string {
  const name = qualified(r.fragment.namespace, r.fragment.name);
  switch (r.outcome) {
    case 'advanced':
      return `${name}: advanced ${r.weight.from}% -> ${r.weight.to}%`;
    case 'promoted':
      return `${name}: promoted (${r.baseline === null ? 'earlier: it is stable' : `${r.weight.from}% -> stable`})`;
    case 'rolled-back':
      return `${name}: rolled back (${r.baseline === null ? 'earlier: its weight is 0' : `${r.weight.from}% -> 0%`})`;
    case 'held':
      return `${name}: held at ${r.weight.from}%`;
    default:
      return `${name}: could not decide; stays at ${r.weight.from}%`;
  }
}

export function formatText(r: StepReport): string {
  if (r.baseline === null) return `canary ${headline(r)}\n${r.reasons.map((reason) => `  ${reason}\n`).join('')}`;
  const c = r.figures.canary;
  const b = r.figures.baseline;
  const lines = [
    `canary ${headline(r)}${r.written ? ` (wrote ${r.fragment.file})` : ''}`,
    `  canary   ${r.fragment.subset.padEnd(12)} requests ${num(c.requests).padStart(9)}  error rate ${pct(c.errorRate).padStart(7)}  p99 ${msOf(c.latencyP99Ms)}`,
    `  baseline ${r.baseline.subset.padEnd(12)} requests ${num(b.requests).padStart(9)}  error rate ${pct(b.errorRate).padStart(7)}  p99 ${msOf(b.latencyP99Ms)}`,
    `  limits   min requests ${r.thresholds.minRequests}, max error rate ${pct(r.thresholds.maxErrorRate)}, max p99 ${msOf(r.thresholds.maxLatencyP99Ms)}, over ${r.interval} at ${r.time}`,
    ...r.checks.map((k) => `  ${k.passed ? 'ok  ' : 'FAIL'}     ${k.metric} (${k.kind}): ${k.detail}`),
    ...r.reasons.map((reason) => `  ${reason}`),
  ];
  return `${lines.join('\n')}\n`;
}

export function formatMarkdown(r: StepReport): string {
  if (r.baseline === null) return `### Canary ${escapeText(headline(r))}\n\n${r.reasons.map((reason) => `- ${escapeText(reason)}\n`).join('')}\n`;
  const c = r.figures.canary;
  const b = r.figures.baseline;
  const t = r.thresholds;
  return [
    `### Canary ${escapeText(headline(r))}`,
    '',
    `| | canary ${code(r.fragment.subset)} | baseline ${code(r.baseline.subset)} | limit |`,
    '|---|---:|---:|---|',
    `| requests over ${escapeText(r.interval)} | ${num(c.requests)} | ${num(b.requests)} | at least ${t.minRequests} |`,
    `| error rate | ${pct(c.errorRate)} | ${pct(b.errorRate)} | at most ${pct(t.maxErrorRate)}${t.maxRelativeErrorRate > 0 ? `, and not clearly above ${t.maxRelativeErrorRate} × the baseline's` : ''} |`,
    `| p99 latency | ${msOf(c.latencyP99Ms)} | ${msOf(b.latencyP99Ms)} | at most ${msOf(t.maxLatencyP99Ms)}${t.maxRelativeLatencyP99 > 0 ? `, and not clearly above ${t.maxRelativeLatencyP99} × the baseline's` : ''} |`,
    '',
    ...r.checks.map((k) => `- ${k.passed ? 'passed' : '**failed**'}: ${k.metric} (${k.kind}): ${escapeText(k.detail)}`),
    ...r.reasons.map((reason) => `- ${escapeText(reason)}`),
    '',
    `Weight ${weightOf(r.weight.from)} -> ${weightOf(r.weight.to)}${r.written ? `; wrote ${code(r.fragment.file ?? '')}` : '; nothing written'}. Measured at ${r.time}.`,
    '',
  ].join('\n');
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runCanary(args: readonly string[]): Promise<number> {
  const options = parseCanaryArgs(args);
  if (options === undefined) {
    writeStdout([`${CANARY_HELP}\n`]);
    return 0;
  }
  const started = Date.now();
  const print = (report: StepReport) =>
    writeStdout([options.output === 'json' ? `${JSON.stringify(report)}\n` : options.output === 'markdown' ? formatMarkdown(report) : formatText(report)]);
  for (;;) {
    // --now fixes the first step's instant; later steps of --until-done add the time waited.
    const now = options.now ? new Date(options.now.getTime() + (Date.now() - started)) : new Date();
    const { report, results } = await canaryStep(options, now);
    printResults(results, ['error', 'warning']);
    print(report);
    if (!options.untilDone || (report.outcome !== 'advanced' && report.outcome !== 'held')) return report.exitCode;
    await wait(options.intervalMs);
  }
}
