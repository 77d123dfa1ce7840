// An evaluator of how Istio and Envoy route a request, written from their docs and source and
// sharing no code with src/. It judges what Switchyard writes, so it must not borrow its logic.
//
// What it follows:
// - Envoy route matching (docs: configuration/http/http_conn_man/route_matching): the request's
//   host / :authority picks one virtual host by its domains; then the virtual host's routes are
//   tried in order and the first that matches is used.
// - Envoy VirtualHost.domains (api v3 route_components.proto): search order exact domain, then
//   suffix wildcards (`*.foo.com`, longest first), then prefix wildcards, then `*`; a wildcard never
//   matches the empty string; domain matching is case-insensitive (host names are).
// - Istio's gateway virtual hosts (pilot/pkg/networking/core/.../gateway.go,
//   buildGatewayVirtualHostDomains): a host H gets the domains H and `H:*` (any port); a wildcard
//   host `*.x` gets `*.x` and `*.x:<server port>` only (Envoy allows one wildcard per domain).
//   Every VirtualService bound to the gateway that claims a host adds its routes to that host's
//   virtual host, in an order nobody controls; on the mesh two VirtualServices for one host are
//   IST0109. This evaluator reports such a claim as `conflict` instead of guessing an order.
// - Istio's sidecar (mesh) virtual hosts: a service `s` of namespace `n` answers `s`, `s.n`,
//   `s.n.svc`, `s.n.svc.cluster.local`, each also with `:<service port>`; a VirtualService's short
//   host resolves against its own namespace.
// - Istio HTTPMatchRequest → Envoy RouteMatch: `authority` becomes a `:authority` header matcher
//   (exact and prefix are case-sensitive, no ignore_case), `headers` header matchers (exact is
//   case-sensitive; regex is RE2, matched against the whole value: safe_regex), the entries of a
//   route's `match` are OR, the conditions of one entry AND; `{}` on a header asks for presence.
//   RE2 here is the re2js package (a port of RE2/J), not JavaScript's RegExp.
// - Header manipulation (Envoy HeaderParser, and Istio's translation of `headers.request`):
//   `remove` becomes request_headers_to_remove, `set` request_headers_to_add with OVERWRITE; Envoy
//   removes before it adds.
// - Weighted destinations: each destination's share is its weight over the route's total.
import { RE2JS } from 're2js';

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

export interface VirtualServiceLike {
  kind?: string;
  metadata: { name: string; namespace?: string };
  spec: { hosts?: string[]; gateways?: string[]; http?: Json[]; [k: string]: unknown };
}

export interface Request {
  /** The Host / :authority header exactly as the client sends it (case and port included). */
  authority: string;
  /** Header names lower-case, as HTTP/2 and Envoy see them. */
  headers: Record<string, string>;
  path?: string;
}

export interface Destination {
  host: string;
  subset?: string;
  share: number;
}

export type Outcome =
  | { kind: 'no-virtual-host' }
  | { kind: 'conflict'; virtualServices: string[] }
  | { kind: 'no-route'; virtualService: string }
  | { kind: 'route'; virtualService: string; route?: string; destinations: Destination[]; headers: Record<string, string> }
  | { kind: 'direct'; virtualService: string; route?: string; status: number };

export interface Listener {
  /** `mesh`, or a gateway as `namespace/name`. */
  gateway: string;
  /** The port the request came in on (gateway server port, or the service port on the mesh). */
  port?: number;
}

const nsOf = (vs: VirtualServiceLike): string => vs.metadata.namespace ?? 'default';
const idOf = (vs: VirtualServiceLike): string => `${nsOf(vs)}/${vs.metadata.name}`;

/** The gateways a VirtualService is bound to, as `mesh` or `namespace/name`. */
export function boundGateways(vs: VirtualServiceLike): string[] {
  const gateways = vs.spec.gateways && vs.spec.gateways.length > 0 ? vs.spec.gateways : ['mesh'];
  return gateways.map((g) => (g === 'mesh' || g.includes('/') ? g : `${nsOf(vs)}/${g}`));
}

