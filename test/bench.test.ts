// The benchmark must keep running (it asserts nothing about time): quick mode, one small size.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

it('npm run bench -- --quick measures every column', () => {
  const result = spawnSync('node', [join(ROOT, 'bench/run.mjs'), '--quick', '--sizes', '10'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  expect(result.status, result.stderr).toBe(0);
  const row = result.stdout.split('\n').find((l) => l.startsWith('| 10 |'));
  expect(row, result.stdout).toBeDefined();
  // Every column was measured (the old SDK needs the npm registry once; say so if it was not there).
  const cells = row!.split('|').slice(2, -1).map((c) => c.trim());
  expect(cells.filter((c) => c === 'not run'), result.stderr).toEqual([]);
  expect(cells.every((c) => /^\d+\.\d{3} s/.test(c))).toBe(true);
}, 180_000);
