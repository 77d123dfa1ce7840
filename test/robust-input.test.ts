// Input that used to crash (exit 70 with a stack trace) or be silently ignored, through the
// executable as users and orchestrators call it. Each case ends in a documented exit code, one
// readable line naming the culprit, and no stack trace.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLE, copyOf, KUSTOMIZE, requireTool, ROOT, run } from './e2e/tools.ts';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-robust-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const switchyard = (args: string[], input?: string) => run('node', [BUNDLE, ...args], { cwd: dir, ...(input === undefined ? {} : { input }) });
const noStackTrace = (text: string) => expect(text).not.toMatch(/internal error|\n\s+at .+:\d+:\d+/);
const POLICY = join(ROOT, 'examples/render/policy.yaml');
const FRAGMENTS = join(ROOT, 'examples/render/fragments');

const branch = (name: string, spec: string) => `apiVersion: switchyard.dev/v1alpha1
kind: RouteFragment
metadata: {name: checkout-${name}, namespace: shop}
spec:
  service: checkout
${spec}`;

describe('--policy naming no file', () => {
  mkdirSync(join(dir, 'folder'), { recursive: true });
  it.each([
    ['render', FRAGMENTS],
    ['check', FRAGMENTS],
    ['explain', FRAGMENTS, '--host', 'shop.example.com'],
    ['fragment', '--service', 'checkout', '--branch', 'feature-x'],
  ])('%s: a missing file and a folder are one-line usage errors (exit 2)', (...args) => {
    for (const [policy, message] of [
      ['nope.yaml', '--policy nope.yaml: no such file.'],
      ['folder', '--policy folder is a folder; name a file.'],
    ] as const) {
      const result = switchyard([...args, '--policy', policy]);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(message);
      noStackTrace(result.stderr);
    }
  });
});

