// Independent checks of what Switchyard writes, for the property and hostile-input tests: the Istio
// schema (@kubernetes-models/istio, generated from Istio's CRDs, sharing no code with Switchyard)
// and the structural rules that schema cannot express. Each returns the problems it finds, so that
// a failing property says what is wrong.
import { hostClaimConflicts } from './oracles/envoy-routing.ts';
import { DestinationRule as IstioDestinationRule, VirtualService as IstioVirtualService } from '@kubernetes-models/istio/networking.istio.io/v1';
import { admissionProblems, HOSTS_BELONG_TO_SERVICES } from './oracles/istio-admission.ts';

type Json = Record<string, unknown>;
interface Route {
  name?: string;
  match?: Json[];
  route?: { destination?: { host?: string; subset?: string }; weight?: unknown }[];
  [k: string]: unknown;
}

const key = (o: { metadata?: { name?: unknown; namespace?: unknown } }) => `${String(o.metadata?.namespace ?? '')}/${String(o.metadata?.name)}`;
const fingerprint = (v: unknown): string => JSON.stringify(v, (_, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));

/** What Istio's own schema says about a VirtualService or DestinationRule (validate() throws on the first problems). */
export function istioProblems(object: Json): string[] {
  try {
    if (object.kind === 'VirtualService') new IstioVirtualService(object as never).validate();
    else if (object.kind === 'DestinationRule') new IstioDestinationRule(object as never).validate();
    else return [`${String(object.kind)} is not a kind Switchyard writes`];
    return [];
  } catch (error) {
    return [`${String(object.kind)} ${key(object as never)}: ${(error as Error).message}`];
  }
}

const ROUTE_KEYS = new Set(['name', 'match', 'route', 'directResponse', 'timeout', 'retries', 'corsPolicy', 'headers']);
const MATCH_KEYS = new Set(['authority', 'headers']);
const STRING_MATCH_KEYS = ['exact', 'prefix', 'regex'];

/**
 * The rules Istio's schema does not check: only one catch-all and it is last, every destination is
 * a subset of the DestinationRule of the same service, weights are whole numbers that sum to 100,
 * no two routes have the same match (one header value, match kind and scope routes to one build),
 * route and subset names are unique, and no field Switchyard does not write (the schema misses
 * unknown fields and negative weights).
 */
export function structuralProblems(objects: readonly Json[]): string[] {
  const problems: string[] = [];
  const rules = new Map(objects.filter((o) => o.kind === 'DestinationRule').map((o) => [key(o as never), o]));
  const services = objects.filter((o) => o.kind === 'VirtualService');
  // `checkout` (the mesh) and `checkout.<environment>` (the gateways) are service checkout's
  const serviceKey = (o: Json) => `${String((o.metadata as Json).namespace ?? '')}/${String((o.metadata as Json).name).split('.')[0]}`;
  for (const vs of services) {
    const where = `VirtualService ${key(vs as never)}`;
    const name = String((vs.metadata as Json).name).split('.')[0]!;
    const spec = vs.spec as Json;
    const dr = rules.get(serviceKey(vs));
    if (!dr) {
      problems.push(`${where} has no DestinationRule`);
      continue;
    }
    const drSpec = dr.spec as Json;
    const subsets = (drSpec.subsets ?? []) as { name: string; labels?: Json }[];
    const subsetNames = subsets.map((s) => s.name);
    if (new Set(subsetNames).size !== subsetNames.length) problems.push(`${where}: subset names repeat: ${subsetNames.join(', ')}`);
    if (subsetNames.join('\n') !== [...subsetNames].sort().join('\n')) problems.push(`${where}: subsets not sorted by name`);
    if (drSpec.host !== name) problems.push(`${where}: DestinationRule host is ${String(drSpec.host)}`);
    for (const s of subsets) {
      if (!s.labels || Object.keys(s.labels).length === 0) problems.push(`${where}: subset ${s.name} selects no labels`);
      for (const k of Object.keys(s)) if (!['name', 'labels', 'trafficPolicy'].includes(k)) problems.push(`${where}: subset ${s.name} has field ${k}`);
    }
    for (const k of Object.keys(spec)) if (!['hosts', 'gateways', 'exportTo', 'http'].includes(k)) problems.push(`${where}: unexpected spec.${k}`);
    for (const k of Object.keys(drSpec)) if (!['host', 'trafficPolicy', 'exportTo', 'subsets'].includes(k)) problems.push(`${where}: unexpected DestinationRule spec.${k}`);
    const hosts = spec.hosts as string[];
    if (!Array.isArray(hosts) || hosts.length === 0 || new Set(hosts).size !== hosts.length) problems.push(`${where}: hosts ${JSON.stringify(hosts)}`);

    const http = (spec.http ?? []) as Route[];
    const catchAlls = http.flatMap((r, i) => (r.match === undefined || r.match.length === 0 || r.match.some((m) => Object.keys(m).length === 0) ? [i] : []));
    if (catchAlls.length > 1 || (catchAlls.length === 1 && catchAlls[0] !== http.length - 1)) problems.push(`${where}: catch-all routes at ${catchAlls.join(', ')} of ${http.length}`);
    const names = http.map((r) => r.name);
    if (new Set(names).size !== names.length || names.some((n) => !n)) problems.push(`${where}: route names ${JSON.stringify(names)}`);
    const matches = http.filter((r) => r.match).map((r) => fingerprint(r.match));
    if (new Set(matches).size !== matches.length) problems.push(`${where}: two routes have the same match`);
    for (const route of http) {
      const at = `${where} route ${route.name}`;
      for (const k of Object.keys(route)) if (!ROUTE_KEYS.has(k)) problems.push(`${at}: unexpected field ${k}`);
      for (const m of route.match ?? []) {
        for (const [k, v] of Object.entries(m)) {
          if (!MATCH_KEYS.has(k)) problems.push(`${at}: unexpected match field ${k}`);
          const stringMatches = k === 'authority' ? [v] : Object.values(v as Json);
          for (const sm of stringMatches) {
            const kinds = Object.keys(sm as Json);
            if (kinds.length !== 1 || !STRING_MATCH_KEYS.includes(kinds[0]!)) problems.push(`${at}: string match ${JSON.stringify(sm)}`);
          }
          if (k === 'headers') {
            for (const header of Object.keys(v as Json)) {
              if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(header) || header === 'host' || header.startsWith('x-envoy-')) problems.push(`${at}: header ${header}`);
            }
          }
        }
      }
      if (route.directResponse !== undefined) {
        if (route.route !== undefined || route.fault !== undefined || route.rewrite !== undefined || route.redirect !== undefined) problems.push(`${at}: directResponse beside route, fault, rewrite or redirect`);
        const status = (route.directResponse as Json).status;
        if (status !== 503 && status !== 404) problems.push(`${at}: directResponse status ${String(status)}`);
        continue;
      }
      const destinations = route.route ?? [];
      if (destinations.length === 0) problems.push(`${at}: no destination`);
      let sum = 0;
      for (const d of destinations) {
        if (!Number.isInteger(d.weight) || (d.weight as number) < 1 || (d.weight as number) > 100) problems.push(`${at}: weight ${String(d.weight)}`);
        sum += Number(d.weight);
        if (d.destination?.host !== name) problems.push(`${at}: destination host ${String(d.destination?.host)}`);
        // no subset: the Service itself, a branch-only service's fallback
        if (d.destination?.subset !== undefined && !subsetNames.includes(String(d.destination?.subset))) problems.push(`${at}: subset ${String(d.destination?.subset)} is not in the DestinationRule`);
      }
      if (sum !== 100) problems.push(`${at}: weights sum to ${sum}`);
      const subsetsRouted = destinations.map((d) => d.destination?.subset);
      if (new Set(subsetsRouted).size !== subsetsRouted.length) problems.push(`${at}: one subset twice`);
    }
  }
  return problems;
}

