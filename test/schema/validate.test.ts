// Schema messages a person can act on: dotted paths ([i] for list items, ["a.b/c"] for keys that
// are not plain names), suggestions for unknown fields, and the schema's descriptions as hints.
import { describe, expect, it } from 'vitest';
import { checkFragmentSchema, checkPolicySchema, fieldPath, type Problem } from '../../src/schema/validate.ts';

/** Table rows named by their `case`, printed in full (vitest's `$case` cuts names at 40 characters). */
const rows = <T extends { case: string }>(table: T[]): [string, T][] => table.map((row) => [row.case, row]);

const fragmentWith = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'checkout-v1', namespace: 'shop' }) => ({
  apiVersion: 'switchyard.dev/v1alpha1',
  kind: 'RouteFragment',
  metadata,
  spec,
});
const subset = { name: 'v1', labels: { app: 'checkout', version: 'v1' } };
const branchSpec = (branch: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ service: 'checkout', subset, branch, ...extra });
const releaseSpec = (release: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ service: 'checkout', subset, release, ...extra });
const policyWith = (spec: Record<string, unknown>) => ({ apiVersion: 'switchyard.dev/v1alpha1', kind: 'RoutingPolicy', metadata: { name: 'routing' }, spec });
const env = { name: 'production', hosts: ['shop.example.com'], default: true };

describe('fieldPath', () => {
  it.each<[(string | number)[], string]>([
    [[], ''],
    [['spec'], 'spec'],
    [['spec', 'release', 'weight'], 'spec.release.weight'],
    [['spec', 'environments', 0, 'hosts', 1], 'spec.environments[0].hosts[1]'],
    [['spec', 'environments', '2', 'name'], 'spec.environments[2].name'],
    [['spec', 'subset', 'labels', 'app.kubernetes.io/name'], 'spec.subset.labels["app.kubernetes.io/name"]'],
    [['metadata', 'annotations', 'a.b/c'], 'metadata.annotations["a.b/c"]'],
    [['spec', 'subset', 'labels', 'has space'], 'spec.subset.labels["has space"]'],
    [['spec', 'allowBranches'], 'spec.allowBranches'],
  ])('%j -> %s', (segments, path) => {
    expect(fieldPath(segments)).toBe(path);
  });
});

