// Flux: render in CI, publish to a branch of rendered manifests (deploy/flux/publish-rendered.sh),
// tested against a local bare repository standing for the Git server that Flux's GitRepository
// follows. The branch must hold exactly what `switchyard render` prints, prove its routes with
// `check --rendered`, move only when the routes change, and say which commit it came from.
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binFolder, BUNDLE, requireTool, ROOT, run } from './tools.ts';
import { branchYaml } from '../commands/workspace.ts';

const SCRIPT = join(ROOT, 'deploy/flux/publish-rendered.sh');
const BRANCH = 'rendered-manifests';
const scratch: string[] = [];
let home: string;
let env: NodeJS.ProcessEnv;
let bare: string;
let source: string;

const git = (cwd: string, ...args: string[]) => {
  const result = run('git', args, { cwd, env });
  expect(result.status, `git ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout.trim();
};
const publish = () => run('sh', [SCRIPT, BRANCH, 'policy.yaml', 'fragments'], { cwd: source, env });
/** What the branch holds, read from the bare repository itself. */
const onBranch = (path: string) => git(bare, 'show', `refs/heads/${BRANCH}:${path}`);

beforeAll(() => {
  requireTool('git');
  requireTool(BUNDLE);
  home = mkdtempSync(join(tmpdir(), 'switchyard-flux-home-'));
  const bin = binFolder();
  scratch.push(home, bin);
  env = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'CI',
    GIT_AUTHOR_EMAIL: 'ci@example.com',
    GIT_COMMITTER_NAME: 'CI',
    GIT_COMMITTER_EMAIL: 'ci@example.com',
  };
  bare = join(home, 'routing.git');
  git(home, 'init', '--quiet', '--bare', bare);
  source = join(home, 'routing');
  mkdirSync(source);
  git(source, 'init', '--quiet', '-b', 'main');
  cpSync(join(ROOT, 'examples/render/fragments'), join(source, 'fragments'), { recursive: true });
  cpSync(join(ROOT, 'examples/render/policy.yaml'), join(source, 'policy.yaml'));
  git(source, 'add', '.');
  git(source, 'commit', '--quiet', '-m', 'fragments');
  git(source, 'remote', 'add', 'origin', bare);
  git(source, 'push', '--quiet', 'origin', 'main');
});

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe('publish-rendered.sh: render in CI, publish a branch for Flux', () => {
  it('creates the branch with rendered.yaml alone: what render prints, every route proven', () => {
    const first = publish();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^pushed [0-9a-f]{40} to ${BRANCH}`));
    expect(git(bare, 'ls-tree', '--name-only', `refs/heads/${BRANCH}`)).toBe('rendered.yaml');
    const rendered = run('node', [BUNDLE, 'render', 'policy.yaml', 'fragments'], { cwd: source });
    expect(`${onBranch('rendered.yaml')}\n`).toBe(rendered.stdout);
    expect(rendered.stdout).toContain('name: branch:checkout-feature-jp12');
    expect(git(bare, 'log', '-1', '--format=%s', `refs/heads/${BRANCH}`)).toBe(`Routes rendered by switchyard from ${git(source, 'rev-parse', '--short', 'HEAD')}`);
    // What Flux would apply holds every live fragment's route.
    const out = join(home, 'from-branch.yaml');
    writeFileSync(out, `${onBranch('rendered.yaml')}\n`);
    const proof = run('node', [BUNDLE, 'check', '--rendered', out, 'policy.yaml', 'fragments'], { cwd: source });
    expect(proof.status, proof.stderr).toBe(0);
    // The source branch and working tree are untouched.
    expect(git(source, 'status', '--porcelain')).toBe('');
    expect(git(bare, 'rev-parse', 'refs/heads/main')).toBe(git(source, 'rev-parse', 'HEAD'));
  });

  it('pushes nothing when the routes did not change', () => {
    const before = git(bare, 'rev-parse', `refs/heads/${BRANCH}`);
    const again = publish();
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to push');
    expect(git(bare, 'rev-parse', `refs/heads/${BRANCH}`)).toBe(before);
  });

  it('a new fragment makes a new commit on top of the last one, with its route', () => {
    const before = git(bare, 'rev-parse', `refs/heads/${BRANCH}`);
    writeFileSync(join(source, 'fragments/checkout-feature-xy99.yaml'), branchYaml('checkout-feature-xy99', 'feature-xy99'));
    git(source, 'add', '.');
    git(source, 'commit', '--quiet', '-m', 'a branch build');
    const next = publish();
    expect(next.status, next.stderr).toBe(0);
    expect(git(bare, 'rev-parse', `refs/heads/${BRANCH}^`)).toBe(before);
    expect(onBranch('rendered.yaml')).toContain('name: branch:checkout-feature-xy99');
  });

  it('publishes nothing when the render fails, and says why', () => {
    const before = git(bare, 'rev-parse', `refs/heads/${BRANCH}`);
    writeFileSync(join(source, 'fragments/checkout-v9.yaml'), readFileSync(join(source, 'fragments/checkout-v3.yaml'), 'utf8').replace('name: checkout-v3', 'name: checkout-v9').replace(/weight: \d+/, 'weight: 150'));
    const failed = publish();
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain('RouteFragment shop/checkout-v9 (fragments/checkout-v9.yaml): spec.release.weight');
    expect(git(bare, 'rev-parse', `refs/heads/${BRANCH}`)).toBe(before);
    rmSync(join(source, 'fragments/checkout-v9.yaml'));
  });

  it('when its push is refused (another pipeline pushed first), fetches and tries again', () => {
    // A pre-receive hook on the bare repository refuses the first push it sees, once.
    const marker = join(home, 'refused-once');
    const hook = join(bare, 'hooks/pre-receive');
    writeFileSync(hook, `#!/bin/sh\nif [ ! -e '${marker}' ]; then touch '${marker}'; echo 'refused: another push came first' >&2; exit 1; fi\n`);
    chmodSync(hook, 0o755);
    writeFileSync(join(source, 'fragments/checkout-feature-zz01.yaml'), branchYaml('checkout-feature-zz01', 'feature-zz01'));
    git(source, 'add', '.');
    git(source, 'commit', '--quiet', '-m', 'another branch build');
    const retried = publish();
    expect(retried.status, retried.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(retried.stderr).toContain('refused (attempt 1); fetching and trying again');
    expect(onBranch('rendered.yaml')).toContain('name: branch:checkout-feature-zz01');
    rmSync(hook);
  });
});
