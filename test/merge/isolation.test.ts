// Failure and isolation: a broken branch fragment is left out with a warning and everything else
// renders; `invalidBranches: fail` makes that fatal; anything broken in a release fragment or in
// the policy fails the render. Nothing in the input is silently lost.
import { describe, expect, it } from 'vitest';
import type { DestinationRule, VirtualService } from '../../src/model/istio.ts';
import type { RoutingPolicy } from '../../src/model/kinds.ts';
import { merge, type MergeOutput } from '../../src/merge/merge.ts';
import { fingerprint } from '../../src/merge/canonical.ts';
import { branch, fragment, NOW, policy, release, run } from '../builders.ts';

/** Table rows named by their `case`, printed in full (vitest's `$case` cuts names at 40 characters). */
const rows = <T extends { case: string }>(table: T[]): [string, T][] => table.map((row) => [row.case, row]);

type Raw = { metadata?: { name?: string; namespace?: string }; spec?: { service?: string; subset?: { name?: string; labels?: unknown }; branch?: unknown } };

/**
 * Every fragment of the input is either in the output (its subset, with its labels, is in its
 * service's DestinationRule, and a branch has its route) or named in a result, never both. A
 * failed render writes and retires nothing.
 */
function expectNothingLost(input: readonly unknown[], out: MergeOutput): void {
  if (out.results.some((r) => r.severity === 'error')) {
    expect(out.objects).toEqual([]);
    expect(out.retired).toEqual([]);
    expect(out.results.some((r) => r.severity === 'error' && (r.resourceRef?.kind === 'RouteFragment' || r.resourceRef?.kind === 'RoutingPolicy'))).toBe(true);
    return;
  }
  for (const raw of input as Raw[]) {
    const name = raw.metadata?.name;
    const namespace = raw.metadata?.namespace;
    const named = out.results.some((r) => r.resourceRef?.kind === 'RouteFragment' && r.resourceRef.name === name && r.resourceRef.namespace === namespace);
    const inService = (o: { metadata: { name: string; namespace?: string } }) => o.metadata.name === raw.spec?.service && o.metadata.namespace === namespace;
    const dr = out.objects.find((o): o is DestinationRule => o.kind === 'DestinationRule' && inService(o));
    const vs = out.objects.find((o): o is VirtualService => o.kind === 'VirtualService' && inService(o));
    const subset = dr?.spec.subsets.find((s) => s.name === raw.spec?.subset?.name);
    const inDR = subset !== undefined && fingerprint(subset.labels) === fingerprint(raw.spec?.subset?.labels);
    const routed = raw.spec?.branch === undefined || (vs?.spec.http.some((r) => r.name === `branch:${name}`) ?? false);
    expect({ fragment: name, named, inOutput: inDR && routed }).toEqual({ fragment: name, named, inOutput: !named });
  }
}

/** Runs the merge and checks that nothing was lost. */
function render(fragments: readonly unknown[], options: Parameters<typeof run>[1] = {}): MergeOutput {
  const out = run(fragments, options);
  expectNothingLost(fragments, out);
  return out;
}

const spec = (extra: Partial<RoutingPolicy['spec']>) => policy(extra);
const withSpec = (p: RoutingPolicy | undefined, extra: Partial<RoutingPolicy['spec']>): RoutingPolicy => ({ ...(p ?? policy()), spec: { ...(p ?? policy()).spec, ...extra } });
const regexPolicy = spec({ allowedMatches: ['exact', 'regex'] });
const meshDefaultPolicy = spec({ environments: [{ name: 'mesh-only', default: true }, { name: 'staging', hosts: ['staging.shop.example.com'] }] });

const healthy = [release('v1', 'production', 1), release('s1', 'staging', 1), branch('feature-ok', 'feature-ok')];
const healthyRoutes = ['environment:production', 'branch:feature-ok', 'environment:staging', 'default:production'];
const healthySubsets = ['feature-ok', 's1', 'v1'];

