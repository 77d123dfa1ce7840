// The kustomize exec plugin protocol, for `kubectl kustomize --enable-alpha-plugins`, which never
// runs KRM exec functions (FACTS.md). kustomize runs
//   $KUSTOMIZE_PLUGIN_HOME/switchyard.dev/v1alpha1/routingpolicy/RoutingPolicy CONFIG_FILE
// with every resource as a YAML stream on stdin, and takes the stream on stdout as the result.
import { Item, processItems } from '../krm/process.ts';
import { parseStream, stringifyStream } from '../krm/resource-list.ts';
import { YamlBudget } from '../krm/yaml.ts';
import type { Result } from '../model/result.ts';
import { readFragmentFolders } from './fragment-folders.ts';
import { displayPath, exitCodeFor, forStderr, printResults, readYamlFile } from './io.ts';
import { RENDERED_BY } from './version.ts';

export function kustomizePlugin(configPath: string, input: string, now: Date): { stdout: string; results: Result[]; exitCode: number } {
  const budget = new YamlBudget();
  const config = readYamlFile(configPath, { budget, as: 'the plugin config' });
  const stream = parseStream(input, undefined, budget);
  const readResults = [...config.results, ...stream.results];
  if (readResults.length > 0) return { stdout: '', results: readResults, exitCode: 1 };
  const policyItem = config.items[0];
  const { items, results, ok } = processItems({
    items: stream.items,
    ...(policyItem ? { policy: Item.of(policyItem.doc, policyItem.node, { path: displayPath(configPath) }) } : {}),
    now,
    renderedBy: RENDERED_BY,
    readFragments: readFragmentFolders,
  });
  return { stdout: ok ? stringifyStream(items, { keepAnnotations: true }) : '', results, exitCode: exitCodeFor(results) };
}

export function runKustomizePlugin(configPath: string, input: string, now: Date): number {
  const run = kustomizePlugin(configPath, input, now);
  process.stdout.write(run.stdout);
  printResults(forStderr(run.results));
  return run.exitCode;
}
