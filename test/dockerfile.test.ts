// The Dockerfile's promises, checked without a Docker engine (there is none on our machines): read
// the file, and rebuild its build stage from exactly the build context .dockerignore lets through.
// What this cannot check (pulling the bases, Node 24 itself, distroless's /nodejs/bin/node and its
// nobody user) is listed in docs/distribution.md.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { copiesOf, destinationsOf, entrypointOf, instructionsOf, labelsOf, parseDockerfile, workdirOf } from './docker/dockerfile.ts';
import { BUNDLE, ROOT } from './e2e/tools.ts';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; license: string; repository: { url: string }; scripts: Record<string, string> };
const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const [build, final] = [stages[0]!, stages.at(-1)!];
const IMAGE = (parse(readFileSync(join(ROOT, 'functions/switchyard/metadata.yaml'), 'utf8')) as { image: string }).image;
const REPOSITORY = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');

/** Where a path of the final image comes from: the build stage's file (as a repository path) or the context's. */
function originOf(imagePath: string): { stage?: string; path: string } | undefined {
  for (const copy of copiesOf(final)) {
    for (const { source, target } of destinationsOf(copy, workdirOf(final))) {
      if (target !== imagePath) continue;
      const from = copy.from === undefined ? undefined : stages.find((s) => s.name === copy.from);
      return from ? { stage: from.name!, path: posix.relative(workdirOf(from), posix.resolve(workdirOf(from), source)) } : { path: source };
    }
  }
  return undefined;
}

describe('Dockerfile: the image', () => {
  it('has a build stage and a final stage, both on Node 24 (the current LTS)', () => {
    expect(stages).toHaveLength(2);
    expect(build.name).toBe('build');
    expect(build.image).toMatch(/^node:24(\.\d+)*-(bookworm|trixie)-slim$/);
    expect(build.platform).toBe('$BUILDPLATFORM'); // the bundle is plain JavaScript: build it natively for every target
    expect(final.image).toMatch(/^gcr\.io\/distroless\/nodejs24-debian1[23](:[\w.-]+|@sha256:[0-9a-f]{64})$/);
  });

  it('runs as nobody, never as root', () => {
    const users = instructionsOf(final, 'USER');
    expect(users.map((u) => u.args)).toEqual(['65534:65534']); // nobody in distroless's /etc/passwd
  });

  it('has the KRM function as its entry point: node and the bundle, no arguments, no CMD', () => {
    const [node, script, ...args] = entrypointOf(final);
    expect(node).toBe('/nodejs/bin/node'); // where distroless keeps node
    expect(args).toEqual([]); // kpt and kustomize pass none; with stdin not a terminal the program runs the function
    expect(instructionsOf(final, 'CMD')).toEqual([]);
    expect(originOf(script!)).toEqual({ stage: 'build', path: 'dist/switchyard.cjs' });
  });

  it('runs exactly the bundle the end-to-end tests run, and it exists in the build output', () => {
    const script = entrypointOf(final)[1]!;
    expect(join(ROOT, originOf(script)!.path)).toBe(BUNDLE);
    expect(statSync(BUNDLE).isFile()).toBe(true);
  });

  it('copies nothing else into the final image: the bundle, its third-party notices and the licence', () => {
    const copied = copiesOf(final).flatMap((c) => destinationsOf(c, workdirOf(final)).map(({ source, target }) => `${c.from ?? 'context'}:${source} -> ${target}`));
    expect(copied).toEqual([
      'build:/app/dist/switchyard.cjs -> /switchyard/switchyard.cjs',
      'build:/app/dist/THIRD-PARTY-NOTICES.txt -> /switchyard/THIRD-PARTY-NOTICES.txt',
      'context:LICENSE -> /switchyard/LICENSE',
    ]);
    expect(instructionsOf(final, 'RUN')).toEqual([]);
    expect(instructionsOf(final, 'ADD')).toEqual([]);
    expect(existsSync(join(ROOT, 'dist/THIRD-PARTY-NOTICES.txt'))).toBe(true);
  });

  it('works in / so that a relative spec.fragmentsFrom finds a folder mounted at /fragments', () => {
    expect(workdirOf(final)).toBe('/');
  });

  it('carries the OCI labels: source, version (package.json), licence, title', () => {
    const labels = labelsOf(final);
    expect(labels['org.opencontainers.image.version']).toBe(pkg.version);
    expect(labels['org.opencontainers.image.licenses']).toBe(pkg.license);
    expect(labels['org.opencontainers.image.source']).toBe(REPOSITORY);
    expect(labels['org.opencontainers.image.title']).toBe('switchyard');
    expect(labels['org.opencontainers.image.description']).toBeTruthy();
  });

  it('builds the bundle the way npm test does: npm ci from the lock file, then npm run build', () => {
    expect(instructionsOf(build, 'RUN').map((r) => r.args)).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
    expect(pkg.scripts.build).toBe('node scripts/build.mjs');
    expect(pkg.scripts.test).toMatch(/^npm run build /);
  });
});

