// examples/kpt-image through the real `kpt fn render`, which runs `image: localhost/switchyard:dev`
// with podman (KPT_FN_RUNTIME=podman): the routes must appear, equal the exec form's byte for byte,
// and a second render must change nothing. kpt's own podman call is recorded and replayed with a
// probe as the entry point, to see the user, the network and the file system the function gets.
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { binFolder, copyOf, requireTool, ROOT, routingObjects, run, snapshot } from '../e2e/tools.ts';
import { IMAGE, imageTools, type ImageTools } from './tools.ts';

let tools: ImageTools;
beforeAll(() => {
  requireTool('kpt');
  tools = imageTools();
});

/** A scratch copy of examples/kpt-image without its rendered routes. */
function freshPackage(): string {
  const dir = copyOf('kpt-image');
  chmodSync(dir, 0o755);
  rmSync(join(dir, 'routes'), { recursive: true });
  return dir;
}

const checkedIn = readFileSync(join(ROOT, 'examples/kpt-image/routes/shop/checkout.yaml'), 'utf8');
const withoutKptfile = (files: Record<string, string>) => Object.fromEntries(Object.entries(files).filter(([path]) => path !== 'Kptfile'));

describe('kpt fn render with image: localhost/switchyard:dev (podman)', () => {
  it('names the image built here, so the example runs as it is checked in', () => {
    expect(readFileSync(join(ROOT, 'examples/kpt-image/Kptfile'), 'utf8')).toContain(`- image: ${IMAGE}\n`);
  });

  it('writes the routes, byte for byte what the exec form writes, and a second render changes no byte', () => {
    const image = freshPackage();
    const before = snapshot(image);
    const first = run('kpt', ['fn', 'render', image], { env: tools.env });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain(`[PASS] "${IMAGE}"`);
    expect(first.stderr).toContain('merged 7 fragments into 4 VirtualServices of shop/checkout (checkout, checkout.pre-staging, checkout.production, checkout.staging): 12 routes, 6 subsets');
    const after = snapshot(image);
    expect(before['routes/shop/checkout.yaml']).toBeUndefined();
    expect(routingObjects(after['routes/shop/checkout.yaml']!).map((o) => { const { kind, metadata } = o as { kind: string; metadata: { name: string } }; return `${kind} ${metadata.name}`; }).sort()).toEqual(['DestinationRule checkout', 'VirtualService checkout', 'VirtualService checkout.pre-staging', 'VirtualService checkout.production', 'VirtualService checkout.staging']);

    // The same package with the function as an exec: the bundle on the host's Node.
    const exec = freshPackage();
    writeFileSync(join(exec, 'Kptfile'), readFileSync(join(exec, 'Kptfile'), 'utf8').replace(`- image: ${IMAGE}\n`, '- exec: switchyard\n'));
    const execRun = run('kpt', ['fn', 'render', '--allow-exec', exec], { env: { PATH: `${binFolder()}:${process.env.PATH}` } });
    expect(execRun.status, execRun.stderr).toBe(0);
    expect(withoutKptfile(after)).toEqual(withoutKptfile(snapshot(exec)));
    expect(after['routes/shop/checkout.yaml']).toBe(checkedIn);

    const second = run('kpt', ['fn', 'render', image], { env: tools.env });
    expect(second.status, second.stderr).toBe(0);
    expect(snapshot(image)).toEqual(after);
  });

  it('leaves the checked-in package as it is', () => {
    const dir = copyOf('kpt-image');
    const before = snapshot(dir);
    const result = run('kpt', ['fn', 'render', dir], { env: tools.env });
    expect(result.status, result.stderr).toBe(0);
    expect(snapshot(dir)).toEqual(before);
  });

  it('shows a failed render\'s results through kpt, and writes nothing', () => {
    const dir = freshPackage();
    const file = join(dir, 'fragments/checkout-v3.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('weight: 1}', 'weight: 150}'));
    const before = snapshot(dir);
    const result = run('kpt', ['fn', 'render', dir], { env: tools.env });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`[FAIL] "${IMAGE}"`);
    expect(result.stderr).toContain('RouteFragment shop/checkout-v3 (fragments/checkout-v3.yaml): spec.release.weight is 150; use 100 or less.');
    expect(result.stderr).not.toContain('already exists'); // FACTS.md: unpathed new objects would hide the results
    expect(snapshot(dir)).toEqual(before);
  });

  it('runs once with kpt fn eval --image and the policy as --fn-config', () => {
    const dir = freshPackage();
    const result = run('kpt', ['fn', 'eval', dir, '--image', IMAGE, '--fn-config', join(dir, 'policy.yaml')], { env: tools.env });
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(join(dir, 'routes/shop/checkout.yaml'), 'utf8')).toBe(checkedIn);
  });
});

