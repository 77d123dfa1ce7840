// `switchyard fragment`: one build's fragment from flags or from its image reference; branch names
// made valid; collisions and over-long names refused; written into its own file only.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fragmentCommand, parseFragmentArgs } from '../../src/cli/fragment.ts';
import { UsageError } from '../../src/cli/io.ts';
import { render } from '../../src/cli/render.ts';
import { parseDuration, slugify } from '../../src/merge/new-fragment.ts';
import { readTag } from '../../src/merge/tag-pattern.ts';
import { snapshot } from '../e2e/tools.ts';
import { inDir, listFiles, workspace } from './workspace.ts';

const NOW_FLAG = ['--now', '2026-11-27T12:00:00Z'];
const make = (args: string[], dir = workspace({}, { example: true })) => inDir(dir, () => fragmentCommand(parseFragmentArgs([...args, ...NOW_FLAG])!));
const errors = (r: ReturnType<typeof make>) => r.results.filter((x) => x.severity === 'error').map((x) => x.message);

describe('branch names as values', () => {
  it.each([
    ['feature/JP-12', 'feature-jp-12'],
    ['feature-jp12', 'feature-jp12'],
    ['Bugfix/DP_34', 'bugfix-dp-34'],
    ['release/2026.11', 'release-2026-11'],
    ['--odd//name--', 'odd-name'],
    ['feat/ümlaut', 'feat-mlaut'],
  ])('%s -> %s', (branch, value) => {
    expect(slugify(branch)).toBe(value);
  });

  it.each([
    ['14d', 14 * 86_400_000],
    ['36h', 36 * 3_600_000],
    ['1d12h', 36 * 3_600_000],
    ['2w', 14 * 86_400_000],
    ['14', undefined],
    ['0d', undefined],
    ['d', undefined],
  ])('duration %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});

describe('fragment from flags', () => {
  it('writes a branch build to stdout, scoped, expiring, with its workload and the git branch kept', () => {
    const r = make(['--service', 'checkout', '-n', 'shop', '--branch', 'feature/JP-12', '--environment', 'staging', '--expires-in', '14d', '--workload', 'checkout-feature-jp-12']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`apiVersion: switchyard.dev/v1alpha1
kind: RouteFragment
metadata:
  name: checkout-feature-jp-12
  namespace: shop
  annotations:
    config.kubernetes.io/local-config: "true"
    switchyard.dev/branch: feature/JP-12
spec:
  service: checkout
  subset:
    name: feature-jp-12
    labels:
      app: checkout
      version: feature-jp-12
  branch:
    value: feature-jp-12
    environment: staging
  expires: "2026-12-11T12:00:00Z"
  workload:
    kind: Deployment
    name: checkout-feature-jp-12
`);
  });

  it('writes a canary release, named after service, environment and subset', () => {
    const r = make(['--service', 'checkout', '-n', 'shop', '--release', '--environment', 'production', '--revision', '5', '--weight', '1', '--labels', 'app=checkout,track=v5', '--output', 'json']);
    expect(JSON.parse(r.stdout)).toEqual({
      apiVersion: 'switchyard.dev/v1alpha1',
      kind: 'RouteFragment',
      metadata: { name: 'checkout-production-v5', namespace: 'shop', annotations: { 'config.kubernetes.io/local-config': 'true' } },
      spec: { service: 'checkout', subset: { name: 'v5', labels: { app: 'checkout', track: 'v5' } }, release: { environment: 'production', revision: 5, weight: 1 } },
    });
  });

  it('refuses a branch name too long for a subset name, saying how long and what to do', () => {
    const r = make(['--service', 'checkout', '--branch', `feature/${'very-long-'.repeat(6)}`]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(errors(r)[0]).toMatch(/^RouteFragment checkout-feature-very-long-.*: --branch is feature\/very-long-.*, which becomes the subset name and label value feature-very-long-.*-very-long \(67 characters\); those are DNS labels of at most 63: use a shorter branch name, or give --subset NAME\.$/);
  });

  it('checks the fragment against the schema and the policy before writing', () => {
    expect(errors(make(['--service', 'Checkout', '--branch', 'x']))).toEqual([
      'RouteFragment Checkout-x: metadata.name is "Checkout-x"; use a lower-case DNS subdomain name, such as checkout-feature-jp12.',
      expect.stringContaining('RouteFragment Checkout-x: spec.service is "Checkout"'),
    ]);
    const r = make(['--service', 'checkout', '-n', 'shop', '--branch', 'x', '--environment', 'production', '--policy', 'policy.yaml', '--out', 'fragments']);
    expect(r.exitCode).toBe(1);
    expect(errors(r)).toEqual(['RouteFragment shop/checkout-x: spec.branch.environment is production, whose hosts take no branch routes (allowBranches: false); scope the branch to another environment or to none.']);
  });

  it.each([
    [['--branch', 'x'], 'fragment needs --service NAME'],
    [['--service', 'checkout'], 'say what the build is'],
    [['--service', 'checkout', '--release', '--revision', '3'], '--release needs --environment NAME'],
    [['--service', 'checkout', '--release', '--environment', 'production'], '--release needs --revision N'],
    [['--service', 'checkout', '--branch', 'x', '--release'], '--release and --branch exclude each other'],
    [['--service', 'checkout', '--branch', 'x', '--weight', '5'], '--revision and --weight belong to a release'],
    [['--service', 'checkout', '--release', '--environment', 'p', '--revision', '1', '--weight', '150'], '--weight 150 is not a whole number from 0 to 100.'],
    [['--service', 'checkout', '--branch', 'x', '--expires-in', '2 weeks'], '--expires-in 2 weeks is not a duration'],
    [['--service', 'checkout', '--branch', 'x', '--labels', 'app'], '--labels app is not key=value'],
    [['--service', 'checkout', '--tag-pattern', '{branch}'], '--tag-pattern reads the tag of --image IMAGE'],
    [['--service', 'checkout', 'fragments/'], 'fragment takes no PATH'],
  ])('%j is a usage error', (args, message) => {
    expect(() => make(args)).toThrow(UsageError);
    expect(() => make(args)).toThrow(message);
  });
});

describe('fragment from an image reference', () => {
  const environments = ['production', 'staging', 'pre-staging'];
  it.each([
    ['{environment}-{branch}-{sha}', 'staging-feature-jp12-3f2a9c1', { environment: 'staging', branch: 'feature-jp12', sha: '3f2a9c1' }],
    ['{environment}-{branch}-{sha}', 'pre-staging-feature-jp12-3f2a9c1', { environment: 'pre-staging', branch: 'feature-jp12', sha: '3f2a9c1' }],
    ['{branch}-{sha}', 'bugfix-dp34-0123456789abcdef', { branch: 'bugfix-dp34', sha: '0123456789abcdef' }],
    ['{environment}-r{revision}', 'production-r42', { environment: 'production', revision: '42' }],
    ['v{revision}', 'v7', { revision: '7' }],
  ])('%s reads %s', (pattern, tag, values) => {
    expect(readTag(pattern, tag, environments)).toEqual({ values });
  });

  it.each([
    ['{environment}-{branch}', 'qa-feature', environments, 'does not fit --tag-pattern {environment}-{branch} ({environment} is one of production, staging, pre-staging)'],
    ['{branch}{revision}', 'a12', environments, 'fits --tag-pattern {branch}{revision} in two ways (branch a1, revision 2; or branch a, revision 12)'],
    ['{env}-{branch}', 'staging-x', environments, 'has {env}; use the placeholders {environment}, {branch}, {sha}, {revision}'],
    ['{branch}-{branch}', 'a-b', environments, 'has {branch} twice'],
  ])('%s on %s is refused', (pattern, tag, envs, message) => {
    const read = readTag(pattern, tag, envs);
    expect('problem' in read && read.problem).toContain(message);
  });

  it('writes the branch build that the image tag names, the image name being the service', () => {
    const dir = workspace({}, { example: true });
    const r = make(['--image', 'registry.example.com:5000/shop/checkout:pre-staging-Feature-AB56-3f2a9c1', '--tag-pattern', '{environment}-{branch}-{sha}', '--policy', 'policy.yaml', '-n', 'shop', '--out', 'fragments/'], dir);
    expect(errors(r)).toEqual([]);
    expect(r.stdout).toBe('fragments/checkout-feature-ab56.yaml\n');
    const written = readFileSync(join(dir, 'fragments/checkout-feature-ab56.yaml'), 'utf8');
    expect(written).toContain('    switchyard.dev/branch: Feature-AB56\n    switchyard.dev/image: registry.example.com:5000/shop/checkout:pre-staging-Feature-AB56-3f2a9c1\n');
    expect(written).toContain('  branch:\n    value: feature-ab56\n    environment: pre-staging\n');
  });

  it('reads {environment} as one word without the policy, and warns that it did', () => {
    expect(readTag('{environment}-{branch}-{sha}', 'staging-feature-jp12-3f2a9c1', undefined)).toEqual({ values: { environment: 'staging', branch: 'feature-jp12', sha: '3f2a9c1' }, guessed: true });
    const r = make(['--image', 'registry.example.com/checkout:staging-feature-jp12-3f2a9c1', '--tag-pattern', '{environment}-{branch}-{sha}']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('  branch:\n    value: feature-jp12\n    environment: staging\n');
    expect(r.results.map((x) => x.severity)).toEqual(['warning']);
    expect(r.results[0]!.message).toContain('read as one word because no --policy names the environments');
  });

  it('writes a release from a tag with {revision}, and tries the patterns in order', () => {
    const r = make(['--image', 'registry.example.com/checkout:production-r9', '--tag-pattern', '{environment}-{branch}-{sha}', '--tag-pattern', '{environment}-r{revision}', '--release', '--policy', 'policy.yaml', '-n', 'shop']);
    expect(errors(r)).toEqual([]);
    expect(r.stdout).toContain('  name: checkout-production-v9\n');
    expect(r.stdout).toContain('  release:\n    environment: production\n    revision: 9\n');
  });

  it('a flag that disagrees with the tag is a usage error', () => {
    expect(() => make(['--image', 'r/checkout:staging-x-abcdef1', '--tag-pattern', '{environment}-{branch}-{sha}', '--policy', 'policy.yaml', '--environment', 'pre-staging'])).toThrow(
      '--environment pre-staging disagrees with the image tag, which says staging',
    );
  });

  it('--branch may give the git name of the branch that the tag spells as a tag can', () => {
    const r = make(['--image', 'r/checkout:staging-feature-JP-12-abcdef1', '--tag-pattern', '{environment}-{branch}-{sha}', '--policy', 'policy.yaml', '--branch', 'feature/JP-12']);
    expect(errors(r)).toEqual([]);
    expect(r.stdout).toContain('    switchyard.dev/branch: feature/JP-12\n');
    expect(() => make(['--image', 'r/checkout:staging-feature-x-abcdef1', '--tag-pattern', '{environment}-{branch}-{sha}', '--policy', 'policy.yaml', '--branch', 'feature/y'])).toThrow(
      '--branch feature/y disagrees with the image tag, which says feature-x',
    );
  });

  it('an image without a tag cannot be read by a pattern', () => {
    expect(errors(make(['--image', 'registry.example.com/checkout', '--tag-pattern', '{branch}-{sha}']))[0]).toContain('has no tag for --tag-pattern to read');
  });
});

describe('fragment into a folder', () => {
  it('writes only its own file, prints its path, and is unchanged when run again', () => {
    const dir = workspace({ 'fragments/notes.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\n' }, { example: true });
    const before = snapshot(join(dir, 'fragments'));
    const args = ['--service', 'checkout', '-n', 'shop', '--branch', 'feature/JP-77', '--environment', 'staging', '--out', 'fragments/'];
    const r = make(args, dir);
    expect(r.stdout).toBe('fragments/checkout-feature-jp-77.yaml\n');
    expect(r.results.at(-1)!.message).toBe('RouteFragment shop/checkout-feature-jp-77: written to fragments/checkout-feature-jp-77.yaml.');
    const after = snapshot(join(dir, 'fragments'));
    expect(Object.keys(after).filter((f) => !(f in before))).toEqual(['checkout-feature-jp-77.yaml']);
    for (const file of Object.keys(before)) expect(after[file]).toBe(before[file]);
    expect(make(args, dir).results.at(-1)!.message).toBe('RouteFragment shop/checkout-feature-jp-77: unchanged in fragments/checkout-feature-jp-77.yaml.');
    // And it renders with the rest.
    const rendered = inDir(dir, () => render({ paths: ['policy.yaml', 'fragments'], now: new Date('2026-11-27T12:00:00Z'), quiet: false }));
    expect(rendered.exitCode).toBe(0);
    expect(rendered.stdout).toContain('- name: branch:checkout-feature-jp-77\n');
  });

  it('replaces its own earlier fragment (promotion: the canary becomes stable)', () => {
    const dir = workspace({}, { example: true });
    const args = ['--service', 'checkout', '-n', 'shop', '--release', '--environment', 'production', '--revision', '4', '--out', 'fragments'];
    expect(make([...args, '--weight', '1'], dir).exitCode).toBe(0);
    expect(readFileSync(join(dir, 'fragments/checkout-production-v4.yaml'), 'utf8')).toContain('weight: 1');
    expect(make(args, dir).exitCode).toBe(0);
    expect(readFileSync(join(dir, 'fragments/checkout-production-v4.yaml'), 'utf8')).not.toContain('weight');
  });

  it('refuses a second git branch that becomes the same value', () => {
    const dir = workspace({}, { example: true });
    expect(make(['--service', 'checkout', '-n', 'shop', '--branch', 'feature/JP-12', '--out', 'fragments'], dir).exitCode).toBe(0);
    const r = make(['--service', 'checkout', '-n', 'shop', '--branch', 'feature/jp_12', '--out', 'fragments'], dir);
    expect(r.exitCode).toBe(1);
    expect(errors(r)).toEqual([
      'RouteFragment shop/checkout-feature-jp-12: --branch is feature/jp_12, which becomes feature-jp-12, as branch feature/JP-12 of RouteFragment shop/checkout-feature-jp-12 (fragments/checkout-feature-jp-12.yaml) does; the two branches would share one route: rename one of the branches, or give --subset and --name.',
    ]);
    expect(readFileSync(join(dir, 'fragments/checkout-feature-jp-12.yaml'), 'utf8')).toContain('switchyard.dev/branch: feature/JP-12');
  });

  it('refuses another branch with the same header value, compared with --existing folders too', () => {
    const dir = workspace({}, { example: true });
    const r = make(['--service', 'checkout', '-n', 'shop', '--branch', 'Feature-JP12', '--environment', 'staging', '--name', 'checkout-jp12-again', '--existing', 'fragments'], dir);
    expect(errors(r)).toEqual([
      'RouteFragment shop/checkout-jp12-again: --branch is Feature-JP12, which becomes the header value feature-jp12, as branch feature-jp12 of RouteFragment shop/checkout-feature-jp12 (fragments/checkout-feature-jp12.yaml) does; one header value routes to one build, so both would be left out: rename one of the branches, or delete the stale fragment.',
    ]);
  });

  it('refuses a subset name with other labels, and a revision taken twice', () => {
    const dir = workspace({}, { example: true });
    const subset = make(['--service', 'checkout', '-n', 'shop', '--release', '--environment', 'staging', '--revision', '9', '--subset', 'v3', '--labels', 'app=checkout,version=three', '--out', 'fragments'], dir);
    expect(errors(subset)).toEqual([
      'RouteFragment shop/checkout-staging-v3: --subset is v3, which RouteFragment shop/checkout-v3 (fragments/checkout-v3.yaml) defines with other labels; a subset name selects one set of pods: give another --subset, or the same --labels.',
    ]);
    const revision = make(['--service', 'checkout', '-n', 'shop', '--release', '--environment', 'production', '--revision', '2', '--subset', 'v2b', '--out', 'fragments'], dir);
    expect(errors(revision)[0]).toContain('--revision is 2, which RouteFragment shop/checkout-v2 (fragments/checkout-v2.yaml) already uses for production');
    // The shared subset of staging's v3 and production's canary is fine: same labels.
    expect(make(['--service', 'checkout', '-n', 'shop', '--release', '--environment', 'pre-staging', '--revision', '3', '--out', 'fragments'], dir).exitCode).toBe(0);
  });

  it('never overwrites a file that holds something else', () => {
    const dir = workspace({ 'fragments/checkout-x.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n' });
    const r = make(['--service', 'checkout', '--branch', 'x', '--out', 'fragments'], dir);
    expect(errors(r)).toEqual(['RouteFragment checkout-x: fragments/checkout-x.yaml exists and holds something other than this fragment; it is left alone: move it away, or give --name.']);
    expect(readFileSync(join(dir, 'fragments/checkout-x.yaml'), 'utf8')).toContain('ConfigMap');
  });

  it('refuses a fragment name that another file already uses', () => {
    const dir = workspace({}, { example: true });
    writeFileSync(join(dir, 'fragments/old-name.yaml'), readFileSync(join(dir, 'fragments/checkout-v1.yaml'), 'utf8'));
    expect(listFiles(join(dir, 'fragments'))).toContain('old-name.yaml');
    const r = make(['--service', 'checkout', '-n', 'shop', '--release', '--environment', 'production', '--revision', '1', '--subset', 'v1', '--name', 'checkout-v1', '--out', 'fragments'], dir);
    expect(errors(r).some((m) => m.includes('metadata.name is checkout-v1, which RouteFragment shop/checkout-v1 (fragments/old-name.yaml) already uses in another file'))).toBe(true);
  });
});
