// `switchyard prune DIR... [--dry-run] [--keep-previous N] [--branches-from FILE|-]`: deletes the
// fragment files that are no longer needed, printing each one and why. It only ever deletes a
// file that it parsed as RouteFragments and nothing else, and reports every file it could not
// parse. Which fragments may go is decided by src/merge/prune.ts.
import { unlinkSync } from 'node:fs';
import { isFragment } from '../krm/process.ts';
import { qualified } from '../merge/messages.ts';
import { planPrune, type PruneDecision } from '../merge/prune.ts';
import type { RouteFragment, Sourced } from '../model/kinds.ts';
import type { Result } from '../model/result.ts';
import { checkFragmentSchema } from '../schema/validate.ts';
import { finishCommand, parseFlags, parseInteger, parseNow, parseOutput, QUIET, type CommandRun } from './args.ts';
import { jsonDocument } from './output-json.ts';
import { PRUNE_HELP } from './help.ts';
import { displayPath, exitCodeFor, InputError, listYamlFiles, readInputText, readYamlFile, UsageError } from './io.ts';

const OPTIONS = {
  'dry-run': { type: 'boolean' },
  'keep-previous': { type: 'string' },
  'branches-from': { type: 'string' },
  now: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface PruneCommandOptions {
  paths: string[];
  dryRun: boolean;
  keepPrevious?: number;
  /** A file with one git branch per line, or - for stdin. */
  branchesFrom?: string;
  now: Date;
  quiet: boolean;
  output?: 'text' | 'json';
}

export function parsePruneArgs(args: readonly string[]): PruneCommandOptions | undefined {
  const { values, positionals } = parseFlags(args, OPTIONS);
  if (values.help) return undefined;
  if (positionals.length === 0) throw new UsageError('prune needs the folder of fragment files, such as prune fragments/.');
  if (positionals.includes('-')) throw new UsageError('prune deletes files, so it reads folders and files, not standard input.');
  return {
    paths: positionals,
    dryRun: values['dry-run'] === true,
    ...(values['keep-previous'] !== undefined ? { keepPrevious: parseInteger('--keep-previous', values['keep-previous']) } : {}),
    ...(values['branches-from'] !== undefined ? { branchesFrom: values['branches-from'] } : {}),
    now: parseNow(values.now),
    quiet: values.quiet === true,
    output: parseOutput(values.output, ['text', 'json'] as const),
  };
}

/** One git branch per line; blank lines and # comments skipped; `refs/heads/` and `* ` (git branch) dropped. */
export function parseBranchList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/^\*\s+/, '').trim().replace(/^refs\/heads\//, ''))
    .filter((line) => line !== '' && !line.startsWith('#'));
}

interface FileEntry {
  file: string;
  path: string;
  fragments: Sourced<RouteFragment>[];
  /** Objects in the file that are not valid RouteFragments: the file is never deleted. */
  others: string[];
}