describe('checkFragmentSchema', () => {
  it.each([
    fragmentWith(branchSpec({ value: 'feature-jp12', environment: 'staging', header: 'x-tenant', match: 'prefix' }, { expires: '2026-12-24T00:00:00Z', workload: { kind: 'Deployment', name: 'x' } })),
    fragmentWith(releaseSpec({ environment: 'production', revision: 0, weight: 0 })),
    fragmentWith(releaseSpec({ environment: 'production', revision: 3, weight: 100 }, { expires: '2026-12-24T00:00:00.123+02:00' })),
    fragmentWith({ service: 'checkout', subset: { name: 'v1', labels: { 'app.kubernetes.io/name': 'checkout' }, trafficPolicy: {} }, release: { environment: 'p', revision: 1 } }),
  ])('accepts a valid fragment (%#)', (object) => {
    expect(checkFragmentSchema(object)).toEqual([]);
  });

  it.each(
    rows<{ case: string; object: unknown; problems: Problem[] }>([
      // unknown fields and suggestions
      {
        case: 'valeu for value: one problem, the suggestion (not also "value is required")',
        object: fragmentWith(branchSpec({ valeu: 'feature-x' })),
        problems: [{ path: 'spec.branch.valeu', message: 'is not a known field; did you mean value?' }],
      },
      {
        case: 'Service for service',
        object: fragmentWith({ Service: 'checkout', subset, branch: { value: 'x' } }),
        problems: [{ path: 'spec.Service', message: 'is not a known field; did you mean service?' }],
      },
      {
        case: 'revison for revision',
        object: fragmentWith(releaseSpec({ environment: 'production', revison: 2 })),
        problems: [{ path: 'spec.release.revison', message: 'is not a known field; did you mean revision?' }],
      },
      {
        case: 'an unknown field far from any known one lists the known fields',
        object: fragmentWith(branchSpec({ value: 'x', zzzzzzzz: 1 })),
        problems: [{ path: 'spec.branch.zzzzzzzz', message: 'is not a known field; the known fields are value, environment, header, match.' }],
      },
      {
        case: 'an unknown top-level field',
        object: { ...fragmentWith(branchSpec({ value: 'x' })), spce: {} },
        problems: [{ path: 'spce', message: 'is not a known field; did you mean spec?' }],
      },
      // branch / release
      {
        case: 'both branch and release',
        object: fragmentWith({ service: 'checkout', subset, branch: { value: 'x' }, release: { environment: 'production', revision: 1 } }),
        problems: [{ path: 'spec', message: 'has both branch and release; a fragment is either a header route (branch) or a release of an environment: split it into two fragments.' }],
      },
      {
        case: 'neither branch nor release',
        object: fragmentWith({ service: 'checkout', subset }),
        problems: [{ path: 'spec', message: 'needs branch (a header route) or release (a release of an environment).' }],
      },
      // numbers
      { case: 'weight 150', object: fragmentWith(releaseSpec({ environment: 'p', revision: 1, weight: 150 })), problems: [{ path: 'spec.release.weight', message: 'is 150; use 100 or less.' }] },
      { case: 'weight 101', object: fragmentWith(releaseSpec({ environment: 'p', revision: 1, weight: 101 })), problems: [{ path: 'spec.release.weight', message: 'is 101; use 100 or less.' }] },
      { case: 'weight -1', object: fragmentWith(releaseSpec({ environment: 'p', revision: 1, weight: -1 })), problems: [{ path: 'spec.release.weight', message: 'is -1; use 0 or more.' }] },
      { case: 'weight 2.5', object: fragmentWith(releaseSpec({ environment: 'p', revision: 1, weight: 2.5 })), problems: [{ path: 'spec.release.weight', message: 'is 2.5; use an integer.' }] },
      { case: 'weight "10" (a string)', object: fragmentWith(releaseSpec({ environment: 'p', revision: 1, weight: '10' })), problems: [{ path: 'spec.release.weight', message: 'is "10"; use an integer.' }] },
      { case: 'revision -1', object: fragmentWith(releaseSpec({ environment: 'p', revision: -1 })), problems: [{ path: 'spec.release.revision', message: 'is -1; use 0 or more.' }] },
      { case: 'revision 1.5', object: fragmentWith(releaseSpec({ environment: 'p', revision: 1.5 })), problems: [{ path: 'spec.release.revision', message: 'is 1.5; use an integer.' }] },
      // patterns: the schema's description is the hint
      {
        case: 'metadata.name with upper case',
        object: fragmentWith(branchSpec({ value: 'x' }), { name: 'Checkout' }),
        problems: [{ path: 'metadata.name', message: 'is "Checkout"; use a lower-case DNS subdomain name, such as checkout-feature-jp12.' }],
      },
      {
        case: 'service that is not a DNS label',
        object: fragmentWith({ service: 'Check_out', subset, branch: { value: 'x' } }),
        problems: [{ path: 'spec.service', message: 'is "Check_out"; use the name of the Kubernetes Service whose traffic this fragment routes (a DNS label, such as checkout).' }],
      },
      {
        case: 'subset name with a dot',
        object: fragmentWith({ service: 'checkout', subset: { name: 'v1.2', labels: { app: 'checkout' } }, branch: { value: 'x' } }),
        problems: [{ path: 'spec.subset.name', message: 'is "v1.2"; use a lower-case DNS label, such as feature-jp12 or v3.' }],
      },
      {
        case: 'branch value with a space',
        object: fragmentWith(branchSpec({ value: 'feature x' })),
        problems: [{ path: 'spec.branch.value', message: 'is "feature x"; use printable ASCII without spaces, such as feature-jp12.' }],
      },
      {
        case: 'an upper-case header',
        object: fragmentWith(branchSpec({ value: 'x', header: 'X-Tenant' })),
        problems: [{ path: 'spec.branch.header', message: `is "X-Tenant"; use a lower-case HTTP header name that the policy's allowedHeaders lists, such as x-tenant.` }],
      },
      {
        case: 'a pseudo-header',
        object: fragmentWith(branchSpec({ value: 'x', header: ':authority' })),
        problems: [{ path: 'spec.branch.header', message: `is ":authority"; use a lower-case HTTP header name that the policy's allowedHeaders lists, such as x-tenant.` }],
      },
      {
        case: 'expires that is not RFC 3339',
        object: fragmentWith(branchSpec({ value: 'x' }, { expires: '2026-12-24' })),
        problems: [{ path: 'spec.expires', message: 'is "2026-12-24"; use an RFC 3339 instant, such as 2026-12-24T00:00:00Z; the fragment is ignored from then on and can be pruned.' }],
      },
      {
        case: 'a label value with a space, under a key with dots and a slash',
        object: fragmentWith({ service: 'checkout', subset: { name: 'v1', labels: { 'app.kubernetes.io/version': 'v 1' } }, branch: { value: 'x' } }),
        problems: [
          {
            path: 'spec.subset.labels["app.kubernetes.io/version"]',
            message: `is "v 1"; use a Kubernetes label value: up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.`,
          },
        ],
      },
      {
        case: 'an enum: match glob',
        object: fragmentWith(branchSpec({ value: 'x', match: 'glob' })),
        problems: [{ path: 'spec.branch.match', message: 'is "glob"; use one of exact, prefix, regex.' }],
      },
      {
        case: 'a const: the wrong apiVersion',
        object: { ...fragmentWith(branchSpec({ value: 'x' })), apiVersion: 'switchyard.dev/v1' },
        problems: [{ path: 'apiVersion', message: 'is "switchyard.dev/v1"; use switchyard.dev/v1alpha1.' }],
      },
      {
        case: 'empty labels',
        object: fragmentWith({ service: 'checkout', subset: { name: 'v1', labels: {} }, branch: { value: 'x' } }),
        problems: [{ path: 'spec.subset.labels', message: 'is a map; give at least 1 entry (the pod labels that select this build, such as {app: checkout, version: v3}).' }],
      },
      // required fields name the field and say what it is
      {
        case: 'missing service and subset labels',
        object: fragmentWith({ subset: { name: 'v1' }, branch: { value: 'x' } }),
        problems: [
          { path: 'spec.service', message: 'is required: the name of the Kubernetes Service whose traffic this fragment routes (a DNS label, such as checkout).' },
          { path: 'spec.subset.labels', message: 'is required: the pod labels that select this build, such as {app: checkout, version: v3}.' },
        ],
      },
      {
        case: 'missing release revision',
        object: fragmentWith(releaseSpec({ environment: 'production' })),
        problems: [{ path: 'spec.release.revision', message: 'is required: orders releases of an environment; the stable release with the highest revision is live.' }],
      },
      // several problems are all reported
      {
        case: 'several problems at once',
        object: fragmentWith({ service: 'checkout', subset, release: { environment: 'production', revision: -1, weight: 101 }, expires: 'soon' }),
        problems: [
          { path: 'spec.expires', message: 'is "soon"; use an RFC 3339 instant, such as 2026-12-24T00:00:00Z; the fragment is ignored from then on and can be pruned.' },
          { path: 'spec.release.revision', message: 'is -1; use 0 or more.' },
          { path: 'spec.release.weight', message: 'is 101; use 100 or less.' },
        ],
      },
    ]),
  )('%s', (_, { object, problems }) => {
    expect(sortByPath(checkFragmentSchema(object))).toEqual(sortByPath(problems));
  });

  it('names an invalid label key by its path, with the key hint of the schema', () => {
    const problems = checkFragmentSchema(fragmentWith({ service: 'checkout', subset: { name: 'v1', labels: { 'app.kubernetes.io/na me': 'checkout' } }, branch: { value: 'x' } }));
    expect(problems.map((p) => p.path)).toEqual(['spec.subset.labels["app.kubernetes.io/na me"]']);
    expect(problems[0]!.message).toContain('a Kubernetes label key, such as app or app.kubernetes.io/name');
  });
});

