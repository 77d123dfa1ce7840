// Which http route of a VirtualService answers a request, as Istio (Envoy) decides it, written
// once for `explain` (which route, why the earlier ones did not match, what share each subset
// gets) and for `check` (which routes can never answer because an earlier one takes their
// requests). Pure: no I/O.
//
// Istio's semantics: routes are tried in order and the first whose match fits answers. A route
// without match, or with a match entry that has no conditions, matches everything. The entries
// of one route's `match` are OR; the conditions of one entry are AND. String matches are exact,
// prefix or regex; a regex must match the whole value (RE2's FullMatch, run by re2js as Envoy
// runs RE2). A header condition never matches a request
// without that header; `{}` on a header only asks for its presence.
import type { RE2JS } from 're2js';
import { compileRe2, fullMatch } from './regex.ts';
import { fingerprint } from './canonical.ts';
import { isRecord } from '../model/json.ts';

export type Matcher =
  | { kind: 'exact'; value: string }
  | { kind: 'prefix'; value: string }
  | { kind: 'regex'; value: string }
  /** `{}` on a header: present, with any value. */
  | { kind: 'present' };

/** One condition of a match entry. */
export interface Condition {
  /** What it looks at, as a key: `authority`, `uri`, `scheme`, `method`, `headers.x-branch`, `queryParams.q`, `withoutHeaders.x`, or another field's name. */
  field: string;
  /** The same for people: `host`, `path`, `header x-branch`... */
  label: string;
  /** Undefined for a condition this module cannot judge (sourceLabels, port, gateways...). */
  matcher?: Matcher;
  /** withoutHeaders: the header must be absent or not match. */
  negated?: boolean;
  /** ignoreUriCase on a uri condition. */
  ignoreCase?: boolean;
  /** The condition as written, to compare conditions this module cannot judge. */
  raw: unknown;
}

/** A request as explain takes it: the host (authority), the path (with an optional query) and headers (lower-case names). */
export interface HttpRequest {
  authority: string;
  path?: string;
  method?: string;
  scheme?: string;
  headers: Readonly<Record<string, string>>;
}

export type Outcome = 'match' | 'no-match' | 'unknown';

export interface ConditionOutcome {
  condition: Condition;
  /** The request's value for the condition; undefined when the request has none (a header it does not carry). */
  actual?: string;
  outcome: Outcome;
}

export interface EntryOutcome {
  index: number;
  matched: boolean;
  conditions: ConditionOutcome[];
}

export interface RouteOutcome {
  /** The route's index in `http`. */
  index: number;
  name?: string;
  /** No match, or a match entry without conditions: it answers every request that reaches it. */
  catchAll: boolean;
  matched: boolean;
  /** Every match entry, with each condition's outcome; empty for a route without match. */
  entries: EntryOutcome[];
}

export interface WeightedDestination {
  host: string;
  subset?: string;
  port?: number;
  weight: number;
  /** Percent of the route's requests, 0..100. */
  share: number;
}

export interface Evaluation {
  /** The index of the answering route; undefined when no route matches (Istio answers 404). */
  answer?: number;
  /** Every route tried, in order, up to and including the answer (all of them when none answers). */
  routes: RouteOutcome[];
  /** Where the answering route sends the request; empty without an answer or for a redirect or direct response. */
  destinations: WeightedDestination[];
  /** What the answering route does: route to destinations, redirect, or respond directly. */
  action?: 'route' | 'redirect' | 'directResponse' | 'none';
}

/** The fields of an http route that evaluation reads; the rest (timeout, retries...) is ignored. */
export interface RouteLike {
  name?: unknown;
  match?: unknown;
  route?: unknown;
  redirect?: unknown;
  directResponse?: unknown;
}


/** Fields of a match entry that name or modify it but match nothing themselves. */
const NOT_CONDITIONS = new Set(['name', 'ignoreUriCase', 'statPrefix']);

