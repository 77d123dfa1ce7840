// The npm package `switchyard-cli` as a user gets it: `npm pack`, then `npm install --offline` of
// the tarball alone into an empty temporary folder outside the repository, with an empty cache and
// an unreachable registry, so that nothing but the tarball can be used. The installed `switchyard`
// must render an example and print its version. Every temporary folder is removed afterwards.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './e2e/tools.ts';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown> & { name: string; version: string };
const NAME = 'switchyard-cli';

/** npm with no user or global config, a fresh cache, and a registry that cannot answer. */
function npm(args: string[], cwd: string, home: string): SpawnSyncReturns<string> {
  const result = spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: home,
      npm_config_userconfig: join(home, 'npmrc'),
      npm_config_globalconfig: join(home, 'global-npmrc'),
      npm_config_cache: join(home, 'cache'),
      npm_config_registry: 'http://127.0.0.1:9/',
      npm_config_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    },
  });
  if (result.error) throw result.error;
  return result;
}

let home: string;
let out: string;
let tarball: string;
let files: string[];
let project: string;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'switchyard-npm-home-'));
  writeFileSync(join(home, 'npmrc'), '');
  writeFileSync(join(home, 'global-npmrc'), '');
  out = mkdtempSync(join(tmpdir(), 'switchyard-pack-'));
  // --ignore-scripts: npm test has just built dist/; prepack would rebuild it under the running tests.
  const packed = npm(['pack', '--json', '--ignore-scripts', '--pack-destination', out], ROOT, home);
  expect(packed.status, packed.stderr).toBe(0);
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(out, info!.filename);
  files = info!.files.map((f) => f.path).sort();

  project = mkdtempSync(join(tmpdir(), 'switchyard-user-'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', private: true }));
  expect(readdirSync(project)).toEqual(['package.json']);
  const installed = npm(['install', '--offline', tarball], project, home);
  expect(installed.status, installed.stderr).toBe(0);
});

afterAll(() => {
  for (const dir of [home, out, project]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('npm pack', () => {
  it(`is the package ${NAME} (the name switchyard on the registry is another project), with the executable switchyard`, () => {
    expect(pkg.name).toBe(NAME);
    expect(pkg.bin).toEqual({ switchyard: 'dist/switchyard.cjs' });
    expect(tarball.endsWith(`${NAME}-${pkg.version}.tgz`)).toBe(true);
  });

  it('packs only what users need: the bundle, its notices, the schemas, the CRD, the Argo CD plugin, the function, the docs', () => {
    const docs = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
    expect(files).toEqual(
      [
        'CHANGELOG.md',
        'LICENSE',
        'README.md',
        'dist/THIRD-PARTY-NOTICES.txt',
        'dist/schemas/results.schema.json',
        'dist/schemas/route-fragment.schema.json',
        'dist/schemas/routing-policy.schema.json',
        'dist/switchyard.cjs',
        ...docs,
        'deploy/argocd/cmp/application.yaml',
        'deploy/argocd/cmp/kustomization.yaml',
        'deploy/argocd/cmp/plugin.yaml',
        'deploy/argocd/cmp/repo-server-sidecar.yaml',
        'deploy/argocd/exec/argocd-cm.yaml',
        'deploy/argocd/exec/kustomization.yaml',
        'deploy/argocd/exec/repo-server-tools.yaml',
        'deploy/flux/flux-sync.yaml',
        'deploy/flux/publish-rendered.sh',
        'functions/switchyard/README.md',
        'functions/switchyard/metadata.yaml',
        'manifests/controller/controller-rbac.yaml',
        'manifests/controller/kustomization.yaml',
        'manifests/controller/namespace.yaml',
        'manifests/controller/reconcile-deployment.yaml',
        'manifests/kustomization.yaml',
        'manifests/namespaced/kustomization.yaml',
        'manifests/namespaced/rbac.yaml',
        'manifests/pipeline-rbac.yaml',
        'manifests/reconcile-rbac.yaml',
        'manifests/routefragment-crd.yaml',
        'package.json',
      ].sort(),
    );
  });

  it('has no runtime dependency; cluster mode\'s client is an optional peer', () => {
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.optionalDependencies).toBeUndefined();
    const peers = Object.keys((pkg.peerDependencies ?? {}) as object);
    const meta = (pkg.peerDependenciesMeta ?? {}) as Record<string, { optional?: boolean }>;
    expect(peers).toEqual(['@kubernetes/client-node']);
    for (const peer of peers) expect(meta[peer]?.optional, peer).toBe(true);
  });

  it('publishes the schemas for editors and the CRD as the build made them', () => {
    for (const name of ['route-fragment.schema.json', 'routing-policy.schema.json', 'results.schema.json']) {
      const installed = join(project, 'node_modules/switchyard-cli/dist/schemas', name);
      expect(readFileSync(installed, 'utf8')).toBe(readFileSync(join(ROOT, 'src/schema', name), 'utf8'));
    }
    expect(readFileSync(join(project, 'node_modules/switchyard-cli/manifests/routefragment-crd.yaml'), 'utf8')).toBe(readFileSync(join(ROOT, 'dist/manifests/routefragment-crd.yaml'), 'utf8'));
  });
});

describe('installed from the tarball alone, outside the repository', () => {
  const bin = () => join(project, 'node_modules/.bin/switchyard');
  const switchyard = (args: string[], cwd = project) => spawnSync(bin(), args, { cwd, encoding: 'utf8', env: { PATH: process.env.PATH, NO_COLOR: '1' } });

  it('installed nothing but switchyard-cli, and put switchyard in node_modules/.bin', () => {
    expect(readdirSync(join(project, 'node_modules')).filter((n) => !n.startsWith('.'))).toEqual([NAME]);
    expect((JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies).toHaveProperty(NAME);
    expect(existsSync(bin())).toBe(true);
  });

  it('prints its version', () => {
    const result = switchyard(['--version']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${pkg.version}\n`);
  });

  it('renders a copy of examples/render into what the example expects', () => {
    const example = join(project, 'deploy');
    mkdirSync(example);
    cpSync(join(ROOT, 'examples/render/policy.yaml'), join(example, 'policy.yaml'));
    cpSync(join(ROOT, 'examples/render/fragments'), join(example, 'fragments'), { recursive: true });
    const result = switchyard(['render', 'deploy']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain('merged 7 fragments into 4 VirtualServices of shop/checkout (checkout, checkout.pre-staging, checkout.production, checkout.staging): 12 routes, 6 subsets');
    expect(result.stdout).toBe(readFileSync(join(ROOT, 'examples/render/expected.yaml'), 'utf8'));
    expect(result.stdout).toContain(`switchyard.dev/rendered-by: switchyard/${pkg.version}`);
  });

  it('runs as the KRM function with no arguments when stdin is a ResourceList', () => {
    const list = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
${readdirSync(join(ROOT, 'examples/render/fragments'))
  .map((f) => readFileSync(join(ROOT, 'examples/render/fragments', f), 'utf8').replace(/^#.*\n/gm, ''))
  .map((doc) => `- ${doc.trim().replaceAll('\n', '\n  ')}`)
  .join('\n')}
functionConfig:
  ${readFileSync(join(ROOT, 'examples/render/policy.yaml'), 'utf8').replace(/^#.*\n/gm, '').trim().replaceAll('\n', '\n  ')}
`;
    const result = spawnSync(bin(), [], { cwd: project, input: list, encoding: 'utf8', env: { PATH: process.env.PATH, NO_COLOR: '1' } });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^kind: ResourceList|\nkind: ResourceList/);
    expect(result.stdout).toContain('kind: VirtualService');
  });
});
