// Golden fixtures: test/fixtures/<behaviour>/input/ holds a render's input (policy, fragments,
// anything else); expected.yaml is what `switchyard render` prints and results.txt what it says.
// UPDATE_GOLDEN=1 npx vitest run test/golden.test.ts rewrites them; then a person reads the diff.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { render } from '../src/cli/render.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const NOW = new Date('2026-11-27T12:00:00Z');
const update = process.env.UPDATE_GOLDEN === '1';

const cases = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

describe('golden fixtures', () => {
  it('finds fixtures to run', () => {
    expect(cases.length).toBeGreaterThan(5);
  });

  it.each(cases)('%s', (name) => {
    const dir = join(FIXTURES, name);
    const cwd = process.cwd();
    process.chdir(dir); // results name files relative to the fixture
    let run;
    try {
      run = render({ paths: ['input'], now: NOW, quiet: false });
    } finally {
      process.chdir(cwd);
    }
    const results = `exit ${run.exitCode}\n${run.results.map((r) => `${r.severity}: ${r.message}${r.field ? ` [${r.field.path}]` : ''}`).join('\n')}\n`;
    const expectedFile = join(dir, 'expected.yaml');
    const resultsFile = join(dir, 'results.txt');
    if (update) {
      writeFileSync(expectedFile, run.stdout);
      writeFileSync(resultsFile, results);
    }
    if (!existsSync(expectedFile)) throw new Error(`${name} has no expected.yaml; run with UPDATE_GOLDEN=1 and read what it wrote.`);
    expect(results).toBe(readFileSync(resultsFile, 'utf8'));
    expect(run.stdout).toBe(readFileSync(expectedFile, 'utf8'));
  });
});