/** A StringMatch as a Matcher; `{}` is presence where `allowPresence`; anything else is unknown. */
export function toMatcher(value: unknown, allowPresence = false): Matcher | undefined {
  if (!isRecord(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length === 0) return allowPresence ? { kind: 'present' } : undefined;
  if (keys.length !== 1) return undefined;
  const kind = keys[0]!;
  const v = value[kind];
  if (typeof v !== 'string') return undefined;
  if (kind === 'exact' || kind === 'prefix' || kind === 'regex') return { kind, value: v };
  return undefined;
}

/** The conditions of one match entry (an HTTPMatchRequest). */
export function conditionsOf(entry: unknown): Condition[] {
  if (!isRecord(entry)) return [{ field: 'match', label: 'match entry', raw: entry }];
  const conditions: Condition[] = [];
  const ignoreCase = entry.ignoreUriCase === true;
  for (const [key, raw] of Object.entries(entry)) {
    if (NOT_CONDITIONS.has(key) || raw === undefined) continue;
    switch (key) {
      case 'authority':
        conditions.push(withMatcher({ field: 'authority', label: 'host', raw }, toMatcher(raw)));
        break;
      case 'uri':
        conditions.push(withMatcher({ field: 'uri', label: 'path', raw, ...(ignoreCase ? { ignoreCase } : {}) }, toMatcher(raw)));
        break;
      case 'scheme':
      case 'method':
        conditions.push(withMatcher({ field: key, label: key, raw }, toMatcher(raw)));
        break;
      case 'headers':
      case 'withoutHeaders':
      case 'queryParams':
        if (!isRecord(raw)) {
          conditions.push({ field: key, label: key, raw });
          break;
        }
        for (const [name, match] of Object.entries(raw)) {
          const lower = key === 'queryParams' ? name : name.toLowerCase();
          const label = key === 'headers' ? `header ${lower}` : key === 'withoutHeaders' ? `header ${lower} (withoutHeaders)` : `query parameter ${name}`;
          conditions.push(
            withMatcher({ field: `${key}.${lower}`, label, raw: match, ...(key === 'withoutHeaders' ? { negated: true } : {}) }, toMatcher(match, key !== 'queryParams')),
          );
        }
        break;
      default:
        conditions.push({ field: key, label: key, raw });
    }
  }
  return conditions;
}

const withMatcher = (condition: Condition, matcher: Matcher | undefined): Condition => (matcher ? { ...condition, matcher } : condition);

/** The match entries of a route as lists of conditions; undefined for a route without match (a catch-all). */
export function entriesOf(route: RouteLike): Condition[][] | undefined {
  if (!Array.isArray(route.match) || route.match.length === 0) return undefined;
  return route.match.map(conditionsOf);
}

export const isCatchAll = (route: RouteLike): boolean => {
  const entries = entriesOf(route);
  return entries === undefined || entries.some((conditions) => conditions.length === 0);
};

// --- matching values --------------------------------------------------------------------------

/** Longer values are not matched against a regex here (see matches). */
export const MAX_MATCHED_VALUE = 4096;

/** The pattern as RE2 (Envoy) compiles it; undefined when RE2 refuses it. */
export function toRegExp(pattern: string, ignoreCase = false): RE2JS | undefined {
  return compileRe2(pattern, ignoreCase);
}

/** Whether `value` satisfies `matcher`; undefined when the regex cannot be read. */
export function matches(matcher: Matcher, value: string, ignoreCase = false): boolean | undefined {
  const fold = (s: string) => (ignoreCase ? s.toLowerCase() : s);
  switch (matcher.kind) {
    case 'present':
      return true;
    case 'exact':
      return fold(value) === fold(matcher.value);
    case 'prefix':
      return fold(value).startsWith(fold(matcher.value));
    case 'regex':
      // RE2 runs in linear time, as Envoy does: every pattern RE2 accepts is run, whatever its shape.
      if (value.length > MAX_MATCHED_VALUE) return undefined;
      return fullMatch(matcher.value, value, ignoreCase);
  }
}

/** `exact "a"`, `prefix "feature-"`, `regex "f.*"`, `present`. */
export const describeMatcher = (m: Matcher): string => (m.kind === 'present' ? 'present' : `${m.kind} ${JSON.stringify(m.value)}`);

// --- evaluating a request ---------------------------------------------------------------------

function splitPath(path: string | undefined): { uri: string; query: Map<string, string> } {
  const raw = path ?? '/';
  const q = raw.indexOf('?');
  const uri = q < 0 ? raw : raw.slice(0, q);
  const query = new Map<string, string>();
  if (q >= 0) {
    for (const part of raw.slice(q + 1).split('&')) {
      if (!part) continue;
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      if (!query.has(name)) query.set(name, eq < 0 ? '' : part.slice(eq + 1));
    }
  }
  return { uri: uri || '/', query };
}

function judge(condition: Condition, request: HttpRequest, uri: string, query: Map<string, string>): ConditionOutcome {
  const [kind, name = ''] = condition.field.includes('.') ? [condition.field.slice(0, condition.field.indexOf('.')), condition.field.slice(condition.field.indexOf('.') + 1)] : [condition.field];
  let actual: string | undefined;
  switch (kind) {
    case 'authority':
      actual = request.authority;
      break;
    case 'uri':
      actual = uri;
      break;
    case 'scheme':
      actual = request.scheme;
      break;
    case 'method':
      actual = request.method;
      break;
    case 'headers':
    case 'withoutHeaders':
      actual = request.headers[name];
      break;
    case 'queryParams':
      actual = query.get(name);
      break;
    default:
      return { condition, outcome: 'unknown' };
  }
  const result = (outcome: Outcome): ConditionOutcome => (actual === undefined ? { condition, outcome } : { condition, actual, outcome });
  if (!condition.matcher) return result('unknown');
  if (actual === undefined) {
    // The request does not carry it. A header condition fails, withoutHeaders holds; a method
    // or scheme that explain was not told cannot be judged.
    if (kind === 'method' || kind === 'scheme') return result('unknown');
    return result(condition.negated ? 'match' : 'no-match');
  }
  const hit = matches(condition.matcher, actual, condition.ignoreCase);
  if (hit === undefined) return result('unknown');
  return result(hit !== (condition.negated === true) ? 'match' : 'no-match');
}

/** The destinations of a route, with each one's share of its requests. */
export function destinationsOf(route: RouteLike): WeightedDestination[] {
  if (!Array.isArray(route.route)) return [];
  const list = route.route.filter(isRecord);
  const weights = list.map((d) => (typeof d.weight === 'number' ? d.weight : list.length === 1 ? 100 : 0));
  const total = weights.reduce((a, b) => a + b, 0);
  return list.map((d, i) => {
    const destination = isRecord(d.destination) ? d.destination : {};
    const port = isRecord(destination.port) && typeof destination.port.number === 'number' ? destination.port.number : undefined;
    return {
      host: typeof destination.host === 'string' ? destination.host : '',
      ...(typeof destination.subset === 'string' ? { subset: destination.subset } : {}),
      ...(port !== undefined ? { port } : {}),
      weight: weights[i]!,
      share: total > 0 ? (weights[i]! * 100) / total : 0,
    };
  });
}

const actionOf = (route: RouteLike): Evaluation['action'] =>
  Array.isArray(route.route) && route.route.length > 0 ? 'route' : route.redirect !== undefined ? 'redirect' : route.directResponse !== undefined ? 'directResponse' : 'none';

/**
 * Which route of `http` answers `request`. A condition this module cannot judge (sourceLabels,
 * a method explain was not told) counts as not matching, and its outcome says `unknown`.
 */
export function evaluateRoutes(http: readonly RouteLike[], request: HttpRequest): Evaluation {
  const { uri, query } = splitPath(request.path);
  const routes: RouteOutcome[] = [];
  for (let index = 0; index < http.length; index++) {
    const route = http[index]!;
    const entries = entriesOf(route);
    const name = typeof route.name === 'string' ? route.name : undefined;
    const base = { index, ...(name !== undefined ? { name } : {}) };
    if (entries === undefined) {
      routes.push({ ...base, catchAll: true, matched: true, entries: [] });
      return { answer: index, routes, destinations: destinationsOf(route), action: actionOf(route) };
    }
    const judged = entries.map((conditions, i) => {
      const outcomes = conditions.map((c) => judge(c, request, uri, query));
      return { index: i, matched: outcomes.every((o) => o.outcome === 'match'), conditions: outcomes };
    });
    const matched = judged.some((e) => e.matched);
    routes.push({ ...base, catchAll: entries.some((c) => c.length === 0), matched, entries: judged });
    if (matched) return { answer: index, routes, destinations: destinationsOf(route), action: actionOf(route) };
  }
  return { routes, destinations: [] };
}

// --- hosts ------------------------------------------------------------------------------------

/** The request host without a port: `shop.example.com:443` → `shop.example.com`. */
export const hostWithoutPort = (host: string): string => (/^\[/.test(host) ? host.replace(/(\]):\d+$/, '$1') : host.replace(/:\d+$/, ''));

/**
 * Whether a VirtualService with `hosts` (in `namespace`) is the one Istio hands a request for
 * `requestHost`: an exact host, a `*.` wildcard, or a service's short name and its longer forms
 * (`checkout`, `checkout.shop`, `checkout.shop.svc`, `checkout.shop.svc.cluster.local`).
 */
export function servesHost(hosts: readonly string[], namespace: string | undefined, requestHost: string): boolean {
  const host = hostWithoutPort(requestHost).toLowerCase();
  return hosts.some((h) => {
    const vsHost = h.toLowerCase();
    if (vsHost === '*' || vsHost === host) return true;
    if (vsHost.startsWith('*.')) return host.endsWith(vsHost.slice(1));
    const fqdn = serviceFqdn(vsHost, namespace);
    if (!fqdn) return false;
    const [svc, ns] = fqdn.split('.');
    return [svc, `${svc}.${ns}`, `${svc}.${ns}.svc`, fqdn].includes(host);
  });
}

/**
 * How well `hosts` match `requestHost` in Envoy's virtual-host selection: exact names beat `*.`
 * wildcards, a longer wildcard suffix beats a shorter one, `*` comes last; case-insensitive, and
 * the port ignored (Istio's gateway domains are `host` and `host:*`). Undefined: no match.
 */
export function hostRank(hosts: readonly string[], namespace: string | undefined, requestHost: string): number | undefined {
  const host = hostWithoutPort(requestHost).toLowerCase();
  let best: number | undefined;
  for (const h of hosts) {
    const vsHost = h.toLowerCase();
    const rank =
      vsHost === '*' ? 0
      : vsHost.startsWith('*.') ? (host.length > vsHost.length - 1 && host.endsWith(vsHost.slice(1)) ? vsHost.length : undefined)
      : servesHost([vsHost], namespace, host) ? Number.MAX_SAFE_INTEGER
      : undefined;
    if (rank !== undefined && (best === undefined || rank > best)) best = rank;
  }
  return best;
}

/** A VirtualService's gateways as `namespace/name` or `mesh`; none means the mesh. */
export function boundGateways(gateways: readonly string[] | undefined, namespace: string | undefined): string[] {
  const list = gateways && gateways.length > 0 ? gateways : ['mesh'];
  return list.map((g) => (g === 'mesh' || g.includes('/') || !namespace ? g : `${namespace}/${g}`));
}

/** What Envoy's virtual-host selection needs of a VirtualService. */
export interface HostBinding {
  hosts: readonly string[];
  namespace?: string;
  /** As boundGateways gives them. */
  gateways: readonly string[];
}

/** Where a request for `authority` arrives by default: the first gateway other than mesh that a VirtualService for the host is bound to, else mesh. */
export function defaultGateway(vss: readonly HostBinding[], authority: string): string {
  const bound = vss.find((vs) => hostRank(vs.hosts, vs.namespace, authority) !== undefined && vs.gateways.some((g) => g !== 'mesh'));
  return bound?.gateways.find((g) => g !== 'mesh') ?? 'mesh';
}

/**
 * The VirtualServices whose routes Envoy's virtual host for `authority` at `gateway` holds: among
 * those bound to the gateway, the best domain match (hostRank). Empty: no virtual host (404).
 */
export function virtualHostOf<T extends HostBinding>(vss: readonly T[], gateway: string, authority: string): T[] {
  const bound = vss.filter((vs) => vs.gateways.includes(gateway));
  const ranks = bound.map((vs) => hostRank(vs.hosts, vs.namespace, authority));
  const best = Math.max(-1, ...ranks.map((r) => r ?? -1));
  return bound.filter((_, i) => ranks[i] !== undefined && ranks[i] === best);
}

/** `checkout` in namespace shop → `checkout.shop.svc.cluster.local`; a cluster FQDN as it is; anything else undefined. */
export function serviceFqdn(host: string, namespace: string | undefined): string | undefined {
  if (/^[a-z0-9-]+\.[a-z0-9-]+\.svc\.cluster\.local$/.test(host)) return host;
  if (!host.includes('.') && namespace) return `${host}.${namespace}.svc.cluster.local`;
  return undefined;
}

// --- coverage: can a route ever answer? -------------------------------------------------------

const REGEX_META = /[\\^$.|?*+()[\]{}]/;

/** A regex that is really an exact value or a prefix, as such; anything else unchanged. */
export function normalizeMatcher(m: Matcher): Matcher {
  if (m.kind !== 'regex') return m;
  let body = m.value;
  if (body.startsWith('^')) body = body.slice(1);
  if (body.endsWith('$') && !body.endsWith('\\$')) body = body.slice(0, -1);
  const literal = (text: string): string | undefined => {
    let out = '';
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (c === '\\') {
        const next = text[i + 1];
        if (next === undefined || /[A-Za-z0-9]/.test(next)) return undefined; // \d, \w, \b...: a class, not a character
        out += next;
        i++;
      } else if (REGEX_META.test(c)) return undefined;
      else out += c;
    }
    return out;
  };
  const exact = literal(body);
  if (exact !== undefined) return { kind: 'exact', value: exact };
  if (body.endsWith('.*') && !body.endsWith('\\.*')) {
    const prefix = literal(body.slice(0, -2));
    if (prefix !== undefined) return { kind: 'prefix', value: prefix };
  }
  return m;
}

