// The pipeline flow through the built executable (dist/switchyard.cjs), as CI runs it: fragments
// for several builds written by `switchyard fragment` (from flags and from image references),
// rendered, asked about with `explain` (every answer compared with the independent Envoy evaluator
// of test/oracles), canary -> promote -> roll back, pruned after the promotion and after branches are
// deleted, and `check` on planted shadowed routes and oversized output.
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE, ROOT, requireTool, run } from '../e2e/tools.ts';
import { branchYaml, POLICY_ALL_MATCHES, releaseYaml } from './workspace.ts';
import { routeRequest, type VirtualServiceLike } from '../oracles/envoy-routing.ts';

const NOW = '2026-11-27T12:00:00Z';
let dir: string;
const sy = (args: string[], input?: string) => run('node', [BUNDLE, ...args], { cwd: dir, ...(input === undefined ? {} : { input }) });
const ok = (args: string[], input?: string) => {
  const r = sy(args, input);
  if (r.status !== 0) throw new Error(`switchyard ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return r;
};
const fragments = () => readdirSync(join(dir, 'fragments')).sort();

/** The rendered VirtualServices. */
function virtualServices(): VirtualServiceLike[] {
  const out = ok(['render', '--now', NOW, 'policy.yaml', 'fragments']).stdout;
  return parseAllDocuments(out)
    .map((d) => d.toJS())
    .filter((o) => o.kind === 'VirtualService');
}
/** The mesh VirtualService's routes. */
const routes = () => virtualServices().find((vs) => vs.metadata.name === 'checkout')!.spec.http as { name: string }[];

/** Envoy's choice, by the independent oracle: the virtual host at the gateway (or the mesh), then the first route that fits. */
function plainAnswer(services: VirtualServiceLike[], host: string, headers: Record<string, string>): { route: string | null; shares: string } {
  const gateway = host === 'checkout' ? 'mesh' : 'istio-system/public-gateway';
  const r = routeRequest(services, { gateway }, { authority: host, headers });
  if (r.kind !== 'route' && r.kind !== 'direct') return { route: null, shares: '' };
  return { route: r.route ?? null, shares: r.kind === 'route' ? r.destinations.map((d) => `${d.subset}:${d.share}`).join(' ') : '' };
}

/** explain's answer, through --output json. */
function explain(host: string, headers: Record<string, string>): { route: string | null; shares: string } {
  const args = ['explain', '--now', NOW, 'policy.yaml', 'fragments', '--host', host, '--output', 'json', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`])];
  const out = JSON.parse(ok(args).stdout);
  const answer = out.answers[0];
  return { route: answer?.route?.name ?? null, shares: (answer?.destinations ?? []).map((d: { subset: string; share: number }) => `${d.subset}:${d.share}`).join(' ') };
}

const HOSTS = ['shop.example.com', 'staging.shop.example.com', 'pre-staging.shop.example.com', 'checkout'];
const VALUES = [undefined, 'feature-jp12', 'bugfix-dp-34', 'feature-ab56', 'nobody'];

/** Every host and branch value: explain agrees with the plain evaluator; returns the answers for spot checks. */
function explainEverything(): Record<string, string> {
  const http = virtualServices();
  const answers: Record<string, string> = {};
  for (const host of HOSTS) {
    for (const value of VALUES) {
      const headers: Record<string, string> = value ? { 'x-branch': value } : {};
      const got = explain(host, headers);
      expect(got, `${host} ${value}`).toEqual(plainAnswer(http, host, headers));
      answers[`${host} ${value ?? '-'}`] = `${got.route} ${got.shares}`;
    }
  }
  return answers;
}

