// Small builders for table tests: fragment({...}), branch(...), release(...), policy({...}).
import type { RouteFragment, RoutingPolicy, Sourced } from '../src/model/kinds.ts';
import { merge, type MergeInput, type MergeOutput } from '../src/merge/merge.ts';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

export const NOW = new Date('2026-11-27T12:00:00Z');
/** The rendered-by value table tests pass (the executable passes `switchyard/<version>`). */
export const RENDERED_BY = 'switchyard/test';

export function policy(spec: Partial<RoutingPolicy['spec']> = {}): RoutingPolicy {
  return {
    apiVersion: 'switchyard.dev/v1alpha1',
    kind: 'RoutingPolicy',
    metadata: { name: 'routing' },
    spec: {
      branchHeader: 'x-branch',
      environments: [
        { name: 'production', hosts: ['shop.example.com'], default: true, allowBranches: false },
        { name: 'staging', hosts: ['staging.shop.example.com'] },
        { name: 'pre-staging', hosts: ['pre-staging.shop.example.com'] },
      ],
      ...spec,
    } as RoutingPolicy['spec'],
  };
}

/** A fragment; `subset` defaults to one named like the fragment, selecting version=<name>. */
export function fragment(name: string, spec: DeepPartial<RouteFragment['spec']> & Record<string, unknown>, namespace = 'shop'): RouteFragment {
  const subsetName = (spec.subset as { name?: string } | undefined)?.name ?? name;
  return {
    apiVersion: 'switchyard.dev/v1alpha1',
    kind: 'RouteFragment',
    metadata: { name, namespace },
    spec: {
      service: 'checkout',
      ...spec,
      subset: { name: subsetName, labels: { app: 'checkout', version: subsetName }, ...(spec.subset as object) },
    } as RouteFragment['spec'],
  };
}

export const branch = (name: string, value: string, extra: Record<string, unknown> = {}) =>
  fragment(name, { branch: { value, ...extra } });

export const release = (name: string, environment: string, revision: number, weight?: number) =>
  fragment(name, { release: { environment, revision, ...(weight === undefined ? {} : { weight }) } });

/** Each fragment as if in its own file, named after it (so any input order gives the same sources). */
const sourced = <T>(object: T, i: number): Sourced<T> => {
  const name = (object as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return { object, source: { path: `fragments/${typeof name === 'string' ? name : `unnamed-${i}`}.yaml`, index: 0 } };
};

/** Runs the merge with sensible defaults. */
export function run(fragments: readonly unknown[], options: Partial<Omit<MergeInput, 'fragments' | 'policy'>> & { policy?: unknown } = {}): MergeOutput {
  return merge({
    policy: { object: options.policy ?? policy(), source: { path: 'policy.yaml' } },
    fragments: fragments.map((f, i) => sourced(f, i)),
    istioObjects: options.istioObjects ?? [],
    workloads: options.workloads ?? [],
    now: options.now ?? NOW,
    renderedBy: options.renderedBy ?? RENDERED_BY,
  });
}
