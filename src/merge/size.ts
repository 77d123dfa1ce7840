// Objects too big to apply. The API server stores objects of up to about 1.5 MiB (etcd's request
// limit), and client-side `kubectl apply` copies the whole object into the
// kubectl.kubernetes.io/last-applied-configuration annotation, which may hold at most 256 KiB.
import type { Result } from '../model/result.ts';

export const OBJECT_LIMIT = 1.5 * 1024 * 1024;
export const ANNOTATION_LIMIT = 256 * 1024;
/** Warn from this share of a limit on, while there is still room to act. */
export const NEAR = 0.8;

const kib = (bytes: number): string => `${Math.round(bytes / 1024)} KiB`;

/** A warning or an error when `object` is near or past a limit; undefined when it is well within. */
export function checkSize(object: { kind: string; metadata: { name: string; namespace?: string }; apiVersion: string }): Result | undefined {
  const bytes = Buffer.byteLength(JSON.stringify(object));
  const name = object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : object.metadata.name;
  const subject = `${object.kind} ${name} is ${kib(bytes)} as JSON`;
  const resourceRef = { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name, ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}) };
  if (bytes > OBJECT_LIMIT) {
    return { severity: 'error', message: `${subject}, past the API server's object limit (about ${kib(OBJECT_LIMIT)}); split the service's routes or prune old fragments.`, resourceRef };
  }
  if (bytes > NEAR * OBJECT_LIMIT) {
    return { severity: 'warning', message: `${subject}, near the API server's object limit (about ${kib(OBJECT_LIMIT)}); prune old fragments before it fails.`, resourceRef };
  }
  if (bytes > ANNOTATION_LIMIT) {
    return { severity: 'warning', message: `${subject}, past the ${kib(ANNOTATION_LIMIT)} that client-side kubectl apply can record; apply it with kubectl apply --server-side.`, resourceRef };
  }
  if (bytes > NEAR * ANNOTATION_LIMIT) {
    return { severity: 'warning', message: `${subject}, near the ${kib(ANNOTATION_LIMIT)} that client-side kubectl apply can record; use kubectl apply --server-side.`, resourceRef };
  }
  return undefined;
}
