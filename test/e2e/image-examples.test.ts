// The examples that run the image (examples/kpt-image, examples/kustomize-container), through the
// real kpt, standalone kustomize 4.5.4 and kubectl. There is no Docker engine here, so each runs
// twice: in its exec form (the image reference rewritten to the bundle the image runs), and in its
// container form against a stand-in `docker` (test/docker/fake-docker.mjs) that runs the
// Dockerfile's final stage as a plain process. The second shows what kpt and kustomize really
// pass to docker (user, network, mounts) and that the image's entry point, working folder and
// user make the example work; it is not a container (docs/distribution.md says what is not checked).
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { assembleImage, parseDockerfile, writeImageTable } from '../docker/dockerfile.ts';
import { binFolder, BUNDLE, copyOf, KUSTOMIZE, requireTool, ROOT, routingObjects, run, snapshot } from './tools.ts';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const IMAGE = `${(parse(readFileSync(join(ROOT, 'functions/switchyard/metadata.yaml'), 'utf8')) as { image: string }).image}:${VERSION}`;
const checkedIn = (...path: string[]) => readFileSync(join(ROOT, 'examples', ...path), 'utf8');
const renderExpected = () => routingObjects(checkedIn('render', 'expected.yaml'));

/** A scratch copy that the user nobody can read, as a container run with --user nobody must. */
function readableCopyOf(example: string): string {
  const dir = copyOf(example);
  chmodSync(dir, 0o755);
  return dir;
}

/** The Kptfile's `image:` function as an exec function: the same bundle, found on PATH. */
function kptExecForm(dir: string): void {
  const kptfile = readFileSync(join(dir, 'Kptfile'), 'utf8');
  expect(kptfile).toContain(`- image: ${IMAGE}\n`);
  writeFileSync(join(dir, 'Kptfile'), kptfile.replace(`- image: ${IMAGE}\n`, '- exec: switchyard\n'));
}

/** The policy's `container:` function annotation as an exec function of the same bundle. */
function kustomizeExecForm(dir: string): void {
  const policy = readFileSync(join(dir, 'policy.yaml'), 'utf8');
  const container = /container:\n(?: {8}.*\n)+/;
  expect(policy).toMatch(container);
  writeFileSync(join(dir, 'policy.yaml'), policy.replace(container, `exec:\n        path: ${BUNDLE}\n`));
}

describe('exec form of examples/kpt-image (kpt fn render --allow-exec)', () => {
  beforeAll(() => requireTool('kpt'));
  const env = () => ({ PATH: `${binFolder()}:${process.env.PATH}` });

  it('writes the checked-in routes/shop/checkout.yaml, and a second render changes no byte', () => {
    const dir = copyOf('kpt-image');
    kptExecForm(dir);
    rmSync(join(dir, 'routes'), { recursive: true });
    const first = run('kpt', ['fn', 'render', '--allow-exec', dir], { env: env() });
    expect(first.status, first.stderr).toBe(0);
    const after = snapshot(dir);
    expect(after['routes/shop/checkout.yaml']).toBe(checkedIn('kpt-image', 'routes', 'shop', 'checkout.yaml'));
    expect(routingObjects(after['routes/shop/checkout.yaml']!)).toEqual(renderExpected());
    const second = run('kpt', ['fn', 'render', '--allow-exec', dir], { env: env() });
    expect(second.status, second.stderr).toBe(0);
    expect(snapshot(dir)).toEqual(after);
  });
});

