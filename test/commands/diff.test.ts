// `switchyard diff` on two fixture sets whose answer is worked out by hand below, request by
// request, from the contract's route order (not from the code): the change adds a 10% canary to
// production, drops a staging-scoped branch and adds an unscoped one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { diff, parseDiffArgs } from '../../src/cli/diff.ts';
import { ROOT } from '../e2e/tools.ts';
import { branchYaml, inDir, NOW, releaseYaml, workspace } from './workspace.ts';

const POLICY = `apiVersion: switchyard.dev/v1alpha1
kind: RoutingPolicy
metadata: {name: routing}
spec:
  branchHeader: x-branch
  gateways: [istio-system/public-gateway, mesh]
  environments:
  - {name: production, hosts: [shop.example.com], default: true, allowBranches: false}
  - {name: staging, hosts: [staging.shop.example.com]}
`;
const BASE = {
  'base/policy.yaml': POLICY,
  'base/fragments/v1.yaml': releaseYaml('checkout-v1', 'v1', 'production', 1),
  'base/fragments/v1-staging.yaml': releaseYaml('checkout-v1-staging', 'v1', 'staging', 1),
  'base/fragments/a.yaml': branchYaml('checkout-a', 'feature-a', 'environment: staging'),
};
const CHANGE = {
  'change/policy.yaml': POLICY,
  'change/fragments/v1.yaml': releaseYaml('checkout-v1', 'v1', 'production', 1),
  'change/fragments/v1-staging.yaml': releaseYaml('checkout-v1-staging', 'v1', 'staging', 1),
  'change/fragments/v2.yaml': releaseYaml('checkout-v2', 'v2', 'production', 2, 10),
  'change/fragments/b.yaml': branchYaml('checkout-b', 'feature-b'),
};
const MESH = 'checkout.shop.svc.cluster.local';
const v1 = { subset: 'v1', host: 'checkout', share: 100 };
const canary = [
  { subset: 'v1', host: 'checkout', share: 90 },
  { subset: 'v2', host: 'checkout', share: 10 },
];

interface Change {
  gateway: string;
  host: string;
  headers: Record<string, string>;
  before: { virtualService: string; route: string; shares: unknown[]; fragments: { name: string }[] };
  after: { virtualService: string; route: string; shares: unknown[]; fragments: { name: string }[] };
}

const run = (output: string) => {
  const dir = workspace({ ...BASE, ...CHANGE });
  return inDir(dir, () => diff(parseDiffArgs(['--base', 'base/policy.yaml', '--base', 'base/fragments', '--output', output, '--now', NOW.toISOString(), 'change/policy.yaml', 'change/fragments'])!));
};

