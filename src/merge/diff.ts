// Which requests change answer between two renders (`switchyard diff`): reviewers see what a
// change does to traffic, not a YAML diff. Pure.
//
// A request is (where it arrives: a gateway or the mesh, host, headers). The requests that matter
// are enumerated from the two renders, not fuzzed: at each gateway (and the mesh) that a
// VirtualService of either side is bound to, every host a VirtualService bound there serves (each
// environment host; a service's own name as its cluster FQDN; a wildcard host through one name
// under it), each alone and with each header value that a route of either side matches exactly or
// by prefix. Each request is answered on each side by answerRequest, which picks the VirtualService
// as Envoy does with evaluate.ts's virtualHostOf (the one explain uses), then its route.
import { byString } from './canonical.ts';
import { boundGateways, entriesOf, evaluateRoutes, serviceFqdn, virtualHostOf, type HttpRequest, type RouteLike } from './evaluate.ts';
import type { KubeObject, Sourced } from '../model/kinds.ts';
import { isRecord } from '../model/json.ts';


export interface Share {
  subset?: string;
  host: string;
  share: number;
}

/** How one side answers a request. */
export interface RequestAnswer {
  /** `namespace/name` of the VirtualService that takes the request; undefined when none serves the host. */
  virtualService?: string;
  /** The answering route's name, or its index as `http[i]`; undefined when no route answers (404). */
  route?: string;
  shares: Share[];
  /** What the route did when it did not route: redirect, direct response, none. */
  action?: string;
}

/** A request where it arrives: `gateway` is a gateway as namespace/name, or mesh. */
export type GatewayRequest = HttpRequest & { gateway: string };

export interface RequestChange {
  request: GatewayRequest;
  before: RequestAnswer;
  after: RequestAnswer;
}

interface VirtualServiceView {
  name: string;
  namespace?: string;
  hosts: string[];
  gateways: string[];
  http: RouteLike[];
}

function viewsOf(objects: readonly Sourced<KubeObject>[]): VirtualServiceView[] {
  return objects
    .filter((o) => o.object.kind === 'VirtualService')
    .map(({ object }) => {
      const meta = isRecord(object.metadata) ? object.metadata : {};
      const spec = isRecord(object.spec) ? object.spec : {};
      return {
        name: String(meta.name ?? ''),
        ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}),
        hosts: Array.isArray(spec.hosts) ? spec.hosts.filter((h): h is string => typeof h === 'string') : [],
        gateways: boundGateways(Array.isArray(spec.gateways) ? spec.gateways.filter((g): g is string => typeof g === 'string') : undefined, typeof meta.namespace === 'string' ? meta.namespace : undefined),
        http: Array.isArray(spec.http) ? spec.http.map((r) => (isRecord(r) ? r : {})) : [],
      };
    })
    .sort((a, b) => byString(`${a.namespace ?? ''}/${a.name}`, `${b.namespace ?? ''}/${b.name}`));
}

/** The one function that asks the evaluator: which VirtualService and route answer, with what shares. */
export function answerRequest(objects: readonly Sourced<KubeObject>[], request: GatewayRequest): RequestAnswer {
  // Envoy's virtual host holds the routes of each VirtualService it picked, in name order here
  for (const vs of virtualHostOf(viewsOf(objects), request.gateway, request.authority)) {
    const evaluation = evaluateRoutes(vs.http, request);
    const virtualService = vs.namespace ? `${vs.namespace}/${vs.name}` : vs.name;
    if (evaluation.answer === undefined) return { virtualService, shares: [] };
    const route = vs.http[evaluation.answer]!;
    return {
      virtualService,
      route: typeof route.name === 'string' ? route.name : `http[${evaluation.answer}]`,
      shares: evaluation.destinations
        .map((d) => ({ ...(d.subset !== undefined ? { subset: d.subset } : {}), host: d.host, share: d.share }))
        .sort((x, y) => byString(`${x.host}\u0000${x.subset ?? ''}`, `${y.host}\u0000${y.subset ?? ''}`)),
      ...(evaluation.action && evaluation.action !== 'route' ? { action: evaluation.action } : {}),
    };
  }
  return { shares: [] };
}

/** A host a client would send for a VirtualService host. */
function requestHost(host: string, namespace: string | undefined): string {
  if (host.startsWith('*.')) return `wildcard${host.slice(1)}`;
  return (!host.includes('.') && serviceFqdn(host, namespace)) || host;
}

/** The requests to compare: every served host, alone and with each header value a route matches. */
export function requestsToCompare(...sides: (readonly Sourced<KubeObject>[])[]): GatewayRequest[] {
  const hostsAt = new Map<string, Set<string>>();
  // each header value alone, and each match entry's header values together (a branch scoped to
  // an environment matches the environment header AND the branch header)
  const headerSets = new Map<string, Record<string, string>>([['', {}]]);
  const add = (pairs: [string, string][]) => {
    const sorted = [...pairs].sort((a, b) => byString(`${a[0]}\u0000${a[1]}`, `${b[0]}\u0000${b[1]}`));
    if (new Set(sorted.map(([n]) => n)).size !== sorted.length) return;
    headerSets.set(sorted.map(([n, v]) => `${n}\u0000${v}`).join('\u0001'), Object.fromEntries(sorted));
  };
  for (const objects of sides) {
    for (const vs of viewsOf(objects)) {
      for (const gateway of vs.gateways) {
        const hosts = hostsAt.get(gateway) ?? new Set<string>();
        for (const h of vs.hosts) if (h !== '*') hosts.add(requestHost(h, vs.namespace));
        hostsAt.set(gateway, hosts);
      }
      for (const route of vs.http) {
        for (const conditions of entriesOf(route) ?? []) {
          const pairs: [string, string][] = [];
          for (const c of conditions) {
            if (!c.field.startsWith('headers.') || c.negated || !c.matcher || (c.matcher.kind !== 'exact' && c.matcher.kind !== 'prefix')) continue;
            pairs.push([c.field.slice('headers.'.length), c.matcher.value]);
          }
          for (const pair of pairs) add([pair]);
          if (pairs.length > 1) add(pairs);
        }
      }
    }
  }
  // the mesh first, then the gateways by name; within each, hosts by name
  const gateways = [...hostsAt.keys()].sort((a, b) => (a === 'mesh' ? -1 : b === 'mesh' ? 1 : byString(a, b)));
  return gateways.flatMap((gateway) =>
    [...hostsAt.get(gateway)!].sort(byString).flatMap((authority) => [...headerSets].sort(([a], [b]) => byString(a, b)).map(([, h]) => ({ gateway, authority, path: '/', headers: h }))),
  );
}

const sameAnswer = (a: RequestAnswer, b: RequestAnswer): boolean =>
  a.virtualService === b.virtualService && a.route === b.route && a.action === b.action && JSON.stringify(a.shares) === JSON.stringify(b.shares);

/** Every request whose answer differs between `before` and `after`, in gateway, host and header order. */
export function diffRouting(before: readonly Sourced<KubeObject>[], after: readonly Sourced<KubeObject>[]): { requests: number; changes: RequestChange[] } {
  const requests = requestsToCompare(before, after);
  const changes: RequestChange[] = [];
  for (const request of requests) {
    const a = answerRequest(before, request);
    const b = answerRequest(after, request);
    if (!sameAnswer(a, b)) changes.push({ request, before: a, after: b });
  }
  return { requests: requests.length, changes };
}
