// `switchyard check`: the render's results plus the deeper diagnostics of src/merge/analyze.ts,
// with planted problems of each kind, and the Markdown summary.
import { describe, expect, it } from 'vitest';
import { check } from '../../src/cli/check.ts';
import { ANNOTATION_LIMIT, OBJECT_LIMIT } from '../../src/merge/size.ts';
import { branchYaml, deploymentYaml, inDir, NOW, POLICY_ALL_MATCHES, releaseYaml, workspace } from './workspace.ts';

const run = (dir: string, paths = ['.'], output: 'text' | 'markdown' = 'text') => inDir(dir, () => check({ paths, now: NOW, output, quiet: false }));
const messages = (r: ReturnType<typeof run>, severity: string) => r.results.filter((x) => x.severity === severity).map((x) => x.message);

describe('check', () => {
  it('passes the example with no warning, writes nothing on stdout, and ends with a summary', () => {
    const r = run(workspace({}, { example: true }));
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.results.filter((x) => x.severity !== 'info')).toEqual([]);
    expect(r.results.at(-1)!.message).toBe('checked 4 VirtualServices (12 routes) and 1 DestinationRule: 0 errors, 0 warnings.');
  });

  it('reports what render reports: a broken release fails (exit 1)', () => {
    const dir = workspace({ 'policy.yaml': POLICY_ALL_MATCHES, 'v1.yaml': releaseYaml('checkout-v1', 'v1', 'production', 1, 150) });
    const r = run(dir);
    expect(r.exitCode).toBe(1);
    expect(messages(r, 'error')[0]).toContain('spec.release.weight is 150');
    expect(r.results.at(-1)!.message).toMatch(/^check failed: 1 error; nothing was rendered/);
  });

  it('warns about a branch whose exact value an earlier prefix branch takes, naming both fragments', () => {
    const dir = workspace({
      'policy.yaml': POLICY_ALL_MATCHES,
      'v1.yaml': releaseYaml('checkout-v1', 'v1', 'production', 1),
      // Route order breaks ties by fragment name: checkout-a-features comes first.
      'features.yaml': branchYaml('checkout-a-features', 'feature-', 'match: prefix', 'all-features'),
      'jp12.yaml': branchYaml('checkout-feature-jp12', 'feature-jp12'),
      'other.yaml': branchYaml('checkout-hotfix-1', 'hotfix-1'),
    });
    const r = run(dir);
    expect(r.exitCode).toBe(0);
    const warnings = messages(r, 'warning');
    // the mesh VirtualService and staging's both carry the two unscoped branches
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatch(/^RouteFragment shop\/checkout-feature-jp12 \(jp12.yaml\): its route branch:checkout-feature-jp12 \(http\[1\]\) in VirtualService shop\/checkout.staging never answers: /);
    expect(warnings[0]).toMatch(/^RouteFragment shop\/checkout-feature-jp12 \(jp12.yaml\): its route branch:checkout-feature-jp12 \(http\[2\]\) in VirtualService shop\/checkout never answers: /);
    expect(warnings[0]).toContain('route branch:checkout-a-features (http[1]), from RouteFragment shop/checkout-a-features (features.yaml), comes first');
    expect(warnings[0]).toContain('header x-branch prefix "feature-" takes exact "feature-jp12"');
    expect(warnings[0]).toContain('narrow spec.branch.value of RouteFragment shop/checkout-a-features');
    expect(r.results.find((x) => x.severity === 'warning')!.file).toEqual({ path: 'jp12.yaml', index: 0 });
  });

  it('warns about a branch that an earlier regex branch takes', () => {
    const dir = workspace({
      'policy.yaml': POLICY_ALL_MATCHES,
      'v1.yaml': releaseYaml('checkout-v1', 'v1', 'production', 1),
      'any.yaml': branchYaml('checkout-a-any-ticket', '[a-z]+-[a-z]+[0-9]+', 'match: regex', 'tickets'),
      'jp12.yaml': branchYaml('checkout-feature-jp12', 'feature-jp12'),
      'scoped.yaml': branchYaml('checkout-x-scoped', 'bugfix-dp34', 'environment: staging', 'bugfix-dp34'),
    });
    const warnings = messages(run(dir), 'warning');
    // The scoped branch comes before the regex (group 1), so only the unscoped exact one is shadowed, on the mesh and at staging's hosts.
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('RouteFragment shop/checkout-feature-jp12');
    expect(warnings[0]).toContain('regex "[a-z]+-[a-z]+[0-9]+" takes exact "feature-jp12"');
  });

  it('warns about a catch-all that is not last and every route after it, in a VirtualService written by hand', () => {
    const vs = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: legacy, namespace: shop}
spec:
  hosts: [legacy]
  http:
  - name: api
    match: [{uri: {prefix: /api}}]
    route: [{destination: {host: legacy}}]
  - name: everything
    route: [{destination: {host: legacy}}]
  - name: admin
    match: [{uri: {prefix: /admin}}]
    route: [{destination: {host: legacy}}]
  - name: api-v2
    match: [{uri: {prefix: /api/v2}}]
    route: [{destination: {host: legacy}}]
`;
    const r = run(workspace({ 'vs.yaml': vs }));
    expect(r.exitCode).toBe(0);
    const warnings = messages(r, 'warning');
    expect(warnings[0]).toBe(
      'VirtualService shop/legacy (vs.yaml): route everything (http[1]) matches every request (it has no match conditions) but is not the last route, so the 2 routes after it never answer (route admin (http[2]), route api-v2 (http[3])); move the catch-all to the end, or give it a match.',
    );
    expect(warnings.slice(1)).toEqual([
      expect.stringMatching(/^VirtualService shop\/legacy \(vs.yaml\): route admin \(http\[2\]\) never answers: route everything \(http\[1\]\) comes first \(it has no match, so it takes every request\); move it before/),
      expect.stringMatching(/^VirtualService shop\/legacy \(vs.yaml\): route api-v2 \(http\[3\]\) never answers: route api \(http\[0\]\) comes first \(path prefix "\/api" takes prefix "\/api\/v2"\)/),
    ]);
  });

  it('a catch-all just before the last route is not last either', () => {
    const vs = 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: legacy}\nspec:\n  hosts: [legacy]\n  http:\n  - route: [{destination: {host: legacy}}]\n  - match: [{uri: {prefix: /admin}}]\n    route: [{destination: {host: legacy}}]\n';
    const warnings = messages(run(workspace({ 'vs.yaml': vs })), 'warning');
    expect(warnings).toEqual([
      'VirtualService legacy (vs.yaml): http[0] matches every request (it has no match conditions) but is not the last route, so the 1 route after it never answers (http[1]); move the catch-all to the end, or give it a match.',
      expect.stringMatching(/^VirtualService legacy \(vs.yaml\): http\[1\] never answers: http\[0\] comes first/),
    ]);
  });

  it('fails on a subset that a route uses and the DestinationRule does not define', () => {
    const vs = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: checkout-internal, namespace: shop}
spec:
  hosts: [checkout.internal]
  http:
  - route: [{destination: {host: checkout, subset: v9}}]
`;
    const dir = workspace({ 'internal.yaml': vs }, { example: true });
    const r = run(dir);
    expect(r.exitCode).toBe(1);
    expect(messages(r, 'error')).toEqual([
      'VirtualService shop/checkout-internal (internal.yaml): spec.http[0].route[0].destination.subset is v9, which DestinationRule shop/checkout for host checkout does not define (its subsets: bugfix-dp34, feature-jp12, v1, v2, v3, v4), so Istio answers these requests with 503; add the subset, or route to one that exists.',
    ]);
  });

  it('warns about subsets that select no pod of the Deployments in the input, and says nothing without Deployments', () => {
    const files = {
      'deploy/v2.yaml': deploymentYaml('checkout-v2', { app: 'checkout', version: 'v2' }),
      'deploy/v3.yaml': deploymentYaml('checkout-v3', { app: 'checkout', version: 'v3' }),
      'deploy/v4.yaml': deploymentYaml('checkout-v4', { app: 'checkout', version: 'v4' }),
      'deploy/v1.yaml': deploymentYaml('checkout-v1', { app: 'checkout', version: 'v1' }),
      'deploy/bugfix.yaml': deploymentYaml('checkout-bugfix-dp34', { app: 'checkout', version: 'bugfix-dp34' }),
      // The feature build's pods carry another version label than its fragment's subset asks for.
      'deploy/feature.yaml': deploymentYaml('checkout-feature-jp12', { app: 'checkout', version: 'jp12' }),
    };
    const r = run(workspace(files, { example: true }));
    expect(r.exitCode).toBe(0);
    const warnings = messages(r, 'warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^RouteFragment shop\/checkout-feature-jp12 \(fragments\/checkout-feature-jp12.yaml\): spec.subset.labels are \{app=checkout, version=feature-jp12\}, which select no pod of the workloads of namespace shop in the input \(Deployment checkout-bugfix-dp34, .*and 1 more\), so traffic sent to subset feature-jp12 finds no endpoint \(503\)/,
    );
    expect(messages(run(workspace({}, { example: true })), 'warning')).toEqual([]);
  });

  it('takes the Service selector into account', () => {
    const service = 'apiVersion: v1\nkind: Service\nmetadata: {name: checkout, namespace: shop}\nspec:\n  selector: {app: checkout-api}\n';
    const files = { 'svc.yaml': service, 'v1.yaml': deploymentYaml('checkout-v1', { app: 'checkout', version: 'v1' }), 'policy.yaml': POLICY_ALL_MATCHES, 'f.yaml': releaseYaml('checkout-v1', 'v1', 'production', 1) };
    const warnings = messages(run(workspace(files)), 'warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("which together with Service shop/checkout's selector select no pod");
  });

  it('warns past the 256 KiB of client-side apply, and fails past the object limit', () => {
    const many = (n: number, pad: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`b/${i}.yaml`, branchYaml(`checkout-feature-${i}`, `feature-${i}-${'x'.repeat(pad)}`, '', `feature-${i}`)]));
    const base = { 'policy.yaml': POLICY_ALL_MATCHES, 'v1.yaml': releaseYaml('checkout-v1', 'v1', 'production', 1) };
    const near = run(workspace({ ...base, ...many(Math.ceil(ANNOTATION_LIMIT / 150), 0) }));
    expect(near.exitCode).toBe(0);
    expect(messages(near, 'warning').join('\n')).toMatch(/VirtualService shop\/checkout is \d+ KiB as JSON, past the 256 KiB that client-side kubectl apply can record/);
    const past = run(workspace({ ...base, ...many(Math.ceil(OBJECT_LIMIT / 400), 240) }));
    expect(past.exitCode).toBe(1);
    expect(messages(past, 'error').join('\n')).toMatch(/VirtualService shop\/checkout is \d+ KiB as JSON, past the API server's object limit/);
  });

  it('--output markdown prints the verdict, the diagnostics and the routing table', () => {
    const dir = workspace({
      'policy.yaml': POLICY_ALL_MATCHES,
      'v1.yaml': releaseYaml('checkout-v1', 'v1', 'production', 1),
      'features.yaml': branchYaml('checkout-a-features', 'feature-', 'match: prefix', 'all-features'),
      'jp12.yaml': branchYaml('checkout-feature-jp12', 'feature-jp12'),
    });
    const r = run(dir, ['.'], 'markdown');
    expect(r.stdout).toContain('## Switchyard check\n\n**Passed with 2 warnings.**\n'); // the shadowed branch, on the mesh and at staging's hosts
    expect(r.stdout).toContain('- **warning**: RouteFragment shop/checkout-feature-jp12 (jp12.yaml): its route');
    expect(r.stdout).toContain('| 2 | `branch:checkout-a-features` | any | `x-branch: prefix feature-` | `all-features` | 100% | `checkout-a-features` |');
    expect(r.stdout).toContain('| 4 | `default:production` | any (catch-all) |  | `v1` | 100% | `checkout-v1` |');
  });
});

