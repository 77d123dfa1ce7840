// `switchyard fragment` judges the set it leaves behind with the merge render runs, and rewrites
// an existing fragment file in place (src/cli/fragment-file.ts): fields it does not set and
// comments stay.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fragmentCommand, parseFragmentArgs } from '../../src/cli/fragment.ts';
import { render } from '../../src/cli/render.ts';
import { inDir, NOW, workspace } from './workspace.ts';

const make = (dir: string, args: string[]) => inDir(dir, () => fragmentCommand(parseFragmentArgs([...args, '--now', NOW.toISOString()])!));
const canary = (revision: number, weight: number, extra: string[] = []) =>
  ['-n', 'shop', '--service', 'checkout', '--release', '--environment', 'production', '--revision', String(revision), '--weight', String(weight), '--out', 'fragments', ...extra];

describe('fragment checks the set with the merge', () => {
  it('refuses a canary that makes the canaries take more than 100%, and writes nothing', () => {
    const dir = workspace({}, { example: true }); // v3 is a 1% canary of production
    const before = readFileSync(join(dir, 'fragments/checkout-v3.yaml'), 'utf8');
    const run = make(dir, [...canary(5, 100), '--policy', 'policy.yaml']);
    expect(run.exitCode).toBe(1);
    expect(run.results.map((r) => r.message).join('\n')).toContain('take 101% together, and may take at most 100');
    expect(() => readFileSync(join(dir, 'fragments/checkout-production-v5.yaml'))).toThrow();
    expect(readFileSync(join(dir, 'fragments/checkout-v3.yaml'), 'utf8')).toBe(before);
  });

  it('finds the policy among the folders when --policy is not given, and accepts a set that adds up', () => {
    const dir = workspace({}, { example: true });
    const refused = inDir(dir, () => {
      // The policy next to the fragments, as in a kpt package.
      return fragmentCommand(parseFragmentArgs([...canary(5, 100), '--existing', '.', '--now', NOW.toISOString()])!);
    });
    expect(refused.exitCode).toBe(1);
    const ok = make(dir, [...canary(5, 99), '--policy', 'policy.yaml']);
    expect(ok.exitCode).toBe(0);
    const rendered = inDir(dir, () => render({ paths: ['fragments'], policy: 'policy.yaml', now: NOW, quiet: true }));
    expect(rendered.exitCode).toBe(0);
  });
});

describe('fragment --out over an existing file', () => {
  it('keeps every field it does not set and every comment', () => {
    const dir = workspace({}, { example: true });
    const file = join(dir, 'fragments/checkout-v3.yaml');
    const before = readFileSync(file, 'utf8');
    expect(before).toContain('workload: {kind: Deployment, name: checkout-v3}');
    const run = make(dir, [...canary(3, 0, ['--name', 'checkout-v3', '--subset', 'v3']), '--policy', 'policy.yaml']);
    expect(run.exitCode, JSON.stringify(run.results)).toBe(0);
    const after = readFileSync(file, 'utf8');
    expect(after).toBe(before.replace('revision: 3, weight: 1}', 'revision: 3, weight: 0}'));
    // Promotion: the weight goes, the rest stays.
    make(dir, ['-n', 'shop', '--service', 'checkout', '--release', '--environment', 'production', '--revision', '3', '--name', 'checkout-v3', '--subset', 'v3', '--out', 'fragments', '--policy', 'policy.yaml']);
    expect(readFileSync(file, 'utf8')).toBe(before.replace('revision: 3, weight: 1}', 'revision: 3}'));
  });

  it('keeps expires and comments of a branch fragment it rewrites', () => {
    const dir = workspace({}, { example: true });
    const file = join(dir, 'fragments/checkout-feature-jp12.yaml');
    const before = readFileSync(file, 'utf8');
    const run = make(dir, ['-n', 'shop', '--service', 'checkout', '--branch', 'feature-jp12', '--environment', 'staging', '--out', 'fragments', '--policy', 'policy.yaml']);
    expect(run.exitCode, JSON.stringify(run.results)).toBe(0);
    const after = readFileSync(file, 'utf8');
    expect(after).toContain('expires: "2099-12-24T00:00:00Z"');
    expect(after).toContain('workload: {kind: Deployment, name: checkout-feature-jp12}');
    expect(after.split('\n')[0]).toBe(before.split('\n')[0]); // the comment heading the file
  });
});
