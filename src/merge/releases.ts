// An environment's traffic: the live stable release takes what its canaries leave.
import type { RouteFragment } from '../model/kinds.ts';
import type { Problem } from '../schema/validate.ts';
import { byString, groupBy } from './canonical.ts';
import { isCanary, stableByRevision } from './live.ts';

export interface ReleaseShare {
  fragment: RouteFragment;
  weight: number;
}

export interface EnvironmentTraffic {
  /** Destinations with a share above 0, live stable first, then canaries by revision. Sums to 100. */
  shares: ReleaseShare[];
  /** Problems, by fragment name: every one of them fails the render. */
  problems: Map<RouteFragment, Problem[]>;
}

const describe = (f: RouteFragment) => `RouteFragment ${f.metadata.namespace ? `${f.metadata.namespace}/` : ''}${f.metadata.name}`;

/** `releases` are the live release fragments of one environment of one service. */
export function chooseReleases(environment: string, releases: readonly RouteFragment[]): EnvironmentTraffic {
  const problems = new Map<RouteFragment, Problem[]>();
  const problem = (f: RouteFragment, p: Problem) => problems.set(f, [...(problems.get(f) ?? []), p]); // a handful at most
  const revision = (f: RouteFragment) => f.spec.release!.revision;
  const weight = (f: RouteFragment) => f.spec.release!.weight;

  for (const [rev, same] of groupBy(releases, revision)) {
    if (same.length < 2) continue;
    for (const f of same) {
      const others = same.filter((o) => o !== f).map(describe).join(', ');
      problem(f, { path: 'spec.release.revision', message: `is ${rev}, as is ${others}; give each release of ${environment} its own revision.` });
    }
  }

  const stable = stableByRevision(releases, (f) => f);
  const canaries = releases
    .filter(isCanary)
    .sort((a, b) => revision(a) - revision(b) || byString(a.metadata.name, b.metadata.name));
  const canaryTotal = canaries.reduce((sum, f) => sum + weight(f)!, 0);
  const live = stable[0];

  if (canaries.length > 0 && !live) {
    for (const f of canaries) {
      problem(f, {
        path: 'spec.release.weight',
        message: `is ${weight(f)}, but ${environment} has no stable release to take the rest of its traffic; release a stable version first (a release without weight), or drop weight to make this one stable.`,
      });
    }
  }
  if (canaryTotal > 100) {
    const list = canaries.map((f) => `${f.metadata.name}: ${weight(f)}`).join(', ');
    for (const f of canaries) {
      problem(f, { path: 'spec.release.weight', message: `is ${weight(f)}; the canaries of ${environment} (${list}) take ${canaryTotal}% together, and may take at most 100.` });
    }
  }
  if (problems.size > 0 || !live) return { shares: [], problems };

  const shares: ReleaseShare[] = [{ fragment: live, weight: 100 - canaryTotal }, ...canaries.map((f) => ({ fragment: f, weight: weight(f)! }))];
  return { shares: shares.filter((s) => s.weight > 0), problems };
}
