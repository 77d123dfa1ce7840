// `switchyard fn`: the KRM function. A ResourceList on stdin, the ResourceList with results on
// stdout; errors and warnings also on stderr, because kustomize never prints results.
import { processItems } from '../krm/process.ts';
import { parseResourceList, resultsOnly, stringifyResourceList } from '../krm/resource-list.ts';
import type { Result } from '../model/result.ts';
import { readFragmentFolders } from './fragment-folders.ts';
import { exitCodeFor, printResults } from './io.ts';

export interface FnRun {
  stdout: string;
  results: Result[];
  exitCode: number;
}

/** The function on a ResourceList's text. Reads no stdin and writes nothing: `runFn` does. */
export function fn(input: string, now: Date): FnRun {
  const { list, results: parseResults } = parseResourceList(input);
  if (!list) return { stdout: resultsOnly(parseResults), results: parseResults, exitCode: 1 };
  const config = list.functionConfig;
  const { items, results } = processItems({
    doc: list.doc,
    items: list.items,
    ...(config && config.get('kind') === 'RoutingPolicy' ? { policy: { node: config, doc: list.doc, source: {} } } : {}),
    now,
    readFragments: readFragmentFolders,
  });
  return { stdout: stringifyResourceList(list, items, results), results, exitCode: exitCodeFor(results) };
}

export function runFn(input: string, now: Date): number {
  const run = fn(input, now);
  process.stdout.write(run.stdout);
  printResults(run.results, ['error', 'warning']);
  return run.exitCode;
}