describe('exec form of examples/kustomize-container (kustomize 4.5.4 --enable-exec)', () => {
  it('adds the checked-in routes to the build output', () => {
    requireTool(KUSTOMIZE);
    const dir = copyOf('kustomize-container');
    kustomizeExecForm(dir);
    const result = run(KUSTOMIZE, ['build', '--enable-alpha-plugins', '--enable-exec', dir]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(checkedIn('kustomize-container', 'expected.yaml'));
    expect(routingObjects(result.stdout)).toEqual(renderExpected());
    expect(result.stdout).not.toContain('RouteFragment');
  });

  it('gives the same output as the exec example, examples/kustomize', () => {
    expect(checkedIn('kustomize-container', 'expected.yaml')).toBe(checkedIn('kustomize', 'expected.yaml'));
  });
});

describe('container form, with a stand-in docker that runs the Dockerfile\'s final stage', () => {
  let env: NodeJS.ProcessEnv;
  let log: string;
  const dockerRuns = () =>
    readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { cwd: string; args: string[] })
      .filter((c) => c.args[0] === 'run');

  beforeAll(() => {
    requireTool('kpt');
    requireTool(BUNDLE);
    const image = assembleImage(parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')), ROOT, ROOT);
    const bin = mkdtempSync(join(tmpdir(), 'switchyard-docker-bin-'));
    writeFileSync(join(bin, 'docker'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'test/docker/fake-docker.mjs')}" "$@"\n`, { mode: 0o755 });
    log = join(mkdtempSync(join(tmpdir(), 'switchyard-docker-log-')), 'calls.jsonl');
    appendFileSync(log, '');
    env = { PATH: `${bin}:${process.env.PATH}`, FAKE_DOCKER_IMAGES: writeImageTable({ [IMAGE]: image }), FAKE_DOCKER_LOG: log };
  });

  it('kpt fn render runs the image as nobody with no network, and writes the checked-in routes', () => {
    const dir = readableCopyOf('kpt-image');
    rmSync(join(dir, 'routes'), { recursive: true });
    const result = run('kpt', ['fn', 'render', dir], { env });
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(join(dir, 'routes/shop/checkout.yaml'), 'utf8')).toBe(checkedIn('kpt-image', 'routes', 'shop', 'checkout.yaml'));
    const [call] = dockerRuns().slice(-1);
    expect(call!.args).toEqual(expect.arrayContaining(['--user', 'nobody', '--network', 'none', IMAGE]));
    expect(call!.args.at(-1)).toBe(IMAGE); // no arguments after the image: the entry point alone runs the function
  });

  it('kpt fn eval --image runs it once with the policy as --fn-config', () => {
    const dir = readableCopyOf('kpt-image');
    rmSync(join(dir, 'routes'), { recursive: true });
    const result = run('kpt', ['fn', 'eval', dir, '--image', IMAGE, '--fn-config', join(dir, 'policy.yaml')], { env });
    expect(result.status, result.stderr).toBe(0);
    expect(routingObjects(readFileSync(join(dir, 'routes/shop/checkout.yaml'), 'utf8'))).toEqual(renderExpected());
  });

  it('kustomize 4.5.4 ignores the annotation\'s mounts (kustomize #4290): without --mount the function finds no fragments', () => {
    requireTool(KUSTOMIZE);
    const dir = readableCopyOf('kustomize-container');
    const result = run(KUSTOMIZE, ['build', '--enable-alpha-plugins', dir], { env });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('spec.fragmentsFrom names fragments, which is not a folder here');
    expect(dockerRuns().at(-1)!.args).not.toContain('--mount');
  });

  it('kustomize 4.5.4 with --mount of the fragments folder at /fragments builds the checked-in output', () => {
    const dir = readableCopyOf('kustomize-container');
    const result = run(KUSTOMIZE, ['build', '--enable-alpha-plugins', '--mount', `type=bind,src=${dir}/fragments,dst=/fragments`, dir], { env });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(checkedIn('kustomize-container', 'expected.yaml'));
    const call = dockerRuns().at(-1)!;
    expect(call.args).toEqual(expect.arrayContaining(['--user', 'nobody', '--network', 'none', '--mount', `type=bind,source=${dir}/fragments,target=/fragments,readonly`]));
  });

  it('kubectl kustomize (kustomize v5) mounts the folder the annotation names, relative to the kustomization', () => {
    requireTool('kubectl');
    const dir = readableCopyOf('kustomize-container');
    const result = run('kubectl', ['kustomize', '--enable-alpha-plugins', dir], { env });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(checkedIn('kustomize-container', 'expected.yaml'));
    expect(dockerRuns().at(-1)!.args).toEqual(expect.arrayContaining(['--mount', `type=bind,source=${dir}/fragments,target=/fragments,readonly`]));
  });

  it('the stand-in refuses an image it was not given, so a wrong reference in an example would fail', () => {
    const result = run('docker', ['run', '--rm', '-i', `${IMAGE}-other`], { env, input: '' });
    expect(result.status).toBe(125);
    expect(existsSync(log)).toBe(true);
  });
});
