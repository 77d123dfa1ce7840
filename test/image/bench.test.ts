// The bench's image columns must keep running (nothing about time is asserted): quick mode, one size.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { ROOT } from '../e2e/tools.ts';
import { imageTools } from './tools.ts';

beforeAll(() => {
  imageTools(); // fails, saying why, without podman or the image
});

it('npm run bench -- --quick --image measures the image\'s size and kpt with image: against exec:', () => {
  const result = spawnSync('node', [join(ROOT, 'bench/run.mjs'), '--quick', '--sizes', '10', '--image'], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
  expect(result.status, result.stderr).toBe(0);
  expect(result.stdout).toMatch(/^Image localhost\/switchyard:dev: \d+\.\d MB \(its final base \d+\.\d MB/m);
  for (const n of ['1 \\(cold start\\)', '10']) {
    expect(result.stdout).toMatch(new RegExp(`^\\| ${n} \\| \\d+\\.\\d{3} s[^|]*\\| \\d+\\.\\d{3} s[^|]*\\| \\d+\\.\\d\\d \\|$`, 'm'));
  }
}, 180_000);
