// The policy's `fragmentsFrom`: kustomize cannot glob `resources:`, so the function itself reads
// every RouteFragment file of the named folders (relative to the working folder, which kustomize
// sets to the kustomization's). Every build adds its own file; nobody edits a shared list.
import type { Result } from '../model/result.ts';
import { isFragment, type Item } from '../krm/process.ts';
import { YamlBudget } from '../krm/yaml.ts';
import { listInputFiles, readYamlFile, UsageError, type InputFiles } from './io.ts';

export function readFragmentFolders(folders: readonly string[]): { fragments: Item[]; results: Result[] } {
  const fragments: Item[] = [];
  const results: Result[] = [];
  const budget = new YamlBudget(); // every file of every folder together
  for (const folder of folders) {
    let listed: InputFiles;
    try {
      listed = listInputFiles(folder);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      results.push({ severity: 'error', message: `RoutingPolicy spec.fragmentsFrom names ${folder}, which is not a folder here (${process.cwd()}); name folders relative to the kustomization.` });
      continue;
    }
    for (const file of listed.files) {
      const { items, results: parseResults } = readYamlFile(file, { budget });
      results.push(...parseResults);
      fragments.push(...items.filter(isFragment));
    }
    for (const s of listed.skipped) results.push({ severity: 'info', message: `RoutingPolicy spec.fragmentsFrom: ${s.path} is not read, because it is ${s.reason}.`, file: { path: s.path } });
  }
  return { fragments, results };
}
