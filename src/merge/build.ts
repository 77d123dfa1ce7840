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

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'switchyard';
/** Says which Switchyard made an object, such as `switchyard/0.1.0`; the caller passes the value in. */
export const RENDERED_BY_ANNOTATION = 'switchyard.dev/rendered-by';
export const MESH_GATEWAY = 'mesh';

export interface ServiceId {
  namespace?: string;
  service: string;
}

type Json = Record<string, unknown>;
const record = (value: unknown): Json => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});
const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;

/** Route settings, field by field: the policy's, else those of the base's last (catch-all) route. */
function routeSettings(policy: Policy, base?: KubeObject): Json {
  const http = record(base?.spec).http;
  const last = Array.isArray(http) ? record(http[http.length - 1]) : {};
  const { name: _n, match: _m, route: _r, ...settings } = last;
  return sortKeysDeep({ ...settings, ...policy.routeSettings }) as Json;
}

function metadata(id: ServiceId, base: KubeObject | undefined, renderedBy: string): ObjectMeta {
  const baseMeta = record(base?.metadata);
  const labels = sortKeysDeep({ ...record(baseMeta.labels), [MANAGED_BY_LABEL]: MANAGED_BY }) as Record<string, string>;
  const annotations = { ...record(baseMeta.annotations), [RENDERED_BY_ANNOTATION]: renderedBy };
  return ordered(
    {
      ...baseMeta,
      name: id.service,
      namespace: id.namespace,
      labels,
      annotations: sortKeysDeep(annotations) as Record<string, string>,
    },
    ['name', 'namespace', 'labels', 'annotations'],
  ) as ObjectMeta;
}

export function buildVirtualService(id: ServiceId, policy: Policy, routes: readonly HTTPRoute[], base: KubeObject | undefined, renderedBy: string): VirtualService {
  const baseSpec = record(base?.spec);
  const gateways = policy.gateways ?? strings(baseSpec.gateways);
  const hosts = new Set(policy.environments.flatMap((e) => e.hosts));
  if (!gateways || gateways.length === 0 || gateways.includes(MESH_GATEWAY)) hosts.add(id.service);
  const settings = routeSettings(policy, base);
  const http = routes.map((r) => ordered({ ...settings, ...r }, ['name', 'match', 'route']));
  const { hosts: _h, gateways: _g, http: _http, ...rest } = baseSpec;
  return {
    apiVersion: typeof base?.apiVersion === 'string' ? base.apiVersion : ISTIO_API_VERSION,
    kind: 'VirtualService',
    metadata: metadata(id, base, renderedBy),
    spec: ordered(
      {
        ...rest,
        hosts: [...hosts].sort(byString),
        gateways,
        exportTo: policy.exportTo ?? strings(baseSpec.exportTo),
        http,
      },
      ['hosts', 'gateways', 'exportTo', 'http'],
    ),
  };
}

export function buildDestinationRule(id: ServiceId, policy: Policy, subsets: readonly DestinationRuleSubset[], base: KubeObject | undefined, renderedBy: string): DestinationRule {
  const baseSpec = record(base?.spec);
  const { host: _h, subsets: _s, ...rest } = baseSpec;
  return {
    apiVersion: typeof base?.apiVersion === 'string' ? base.apiVersion : ISTIO_API_VERSION,
    kind: 'DestinationRule',
    metadata: metadata(id, base, renderedBy),
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
