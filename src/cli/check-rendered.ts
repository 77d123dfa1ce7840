// `switchyard check --rendered OUTPUT PATH...`: proves that OUTPUT (what a pipeline's kustomize
// build, kpt render or Argo CD plugin produced) holds every route the fragments of PATH... make.
// `kubectl kustomize` without the plugin and `kustomize build` without --enable-exec exit 0 with
// the routes silently missing; this is the step that fails then, naming each missing fragment.
//
// What is expected comes from rendering PATH... here, with the same processor: every route whose
// name says which fragment made it (`branch:<fragment>`, `environment:<env>`, `default:<env>`),
// with each subset it sends traffic to, in each VirtualService the render makes (a branch's route is
// in the mesh VirtualService S and in S.E of each environment it answers at the gateway), and each
// of those subsets in a DestinationRule. OUTPUT passes when, for every VirtualService V the render
// makes, each of V's routes sends to its subset in an OUTPUT VirtualService of V's namespace that
// is V (same name) or serves what V serves (same hosts and gateways), and some DestinationRule of
// the namespace defines the subset. Objects are never counted: an output split into several
// VirtualServices with V's hosts and gateways passes too.
import { MANAGED_BY, MANAGED_BY_LABEL } from '../merge/build.ts';
import { boundGateways, destinationsOf, type RouteLike } from '../merge/evaluate.ts';
import { describeSubject } from '../merge/messages.ts';
import { API_VERSION, FRAGMENT_KIND, type KubeObject, type RouteFragment, type Sourced } from '../model/kinds.ts';
import type { Result } from '../model/result.ts';
import { isFragment, isLocalConfig } from '../krm/process.ts';
import { fragmentRef } from './output-json.ts';
import { readInputs } from './render.ts';
import type { Rendered } from './rendered.ts';
import { type Json, isRecord } from '../model/json.ts';


export interface ExpectedRoute {
  namespace?: string;
  /** The VirtualService of the render that has the route. */
  virtualService: string;
  route: string;
  subset: string;
  fragment?: Sourced<RouteFragment>;
}

export interface RenderedCheck {
  expected: ExpectedRoute[];
  missingRoutes: ExpectedRoute[];
  missingSubsets: ExpectedRoute[];
  results: Result[];
}

const metaOf = (o: KubeObject): { name: string; namespace?: string; labels: Json } => {
  const meta = isRecord(o.metadata) ? o.metadata : {};
  return { name: String(meta.name ?? ''), ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}), labels: isRecord(meta.labels) ? meta.labels : {} };
};
const httpOf = (o: KubeObject): RouteLike[] => {
  const spec = isRecord(o.spec) ? o.spec : {};
  return Array.isArray(spec.http) ? spec.http.map((r) => (isRecord(r) ? r : {})) : [];
};
/** What a VirtualService serves, as a key: its hosts and its gateways (as boundGateways gives them), each sorted. */
const servesKey = (o: KubeObject): string => {
  const spec = isRecord(o.spec) ? o.spec : {};
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const hosts = strings(spec.hosts).map((h) => h.toLowerCase()).sort();
  const gateways = boundGateways(strings(spec.gateways), metaOf(o).namespace).sort();
  return JSON.stringify([hosts, gateways]);
};
const FRAGMENT_ROUTE = /^(?:branch|environment|default):/;

/** The fragment that a route name and subset come from, among the render's input fragments. */
function fragmentFor(fragments: readonly Sourced<RouteFragment>[], namespace: string | undefined, route: string, subset: string): Sourced<RouteFragment> | undefined {
  const inNamespace = fragments.filter((f) => f.object.metadata.namespace === namespace);
  const branch = /^branch:(.+)$/.exec(route);
  if (branch) return inNamespace.find((f) => f.object.metadata.name === branch[1]);
  const environment = /^(?:environment|default):(.+)$/.exec(route)?.[1];
  return inNamespace
    .filter((f) => f.object.spec.release?.environment === environment && f.object.spec.subset.name === subset)
    .sort((a, b) => b.object.spec.release!.revision - a.object.spec.release!.revision)[0];
}