export function prune(options: PruneCommandOptions): CommandRun {
  const results: Result[] = [];
  let branches: string[] | undefined;
  if (options.branchesFrom !== undefined) {
    const source = options.branchesFrom;
    branches = parseBranchList(readInputText(source, '--branches-from'));
    if (branches.length === 0) {
      throw new InputError(`${source === '-' ? 'standard input' : source} lists no branch, and prune would delete every branch fragment; check the command that wrote the list (one branch per line).`);
    }
  }

  const files: FileEntry[] = [];
  // Every object prune reads, by kind and name: spec.workload is judged as render judges it.
  const workloads: { kind: string; name: string; namespace?: string }[] = [];
  for (const root of options.paths) {
    for (const file of listYamlFiles(root)) {
      const path = displayPath(file);
      const { items, results: parseResults } = readYamlFile(file);
      if (parseResults.length > 0) {
        results.push(...parseResults.map((r) => ({ ...r, severity: 'warning' as const, message: `${r.message.replace(/\.$/, '')}; prune leaves ${path} alone.` })));
        continue;
      }
      for (const { header: h } of items) if (h.kind && h.name) workloads.push({ kind: h.kind, name: h.name, ...(h.namespace ? { namespace: h.namespace } : {}) });
      const fragmentItems = items.filter(isFragment);
      if (fragmentItems.length === 0) continue; // not a fragment file: none of prune's business
      const entry: FileEntry = { file, path, fragments: [], others: items.filter((i) => !isFragment(i)).map((i) => `${i.header.kind ?? 'an object'} ${i.header.name ?? ''}`.trim()) };
      for (const item of fragmentItems) {
        const read = item.read();
        const problems = 'object' in read ? checkFragmentSchema(read.object) : [{ path: '', message: read.problem }];
        const name = `RouteFragment ${qualified(item.header.namespace, item.header.name ?? '(unnamed)')}`;
        if (problems.length > 0) {
          const first = problems[0]!;
          results.push({ severity: 'warning', message: `${name} (${path}): ${first.path ? `${first.path} ` : ''}${first.message} prune cannot judge a fragment it cannot read, and leaves ${path} alone.`, file: { path } });
          entry.others.push(name);
          continue;
        }
        entry.fragments.push({ object: (read as { object: unknown }).object as RouteFragment, source: item.source });
      }
      files.push(entry);
    }
  }

  const plan = planPrune(
    files.flatMap((f) => f.fragments),
    { now: options.now, workloads, ...(options.keepPrevious !== undefined ? { keepPrevious: options.keepPrevious } : {}), ...(branches ? { branches } : {}) },
  );
  for (const note of plan.notes) results.push({ severity: 'warning', message: note });
  const decided = new Map<Sourced<RouteFragment>, PruneDecision>(plan.prune.map((d) => [d.fragment, d]));
  const listFile = options.branchesFrom === '-' ? 'standard input' : options.branchesFrom;
  const because = (d: PruneDecision) => `${d.reason}${d.reason.includes('list of branches') ? ` (${listFile})` : ''}`;

  const lines: string[] = [];
  const done: { file: string; action: 'deleted' | 'would-delete'; fragments: { name: string; namespace?: string; reason: string }[] }[] = [];
  let pruned = 0;
  let fragmentFiles = 0;
  for (const entry of files) {
    fragmentFiles++;
    const decisions = entry.fragments.map((f) => decided.get(f));
    if (decisions.every((d) => d === undefined)) continue;
    const describe = (d: PruneDecision) => `RouteFragment ${qualified(d.fragment.object.metadata.namespace, d.fragment.object.metadata.name)} ${because(d)}`;
    if (entry.others.length > 0 || decisions.some((d) => d === undefined)) {
      const kept = [...entry.others, ...entry.fragments.filter((_, i) => !decisions[i]).map((f) => `RouteFragment ${f.object.metadata.name}`)];
      for (const d of decisions) {
        if (d) results.push({ severity: 'warning', message: `${entry.path}: ${describe(d)}, but the file also holds ${kept.join(', ')}, so prune leaves it alone; remove the fragment from the file by hand.`, file: { path: entry.path } });
      }
      continue;
    }
    const why = decisions.map((d) => describe(d!)).join('; ');
    const entryJson = { file: entry.path, fragments: decisions.map((d) => ({ name: d!.fragment.object.metadata.name, ...(d!.fragment.object.metadata.namespace ? { namespace: d!.fragment.object.metadata.namespace } : {}), reason: because(d!) })) };
    if (options.dryRun) {
      lines.push(`would delete ${entry.path}: ${why}.`);
      done.push({ ...entryJson, action: 'would-delete' });
    }
    else {
      try {
        unlinkSync(entry.file);
      } catch (error) {
        results.push({ severity: 'error', message: `${entry.path}: could not be deleted (${(error as Error).message}); delete it by hand.`, file: { path: entry.path } });
        continue;
      }
      lines.push(`deleted ${entry.path}: ${why}.`);
      done.push({ ...entryJson, action: 'deleted' });
    }
    pruned++;
  }
  const summary = `${options.dryRun ? 'would prune' : 'pruned'} ${pruned} of ${fragmentFiles} fragment file${fragmentFiles === 1 ? '' : 's'}${options.dryRun ? ' (dry run: nothing was deleted)' : ''}.`;
  results.push({ severity: 'info', message: summary });
  if (options.output === 'json') {
    return { stdout: jsonDocument('prune', results, { summary, dryRun: options.dryRun, fragmentFiles, files: done }), results, exitCode: exitCodeFor(results) };
  }
  return { stdout: lines.length > 0 ? `${lines.join('\n')}\n` : '', results, exitCode: exitCodeFor(results) };
}

export function runPrune(args: readonly string[]): number {
  const options = parsePruneArgs(args);
  return finishCommand(options, PRUNE_HELP, prune, options?.quiet ? QUIET : undefined);
}
