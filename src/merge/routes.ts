// Route order is the routing: Istio takes the first route whose match fits the request. Hosts are
// never matched here: Envoy picks the VirtualService by its hosts (docs/decisions/host-routing.md).
//
// The mesh VirtualService `S` (hosts: [S]), routed by the environment header:
//   1. branch routes scoped to an environment E: environment header = E AND branch header = value
//   2. environments with allowBranches: false, in policy order: environment header = E; the
//      branch headers are removed, so nothing downstream can divert them either
//   3. branch routes not scoped: branch header = value
//   4. the other non-default environments with a live release: environment header = E
//   5. the catch-all: the default environment (or the fallback)
// The gateway VirtualService `S.E` (hosts: E's hosts), each route setting the environment header:
//   1. branch routes scoped to E; 2. when E allows branches, unscoped branch routes;
//   3. E's route, the catch-all (a protected E's also removes the branch headers).
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
  /** Whether the service has any release fragment at all; without one, a fallback may be the Service itself. */
  hasReleases: boolean;
}

/** What an environment's requests get when it has no live release of its own. */
export type Fallback =
  | { environment: string; kind: 'default'; from: string }
  | { environment: string; kind: 'service' }
  | { environment: string; kind: 'status'; status: number };

export interface ServiceRoutes {
  /** The mesh VirtualService's routes. */
  mesh: HTTPRoute[];
  /** The gateway VirtualService's routes of each environment the service answers the hosts of. */
  gateways: Map<string, HTTPRoute[]>;
  /** Environments that got a fallback (each once), for the warnings; `environment` is '' for the mesh catch-all of a policy without default. */
  fallbacks: Fallback[];
}

/** Generated routes are named so; a base's routes named otherwise are the user's. */
export const isGeneratedRouteName = (name: unknown): boolean =>
  typeof name === 'string' && (name === 'default' || ['branch:', 'environment:', 'default:'].some((p) => name.startsWith(p)));

export function orderRoutes(policy: Policy, traffic: ServiceTraffic, answers: readonly PolicyEnvironment[]): ServiceRoutes {
  const byName = (a: RouteFragment, b: RouteFragment) => byString(a.metadata.name, b.metadata.name);
  const branches = [...traffic.branches].sort(byName);
  const scoped = branches.filter((f) => f.spec.branch!.environment !== undefined);
  const unscoped = branches.filter((f) => f.spec.branch!.environment === undefined);
  const defaultEnv = policy.environments.find((e) => e.isDefault);
  const envHeader = policy.environmentHeader;
  const removeBranchHeaders = [...new Set([policy.branchHeader, ...policy.allowedHeaders])].sort(byString);
  const fallbacks = new Map<string, Fallback>();
  const onEnv = (env: PolicyEnvironment): HTTPMatchRequest[] => [{ headers: { [envHeader]: { exact: env.name } } }];

  /** E's destinations, or its fallback. */
  const target = (env: PolicyEnvironment): Pick<HTTPRoute, 'route' | 'directResponse'> => {
    const own = traffic.environments.get(env.name);
    if (own) return { route: destinations(traffic.service, own) };
    const fromDefault = defaultEnv && !env.isDefault ? traffic.environments.get(defaultEnv.name) : undefined;
    if (fromDefault) {
      fallbacks.set(env.name, { environment: env.name, kind: 'default', from: defaultEnv!.name });
      return { route: destinations(traffic.service, fromDefault) };
    }
    if (!traffic.hasReleases) {
      fallbacks.set(env.name, { environment: env.name, kind: 'service' });
      return { route: [{ destination: { host: traffic.service }, weight: 100 }] };
    }
    fallbacks.set(env.name, { environment: env.name, kind: 'status', status: 503 });
    return { directResponse: { status: 503 } };
  };

  const mesh: HTTPRoute[] = [];
  for (const f of scoped) {
    const env = policy.environments.find((e) => e.name === f.spec.branch!.environment)!;
    mesh.push(branchRoute(traffic.service, f, { [envHeader]: { exact: env.name }, ...headerMatch(policy, f) }));
  }
  for (const env of policy.environments.filter((e) => !e.allowBranches)) {
    mesh.push({ name: `environment:${env.name}`, match: onEnv(env), ...target(env), headers: { request: { remove: removeBranchHeaders } } });
  }
  for (const f of unscoped) mesh.push(branchRoute(traffic.service, f, headerMatch(policy, f)));
  for (const env of policy.environments.filter((e) => e.allowBranches && !e.isDefault)) {
    const own = traffic.environments.get(env.name);
    if (own) mesh.push({ name: `environment:${env.name}`, match: onEnv(env), route: destinations(traffic.service, own) });
  }
  if (defaultEnv) mesh.push({ name: `default:${defaultEnv.name}`, ...target(defaultEnv) });
  else if (!traffic.hasReleases) {
    fallbacks.set('', { environment: '', kind: 'service' });
    mesh.push({ name: 'default', route: [{ destination: { host: traffic.service }, weight: 100 }] });
  } else {
    fallbacks.set('', { environment: '', kind: 'status', status: 404 });
    mesh.push({ name: 'default', directResponse: { status: 404 } });
  }

  const gateways = new Map<string, HTTPRoute[]>();
  for (const env of answers) {
    const setEnv = { set: { [envHeader]: env.name } };
    const routes: HTTPRoute[] = [];
    const own = scoped.filter((f) => f.spec.branch!.environment === env.name);
    // an unscoped branch with the same header match as one scoped to E would never answer here
    const taken = new Set(own.map((f) => JSON.stringify(headerMatch(policy, f))));
    const others = env.allowBranches ? unscoped.filter((f) => !taken.has(JSON.stringify(headerMatch(policy, f)))) : [];
    for (const f of [...own, ...others]) {
      routes.push({ ...branchRoute(traffic.service, f, headerMatch(policy, f)), headers: { request: setEnv } });
    }
    const request = env.allowBranches ? setEnv : { ...setEnv, remove: removeBranchHeaders };
    routes.push({ name: `environment:${env.name}`, ...target(env), headers: { request } });
    gateways.set(env.name, routes);
  }
  return { mesh, gateways, fallbacks: [...fallbacks.values()] };
}

function headerMatch(policy: Policy, f: RouteFragment): Record<string, StringMatch> {
  const { value, header = policy.branchHeader, match = 'exact' } = f.spec.branch!;
  const stringMatch: StringMatch = match === 'prefix' ? { prefix: value } : match === 'regex' ? { regex: value } : { exact: value };
  return { [header]: stringMatch };
}

const destination = (service: string, subset: string, weight: number): HTTPRouteDestination => ({
  destination: { host: service, subset },
  weight,
});

function branchRoute(service: string, f: RouteFragment, headers: Record<string, StringMatch>): HTTPRoute {
  return { name: `branch:${f.metadata.name}`, match: [{ headers }], route: [destination(service, f.spec.subset.name, 100)] };
}

function destinations(service: string, shares: readonly ReleaseShare[]): HTTPRouteDestination[] {
  // A canary that names the live release's subset (the same pods) adds its share to that
  // destination: one subset appears once in a route, and the weights still sum to 100.
  const weights = new Map<string, number>();
  for (const s of shares) weights.set(s.fragment.spec.subset.name, (weights.get(s.fragment.spec.subset.name) ?? 0) + s.weight);
  return [...weights].map(([subset, weight]) => destination(service, subset, weight));
}
