// Every temporary folder of a test run lives in one folder, removed when the run ends: npm test
// leaves nothing behind in the system temp folder, whatever a test (or a tool it starts: kpt,
// kustomize, npm) forgets. The workers and their child processes inherit TMPDIR, which
// os.tmpdir() reads. Tests still remove their own folders (test/scratch.ts); this is the net.
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const outer = tmpdir();
  const run = mkdtempSync(join(outer, 'switchyard-test-run-'));
  // As open as the system temp folder: the image tests run the function as nobody, which must reach its files.
  chmodSync(run, 0o1777);
  process.env.TMPDIR = run;
  return () => {
    const left = readdirSync(run);
    if (left.length > 0 && process.env.SWITCHYARD_REPORT_TMP) process.stderr.write(`temporary folders a test did not remove: ${left.join(', ')}\n`);
    rmSync(run, { recursive: true, force: true });
    process.env.TMPDIR = outer;
  };
}
