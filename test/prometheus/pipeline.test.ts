// The scheduled canary job of docs/pipelines.md, run as written: canary.sh and push.sh are taken
// from the page, and run in a clone of a local bare "routing repository" against a real
// Prometheus, with `npx switchyard` running this build and a kubectl that records its calls.
// Checks what reaches the remote: one commit per step, the promotion pruning v1 and deleting its
// Deployment, a rollback, and nothing at all when Prometheus cannot decide.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE, requireTool, ROOT, run } from '../e2e/tools.ts';
import { FAST, openMetrics, startPrometheus, type RunningPrometheus, type Workload } from './server.ts';

const END = Math.floor(Date.now() / 1000) - 60;
const NOW = new Date(END * 1000).toISOString();
const workload = (namespace: string, version: string, rps: number, errorRate = 0.001): Workload => ({ namespace, service: 'checkout', version, rps, errorRate, latencyCdf: FAST });

let prometheus: RunningPrometheus;
beforeAll(async () => {
  requireTool(BUNDLE);
  requireTool('git');
  prometheus = await startPrometheus(openMetrics([workload('shop', 'v2', 50), workload('shop', 'v3', 5), workload('other', 'v2', 50), workload('other', 'v3', 5, 0.2)], END - 1800, END));
});
afterAll(() => prometheus?.stop());

/** A shell script of docs/pipelines.md, by its first comment line. */
function scriptFromDocs(name: string): string {
  const docs = readFileSync(join(ROOT, 'docs/pipelines.md'), 'utf8');
  const match = new RegExp('```sh\\n(#!/bin/sh\\n# ' + name.replace('.', '\\.') + '[^]*?)```').exec(docs);
  if (!match) throw new Error(`docs/pipelines.md has no ${name}`);
  return match[1]!;
}

const release = (name: string, namespace: string, subset: string, revision: number, weight?: number) =>
  `apiVersion: switchyard.dev/v1alpha1\nkind: RouteFragment\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n  service: checkout\n  subset: {name: ${subset}, labels: {app: checkout, version: ${subset}}}\n  release: {environment: production, revision: ${revision}${weight === undefined ? '' : `, weight: ${weight}`}}\n`;

/** A routing repository (bare remote and clone) whose files were committed an hour ago. */
function routing(files: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), 'switchyard-routing-'));
  const git = (cwd: string, ...args: string[]) => {
    const result = run('git', args, { cwd, env: { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', GIT_AUTHOR_DATE: '@' + (END - 3600), GIT_COMMITTER_DATE: '@' + (END - 3600) } });
    if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  git(root, 'init', '--quiet', '--bare', '--initial-branch=main', 'origin.git');
  git(root, 'clone', '--quiet', 'origin.git', 'work');
  const work = join(root, 'work');
  mkdirSync(join(work, 'fragments'));
  for (const [path, text] of Object.entries(files)) writeFileSync(join(work, path), text);
  for (const script of ['push.sh', 'canary.sh']) {
    writeFileSync(join(work, script), scriptFromDocs(script));
    chmodSync(join(work, script), 0o755);
  }
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'start');
  git(work, 'push', '--quiet', 'origin', 'HEAD:main');
  // The tools the job has on its runner: npx switchyard (this build), and a kubectl that records.
  const bin = join(root, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'npx'), `#!/bin/sh\n[ "$1" = switchyard ] && shift\nexec node ${BUNDLE} "$@"\n`);
  writeFileSync(join(bin, 'kubectl'), `#!/bin/sh\necho "$@" >> ${join(root, 'kubectl.log')}\n`);
  chmodSync(join(bin, 'npx'), 0o755);
  chmodSync(join(bin, 'kubectl'), 0o755);
  const canary = (url = prometheus.url) =>
    run('./canary.sh', [], { cwd: work, env: { PATH: `${bin}:${process.env.PATH}`, PROMETHEUS_URL: url, CANARY_FLAGS: `--now ${NOW}`, SUMMARY: join(root, 'summary.md') } });
  const remote = (...args: string[]) => git(join(root, 'origin.git'), ...args);
  const kubectl = () => (existsSync(join(root, 'kubectl.log')) ? readFileSync(join(root, 'kubectl.log'), 'utf8') : '');
  return { canary, remote, kubectl, summary: () => readFileSync(join(root, 'summary.md'), 'utf8') };
}

describe('canary.sh from docs/pipelines.md', () => {
  it('promotes a healthy canary at 50%, prunes v1 and its Deployment, and pushes one commit', () => {
    const repo = routing({
      'fragments/checkout-v1.yaml': release('checkout-v1', 'shop', 'v1', 1),
      'fragments/checkout-v2.yaml': release('checkout-v2', 'shop', 'v2', 2),
      'fragments/checkout-production-v3.yaml': release('checkout-production-v3', 'shop', 'v3', 3, 50),
    });
    const result = repo.canary();
    expect(result.stderr).toBe('info: pruned 1 of 3 fragment files.\n');
    expect(result.status).toBe(0);
    expect(repo.remote('log', '--format=%s', 'main')).toBe('canary: checkout-production-v3 promoted; older releases pruned\nstart\n');
    expect(repo.remote('ls-tree', '--name-only', 'main', 'fragments/')).toBe('fragments/checkout-production-v3.yaml\nfragments/checkout-v2.yaml\n');
    expect(repo.remote('show', 'main:fragments/checkout-production-v3.yaml')).toBe(release('checkout-production-v3', 'shop', 'v3', 3));
    expect(repo.kubectl()).toBe('delete deployment -n shop checkout-v1 --ignore-not-found\n');
    expect(repo.summary()).toContain('### Canary shop/checkout-production-v3: promoted (50% -\\> stable)');
  });

  it('advances a healthy canary one step, rolls back a failing one, and leaves the stable ones alone', () => {
    const repo = routing({
      'fragments/checkout-v2.yaml': release('checkout-v2', 'shop', 'v2', 2),
      'fragments/checkout-production-v3.yaml': release('checkout-production-v3', 'shop', 'v3', 3, 1),
      'fragments/other-v2.yaml': release('other-v2', 'other', 'v2', 2),
      'fragments/other-production-v3.yaml': release('other-production-v3', 'other', 'v3', 3, 5),
    });
    expect(repo.canary().status).toBe(0);
    expect(repo.remote('log', '--format=%s', 'main')).toBe('canary: other-production-v3 rolled back\ncanary: checkout-production-v3 advanced\nstart\n');
    expect(repo.remote('show', 'main:fragments/checkout-production-v3.yaml')).toContain('weight: 5}');
    expect(repo.remote('show', 'main:fragments/other-production-v3.yaml')).toContain('weight: 0}');
    // The next run comes too soon after those steps: each is judged only once it has settled.
    const again = repo.canary();
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('checkout-production-v3.yaml: its last step is younger than 600 s');
    expect(repo.remote('rev-list', '--count', 'main')).toBe('3\n');
  });

  it('commits nothing and fails the job when Prometheus is down', () => {
    const repo = routing({
      'fragments/checkout-v2.yaml': release('checkout-v2', 'shop', 'v2', 2),
      'fragments/checkout-production-v3.yaml': release('checkout-production-v3', 'shop', 'v3', 3, 25),
    });
    const result = repo.canary('http://127.0.0.1:9');
    expect(result.status).toBe(1);
    expect(repo.remote('log', '--format=%s', 'main')).toBe('start\n');
    expect(repo.summary()).toContain('could not decide; stays at 25%');
  });
});
