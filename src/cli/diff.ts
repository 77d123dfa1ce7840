// `switchyard diff --base PATH [--base PATH]... PATH...`: which requests change answer between the
// fragments of a base (the target branch) and those of a change (the pull request): host,
// headers, old shares → new shares, and the fragments responsible. Both sides are rendered by the
// same processor as render; src/merge/diff.ts enumerates the requests and answers them.
import { diffRouting, type RequestAnswer, type RequestChange } from '../merge/diff.ts';
import type { RouteFragment, Sourced } from '../model/kinds.ts';
import type { Result } from '../model/result.ts';
import { finishCommand, parseFlags, parseNow, parseOutput, QUIET, type CommandRun } from './args.ts';
import { DIFF_HELP } from './help.ts';
import { exitCodeFor, UsageError } from './io.ts';
import { code, escapeText, resultsMarkdown } from './markdown.ts';
import { fragmentRef, jsonDocument } from './output-json.ts';
import { renderForAnalysis, type Rendered } from './rendered.ts';

export interface DiffOptions {
  base: string[];
  paths: string[];
  policy?: string;
  now: Date;
  output: 'text' | 'markdown' | 'json';
}

const OPTIONS = {
  base: { type: 'string', multiple: true },
  policy: { type: 'string' },
  now: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseDiffArgs(args: readonly string[]): DiffOptions | undefined {
  const { values, positionals } = parseFlags(args, OPTIONS);
  if (values.help) return undefined;
  if (!values.base || values.base.length === 0) throw new UsageError('diff needs --base PATH: the fragments before the change (repeat --base for several paths).');
  if (positionals.length === 0) throw new UsageError('diff needs at least one PATH: the fragments after the change.');
  return {
    base: values.base,
    paths: positionals,
    ...(values.policy !== undefined ? { policy: values.policy } : {}),
    now: parseNow(values.now),
    output: parseOutput(values.output, ['text', 'markdown', 'json'] as const),
  };
}

/** The fragments behind an answer, on its side. */
function responsible(side: Rendered, answer: RequestAnswer): Sourced<RouteFragment>[] {
  if (!answer.virtualService || !answer.route) return [];
  const slash = answer.virtualService.indexOf('/');
  const namespace = slash >= 0 ? answer.virtualService.slice(0, slash) : undefined;
  const name = slash >= 0 ? answer.virtualService.slice(slash + 1) : answer.virtualService;
  const found = answer.shares.flatMap((s) => side.origins.routeOrigin(namespace, name, answer.route, s.subset) ?? []);
  return [...new Set(found)];
}

interface Row {
  change: RequestChange;
  before: Sourced<RouteFragment>[];
  after: Sourced<RouteFragment>[];
}

const showShares = (a: RequestAnswer): string => {
  if (!a.virtualService) return 'no VirtualService (not routed)';
  if (!a.route) return `${a.virtualService}: no route (404)`;
  if (a.action) return `${a.route}: ${a.action}`;
  return `${a.route}: ${a.shares.map((s) => `${s.subset ?? s.host} ${Number.isInteger(s.share) ? s.share : s.share.toFixed(1)}%`).join(', ')}`;
};
const showHeaders = (headers: Readonly<Record<string, string>>): string => Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join(', ') || '(none)';
const showFragments = (list: readonly Sourced<RouteFragment>[]): string => list.map((f) => `${f.object.metadata.name}${f.source.path ? ` (${f.source.path})` : ''}`).join(', ');
/** The fragments of both sides, each once: the same fragment on both sides is one fragment. */
const bothSides = (row: Row): Sourced<RouteFragment>[] => {
  const seen = new Set<string>();
  return [...row.before, ...row.after].filter((f) => {
    const key = `${f.object.metadata.namespace ?? ''}/${f.object.metadata.name}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
};

/** Rows with the same gateway, host and the same before → after, whatever the headers, become one. */
function grouped(rows: readonly Row[]): { where: string; host: string; headers: string[]; row: Row }[] {
  const groups = new Map<string, { where: string; host: string; headers: string[]; row: Row }>();
  for (const row of rows) {
    const where = row.change.request.gateway;
    const key = `${where}\u0000${row.change.request.authority}\u0000${showShares(row.change.before)}\u0000${showShares(row.change.after)}`;
    const group = groups.get(key) ?? { where, host: row.change.request.authority, headers: [], row };
    group.headers.push(showHeaders(row.change.request.headers));
    groups.set(key, group);
  }
  return [...groups.values()];
}

export function diff(options: DiffOptions): CommandRun {
  const base = renderForAnalysis({ paths: options.base, ...(options.policy !== undefined ? { policy: options.policy } : {}), now: options.now });
  const head = renderForAnalysis({ paths: options.paths, ...(options.policy !== undefined ? { policy: options.policy } : {}), now: options.now });
  const tag = (side: string) => (r: Result): Result => ({ ...r, message: `${side}: ${r.message}` });
  const results: Result[] = [...base.results.filter((r) => r.severity !== 'info').map(tag('base')), ...head.results.filter((r) => r.severity !== 'info').map(tag('change'))];
  const ok = base.ok && head.ok;
  const { requests, changes } = ok ? diffRouting(base.objects, head.objects) : { requests: 0, changes: [] };
  const rows: Row[] = changes.map((change) => ({ change, before: responsible(base, change.before), after: responsible(head, change.after) }));
  const summary = ok
    ? `${changes.length} of ${requests} request${requests === 1 ? '' : 's'} change answer.`
    : `diff failed: ${base.ok ? 'the change' : 'the base'} did not render, so no request was compared.`;
  results.push({ severity: 'info', message: summary });

  let stdout: string;
  if (options.output === 'json') {
    const answerJson = (a: RequestAnswer, fragments: Sourced<RouteFragment>[]) => ({
      virtualService: a.virtualService ?? null,
      route: a.route ?? null,
      ...(a.action ? { action: a.action } : {}),
      shares: a.shares,
      fragments: fragments.map(fragmentRef),
    });
    stdout = jsonDocument('diff', results, {
      summary,
      requests,
      changes: rows.map((r) => ({ gateway: r.change.request.gateway, host: r.change.request.authority, headers: r.change.request.headers, before: answerJson(r.change.before, r.before), after: answerJson(r.change.after, r.after) })),
    });
  } else if (options.output === 'markdown') {
    const parts = ['## Switchyard routing diff', ''];
    const list = resultsMarkdown(results);
    if (list) parts.push(list);
    if (ok && rows.length === 0) parts.push(`No request changes answer (${requests} compared).`, '');
    if (rows.length > 0) {
      parts.push(`**${escapeText(summary)}**`, '', '| At | Host | Headers | Before | After | Fragments |', '|---|---|---|---|---|---|');
      for (const { where, host, headers, row } of grouped(rows)) {
        const fragments = bothSides(row);
        parts.push(`| ${code(where)} | ${code(host)} | ${headers.map(code).join('<br>')} | ${escapeText(showShares(row.change.before))} | ${escapeText(showShares(row.change.after))} | ${fragments.map((f) => code(f.object.metadata.name)).join(', ')} |`);
      }
      parts.push('');
    }
    stdout = parts.join('\n');
  } else {
    const lines = rows.map(
      (r) =>
        `${r.change.request.gateway} ${r.change.request.authority} [${showHeaders(r.change.request.headers)}]: ${showShares(r.change.before)} → ${showShares(r.change.after)}${r.before.length + r.after.length > 0 ? ` (fragments: ${showFragments(bothSides(r))})` : ''}`,
    );
    stdout = lines.length > 0 ? `${lines.join('\n')}\n` : '';
  }
  return { stdout, results, exitCode: exitCodeFor(results) };
}

export function runDiff(args: readonly string[]): number {
  const options = parseDiffArgs(args);
  return finishCommand(options, DIFF_HELP, diff, options?.output === 'text' ? undefined : QUIET);
}