/** The Envoy domains Istio generates for one host of a VirtualService at this listener. */
export function domainsOf(host: string, vs: VirtualServiceLike, listener: Listener): string[] {
  const h = host.toLowerCase();
  const port = listener.port ?? 80;
  if (listener.gateway !== 'mesh') {
    if (h === '*') return ['*'];
    return h.startsWith('*') ? [h, `${h}:${port}`] : [h, `${h}:*`];
  }
  if (h.startsWith('*')) return [h, `${h}:${port}`];
  const parts = h.split('.');
  const fqdn = parts.length === 1 ? `${h}.${nsOf(vs)}.svc.cluster.local` : h;
  const m = /^([^.]+)\.([^.]+)\.svc\.cluster\.local$/.exec(fqdn);
  const names = m ? [m[1]!, `${m[1]}.${m[2]}`, `${m[1]}.${m[2]}.svc`, fqdn] : [fqdn];
  return names.flatMap((n) => [n, `${n}:${port}`]);
}

function domainMatches(domain: string, host: string): 'exact' | number | undefined {
  if (domain === host) return 'exact';
  if (domain === '*') return 0;
  if (domain.startsWith('*')) {
    const suffix = domain.slice(1);
    // `:*` as a port wildcard: Istio writes `host:*`, Envoy treats a trailing `*` as a prefix wildcard
    if (host.length > suffix.length && host.endsWith(suffix)) return suffix.length;
    return undefined;
  }
  if (domain.endsWith('*')) {
    const prefix = domain.slice(0, -1);
    if (host.length > prefix.length && host.startsWith(prefix)) return -1 - (1000 - prefix.length) / 1000; // prefix wildcards after suffix ones
  }
  return undefined;
}

/** Which VirtualServices Envoy's virtual host for this request holds (more than one: a conflict). */
export function selectVirtualHost(objects: readonly VirtualServiceLike[], listener: Listener, authority: string): VirtualServiceLike[] {
  const host = authority.toLowerCase();
  let best: { rank: number; domain: string } | undefined;
  const holders = new Map<string, VirtualServiceLike[]>();
  for (const vs of objects) {
    if (vs.kind !== undefined && vs.kind !== 'VirtualService') continue;
    if (!boundGateways(vs).includes(listener.gateway)) continue;
    for (const h of vs.spec.hosts ?? []) {
      for (const domain of domainsOf(h, vs, listener)) {
        const hit = domainMatches(domain, host);
        if (hit === undefined) continue;
        const rank = hit === 'exact' ? Number.MAX_SAFE_INTEGER : hit === 0 ? -1e9 : hit;
        const list = holders.get(domain) ?? [];
        if (!list.includes(vs)) list.push(vs);
        holders.set(domain, list);
        if (!best || rank > best.rank) best = { rank, domain };
      }
    }
  }
  return best ? holders.get(best.domain)! : [];
}

function stringMatch(m: unknown, value: string | undefined): boolean {
  if (!isRecord(m)) throw new Error(`unsupported string match ${JSON.stringify(m)}`);
  const keys = Object.keys(m);
  if (keys.length === 0) return value !== undefined;
  if (value === undefined) return false;
  if (typeof m.exact === 'string') return value === m.exact;
  if (typeof m.prefix === 'string') return value.startsWith(m.prefix);
  if (typeof m.regex === 'string') return RE2JS.compile(m.regex).matches(value);
  throw new Error(`unsupported string match ${JSON.stringify(m)}`);
}

function entryMatches(entry: unknown, request: Request): boolean {
  if (!isRecord(entry)) return true;
  for (const [field, condition] of Object.entries(entry)) {
    if (field === 'name') continue;
    if (field === 'authority') {
      if (!stringMatch(condition, request.authority)) return false;
    } else if (field === 'headers') {
      for (const [name, m] of Object.entries(condition as Json)) if (!stringMatch(m, request.headers[name.toLowerCase()])) return false;
    } else if (field === 'uri') {
      if (!stringMatch(condition, (request.path ?? '/').split('?')[0])) return false;
    } else {
      throw new Error(`the oracle does not model match field ${field}`);
    }
  }
  return true;
}