/** The routes Switchyard's own render of the fragments makes, one entry per (namespace, VirtualService, route, subset). */
export function expectedRoutes(rendered: Rendered): ExpectedRoute[] {
  const seen = new Set<string>();
  const expected: ExpectedRoute[] = [];
  for (const { object } of rendered.objects) {
    if (object.kind !== 'VirtualService') continue;
    const { name, namespace, labels } = metaOf(object);
    if (labels[MANAGED_BY_LABEL] !== MANAGED_BY) continue;
    for (const route of httpOf(object)) {
      if (typeof route.name !== 'string' || !FRAGMENT_ROUTE.test(route.name)) continue;
      for (const d of destinationsOf(route)) {
        if (d.subset === undefined || d.share <= 0) continue;
        const key = `${namespace ?? ''}\u0000${name}\u0000${route.name}\u0000${d.subset}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const fragment = fragmentFor(rendered.fragments, namespace, route.name, d.subset);
        expected.push({ ...(namespace !== undefined ? { namespace } : {}), virtualService: name, route: route.name, subset: d.subset, ...(fragment ? { fragment } : {}) });
      }
    }
  }
  return expected;
}

/**
 * OUTPUT (a file, a folder, or - for standard input): the objects that reach the cluster (local
 * config does not), and how many RouteFragments it holds, which says that no merge ran.
 */
export function readRenderedOutput(path: string): { objects: KubeObject[]; fragments: number; results: Result[] } {
  const { items, results } = readInputs([path]);
  const objects = items.filter((i) => !isLocalConfig(i)).flatMap((i) => {
    const read = i.read();
    return 'object' in read && isRecord(read.object) ? [read.object as KubeObject] : [];
  });
  return { objects, fragments: items.filter(isFragment).length, results };
}

const describe = (e: ExpectedRoute): string =>
  e.fragment
    ? describeSubject({ ref: { apiVersion: API_VERSION, kind: FRAGMENT_KIND, name: e.fragment.object.metadata.name, ...(e.namespace ? { namespace: e.namespace } : {}) }, source: e.fragment.source })
    : `the route ${e.route}${e.namespace ? ` in namespace ${e.namespace}` : ''}`;

function missingResult(e: ExpectedRoute, message: string): Result {
  const f = e.fragment;
  return {
    severity: 'error',
    message: `${describe(e)}: ${message}`,
    ...(f ? { resourceRef: { apiVersion: API_VERSION, kind: FRAGMENT_KIND, name: f.object.metadata.name, ...(e.namespace ? { namespace: e.namespace } : {}) } } : {}),
    ...(f?.source.path ? { file: { path: f.source.path, ...(f.source.index !== undefined ? { index: f.source.index } : {}) } } : {}),
  };
}

/** Compares OUTPUT with what the fragments make. */
export function checkRendered(rendered: Rendered, outputName: string, output: { objects: readonly KubeObject[]; fragments: number }): RenderedCheck {
  const expected = expectedRoutes(rendered);
  /** What the render's VirtualService `namespace/name` serves. */
  const serves = new Map<string, string>();
  for (const { object } of rendered.objects) {
    if (object.kind === 'VirtualService') serves.set(`${metaOf(object).namespace ?? ''}/${metaOf(object).name}`, servesKey(object));
  }
  // each output route sending to a subset, under its VirtualService's name and under what it serves
  const routes = new Set<string>();
  const subsets = new Set<string>();
  for (const o of output.objects) {
    const { name, namespace } = metaOf(o);
    if (o.kind === 'VirtualService') {
      const key = servesKey(o);
      for (const route of httpOf(o)) {
        if (typeof route.name !== 'string') continue;
        for (const d of destinationsOf(route)) {
          if (d.subset === undefined) continue;
          routes.add(`${namespace ?? ''}\u0000name:${name}\u0000${route.name}\u0000${d.subset}`);
          routes.add(`${namespace ?? ''}\u0000serves:${key}\u0000${route.name}\u0000${d.subset}`);
        }
      }
    } else if (o.kind === 'DestinationRule') {
      const spec = isRecord(o.spec) ? o.spec : {};
      for (const s of Array.isArray(spec.subsets) ? spec.subsets : []) if (isRecord(s) && typeof s.name === 'string') subsets.add(`${namespace ?? ''}\u0000${s.name}`);
    }
  }
  const present = (e: ExpectedRoute): boolean => {
    const tail = `\u0000${e.route}\u0000${e.subset}`;
    return routes.has(`${e.namespace ?? ''}\u0000name:${e.virtualService}${tail}`) || routes.has(`${e.namespace ?? ''}\u0000serves:${serves.get(`${e.namespace ?? ''}/${e.virtualService}`)}${tail}`);
  };
  const virtualServices = output.objects.filter((o) => o.kind === 'VirtualService').length;
  const RUN_IT = 'run kustomize build with --enable-alpha-plugins --enable-exec, kpt fn render with --allow-exec, kubectl kustomize with the exec plugin, or switchyard render';
  const why =
    virtualServices > 0
      ? `${outputName} has ${virtualServices} VirtualService${virtualServices === 1 ? '' : 's'} but not these routes: render it again from these fragments, or find the step that dropped or changed them`
      : `${outputName} holds no VirtualService${output.fragments > 0 ? ` and ${output.fragments} RouteFragment${output.fragments === 1 ? '' : 's'}` : ''}, so Switchyard never ran: ${RUN_IT}`;
  const missingRoutes = expected.filter((e) => !present(e));
  const missingSubsets = expected.filter((e) => !missingRoutes.includes(e) && !subsets.has(`${e.namespace ?? ''}\u0000${e.subset}`));
  const results: Result[] = [
    ...missingRoutes.map((e) => missingResult(e, `its route ${e.route} to subset ${e.subset} of VirtualService ${e.namespace ? `${e.namespace}/` : ''}${e.virtualService} is not in ${outputName}: no VirtualService there named so, or with its hosts and gateways, has it.`)),
    ...missingSubsets.map((e) => missingResult(e, `subset ${e.subset}, which its route ${e.route} sends traffic to, is in no DestinationRule${e.namespace ? ` of namespace ${e.namespace}` : ''} of ${outputName}, so Istio would answer 503; render ${outputName} again from these fragments.`)),
  ];
  const live = new Set(expected.flatMap((e) => (e.fragment ? [e.fragment] : []))).size;
  const missing = new Set([...missingRoutes, ...missingSubsets].map((e) => e.fragment ?? e)).size;
  if (missingRoutes.length > 0) results.push({ severity: 'error', message: `${missing} of ${live} live fragments have no route in ${outputName}: ${why}.` });
  else if (results.length === 0) {
    results.push({ severity: 'info', message: `${outputName} holds the routes of all ${live} live fragment${live === 1 ? '' : 's'} (${expected.length} route and subset pair${expected.length === 1 ? '' : 's'}) and their subsets.` });
  }
  return { expected, missingRoutes, missingSubsets, results };
}

export const expectedJson = (e: ExpectedRoute): Json => ({ ...(e.namespace ? { namespace: e.namespace } : {}), virtualService: e.virtualService, route: e.route, subset: e.subset, fragment: fragmentRef(e.fragment) });
