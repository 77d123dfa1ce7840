// `switchyard prune`: expired fragments, old stable releases beyond the rollback targets, branches
// that are gone; only files it parsed as RouteFragments, each printed with its reason.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../../src/cli/io.ts';
import { parseBranchList, parsePruneArgs, prune } from '../../src/cli/prune.ts';
import { planPrune } from '../../src/merge/prune.ts';
import type { RouteFragment, Sourced } from '../../src/model/kinds.ts';
import { branch, fragment, release } from '../builders.ts';
import { snapshot } from '../e2e/tools.ts';
import { branchYaml, fragmentYaml, inDir, listFiles, NOW, releaseYaml, workspace } from './workspace.ts';

const sourced = (f: RouteFragment): Sourced<RouteFragment> => ({ object: f, source: { path: `fragments/${f.metadata.name}.yaml` } });
const plan = (fragments: RouteFragment[], options: Omit<Parameters<typeof planPrune>[1], 'now'> = {}) =>
  planPrune(fragments.map(sourced), { now: NOW, ...options }).prune.map((d) => `${d.fragment.object.metadata.name}: ${d.reason}`);

describe('planPrune', () => {
  it('prunes expired fragments, and nothing else by default', () => {
    const expired = fragment('checkout-old', { branch: { value: 'old' }, expires: '2026-01-01T00:00:00Z' });
    const current = fragment('checkout-new', { branch: { value: 'new' }, expires: '2027-01-01T00:00:00Z' });
    expect(plan([expired, current, release('checkout-v1', 'production', 1)])).toEqual(['checkout-old: expired at 2026-01-01T00:00:00Z']);
  });

  it('--keep-previous keeps the live release and N rollback targets, never a canary, per service and environment', () => {
    const fragments = [
      release('checkout-v1', 'production', 1),
      release('checkout-v2', 'production', 2),
      release('checkout-v3', 'production', 3),
      release('checkout-v4', 'production', 4),
      release('checkout-v5', 'production', 5, 10), // a canary: kept
      release('checkout-v0', 'production', 0, 0), // a rolled-back canary: not a stable release, kept
      release('checkout-staging-v1', 'staging', 1),
      release('checkout-staging-v4', 'staging', 4),
      fragment('cart-v1', { service: 'cart', release: { environment: 'production', revision: 1 } }),
    ];
    expect(plan(fragments, { keepPrevious: 1 })).toEqual([
      'checkout-v1: is a stable release of production of service shop/checkout (revision 1), older than the live one (checkout-v4, revision 4) and the 1 kept for rollback (checkout-v3, revision 3)',
      'checkout-v2: is a stable release of production of service shop/checkout (revision 2), older than the live one (checkout-v4, revision 4) and the 1 kept for rollback (checkout-v3, revision 3)',
    ]);
    expect(plan(fragments, { keepPrevious: 0 }).map((l) => l.split(':')[0])).toEqual(['checkout-staging-v1', 'checkout-v1', 'checkout-v2', 'checkout-v3']);
    expect(plan(fragments, { keepPrevious: 5 })).toEqual([]);
  });

  it('--keep-previous counts from the live release once an expired newer one is gone', () => {
    const fragments = [release('checkout-v1', 'production', 1), release('checkout-v2', 'production', 2), fragment('checkout-v3', { release: { environment: 'production', revision: 3 }, expires: '2026-01-01T00:00:00Z' })];
    expect(plan(fragments, { keepPrevious: 1 }).map((l) => l.split(':')[0])).toEqual(['checkout-v3']);
    expect(plan(fragments, { keepPrevious: 0 }).map((l) => l.split(':')[0])).toEqual(['checkout-v1', 'checkout-v3']);
  });

  it('--keep-previous leaves an environment alone whose stable releases share a revision', () => {
    const fragments = [release('checkout-a', 'production', 2), release('checkout-b', 'production', 2), release('checkout-c', 'production', 1)];
    const out = planPrune(fragments.map(sourced), { now: NOW, keepPrevious: 0 });
    expect(out.prune).toEqual([]);
    expect(out.notes[0]).toContain('share a revision');
  });

  it('--branches-from prunes exact branch fragments of branches not listed, matching git names and values', () => {
    const withGitName = fragment('checkout-feature-jp-12', { branch: { value: 'feature-jp-12' } });
    withGitName.metadata.annotations = { 'switchyard.dev/branch': 'feature/JP-12' };
    const fragments = [
      withGitName,
      branch('checkout-bugfix-dp34', 'bugfix-dp34'),
      branch('checkout-feature-ab56', 'feature-ab56'),
      branch('checkout-all-features', 'feature-', { match: 'prefix' }), // stands for no one branch: kept
      release('checkout-v1', 'production', 1),
    ];
    expect(plan(fragments, { branches: ['main', 'feature/JP-12', 'feature/AB56'] })).toEqual(['checkout-bugfix-dp34: is the branch build of bugfix-dp34, which is not in the list of branches']);
  });
});

