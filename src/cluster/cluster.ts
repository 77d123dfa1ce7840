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

/** How a write is made: `dryRun` asks the API server to run every stage (admission webhooks included) and persist nothing (`dryRun=All`). */
export interface WriteOptions {
  dryRun?: boolean;
  /** Server-side apply only: take over fields other managers own. Switchyard uses it only for fields Switchyard 0.1 wrote. */
  force?: boolean;
}

/** The field manager every Switchyard write names (server-side apply's `fieldManager`). */
export const FIELD_MANAGER = 'switchyard';

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
  create(kind: ResourceKind, namespace: string, object: ClusterObject, options?: WriteOptions): Promise<ClusterObject>;
  /** Replaces; with metadata.resourceVersion set, throws ConflictError when the object changed since. */
  replace(kind: ResourceKind, namespace: string, object: ClusterObject): Promise<ClusterObject>;
  /**
   * Server-side apply as field manager `switchyard` (never forced): creates or updates the fields
   * `object` names. With metadata.resourceVersion set, throws ConflictError when the object changed
   * since; throws FieldConflictError when another manager owns a field it would change.
   */
  apply(kind: ResourceKind, namespace: string, object: ClusterObject, options?: WriteOptions): Promise<ClusterObject>;
  /** Deletes (the garbage collector removes dependents in the background); throws ConflictError when a precondition fails. */
  remove(kind: ResourceKind, namespace: string, name: string, preconditions?: DeletePreconditions, options?: WriteOptions): Promise<void>;
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
    /** The server's own message (its Status object), quoted in results. */
    readonly serverMessage?: string,
  ) {
    super(message);
  }
}

/** 409 from server-side apply: another field manager owns fields this write would change. Never retried, never forced. */
export class FieldConflictError extends ClusterError {
  constructor(
    message: string,
    serverMessage: string,
    /** The managers the server named. */
    readonly managers: readonly string[],
  ) {
    super(message, 409, serverMessage);
  }
}
