// `switchyard render [--policy FILE] PATH...|-`: the pre-apply step of any pipeline. Reads files,
// folders and stdin, merges, and prints what should reach the cluster: every object that is not
// local config, with the generated VirtualServices and DestinationRules. Results go to stderr.
import { isLocalConfig, processItems, type Item } from '../krm/process.ts';
import { parseStream, stringifyStream } from '../krm/resource-list.ts';
import { YamlBudget } from '../krm/yaml.ts';
import type { Result } from '../model/result.ts';
import { displayPath, exitCodeFor, InputError, listYamlFiles, printResults, readStdin, readTextFile, UsageError } from './io.ts';
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

/** Reads every input; a YAML problem in any file is an error result naming that file. */
export function readInputs(paths: readonly string[]): { items: Item[]; results: Result[] } {
  const items: Item[] = [];
  const results: Result[] = [];
  const stdinUses = paths.filter((p) => p === '-').length;
  if (stdinUses > 1) throw new UsageError('- (standard input) can be named once.');
  const budget = new YamlBudget(); // all files together: 64 MiB, and what the yaml library can hold
  for (const path of paths) {
    const sources = path === '-' ? [{ text: readStdin(), name: 'stdin' }] : listYamlFiles(path).map((file) => ({ text: readTextFile(file), name: displayPath(file) }));
    for (const { text, name } of sources) {
      const parsed = parseStream(text, name, budget);
      items.push(...parsed.items);
      results.push(...parsed.results);
    }
  }
  return { items, results };
}

export function readPolicy(path: string): Item {
  const { items, results } = parseStream(readTextFile(path), displayPath(path));
  if (results.length > 0) throw new InputError(results[0]!.message);
  const item = items[0];
  if (items.length !== 1 || !item) throw new InputError(`${path} holds ${items.length} objects; --policy takes a file with one RoutingPolicy.`);
  return item;
}

export function render(options: RenderOptions): RenderRun {
  const policy = options.policy !== undefined ? readPolicy(options.policy) : undefined;
  const { items, results: readResults } = readInputs(options.paths);
  if (readResults.length > 0) return { stdout: '', results: readResults, exitCode: 1 };
  const { items: out, results, ok } = processItems({
    items,
    ...(policy ? { policy } : {}),
    now: options.now,
    renderedBy: RENDERED_BY,
  });
  const stdout = ok ? stringifyStream(out.filter((i) => !isLocalConfig(i))) : '';
  return { stdout, results, exitCode: exitCodeFor(results) };
}

export function runRender(options: RenderOptions): number {
  const run = render(options);
  process.stdout.write(run.stdout);
  printResults(run.results, options.quiet ? ['error', 'warning'] : ['error', 'warning', 'info']);
  return run.exitCode;
}
