// Which fragments `switchyard prune` may delete, and why. Pure: the caller reads and deletes files.
//   - expired: spec.expires has passed (the merge already ignores them);
//   - keepPrevious N: stable releases of an environment older than the live one and the N
//     before it (the rollback targets); never the live release, never a canary. Which release
//     is live is decided as render decides it (src/merge/live.ts): a newer release whose
//     workload is gone is not live, so the older one render routes to is kept;
//   - branches: branch fragments whose git branch is not in the list (merged or deleted).
import type { RouteFragment, Sourced } from '../model/kinds.ts';
import { byString, groupBy } from './canonical.ts';
import { droppedReason, indexWorkloads, isExpired, stableByRevision, type WorkloadRef } from './live.ts';
import { qualified } from './messages.ts';
import { branchNameOf, BRANCH_ANNOTATION, slugify } from './new-fragment.ts';

export interface PruneOptions {
  now: Date;
  /** Keep this many stable releases before the live one, per service and environment. */
  keepPrevious?: number;
  /** The git branches that still exist; branch fragments of any other branch are pruned. */
  branches?: readonly string[];
  /** The workloads the input holds, for spec.workload (as render judges it: only kinds present count). */
  workloads?: readonly WorkloadRef[];
}

export interface PruneDecision {
  fragment: Sourced<RouteFragment>;
  /** Why it can go, for people, after the fragment's name: `expired at 2026-01-01T00:00:00Z`. */
  reason: string;
}

export interface PrunePlan {
  prune: PruneDecision[];
  /** Groups left alone, and why (two stable releases with one revision). */
  notes: string[];
}

export function planPrune(fragments: readonly Sourced<RouteFragment>[], options: PruneOptions): PrunePlan {
  const reasons = new Map<Sourced<RouteFragment>, string>();
  const notes: string[] = [];
  const add = (f: Sourced<RouteFragment>, reason: string) => {
    if (!reasons.has(f)) reasons.set(f, reason);
  };

  for (const f of fragments) if (isExpired(f.object, options.now)) add(f, `expired at ${f.object.spec.expires}`);

  if (options.keepPrevious !== undefined) {
    const live = { now: options.now, workloads: indexWorkloads(options.workloads ?? []) };
    // What render leaves out (expired, workload gone) is never the live release.
    const releases = fragments.filter((f) => f.object.spec.release && droppedReason(f.object, live) === undefined);
    const groups = groupBy(releases, (f) => JSON.stringify([f.object.metadata.namespace ?? '', f.object.spec.service, f.object.spec.release!.environment]));
    for (const group of [...groups.values()]) {
      const { environment } = group[0]!.object.spec.release!;
      const service = qualified(group[0]!.object.metadata.namespace, group[0]!.object.spec.service);
      const stable = stableByRevision(group, (f) => f.object);
      const revisions = stable.map((f) => f.object.spec.release!.revision);
      if (new Set(revisions).size !== revisions.length) {
        notes.push(`the stable releases of ${environment} of service ${service} share a revision, so which one is live is unclear; --keep-previous leaves them alone until that is fixed.`);
        continue;
      }
      const [live, ...older] = stable;
      if (!live) continue;
      const kept = older.slice(0, options.keepPrevious);
      const describe = (f: Sourced<RouteFragment>) => `${f.object.metadata.name}, revision ${f.object.spec.release!.revision}`;
      const keptText = kept.length > 0 ? ` (${kept.map(describe).join('; ')})` : '';
      for (const f of older.slice(options.keepPrevious)) {
        add(
          f,
          `is a stable release of ${environment} of service ${service} (revision ${f.object.spec.release!.revision}), older than the live one (${describe(live)}) and the ${options.keepPrevious} kept for rollback${keptText}`,
        );
      }
    }
  }

  if (options.branches !== undefined) {
    const listed = new Set(options.branches);
    const slugs = new Set(options.branches.map(slugify));
    for (const f of fragments) {
      const branch = f.object.spec.branch;
      if (!branch) continue;
      // A prefix or regex value stands for no one git branch, unless the fragment names one.
      const fromGit = (branch.match ?? 'exact') === 'exact' || f.object.metadata.annotations?.[BRANCH_ANNOTATION] !== undefined;
      if (!fromGit) continue;
      const name = branchNameOf(f.object)!;
      if (listed.has(name) || slugs.has(branch.value) || slugs.has(slugify(name))) continue;
      add(f, `is the branch build of ${name}, which is not in the list of branches`);
    }
  }

  const prune = [...reasons].map(([fragment, reason]) => ({ fragment, reason }));
  prune.sort((a, b) => byString(a.fragment.source.path ?? '', b.fragment.source.path ?? '') || byString(a.fragment.object.metadata.name, b.fragment.object.metadata.name));
  return { prune, notes };
}
