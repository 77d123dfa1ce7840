// The benchmark must keep running (it asserts nothing about time): quick mode, one small size.
// npm test never reaches the registry: --no-registry leaves out the one column that needs a
// package from outside the lock file (the old SDK, kpt-functions 0.16); .ci/run runs the bench
// with that column too (npm run bench -- --quick --sizes 10 --require-all).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

it('npm run bench -- --quick --no-registry measures every column but the old SDK', () => {
  const result = spawnSync('node', [join(ROOT, 'bench/run.mjs'), '--quick', '--sizes', '10', '--no-registry'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  expect(result.status, result.stderr).toBe(0);
  const lines = result.stdout.split('\n');
  const header = lines.find((l) => l.startsWith('| N |'))!.split('|').slice(2, -1).map((c) => c.trim());
  const row = lines.find((l) => l.startsWith('| 10 |'));
  expect(row, result.stdout).toBeDefined();
  const cells = row!.split('|').slice(2, -1).map((c) => c.trim());
  const byColumn = Object.fromEntries(header.map((h, i) => [h, cells[i]]));
  expect(byColumn['old SDK no-op']).toBe('not run');
  const measured = Object.entries(byColumn).filter(([h]) => h !== 'old SDK no-op');
  expect(measured.length).toBeGreaterThan(8);
  for (const [column, cell] of measured) expect(cell, column).toMatch(/^\d+\.\d{3} s/);
  expect(result.stderr).not.toMatch(/npm|kpt-functions/);
}, 180_000);
