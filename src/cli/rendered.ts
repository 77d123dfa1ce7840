// What explain, check and the routing summary look at: the render of the inputs (the same
// processor as `render`), as plain objects, with the input's fragments to say where each route
// came from. An input with no RouteFragment and no RoutingPolicy is looked at as it is, so that
// `check` also serves VirtualServices written by hand.
import { isFragment, isLocalConfig, isPolicy, processItems, type Item } from '../krm/process.ts';
import { indexFragments, type FragmentIndex } from '../merge/provenance.ts';
import type { KubeObject, RouteFragment, Sourced } from '../model/kinds.ts';
import type { Result } from '../model/result.ts';
import { checkFragmentSchema } from '../schema/validate.ts';
import { readInputs, readPolicy } from './render.ts';
import { RENDERED_BY } from './version.ts';

export interface RenderInputs {
  paths: readonly string[];
  policy?: string;
  now: Date;
}

export interface Rendered {
  ok: boolean;
  results: Result[];
  /** What render prints (every object that is not local config), as plain objects. */
  objects: Sourced<KubeObject>[];
  /** The output items themselves, for printing. */
  items: Item[];
  /** The well-formed RouteFragments of the input. */
  fragments: Sourced<RouteFragment>[];
  origins: FragmentIndex;
  /** False when the input held no RouteFragment and no policy, and was looked at as it is. */
  merged: boolean;
}

const plain = (item: Item): Sourced<KubeObject> | undefined => {
  const read = item.read();
  return 'object' in read && read.object !== null && typeof read.object === 'object' ? { object: read.object as KubeObject, source: item.source } : undefined;
};

export function renderForAnalysis(options: RenderInputs): Rendered {
  const policy = options.policy !== undefined ? readPolicy(options.policy) : undefined;
  const { items, results: readResults } = readInputs(options.paths);
  const fragments = items.filter(isFragment).flatMap((item) => {
    const sourced = plain(item);
    return sourced && checkFragmentSchema(sourced.object).length === 0 ? [sourced as unknown as Sourced<RouteFragment>] : [];
  });
  const origins = indexFragments(fragments, options.now);
  const none = { objects: [], items: [], fragments, origins };
  if (readResults.some((r) => r.severity === 'error')) return { ok: false, results: readResults, ...none, merged: true };

  if (!policy && fragments.length === 0 && !items.some((i) => isFragment(i) || isPolicy(i))) {
    const kept = items.filter((i) => !isLocalConfig(i));
    return { ok: true, results: readResults, objects: kept.flatMap((i) => plain(i) ?? []), items: kept, fragments, origins, merged: false };
  }
  const { items: out, results: processed, ok } = processItems({ items, ...(policy ? { policy } : {}), now: options.now, renderedBy: RENDERED_BY });
  const results = [...readResults, ...processed];
  if (!ok) return { ok, results, ...none, merged: true };
  const kept = out.filter((i) => !isLocalConfig(i));
  return { ok, results, objects: kept.flatMap((i) => plain(i) ?? []), items: kept, fragments, origins, merged: true };
}
