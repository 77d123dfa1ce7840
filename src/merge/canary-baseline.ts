// Which release a canary is compared with, and whether its new weight still renders: the one
// place `switchyard canary` leans on the merge's rules for releases (releases.ts chooseReleases).
// The baseline is the live stable release of the same environment of the same service: the
// stable release with the highest revision among the fragments that are not expired (live.ts). Pure.
import type { RouteFragment, Sourced } from '../model/kinds.ts';
import type { Result } from '../model/result.ts';
import { isExpired } from './live.ts';
import { merge } from './merge.ts';
import { qualified } from './messages.ts';
import { chooseReleases } from './releases.ts';

const name = (f: RouteFragment) => `RouteFragment ${qualified(f.metadata.namespace, f.metadata.name)}`;

/** The other live releases of the canary's environment and service (expired ones are left out, as merge does). */
function siblings(canary: RouteFragment, fragments: readonly RouteFragment[], now: Date): RouteFragment[] {
  const env = canary.spec.release!.environment;
  return fragments.filter(
    (f) =>
      f.metadata.name !== canary.metadata.name &&
      f.metadata.namespace === canary.metadata.namespace &&
      f.spec.service === canary.spec.service &&
      f.spec.release?.environment === env &&
      !isExpired(f, now),
  );
}

/** The traffic problems of an environment, as sentences naming each fragment and field. */
function problemsOf(environment: string, releases: RouteFragment[]): string[] {
  const { problems } = chooseReleases(environment, releases);
  return [...problems].flatMap(([f, list]) => list.map((p) => `${name(f)}: ${p.path} ${p.message}`));
}

export function findBaseline(canary: RouteFragment, fragments: readonly RouteFragment[], now: Date): { baseline: RouteFragment } | { problem: string } {
  const env = canary.spec.release!.environment;
  const others = siblings(canary, fragments, now);
  const problems = problemsOf(env, [...others, canary]);
  if (problems.length > 0) return { problem: `${env} of service ${canary.spec.service} does not render as it is: ${problems.join(' ')}` };
  const { shares } = chooseReleases(env, [...others, canary]);
  const live = shares.find((s) => s.fragment.spec.release!.weight === undefined)?.fragment;
  if (!live) return { problem: `${env} of service ${qualified(canary.metadata.namespace, canary.spec.service)} has no stable release beside it to compare with; put the fragments of the environment in one folder.` };
  if (live.spec.release!.revision >= canary.spec.release!.revision) {
    return {
      problem: `spec.release.revision is ${canary.spec.release!.revision}, not above the live ${name(live)} (revision ${live.spec.release!.revision}): promoting it would not make it live; give the canary a higher revision.`,
    };
  }
  return { baseline: live };
}

/** Why the environment would not render with the canary at its new weight (none: it renders). */
export function checkNewWeight(canaryAfter: RouteFragment, fragments: readonly RouteFragment[], now: Date): string[] {
  return problemsOf(canaryAfter.spec.release!.environment, [...siblings(canaryAfter, fragments, now), canaryAfter]);
}

/** The error results a render of these fragments with the policy reports (merge's own rules). */
export function renderErrors(policy: Sourced<unknown>, fragments: readonly Sourced<unknown>[], now: Date): Result[] {
  return merge({ policy, fragments, istioObjects: [], workloads: [], now, renderedBy: 'switchyard/canary' }).results.filter((r) => r.severity === 'error');
}
