// Which requests change answer between two renders (`switchyard diff`): reviewers see what a
// change does to traffic, not a YAML diff. Pure.
//
// The requests that matter are enumerated from the two renders, not fuzzed: every host any
// VirtualService of either side serves (each environment host; a service's own name as its
// cluster FQDN; a wildcard host through one name under it), each alone and with each header value
// that a route of either side matches exactly or by prefix (each branch value, so with its
// environment's hosts and without). Each request is answered on each side by answerRequest, the
// one place this module asks the evaluator (evaluate.ts), so it follows the evaluator's host and
// route semantics wherever they go.
import { byString } from './canonical.ts';
import { entriesOf, evaluateRoutes, serviceFqdn, servesHost, type HttpRequest, type RouteLike } from './evaluate.ts';
import type { KubeObject, Sourced } from '../model/kinds.ts';

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

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

export interface RequestChange {
  request: HttpRequest;
  before: RequestAnswer;
  after: RequestAnswer;
}

interface VirtualServiceView {
  name: string;
  namespace?: string;
  hosts: string[];
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
        http: Array.isArray(spec.http) ? spec.http.map((r) => (isRecord(r) ? r : {})) : [],
      };
    })
    .sort((a, b) => byString(`${a.namespace ?? ''}/${a.name}`, `${b.namespace ?? ''}/${b.name}`));
}

/** The one function that asks the evaluator: which VirtualService and route answer, with what shares. */
export function answerRequest(objects: readonly Sourced<KubeObject>[], request: HttpRequest): RequestAnswer {
  for (const vs of viewsOf(objects)) {
    if (!servesHost(vs.hosts, vs.namespace, request.authority)) continue;
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
export function requestsToCompare(...sides: (readonly Sourced<KubeObject>[])[]): HttpRequest[] {
  const hosts = new Set<string>();
  const headers = new Map<string, [string, string]>();
  for (const objects of sides) {
    for (const vs of viewsOf(objects)) {
      for (const h of vs.hosts) if (h !== '*') hosts.add(requestHost(h, vs.namespace));
      for (const route of vs.http) {
        for (const conditions of entriesOf(route) ?? []) {
          for (const c of conditions) {
            if (!c.field.startsWith('headers.') || c.negated || !c.matcher || (c.matcher.kind !== 'exact' && c.matcher.kind !== 'prefix')) continue;
            const name = c.field.slice('headers.'.length);
            headers.set(`${name}\u0000${c.matcher.value}`, [name, c.matcher.value]);
          }
        }
      }
    }
  }
  const headerSets: Record<string, string>[] = [{}, ...[...headers.values()].sort((a, b) => byString(`${a[0]}\u0000${a[1]}`, `${b[0]}\u0000${b[1]}`)).map(([n, v]) => ({ [n]: v }))];
  return [...hosts].sort(byString).flatMap((authority) => headerSets.map((h) => ({ authority, path: '/', headers: h })));
}

const sameAnswer = (a: RequestAnswer, b: RequestAnswer): boolean =>
  a.virtualService === b.virtualService && a.route === b.route && a.action === b.action && JSON.stringify(a.shares) === JSON.stringify(b.shares);

/** Every request whose answer differs between `before` and `after`, in host and header order. */
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