describe('the !!merge tag (kpt and kustomize write a plain << that way)', () => {
  const files = {
    'value.yaml': branch('merge-value', '  subset: {name: merge-value, labels: {app: checkout, version: merge-value}}\n  branch:\n    value: !!merge <<\n'),
    'policy.yaml': branch(
      'merge-policy',
      '  subset:\n    name: merge-policy\n    labels: {app: checkout, version: merge-policy}\n    trafficPolicy:\n      !!merge <<: {connectionPool: {tcp: {maxConnections: 1}}}\n  branch:\n    !!merge <<: {value: merge-policy}\n',
    ),
    'bad-source.yaml': branch('merge-bad', '  subset:\n    name: merge-bad\n    labels: {app: checkout, version: merge-bad}\n    !!merge <<: 3\n  branch: {value: merge-bad}\n'),
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, `merge-${name}`), text);

  it('render reads a merge-tagged value as the string <<, and merges a merge key', () => {
    const result = switchyard(['render', FRAGMENTS, 'merge-value.yaml', 'merge-policy.yaml', '--policy', POLICY]);
    noStackTrace(result.stderr);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('exact: "<<"');
    expect(result.stdout).toMatch(/name: merge-policy\n\s+labels:[\s\S]*?maxConnections: 1/);
    expect(result.stdout).toContain('exact: merge-policy');
  });

  it('a merge key whose source is not a map is an error naming the fragment (too broken to tell its kind), not a crash', () => {
    const result = switchyard(['render', FRAGMENTS, 'merge-bad-source.yaml', '--policy', POLICY]);
    noStackTrace(result.stderr);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/error: RouteFragment shop\/checkout-merge-bad \(merge-bad-source\.yaml\): cannot be read as data/);
  });

  it('the KRM function under kpt (items carrying kpt annotations) prints them back', () => {
    const item = (text: string, path: string) =>
      `- ${text
        .replace('namespace: shop}', `namespace: shop, annotations: {internal.config.kubernetes.io/path: '${path}', config.kubernetes.io/path: '${path}'}}`)
        .trimEnd()
        .split('\n')
        .join('\n  ')}\n`;
    const list = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${item(files['value.yaml'], 'a.yaml')}${item(files['policy.yaml'], 'b.yaml')}functionConfig:\n  apiVersion: switchyard.dev/v1alpha1\n  kind: RoutingPolicy\n  metadata: {name: routing, annotations: {internal.config.kubernetes.io/path: 'policy.yaml'}}\n  spec:\n    environments:\n    - {name: production, hosts: [shop.example.com], default: true}\n`;
    const result = switchyard(['fn'], list);
    noStackTrace(result.stderr);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('!!merge <<: {connectionPool: {tcp: {maxConnections: 1}}}');
    expect(result.stdout).toContain('config.kubernetes.io/local-config: "true"');
  });
});

describe('nothing is silently ignored', () => {
  const typo = (name: string, spec: string) => branch(name, spec).replace('kind: RouteFragment', 'kind: RouteFragmnet');

  it('an unknown kind of switchyard.dev is an error suggesting the kind (a branch build: a warning), and never reaches stdout', () => {
    writeFileSync(join(dir, 'typo-release.yaml'), typo('v9', '  subset: {name: v9, labels: {app: checkout, version: v9}}\n  release: {environment: production, revision: 9}\n'));
    writeFileSync(join(dir, 'typo-branch.yaml'), typo('feature-t', '  subset: {name: feature-t, labels: {app: checkout, version: feature-t}}\n  branch: {value: feature-t}\n'));
    const release = switchyard(['render', FRAGMENTS, 'typo-release.yaml', '--policy', POLICY]);
    expect(release.status).toBe(1);
    expect(release.stderr).toContain('error: RouteFragmnet shop/checkout-v9 (typo-release.yaml): kind is "RouteFragmnet", which is not a kind of switchyard.dev; did you mean RouteFragment?');
    const check = switchyard(['check', FRAGMENTS, 'typo-branch.yaml', '--policy', POLICY]);
    expect(check.status).toBe(0);
    expect(check.stderr).toMatch(/warning: RouteFragmnet shop\/checkout-feature-t \(typo-branch\.yaml\): kind is "RouteFragmnet".*did you mean RouteFragment\?/);
    const render = switchyard(['render', FRAGMENTS, 'typo-branch.yaml', '--policy', POLICY]);
    expect(render.stdout).not.toContain('RouteFragmnet');
  });

  it('a .json file in a folder is read (JSON is YAML); a kustomization in it is named', () => {
    const folder = join(dir, 'json');
    mkdirSync(folder, { recursive: true });
    const fragment = { apiVersion: 'switchyard.dev/v1alpha1', kind: 'RouteFragment', metadata: { name: 'checkout-json', namespace: 'shop' }, spec: { service: 'checkout', subset: { name: 'json', labels: { app: 'checkout', version: 'json' } }, branch: { value: 'json' } } };
    writeFileSync(join(folder, 'checkout-json.json'), JSON.stringify(fragment, null, 2));
    writeFileSync(join(folder, 'kustomization.yaml'), 'resources: []\n');
    const result = switchyard(['render', FRAGMENTS, 'json', '--policy', POLICY]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('exact: json');
    expect(result.stderr).toContain('info: json/kustomization.yaml: not read, because it is a kustomization');
  });

  it('a policy with no fragment says so', () => {
    const result = switchyard(['render', POLICY]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('warning: RoutingPolicy routing: the input holds no RouteFragment, so nothing is routed');
  });
});

describe('under kustomize, which never shows results', () => {
  it('the results that say a fragment was dropped reach stderr', () => {
    requireTool(KUSTOMIZE);
    const example = copyOf('kustomize');
    try {
      // The exec path of the example is relative to the example's folder in the repository.
      const policy = join(example, 'policy.yaml');
      writeFileSync(policy, readFileSync(policy, 'utf8').replace('../../dist/switchyard.cjs', BUNDLE));
      writeFileSync(join(example, 'fragments', 'checkout-old.yaml'), branch('old', '  subset: {name: old, labels: {app: checkout, version: old}}\n  branch: {value: old}\n  expires: "2020-01-01T00:00:00Z"\n'));
      const result = run(KUSTOMIZE, ['build', '--enable-alpha-plugins', '--enable-exec', example]);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).not.toContain('subset: old');
      expect(result.stderr).toContain('info: RouteFragment shop/checkout-old (fragments/checkout-old.yaml): expired at 2020-01-01T00:00:00Z');
    } finally {
      rmSync(example, { recursive: true, force: true });
    }
  });
});

describe('comment banners (0.1 took exponential time on them) through every command', () => {
  it('each command reads a bannered file in bounded time, without a stack trace', () => {
    const folder = join(dir, 'banners');
    mkdirSync(folder, { recursive: true });
    const banner = `${'#'.repeat(60)}\n`.repeat(3);
    writeFileSync(join(folder, 'checkout-b.yaml'), `${banner}${branch('banner', '  subset: {name: banner, labels: {app: checkout, version: banner}}\n  branch: {value: banner}\n')}`);
    writeFileSync(join(folder, 'checkout-v1.yaml'), `${banner}${branch('v1', '  subset: {name: v1, labels: {app: checkout, version: v1}}\n  release: {environment: production, revision: 1}\n')}`);
    writeFileSync(join(dir, 'banner-policy.yaml'), `${banner}${readFileSync(POLICY, 'utf8')}`);
    const commands: string[][] = [
      ['render', 'banners', '--policy', 'banner-policy.yaml'],
      ['check', 'banners', '--policy', 'banner-policy.yaml'],
      ['explain', 'banners', '--policy', 'banner-policy.yaml', '--host', 'shop.example.com', '-H', 'x-branch: banner'],
      ['prune', '--dry-run', '--keep-previous', '0', 'banners'],
      ['fragment', '-n', 'shop', '--service', 'checkout', '--branch', 'other', '--existing', 'banners', '--policy', 'banner-policy.yaml'],
    ];
    for (const args of commands) {
      const result = run('node', [BUNDLE, ...args], { cwd: dir, timeout: 20_000 });
      noStackTrace(result.stderr);
      expect(result.status, `${args[0]}: ${result.stderr}`).toBe(0);
    }
    const plugin = run('node', [BUNDLE, 'kustomize-plugin', 'banner-policy.yaml'], { cwd: dir, input: readFileSync(join(folder, 'checkout-v1.yaml'), 'utf8') });
    expect(plugin.status, plugin.stderr).toBe(0);
    expect(plugin.stdout).toContain('subset: v1');
  });
});