/**
 * Every problem of a render's VirtualServices and DestinationRules: Istio's admission as the
 * independent oracle judges it (test/oracles/istio-admission.ts), @kubernetes-models/istio's
 * validate(), the structural rules, and the Envoy oracle's host claims.
 */
export const routingProblems = (objects: readonly Json[]): string[] => [
  ...admissionProblems(objects, [], { ist0109: HOSTS_BELONG_TO_SERVICES }),
  ...objects.flatMap(istioProblems),
  ...structuralProblems(objects),
  ...hostClaimConflicts(objects as never).map((c) => `two VirtualServices claim one host: ${c}`),
];

interface FragmentLike {
  metadata?: { name?: unknown; namespace?: unknown };
  spec?: { service?: unknown; subset?: { name?: unknown; labels?: unknown }; branch?: unknown };
}
interface ResultLike {
  severity: string;
  resourceRef?: { kind?: string; name?: string; namespace?: string };
}

/**
 * Fragments of the input that are neither in the output (their subset, with their labels, in
 * their service's DestinationRule, and a branch's own route) nor named in a result: lost.
 */
export function lostFragments(fragments: readonly FragmentLike[], results: readonly ResultLike[], objects: readonly Json[]): string[] {
  const lost: string[] = [];
  for (const f of fragments) {
    const name = f.metadata?.name;
    const namespace = f.metadata?.namespace;
    const named = results.some((r) => r.resourceRef?.kind === 'RouteFragment' && r.resourceRef.name === name && (r.resourceRef.namespace ?? undefined) === (namespace ?? undefined));
    if (named) continue;
    const own = (o: Json) => (o.metadata as Json).name === f.spec?.service && ((o.metadata as Json).namespace ?? undefined) === (namespace ?? undefined);
    const dr = objects.find((o) => o.kind === 'DestinationRule' && own(o));
    const ownVs = (o: Json) => String((o.metadata as Json).name).split('.')[0] === f.spec?.service && ((o.metadata as Json).namespace ?? undefined) === (namespace ?? undefined);
    const services = objects.filter((o) => o.kind === 'VirtualService' && ownVs(o));
    const subset = ((dr?.spec as Json | undefined)?.subsets as { name: string; labels: unknown }[] | undefined)?.find((s) => s.name === f.spec?.subset?.name);
    const routed = f.spec?.branch === undefined || services.some((vs) => ((vs.spec as Json | undefined)?.http as Route[] | undefined)?.some((r) => r.name === `branch:${String(name)}`));
    if (!subset || fingerprint(subset.labels) !== fingerprint(f.spec?.subset?.labels) || !routed) lost.push(`${String(namespace ?? '')}/${String(name)}`);
  }
  return lost;
}
