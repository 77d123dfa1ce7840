// Fragments owned by their Deployment, as pure functions: the ownerReference that lets the
// Kubernetes garbage collector delete a fragment together with its Deployment, and the object
// `switchyard apply` writes when it creates or updates one.
import { isOrchestratorAnnotation, LOCAL_CONFIG } from '../krm/annotations.ts';
import type { RouteFragment } from '../model/kinds.ts';
import type { ClusterMeta, ClusterObject, OwnerReference } from './resources.ts';

export interface OwnerName {
  kind: 'Deployment';
  name: string;
}

const DEPLOYMENT_NAMES = new Set(['deployment', 'deployments', 'deploy', 'deployment.apps', 'deployments.apps']);

/** `deployment/checkout-feature-jp12` (kubectl's spellings of the kind are accepted), or why not. */
export function parseOwner(text: string): OwnerName | { problem: string } {
  const slash = text.indexOf('/');
  const kind = text.slice(0, slash).toLowerCase();
  const name = text.slice(slash + 1);
  if (slash < 1 || name === '' || name.includes('/')) return { problem: `--owner ${text} is not KIND/NAME; use deployment/NAME.` };
  if (!DEPLOYMENT_NAMES.has(kind)) return { problem: `--owner ${text}: only a Deployment can own a fragment; use deployment/NAME.` };
  return { kind: 'Deployment', name };
}

/** The ownerReference to a Deployment as read from the cluster (its uid makes it that Deployment, not a later one of the same name). */
export function ownerReferenceTo(deployment: ClusterObject): OwnerReference {
  if (!deployment.metadata.uid) throw new Error(`Deployment ${deployment.metadata.name} came from the API server without a uid`);
  return { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name, uid: deployment.metadata.uid };
}

/**
 * The fragment to create: what its author wrote, in `namespace`, owned by `owner` when given.
 * Without spec.workload, the owner is named there too, so that a reconcile drops the route as soon
 * as the Deployment is gone, even before the garbage collector deletes the fragment.
 */
export function fragmentToApply(fragment: RouteFragment, namespace: string, owner: OwnerReference | undefined): ClusterObject {
  const { labels, name } = fragment.metadata;
  // kpt's and kustomize's bookkeeping (file path, local-config) means nothing in the cluster.
  const kept = Object.entries(fragment.metadata.annotations ?? {}).filter(([key]) => !isOrchestratorAnnotation(key) && key !== LOCAL_CONFIG);
  const annotations = kept.length > 0 ? Object.fromEntries(kept) : undefined;
  const spec = owner && !fragment.spec.workload ? { ...fragment.spec, workload: { kind: owner.kind, name: owner.name } } : fragment.spec;
  const metadata: ClusterMeta = { name, namespace, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}), ...(owner ? { ownerReferences: [owner] } : {}) };
  return { apiVersion: fragment.apiVersion, kind: fragment.kind, metadata, spec };
}

/**
 * The update of an existing fragment: the new spec, labels and annotations laid over the old ones,
 * our ownerReference in place of any earlier one to the same Deployment name (a Deployment deleted
 * and created again has a new uid), other owners and server fields kept, resourceVersion as read.
 */
export function fragmentUpdate(existing: ClusterObject, next: ClusterObject): ClusterObject {
  const owners = [
    ...(existing.metadata.ownerReferences ?? []).filter((o) => !(next.metadata.ownerReferences ?? []).some((n) => n.kind === o.kind && n.name === o.name)),
    ...(next.metadata.ownerReferences ?? []),
  ];
  const merged = (a?: Record<string, string>, b?: Record<string, string>) => (a || b ? { ...a, ...b } : undefined);
  const labels = merged(existing.metadata.labels, next.metadata.labels);
  const annotations = merged(existing.metadata.annotations, next.metadata.annotations);
  const { status: _status, ...rest } = existing;
  return {
    ...rest,
    apiVersion: next.apiVersion,
    kind: next.kind,
    metadata: {
      ...existing.metadata,
      ...(labels ? { labels } : {}),
      ...(annotations ? { annotations } : {}),
      ...(owners.length > 0 ? { ownerReferences: owners } : {}),
    },
    spec: next.spec,
  };
}