// What the process inside sees: uid and gid, the network interfaces, and whether it can write
// anywhere but /tmp. Run by the image's own node, in place of the entry point.
const PROBE = `
const fs = require('fs');
const attempt = (path) => { try { fs.writeFileSync(path, 'x'); fs.unlinkSync(path); return 'written'; } catch (e) { return e.code; } };
const places = ['/probe', '/switchyard/probe', '/nodejs/bin/probe', '/etc/probe', '/tmp/probe'];
console.log(JSON.stringify({
  uid: process.getuid(), gid: process.getgid(),
  interfaces: fs.readdirSync('/sys/class/net').sort(),
  writes: Object.fromEntries(places.map((p) => [p, attempt(p)])),
}));`;

describe('the container kpt starts', () => {
  let kptArgs: string[];
  beforeAll(() => {
    const dir = freshPackage();
    const result = run('kpt', ['fn', 'render', dir], { env: tools.env });
    expect(result.status, result.stderr).toBe(0);
    kptArgs = tools.runs().at(-1)!;
  });

  it('is podman run with the image as the last argument: the entry point alone runs the function', () => {
    expect(kptArgs.at(-1)).toBe(IMAGE);
    expect(kptArgs).toEqual(expect.arrayContaining(['--user', 'nobody', '--network', 'none', '--security-opt=no-new-privileges']));
  });

  it('runs as uid 65534 (nobody from the image\'s /etc/passwd), with no network but loopback, and cannot write outside /tmp', () => {
    const probe = [...kptArgs.slice(0, -1), '--entrypoint', '/nodejs/bin/node', IMAGE, '-e', PROBE];
    const result = run('podman', probe, { env: tools.env });
    expect(result.status, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout) as { uid: number; gid: number; interfaces: string[]; writes: Record<string, string> };
    expect({ uid: seen.uid, gid: seen.gid }).toEqual({ uid: 65534, gid: 65534 });
    expect(seen.interfaces).toEqual(['lo']);
    expect(seen.writes).toEqual({
      '/probe': 'EACCES',
      '/switchyard/probe': 'EACCES',
      '/nodejs/bin/probe': 'EACCES',
      '/etc/probe': 'EACCES',
      '/tmp/probe': 'written',
    });
  });

  it('renders the same with a read-only root file system (--read-only, as Kubernetes\' readOnlyRootFilesystem)', () => {
    const dir = freshPackage();
    const source = run('kpt', ['fn', 'source', dir, '--fn-config', join(dir, 'policy.yaml')]);
    expect(source.status, source.stderr).toBe(0);
    const plain = run('podman', kptArgs, { env: tools.env, input: source.stdout });
    const readOnly = run('podman', [...kptArgs.slice(0, -1), '--read-only', '--read-only-tmpfs=false', IMAGE], { env: tools.env, input: source.stdout });
    expect(plain.status, plain.stderr).toBe(0);
    expect(readOnly.status, readOnly.stderr).toBe(0);
    expect(readOnly.stdout).toBe(plain.stdout);
    const items = (parse(readOnly.stdout) as { items: unknown[] }).items;
    expect(routingObjects(items.map((item) => stringify(item)).join('---\n'))).toEqual(routingObjects(checkedIn));
  });
});
