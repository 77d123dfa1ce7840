// `switchyard apply [--owner deployment/NAME] [-n NS] FILE|FOLDER|-`: writes RouteFragments into the
// cluster, owned by their Deployment, so that deleting the Deployment deletes the fragment.
// The flow: switchyard fragment ... | switchyard apply --owner deployment/NAME -
import { applyFragments, type ApplyInput } from '../cluster/apply.ts';
import { connect } from '../cluster/client.ts';
import { parseOwner } from '../cluster/owner.ts';
import { describe } from '../cluster/resources.ts';
import { parseStream } from '../krm/resource-list.ts';
import { YamlBudget } from '../krm/yaml.ts';
import { API_VERSION, FRAGMENT_KIND, type RouteFragment } from '../model/kinds.ts';
import type { Result } from '../model/result.ts';
import { checkFragmentSchema } from '../schema/validate.ts';
import { APPLY_HELP } from './help.ts';
import { displayPath, exitCodeFor, listYamlFiles, printResults, readStdin, readTextFile, UsageError } from './io.ts';
import { parseFlags } from './args.ts';
import { reportingClusterErrors } from './reconcile.ts';

const OPTIONS = {
  owner: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  kubeconfig: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runApply(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, OPTIONS);
  if (values.help) {
    process.stdout.write(`${APPLY_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('apply takes one FILE, or - for standard input.');
  const owner = values.owner === undefined ? undefined : parseOwner(values.owner);
  if (owner && 'problem' in owner) throw new UsageError(owner.problem);

  const path = positionals[0]!;
  const sources = path === '-' ? [{ text: readStdin(), name: 'stdin' }] : listYamlFiles(path).map((file) => ({ text: readTextFile(file), name: displayPath(file) }));
  const budget = new YamlBudget(); // all files together, as render reads them
  const read = sources.map(({ text, name }) => readFragments(text, name, budget));
  const fragments = read.flatMap((r) => r.fragments);
  const results = read.flatMap((r) => r.results);
  if (results.length > 0 || fragments.length === 0) {
    printResults(results.length > 0 ? results : [{ severity: 'error', message: `${path === '-' ? 'stdin' : path} holds no RouteFragment; nothing to apply.` }]);
    return 1;
  }
  return reportingClusterErrors(async () => {
    const cluster = await connect(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {});
    const outcome = await applyFragments({ cluster, fragments, ...(values.namespace !== undefined ? { namespace: values.namespace } : {}), ...(owner ? { owner } : {}) });
    printResults(outcome.results);
    return outcome.ok ? exitCodeFor(outcome.results) : 1;
  });
}

/** Every document must be a valid RouteFragment; all problems are collected before anything is written. Read by render's bounded reader. */
export function readFragments(text: string, source: string, budget = new YamlBudget()): { fragments: ApplyInput[]; results: Result[] } {
  const fragments: ApplyInput[] = [];
  const parsed = parseStream(text, source, budget);
  const results: Result[] = [...parsed.results];
  for (const item of parsed.items) {
    const index = item.source.index ?? 0;
    const where = `${source}, document ${index + 1}`;
    const read = item.read();
    if ('problem' in read) {
      results.push({ severity: 'error', message: `${where}: ${read.problem}`, file: { path: source, index } });
      continue;
    }
    const object = read.object as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
    const kind = typeof object?.kind === 'string' ? object.kind : '(no kind)';
    if (kind !== FRAGMENT_KIND || object.apiVersion !== API_VERSION) {
      results.push({ severity: 'error', message: `${where} is ${kind}; apply writes RouteFragments (${API_VERSION}) only, use kubectl apply for anything else.`, file: { path: source, index } });
      continue;
    }
    const name = typeof object.metadata?.name === 'string' ? object.metadata.name : '(unnamed)';
    const namespace = typeof object.metadata?.namespace === 'string' ? object.metadata.namespace : undefined;
    const problems = checkFragmentSchema(object);
    for (const p of problems) {
      results.push({
        severity: 'error',
        message: `${describe(FRAGMENT_KIND, namespace, name)} (${source}): ${p.path ? `${p.path} ` : ''}${p.message}`,
        ...(p.path ? { field: { path: p.path } } : {}),
        file: { path: source, index },
      });
    }
    if (problems.length === 0) fragments.push({ fragment: object as RouteFragment, source });
  }
  return { fragments, results };
}