/** The build context Docker sends: the files .dockerignore lets through (the patterns our file uses). */
function buildContext(): string[] {
  const rules = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const rule of rules) if (!/^!?[\w./-]+\/?$/.test(rule) && rule !== '*') throw new Error(`.dockerignore rule ${rule} is not understood by this test`);
  const included = (path: string): boolean => {
    let keep = true;
    for (const rule of rules) {
      const negated = rule.startsWith('!');
      const pattern = (negated ? rule.slice(1) : rule).replace(/\/$/, '');
      if (pattern === '*' || path === pattern || path.startsWith(`${pattern}/`)) keep = negated;
    }
    return keep;
  };
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(ROOT, dir)).sort()) {
      const path = dir ? `${dir}/${name}` : name;
      if (['.git', 'node_modules'].includes(path)) continue;
      if (statSync(join(ROOT, path)).isDirectory()) walk(path);
      else if (included(path)) files.push(path);
    }
  };
  walk('');
  return files;
}

describe('Dockerfile: the build stage, replayed from the build context', () => {
  const context = buildContext();

  it('sends only the lock file, the sources, the build scripts, the function README and the licence', () => {
    const tops = [...new Set(context.map((f) => f.split('/')[0]))].sort();
    expect(tops).toEqual(['LICENSE', 'functions', 'package-lock.json', 'package.json', 'scripts', 'src', 'tsconfig.json']);
    expect(context.filter((f) => f.startsWith('src/schema/generated/') || f.startsWith('src/cli/generated/') || f.startsWith('dist/'))).toEqual([]);
  });

  it('makes a bundle identical to dist/switchyard.cjs from the files its COPY lines take from that context', () => {
    // The stage's WORKDIR, rebuilt in a scratch folder: its COPY lines applied to the context, then
    // `npm run build` (node scripts/build.mjs). `npm ci` installs exactly the lock file: the
    // repository's node_modules, installed by npm ci from the same lock, stands in for it.
    const app = mkdtempSync(join(tmpdir(), 'switchyard-docker-build-'));
    const copies = copiesOf(build);
    expect(copies.every((c) => c.from === undefined)).toBe(true);
    for (const copy of copies) {
      for (const source of copy.sources) {
        const files = context.filter((f) => f === source.replace(/\/$/, '') || f.startsWith(source.endsWith('/') ? source : `${source}/`));
        expect(files.length, `COPY ${source}: nothing in the build context`).toBeGreaterThan(0);
        const dest = posix.resolve(workdirOf(build), copy.destination);
        for (const file of files) {
          const target = copy.sources.length > 1 || !source.endsWith('/') ? posix.join(dest, relative(posix.dirname(source.replace(/\/$/, '')), file)) : posix.join(dest, relative(source, file));
          const at = join(app, posix.relative(workdirOf(build), target));
          mkdirSync(join(at, '..'), { recursive: true });
          cpSync(join(ROOT, file), at);
        }
      }
    }
    symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
    const result = spawnSync('node', ['scripts/build.mjs'], { cwd: app, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    // esbuild names modules by path; the stand-in node_modules lives elsewhere than /app/node_modules.
    const elsewhere = `${relative(app, join(ROOT, 'node_modules'))}/`;
    const rebuilt = readFileSync(join(app, 'dist/switchyard.cjs'), 'utf8').replaceAll(elsewhere, 'node_modules/');
    const tested = readFileSync(BUNDLE, 'utf8');
    const firstDifference = rebuilt.split('\n').findIndex((line, i) => line !== tested.split('\n')[i]);
    expect(rebuilt === tested, `the image would run another bundle than the tests (first difference at line ${firstDifference + 1}; is dist/ stale? npm run build)`).toBe(true);
    expect(readFileSync(join(app, 'dist/THIRD-PARTY-NOTICES.txt'), 'utf8')).toBe(readFileSync(join(ROOT, 'dist/THIRD-PARTY-NOTICES.txt'), 'utf8'));
  });
});

describe('the image name and version, everywhere they are written', () => {
  const files = ['README.md', 'Dockerfile', 'functions/switchyard/README.md', ...['docs', 'examples'].flatMap((d) => readdirSync(join(ROOT, d), { recursive: true, encoding: 'utf8' }).map((f) => `${d}/${f}`))]
    .filter((f) => statSync(join(ROOT, f)).isFile());

  it('functions/switchyard/metadata.yaml names the image and the licence, and its URLs point into this repository', () => {
    const meta = parse(readFileSync(join(ROOT, 'functions/switchyard/metadata.yaml'), 'utf8')) as Record<string, unknown>;
    expect(meta.image).toMatch(/^[a-z0-9.-]+\/[a-z0-9-]+\/switchyard$/);
    expect(meta.license).toBe(pkg.license);
    expect(meta.description).toBeTruthy();
    expect(meta.tags).toContain('mutator');
    const urls = [meta.sourceURL as string, ...(meta.examplePackageURLs as string[])];
    for (const url of urls) {
      expect(url.startsWith(`${REPOSITORY}/tree/main/`), url).toBe(true);
      expect(existsSync(join(ROOT, url.slice(`${REPOSITORY}/tree/main/`.length))), url).toBe(true);
    }
  });

  it(`every tagged reference to the image carries package.json's version`, () => {
    const references = files.flatMap((f) => [...readFileSync(join(ROOT, f), 'utf8').matchAll(new RegExp(`${IMAGE.replaceAll('.', '\\.')}:[\\w.-]*\\w`, 'g'))].map((m) => `${f}: ${m[0]}`));
    expect(references.length).toBeGreaterThan(3);
    expect(references.filter((r) => !r.endsWith(`${IMAGE}:${pkg.version}`))).toEqual([]);
  });
});
