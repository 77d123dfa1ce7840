// Every entry point, through the real tools, on the example that started the project: the
// routes must really appear (a skipped function looks like success), a second run must change
// nothing, and all four must produce the same VirtualService and DestinationRule.
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { binFolder, BUNDLE, copyOf, KUSTOMIZE, requireTool, ROOT, routingObjects, run, snapshot } from './tools.ts';

const expected = (example: string, file = 'expected.yaml') => readFileSync(join(ROOT, 'examples', example, file), 'utf8');

let renderOutput: string;
beforeAll(() => {
  requireTool(BUNDLE);
  const render = run('node', [BUNDLE, 'render', 'examples/render'], { cwd: ROOT });
  expect(render.stderr).toContain('merged 7 fragments into 4 VirtualServices of shop/checkout (checkout, checkout.pre-staging, checkout.production, checkout.staging): 12 routes, 6 subsets');
  expect(render.status).toBe(0);
  renderOutput = render.stdout;
});

describe('switchyard render (pre-apply step)', () => {
  it('prints the merged VirtualService and DestinationRule, as checked in', () => {
    expect(renderOutput).toBe(expected('render'));
    // the mesh VirtualService, one per environment host at the gateway, the DestinationRule
    expect(routingObjects(renderOutput).map((o) => `${(o as { kind: string }).kind} ${(o as { metadata: { name: string } }).metadata.name}`)).toEqual([
      'DestinationRule checkout', // routingObjects sorts by kind and name
      'VirtualService checkout',
      'VirtualService checkout.pre-staging',
      'VirtualService checkout.production',
      'VirtualService checkout.staging',
    ]);
  });

  it('reads the same input from stdin', () => {
    const files = readdirSync(join(ROOT, 'examples/render/fragments')).map((f) => readFileSync(join(ROOT, 'examples/render/fragments', f), 'utf8'));
    const piped = run('node', [BUNDLE, 'render', '--policy', 'examples/render/policy.yaml', '-'], { cwd: ROOT, input: files.join('---\n') });
    expect(piped.status).toBe(0);
    expect(routingObjects(piped.stdout)).toEqual(routingObjects(renderOutput));
  });
});

describe('kpt fn render (Kptfile pipeline, exec)', () => {
  beforeAll(() => requireTool('kpt'));
  const env = () => ({ PATH: `${binFolder()}:${process.env.PATH}` });

  it('writes routes/shop/checkout.yaml, and a second render changes no byte', () => {
    const dir = copyOf('kpt');
    rmSync(join(dir, 'routes'), { recursive: true });
    const before = snapshot(dir);
    const first = run('kpt', ['fn', 'render', '--allow-exec', dir], { env: env() });
    expect(first.status, first.stderr).toBe(0);
    const after = snapshot(dir);
    expect(before['routes/shop/checkout.yaml']).toBeUndefined();
    expect(after['routes/shop/checkout.yaml']).toBe(readFileSync(join(ROOT, 'examples/kpt/routes/shop/checkout.yaml'), 'utf8'));
    expect(routingObjects(after['routes/shop/checkout.yaml']!)).toEqual(routingObjects(renderOutput));
    const second = run('kpt', ['fn', 'render', '--allow-exec', dir], { env: env() });
    expect(second.status, second.stderr).toBe(0);
    expect(snapshot(dir)).toEqual(after);
  });

  it('leaves the checked-in package byte for byte as it is (a no-op render)', () => {
    const dir = copyOf('kpt');
    const before = snapshot(dir);
    const result = run('kpt', ['fn', 'render', '--allow-exec', dir], { env: env() });
    expect(result.status, result.stderr).toBe(0);
    expect(snapshot(dir)).toEqual(before);
  });

  it('fails on a broken release, names it, and writes nothing', () => {
    const dir = copyOf('kpt');
    const file = join(dir, 'fragments/checkout-v3.yaml');
    const broken = readFileSync(file, 'utf8').replace('weight: 1}', 'weight: 150}');
    writeFileSync(file, broken);
    const before = snapshot(dir);
    const result = run('kpt', ['fn', 'render', '--allow-exec', dir], { env: env() });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('RouteFragment shop/checkout-v3 (fragments/checkout-v3.yaml): spec.release.weight is 150; use 100 or less.');
    expect(snapshot(dir)).toEqual(before);
  });

  it('ignores the policy\'s fragmentsFrom, since kpt already hands over every fragment file', () => {
    const dir = copyOf('kpt');
    rmSync(join(dir, 'routes'), { recursive: true });
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, readFileSync(policy, 'utf8').replace('  routeSettings:', '  fragmentsFrom: [fragments]\n  routeSettings:'));
    const result = run('kpt', ['fn', 'render', '--allow-exec', dir], { env: env() });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toContain('spec.fragmentsFrom is ignored here');
    expect(result.stdout + result.stderr).not.toContain('give each fragment its own name');
    expect(routingObjects(readFileSync(join(dir, 'routes/shop/checkout.yaml'), 'utf8'))).toEqual(routingObjects(renderOutput));
  });

  it('runs with kpt fn eval and --fn-config', () => {
    const dir = copyOf('kpt');
    rmSync(join(dir, 'routes'), { recursive: true });
    const result = run('kpt', ['fn', 'eval', dir, '--exec', BUNDLE, '--fn-config', join(dir, 'policy.yaml')]);
    expect(result.status, result.stderr).toBe(0);
    expect(existsSync(join(dir, 'routes/shop/checkout.yaml'))).toBe(true);
    expect(routingObjects(readFileSync(join(dir, 'routes/shop/checkout.yaml'), 'utf8'))).toEqual(routingObjects(renderOutput));
  });
});

describe('kustomize build --enable-alpha-plugins --enable-exec (standalone kustomize)', () => {
  it('adds the routes to the build output', () => {
    requireTool(KUSTOMIZE);
    const dir = join(ROOT, 'examples/kustomize');
    const without = run(KUSTOMIZE, ['build', dir]); // functions disabled: the input alone
    expect(routingObjects(without.stdout)).toHaveLength(0);
    const result = run(KUSTOMIZE, ['build', '--enable-alpha-plugins', '--enable-exec', dir]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(expected('kustomize'));
    expect(routingObjects(result.stdout)).toEqual(routingObjects(renderOutput));
    expect(result.stdout).not.toContain('RouteFragment');
  });
});

describe('kubectl kustomize --enable-alpha-plugins (exec plugin)', () => {
  it('adds the routes through the RoutingPolicy plugin', () => {
    requireTool('kubectl');
    const dir = join(ROOT, 'examples/kubectl-kustomize');
    const env = { KUSTOMIZE_PLUGIN_HOME: join(dir, 'plugins') };
    const result = run('kubectl', ['kustomize', '--enable-alpha-plugins', dir], { env });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(expected('kubectl-kustomize'));
    expect(routingObjects(result.stdout)).toEqual(routingObjects(renderOutput));
    expect(result.stdout).not.toContain('RouteFragment');
  });
});

describe('the examples stay in step', () => {
  it('every example holds the same fragment files as examples/render', () => {
    const source = snapshot(join(ROOT, 'examples/render/fragments'));
    for (const example of ['kpt', 'kustomize', 'kubectl-kustomize', 'kpt-image', 'kustomize-container']) {
      expect(snapshot(join(ROOT, 'examples', example, 'fragments')), example).toEqual(source);
    }
  });
});
