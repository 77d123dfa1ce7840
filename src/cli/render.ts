// `switchyard render [--policy FILE] PATH...|-`: the pre-apply step of any pipeline. Reads files,
// folders and stdin, merges, and prints what should reach the cluster: every object that is not
// local config, with the generated VirtualServices and DestinationRules. Results go to stderr.
import { isLocalConfig, processItems, type Item } from '../krm/process.ts';
import { stringifyStream } from '../krm/resource-list.ts';
import type { Result } from '../model/result.ts';
import { exitCodeFor, InputError, printResults, readYamlFile, readYamlPaths } from './io.ts';
import { RENDERED_BY } from './version.ts';

export interface RenderOptions {
  paths: string[];
  policy?: string;
  now: Date;
  quiet: boolean;
}

export interface RenderRun {
  stdout: string;
  results: Result[];
  exitCode: number;
}

/** Reads every input through the one bounded reader; a YAML problem in any file is an error result naming that file. */
export const readInputs = (paths: readonly string[]): { items: Item[]; results: Result[] } => readYamlPaths(paths);

/** The `--policy` file: one RoutingPolicy. A missing file or a folder is a usage error (exit 2). */
export function readPolicy(path: string): Item {
  const { items, results } = readYamlFile(path, { as: '--policy' });
  if (results.length > 0) throw new InputError(results[0]!.message);
  const item = items[0];
  if (items.length !== 1 || !item) throw new InputError(`${path} holds ${items.length} objects; --policy takes a file with one RoutingPolicy.`);
  return item;
}

export function render(options: RenderOptions): RenderRun {
  const policy = options.policy !== undefined ? readPolicy(options.policy) : undefined;
  const { items, results: readResults } = readInputs(options.paths);
  if (readResults.some((r) => r.severity === 'error')) return { stdout: '', results: readResults, exitCode: 1 };
  const { items: out, results: processed, ok } = processItems({
    items,
    ...(policy ? { policy } : {}),
    now: options.now,
    renderedBy: RENDERED_BY,
  });
  const results = [...readResults, ...processed];
  const stdout = ok ? stringifyStream(out.filter((i) => !isLocalConfig(i))) : '';
  return { stdout, results, exitCode: exitCodeFor(results) };
}

export function runRender(options: RenderOptions): number {
  const run = render(options);
  process.stdout.write(run.stdout);
  printResults(run.results, options.quiet ? ['error', 'warning'] : ['error', 'warning', 'info']);
  return run.exitCode;
}