describe('switchyard diff', () => {
  it('finds exactly the requests that change answer, with old and new shares and the fragments responsible', () => {
    const result = run('json');
    expect(result.exitCode).toBe(0);
    const doc = JSON.parse(result.stdout) as { requests: number; changes: Change[] };
    const schema = new Ajv({ strict: false }).compile(JSON.parse(readFileSync(join(ROOT, 'src/schema/results.schema.json'), 'utf8')) as object);
    expect(schema(doc), JSON.stringify(schema.errors)).toBe(true);
    // A request is (gateway, host, headers). Mesh: checkout's cluster name; the public gateway:
    // production's and staging's hosts. Header sets: none, each value a route matches alone
    // (x-branch feature-a / feature-b, x-environment production / staging), and the scoped branch's
    // entry together (x-branch feature-a AND x-environment staging): 3 hosts x 6 sets.
    expect(doc.requests).toBe(18);
    const seen = doc.changes.map((c) => ({
      at: `${c.gateway} ${c.host}`,
      headers: c.headers,
      before: [c.before.virtualService, c.before.route, c.before.shares, c.before.fragments.map((f) => f.name)],
      after: [c.after.virtualService, c.after.route, c.after.shares, c.after.fragments.map((f) => f.name)],
    }));
    const production = (vs: string, route: string) => ({ before: [vs, route, [v1], ['checkout-v1']], after: [vs, route, canary, ['checkout-v1', 'checkout-v2']] });
    const A = { 'x-branch': 'feature-a' };
    const B = { 'x-branch': 'feature-b' };
    const featureA = [[{ subset: 'feature-a', host: 'checkout', share: 100 }], ['checkout-a']] as const;
    const featureB = [[{ subset: 'feature-b', host: 'checkout', share: 100 }], ['checkout-b']] as const;
    const staging = [[v1], ['checkout-v1-staging']] as const;
    const MESH_AT = `mesh ${MESH}`;
    const GW = 'istio-system/public-gateway';
    // Worked out by hand from the route order (src/merge/routes.ts's header, the contract):
    // base mesh VS shop/checkout: branch:checkout-a (x-environment staging AND x-branch feature-a),
    // environment:production, environment:staging, default:production. Change: environment:production,
    // branch:checkout-b (unscoped), environment:staging, default:production, production now 90/10.
    // shop/checkout.production: only environment:production (protected: no branch route).
    // shop/checkout.staging: base branch:checkout-a, environment:staging; change branch:checkout-b,
    // environment:staging.
    expect(seen).toEqual([
      // Mesh, no header and feature-a without x-environment: the default takes the canary.
      { at: MESH_AT, headers: {}, ...production('shop/checkout', 'default:production') },
      { at: MESH_AT, headers: A, ...production('shop/checkout', 'default:production') },
      // Mesh, feature-a in staging: the scoped branch is gone, staging's release answers.
      { at: MESH_AT, headers: { ...A, 'x-environment': 'staging' }, before: ['shop/checkout', 'branch:checkout-a', ...featureA], after: ['shop/checkout', 'environment:staging', ...staging] },
      // Mesh, feature-b: the new unscoped branch diverts.
      { at: MESH_AT, headers: B, before: ['shop/checkout', 'default:production', [v1], ['checkout-v1']], after: ['shop/checkout', 'branch:checkout-b', ...featureB] },
      { at: MESH_AT, headers: { 'x-environment': 'production' }, ...production('shop/checkout', 'environment:production') },
      // (mesh, x-environment staging: environment:staging v1 on both sides, not listed)
      // Production's host at the gateway: no branch can divert it, whatever the headers; only the canary.
      ...[{}, A, { ...A, 'x-environment': 'staging' }, B, { 'x-environment': 'production' }, { 'x-environment': 'staging' }].map((headers) => ({
        at: `${GW} shop.example.com`,
        headers,
        ...production('shop/checkout.production', 'environment:production'),
      })),
      // Staging's host: feature-a (with or without x-environment, which the gateway's routes do not
      // match) falls back to staging's release; feature-b now diverts. No header, or only
      // x-environment: environment:staging on both sides, not listed.
      { at: `${GW} staging.shop.example.com`, headers: A, before: ['shop/checkout.staging', 'branch:checkout-a', ...featureA], after: ['shop/checkout.staging', 'environment:staging', ...staging] },
      { at: `${GW} staging.shop.example.com`, headers: { ...A, 'x-environment': 'staging' }, before: ['shop/checkout.staging', 'branch:checkout-a', ...featureA], after: ['shop/checkout.staging', 'environment:staging', ...staging] },
      { at: `${GW} staging.shop.example.com`, headers: B, before: ['shop/checkout.staging', 'environment:staging', ...staging], after: ['shop/checkout.staging', 'branch:checkout-b', ...featureB] },
    ]);
  });

  it('--output markdown: one table row per host and change, for a pull-request comment', () => {
    const { stdout } = run('markdown');
    expect(stdout).toContain('## Switchyard routing diff');
    expect(stdout).toContain('**14 of 18 requests change answer.**');
    const rows = stdout.split('\n').filter((l) => l.startsWith('| `'));
    // Rows group by gateway, host and change: the mesh's none/feature-a share one, its feature-a in
    // staging, feature-b and x-environment production one each (4); shop.example.com's six header
    // sets share one (1); staging's feature-a with and without x-environment share one, feature-b
    // one (2).
    expect(rows).toHaveLength(7);
    expect(rows).toContain(
      '| `istio-system/public-gateway` | `shop.example.com` | `(none)`<br>`x-branch: feature-a`<br>`x-branch: feature-a, x-environment: staging`<br>`x-branch: feature-b`<br>`x-environment: production`<br>`x-environment: staging` | environment:production: v1 100% | environment:production: v1 90%, v2 10% | `checkout-v1`, `checkout-v2` |',
    );
  });

  it('the same fragments on both sides change nothing', () => {
    const dir = workspace({ ...BASE });
    const result = inDir(dir, () => diff(parseDiffArgs(['--base', 'base', '--output', 'markdown', '--now', NOW.toISOString(), 'base'])!));
    // 3 hosts x 5 header sets (none, feature-a, feature-a AND staging, x-environment production, staging)
    expect(result.stdout).toContain('No request changes answer (15 compared).');
  });

  it('a side that does not render is an error naming the side, and nothing is compared', () => {
    const dir = workspace({ ...BASE, ...CHANGE, 'change/fragments/v3.yaml': releaseYaml('checkout-v3', 'v3', 'production', 3, 150) });
    const result = inDir(dir, () => diff(parseDiffArgs(['--base', 'base', '--now', NOW.toISOString(), 'change'])!));
    expect(result.exitCode).toBe(1);
    expect(result.results.find((r) => r.severity === 'error')!.message).toMatch(/^change: RouteFragment shop\/checkout-v3 \(change\/fragments\/v3\.yaml\): spec\.release\.weight/);
    expect(result.stdout).toBe('');
  });

  it('needs --base and a PATH', () => {
    expect(() => parseDiffArgs(['change'])).toThrow(/--base PATH/);
    expect(() => parseDiffArgs(['--base', 'base'])).toThrow(/at least one PATH/);
  });
});
