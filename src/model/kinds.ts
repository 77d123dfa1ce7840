// The two Switchyard kinds. Their types are generated from the JSON Schemas (src/schema/),
// which are the single source of truth; this file only names them.
export type {
  Branch,
  Environment,
  ObjectMeta,
  Release,
  RouteFragment,
  RouteFragmentSpec,
  RouteSettings,
  RoutingPolicy,
  RoutingPolicySpec,
  Subset,
  Workload,
} from '../schema/generated/types.ts';

export const API_VERSION = 'switchyard.dev/v1alpha1';
export const FRAGMENT_KIND = 'RouteFragment';
export const POLICY_KIND = 'RoutingPolicy';

export const DEFAULT_BRANCH_HEADER = 'x-branch';

/** Where an object came from: a file relative to the input root, and its index in that file. */
export interface Source {
  path?: string;
  index?: number;
}

/** Any Kubernetes object as read, before validation. */
export interface KubeObject {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown; annotations?: Record<string, unknown>; [k: string]: unknown };
  [k: string]: unknown;
}

/** An object of the input, with where it came from. */
export interface Sourced<T = KubeObject> {
  object: T;
  source: Source;
}