function applyHeaders(route: Json, headers: Record<string, string>): Record<string, string> {
  const out = { ...headers };
  const request = isRecord(route.headers) && isRecord(route.headers.request) ? route.headers.request : {};
  for (const name of Array.isArray(request.remove) ? (request.remove as string[]) : []) delete out[name.toLowerCase()];
  for (const [name, value] of Object.entries(isRecord(request.set) ? request.set : {})) out[name.toLowerCase()] = String(value);
  for (const [name, value] of Object.entries(isRecord(request.add) ? request.add : {})) out[name.toLowerCase()] = out[name.toLowerCase()] === undefined ? String(value) : `${out[name.toLowerCase()]},${String(value)}`;
  return out;
}

/** What Envoy does with `request` arriving at `listener`, given every VirtualService Istio sees. */
export function routeRequest(objects: readonly VirtualServiceLike[], listener: Listener, request: Request): Outcome {
  const holders = selectVirtualHost(objects, listener, request.authority);
  if (holders.length === 0) return { kind: 'no-virtual-host' };
  if (holders.length > 1) return { kind: 'conflict', virtualServices: holders.map(idOf).sort() };
  const vs = holders[0]!;
  for (const route of vs.spec.http ?? []) {
    const match = route.match;
    const hit = !Array.isArray(match) || match.length === 0 || match.some((e) => entryMatches(e, request));
    if (!hit) continue;
    const name = typeof route.name === 'string' ? route.name : undefined;
    if (isRecord(route.directResponse)) return { kind: 'direct', virtualService: idOf(vs), ...(name ? { route: name } : {}), status: Number(route.directResponse.status) };
    const list = (Array.isArray(route.route) ? route.route : []) as Json[];
    const weights = list.map((d) => (typeof d.weight === 'number' ? d.weight : list.length === 1 ? 100 : 0));
    const total = weights.reduce((a, b) => a + b, 0);
    const destinations = list.map((d, i) => {
      const dest = d.destination as Json;
      return { host: String(dest.host), ...(typeof dest.subset === 'string' ? { subset: dest.subset } : {}), share: total > 0 ? (weights[i]! * 100) / total : 0 };
    });
    return { kind: 'route', virtualService: idOf(vs), ...(name ? { route: name } : {}), destinations, headers: applyHeaders(route, request.headers) };
  }
  return { kind: 'no-route', virtualService: idOf(vs) };
}

/**
 * The next hop: the application that received `arrived` (headers after the route's manipulation)
 * calls `service` inside the mesh and copies only the headers named in `propagate`.
 */
export function nextCall(objects: readonly VirtualServiceLike[], arrived: Outcome, service: string, propagate: readonly string[]): Outcome {
  if (arrived.kind !== 'route') return arrived;
  const headers: Record<string, string> = {};
  for (const name of propagate) if (arrived.headers[name] !== undefined) headers[name] = arrived.headers[name]!;
  return routeRequest(objects, { gateway: 'mesh' }, { authority: service, headers });
}

/** Every (listener, Envoy domain) claimed by more than one VirtualService: IST0109 on the mesh, merged routes at a gateway. */
export function hostClaimConflicts(objects: readonly VirtualServiceLike[]): string[] {
  const claims = new Map<string, Set<string>>();
  for (const vs of objects) {
    if (vs.kind !== undefined && vs.kind !== 'VirtualService') continue;
    for (const gateway of boundGateways(vs)) {
      for (const host of vs.spec.hosts ?? []) {
        // the longest name without port is the fully qualified one (a short host resolved against the VirtualService's namespace)
        const domain = domainsOf(host, vs, { gateway }).filter((d) => !d.includes(':')).sort((a, b) => b.length - a.length)[0]!;
        const key = `${gateway} ${domain}`;
        const set = claims.get(key) ?? new Set<string>();
        set.add(idOf(vs));
        claims.set(key, set);
      }
    }
  }
  return [...claims].filter(([, set]) => set.size > 1).map(([key, set]) => `${key}: ${[...set].sort().join(', ')}`);
}
