// What one namespace's VirtualServices and DestinationRules should be, from what the cluster holds.
// Pure: the caller lists the objects; this turns them into the merge's input and calls the one
// merge (src/merge/merge.ts) that every other entry point uses.
import { merge, type ObjectId, type WorkloadRef } from '../merge/merge.ts';
import type { DestinationRule, VirtualService } from '../model/istio.ts';
import type { KubeObject, Sourced } from '../model/kinds.ts';
import { hasErrors, type Result } from '../model/result.ts';
import { withoutServerFields, type ClusterObject } from './resources.ts';

/** One namespace as listed: the VirtualServices and DestinationRules first, then the fragments. */
export interface Snapshot {
  namespace: string;
  virtualServices: readonly ClusterObject[];
  destinationRules: readonly ClusterObject[];
  fragments: readonly ClusterObject[];
  deployments: readonly ClusterObject[];
}

export interface DesiredState {
  /** False when the merge reported an error: then nothing may be written. */
  ok: boolean;
  virtualServices: VirtualService[];
  destinationRules: DestinationRule[];
  /** Objects Switchyard made earlier for a service that has no live fragment any more. */
  retired: ObjectId[];
  results: Result[];
}

export interface DesiredInput {
  snapshot: Snapshot;
  policy: Sourced<unknown>;
  now: Date;
  renderedBy: string;
}

const isDeleting = (o: ClusterObject): boolean => typeof o.metadata.deletionTimestamp === 'string';

/** A fragment as the merge reads it: only what its author wrote (no server fields, no status). */
export function fragmentInput(object: ClusterObject): Sourced<unknown> {
  const { name, namespace } = object.metadata;
  return { object: { apiVersion: object.apiVersion, kind: object.kind, metadata: { name, ...(namespace ? { namespace } : {}) }, spec: object.spec }, source: {} };
}

export function desiredState({ snapshot, policy, now, renderedBy }: DesiredInput): DesiredState {
  const inNamespace = (o: ClusterObject) => o.metadata.namespace === snapshot.namespace;
  // An object being deleted (a finalizer still holds it) is already gone as far as routing goes.
  const fragments = snapshot.fragments.filter((o) => inNamespace(o) && !isDeleting(o)).map(fragmentInput);
  const istioObjects: Sourced<KubeObject>[] = [...snapshot.virtualServices, ...snapshot.destinationRules]
    .filter(inNamespace)
    .map((o) => ({ object: withoutServerFields(o) as KubeObject, source: {} }));
  const workloads: WorkloadRef[] = snapshot.deployments
    .filter((o) => inNamespace(o) && !isDeleting(o))
    .map((o) => ({ kind: 'Deployment', name: o.metadata.name, namespace: snapshot.namespace }));
  const merged = merge({ policy, fragments, istioObjects, workloads, completeWorkloadKinds: ['Deployment'], now, renderedBy });
  const ok = !hasErrors(merged.results);
  return {
    ok,
    virtualServices: merged.objects.filter((o): o is VirtualService => o.kind === 'VirtualService'),
    destinationRules: merged.objects.filter((o): o is DestinationRule => o.kind === 'DestinationRule'),
    retired: merged.retired,
    results: merged.results,
  };
}
