// What the built image is, read from podman: the settings the Dockerfile promises, the files the
// final stage adds to its base (exactly three, the bundle byte for byte the one the tests run), and
// what the stand-in final base does and does not hold (docs/distribution.md says why it stands in).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseNames, NODE_VERSION, STAND_IN_LABEL } from '../../scripts/image/bases.mjs';
import { BUNDLE, ROOT } from '../e2e/tools.ts';
import { IMAGE, imageTools, podman, type ImageTools } from './tools.ts';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; license: string; repository: { url: string } };
const REPOSITORY = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
const bases = baseNames();

let tools: ImageTools;
beforeAll(() => {
  tools = imageTools();
});

interface ImageConfig {
  Config: { User?: string; Entrypoint?: string[] | null; Cmd?: string[] | null; WorkingDir?: string; Labels?: Record<string, string>; Env?: string[] };
}
const inspect = (image: string) => (JSON.parse(podman(['image', 'inspect', image])) as ImageConfig[])[0]!.Config;

/** The files of an image's root file system, with their content, by exporting a container made from it. */
function filesOf(image: string): Map<string, { type: string; mode: string; owner: string }> {
  const id = podman(['create', image]).trim();
  try {
    const listing = spawnSync('sh', ['-c', `podman export '${id}' | tar -tv --numeric-owner`], { env: tools.env, encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(listing.status, listing.stderr).toBe(0);
    const files = new Map<string, { type: string; mode: string; owner: string }>();
    for (const line of listing.stdout.trim().split('\n')) {
      const [mode, owner, , , , ...rest] = line.split(/\s+/);
      const path = `/${rest.join(' ').replace(/ -> .*$/, '').replace(/^\.?\//, '').replace(/\/$/, '')}`;
      files.set(path, { type: mode!.charAt(0), mode: mode!, owner: owner! });
    }
    return files;
  } finally {
    podman(['rm', id]);
  }
}

/** One file's bytes, read from a container of the image. */
function fileIn(image: string, path: string): Buffer {
  const result = spawnSync('podman', ['run', '--rm', '--network', 'none', '--entrypoint', '/nodejs/bin/node', image, '-e', `process.stdout.write(require('fs').readFileSync(${JSON.stringify(path)}))`], { env: tools.env, maxBuffer: 1 << 28 });
  expect(result.status, result.stderr.toString()).toBe(0);
  return result.stdout;
}

describe('localhost/switchyard:dev, as built from the Dockerfile', () => {
  it('runs as 65534:65534, with node and the bundle as its entry point, no CMD, in /', () => {
    const config = inspect(IMAGE);
    expect(config.User).toBe('65534:65534');
    expect(config.Entrypoint).toEqual(['/nodejs/bin/node', '/switchyard/switchyard.cjs']);
    expect(config.Cmd ?? []).toEqual([]);
    expect(config.WorkingDir).toBe('/');
  });

  it('carries the OCI labels: source, version (package.json), licence, title, description', () => {
    const labels = inspect(IMAGE).Labels ?? {};
    expect(labels['org.opencontainers.image.version']).toBe(pkg.version);
    expect(labels['org.opencontainers.image.licenses']).toBe(pkg.license);
    expect(labels['org.opencontainers.image.source']).toBe(REPOSITORY);
    expect(labels['org.opencontainers.image.title']).toBe('switchyard');
    expect(labels['org.opencontainers.image.description']).toBeTruthy();
    expect(labels[STAND_IN_LABEL], 'built on the stand-in final base, and says so').toBeTruthy();
  });

  it('adds exactly the bundle, its third-party notices and the licence to its base, read-only for nobody', () => {
    const base = filesOf(bases.final);
    const added = [...filesOf(IMAGE)].filter(([path]) => !base.has(path));
    expect(added.map(([path, f]) => `${path} ${f.type} ${f.owner}`).sort()).toEqual([
      '/switchyard d 0/0',
      '/switchyard/LICENSE - 0/0',
      '/switchyard/THIRD-PARTY-NOTICES.txt - 0/0',
      '/switchyard/switchyard.cjs - 0/0',
    ]);
    for (const [path, f] of added) expect(f.mode.slice(-3), path).not.toMatch(/w/); // others: no write
  });

  it('runs the bundle the tests run: its build stage (npm ci from the lock file, npm run build) made dist/switchyard.cjs byte for byte', () => {
    const inImage = fileIn(IMAGE, '/switchyard/switchyard.cjs');
    expect(inImage.equals(readFileSync(BUNDLE)), 'the image holds another bundle than dist/switchyard.cjs: run npm run build, then npm run image').toBe(true);
    expect(fileIn(IMAGE, '/switchyard/THIRD-PARTY-NOTICES.txt').equals(readFileSync(join(ROOT, 'dist/THIRD-PARTY-NOTICES.txt')))).toBe(true);
    expect(fileIn(IMAGE, '/switchyard/LICENSE').equals(readFileSync(join(ROOT, 'LICENSE')))).toBe(true);
  });

  it('prints the version with `switchyard --version` and the function\'s help with `fn --help`', () => {
    const version = run(['--version']);
    expect(version.stdout.trim()).toBe(pkg.version);
    const help = run(['fn', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('RoutingPolicy');
  });
});

function run(args: string[]) {
  const result = spawnSync('podman', ['run', '--rm', '--network', 'none', IMAGE, ...args], { env: tools.env, encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return result;
}

describe('the stand-in bases, under the names the Dockerfile gives', () => {
  it('are the Node 24 bases: node:24-bookworm-slim to build, distroless nodejs24-debian12 to run', () => {
    expect(bases.build).toBe('docker.io/library/node:24-bookworm-slim');
    expect(bases.final).toMatch(/^gcr\.io\/distroless\/nodejs24-debian12:latest$/);
    expect(inspect(bases.build).Labels?.[STAND_IN_LABEL]).toBeTruthy();
    expect(inspect(bases.final).Labels?.[STAND_IN_LABEL]).toBeTruthy();
  });

  it('final base: Node 24 at /nodejs/bin/node, CA certificates, nobody as 65534; no shell, no package manager', () => {
    const files = filesOf(bases.final);
    expect(files.get('/nodejs/bin/node')?.type).toBe('-');
    expect(files.has('/etc/ssl/certs/ca-certificates.crt')).toBe(true);
    const shells = [...files.keys()].filter((p) => /\/(sh|bash|dash|busybox)$/.test(p));
    const managers = [...files.keys()].filter((p) => /\/(apt|apt-get|dpkg|npm|npx|corepack)$/.test(p) || p.includes('/node_modules'));
    expect(shells).toEqual([]);
    expect(managers).toEqual([]);
    const passwd = fileIn(bases.final, '/etc/passwd').toString();
    expect(passwd).toMatch(/^nobody:x:65534:65534:/m);
    const node = spawnSync('podman', ['run', '--rm', '--network', 'none', bases.final, '--version'], { env: tools.env, encoding: 'utf8' });
    expect(node.stdout.trim()).toBe(`v${NODE_VERSION}`);
    const shell = spawnSync('podman', ['run', '--rm', '--network', 'none', '--entrypoint', '/bin/sh', IMAGE, '-c', 'true'], { env: tools.env, encoding: 'utf8' });
    expect(shell.status).not.toBe(0);
  });

  it('final base: Debian\'s CA certificates, named by SSL_CERT_FILE as distroless does, and node as the entry point', () => {
    const config = inspect(bases.final);
    expect(config.Env).toContain('SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt');
    expect(config.Entrypoint).toEqual(['/nodejs/bin/node']);
    const count = fileIn(bases.final, '/etc/ssl/certs/ca-certificates.crt').toString().match(/BEGIN CERTIFICATE/g)?.length ?? 0;
    expect(count).toBeGreaterThan(100);
  });

  it('build base: Node 24 and npm on PATH, and a shell for RUN', () => {
    const result = spawnSync('podman', ['run', '--rm', '--network', 'none', bases.build, 'sh', '-c', 'node --version && npm --version'], { env: tools.env, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe(`v${NODE_VERSION}`);
  });
});
