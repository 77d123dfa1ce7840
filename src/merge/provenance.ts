// Which RouteFragment a generated route or subset came from, read back from the route's name
// (`branch:<fragment>`, `environment:<env>`, `default:<env>`, see routes.ts) and the subset it
// sends traffic to. For explain, check and the routing summary. Pure.
import type { RouteFragment, Sourced } from '../model/kinds.ts';
import { isExpired } from './live.ts';

export interface FragmentIndex {
  /** The fragment behind `route` of the VirtualService of `service` (`checkout` or `checkout.staging`) in `namespace` that sends to `subset`. */
  routeOrigin(namespace: string | undefined, service: string, route: string | undefined, subset: string | undefined): Sourced<RouteFragment> | undefined;
  /** Every fragment that defines `subset` of `service`, by name. */
  subsetOrigins(namespace: string | undefined, service: string, subset: string): Sourced<RouteFragment>[];
}

const key = (...parts: (string | undefined)[]): string => parts.map((p) => p ?? '').join('\u0000');

/** Indexes fragments that are not expired at `now` (expired ones make no routes). */
export function indexFragments(fragments: readonly Sourced<RouteFragment>[], now: Date): FragmentIndex {
  const current = fragments.filter((f) => !isExpired(f.object, now));
  const byName = new Map<string, Sourced<RouteFragment>>();
  const releases = new Map<string, Sourced<RouteFragment>[]>();
  const subsets = new Map<string, Sourced<RouteFragment>[]>();
  for (const f of current) {
    const { metadata, spec } = f.object;
    if (!byName.has(key(metadata.namespace, metadata.name))) byName.set(key(metadata.namespace, metadata.name), f);
    const s = key(metadata.namespace, spec.service, spec.subset.name);
    subsets.set(s, [...(subsets.get(s) ?? []), f]);
    if (spec.release) {
      const r = key(metadata.namespace, spec.service, spec.release.environment, spec.subset.name);
      releases.set(r, [...(releases.get(r) ?? []), f]);
    }
  }
  for (const list of subsets.values()) list.sort((a, b) => (a.object.metadata.name < b.object.metadata.name ? -1 : 1));
  return {
    routeOrigin(namespace, virtualService, route, subset) {
      if (route === undefined) return undefined;
      const service = virtualService.split('.')[0]!; // checkout.staging is service checkout's
      const branch = /^branch:(.+)$/.exec(route);
      if (branch) {
        const f = byName.get(key(namespace, branch[1]));
        return f && f.object.spec.service === service ? f : undefined;
      }
      const environment = /^(?:environment|default):(.+)$/.exec(route);
      if (!environment || subset === undefined) return undefined;
      const candidates = releases.get(key(namespace, service, environment[1], subset)) ?? [];
      // The live stable release has the highest revision; a canary sharing its subset is the same pods.
      return [...candidates].sort((a, b) => b.object.spec.release!.revision - a.object.spec.release!.revision)[0];
    },
    subsetOrigins(namespace, service, subset) {
      return subsets.get(key(namespace, service, subset)) ?? [];
    },
  };
}