/** Whether every value that `b` accepts is accepted by `a` too; false when that cannot be shown. */
export function matcherCovers(a: Matcher, b: Matcher): boolean {
  const x = normalizeMatcher(a);
  const y = normalizeMatcher(b);
  switch (x.kind) {
    case 'present':
      return true;
    case 'exact':
      return y.kind === 'exact' && y.value === x.value;
    case 'prefix':
      if (x.value === '') return true;
      return (y.kind === 'exact' || y.kind === 'prefix') && y.value.startsWith(x.value);
    case 'regex':
      if (y.kind === 'exact') return matches(x, y.value) === true;
      return y.kind === 'regex' && y.value === x.value;
  }
}

/** Whether condition `a` holds for every request for which `b` holds. */
function conditionCovers(a: Condition, b: Condition): boolean {
  if (a.field !== b.field || (a.negated === true) !== (b.negated === true)) return false;
  if (!a.matcher || !b.matcher || (a.ignoreCase === true) !== (b.ignoreCase === true)) return fingerprint(a.raw) === fingerprint(b.raw) && (a.ignoreCase === true) === (b.ignoreCase === true);
  // withoutHeaders: absent or not matching; the narrower exclusion holds wherever the wider one does.
  return a.negated ? matcherCovers(b.matcher, a.matcher) : matcherCovers(a.matcher, b.matcher);
}

