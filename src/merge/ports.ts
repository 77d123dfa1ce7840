// Destination ports. A Service with several ports needs every destination to say which one, or
// Istio's analyzer reports IST0112 (VirtualServiceDestinationPortSelectorRequired) and Envoy picks
// none for the route. A fragment's `spec.port` names its destinations' port; where the input holds
// the service's Service, the port must be one of its ports, and is required when it has several.
// Pure; kept apart from route building, which applyPorts only decorates.
import type { HTTPRoute } from '../model/istio.ts';
import type { RouteFragment } from '../model/kinds.ts';
import type { Problem } from '../schema/validate.ts';

/** A Service of the input, as far as ports go. */
export interface ServicePorts {
  name: string;
  namespace?: string;
  ports: number[];
}

/** What is wrong with the fragment's port, given its Service (undefined when the input has none). */
export function portProblem(fragment: RouteFragment, service: ServicePorts | undefined): Problem | undefined {
  const port = fragment.spec.port;
  if (!service || service.ports.length === 0) return undefined;
  const list = service.ports.join(', ');
  if (port === undefined) {
    return service.ports.length > 1
      ? { path: 'spec.port', message: `is missing, and Service ${service.name} has several ports (${list}), so Istio cannot tell which one this fragment's routes mean (IST0112); set spec.port to one of them.` }
      : undefined;
  }
  if (!service.ports.includes(port)) return { path: 'spec.port', message: `is ${port}, which is not a port of Service ${service.name} (${list}); use one of them.` };
  return undefined;
}

/** The port of each subset's destinations, from the fragments that define the subsets. */
export function portsBySubset(fragments: readonly RouteFragment[]): Map<string, number> {
  const ports = new Map<string, number>();
  for (const f of fragments) if (f.spec.port !== undefined && !ports.has(f.spec.subset.name)) ports.set(f.spec.subset.name, f.spec.port);
  return ports;
}

/** The routes, with `destination.port.number` on every destination whose subset has a port. */
export function applyPorts(routes: readonly HTTPRoute[], ports: ReadonlyMap<string, number>): HTTPRoute[] {
  if (ports.size === 0) return [...routes];
  return routes.map((r) => (!r.route ? r : {
    ...r,
    route: r.route.map((d) => {
      const port = d.destination.subset === undefined ? undefined : ports.get(d.destination.subset);
      return port === undefined ? d : { ...d, destination: { ...d.destination, port: { number: port } } };
    }),
  }));
}
