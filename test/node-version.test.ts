// .ci/run runs the whole suite twice: on the machine's Node 20 and on Node 24 (from the npm package
// node@24). SWITCHYARD_EXPECT_NODE says which major this run must be on, so a run that silently
// fell back to another Node fails here; the bundle the end-to-end tests start uses the same node.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const expected = process.env.SWITCHYARD_EXPECT_NODE;

describe('the Node this run is on', () => {
  it(`is within package.json's engines, and is Node ${expected ?? 'of the machine'} for vitest and for the node on PATH`, async () => {
    const { readFileSync } = await import('node:fs');
    const { engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
    const major = process.versions.node.split('.')[0]!;
    const allowed = engines.node.split('||').map((range) => /\^(\d+)\./.exec(range.trim())?.[1]);
    expect(allowed, `engines.node ${engines.node} should list the tested majors as ^N ranges`).toContain(major);
    const onPath = spawnSync('node', ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
    expect(onPath.split('.')[0]).toBe(major);
    if (expected !== undefined) expect(major).toBe(expected);
  });
});
