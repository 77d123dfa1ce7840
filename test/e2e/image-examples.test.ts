// The examples that run the image (examples/kpt-image, examples/kustomize-container), in their exec
// form: the image reference rewritten to the bundle the image runs, through the real kpt and
// standalone kustomize 4.5.4. This keeps their checked-in outputs true on every `npm test`, where
// podman is not needed; `npm run test:image` (test/image/) runs them as they are, with the image
// built by `npm run image`, and checks that both forms give the same bytes.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { IMAGE } from '../../scripts/image/podman.mjs';
import { binFolder, BUNDLE, copyOf, KUSTOMIZE, requireTool, ROOT, routingObjects, run, snapshot } from './tools.ts';

const checkedIn = (...path: string[]) => readFileSync(join(ROOT, 'examples', ...path), 'utf8');
const renderExpected = () => routingObjects(checkedIn('render', 'expected.yaml'));

/** The Kptfile's `image:` function as an exec function: the same bundle, found on PATH. */
function kptExecForm(dir: string): void {
  const kptfile = readFileSync(join(dir, 'Kptfile'), 'utf8');
  expect(kptfile).toContain(`- image: ${IMAGE}\n`);
  writeFileSync(join(dir, 'Kptfile'), kptfile.replace(`- image: ${IMAGE}\n`, '- exec: switchyard\n'));
}

/** The policy's `container:` function annotation as an exec function of the same bundle. */
function kustomizeExecForm(dir: string): void {
  const policy = readFileSync(join(dir, 'policy.yaml'), 'utf8');
  const container = /container:\n(?: {8}.*\n)+/;
  expect(policy).toMatch(container);
  writeFileSync(join(dir, 'policy.yaml'), policy.replace(container, `exec:\n        path: ${BUNDLE}\n`));
}

describe('exec form of examples/kpt-image (kpt fn render --allow-exec)', () => {
  beforeAll(() => requireTool('kpt'));
  const env = () => ({ PATH: `${binFolder()}:${process.env.PATH}` });

  it('writes the checked-in routes/shop/checkout.yaml, and a second render changes no byte', () => {
    const dir = copyOf('kpt-image');
    kptExecForm(dir);
    rmSync(join(dir, 'routes'), { recursive: true });
    const first = run('kpt', ['fn', 'render', '--allow-exec', dir], { env: env() });
    expect(first.status, first.stderr).toBe(0);
    const after = snapshot(dir);
    expect(after['routes/shop/checkout.yaml']).toBe(checkedIn('kpt-image', 'routes', 'shop', 'checkout.yaml'));
    expect(routingObjects(after['routes/shop/checkout.yaml']!)).toEqual(renderExpected());
    const second = run('kpt', ['fn', 'render', '--allow-exec', dir], { env: env() });
    expect(second.status, second.stderr).toBe(0);
    expect(snapshot(dir)).toEqual(after);
  });
});

describe('exec form of examples/kustomize-container (kustomize 4.5.4 --enable-exec)', () => {
  it('adds the checked-in routes to the build output', () => {
    requireTool(KUSTOMIZE);
    const dir = copyOf('kustomize-container');
    kustomizeExecForm(dir);
    const result = run(KUSTOMIZE, ['build', '--enable-alpha-plugins', '--enable-exec', dir]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(checkedIn('kustomize-container', 'expected.yaml'));
    expect(routingObjects(result.stdout)).toEqual(renderExpected());
    expect(result.stdout).not.toContain('RouteFragment');
  });

  it('gives the same output as the exec example, examples/kustomize', () => {
    expect(checkedIn('kustomize-container', 'expected.yaml')).toBe(checkedIn('kustomize', 'expected.yaml'));
  });
});
