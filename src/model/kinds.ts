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
export const DEFAULT_ENVIRONMENT_HEADER = 'x-environment';

/** Where an object came from: a file relative to the input root, and its index in that file. */
export interface Source {
  path?: string;
  index?: number;
  /**
   * Set when `path` was read from an annotation, not from the file Switchyard read itself: kpt's
   * internal.config.kubernetes.io/path (`path`) or kustomize's config.kubernetes.io/origin (`origin`).
   */
  annotation?: 'path' | 'origin';
  /** The path in kustomize's config.kubernetes.io/origin annotation, when the object carries one. */
  origin?: string;
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
