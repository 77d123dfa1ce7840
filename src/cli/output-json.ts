// `--output json`: one JSON document on stdout, the same envelope for every command that reports
// (render, check, explain, prune, diff), described by src/schema/results.schema.json and
// docs/reference.md#machine-readable-results. Scripts read `ok`, `exitCode` and `results`; each
// command adds its own fields next to them. The envelope's `schema` names its version: fields
// are only ever added within one version.
import { MANAGED_BY, MANAGED_BY_LABEL } from '../merge/build.ts';
import { byString } from '../merge/canonical.ts';
import { destinationsOf, type RouteLike } from '../merge/evaluate.ts';
import type { FragmentIndex } from '../merge/provenance.ts';
import type { KubeObject, RouteFragment, Sourced } from '../model/kinds.ts';
import type { Result } from '../model/result.ts';
import type { CommandRun } from './args.ts';
import { exitCodeFor } from './io.ts';
import { locateResults } from './result-lines.ts';
import { renderForAnalysis, type RenderInputs } from './rendered.ts';
import { VERSION } from './version.ts';
import { type Json, isRecord } from '../model/json.ts';

/** The envelope's version. A change that removes or retypes a field makes v2. */
export const RESULTS_SCHEMA = 'switchyard.dev/results/v1';

export type JsonCommand = 'render' | 'check' | 'explain' | 'prune' | 'diff' | 'canary';


/**
 * The document: the envelope, then the command's own fields. Results carry `file.line` where
 * the file tells it (result-lines.ts).
 */
export function jsonDocument(command: JsonCommand, results: readonly Result[], fields: Json = {}): string {
  const errors = results.filter((r) => r.severity === 'error').length;
  const warnings = results.filter((r) => r.severity === 'warning').length;
  const exitCode = exitCodeFor(results);
  const document = {
    schema: RESULTS_SCHEMA,
    command,
    switchyardVersion: VERSION,
    ok: exitCode === 0,
    exitCode,
    counts: { errors, warnings, infos: results.length - errors - warnings },
    results: locateResults(results),
    ...fields,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** A fragment as the documents name it. */
export const fragmentRef = (f: Sourced<RouteFragment> | undefined): Json | null =>
  f ? { name: f.object.metadata.name, ...(f.object.metadata.namespace ? { namespace: f.object.metadata.namespace } : {}), ...(f.source.path ? { file: f.source.path } : {}) } : null;

const nameOf = (o: KubeObject): { name: string; namespace?: string } => {
  const meta = isRecord(o.metadata) ? o.metadata : {};
  return { name: String(meta.name ?? ''), ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}) };
};

/** Every VirtualService's routes in order, with each destination's share and the fragment behind it. */
export function routesJson(objects: readonly Sourced<KubeObject>[], origins: FragmentIndex): Json[] {
  return objects
    .filter((o) => o.object.kind === 'VirtualService')
    .map(({ object: vs, source }) => {
      const { name, namespace } = nameOf(vs);
      const spec = isRecord(vs.spec) ? vs.spec : {};
      const generated = isRecord(vs.metadata) && isRecord(vs.metadata.labels) && vs.metadata.labels[MANAGED_BY_LABEL] === MANAGED_BY;
      const http: RouteLike[] = Array.isArray(spec.http) ? spec.http.map((r) => (isRecord(r) ? r : {})) : [];
      return {
        name,
        ...(namespace !== undefined ? { namespace } : {}),
        generated,
        ...(!generated && source.path ? { file: source.path } : {}),
        hosts: Array.isArray(spec.hosts) ? spec.hosts.filter((h) => typeof h === 'string') : [],
        gateways: Array.isArray(spec.gateways) ? spec.gateways.filter((h) => typeof h === 'string') : [],
        routes: http.map((route, index) => {
          const routeName = typeof route.name === 'string' ? route.name : null;
          return {
            index,
            name: routeName,
            destinations: destinationsOf(route).map((d) => ({
              ...d,
              fragment: generated ? fragmentRef(origins.routeOrigin(namespace, name, routeName ?? undefined, d.subset)) : null,
            })),
          };
        }),
      };
    })
    .sort((a, b) => byString(`${a.namespace ?? ''}/${a.name}`, `${b.namespace ?? ''}/${b.name}`));
}

/** `switchyard render --output json`: the objects render would print, and the routes. */
export function renderJson(options: RenderInputs): CommandRun {
  const rendered = renderForAnalysis(options);
  const fields = rendered.ok ? { objects: rendered.objects.map((o) => o.object), virtualServices: routesJson(rendered.objects, rendered.origins) } : { objects: [], virtualServices: [] };
  return { stdout: jsonDocument('render', rendered.results, fields), results: rendered.results, exitCode: exitCodeFor(rendered.results) };
}
