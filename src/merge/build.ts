// The VirtualService and DestinationRule of one service. Switchyard owns the routing fields
// (hosts, http, host, subsets); settings that belong to the whole service come from the policy,
// else from a base object of the same name in the input; everything else in a base is kept.
import {
  ISTIO_API_VERSION,
  type DestinationRule,
  type DestinationRuleSubset,
  type HTTPRoute,
  type ObjectMeta,
  type VirtualService,
} from '../model/istio.ts';
import type { KubeObject } from '../model/kinds.ts';
import { byString, ordered, sortKeysDeep } from './canonical.ts';
import type { Policy } from './policy.ts';
import { isGeneratedRouteName } from './routes.ts';
import type { Json } from '../model/json.ts';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'switchyard';
/** Says which Switchyard made an object, such as `switchyard/0.1.0`; the caller passes the value in. */
export const RENDERED_BY_ANNOTATION = 'switchyard.dev/rendered-by';
export const MESH_GATEWAY = 'mesh';

export interface ServiceId {
  namespace?: string;
  service: string;
}

const record = (value: unknown): Json => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});
const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;

/** Route settings, field by field: the policy's, else those of the base's last (catch-all) route. */
function routeSettings(policy: Policy, base?: KubeObject): Json {
  const http = record(base?.spec).http;
  const last = Array.isArray(http) ? record(http[http.length - 1]) : {};
  const { name: _n, match: _m, route: _r, directResponse: _d, ...settings } = last;
  return sortKeysDeep({ ...settings, ...policy.routeSettings }) as Json;
}

/** Settings Istio refuses beside directResponse (pkg/config/validation: validateHTTPRouteConflict). */
const REFUSED_WITH_DIRECT_RESPONSE = ['fault', 'rewrite', 'redirect', 'route'];

/** The route with the settings; header operations merged, the generated ones winning, removals unioned. */
function withSettings(route: HTTPRoute, settings: Json): Json {
  const merged: Json = { ...settings, ...route };
  if (route.directResponse) for (const key of REFUSED_WITH_DIRECT_RESPONSE) if (key !== 'route' || !route.route) delete merged[key];
  const given = record(settings.headers);
  if (route.headers || settings.headers) {
    const request = { ...record(given.request) } as Json;
    const generated = route.headers?.request;
    if (generated?.set) request.set = { ...record(request.set), ...generated.set };
    if (generated?.remove) request.remove = [...new Set([...(strings(request.remove) ?? []), ...generated.remove])].sort(byString);
    const headers = { ...given, ...(Object.keys(request).length > 0 ? { request } : {}) };
    merged.headers = sortKeysDeep(headers);
  }
  return ordered(sortKeysDeep(merged) as Json, ['name', 'match', 'route', 'directResponse']);
}

function metadata(name: string, id: ServiceId, base: KubeObject | undefined, renderedBy: string): ObjectMeta {
  const baseMeta = record(base?.metadata);
  const labels = sortKeysDeep({ ...record(baseMeta.labels), [MANAGED_BY_LABEL]: MANAGED_BY }) as Record<string, string>;
  const annotations = { ...record(baseMeta.annotations), [RENDERED_BY_ANNOTATION]: renderedBy };
  return ordered(
    {
      ...baseMeta,
      name,
      namespace: id.namespace,
      labels,
      annotations: sortKeysDeep(annotations) as Record<string, string>,
    },
    ['name', 'namespace', 'labels', 'annotations'],
  ) as ObjectMeta;
}

/** The gateways the service's VirtualServices are bound to: the policy's, else those of its bases. */
export function gatewaysOf(policy: Policy, bases: readonly (KubeObject | undefined)[]): string[] | undefined {
  if (policy.gateways) return policy.gateways;
  const lists = bases.map((b) => strings(record(b?.spec).gateways)).filter((g): g is string[] => g !== undefined);
  return lists.length === 0 ? undefined : [...new Set(lists.flat())];
}

export interface VirtualServicePlan {
  /** `S` for the mesh VirtualService, `S.E` for environment E's at the gateways. */
  name: string;
  hosts: string[];
  gateways?: string[];
  routes: readonly HTTPRoute[];
  /** The input VirtualService of the same name. */
  base?: KubeObject;
  /** The input VirtualService named like the service, whose settings apply when `base` has none. */
  serviceBase?: KubeObject;
}

/**
 * A generated VirtualService. A base's own routes that have a match (not named like generated
 * ones) come first, as the user wrote them; its route without match only carries settings.
 */
export function buildVirtualService(id: ServiceId, policy: Policy, plan: VirtualServicePlan, renderedBy: string): VirtualService {
  const { base } = plan;
  const baseSpec = record(base?.spec);
  const settings = routeSettings(policy, base && hasRoutes(base) ? base : plan.serviceBase);
  const kept = (Array.isArray(baseSpec.http) ? baseSpec.http : []).filter((r) => record(r).match !== undefined && !isGeneratedRouteName(record(r).name));
  const http = [...kept, ...plan.routes.map((r) => withSettings(r, settings))] as HTTPRoute[];
  const { hosts: _h, gateways: _g, http: _http, ...rest } = baseSpec;
  return {
    apiVersion: typeof base?.apiVersion === 'string' ? base.apiVersion : ISTIO_API_VERSION,
    kind: 'VirtualService',
    metadata: metadata(plan.name, id, base ?? plan.serviceBase, renderedBy),
    spec: ordered(
      {
        ...rest,
        hosts: [...new Set(plan.hosts)].sort(byString),
        gateways: plan.gateways,
        exportTo: policy.exportTo ?? strings(baseSpec.exportTo) ?? strings(record(plan.serviceBase?.spec).exportTo),
        http,
      },
      ['hosts', 'gateways', 'exportTo', 'http'],
    ),
  };
}

const hasRoutes = (o: KubeObject): boolean => Array.isArray(record(o.spec).http) && (record(o.spec).http as unknown[]).length > 0;

export function buildDestinationRule(id: ServiceId, policy: Policy, subsets: readonly DestinationRuleSubset[], base: KubeObject | undefined, renderedBy: string): DestinationRule {
  const baseSpec = record(base?.spec);
  const { host: _h, subsets: _s, ...rest } = baseSpec;
  return {
    apiVersion: typeof base?.apiVersion === 'string' ? base.apiVersion : ISTIO_API_VERSION,
    kind: 'DestinationRule',
    metadata: metadata(id.service, id, base, renderedBy),
    spec: ordered(
      {
        ...rest,
        host: id.service,
        trafficPolicy: policy.trafficPolicy ?? (baseSpec.trafficPolicy as Json | undefined),
        exportTo: policy.exportTo ?? strings(baseSpec.exportTo),
        subsets: [...subsets]
          .sort((a, b) => byString(a.name, b.name))
          .map((s) => ordered({ name: s.name, labels: sortKeysDeep(s.labels) as Record<string, string>, trafficPolicy: s.trafficPolicy }, ['name', 'labels', 'trafficPolicy'])),
      },
      ['host', 'trafficPolicy', 'exportTo', 'subsets'],
    ),
  };
}
