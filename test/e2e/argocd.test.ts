// Argo CD, both ways (docs/argocd.md). There is no Argo CD here, so each piece is run the way Argo
// CD runs it, from its documentation (operator-manual/config-management-plugins.md,
// user-guide/build-environment.md):
// - the CMP: the generate command of deploy/argocd/cmp/plugin.yaml, run in the Application's
//   source folder (the app path inside a copy of the repository) with the build environment
//   (ARGOCD_APP_NAME, ARGOCD_APP_NAMESPACE, ARGOCD_APP_SOURCE_PATH...) and only the sidecar's
//   PATH; its stdout must be only manifests. The command's first two words are the image's entry
//   point (checked against the Dockerfile), which here is the built bundle, on PATH as switchyard.
// - kustomize.buildOptions: Argo CD's kustomize called with the options argocd-cm sets.
// - both components build with the real kubectl kustomize onto a stand-in of Argo CD's install.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { binFolder, BUNDLE, copyOf, KUSTOMIZE, requireTool, ROOT, run } from './tools.ts';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const plugin = parse(readFileSync(join(ROOT, 'deploy/argocd/cmp/plugin.yaml'), 'utf8')) as {
  kind: string;
  metadata: { name: string };
  spec: { version: string; init?: { command: string[]; args?: string[] }; generate: { command: string[]; args?: string[] } };
};
const ENTRYPOINT = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))![1]!) as string[];

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A repository checkout as the CMP server unpacks it, with the app at `shop/checkout`. */
function repository(extra: Record<string, string> = {}): { repo: string; app: string } {
  const repo = mkdtempSync(join(tmpdir(), 'switchyard-argocd-repo-'));
  scratch.push(repo);
  const app = join(repo, 'shop/checkout');
  mkdirSync(app, { recursive: true });
  cpSync(join(ROOT, 'examples/render/fragments'), join(app, 'fragments'), { recursive: true });
  cpSync(join(ROOT, 'examples/render/policy.yaml'), join(app, 'policy.yaml'));
  for (const [path, text] of Object.entries(extra)) {
    mkdirSync(dirname(join(app, path)), { recursive: true });
    writeFileSync(join(app, path), text);
  }
  return { repo, app };
}

/** The command as the sidecar runs it: the image's entry point is `switchyard` on PATH here. */
function asInSidecar(step: { command: string[]; args?: string[] }): string[] {
  const argv = [...step.command, ...(step.args ?? [])];
  expect(argv.slice(0, ENTRYPOINT.length), 'the plugin must start the image\'s entry point').toEqual(ENTRYPOINT);
  return ['switchyard', ...argv.slice(ENTRYPOINT.length)];
}

function runAsArgoCd(app: string, sourcePath: string) {
  const bin = binFolder();
  scratch.push(bin);
  const env = {
    // Only what the sidecar has: its PATH (node and the tool), and Argo CD's build environment.
    PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: '/home/argocd',
    ARGOCD_APP_NAME: 'checkout-routes',
    ARGOCD_APP_NAMESPACE: 'argocd',
    ARGOCD_APP_PROJECT_NAME: 'default',
    ARGOCD_APP_REVISION: '0123456789abcdef0123456789abcdef01234567',
    ARGOCD_APP_REVISION_SHORT: '0123456',
    ARGOCD_APP_SOURCE_PATH: sourcePath,
    ARGOCD_APP_SOURCE_REPO_URL: 'https://git.example.com/platform/routing.git',
    ARGOCD_APP_SOURCE_TARGET_REVISION: 'main',
    KUBE_VERSION: '1.31.2',
    KUBE_API_VERSIONS: 'v1,apps/v1,networking.istio.io/v1',
  };
  const steps = [...(plugin.spec.init ? [plugin.spec.init] : []), plugin.spec.generate];
  let last: ReturnType<typeof run> | undefined;
  for (const step of steps) {
    const [command, ...args] = asInSidecar(step);
    last = run(command!, args, { cwd: app, env: { ...env, NO_COLOR: undefined } });
    if (last.status !== 0) break;
  }
  return last!;
}

