// A base: a VirtualService or DestinationRule already in the input with the service's name (one the
// user wrote, or Switchyard's own earlier output). It gives service-wide settings, never routing:
//   - route settings come from its last http route, field by field under the policy's
//     (a policy that sets only timeout keeps the base's retries); route actions that cannot stand
//     beside the `route` Switchyard writes on every route (redirect, directResponse, delegate;
//     istio/istio pkg/config/validation/virtualservice.go validateHTTPRouteConflict) are refused,
//     as is the deprecated mirrorPercent, which Istio warns about on every route;
//   - what the API server populates (resourceVersion, uid, generation, creationTimestamp,
//     managedFields, selfLink, deletion*, kubectl's last-applied-configuration; status is never
//     copied) is left out, so an object read back from a cluster applies cleanly;
//   - every value it passes on is judged by Istio's schema and webhook rules (istio-rules.ts).
// Any problem fails the render: a base is shared by every route, like the policy. Pure.
import type { KubeObject, Sourced } from '../model/kinds.ts';
import type { Result } from '../model/result.ts';
import { checkIstioShape } from '../schema/istio-schema.ts';
import type { Problem } from '../schema/validate.ts';
import { checkExportTo, checkGatewayNames, checkRouteSettings, checkTrafficPolicy } from './istio-rules.ts';
import { resultFor, type Subject } from './messages.ts';
import { under } from './policy-istio.ts';
import { isGeneratedRouteName } from './routes.ts';
import type { Json } from '../model/json.ts';

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Metadata the API server writes; a copy in the output would make the apply conflict or lie. */
const SERVER_FIELDS = ['resourceVersion', 'uid', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];
const SERVER_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration'];
/** HTTPRoute fields that are the route itself, which Switchyard writes. */
const ROUTING_FIELDS = new Set(['name', 'match', 'route']);
/** Actions that replace `route` (validateHTTPRouteConflict): a base cannot put them on every route. */
const ACTIONS = ['redirect', 'directResponse', 'delegate'];

export interface Base {
  /** The base, cleaned: no server-populated metadata, only the settings a base may give, and its own routes. */
  object?: KubeObject;
  /** Errors naming the base, the field and the file. */
  results: Result[];
}

/**
 * The input object of `kind` named `name` in `namespace` (a VirtualService `S` or `S.E`, the
 * DestinationRule `S`), cleaned, with what is wrong with it.
 */
export function readBase(objects: readonly Sourced<KubeObject>[], kind: 'VirtualService' | 'DestinationRule', namespace: string | undefined, name: string): Base {
  const sourced = objects.find((o) => o.object.kind === kind && o.object.metadata?.name === name && (o.object.metadata?.namespace ?? undefined) === namespace);
  if (!sourced) return { results: [] };
  const { object, problems } = kind === 'VirtualService' ? cleanVirtualService(sourced.object) : cleanDestinationRule(sourced.object);
  const subject = subjectOf(sourced);
  return { object, results: problems.map((p) => resultFor(subject, 'error', p.message, p.path || undefined)) };
}

function subjectOf({ object, source }: Sourced<KubeObject>): Subject {
  const name = typeof object.metadata?.name === 'string' ? object.metadata.name : '';
  const namespace = typeof object.metadata?.namespace === 'string' ? object.metadata.namespace : undefined;
  return { ref: { apiVersion: String(object.apiVersion ?? 'networking.istio.io/v1'), kind: String(object.kind), name, ...(namespace ? { namespace } : {}) }, source };
}

function cleanMetadata(metadata: unknown): Json {
  const meta: Json = { ...(isObject(metadata) ? metadata : {}) };
  for (const field of SERVER_FIELDS) delete meta[field];
  if (isObject(meta.annotations)) {
    const annotations = { ...meta.annotations };
    for (const a of SERVER_ANNOTATIONS) delete annotations[a];
    meta.annotations = annotations;
  }
  return meta;
}

function cleanVirtualService(base: KubeObject): { object: KubeObject; problems: Problem[] } {
  const problems: Problem[] = [];
  const spec = isObject(base.spec) ? base.spec : {};
  const { hosts: _hosts, http, ...rest } = spec;
  const routes = Array.isArray(http) ? http : [];
  const lastAt = routes.length - 1;
  const last = lastAt >= 0 && isObject(routes[lastAt]) ? routes[lastAt] : {};
  // The user's own routes (a match, a name Switchyard does not write) stay, before the generated ones.
  const own = routes.slice(0, Math.max(lastAt, 0)).filter((r) => isObject(r) && r.match !== undefined && !isGeneratedRouteName(r.name));
  // Switchyard's own output fed back: a fallback route answers with directResponse itself.
  const generatedFallback = isGeneratedRouteName(last.name) && last.directResponse !== undefined;
  const settings: Json = {};
  const at = `spec.http[${lastAt}]`;
  for (const [field, value] of Object.entries(last)) {
    if (ROUTING_FIELDS.has(field) || (generatedFallback && field === 'directResponse')) continue;
    if (ACTIONS.includes(field)) {
      problems.push({ path: `${at}.${field}`, message: `is a route action, which cannot stand beside the route Switchyard writes on every route of the service; a base gives settings only (timeout, retries, corsPolicy, headers, fault, mirror...): remove ${field}.` });
      continue;
    }
    if (field === 'mirrorPercent' || field === 'mirror_percent') {
      problems.push({ path: `${at}.${field}`, message: 'is deprecated, and Istio warns about it on every route; use mirrorPercentage: {value: N}.' });
      continue;
    }
    settings[field] = value;
  }
  problems.push(...under(at, checkRouteSettings(settings)));
  if (Array.isArray(rest.gateways)) {
    const gateways = checkGatewayNames(rest.gateways);
    problems.push(...under('spec.gateways', [...gateways.errors, ...gateways.warnings]));
  }
  if (Array.isArray(rest.exportTo)) problems.push(...under('spec.exportTo', checkExportTo(rest.exportTo, namespaceOf(base))));
  // Whatever else the base carries (tcp, tls routes) is kept: Istio's schema judges it.
  const { gateways: _g, exportTo: _e, ...others } = rest;
  problems.push(...under('spec', checkIstioShape('VirtualServiceSpec', { hosts: ['placeholder'], ...others })));
  const object: KubeObject = { ...base, metadata: cleanMetadata(base.metadata), spec: { ...rest, http: [...own, ...(Object.keys(settings).length > 0 || own.length > 0 ? [settings] : [])] } };
  delete object.status;
  return { object, problems };
}

function cleanDestinationRule(base: KubeObject): { object: KubeObject; problems: Problem[] } {
  const problems: Problem[] = [];
  const spec = isObject(base.spec) ? base.spec : {};
  const { host: _host, subsets: _subsets, ...rest } = spec;
  if (rest.trafficPolicy !== undefined) problems.push(...under('spec.trafficPolicy', checkTrafficPolicy(rest.trafficPolicy)));
  if (Array.isArray(rest.exportTo)) problems.push(...under('spec.exportTo', checkExportTo(rest.exportTo, namespaceOf(base))));
  const { trafficPolicy: _t, exportTo: _e, ...others } = rest;
  problems.push(...under('spec', checkIstioShape('DestinationRuleSpec', { host: 'placeholder', ...others })));
  const object: KubeObject = { ...base, metadata: cleanMetadata(base.metadata), spec: rest };
  delete object.status;
  return { object, problems };
}

const namespaceOf = (o: KubeObject): string | undefined => (typeof o.metadata?.namespace === 'string' ? o.metadata.namespace : undefined);