describe('check: host conflicts across every VirtualService', () => {
  const vs = (ns: string, name: string, hosts: string[], gateways?: string[]) =>
    `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n  hosts: [${hosts.map((h) => JSON.stringify(h)).join(', ')}]\n${gateways ? `  gateways: [${gateways.join(', ')}]\n` : ''}  http:\n  - route: [{destination: {host: x}}]\n`;
  it('the same host on the mesh in two namespaces is an error (IST0109), with the fix', () => {
    const r = run(workspace({ 'a.yaml': vs('a', 'api', ['api.example.com']), 'b.yaml': vs('b', 'api', ['api.example.com']) }));
    expect(r.exitCode).toBe(1);
    expect(messages(r, 'error')).toEqual([expect.stringMatching(/^VirtualService b\/api \(b\.yaml\): claims host api\.example\.com on the mesh, as VirtualService a\/api \(a\.yaml\) does; on the mesh Istio uses only one of them \(IST0109\): keep the host in one of them/)]);
  });
  it('a short host resolves against the namespace; a gateway without namespace against the VirtualService\'s', () => {
    expect(run(workspace({ 'a.yaml': vs('a', 'c', ['checkout']), 'b.yaml': vs('b', 'c', ['checkout']) })).exitCode).toBe(0);
    const same = run(workspace({ 'a.yaml': vs('shop', 'c', ['checkout']), 'b.yaml': vs('shop', 'd', ['checkout.shop.svc.cluster.local']) }));
    expect(messages(same, 'error')).toHaveLength(1);
    const gw = run(workspace({ 'a.yaml': vs('istio-system', 'x', ['shop.example.com'], ['public']), 'b.yaml': vs('shop', 'y', ['SHOP.example.com'], ['istio-system/public']) }));
    expect(messages(gw, 'warning')).toEqual([expect.stringContaining('claims host shop.example.com on gateway istio-system/public, as VirtualService istio-system/x (a.yaml) does; at a gateway Istio merges their routes in no set order')]);
  });
  it('overlapping wildcards are a warning', () => {
    const r = run(workspace({ 'a.yaml': vs('a', 'x', ['*.example.com'], ['istio-system/gw']), 'b.yaml': vs('b', 'y', ['staging.example.com'], ['istio-system/gw']) }));
    expect(messages(r, 'warning')).toEqual([expect.stringContaining('claims host staging.example.com, which overlaps *.example.com on gateway istio-system/gw')]);
  });
  it('the example renders none', () => {
    expect(messages(run(workspace({}, { example: true })), 'warning')).toEqual([]);
  });
});
