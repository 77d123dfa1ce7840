// The few Kubernetes API calls cluster mode makes, as an interface. client.ts implements it with
// @kubernetes/client-node; everything else in src/cluster/ depends only on this file.
import type { ClusterObject, ResourceKind } from './resources.ts';

export type WatchEvent = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface Watching {
  stop(): void;
}

export interface DeletePreconditions {
  resourceVersion?: string;
  uid?: string;
}

export interface Cluster {
  /** The namespace of the kubeconfig's current context (in a pod: its own), else `default`. */
  readonly defaultNamespace: string;
  /** Where requests go, for messages. */
  readonly server: string;
  /** Every object of a kind in a namespace, or in all namespaces when `namespace` is undefined. */
  list(kind: ResourceKind, namespace: string | undefined, labelSelector?: string): Promise<ClusterObject[]>;
  /** The object, or undefined when there is none. */
  get(kind: ResourceKind, namespace: string, name: string): Promise<ClusterObject | undefined>;
  /** Creates; throws ConflictError when the name is taken. */
  create(kind: ResourceKind, namespace: string, object: ClusterObject): Promise<ClusterObject>;
  /** Replaces; with metadata.resourceVersion set, throws ConflictError when the object changed since. */
  replace(kind: ResourceKind, namespace: string, object: ClusterObject): Promise<ClusterObject>;
  /** Deletes (the garbage collector removes dependents in the background); throws ConflictError when a precondition fails. */
  remove(kind: ResourceKind, namespace: string, name: string, preconditions?: DeletePreconditions): Promise<void>;
  /** Calls `onEvent` for each change until stopped; `onEnd` when the server or the network ends the watch. */
  watch(kind: ResourceKind, namespace: string | undefined, onEvent: (type: WatchEvent, object: ClusterObject) => void, onEnd: (error?: Error) => void): Promise<Watching>;
}

/** 409: a resourceVersion or uid precondition failed, or the name is already taken. Re-read and retry. */
export class ConflictError extends Error {}

/** 404 on a write: the object is gone. */
export class NotFoundError extends Error {}

/** Any other failure of the API server or of the connection to it; the message says what and where. */
export class ClusterError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}
