// Route order is the routing: Istio takes the first route whose match fits the request.
//   1. branch routes scoped to an environment: its hosts AND header = value
//   2. environments with allowBranches: false: their hosts (no branch can divert them)
//   3. branch routes not scoped: header = value
//   4. the other non-default environments, in policy order: their hosts
//   5. the default environment: no match, the only catch-all, always last
// Within a group, ties break by fragment name.
import type { RouteFragment } from '../model/kinds.ts';
import type { HTTPMatchRequest, HTTPRoute, HTTPRouteDestination, StringMatch } from '../model/istio.ts';
import { byString } from './canonical.ts';
import type { Policy, PolicyEnvironment } from './policy.ts';
import type { ReleaseShare } from './releases.ts';

export interface ServiceTraffic {
  service: string;
  /** Live, valid branch fragments of the service. */
  branches: readonly RouteFragment[];
  /** Each environment's shares; an environment without a live release is absent. */
  environments: ReadonlyMap<string, readonly ReleaseShare[]>;
}

export function orderRoutes(policy: Policy, traffic: ServiceTraffic): HTTPRoute[] {
  const byName = (a: RouteFragment, b: RouteFragment) => byString(a.metadata.name, b.metadata.name);
  const branches = [...traffic.branches].sort(byName);
  const scoped = branches.filter((f) => f.spec.branch!.environment !== undefined);
  const unscoped = branches.filter((f) => f.spec.branch!.environment === undefined);
  const environment = (name: string) => policy.environments.find((e) => e.name === name)!;
  const destinations = (env: PolicyEnvironment) => traffic.environments.get(env.name);
  const protectedEnvs = policy.environments.filter((e) => !e.allowBranches && e.hosts.length > 0);
  const otherEnvs = policy.environments.filter((e) => e.allowBranches && !e.isDefault);
  const defaultEnv = policy.environments.find((e) => e.isDefault);

  const routes: HTTPRoute[] = [];
  for (const f of scoped) {
    const env = environment(f.spec.branch!.environment!);
    const header = headerMatch(policy, f);
    routes.push(branchRoute(traffic.service, f, env.hosts.map((host) => ({ authority: { exact: host }, headers: header }))));
  }
  for (const env of protectedEnvs) {
    const shares = destinations(env);
    if (shares) routes.push(environmentRoute(traffic.service, `environment:${env.name}`, shares, hostMatches(env)));
  }
  for (const f of unscoped) routes.push(branchRoute(traffic.service, f, [{ headers: headerMatch(policy, f) }]));
  for (const env of otherEnvs) {
    const shares = destinations(env);
    if (shares) routes.push(environmentRoute(traffic.service, `environment:${env.name}`, shares, hostMatches(env)));
  }
  if (defaultEnv) {
    const shares = destinations(defaultEnv);
    if (shares) routes.push(environmentRoute(traffic.service, `default:${defaultEnv.name}`, shares));
  }
  return routes;
}

function headerMatch(policy: Policy, f: RouteFragment): Record<string, StringMatch> {
  const { value, header = policy.branchHeader, match = 'exact' } = f.spec.branch!;
  const stringMatch: StringMatch = match === 'prefix' ? { prefix: value } : match === 'regex' ? { regex: value } : { exact: value };
  return { [header]: stringMatch };
}

const hostMatches = (env: PolicyEnvironment): HTTPMatchRequest[] => env.hosts.map((host) => ({ authority: { exact: host } }));

const destination = (service: string, subset: string, weight: number): HTTPRouteDestination => ({
  destination: { host: service, subset },
  weight,
});

function branchRoute(service: string, f: RouteFragment, match: HTTPMatchRequest[]): HTTPRoute {
  return { name: `branch:${f.metadata.name}`, match, route: [destination(service, f.spec.subset.name, 100)] };
}

function environmentRoute(service: string, name: string, shares: readonly ReleaseShare[], match?: HTTPMatchRequest[]): HTTPRoute {
  // A canary that names the live release's subset (the same pods) adds its share to that
  // destination: one subset appears once in a route, and the weights still sum to 100.
  const weights = new Map<string, number>();
  for (const s of shares) weights.set(s.fragment.spec.subset.name, (weights.get(s.fragment.spec.subset.name) ?? 0) + s.weight);
  const route = [...weights].map(([subset, weight]) => destination(service, subset, weight));
  return match ? { name, match, route } : { name, route };
}
