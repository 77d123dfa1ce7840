// Who may move production traffic, through the real tools: the policy's releasePaths let only the
// files under releases/production/ hold production's release fragments, so that repository
// ownership (CODEOWNERS on that folder) decides who changes production routing. The file comes
// from the orchestrator: kpt's internal.config.kubernetes.io/path (which kpt sets on every object,
// overwriting one written into a file), kustomize's config.kubernetes.io/origin (with
// buildMetadata: [originAnnotations], which kustomize sets the same way), or the file Switchyard
// read itself (render, fragmentsFrom). A path written into a fragment by hand proves nothing, and
// where no file is known, the restriction fails closed.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { binFolder, BUNDLE, KUSTOMIZE, requireTool, routingObjects, run, snapshot } from './tools.ts';

const POLICY = `apiVersion: switchyard.dev/v1alpha1
kind: RoutingPolicy
metadata:
  name: routing
  annotations:
    config.kubernetes.io/local-config: "true"
spec:
  environments:
  - name: production
    hosts: [shop.example.com]
    default: true
    allowBranches: false
    releasePaths: [releases/production/**]
  - name: staging
    hosts: [staging.shop.example.com]
`;

const fragment = (name: string, route: string, annotations: Record<string, string> = {}) => `apiVersion: switchyard.dev/v1alpha1
kind: RouteFragment
metadata:
  name: checkout-${name}
  namespace: shop${
    Object.keys(annotations).length > 0
      ? `\n  annotations:\n${Object.entries(annotations)
          .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)
          .join('\n')}`
      : ''
  }
spec:
  service: checkout
  subset: {name: ${name}, labels: {app: checkout, version: ${name}}}
  ${route}
`;

/** Production's releases where their owners keep them, a staging release and a branch anywhere. */
const FILES: Record<string, string> = {
  'releases/production/checkout-v1.yaml': fragment('v1', 'release: {environment: production, revision: 1}'),
  'releases/production/checkout-v2.yaml': fragment('v2', 'release: {environment: production, revision: 2, weight: 10}'),
  'fragments/checkout-staging.yaml': fragment('s1', 'release: {environment: staging, revision: 1}'),
  'fragments/checkout-feature-a.yaml': fragment('feature-a', 'branch: {value: feature-a}'),
};
/** A feature team's pipeline puts a production canary into its own folder. */
const OUTSIDE = { 'fragments/checkout-v3.yaml': fragment('v3', 'release: {environment: production, revision: 3, weight: 50}') };
/** ...and claims, in the file itself, to come from production's folder. */
const FORGED = {
  'fragments/checkout-v4.yaml': fragment('v4', 'release: {environment: production, revision: 4, weight: 50}', {
    'internal.config.kubernetes.io/path': 'releases/production/checkout-v4.yaml',
    'config.kubernetes.io/path': 'releases/production/checkout-v4.yaml',
    'config.kubernetes.io/origin': 'path: releases/production/checkout-v4.yaml\n',
  }),
};
const refused = (file: string, name: string) =>
  `RouteFragment shop/checkout-${name} (${file}): spec.release.environment is production, whose releases may only come from releases/production/** (the policy's releasePaths); move the file there, or ask its owners to.`;
const unknownFile = (name: string) =>
  `RouteFragment shop/checkout-${name}: spec.release.environment is production, whose releases may only come from releases/production/** (the policy's releasePaths), and the input does not say which file this fragment came from; with kustomize, add buildMetadata: [originAnnotations] to the kustomization.`;

