// `switchyard explain`: which route answers, why, which subsets get what share and from which
// fragment; compared for every host and branch value of the example with a plain evaluator.
import { describe, expect, it } from 'vitest';
import { explain, parseExplainArgs, parseHeaders, type ExplainOptions } from '../../src/cli/explain.ts';
import { UsageError } from '../../src/cli/io.ts';
import { inDir, NOW, POLICY_ALL_MATCHES, releaseYaml, branchYaml, workspace } from './workspace.ts';

const example = workspace({}, { example: true });
const ask = (host: string, headers: Record<string, string> = {}, extra: Partial<ExplainOptions> = {}, dir = example) =>
  inDir(dir, () => explain({ paths: ['.'], now: NOW, request: { authority: host, path: '/', headers }, output: 'text', ...extra }));
const askJson = (host: string, headers: Record<string, string> = {}, dir = example) => JSON.parse(ask(host, headers, { output: 'json' }, dir).stdout);

describe('explain', () => {
  it('names the route, the shares and the fragments, and why earlier routes did not match', () => {
    const r = ask('staging.shop.example.com', { 'x-branch': 'bugfix-dp34' });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`request: host staging.shop.example.com, path /, x-branch: bugfix-dp34; at gateway istio-system/public-gateway

VirtualService shop/checkout.staging: route http[1] branch:checkout-bugfix-dp34 answers.
subsets:
  bugfix-dp34  100%  from RouteFragment shop/checkout-bugfix-dp34 (fragments/checkout-bugfix-dp34.yaml)
  it sets x-environment: staging before the request goes on (calls inside the mesh that pass these headers on stay where it sent them).
why:
  http[0] branch:checkout-feature-jp12 (RouteFragment shop/checkout-feature-jp12 (fragments/checkout-feature-jp12.yaml)): does not match
      header x-branch "bugfix-dp34" does not match exact "feature-jp12"
  http[1] branch:checkout-bugfix-dp34 (RouteFragment shop/checkout-bugfix-dp34 (fragments/checkout-bugfix-dp34.yaml)): matches
      header x-branch "bugfix-dp34" matches exact "bugfix-dp34"
`);
  });

  it('picks the VirtualService by Envoy\'s domain matching: any case, any port', () => {
    const r = ask('SHOP.example.com:8443', { 'x-branch': 'bugfix-dp34' });
    expect(r.stdout).toContain('VirtualService shop/checkout.production: route http[0] environment:production answers.');
    expect(r.stdout).toContain('it sets x-environment: production and removes x-branch before the request goes on');
  });

  it('--gateway mesh explains a call inside the mesh that carries the environment header', () => {
    const r = ask('checkout', { 'x-environment': 'staging', 'x-branch': 'feature-jp12' }, { gateway: 'mesh' });
    expect(r.stdout).toContain('at the mesh\n\nVirtualService shop/checkout: route http[0] branch:checkout-feature-jp12 answers.');
    expect(ask('shop.example.com', {}, { gateway: 'mesh' }).stdout).toContain('route: none. No VirtualService has host shop.example.com among its hosts (VirtualService shop/checkout: checkout)');
  });

  it('says plainly when Envoy answers itself, and when the Service without subset takes the request', () => {
    const policy = POLICY_ALL_MATCHES;
    const closed = workspace({ 'policy.yaml': policy, 's1.yaml': releaseYaml('checkout-s1', 's1', 'staging', 1) });
    expect(ask('shop.example.com', {}, {}, closed).stdout).toContain('no pod gets the request: Envoy answers 503 itself (fail closed');
    const branchOnly = workspace({ 'policy.yaml': policy, 'b.yaml': branchYaml('checkout-b', 'b') });
    expect(ask('shop.example.com', {}, {}, branchOnly).stdout).toContain('no subset: Service checkout itself takes it, every pod it selects, branch builds included');
  });

  it('shows a canary split with each release fragment', () => {
    const r = ask('shop.example.com', { 'x-branch': 'feature-jp12' });
    expect(r.stdout).toContain('VirtualService shop/checkout.production: route http[0] environment:production answers.\nsubsets:\n  v2   99%  from RouteFragment shop/checkout-v2 (fragments/checkout-v2.yaml)\n  v3    1%  from RouteFragment shop/checkout-v3 (fragments/checkout-v3.yaml)\n');
  });

  it('explains the catch-all for a call inside the mesh', () => {
    const r = ask('checkout');
    expect(r.stdout).toContain('route http[5] default:production answers.');
    expect(r.stdout).toContain('header x-branch (not in the request), so it cannot match exact "bugfix-dp34"');
    expect(r.stdout).toContain('http[5] default:production: matches: it has no match conditions, so it answers every request that reaches it.');
  });

  it('says when the host is not one of the VirtualService hosts', () => {
    const r = ask('api.example.com');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('route: none. No VirtualService has host api.example.com among its hosts (VirtualService shop/checkout: checkout)');
  });

  it('says when no route matches (no default environment: 404)', () => {
    const policy = POLICY_ALL_MATCHES.replace(', default: true', '');
    const dir = workspace({ 'policy.yaml': policy, 'v1.yaml': releaseYaml('checkout-v1', 'v1', 'production', 1), 'b.yaml': branchYaml('checkout-b', 'b') });
    const r = ask('checkout', {}, {}, dir);
    expect(r.stdout).toContain('VirtualService shop/checkout: route http[2] default answers.\n  no pod gets the request: Envoy answers 404 itself.');
    // the render's warnings: no default environment (404 on the mesh), and staging without a release (503 at its hosts)
    expect(r.results.map((x) => x.message)).toEqual([expect.stringContaining('the policy names no default environment'), expect.stringContaining('environment staging has no live release')]);
    expect(askJson('checkout', {}, dir).answers[0].route).toMatchObject({ name: 'default', action: 'directResponse' });
  });

  it('fails with the render when the render fails', () => {
    const dir = workspace({ 'policy.yaml': POLICY_ALL_MATCHES, 'v1.yaml': releaseYaml('checkout-v1', 'v1', 'nowhere', 1) });
    const r = ask('checkout', {}, {}, dir);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.results[0]!.message).toContain('spec.release.environment is "nowhere"');
  });

  it('--output json carries the route, the destinations with their fragments, and every route tried', () => {
    const out = askJson('staging.shop.example.com', { 'x-branch': 'feature-jp12' });
    expect(out.request).toEqual({ host: 'staging.shop.example.com', path: '/', headers: { 'x-branch': 'feature-jp12' }, gateway: 'istio-system/public-gateway' });
    expect(out.answers).toHaveLength(1);
    const [a] = out.answers;
    expect(a.virtualService).toEqual({ name: 'checkout.staging', namespace: 'shop' });
    expect(a.route).toEqual({ index: 0, name: 'branch:checkout-feature-jp12', action: 'route', fragment: { name: 'checkout-feature-jp12', namespace: 'shop', file: 'fragments/checkout-feature-jp12.yaml' } });
    expect(a.destinations).toEqual([{ host: 'checkout', subset: 'feature-jp12', weight: 100, share: 100, fragment: { name: 'checkout-feature-jp12', namespace: 'shop', file: 'fragments/checkout-feature-jp12.yaml' } }]);
    expect(a.tried[0].entries[0].conditions).toEqual([
      { field: 'headers.x-branch', match: { kind: 'exact', value: 'feature-jp12' }, actual: 'feature-jp12', outcome: 'match' },
    ]);
  });

  // The expected answers, worked out by hand from the route order of the contract, for every host
  // and branch value of the example.
  const hosts: Record<string, Record<string, string>> = {
    'shop.example.com': { none: 'environment:production', 'feature-jp12': 'environment:production', 'bugfix-dp34': 'environment:production', other: 'environment:production' },
    'staging.shop.example.com': { none: 'environment:staging', 'feature-jp12': 'branch:checkout-feature-jp12', 'bugfix-dp34': 'branch:checkout-bugfix-dp34', other: 'environment:staging' },
    'pre-staging.shop.example.com': { none: 'environment:pre-staging', 'feature-jp12': 'environment:pre-staging', 'bugfix-dp34': 'branch:checkout-bugfix-dp34', other: 'environment:pre-staging' },
    checkout: { none: 'default:production', 'feature-jp12': 'default:production', 'bugfix-dp34': 'branch:checkout-bugfix-dp34', other: 'default:production' },
  };
  const shares: Record<string, string> = {
    'environment:production': 'v2:99 v3:1',
    'default:production': 'v2:99 v3:1',
    'environment:staging': 'v3:100',
    'environment:pre-staging': 'v4:100',
    'branch:checkout-feature-jp12': 'feature-jp12:100',
    'branch:checkout-bugfix-dp34': 'bugfix-dp34:100',
  };
  it.each(Object.entries(hosts).flatMap(([host, byValue]) => Object.entries(byValue).map(([value, route]) => [host, value, route] as const)))('%s with x-branch %s: %s', (host, value, route) => {
    const out = askJson(host, value === 'none' ? {} : { 'x-branch': value === 'other' ? 'feature-zz99' : value });
    expect(out.answers[0].route.name).toBe(route);
    expect(out.answers[0].destinations.map((d: { subset: string; share: number }) => `${d.subset}:${d.share}`).join(' ')).toBe(shares[route]);
  });
});

describe('explain flags', () => {
  it('reads headers as curl writes them; a header given twice is joined with a comma', () => {
    expect(parseHeaders(['X-Branch: feature-jp12', 'x-tenant:a', 'x-tenant: b'])).toEqual({ 'x-branch': 'feature-jp12', 'x-tenant': 'a,b' });
  });

  it.each([
    [['examples/render'], 'explain needs --host HOST'],
    [['--host', 'h'], 'explain needs at least one PATH'],
    [['examples/render', '--host', 'h', '-H', 'novalue'], "-H \"novalue\" is not a header; write it as 'name: value'"],
    [['examples/render', '--host', 'h', '-H', 'Host: x'], '-H "Host: x" sets the host; give it with --host.'],
    [['examples/render', '--host', 'h', '--path', 'cart'], '--path cart does not start with /'],
    [['examples/render', '--host', 'h', '--output', 'yaml'], '--output yaml is not a known format; use text or json.'],
  ])('%j is a usage error', (args, message) => {
    expect(() => parseExplainArgs(args)).toThrow(UsageError);
    expect(() => parseExplainArgs(args)).toThrow(message);
  });

  it('--help asks for the help text', () => {
    expect(parseExplainArgs(['--help'])).toBeUndefined();
  });
});
