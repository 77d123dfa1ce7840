// The Kubernetes resources cluster mode reads and writes, and the shape of objects as the API
// server returns them. Pure: no client library, no I/O.

export type ResourceKind = 'RouteFragment' | 'VirtualService' | 'DestinationRule' | 'Deployment' | 'Lease';

export interface Resource {
  kind: ResourceKind;
  group: string;
  version: string;
  plural: string;
}

export const RESOURCES: Record<ResourceKind, Resource> = {
  RouteFragment: { kind: 'RouteFragment', group: 'switchyard.dev', version: 'v1alpha1', plural: 'routefragments' },
  VirtualService: { kind: 'VirtualService', group: 'networking.istio.io', version: 'v1', plural: 'virtualservices' },
  DestinationRule: { kind: 'DestinationRule', group: 'networking.istio.io', version: 'v1', plural: 'destinationrules' },
  Deployment: { kind: 'Deployment', group: 'apps', version: 'v1', plural: 'deployments' },
  Lease: { kind: 'Lease', group: 'coordination.k8s.io', version: 'v1', plural: 'leases' },
};

export const apiVersionOf = (kind: ResourceKind): string => `${RESOURCES[kind].group}/${RESOURCES[kind].version}`;

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ClusterMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  deletionTimestamp?: string;
  [field: string]: unknown;
}

/** An object as the API server returns it. */
export interface ClusterObject {
  apiVersion: string;
  kind: string;
  metadata: ClusterMeta;
  [field: string]: unknown;
}

/** Metadata fields the API server sets; a desired object never carries them, and comparisons ignore them. */
const SERVER_FIELDS = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

/** The object without what the API server adds (server-set metadata, status): what a writer controls. */
export function withoutServerFields(object: ClusterObject): ClusterObject {
  const { status: _status, metadata, ...rest } = object;
  const meta: ClusterMeta = { ...metadata };
  for (const field of SERVER_FIELDS) delete meta[field];
  return { ...rest, metadata: meta };
}

/** `Kind namespace/name`, the way messages name objects. */
export const describe = (kind: string, namespace: string | undefined, name: string): string => `${kind} ${namespace ? `${namespace}/` : ''}${name}`;