describe('the pipeline flow, through the executable', () => {
  beforeAll(() => {
    requireTool(BUNDLE);
    dir = mkdtempSync(join(tmpdir(), 'switchyard-flow-'));
    cpSync(join(ROOT, 'examples/render/policy.yaml'), join(dir, 'policy.yaml'));
    mkdirSync(join(dir, 'fragments'));
  });

  it('writes one fragment per build, from flags and from image references', () => {
    const release = ['--service', 'checkout', '-n', 'shop', '--release', '--out', 'fragments'];
    ok(['fragment', ...release, '--environment', 'production', '--revision', '1']);
    ok(['fragment', ...release, '--environment', 'production', '--revision', '2']);
    const image = ['--policy', 'policy.yaml', '-n', 'shop', '--out', 'fragments', '--now', NOW];
    ok(['fragment', '--image', 'registry.example.com/shop/checkout:staging-r2', '--tag-pattern', '{environment}-r{revision}', '--release', ...image]);
    ok(['fragment', '--image', 'registry.example.com/shop/checkout:pre-staging-r3', '--tag-pattern', '{environment}-r{revision}', '--release', ...image]);
    const branchPattern = ['--tag-pattern', '{environment}-{branch}-{sha}', '--expires-in', '14d', ...image];
    ok(['fragment', '--image', 'registry.example.com/shop/checkout:staging-feature-jp12-3f2a9c1', ...branchPattern]);
    ok(['fragment', '--image', 'registry.example.com/shop/checkout:pre-staging-feature-ab56-77aa001', ...branchPattern]);
    const written = ok(['fragment', '--service', 'checkout', '-n', 'shop', '--branch', 'bugfix/DP-34', '--workload', 'checkout-bugfix-dp-34', '--out', 'fragments']);
    expect(written.stdout).toBe('fragments/checkout-bugfix-dp-34.yaml\n');
    expect(fragments()).toEqual([
      'checkout-bugfix-dp-34.yaml',
      'checkout-feature-ab56.yaml',
      'checkout-feature-jp12.yaml',
      'checkout-pre-staging-v3.yaml',
      'checkout-production-v1.yaml',
      'checkout-production-v2.yaml',
      'checkout-staging-v2.yaml',
    ]);
    // A second git branch that would become an existing value is refused, and writes nothing.
    const clash = sy(['fragment', '--service', 'checkout', '-n', 'shop', '--branch', 'Bugfix/dp_34', '--out', 'fragments']);
    expect(clash.status).toBe(1);
    expect(clash.stderr).toContain('the two branches would share one route');
    expect(fragments()).toHaveLength(7);
  });

  it('renders them, and explain agrees with a plain evaluator on every host and branch', () => {
    expect(routes().map((r) => r.name)).toEqual([
      'branch:checkout-feature-ab56',
      'branch:checkout-feature-jp12',
      'environment:production',
      'branch:checkout-bugfix-dp-34',
      'environment:staging',
      'environment:pre-staging',
      'default:production',
    ]);
    const answers = explainEverything();
    expect(answers['staging.shop.example.com feature-jp12']).toBe('branch:checkout-feature-jp12 feature-jp12:100');
    expect(answers['pre-staging.shop.example.com feature-jp12']).toBe('environment:pre-staging v3:100');
    expect(answers['shop.example.com bugfix-dp-34']).toBe('environment:production v2:100');
    expect(answers['checkout bugfix-dp-34']).toBe('branch:checkout-bugfix-dp-34 bugfix-dp-34:100');
    const text = ok(['explain', '--now', NOW, 'policy.yaml', 'fragments', '--host', 'staging.shop.example.com', '-H', 'x-branch: feature-jp12']).stdout;
    expect(text).toContain('VirtualService shop/checkout.staging: route http[0] branch:checkout-feature-jp12 answers.\nsubsets:\n  feature-jp12  100%  from RouteFragment shop/checkout-feature-jp12 (fragments/checkout-feature-jp12.yaml)\n');
    expect(ok(['check', '--now', NOW, 'policy.yaml', 'fragments']).stderr).toContain('checked 4 VirtualServices (14 routes) and 1 DestinationRule: 0 errors, 0 warnings.');
  });

  it('canary 1% -> promote -> prune the oldest, keeping one rollback target', () => {
    const v3 = ['fragment', '--service', 'checkout', '-n', 'shop', '--release', '--environment', 'production', '--revision', '3', '--out', 'fragments'];
    ok([...v3, '--weight', '1']);
    expect(explain('shop.example.com', {})).toEqual({ route: 'environment:production', shares: 'v2:99 v3:1' });
    ok(v3); // promote: the same fragment without its weight
    expect(explain('shop.example.com', {})).toEqual({ route: 'environment:production', shares: 'v3:100' });
    const pruned = ok(['prune', '--keep-previous', '1', 'fragments']);
    expect(pruned.stdout).toBe(
      'deleted fragments/checkout-production-v1.yaml: RouteFragment shop/checkout-production-v1 is a stable release of production of service shop/checkout (revision 1), older than the live one (checkout-production-v3, revision 3) and the 1 kept for rollback (checkout-production-v2, revision 2).\n',
    );
    expect(fragments()).not.toContain('checkout-production-v1.yaml');
    explainEverything();
  });

  it('rolls a canary back with weight 0; its subset stays until its fragment is pruned', () => {
    const v4 = ['fragment', '--service', 'checkout', '-n', 'shop', '--release', '--environment', 'production', '--revision', '4', '--out', 'fragments'];
    ok([...v4, '--weight', '10']);
    expect(explain('checkout', {})).toEqual({ route: 'default:production', shares: 'v3:90 v4:10' });
    ok([...v4, '--weight', '0']);
    expect(explain('checkout', {})).toEqual({ route: 'default:production', shares: 'v3:100' });
    expect(ok(['render', '--now', NOW, 'policy.yaml', 'fragments']).stdout).toContain('  - name: v4\n');
    // A rolled-back canary is not a stable release: --keep-previous never takes it.
    expect(ok(['prune', '--keep-previous', '0', '--dry-run', 'fragments']).stdout).not.toContain('v4');
  });

  it('prunes the fragments of deleted branches, and expired ones', () => {
    const r = ok(['prune', '--branches-from', '-', 'fragments'], 'main\nfeature/jp12\n');
    expect(r.stdout.split('\n').filter(Boolean).map((l) => l.split(':')[0])).toEqual(['deleted fragments/checkout-bugfix-dp-34.yaml', 'deleted fragments/checkout-feature-ab56.yaml']);
    expect(explain('checkout', { 'x-branch': 'bugfix-dp-34' }).route).toBe('default:production');
    const later = ok(['prune', '--now', '2026-12-31T00:00:00Z', 'fragments']);
    expect(later.stdout).toBe('deleted fragments/checkout-feature-jp12.yaml: RouteFragment shop/checkout-feature-jp12 expired at 2026-12-11T12:00:00Z.\n');
    explainEverything();
  });

  it('summarises the routes as Markdown for a CI step summary', () => {
    const md = ok(['render', '--output', 'markdown', '--now', NOW, 'policy.yaml', 'fragments']).stdout;
    expect(md).toContain('| # | Route | Host | Header | Subset | Share | Fragment |');
    expect(md).toContain('### VirtualService shop/checkout.production\n\nHosts `shop.example.com` at `istio-system/public-gateway`.');
    expect(md).toContain('| 1 | `environment:production` | any (catch-all) |  | `v3` | 100% | `checkout-production-v3` |');
    expect(md).toContain('Subsets without traffic (rollback targets until their fragment is deleted): `v4` (`checkout-production-v4`).');
  });

  it('check warns about planted shadowed routes', () => {
    const planted = mkdtempSync(join(tmpdir(), 'switchyard-flow-check-'));
    writeFileSync(join(planted, 'policy.yaml'), POLICY_ALL_MATCHES);
    writeFileSync(join(planted, 'v1.yaml'), releaseYaml('checkout-v1', 'v1', 'production', 1));
    writeFileSync(join(planted, 'all.yaml'), branchYaml('checkout-a-all-features', 'feature-', 'match: prefix', 'all-features'));
    writeFileSync(join(planted, 'jp12.yaml'), branchYaml('checkout-feature-jp12', 'feature-jp12'));
    writeFileSync(join(planted, 'regex.yaml'), branchYaml('checkout-b-tickets', 'bugfix-[a-z]+[0-9]+', 'match: regex', 'tickets'));
    writeFileSync(join(planted, 'dp34.yaml'), branchYaml('checkout-bugfix-dp34', 'bugfix-dp34'));
    const r = run('node', [BUNDLE, 'check', '.'], { cwd: planted });
    expect(r.status).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning:'));
    // each shadowed branch, on the mesh and at staging's hosts
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toMatch(/^warning: RouteFragment shop\/checkout-bugfix-dp34 \(dp34.yaml\): its route branch:checkout-bugfix-dp34 \(http\[3\]\) in VirtualService shop\/checkout never answers: route branch:checkout-b-tickets/);
    expect(warnings[1]).toMatch(/^warning: RouteFragment shop\/checkout-feature-jp12 \(jp12.yaml\): its route branch:checkout-feature-jp12 \(http\[4\]\) .* never answers: route branch:checkout-a-all-features/);
    expect(warnings[2]).toMatch(/^warning: RouteFragment shop\/checkout-bugfix-dp34 \(dp34.yaml\): its route branch:checkout-bugfix-dp34 \(http\[2\]\) in VirtualService shop\/checkout.staging never answers/);
    expect(warnings[3]).toMatch(/^warning: RouteFragment shop\/checkout-feature-jp12 \(jp12.yaml\): its route branch:checkout-feature-jp12 \(http\[3\]\) in VirtualService shop\/checkout.staging never answers/);
    rmSync(planted, { recursive: true });
  });

  it('check warns near the size limits and fails past the object limit', () => {
    const big = mkdtempSync(join(tmpdir(), 'switchyard-flow-size-'));
    writeFileSync(join(big, 'policy.yaml'), POLICY_ALL_MATCHES);
    const stream = (n: number, pad: number) =>
      [releaseYaml('checkout-v1', 'v1', 'production', 1), ...Array.from({ length: n }, (_, i) => branchYaml(`checkout-feature-${i}`, `feature-${i}-${'x'.repeat(pad)}`, '', `feature-${i}`))].join('---\n');
    writeFileSync(join(big, 'fragments.yaml'), stream(1800, 0));
    const near = run('node', [BUNDLE, 'check', '.'], { cwd: big });
    expect(near.status).toBe(0);
    expect(near.stderr).toMatch(/warning: VirtualService shop\/checkout is \d+ KiB as JSON, past the 256 KiB that client-side kubectl apply can record/);
    writeFileSync(join(big, 'fragments.yaml'), stream(4000, 240));
    const past = run('node', [BUNDLE, 'check', '--output', 'markdown', '.'], { cwd: big });
    expect(past.status).toBe(1);
    expect(past.stderr).toMatch(/error: VirtualService shop\/checkout is \d+ KiB as JSON, past the API server's object limit/);
    expect(past.stdout).toMatch(/^## Switchyard check\n\n\*\*Failed\*\*: 2 errors/); // the mesh VirtualService and staging's carry every branch
    rmSync(big, { recursive: true });
  });
});