function writePackage(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-release-paths-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** The destinations of a route, as `subset weight`. */
const shares = (stream: string, route: string) => {
  const vs = routingObjects(stream).find((o) => (o as { kind: string }).kind === 'VirtualService') as { spec: { http: { name: string; route: { destination: { subset: string }; weight: number }[] }[] } } | undefined;
  return vs?.spec.http.find((r) => r.name === route)?.route.map((d) => `${d.destination.subset} ${d.weight}`);
};

describe('kpt fn render: releasePaths', () => {
  beforeAll(() => {
    requireTool('kpt');
    requireTool(BUNDLE);
  });
  const KPTFILE = 'apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: checkout-routes\n  annotations:\n    config.kubernetes.io/local-config: "true"\npipeline:\n  mutators:\n  - exec: switchyard\n    configPath: policy.yaml\n';
  const kptPackage = (extra: Record<string, string> = {}) => writePackage({ Kptfile: KPTFILE, 'policy.yaml': POLICY, ...FILES, ...extra });
  const render = (dir: string) => run('kpt', ['fn', 'render', '--allow-exec', dir], { env: { PATH: `${binFolder()}:${process.env.PATH}` } });

  it('renders the releases under releases/production/ and the staging release and branch from anywhere; a second render changes nothing', () => {
    const dir = kptPackage();
    const first = render(dir);
    expect(first.status, first.stderr).toBe(0);
    const routes = snapshot(dir)['routes/shop/checkout.yaml']!;
    expect(shares(routes, 'environment:production')).toEqual(['v1 90', 'v2 10']);
    expect(shares(routes, 'environment:staging')).toEqual(['s1 100']);
    expect(shares(routes, 'branch:checkout-feature-a')).toEqual(['feature-a 100']);
    const after = snapshot(dir);
    expect(render(dir).status).toBe(0);
    expect(snapshot(dir)).toEqual(after);
  });

  it('fails on a production release outside releases/production/, naming the fragment, the field and the file, and writes nothing', () => {
    const dir = kptPackage(OUTSIDE);
    const before = snapshot(dir);
    const result = render(dir);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`[error] switchyard.dev/v1alpha1/RouteFragment/shop/checkout-v3 spec.release.environment: ${refused('fragments/checkout-v3.yaml', 'v3')}`);
    expect(snapshot(dir)).toEqual(before);
  });

  it('believes kpt, not a path or origin annotation written into the fragment itself', () => {
    const dir = kptPackage(FORGED);
    const before = snapshot(dir);
    const result = render(dir);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(refused('fragments/checkout-v4.yaml', 'v4'));
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('kustomize build (standalone, exec function): releasePaths', () => {
  beforeAll(() => {
    requireTool(KUSTOMIZE);
    requireTool(BUNDLE);
  });
  // kustomize runs an exec function by the path in the policy's function annotation.
  const policy = POLICY.replace('    config.kubernetes.io/local-config: "true"\n', `    config.kubernetes.io/function: |\n      exec:\n        path: ${BUNDLE}\n`);
  const kustomization = (files: string[], { buildMetadata = true } = {}) =>
    `resources:\n${files.map((f) => `- ${f}`).join('\n')}\ntransformers:\n- policy.yaml\n${buildMetadata ? 'buildMetadata: [originAnnotations]\n' : ''}`;
  const build = (extra: Record<string, string> = {}, options: { buildMetadata?: boolean } = {}) => {
    const files = { ...FILES, ...extra };
    const dir = writePackage({ 'policy.yaml': policy, ...files, 'kustomization.yaml': kustomization(Object.keys(files), options) });
    return run(KUSTOMIZE, ['build', '--enable-alpha-plugins', '--enable-exec', dir]);
  };

  it('with buildMetadata: [originAnnotations], renders the releases under releases/production/', () => {
    const result = build();
    expect(result.status, result.stderr).toBe(0);
    expect(shares(result.stdout, 'environment:production')).toEqual(['v1 90', 'v2 10']);
    expect(shares(result.stdout, 'branch:checkout-feature-a')).toEqual(['feature-a 100']);
  });

  it('with buildMetadata, fails on a production release outside, naming its file', () => {
    const result = build(OUTSIDE);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`error: ${refused('fragments/checkout-v3.yaml', 'v3')}`);
    expect(routingObjects(result.stdout)).toEqual([]);
  });

  it('with buildMetadata, believes kustomize\'s origin, not a path annotation written into the fragment (kustomize passes that through)', () => {
    const result = build(FORGED);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`error: ${refused('fragments/checkout-v4.yaml', 'v4')}`);
  });

  it('without buildMetadata, kustomize does not say where objects came from: every production release fails closed, a forged one too', () => {
    const result = build(FORGED, { buildMetadata: false });
    expect(result.status).not.toBe(0);
    for (const name of ['v1', 'v2', 'v4']) expect(result.stderr).toContain(`error: ${unknownFile(name)}`);
    expect(result.stderr).not.toContain('checkout-s1');
  });

  it('without buildMetadata, fragments that the function reads itself (spec.fragmentsFrom) are judged by their real files', () => {
    const fromFolders = policy.replace('spec:\n', 'spec:\n  fragmentsFrom: [releases, fragments]\n');
    const dir = writePackage({ 'policy.yaml': fromFolders, ...FILES, ...OUTSIDE, 'service.yaml': 'apiVersion: v1\nkind: Service\nmetadata: {name: checkout, namespace: shop}\n', 'kustomization.yaml': 'resources:\n- service.yaml\ntransformers:\n- policy.yaml\n' });
    const result = run(KUSTOMIZE, ['build', '--enable-alpha-plugins', '--enable-exec', dir]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`error: ${refused('fragments/checkout-v3.yaml', 'v3')}`);
    expect(result.stderr).not.toContain('checkout-v1');
  });
});
