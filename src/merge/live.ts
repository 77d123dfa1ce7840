// One definition of "live", for render (merge.ts), prune, explain, check and fragment. Pure: the
// caller gives `now` and the workloads its input holds.
//   - dropped: past spec.expires, or its spec.workload is missing from an input that carries
//     workloads of that kind (in its namespace): left out of the routes, with an info result;
//   - of an environment's releases that are not dropped: the stable release (no weight) with the
//     highest revision is live; older stable ones are superseded (rollback targets, prunable);
//     a canary (weight > 0) takes its share; a weight of 0 is rolled back (no traffic, subset kept).
import type { RouteFragment } from '../model/kinds.ts';

export interface WorkloadRef {
  kind: string;
  name: string;
  namespace?: string;
}

/** Workload names by kind and namespace ('' for objects without one). */
export type WorkloadIndex = Map<string, Map<string, Set<string>>>;

export interface LiveContext {
  now: Date;
  workloads: WorkloadIndex;
  /** Kinds that `workloads` lists completely (cluster mode): one missing is gone even where none of its kind is left. */
  completeKinds?: ReadonlySet<string>;
}

export function indexWorkloads(workloads: readonly WorkloadRef[]): WorkloadIndex {
  const index: WorkloadIndex = new Map();
  for (const w of workloads) {
    const byNamespace = index.get(w.kind) ?? new Map<string, Set<string>>();
    index.set(w.kind, byNamespace);
    const names = byNamespace.get(w.namespace ?? '') ?? new Set<string>();
    byNamespace.set(w.namespace ?? '', names);
    names.add(w.name);
  }
  return index;
}

export const isExpired = (f: RouteFragment, now: Date): boolean => f.spec.expires !== undefined && Date.parse(f.spec.expires) < now.getTime();

/** Why the fragment is left out without being broken (expired, workload gone), or undefined. */
export function droppedReason(f: RouteFragment, { now, workloads, completeKinds }: LiveContext): string | undefined {
  const { expires, workload } = f.spec;
  if (isExpired(f, now)) return `expired at ${expires}; it is left out of the routes, and its file can be deleted.`;
  if (!workload) return undefined;
  // Only an input that carries workloads of that kind in the fragment's namespace can say one is gone.
  const ns = f.metadata.namespace;
  const byNamespace = workloads.get(workload.kind) ?? new Map<string, Set<string>>();
  const candidates = ns === undefined ? [...byNamespace.values()] : [byNamespace.get(ns), byNamespace.get('')].filter((s): s is Set<string> => s !== undefined);
  if ((candidates.length === 0 && !completeKinds?.has(workload.kind)) || candidates.some((names) => names.has(workload.name))) return undefined;
  const others = candidates.length > 0 ? ` (other ${workload.kind}s${ns ? ` of namespace ${ns}` : ''} are)` : '';
  return `names ${workload.kind} ${workload.name} in spec.workload, which is not in the input${others}; it is left out of the routes, and its file can be deleted.`;
}

export const isStable = (f: RouteFragment): boolean => f.spec.release !== undefined && f.spec.release.weight === undefined;
export const isCanary = (f: RouteFragment): boolean => (f.spec.release?.weight ?? 0) > 0;
export const isRolledBack = (f: RouteFragment): boolean => f.spec.release?.weight === 0;

/**
 * The stable releases of one environment of one service that are not dropped, newest first: the
 * first is live, the rest are superseded. (Two with one revision are an error of the merge.)
 */
export function stableByRevision<T>(releases: readonly T[], fragmentOf: (r: T) => RouteFragment): T[] {
  return releases.filter((r) => isStable(fragmentOf(r))).sort((a, b) => fragmentOf(b).spec.release!.revision - fragmentOf(a).spec.release!.revision);
}
