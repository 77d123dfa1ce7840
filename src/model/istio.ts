// Only the Istio fields Switchyard writes (networking.istio.io/v1). Everything else in a base
// VirtualService or DestinationRule is carried through untouched as unknown fields.
export const ISTIO_API_VERSION = 'networking.istio.io/v1';
export const ISTIO_GROUP = 'networking.istio.io';

export type StringMatch = { exact: string } | { prefix: string } | { regex: string };

export interface HTTPMatchRequest {
  authority?: StringMatch;
  headers?: Record<string, StringMatch>;
}

export interface HTTPRouteDestination {
  /** No subset: the Service itself, every pod it selects (a branch-only service's fallback). */
  destination: { host: string; subset?: string; port?: { number: number } };
  weight: number;
}

export interface HeaderOperations {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

export interface HTTPRoute {
  name: string;
  match?: HTTPMatchRequest[];
  /** Exactly one of route and directResponse. */
  route?: HTTPRouteDestination[];
  directResponse?: { status: number };
  headers?: { request?: HeaderOperations; response?: HeaderOperations };
  [setting: string]: unknown; // timeout, retries, corsPolicy, headers: from the policy or the base
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

export interface VirtualService {
  apiVersion: string;
  kind: 'VirtualService';
  metadata: ObjectMeta;
  spec: {
    hosts: string[];
    gateways?: string[];
    exportTo?: string[];
    http: HTTPRoute[];
    [k: string]: unknown;
  };
}

export interface DestinationRuleSubset {
  name: string;
  labels: Record<string, string>;
  trafficPolicy?: Record<string, unknown>;
}

export interface DestinationRule {
  apiVersion: string;
  kind: 'DestinationRule';
  metadata: ObjectMeta;
  spec: {
    host: string;
    trafficPolicy?: Record<string, unknown>;
    exportTo?: string[];
    subsets: DestinationRuleSubset[];
    [k: string]: unknown;
  };
}