describe('prune', () => {
  const files = () =>
    workspace({
      'fragments/v1.yaml': releaseYaml('checkout-v1', 'v1', 'production', 1),
      'fragments/v2.yaml': releaseYaml('checkout-v2', 'v2', 'production', 2),
      'fragments/v3.yaml': releaseYaml('checkout-v3', 'v3', 'production', 3),
      'fragments/v4.yaml': releaseYaml('checkout-v4', 'v4', 'production', 4, 1),
      'fragments/feature.yaml': branchYaml('checkout-feature-jp12', 'feature-jp12'),
      'fragments/old.yaml': fragmentYaml('checkout-old', 'subset: {name: old, labels: {app: checkout}}\nbranch: {value: old}\nexpires: "2026-01-01T00:00:00Z"'),
      'fragments/policy.yaml': 'apiVersion: switchyard.dev/v1alpha1\nkind: RoutingPolicy\nmetadata: {name: routing}\nspec:\n  environments: [{name: production, default: true}]\n',
      'fragments/broken.yaml': 'kind: [unclosed\n',
      'fragments/mixed.yaml': `${fragmentYaml('checkout-mixed', 'subset: {name: m, labels: {app: checkout}}\nbranch: {value: m}\nexpires: "2026-01-01T00:00:00Z"')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep-me}\n`,
      'fragments/invalid.yaml': fragmentYaml('checkout-invalid', 'subset: {name: i, labels: {app: checkout}}\nbranch: {valeu: i}'),
      'fragments/deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: checkout-v1}\n',
    });
  const run = (dir: string, args: string[]) => inDir(dir, () => prune(parsePruneArgs([...args, '--now', NOW.toISOString()])!));

  it('deletes expired and superseded fragment files, printing each and why, and reports what it cannot read', () => {
    const dir = files();
    const r = run(dir, ['--keep-previous', '1', 'fragments']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(
      [
        'deleted fragments/old.yaml: RouteFragment shop/checkout-old expired at 2026-01-01T00:00:00Z.',
        'deleted fragments/v1.yaml: RouteFragment shop/checkout-v1 is a stable release of production of service shop/checkout (revision 1), older than the live one (checkout-v3, revision 3) and the 1 kept for rollback (checkout-v2, revision 2).',
        '',
      ].join('\n'),
    );
    expect(listFiles(join(dir, 'fragments'))).toEqual(['broken.yaml', 'deployment.yaml', 'feature.yaml', 'invalid.yaml', 'mixed.yaml', 'policy.yaml', 'v2.yaml', 'v3.yaml', 'v4.yaml']);
    const warnings = r.results.filter((x) => x.severity === 'warning').map((x) => x.message);
    expect(warnings).toEqual([
      expect.stringMatching(/^fragments\/broken.yaml is not valid YAML: .*; prune leaves fragments\/broken.yaml alone\.$/),
      expect.stringMatching(/^RouteFragment shop\/checkout-invalid \(fragments\/invalid.yaml\): spec.branch.valeu is not a known field; did you mean value\? prune cannot judge/),
      'fragments/mixed.yaml: RouteFragment shop/checkout-mixed expired at 2026-01-01T00:00:00Z, but the file also holds ConfigMap keep-me, so prune leaves it alone; remove the fragment from the file by hand.',
    ]);
    expect(r.results.at(-1)!.message).toBe('pruned 2 of 8 fragment files.');
  });

  it('--dry-run deletes nothing', () => {
    const dir = files();
    const before = snapshot(dir);
    const r = run(dir, ['--dry-run', '--keep-previous', '0', 'fragments']);
    expect(r.stdout.split('\n').filter(Boolean).map((l) => l.split(':')[0])).toEqual(['would delete fragments/old.yaml', 'would delete fragments/v1.yaml', 'would delete fragments/v2.yaml']);
    expect(r.results.at(-1)!.message).toBe('would prune 3 of 8 fragment files (dry run: nothing was deleted).');
    expect(snapshot(dir)).toEqual(before);
  });

  it('--branches-from deletes the fragments of branches that are gone, and refuses an empty list', () => {
    const dir = files();
    writeFileSync(join(dir, 'branches.txt'), '# git ls-remote --heads origin\nrefs/heads/main\n');
    const r = run(dir, ['--branches-from', 'branches.txt', 'fragments']);
    expect(r.stdout).toContain('deleted fragments/feature.yaml: RouteFragment shop/checkout-feature-jp12 is the branch build of feature-jp12, which is not in the list of branches (branches.txt).\n');
    expect(existsSync(join(dir, 'fragments/feature.yaml'))).toBe(false);
    writeFileSync(join(dir, 'empty.txt'), '\n# nothing\n');
    expect(() => run(dir, ['--branches-from', 'empty.txt', 'fragments'])).toThrow(InputError);
    expect(() => run(dir, ['--branches-from', 'empty.txt', 'fragments'])).toThrow('empty.txt lists no branch, and prune would delete every branch fragment');
  });

  it('reads branch lists as git prints them', () => {
    expect(parseBranchList('* main\n  feature/JP-12\nrefs/heads/bugfix/x\n\n# comment\n')).toEqual(['main', 'feature/JP-12', 'bugfix/x']);
  });

  it.each([
    [[], 'prune needs the folder of fragment files'],
    [['-'], 'prune deletes files, so it reads folders and files, not standard input.'],
    [['--keep-previous', 'two', 'fragments'], '--keep-previous two is not a whole number'],
    [['--branches', 'x', 'fragments'], "Unknown option '--branches'"],
  ])('%j is a usage error', (args, message) => {
    expect(() => parsePruneArgs(args)).toThrow(UsageError);
    expect(() => parsePruneArgs(args)).toThrow(message);
  });
});
