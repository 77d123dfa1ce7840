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
  host: string;
  headers: Record<string, string>;
  before: { route: string; shares: unknown[]; fragments: { name: string }[] };
  after: { route: string; shares: unknown[]; fragments: { name: string }[] };
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
    // 3 hosts (the mesh name, production's, staging's) x 3 header sets (none, feature-a, feature-b).
    expect(doc.requests).toBe(9);
    const seen = doc.changes.map((c) => ({
      host: c.host,
      branch: c.headers['x-branch'] ?? null,
      before: [c.before.route, c.before.shares, c.before.fragments.map((f) => f.name)],
      after: [c.after.route, c.after.shares, c.after.fragments.map((f) => f.name)],
    }));
    const production = (route: string) => ({ before: [route, [v1], ['checkout-v1']], after: [route, canary, ['checkout-v1', 'checkout-v2']] });
    expect(seen).toEqual([
      // Inside the mesh: the default route takes the canary; feature-a was never routed here
      // (scoped to staging); feature-b is a new unscoped branch, so it now diverts.
      { host: MESH, branch: null, ...production('default:production') },
      { host: MESH, branch: 'feature-a', ...production('default:production') },
      { host: MESH, branch: 'feature-b', before: ['default:production', [v1], ['checkout-v1']], after: ['branch:checkout-b', [{ subset: 'feature-b', host: 'checkout', share: 100 }], ['checkout-b']] },
      // Production's host: no branch can divert it, with or without the header; only the canary.
      { host: 'shop.example.com', branch: null, ...production('environment:production') },
      { host: 'shop.example.com', branch: 'feature-a', ...production('environment:production') },
      { host: 'shop.example.com', branch: 'feature-b', ...production('environment:production') },
      // Staging without a header is unchanged (not listed); feature-a falls back to staging's release;
      // feature-b now diverts there too.
      { host: 'staging.shop.example.com', branch: 'feature-a', before: ['branch:checkout-a', [{ subset: 'feature-a', host: 'checkout', share: 100 }], ['checkout-a']], after: ['environment:staging', [v1], ['checkout-v1-staging']] },
      { host: 'staging.shop.example.com', branch: 'feature-b', before: ['environment:staging', [v1], ['checkout-v1-staging']], after: ['branch:checkout-b', [{ subset: 'feature-b', host: 'checkout', share: 100 }], ['checkout-b']] },
    ]);
  });

  it('--output markdown: one table row per host and change, for a pull-request comment', () => {
    const { stdout } = run('markdown');
    expect(stdout).toContain('## Switchyard routing diff');
    expect(stdout).toContain('**8 of 9 requests change answer.**');
    const rows = stdout.split('\n').filter((l) => l.startsWith('| `'));
    // shop.example.com's three header sets share one change, and so do the mesh's none/feature-a.
    expect(rows).toHaveLength(5);
    expect(rows).toContain('| `shop.example.com` | `(none)`<br>`x-branch: feature-a`<br>`x-branch: feature-b` | environment:production: v1 100% | environment:production: v1 90%, v2 10% | `checkout-v1`, `checkout-v2` |');
  });

  it('the same fragments on both sides change nothing', () => {
    const dir = workspace({ ...BASE });
    const result = inDir(dir, () => diff(parseDiffArgs(['--base', 'base', '--output', 'markdown', '--now', NOW.toISOString(), 'base'])!));
    expect(result.stdout).toContain('No request changes answer (6 compared).');
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
