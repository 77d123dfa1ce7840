// `switchyard fn`: the KRM function. A ResourceList on stdin, the ResourceList with results on
// stdout; errors and warnings also on stderr, because kustomize never prints results.
import { orchestratorOf, processItems } from '../krm/process.ts';
import { parseResourceList, resultsOnly, stringifyResourceList } from '../krm/resource-list.ts';
import type { Result } from '../model/result.ts';
import { readFragmentFolders } from './fragment-folders.ts';
import { exitCodeFor, forStderr, printResults, writeStdout } from './io.ts';
import { RENDERED_BY } from './version.ts';

export interface FnRun {
  /** The output ResourceList in pieces: at 10,000 fragments, joining them would double its memory. */
  chunks: string[];
  /** The output ResourceList as one text. */
  readonly stdout: string;
  results: Result[];
  /** What stderr shows: kpt shows the results itself; kustomize never does, so stderr has to. */
  stderr: Result[];
  exitCode: number;
}

const run = (chunks: string[], results: Result[], underKpt = false): FnRun => ({
  chunks,
  stderr: underKpt ? results.filter((r) => r.severity !== 'info') : forStderr(results),
  get stdout() {
    return chunks.join('');
  },
  results,
  exitCode: exitCodeFor(results),
});

/** The function on a ResourceList's text. Reads no stdin and writes nothing: `runFn` does. */
export function fn(input: string, now: Date): FnRun {
  const { list, results: parseResults } = parseResourceList(input);
  if (!list) return run([resultsOnly(parseResults)], parseResults);
  const config = list.functionConfig;
  const { items, results } = processItems({
    items: list.items,
    ...(config && config.header.kind === 'RoutingPolicy' ? { policy: config } : {}),
    now,
    renderedBy: RENDERED_BY,
    readFragments: readFragmentFolders,
  });
  return run(stringifyResourceList(list, items, results), results, config !== undefined && orchestratorOf(config) === 'kpt');
}

export function runFn(input: string, now: Date): number {
  const { chunks, stderr, exitCode } = fn(input, now);
  writeStdout(chunks);
  printResults(stderr);
  return exitCode;
}
