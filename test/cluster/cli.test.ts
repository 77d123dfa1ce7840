// The cluster commands as users run them: the built bundle in a child process, talking to the fake
// API server over loopback. Also: render and the KRM function never load @kubernetes/client-node.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE, ROOT, run } from '../e2e/tools.ts';
import { FakeApiServer } from './fake-api-server.ts';
import { brokenMoments, deployment, eventually, routeNames, subsetNames } from './helpers.ts';

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The executable, asynchronously: the fake API server lives in this process and must keep answering. */
function switchyard(args: string[], options: { input?: string; bundle?: string; cwd?: string } = {}): Promise<Ran> & { kill: (signal: NodeJS.Signals) => void; stderrSoFar: () => string } {
  const child = spawn('node', [options.bundle ?? BUNDLE, ...args], { cwd: options.cwd ?? ROOT, env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  child.stdin.end(options.input ?? '');
  const done = new Promise<Ran>((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
  return Object.assign(done, { kill: (signal: NodeJS.Signals) => void child.kill(signal), stderrSoFar: () => stderr });
}

const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
const FRAGMENTS = join(ROOT, 'examples/render/fragments');
const POLICY_FILE = join(ROOT, 'examples/render/policy.yaml');

let server: FakeApiServer;
beforeAll(async () => {
  server = await FakeApiServer.start();
});
afterAll(async () => {
  await server.stop();
});

describe('switchyard apply and reconcile', () => {
  it('--help for both, and both in the main help', async () => {
    const [reconcile, apply, main] = await Promise.all([switchyard(['reconcile', '--help']), switchyard(['apply', '-h']), switchyard(['--help'])]);
    expect(reconcile.status).toBe(0);
    expect(reconcile.stdout).toMatch(/^Usage: switchyard reconcile --policy FILE \[-n NAMESPACE \| -A\] \[--dry-run\[=server\]\] \[--watch\]/);
    expect(apply.stdout).toMatch(/^Usage: switchyard apply \[--owner deployment\/NAME\]/);
    expect(main.stdout).toMatch(/\n {2}apply {14}create or update RouteFragments/);
    expect(main.stdout).toMatch(/\n {2}reconcile {10}merge the cluster's RouteFragments/);
  });

  it.each([
    [['reconcile', '-n', 'shop', '-A', '--policy', 'p.yaml'], '-n NAMESPACE and -A (all namespaces) exclude each other'],
    [['reconcile', '-n', 'shop'], 'reconcile needs --policy FILE'],
    [['reconcile', '--policy', 'no/such.yaml'], '--policy no/such.yaml: no such file.'],
    [['reconcile', '--policy', 'p.yaml', '--watch', '--dry-run'], '--dry-run and --watch exclude each other'],
    [['reconcile', '--policy', 'p.yaml', 'extra'], 'reconcile takes no arguments'],
    [['reconcile', '--polcy', 'p.yaml'], "Unknown option '--polcy'"],
    [['apply'], 'apply takes one FILE, or - for standard input.'],
    [['apply', '--owner', 'statefulset/x', '-'], '--owner statefulset/x: only a Deployment can own a fragment'],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const result = await switchyard(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    noStackTrace(result.stderr);
  });

  it('the whole flow: fragments applied, a branch build owned by its Deployment, reconciled; the Deployment deleted, its route gone', async () => {
    const kubeconfig = ['--kubeconfig', server.kubeconfig];
    for (const name of ['checkout-v1', 'checkout-v2', 'checkout-v3', 'checkout-v4', 'checkout-bugfix-dp34', 'checkout-feature-jp12']) server.put('deployments', deployment(name));
    const releases = await switchyard(['apply', ...kubeconfig, FRAGMENTS]);
    expect(releases.stderr).toContain('info: created RouteFragment shop/checkout-v3.');
    expect(releases.status, releases.stderr).toBe(0);

    // The branch build's pipeline: its fragment (as `switchyard fragment` prints it) on stdin, owned by its Deployment.
    const jp12 = readFileSync(join(FRAGMENTS, 'checkout-feature-jp12.yaml'), 'utf8');
    const owned = await switchyard(['apply', '--owner', 'deployment/checkout-feature-jp12', '-n', 'shop', ...kubeconfig, '-'], { input: jp12 });
    expect(owned.status, owned.stderr).toBe(0);
    const uid = server.get('deployments', 'shop', 'checkout-feature-jp12')!.metadata.uid;
    expect(owned.stderr).toBe(`info: updated RouteFragment shop/checkout-feature-jp12, owned by Deployment shop/checkout-feature-jp12 (uid ${uid}).\n`);

    const plan = await switchyard(['reconcile', '-n', 'shop', '--policy', POLICY_FILE, '--settle', '0', '--dry-run', ...kubeconfig]);
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stdout).toBe(
      'create DestinationRule shop/checkout: create with subsets bugfix-dp34, feature-jp12, v1, v2, v3, v4\n' +
        'create VirtualService shop/checkout: create with routes branch:checkout-feature-jp12, environment:production, branch:checkout-bugfix-dp34, environment:staging, environment:pre-staging, default:production\n' +
        'create VirtualService shop/checkout.pre-staging: create with routes branch:checkout-bugfix-dp34, environment:pre-staging\n' +
        'create VirtualService shop/checkout.production: create with routes environment:production\n' +
        'create VirtualService shop/checkout.staging: create with routes branch:checkout-feature-jp12, branch:checkout-bugfix-dp34, environment:staging\n',
    );
    expect(routeNames(server)).toBeUndefined();

    const first = await switchyard(['reconcile', '-n', 'shop', '--policy', POLICY_FILE, '--settle', '0', ...kubeconfig]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain('info: merged 7 fragments into 4 VirtualServices of shop/checkout (checkout, checkout.pre-staging, checkout.production, checkout.staging): 12 routes, 6 subsets.');
    expect(first.stderr).toContain('info: created VirtualService shop/checkout: create with routes branch:checkout-feature-jp12,');
    // The same routes as `switchyard render` gives for the same files.
    const rendered = run('node', [BUNDLE, 'render', '--policy', POLICY_FILE, FRAGMENTS], { cwd: ROOT });
    const vs = server.get('virtualservices', 'shop', 'checkout')!;
    for (const route of (vs.spec as { http: { name: string }[] }).http) expect(rendered.stdout).toContain(`name: ${route.name}\n`);
    expect(routeNames(server)).toEqual(['branch:checkout-feature-jp12', 'environment:production', 'branch:checkout-bugfix-dp34', 'environment:staging', 'environment:pre-staging', 'default:production']);

    const again = await switchyard(['reconcile', '-n', 'shop', '--policy', POLICY_FILE, '--settle', '0', '--quiet', ...kubeconfig]);
    expect(again).toMatchObject({ status: 0, stdout: '', stderr: '' });

    // The branch build is torn down: the garbage collector deletes its fragment, reconcile its route.
    server.delete('deployments', 'shop', 'checkout-feature-jp12');
    await eventually(() => server.get('routefragments', 'shop', 'checkout-feature-jp12'), (f) => f === undefined);
    const after = await switchyard(['reconcile', '-n', 'shop', '--policy', POLICY_FILE, '--settle', '0', ...kubeconfig]);
    expect(after.status, after.stderr).toBe(0);
    expect(after.stderr).toContain('info: updated VirtualService shop/checkout: remove routes branch:checkout-feature-jp12.');
    expect(after.stderr).toContain('info: updated VirtualService shop/checkout.staging: remove routes branch:checkout-feature-jp12.');
    expect(after.stderr).toContain('info: updated DestinationRule shop/checkout: remove subsets feature-jp12 (after the VirtualService).');
    expect(routeNames(server)).not.toContain('branch:checkout-feature-jp12');
    expect(subsetNames(server)).toEqual(['bugfix-dp34', 'v1', 'v2', 'v3', 'v4']);
  });

  it('reconcile --watch follows changes until SIGTERM, then gives up its Lease', async () => {
    const watch = switchyard(['reconcile', '-n', 'watched', '--watch', '--health-port', '0', '--policy', POLICY_FILE, '--settle', '0', '--kubeconfig', server.kubeconfig]);
    const fragment = readFileSync(join(FRAGMENTS, 'checkout-v1.yaml'), 'utf8').replace('namespace: shop', 'namespace: watched');
    server.put('deployments', deployment('checkout-v1', 'watched'));
    const applied = await switchyard(['apply', '--kubeconfig', server.kubeconfig, '-'], { input: fragment });
    expect(applied.status, applied.stderr).toBe(0);
    expect(await eventually(() => routeNames(server, 'checkout', 'watched'), (r) => r !== undefined, 10_000)).toEqual(['environment:production', 'default:production']);
    await eventually(() => watch.stderrSoFar(), (text) => text.includes('info: created VirtualService watched/checkout'));
    const lease = server.get('leases', 'watched', 'switchyard-reconcile')!;
    expect((lease.spec as { holderIdentity: string }).holderIdentity).toMatch(/_[0-9a-f]{8}$/);
    watch.kill('SIGTERM');
    const result = await watch;
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/^info: watching namespace watched on https:\/\/127\.0\.0\.1:\d+ as .+ \(Lease watched\/switchyard-reconcile\); probes on http:\/\/127\.0\.0\.1:\d+\/livez and \/readyz\.\ninfo: leading: Lease watched\/switchyard-reconcile is held by /);
    expect(result.stderr).toContain('info: created VirtualService watched/checkout');
    expect((server.get('leases', 'watched', 'switchyard-reconcile')!.spec as { holderIdentity: string }).holderIdentity).toBe('');
  });

  it('a broken release writes nothing and exits 1; an unreachable API server is one line and exit 1', async () => {
    const broken = readFileSync(join(FRAGMENTS, 'checkout-v3.yaml'), 'utf8').replace('namespace: shop', 'namespace: broken').replace('weight: 1}', 'weight: 150}');
    server.put('routefragments', { ...(await import('yaml')).parse(broken), metadata: { name: 'checkout-v3', namespace: 'broken' } });
    const result = await switchyard(['reconcile', '-n', 'broken', '--policy', POLICY_FILE, '--settle', '0', '--kubeconfig', server.kubeconfig]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('error: RouteFragment broken/checkout-v3: spec.release.weight is 150; use 100 or less.');
    expect(routeNames(server, 'checkout', 'broken')).toBeUndefined();
    noStackTrace(result.stderr);

    const gone = await FakeApiServer.start();
    await gone.stop();
    const unreachable = await switchyard(['reconcile', '-n', 'shop', '--policy', POLICY_FILE, '--settle', '0', '--kubeconfig', gone.kubeconfig]);
    expect(unreachable.status).toBe(1);
    expect(unreachable.stderr).toMatch(/^error: namespace shop: cannot list virtualservices\.networking\.istio\.io in namespace shop: the API server at https:\/\/127\.0\.0\.1:\d+ did not answer \(.*ECONNREFUSED.*\)\.\n$/);

    const invalid = await switchyard(['apply', '--kubeconfig', server.kubeconfig, '-'], { input: 'apiVersion: switchyard.dev/v1alpha1\nkind: RouteFragment\nmetadata: {name: x}\nspec: {service: checkout}\n---\nkind: ConfigMap\n' });
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toContain('error: RouteFragment x (stdin): spec.subset is required');
    expect(invalid.stderr).toContain('error: stdin, document 2 is ConfigMap; apply writes RouteFragments (switchyard.dev/v1alpha1) only');
    expect(server.get('routefragments', 'shop', 'x')).toBeUndefined();
  });

  it('reconcile -A against a server that hangs one namespace\'s list, refuses one service and answers 429: bounded, every other service written', async () => {
    let throttled = 0;
    const hostile = await FakeApiServer.start({
      hang: (r) => r.verb === 'list' && r.resource === 'deployments' && r.namespace === 'stuck',
      webhook: (r, o) => (r.resource === 'virtualservices' && o.metadata.name === 'payments' ? 'refused for the test' : undefined),
      fault: (r) => (r.verb === 'create' && r.resource === 'destinationrules' && throttled++ === 0 ? { code: 429, message: 'slow down', retryAfterSeconds: 0 } : undefined),
    });
    try {
      const fragment = (ns: string, service: string) => ({ apiVersion: 'switchyard.dev/v1alpha1', kind: 'RouteFragment', metadata: { name: `${service}-v1`, namespace: ns }, spec: { service, subset: { name: 'v1', labels: { app: service, version: 'v1' } }, release: { environment: 'production', revision: 1 } } });
      hostile.put('routefragments', fragment('stuck', 'checkout'));
      hostile.put('routefragments', fragment('shop', 'checkout'));
      hostile.put('routefragments', fragment('shop', 'payments'));
      // Two services with releases: the policy says which one answers the environments' hosts.
      const policyDir = mkdtempSync(join(tmpdir(), 'switchyard-policy-'));
      const policyFile = join(policyDir, 'policy.yaml');
      writeFileSync(policyFile, readFileSync(POLICY_FILE, 'utf8').replace('spec:\n', 'spec:\n  hostService: checkout\n'));
      const result = await switchyard(['reconcile', '-A', '--policy', policyFile, '--settle', '0', '--request-timeout', '500ms', '--kubeconfig', hostile.kubeconfig]);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/error: namespace stuck: cannot list deployments\.apps in namespace stuck: the API server at https:\/\/127\.0\.0\.1:\d+ did not answer within 0\.5 s\./);
      expect(result.stderr).toContain('error: VirtualService shop/payments: the write was refused');
      expect(routeNames(hostile, 'checkout', 'shop')).toEqual(['environment:production', 'default:production']);
      expect(routeNames(hostile, 'payments', 'shop')).toBeUndefined();
      expect(throttled).toBeGreaterThan(1);
      expect(brokenMoments(hostile.history)).toEqual([]);
      noStackTrace(result.stderr);
      rmSync(policyDir, { recursive: true, force: true });
    } finally {
      await hostile.stop();
    }
  });

  it('apply and reconcile read files through render\'s bounded reader: 5,000 levels of nesting is a named error, not a stack overflow', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-deep-'));
    try {
      const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
      const fragmentFile = join(dir, 'deep.yaml');
      writeFileSync(fragmentFile, `apiVersion: switchyard.dev/v1alpha1\nkind: RouteFragment\nmetadata: {name: deep}\nspec: {service: checkout, extra: ${deep}}\n`);
      const policyFile = join(dir, 'policy.yaml');
      writeFileSync(policyFile, `apiVersion: switchyard.dev/v1alpha1\nkind: RoutingPolicy\nmetadata: {name: p}\nspec: {x: ${deep}}\n`);
      const [apply, reconcile, render] = await Promise.all([
        switchyard(['apply', '--kubeconfig', server.kubeconfig, fragmentFile]),
        switchyard(['reconcile', '-n', 'shop', '--policy', policyFile, '--kubeconfig', server.kubeconfig]),
        switchyard(['render', '--policy', policyFile, fragmentFile]),
      ]);
      for (const result of [apply, reconcile, render]) {
        expect(result.status).toBe(1);
        expect(result.stderr).toContain('nests collections more than 200 levels deep');
        expect(result.stderr).not.toContain('Maximum call stack size exceeded');
        noStackTrace(result.stderr);
      }
      expect(server.get('routefragments', 'shop', 'deep')).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('render and the KRM function never load @kubernetes/client-node', () => {
  it('the bundle imports it in one place, lazily, and never requires it', () => {
    const bundle = readFileSync(BUNDLE, 'utf8');
    expect(bundle.match(/import\("@kubernetes\/client-node"\)/g)).toHaveLength(1);
    expect(bundle).not.toMatch(/require\("@kubernetes\/client-node"\)/);
    expect(bundle).not.toMatch(/from "@kubernetes\/client-node"/);
  });

  it('only src/cluster/client.ts names it, among the sources', () => {
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
    const importers = files(join(ROOT, 'src'))
      .filter((f) => /\.ts$/.test(f) && /from '@kubernetes\/client-node'|import\('@kubernetes\/client-node'\)/.test(readFileSync(f, 'utf8')))
      .map((f) => f.slice(ROOT.length + 1));
    expect(importers).toEqual(['src/cluster/client.ts']);
  });

  it('where the package cannot be found, render and fn still work, and reconcile says how to install it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-no-client-'));
    // Nothing above the copy can resolve the package (Node looks in every parent's node_modules).
    for (let d = dir; d !== dirname(d); d = dirname(d)) expect(existsSync(join(d, 'node_modules', '@kubernetes', 'client-node')), d).toBe(false);
    const bundle = join(dir, 'switchyard.cjs');
    copyFileSync(BUNDLE, bundle);

    const render = await switchyard(['render', '--policy', POLICY_FILE, FRAGMENTS], { bundle, cwd: dir });
    expect(render.status, render.stderr).toBe(0);
    expect(render.stdout).toContain('kind: VirtualService');
    const list = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- ${readFileSync(join(FRAGMENTS, 'checkout-v1.yaml'), 'utf8').replace(/^#.*\n/gm, '').trim().replaceAll('\n', '\n  ')}\nfunctionConfig:\n  ${readFileSync(POLICY_FILE, 'utf8').replace(/^#.*\n/gm, '').trim().replaceAll('\n', '\n  ')}\n`;
    const fn = await switchyard(['fn'], { bundle, cwd: dir, input: list });
    expect(fn.status, fn.stderr).toBe(0);
    expect(fn.stdout).toContain('kind: VirtualService');

    const reconcile = await switchyard(['reconcile', '-n', 'shop', '--policy', POLICY_FILE, '--settle', '0', '--kubeconfig', server.kubeconfig], { bundle, cwd: dir });
    expect(reconcile.status).toBe(1);
    expect(reconcile.stderr).toBe(
      'error: cluster mode needs the package @kubernetes/client-node 1.x, which is not installed; run npm install @kubernetes/client-node@1 where switchyard is installed (render and the KRM function do not need it).\n',
    );
  });
});