describe('checkPolicySchema', () => {
  it('accepts a valid policy', () => {
    expect(
      checkPolicySchema(
        policyWith({
          branchHeader: 'x-branch',
          gateways: ['istio-system/public-gateway', 'mesh'],
          exportTo: ['.'],
          environments: [env, { name: 'staging', hosts: ['staging.shop.example.com', '*.preview.shop.example.com'], allowBranches: true, releasePaths: ['releases/staging/**'] }],
          allowedHeaders: ['x-branch', 'x-tenant'],
          allowedMatches: ['exact', 'prefix', 'regex'],
          invalidBranches: 'fail',
          routeSettings: { timeout: '1.5s', retries: { attempts: 3 }, corsPolicy: {}, headers: {} },
          trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
          fragmentsFrom: ['fragments'],
        }),
      ),
    ).toEqual([]);
  });

  it.each(
    rows<{ case: string; spec: Record<string, unknown>; problems: Problem[] }>([
      {
        case: 'enviroments for environments: one problem, the suggestion (not also "environments is required")',
        spec: { enviroments: [env] },
        problems: [{ path: 'spec.enviroments', message: 'is not a known field; did you mean environments?' }],
      },
      { case: 'branchHeadr for branchHeader', spec: { branchHeadr: 'x-b', environments: [env] }, problems: [{ path: 'spec.branchHeadr', message: 'is not a known field; did you mean branchHeader?' }] },
      {
        case: 'unknown fields of a list item: defualt, allowbranches',
        spec: { environments: [env, { name: 'staging', hosts: ['s.example.com'], defualt: false, allowbranches: true }] },
        problems: [
          { path: 'spec.environments[1].allowbranches', message: 'is not a known field; did you mean allowBranches?' },
          { path: 'spec.environments[1].defualt', message: 'is not a known field; did you mean default?' },
        ],
      },
      { case: 'timout in routeSettings', spec: { environments: [env], routeSettings: { timout: '5s' } }, problems: [{ path: 'spec.routeSettings.timout', message: 'is not a known field; did you mean timeout?' }] },
      {
        case: 'a bad host in a list of a list',
        spec: { environments: [env, { name: 'staging', hosts: ['staging.example.com', 'Bad_Host'] }] },
        problems: [{ path: 'spec.environments[1].hosts[1]', message: 'is "Bad_Host"; use a lower-case host name, such as staging.shop.example.com.' }],
      },
      { case: 'an environment name in upper case', spec: { environments: [{ ...env, name: 'Prod' }] }, problems: [{ path: 'spec.environments[0].name', message: 'is "Prod"; use a lower-case DNS label, such as staging.' }] },
      {
        case: 'an upper-case branchHeader',
        spec: { branchHeader: 'X-Branch', environments: [env] },
        problems: [{ path: 'spec.branchHeader', message: 'is "X-Branch"; use a lower-case HTTP header name that branch fragments match on unless they name another; default x-branch.' }],
      },
      {
        case: 'an upper-case allowed header',
        spec: { allowedHeaders: ['x-branch', 'X-Tenant'], environments: [env] },
        problems: [{ path: 'spec.allowedHeaders[1]', message: 'is "X-Tenant"; use a lower-case HTTP header name, such as x-branch.' }],
      },
      { case: 'an unknown match kind', spec: { allowedMatches: ['exact', 'glob'], environments: [env] }, problems: [{ path: 'spec.allowedMatches[1]', message: 'is "glob"; use one of exact, prefix, regex.' }] },
      { case: 'an unknown invalidBranches', spec: { invalidBranches: 'ignore', environments: [env] }, problems: [{ path: 'spec.invalidBranches', message: 'is "ignore"; use one of quarantine, fail.' }] },
      { case: 'a bad timeout', spec: { environments: [env], routeSettings: { timeout: 'soon' } }, problems: [{ path: 'spec.routeSettings.timeout', message: 'is "soon"; use a duration, such as 5s.' }] },
      { case: 'no environments', spec: { environments: [] }, problems: [{ path: 'spec.environments', message: 'is a list; list at least 1.' }] },
      {
        case: 'environments missing',
        spec: {},
        problems: [{ path: 'spec.environments', message: 'is required: the environments, in the order their host routes are tried: a name, hosts, and which one is the default.' }],
      },
      { case: 'default that is not a boolean', spec: { environments: [{ ...env, default: 'yes' }] }, problems: [{ path: 'spec.environments[0].default', message: 'is "yes"; use a boolean.' }] },
    ]),
  )('%s', (_, { spec, problems }) => {
    expect(sortByPath(checkPolicySchema(policyWith(spec)))).toEqual(sortByPath(problems));
  });
});

const sortByPath = (problems: readonly Problem[]): Problem[] => [...problems].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
