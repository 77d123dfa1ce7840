// No silent no-op: standalone kustomize without --enable-exec, and kubectl kustomize (which never
// runs exec functions), exit 0 with the routes missing (FACTS.md). `switchyard check --rendered OUTPUT`
// must fail on exactly those outputs, naming every live fragment, and pass on the real render.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { BUNDLE, copyOf, KUSTOMIZE, requireTool, ROOT, run } from './tools.ts';

const NOW = '2026-11-27T12:00:00Z';
const check = (dir: string, output: string, ...extra: string[]) => run('node', [BUNDLE, 'check', '--now', NOW, '--rendered', output, ...extra, 'policy.yaml', 'fragments'], { cwd: dir });
const saved = (text: string): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'switchyard-out-')), 'out.yaml');
  writeFileSync(file, text);
  return file;
};
const FRAGMENTS = ['checkout-bugfix-dp34', 'checkout-feature-jp12', 'checkout-pre-staging-v4', 'checkout-staging-v3', 'checkout-v2', 'checkout-v3'];

describe('check --rendered', () => {
  it('fails on kustomize build without --enable-exec (exit 0, no routes) and names every live fragment; passes with it', () => {
    requireTool(KUSTOMIZE);
    requireTool(BUNDLE);
    const dir = join(ROOT, 'examples/kustomize'); // in place: its exec path is relative; nothing is written
    const silent = run(KUSTOMIZE, ['build', '--enable-alpha-plugins', dir]);
    expect(silent.status, silent.stderr).toBe(0); // the no-op this guards against
    expect(silent.stdout).not.toContain('kind: VirtualService');
    const failed = check(dir, saved(silent.stdout));
    expect(failed.status, failed.stderr).toBe(1);
    for (const name of FRAGMENTS) expect(failed.stderr).toMatch(new RegExp(`error: RouteFragment shop/${name} \\(fragments/${name}\\.yaml\\): its route`));
    expect(failed.stderr).toContain('so Switchyard never ran');

    const real = run(KUSTOMIZE, ['build', '--enable-alpha-plugins', '--enable-exec', dir]);
    expect(real.status, real.stderr).toBe(0);
    expect(real.stdout).toContain('kind: VirtualService');
    const passed = check(dir, saved(real.stdout));
    expect(passed.status, passed.stderr).toBe(0);
    expect(passed.stderr).toMatch(/holds the routes of all 6 live fragments/);
  });

  it('fails on kubectl kustomize of the exec-function setup (exit 0, function dropped); passes on the exec plugin setup', () => {
    requireTool('kubectl');
    const exec = copyOf('kustomize');
    const silent = run('kubectl', ['kustomize', '--enable-alpha-plugins', exec]);
    expect(silent.status, silent.stderr).toBe(0);
    expect(silent.stdout).not.toContain('kind: VirtualService');
    const failed = check(exec, saved(silent.stdout));
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/6 of 6 live fragments have no route in .*out\.yaml: .* holds no VirtualService/);
    const dir = copyOf('kubectl-kustomize');
    const real = run('kubectl', ['kustomize', '--enable-alpha-plugins', dir], { env: { KUSTOMIZE_PLUGIN_HOME: join(dir, 'plugins') } });
    expect(real.status, real.stderr).toBe(0);
    const passed = check(dir, saved(real.stdout));
    expect(passed.status, passed.stderr).toBe(0);
  });

  it('matches routes by name and subset, not by object count: split into one VirtualService per route, it still passes; drop one route, it names that fragment', () => {
    requireTool(BUNDLE);
    const dir = copyOf('kustomize');
    const rendered = run('node', [BUNDLE, 'render', '--now', NOW, 'policy.yaml', 'fragments', 'service.yaml'], { cwd: dir });
    expect(rendered.status, rendered.stderr).toBe(0);
    const objects = parseAllDocuments(rendered.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: { http?: { name: string }[] } });
    const vss = objects.filter((o) => o.kind === 'VirtualService');
    // the mesh VirtualService and one per environment: a branch's route is in several of them
    expect(vss.map((o) => o.metadata.name).sort()).toEqual(['checkout', 'checkout.pre-staging', 'checkout.production', 'checkout.staging']);
    const others = objects.filter((o) => o.kind !== 'VirtualService');
    // each VirtualService split into one per route: other names, the same hosts and gateways
    const split = vss.flatMap((vs) => vs.spec.http!.map((route) => ({ ...vs, metadata: { ...vs.metadata, name: `${vs.metadata.name}.${route.name.replace(/[^a-z0-9-]/g, '-')}` }, spec: { ...vs.spec, http: [route] } })));
    const asText = (list: object[]) => list.map((o) => stringify(o)).join('---\n');
    expect(check(dir, saved(asText([...others, ...split]))).status).toBe(0);

    // environment:staging to v3 is in checkout (mesh) and checkout.staging; drop it from the mesh's only
    const dropped = (o: (typeof split)[number]) => o.metadata.name === 'checkout.environment-staging';
    expect(split.filter(dropped)).toHaveLength(1);
    const failed = check(dir, saved(asText([...others, ...split.filter((o) => !dropped(o))])), '--output', 'json');
    expect(failed.status).toBe(1);
    const doc = JSON.parse(failed.stdout) as { rendered: { missingRoutes: { route: string; subset: string; fragment: { name: string } }[] } };
    expect(doc.rendered.missingRoutes).toEqual([{ namespace: 'shop', virtualService: 'checkout', route: 'environment:staging', subset: 'v3', fragment: { name: 'checkout-staging-v3', namespace: 'shop', file: 'fragments/checkout-staging-v3.yaml' } }]);

    // a route of the right name in a VirtualService of another name that serves other hosts does not count
    const moved = vss.map((vs) => (vs.metadata.name === 'checkout.staging' ? { ...vs, metadata: { ...vs.metadata, name: 'checkout-elsewhere' }, spec: { ...vs.spec, hosts: ['elsewhere.example.com'] } } : vs));
    const misplaced = check(dir, saved(asText([...others, ...moved])));
    expect(misplaced.status).toBe(1);
    expect(misplaced.stderr).toContain('its route environment:staging to subset v3 of VirtualService shop/checkout.staging is not in');

    // A route kept but its subset dropped from the DestinationRule is named too.
    const noSubset = others.map((o) => (o.kind === 'DestinationRule' ? { ...o, spec: { ...o.spec, subsets: (o.spec as { subsets: { name: string }[] }).subsets.filter((s) => s.name !== 'v4') } } : o));
    const broken = check(dir, saved(asText([...noSubset, ...vss])));
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/RouteFragment shop\/checkout-pre-staging-v4 .*subset v4, which its route environment:pre-staging sends traffic to, is in no DestinationRule/);
    expect(readFileSync(join(dir, 'policy.yaml'), 'utf8')).toContain('RoutingPolicy');
  });
});