const left = (name: string, field: string, message: string) => `RouteFragment shop/${name} (fragments/${name}.yaml): ${field} ${message}`;
const QUARANTINE = ' This branch fragment is left out; everything else renders.';
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The full message; a RegExp `message` (anchored with ^...$) is for wording that comes from the JavaScript engine. */
const expectedMessage = (name: string, field: string, message: string | RegExp, suffix: string): unknown =>
  typeof message === 'string'
    ? left(name, field, message) + suffix
    : expect.stringMatching(new RegExp(`^${escape(left(name, field, ''))}${message.source.slice(1, -1)}${escape(suffix)}$`));

type Expected = [name: string, field: string, message: string | RegExp];
interface BrokenBranch {
  case: string;
  broken: unknown[];
  policy?: RoutingPolicy;
  problems: Expected[];
}

const brokenBranches: BrokenBranch[] = [
  {
    case: 'a schema error: valeu for value',
    broken: [fragment('broken', { branch: { valeu: 'feature-x' } } as never)],
    problems: [['broken', 'spec.branch.valeu', 'is not a known field; did you mean value?']],
  },
  {
    case: 'a schema error: no subset labels',
    broken: [fragment('broken', { branch: { value: 'x' }, subset: { name: 'broken', labels: {} } } as never)],
    problems: [['broken', 'spec.subset.labels', 'is a map; give at least 1 entry (the pod labels that select this build, such as {app: checkout, version: v3}).']],
  },
  {
    case: 'an expires that is no real instant',
    broken: [fragment('broken', { branch: { value: 'x' }, expires: '2026-13-45T00:00:00Z' })],
    problems: [['broken', 'spec.expires', 'is "2026-13-45T00:00:00Z", which is not a real instant; use a date and time such as 2026-12-24T00:00:00Z.']],
  },
  {
    case: 'an unknown environment',
    broken: [branch('broken', 'x', { environment: 'qa' })],
    problems: [['broken', 'spec.branch.environment', 'is "qa", which is not an environment of the policy; use one of production, staging, pre-staging.']],
  },
  {
    case: 'scoped to an allowBranches: false environment',
    broken: [branch('broken', 'x', { environment: 'production' })],
    problems: [['broken', 'spec.branch.environment', 'is production, whose hosts take no branch routes (allowBranches: false); scope the branch to another environment or to none.']],
  },
  {
    case: 'a header the policy does not allow',
    broken: [branch('broken', 'x', { header: 'x-tenant' })],
    problems: [['broken', 'spec.branch.header', "is x-tenant, which the policy does not allow; use one of x-branch (the policy's allowedHeaders)."]],
  },
  {
    case: 'header host',
    broken: [branch('broken', 'x', { header: 'host' })],
    problems: [['broken', 'spec.branch.header', "is host; routes match hosts through the policy's environments, not a header."]],
  },
  {
    case: 'header x-envoy-foo',
    broken: [branch('broken', 'x', { header: 'x-envoy-foo' })],
    problems: [['broken', 'spec.branch.header', 'is x-envoy-foo; x-envoy-* headers belong to Envoy and may be set or stripped by it: use another header.']],
  },
  {
    case: 'header :authority (a pseudo-header)',
    broken: [branch('broken', 'x', { header: ':authority' })],
    problems: [['broken', 'spec.branch.header', `is ":authority"; use a lower-case HTTP header name that the policy's allowedHeaders lists, such as x-tenant.`]],
  },
  {
    case: 'an upper-case header',
    broken: [branch('broken', 'x', { header: 'X-Branch' })],
    problems: [['broken', 'spec.branch.header', `is "X-Branch"; use a lower-case HTTP header name that the policy's allowedHeaders lists, such as x-tenant.`]],
  },
  {
    case: 'a regex the policy does not allow',
    broken: [branch('broken', 'feat-.*', { match: 'regex' })],
    problems: [['broken', 'spec.branch.match', "is regex, which the policy does not allow; use exact (the policy's allowedMatches)."]],
  },
  {
    case: 'a prefix the policy does not allow',
    policy: regexPolicy,
    broken: [branch('broken', 'feat', { match: 'prefix' })],
    problems: [['broken', 'spec.branch.match', "is prefix, which the policy does not allow; use exact or regex (the policy's allowedMatches)."]],
  },
  {
    case: 'a regex with a lookahead',
    policy: regexPolicy,
    broken: [branch('broken', 'feat(?=-x)', { match: 'regex' })],
    problems: [['broken', 'spec.branch.value', /^is not a regex that RE2 \(Envoy\) and Go \(Istio's webhook\) accept \(.+; RE2 has no lookarounds\); see .+\.$/]],
  },
  {
    case: 'a regex with a negative lookbehind',
    policy: regexPolicy,
    broken: [branch('broken', '(?<!x)feat', { match: 'regex' })],
    problems: [['broken', 'spec.branch.value', /^is not a regex that RE2 \(Envoy\) and Go \(Istio's webhook\) accept \(.+; RE2 has no lookarounds\); see .+\.$/]],
  },
  {
    case: 'a regex with a backreference',
    policy: regexPolicy,
    broken: [branch('broken', '(feat)-\\1', { match: 'regex' })],
    problems: [['broken', 'spec.branch.value', /^is not a regex that RE2 \(Envoy\) and Go \(Istio's webhook\) accept \(.+; RE2 has no backreferences\); see .+\.$/]],
  },
  {
    case: 'a regex that does not parse',
    policy: regexPolicy,
    broken: [branch('broken', 'feat-(', { match: 'regex' })],
    problems: [['broken', 'spec.branch.value', /^is not a regex that RE2 \(Envoy\) and Go \(Istio's webhook\) accept \(missing closing \).+\)\; see .+\.$/]],
  },
  {
    case: 'two branches with the same header value',
    broken: [branch('broken', 'dup'), branch('broken-2', 'dup')],
    problems: [
      ['broken', 'spec.branch.value', 'is "dup", which RouteFragment shop/broken-2 (fragments/broken-2.yaml) routes too; one header value routes to one build, so both are left out: delete the stale fragment.'],
      ['broken-2', 'spec.branch.value', 'is "dup", which RouteFragment shop/broken (fragments/broken.yaml) routes too; one header value routes to one build, so both are left out: delete the stale fragment.'],
    ],
  },
  {
    case: 'two branches with the same header value, one naming match: exact',
    broken: [branch('broken', 'dup'), branch('broken-2', 'dup', { match: 'exact' })],
    problems: [
      ['broken', 'spec.branch.value', 'is "dup", which RouteFragment shop/broken-2 (fragments/broken-2.yaml) routes too; one header value routes to one build, so both are left out: delete the stale fragment.'],
      ['broken-2', 'spec.branch.value', 'is "dup", which RouteFragment shop/broken (fragments/broken.yaml) routes too; one header value routes to one build, so both are left out: delete the stale fragment.'],
    ],
  },
  {
    case: 'two branches with the same header value, one naming the branch header explicitly',
    broken: [branch('broken', 'dup'), branch('broken-2', 'dup', { header: 'x-branch' })],
    problems: [
      ['broken', 'spec.branch.value', 'is "dup", which RouteFragment shop/broken-2 (fragments/broken-2.yaml) routes too; one header value routes to one build, so both are left out: delete the stale fragment.'],
      ['broken-2', 'spec.branch.value', 'is "dup", which RouteFragment shop/broken (fragments/broken.yaml) routes too; one header value routes to one build, so both are left out: delete the stale fragment.'],
    ],
  },
];

describe('a broken branch fragment is left out with a warning; everything else renders', () => {
  it.each(rows(brokenBranches))('%s', (_, { broken, policy: p, problems }) => {
    const out = render([...healthy, ...broken], p ? { policy: p } : {});
    const warnings = out.results.filter((r) => r.severity !== 'info');
    expect(warnings.map((r) => r.severity)).toEqual(problems.map(() => 'warning'));
    expect(warnings.map((r) => [r.resourceRef?.name, r.field?.path, r.file?.path, r.message])).toEqual(
      problems.map(([name, field, message]) => [
        name,
        field,
        `fragments/${name}.yaml`,
        expectedMessage(name, field, message, QUARANTINE),
      ]),
    );
    const vs = out.objects.find((o): o is VirtualService => o.kind === 'VirtualService')!;
    const dr = out.objects.find((o): o is DestinationRule => o.kind === 'DestinationRule')!;
    expect(vs.spec.http.map((r) => r.name)).toEqual(healthyRoutes);
    expect(dr.spec.subsets.map((s) => s.name)).toEqual(healthySubsets);
  });

  it.each(rows(brokenBranches))('invalidBranches: fail makes it an error: %s', (_, { broken, policy: p, problems }) => {
    const out = render([...healthy, ...broken], { policy: withSpec(p, { invalidBranches: 'fail' }) });
    expect(out.results.filter((r) => r.severity !== 'info').map((r) => [r.severity, r.resourceRef?.name, r.field?.path, r.message])).toEqual(
      problems.map(([name, field, message]) => [
        'error',
        name,
        field,
        expectedMessage(name, field, message, ''),
      ]),
    );
    expect(out.objects).toEqual([]);
  });

  it('a branch scoped to an environment without hosts is left out', () => {
    const out = render([release('m1', 'mesh-only', 1), branch('broken', 'x', { environment: 'mesh-only' }), branch('feature-ok', 'ok')], { policy: meshDefaultPolicy });
    expect(out.results.filter((r) => r.severity !== 'info').map((r) => [r.severity, r.field?.path, r.message])).toEqual([
      [
        'warning',
        'spec.branch.environment',
        left('broken', 'spec.branch.environment', 'is mesh-only, which has no hosts to scope the route to; leave environment out to match the header on every host that allows branches.') + QUARANTINE,
      ],
    ]);
    expect(out.objects.find((o): o is VirtualService => o.kind === 'VirtualService')!.spec.http.map((r) => r.name)).toEqual(['branch:feature-ok', 'default:mesh-only']);
  });

  it('a good regex, when the policy allows regex, is kept', () => {
    const out = render([...healthy, branch('feature-re', '^feat-[0-9]+(-[a-z]+)?$', { match: 'regex' })], { policy: regexPolicy });
    expect(out.results.filter((r) => r.severity !== 'info')).toEqual([]);
  });

  it('the same value on another header, match or scope is no conflict', () => {
    const p = spec({ allowedHeaders: ['x-branch', 'x-tenant'], allowedMatches: ['exact', 'prefix'] });
    const out = render([...healthy, branch('a', 'v'), branch('b', 'v', { header: 'x-tenant' }), branch('c', 'v', { match: 'prefix' }), branch('d', 'v', { environment: 'staging' })], { policy: p });
    expect(out.results.filter((r) => r.severity !== 'info')).toEqual([]);
  });

  it('a branch can only add routes that need its header: the other routes are unchanged', () => {
    const before = run(healthy);
    const after = render([...healthy, branch('feature-y', 'y'), branch('feature-z', 'z', { environment: 'staging' })]);
    const http = (o: MergeOutput) => o.objects.find((x): x is VirtualService => x.kind === 'VirtualService')!.spec.http;
    expect(http(after).filter((r) => !['branch:feature-y', 'branch:feature-z'].includes(r.name))).toEqual(http(before));
  });
});


describe('a broken release fragment fails the render', () => {
  it.each(rows<{ case: string; broken: unknown[]; problems: Expected[] }>([
    {
      case: 'weight 150',
      broken: [release('v2', 'production', 2, 150)],
      problems: [['v2', 'spec.release.weight', 'is 150; use 100 or less.']],
    },
    {
      case: 'an unknown environment',
      broken: [release('v2', 'prod', 2)],
      problems: [['v2', 'spec.release.environment', 'is "prod", which is not an environment of the policy; use one of production, staging, pre-staging.']],
    },
    {
      case: 'a schema error: revison for revision',
      broken: [fragment('v2', { release: { environment: 'production', revison: 2 } } as never)],
      problems: [['v2', 'spec.release.revison', 'is not a known field; did you mean revision?']],
    },
    {
      case: 'both branch and release',
      broken: [fragment('v2', { branch: { value: 'x' }, release: { environment: 'production', revision: 2 } })],
      problems: [['v2', 'spec', 'has both branch and release; a fragment is either a header route (branch) or a release of an environment: split it into two fragments.']],
    },
    {
      case: 'neither branch nor release (too broken to tell, so judged as a release)',
      broken: [fragment('v2', {})],
      problems: [['v2', 'spec', 'needs branch (a header route) or release (a release of an environment).']],
    },
  ]))('%s', (_, { broken, problems }) => {
    const out = render([...healthy, ...broken]);
    expect(out.results.map((r) => [r.severity, r.resourceRef?.name, r.field?.path, r.file?.path, r.message])).toEqual(
      problems.map(([name, field, message]) => ['error', name, field, `fragments/${name}.yaml`, left(name, field, message as string)]),
    );
    expect(out.objects).toEqual([]);
  });
});

describe('releasePaths: who may move an environment', () => {
  const restricted = withSpec(undefined, {
    environments: [
      { name: 'production', hosts: ['shop.example.com'], default: true, allowBranches: false, releasePaths: ['releases/production/**'] },
      { name: 'staging', hosts: ['staging.shop.example.com'] },
    ],
  });
  const at = (path: string, object: unknown) => ({ object, source: { path, index: 0 } });
  const mergeAt = (fragments: { object: unknown; source: { path: string; index: number } }[]) =>
    merge({ policy: { object: restricted, source: { path: 'policy.yaml' } }, fragments, istioObjects: [], workloads: [], now: NOW, renderedBy: 'switchyard/test' });

  it('accepts a release of the environment from a file under its releasePaths, and branches from anywhere', () => {
    const out = mergeAt([at('releases/production/v2.yaml', release('v2', 'production', 2)), at('fragments/feature-x.yaml', branch('feature-x', 'x')), at('fragments/s1.yaml', release('s1', 'staging', 1))]);
    expect(out.results.filter((r) => r.severity !== 'info')).toEqual([]);
    expect(out.objects.find((o): o is VirtualService => o.kind === 'VirtualService')!.spec.http.at(-1)!.route![0]!.destination.subset).toBe('v2');
  });

  it('refuses a release of the environment from a file outside its releasePaths', () => {
    const out = mergeAt([at('releases/production/v2.yaml', release('v2', 'production', 2)), at('fragments/v3.yaml', release('v3', 'production', 3))]);
    const errors = out.results.filter((r) => r.severity === 'error');
    expect(errors.map((r) => [r.resourceRef?.name, r.file?.path])).toEqual([['v3', 'fragments/v3.yaml']]);
    expect(errors[0]!.message).toMatch(/^RouteFragment shop\/v3 \(fragments\/v3\.yaml\): .*releases\/production\/\*\*/);
    expect(out.objects).toEqual([]);
  });
});

describe('a broken policy fails the render', () => {
  const envs = (environments: unknown[]) => withSpec(undefined, { environments } as never);
  it.each(rows<{ case: string; policy: unknown; problems: [field: string, message: string][] }>([
    {
      case: 'two default environments',
      policy: envs([
        { name: 'production', hosts: ['shop.example.com'], default: true },
        { name: 'staging', hosts: ['staging.shop.example.com'], default: true },
      ]),
      problems: [['spec.environments', 'marks production and staging as default; at most one environment may be the default (the catch-all route).']],
    },
    {
      case: 'two environments with one name',
      policy: envs([
        { name: 'production', hosts: ['shop.example.com'], default: true },
        { name: 'production', hosts: ['www.shop.example.com'] },
      ]),
      problems: [['spec.environments[1].name', 'names environment production again (also spec.environments[0]); give each environment its own name.']],
    },
    {
      case: 'a host in two environments',
      policy: envs([
        { name: 'production', hosts: ['shop.example.com'], default: true },
        { name: 'staging', hosts: ['staging.shop.example.com', 'shop.example.com'] },
      ]),
      problems: [['spec.environments[1].hosts[1]', 'is shop.example.com, a host of environment production too; a host belongs to one environment.']],
    },
    {
      case: 'a non-default environment without hosts',
      policy: envs([{ name: 'production', hosts: ['shop.example.com'], default: true }, { name: 'staging' }]),
      problems: [['spec.environments[1]', 'has no hosts and is not the default, so no request could reach it; give it hosts or make it the default.']],
    },
    {
      case: 'an unknown field, with a suggestion',
      policy: { ...policy(), spec: { enviroments: policy().spec.environments } },
      problems: [['spec.enviroments', 'is not a known field; did you mean environments?']],
    },
    {
      case: 'an unknown field of an environment, with a suggestion',
      policy: envs([{ name: 'production', hosts: ['shop.example.com'], defualt: true }]),
      problems: [['spec.environments[0].defualt', 'is not a known field; did you mean default?']],
    },
    {
      case: 'branchHeader host',
      policy: withSpec(undefined, { branchHeader: 'host' }),
      problems: [['spec.branchHeader', "is host; routes match hosts through the policy's environments, not a header."]],
    },
    {
      case: 'an x-envoy-* allowed header',
      policy: withSpec(undefined, { allowedHeaders: ['x-branch', 'x-envoy-decorator-operation'] }),
      problems: [['spec.allowedHeaders[1]', 'is x-envoy-decorator-operation; x-envoy-* headers belong to Envoy and may be set or stripped by it: use another header.']],
    },
  ]))('%s', (_, { policy: p, problems }) => {
    const out = render(healthy, { policy: p });
    expect(out.results.map((r) => [r.severity, r.resourceRef?.kind, r.resourceRef?.name, r.field?.path, r.file?.path, r.message])).toEqual(
      problems.map(([field, message]) => ['error', 'RoutingPolicy', 'routing', field, 'policy.yaml', `RoutingPolicy routing (policy.yaml): ${field} ${message}`]),
    );
    expect(out.objects).toEqual([]);
  });
});

describe('nothing is silently lost', () => {
  const gone = { workloads: [{ kind: 'Deployment', name: 'checkout-v1', namespace: 'shop' }] };
  it.each(rows<{ case: string; fragments: unknown[]; options?: Parameters<typeof run>[1] }>([
    { case: 'a healthy set', fragments: healthy },
    { case: 'an expired branch', fragments: [...healthy, fragment('old', { branch: { value: 'old' }, expires: '2026-01-01T00:00:00Z' })] },
    { case: 'a branch whose Deployment is gone', fragments: [...healthy, fragment('gone', { branch: { value: 'gone' }, workload: { kind: 'Deployment', name: 'checkout-gone' } })], options: gone },
    { case: 'a rolled-back canary and older stables', fragments: [...healthy, release('v0', 'production', 0), release('v2', 'production', 2, 0)] },
    { case: 'a branch redefining a release subset', fragments: [...healthy, fragment('hijack', { branch: { value: 'h' }, subset: { name: 'v1', labels: { app: 'evil' } } })] },
    { case: 'two branches redefining each other', fragments: [...healthy, fragment('b1', { branch: { value: 'b1' }, subset: { name: 'x', labels: { v: '1' } } }), fragment('b2', { branch: { value: 'b2' }, subset: { name: 'x', labels: { v: '2' } } })] },
    { case: 'a service with only broken branches', fragments: [...healthy, fragment('cart-b', { service: 'cart', branch: { value: 'b', header: 'host' } })] },
    { case: 'a fragment without a namespace', fragments: [...healthy, { ...branch('no-ns', 'no-ns'), metadata: { name: 'no-ns' } }] },
    { case: 'a release with no stable and weight 0 only', fragments: [release('v1', 'production', 1), release('s9', 'staging', 9, 0)] },
    { case: 'an object that is not even a map', fragments: [...healthy, 'just a string'] },
    { case: 'a release canary without stable', fragments: [...healthy, release('p9', 'pre-staging', 9, 5)] },
  ]))('%s', (_, { fragments, options }) => {
    render(fragments, options);
  });
});