/** Whether match entry `a` matches every request that entry `b` matches (an entry without conditions matches all). */
export function entryCovers(a: readonly Condition[], b: readonly Condition[]): boolean {
  return a.every((ca) => b.some((cb) => conditionCovers(ca, cb)));
}

/** A match entry of a route that can never answer, and the earlier entry that takes its requests. */
export interface EntryShadow {
  entry: number;
  by: { route: number; entry?: number };
}

export interface RouteShadow {
  /** The route that can never answer (for some or all of its entries). */
  route: number;
  /** True when every entry is shadowed: the route never answers at all. */
  complete: boolean;
  entries: EntryShadow[];
}

/**
 * The routes (and match entries) that an earlier route always takes first. Only single earlier
 * entries are considered, so an entry covered by two earlier ones together is not found; what is
 * found is certain. Exact-only entries are looked up by key, so thousands of routes stay fast.
 */
export function findShadows(http: readonly RouteLike[]): RouteShadow[] {
  const shadows: RouteShadow[] = [];
  let catchAll: number | undefined;
  const exactIndex = new Map<string, { route: number; entry: number }>();
  const general: { route: number; entry: number; conditions: Condition[] }[] = [];
  const exactKey = (conditions: readonly Condition[]): string | undefined => {
    const parts: string[] = [];
    for (const c of conditions) {
      const m = c.matcher && normalizeMatcher(c.matcher);
      if (!m || m.kind !== 'exact' || c.negated || c.ignoreCase) return undefined;
      parts.push(`${c.field}\u0000${m.value}`);
    }
    return parts.sort().join('\u0001');
  };
  for (let route = 0; route < http.length; route++) {
    const entries = entriesOf(http[route]!);
    const mine = entries ?? [[]];
    const found: EntryShadow[] = [];
    mine.forEach((conditions, entry) => {
      // The earliest route that takes the entry's requests: a narrower one before the catch-all, or the catch-all.
      const by = coveredBy(conditions, exactIndex, general);
      if (by && (catchAll === undefined || by.route < catchAll)) found.push({ entry, by });
      else if (catchAll !== undefined) found.push({ entry, by: { route: catchAll } });
    });
    if (found.length > 0) shadows.push({ route, complete: found.length === mine.length, entries: found });
    if (catchAll !== undefined) continue; // nothing after a catch-all takes any request
    mine.forEach((conditions, entry) => {
      if (conditions.length === 0) return;
      const key = exactKey(conditions);
      if (key !== undefined) {
        if (!exactIndex.has(key)) exactIndex.set(key, { route, entry });
      } else general.push({ route, entry, conditions });
    });
    if (entries === undefined || entries.some((c) => c.length === 0)) catchAll = route;
  }
  return shadows;
}

function coveredBy(
  conditions: readonly Condition[],
  exactIndex: ReadonlyMap<string, { route: number; entry: number }>,
  general: readonly { route: number; entry: number; conditions: Condition[] }[],
): { route: number; entry: number } | undefined {
  let best: { route: number; entry: number } | undefined;
  const consider = (hit: { route: number; entry: number } | undefined) => {
    if (hit && (!best || hit.route < best.route)) best = hit;
  };
  // An all-exact earlier entry covers this one when its conditions are a subset of this one's exact ones.
  const exact = conditions.flatMap((c) => {
    const m = c.matcher && normalizeMatcher(c.matcher);
    return m && m.kind === 'exact' && !c.negated && !c.ignoreCase ? [`${c.field}\u0000${m.value}`] : [];
  });
  if (exact.length <= 8) {
    for (let mask = 1; mask < 1 << exact.length; mask++) {
      const key = exact
        .filter((_, i) => mask & (1 << i))
        .sort()
        .join('\u0001');
      consider(exactIndex.get(key));
    }
  }
  for (const g of general) {
    if (best && g.route >= best.route) break;
    if (entryCovers(g.conditions, conditions)) consider(g);
  }
  return best;
}
