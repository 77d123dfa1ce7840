// `switchyard render --output markdown`: the routing summary instead of the YAML, for a CI step
// summary or a merge-request comment. The same render; stdout gets Markdown, results stderr.
import { parseOutput, type CommandRun } from './args.ts';
import { exitCodeFor, printResults } from './io.ts';
import { resultsMarkdown, routesMarkdown } from './markdown.ts';
import { renderForAnalysis, type RenderInputs } from './rendered.ts';

export const RENDER_OUTPUTS = ['yaml', 'markdown', 'json'] as const;
export const parseRenderOutput = (value: string | undefined): (typeof RENDER_OUTPUTS)[number] => parseOutput(value, RENDER_OUTPUTS);

export function renderSummary(options: RenderInputs): CommandRun {
  const rendered = renderForAnalysis(options);
  const { results } = rendered;
  const errors = results.filter((r) => r.severity === 'error').length;
  const parts = ['## Switchyard routes', ''];
  if (!rendered.ok) parts.push(`**Render failed** with ${errors} error${errors === 1 ? '' : 's'}; nothing was rendered.`, '');
  const list = resultsMarkdown(results);
  if (list) parts.push(list);
  if (rendered.ok) parts.push(routesMarkdown(rendered.objects, rendered.origins));
  return { stdout: parts.join('\n'), results, exitCode: exitCodeFor(results) };
}

export function runRenderSummary(options: RenderInputs & { quiet: boolean }, summarize: (options: RenderInputs) => CommandRun = renderSummary): number {
  const run = summarize(options);
  process.stdout.write(run.stdout);
  printResults(run.results, options.quiet ? ['error', 'warning'] : ['error', 'warning', 'info']);
  return run.exitCode;
}
