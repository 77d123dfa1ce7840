// `switchyard check PATH...`: renders like `render` and writes nothing, then looks deeper than
// identical-JSON comparison (src/merge/analyze.ts): shadowed routes, a catch-all that is not last,
// missing subsets, subsets that select no workload, and object size. Results go to stderr; with
// --output markdown, stdout gets the diagnostics and the routing table for a CI step summary; with
// json, the results document (output-json.ts); with sarif, a SARIF log (sarif.ts). --rendered
// OUTPUT also proves that OUTPUT holds every route of the fragments (check-rendered.ts).
import { statSync } from 'node:fs';
import { analyzeRouting } from '../merge/analyze.ts';
import type { Result } from '../model/result.ts';
import { finishCommand, parseFlags, parseNow, parseOutput, QUIET, type CommandRun } from './args.ts';
import { CHECK_HELP } from './help.ts';
import { exitCodeFor, UsageError } from './io.ts';
import { escapeText, resultsMarkdown, routesMarkdown } from './markdown.ts';
import { renderForAnalysis, type RenderInputs } from './rendered.ts';
import { checkRendered, expectedJson, readRenderedOutput, type RenderedCheck } from './check-rendered.ts';
import { jsonDocument, routesJson } from './output-json.ts';
import { sarifText } from './sarif.ts';

const isFile = (path: string): boolean => statSync(path, { throwIfNoEntry: false })?.isFile() === true;

export interface CheckOptions extends RenderInputs {
  output: 'text' | 'markdown' | 'json' | 'sarif';
  quiet: boolean;
  /** A file or folder of rendered manifests (or - for stdin) that must hold every fragment's route. */
  rendered?: string;
}

const OPTIONS = {
  policy: { type: 'string' },
  now: { type: 'string' },
  output: { type: 'string', short: 'o' },
  quiet: { type: 'boolean', short: 'q' },
  rendered: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseCheckArgs(args: readonly string[]): CheckOptions | undefined {
  const { values, positionals } = parseFlags(args, OPTIONS);
  if (values.help) return undefined;
  if (positionals.length === 0) throw new UsageError('check needs at least one PATH (a file, a folder, or - for stdin).');
  return {
    paths: positionals,
    ...(values.policy !== undefined ? { policy: values.policy } : {}),
    now: parseNow(values.now),
    output: parseOutput(values.output, ['text', 'markdown', 'json', 'sarif'] as const),
    quiet: values.quiet === true,
    ...(values.rendered !== undefined ? { rendered: values.rendered } : {}),
  };
}

const count = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function check(options: CheckOptions): CommandRun {
  const rendered = renderForAnalysis(options);
  const diagnostics = rendered.ok ? analyzeRouting({ objects: rendered.objects, fragments: rendered.origins }) : [];
  const results: Result[] = [...rendered.results, ...diagnostics];
  let proof: RenderedCheck | undefined;
  if (options.rendered !== undefined && rendered.ok) {
    const output = readRenderedOutput(options.rendered);
    const name = options.rendered === '-' ? 'standard input' : options.rendered;
    results.push(...output.results);
    if (output.results.length === 0) {
      proof = checkRendered(rendered, name, output);
      results.push(...proof.results);
    }
  }
  const errors = results.filter((r) => r.severity === 'error').length;
  const warnings = results.filter((r) => r.severity === 'warning').length;

  const kinds = (kind: string) => rendered.objects.filter((o) => o.object.kind === kind);
  const httpOf = (spec: unknown): unknown[] => {
    const http = (spec as { http?: unknown } | null | undefined)?.http;
    return Array.isArray(http) ? http : [];
  };
  const routes = kinds('VirtualService').reduce((n, o) => n + httpOf(o.object.spec).length, 0);
  const summary = rendered.ok
    ? `checked ${count(kinds('VirtualService').length, 'VirtualService')} (${count(routes, 'route')}) and ${count(kinds('DestinationRule').length, 'DestinationRule')}: ${count(errors, 'error')}, ${count(warnings, 'warning')}.`
    : `check failed: ${count(errors, 'error')}${warnings > 0 ? `, ${count(warnings, 'warning')}` : ''}; nothing was rendered, so routes were not analysed.`;
  results.push({ severity: 'info', message: summary });

  let stdout = '';
  if (options.output === 'markdown') {
    const status = errors > 0 ? `**Failed**: ${count(errors, 'error')}, ${count(warnings, 'warning')}.` : warnings > 0 ? `**Passed with ${count(warnings, 'warning')}.**` : '**Passed.**';
    const parts = ['## Switchyard check', '', status, ''];
    const list = resultsMarkdown(results);
    if (list) parts.push(list);
    if (rendered.ok) parts.push(routesMarkdown(rendered.objects, rendered.origins));
    parts.push(`<sub>${escapeText(summary)}</sub>`, '');
    stdout = parts.join('\n');
  } else if (options.output === 'json') {
    stdout = jsonDocument('check', results, {
      summary,
      virtualServices: rendered.ok ? routesJson(rendered.objects, rendered.origins) : [],
      ...(options.rendered !== undefined
        ? { rendered: { output: options.rendered, checked: proof !== undefined, expected: (proof?.expected ?? []).map(expectedJson), missingRoutes: (proof?.missingRoutes ?? []).map(expectedJson), missingSubsets: (proof?.missingSubsets ?? []).map(expectedJson) } }
        : {}),
    });
  } else if (options.output === 'sarif') {
    // A result that names no file still needs a place for code scanning: the policy file, or the first file PATH.
    stdout = sarifText(results, options.policy ?? options.paths.find((p) => p !== '-' && isFile(p)));
  }
  return { stdout, results, exitCode: exitCodeFor(results) };
}

export function runCheck(args: readonly string[]): number {
  const options = parseCheckArgs(args);
  return finishCommand(options, CHECK_HELP, check, options?.quiet ? QUIET : undefined);
}