describe('Argo CD config management plugin', () => {
  it('is a ConfigManagementPlugin named switchyard-v1 with a generate command', () => {
    expect(plugin.kind).toBe('ConfigManagementPlugin');
    expect(`${plugin.metadata.name}-${plugin.spec.version}`).toBe('switchyard-v1');
    expect(parse(readFileSync(join(ROOT, 'deploy/argocd/cmp/application.yaml'), 'utf8')).spec.source.plugin.name).toBe('switchyard-v1');
  });

  it('generate, run as Argo CD runs it, prints exactly what switchyard render prints, and only manifests', () => {
    requireTool(BUNDLE);
    const { repo, app } = repository();
    const generated = runAsArgoCd(app, 'shop/checkout');
    expect(generated.status, generated.stderr).toBe(0);
    const rendered = run('node', [BUNDLE, 'render', join(app)], { cwd: repo });
    expect(rendered.status, rendered.stderr).toBe(0);
    expect(generated.stdout).toBe(rendered.stdout);
    expect(generated.stdout).toBe(readFileSync(join(ROOT, 'examples/render/expected.yaml'), 'utf8'));
    // Argo CD parses stdout as manifests: every document a Kubernetes object, nothing else.
    const docs = parseAllDocuments(generated.stdout).map((d) => d.toJS() as { apiVersion?: string; kind?: string });
    expect([...new Set(docs.map((d) => d.kind))].sort()).toEqual(['DestinationRule', 'VirtualService']);
    for (const d of docs) expect(typeof d.apiVersion).toBe('string');
    expect(generated.stderr).toBe(''); // --quiet: Argo CD shows stderr only on failure
  });

  it('a broken release fails the sync with a message naming the fragment and its file, and prints no manifest', () => {
    requireTool(BUNDLE);
    const { app } = repository({
      'fragments/checkout-v9.yaml': 'apiVersion: switchyard.dev/v1alpha1\nkind: RouteFragment\nmetadata: {name: checkout-v9, namespace: shop}\nspec:\n  service: checkout\n  subset: {name: v9, labels: {app: checkout, version: v9}}\n  release: {environment: production, revision: 9, weight: 150}\n',
    });
    const generated = runAsArgoCd(app, 'shop/checkout');
    expect(generated.status).toBe(1);
    expect(generated.stdout).toBe('');
    expect(generated.stderr).toContain('RouteFragment shop/checkout-v9 (fragments/checkout-v9.yaml): spec.release.weight');
  });

  it('the component adds the plugin ConfigMap (plugin.yaml byte for byte) and the sidecar on the image of this version', () => {
    requireTool('kubectl');
    const install = mkdtempSync(join(tmpdir(), 'switchyard-argocd-install-'));
    scratch.push(install);
    cpSync(join(ROOT, 'deploy/argocd'), join(install, 'argocd'), { recursive: true });
    writeFileSync(join(install, 'install.yaml'), STAND_IN_INSTALL);
    writeFileSync(join(install, 'kustomization.yaml'), 'resources: [install.yaml]\ncomponents: [argocd/cmp, argocd/exec]\n');
    const built = run('kubectl', ['kustomize', install]);
    expect(built.status, built.stderr).toBe(0);
    const objects = parseAllDocuments(built.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string }; data?: Record<string, string>; spec?: { template: { spec: Record<string, { name: string; image?: string; command?: string[]; volumeMounts?: { name: string; mountPath: string }[] }[]> } } });
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'switchyard-cmp-plugin')!;
    expect(cm.data!['plugin.yaml']).toBe(readFileSync(join(ROOT, 'deploy/argocd/cmp/plugin.yaml'), 'utf8'));
    const repoServer = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'argocd-repo-server')!;
    const containers = repoServer.spec!.template.spec.containers!;
    const sidecar = containers.find((c) => c.name === 'switchyard')!;
    expect(sidecar.image).toBe(`ghcr.io/switchyard-dev/switchyard:${VERSION}`);
    expect(sidecar.command).toEqual(['/var/run/argocd/argocd-cmp-server']);
    expect(sidecar.volumeMounts!.map((m) => m.mountPath)).toEqual(expect.arrayContaining(['/var/run/argocd', '/home/argocd/cmp-server/plugins', '/home/argocd/cmp-server/config/plugin.yaml', '/tmp']));
    expect(containers.map((c) => c.name)).toContain('argocd-repo-server'); // the patch adds, never replaces
    const init = repoServer.spec!.template.spec.initContainers!.find((c) => c.name === 'switchyard-tools')!;
    expect(init.image).toBe(`ghcr.io/switchyard-dev/switchyard:${VERSION}`);
    expect(objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'argocd-cm')!.data!['kustomize.buildOptions']).toBe('--enable-alpha-plugins --enable-exec');
  });
});

describe('Argo CD kustomize.buildOptions with the exec function', () => {
  it('kustomize with argocd-cm\'s build options and the bundle at /custom-tools builds the routes', () => {
    requireTool(KUSTOMIZE);
    const cm = parse(readFileSync(join(ROOT, 'deploy/argocd/exec/argocd-cm.yaml'), 'utf8')) as { data: Record<string, string> };
    const options = cm.data['kustomize.buildOptions']!.split(/\s+/).filter(Boolean);
    // What the init container copies; here into a scratch folder standing for /custom-tools.
    const tools = mkdtempSync(join(tmpdir(), 'switchyard-custom-tools-'));
    scratch.push(tools);
    cpSync(BUNDLE, join(tools, 'switchyard.cjs'));
    const app = copyOf('kustomize');
    scratch.push(app);
    const policy = readFileSync(join(app, 'policy.yaml'), 'utf8');
    expect(policy).toContain('path: ../../dist/switchyard.cjs');
    writeFileSync(join(app, 'policy.yaml'), policy.replace('path: ../../dist/switchyard.cjs', `path: ${join(tools, 'switchyard.cjs')}`));
    // Argo CD runs `kustomize build <path> <buildOptions>` in the app's folder.
    const built = run(KUSTOMIZE, ['build', app, ...options], { cwd: app });
    expect(built.status, built.stderr).toBe(0);
    expect(built.stdout).toBe(readFileSync(join(ROOT, 'examples/kustomize/expected.yaml'), 'utf8'));
    const without = run(KUSTOMIZE, ['build', app, '--enable-alpha-plugins'], { cwd: app });
    expect(without.stdout).not.toContain('kind: VirtualService'); // the silent no-op the option avoids
  });
});

// The two objects of Argo CD's install.yaml that the components patch, cut down to what they touch.
const STAND_IN_INSTALL = `apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-cm}
data: {}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: argocd-repo-server}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: argocd-repo-server}}
  template:
    metadata: {labels: {app.kubernetes.io/name: argocd-repo-server}}
    spec:
      initContainers:
      - name: copyutil
        image: quay.io/argoproj/argocd:v3.1.0
        command: [/bin/cp, -n, /usr/local/bin/argocd, /var/run/argocd/argocd-cmp-server]
        volumeMounts: [{name: var-files, mountPath: /var/run/argocd}]
      containers:
      - name: argocd-repo-server
        image: quay.io/argoproj/argocd:v3.1.0
        volumeMounts:
        - {name: var-files, mountPath: /var/run/argocd}
        - {name: plugins, mountPath: /home/argocd/cmp-server/plugins}
      volumes:
      - {name: var-files, emptyDir: {}}
      - {name: plugins, emptyDir: {}}
`;
