// The one processor behind every entry point (KRM function, kustomize plugin, `render`): it picks
// out the objects Switchyard owns by their header, reads only those, hands plain values to the
// pure merge, and writes the result back. Every object it does not own passes through untouched.
import { isMap, type YAMLMap } from 'yaml';
import { API_VERSION, FRAGMENT_KIND, POLICY_KIND, type KubeObject, type Source, type Sourced } from '../model/kinds.ts';
import { ISTIO_GROUP, type DestinationRule, type VirtualService } from '../model/istio.ts';
import type { Result, Severity } from '../model/result.ts';
import { merge, type WorkloadRef } from '../merge/merge.ts';
import type { ServicePorts } from '../merge/ports.ts';
import { resultFor } from '../merge/messages.ts';
import { nearest } from '../schema/suggest.ts';
import { INDEX, LEGACY_INDEX, LEGACY_PATH, LOCAL_CONFIG, ORIGIN, PATH, isOrchestratorAnnotation } from './annotations.ts';
import { Item, type Header } from './item.ts';

export { Item } from './item.ts';

export interface ProcessInput {
  items: readonly Item[];
  /** The policy, when it comes from outside the items (functionConfig, --policy). */
  policy?: Item;
  now: Date;
  /** What generated objects say made them (annotation switchyard.dev/rendered-by), such as `switchyard/0.1.0`. */
  renderedBy: string;
  /** Reads the fragment files of the policy's `fragmentsFrom` folders (kustomize only). */
  readFragments?: (folders: readonly string[]) => { fragments: Item[]; results: Result[] };
}

export interface ProcessOutput {
  /** The input items in order, generated objects in place of the ones they replace, new ones last. */
  items: Item[];
  results: Result[];
  ok: boolean;
}

type Generated = VirtualService | DestinationRule;
const group = (apiVersion: string | undefined): string => (apiVersion?.includes('/') ? apiVersion.split('/')[0]! : '');
const idKey = (kind: string | undefined, namespace: string | undefined, name: string | undefined) => `${kind ?? ''}/${namespace ?? ''}/${name ?? ''}`;
const switchyard = (h: Header, kind: string): boolean => h.kind === kind && group(h.apiVersion) === group(API_VERSION);

export const isFragment = (item: Item): boolean => switchyard(item.header, FRAGMENT_KIND);
export const isPolicy = (item: Item): boolean => switchyard(item.header, POLICY_KIND);
/** An object of the switchyard.dev group that is neither kind (a typo such as RouteFragmnet): never passed through silently. */
const isUnknownKind = (item: Item): boolean => group(item.header.apiVersion) === group(API_VERSION) && !isFragment(item) && !isPolicy(item);
const isIstioRouting = ({ header: h }: Item): boolean => (h.kind === 'VirtualService' || h.kind === 'DestinationRule') && group(h.apiVersion) === ISTIO_GROUP;
/** Local config: kpt keeps its file, nothing applies it. (Reads the item.) */
export function isLocalConfig(item: Item): boolean {
  const read = item.read();
  return 'object' in read && (read.object as { metadata?: { annotations?: Record<string, unknown> } } | null)?.metadata?.annotations?.[LOCAL_CONFIG] === 'true';
}

export function processItems(input: ProcessInput): ProcessOutput {
  const results: Result[] = [];
  const policyItem = input.policy ?? onePolicy(input.items, results);
  const policy = policyItem && readOrReport(policyItem, 'error', results);
  if (!policy) return { items: [...input.items], results, ok: false };

  // A branch fragment that cannot be read is quarantined like any broken branch.
  const spec = (policy.object as { spec?: { invalidBranches?: unknown; fragmentsFrom?: unknown } } | null)?.spec;
  const branchSeverity: Severity = spec?.invalidBranches === 'fail' ? 'error' : 'warning';
  const fragmentItems = input.items.filter(isFragment);
  const orchestrator = orchestratorOf(policyItem);
  const folders = spec?.fragmentsFrom;
  if (Array.isArray(folders) && folders.length > 0) {
    if (orchestrator === 'kpt') {
      // kpt hands the function every file of the package: reading the folders would count every
      // fragment twice. fragmentsFrom is for kustomize, which cannot glob resources.
      results.push({ severity: 'info', message: 'RoutingPolicy spec.fragmentsFrom is ignored here: kpt already gives the function every fragment file of the package.' });
    } else if (input.readFragments) {
      const read = input.readFragments(folders.filter((f): f is string => typeof f === 'string'));
      fragmentItems.push(...read.fragments);
      results.push(...read.results);
    }
  }
  for (const item of input.items.filter(isUnknownKind)) results.push(unknownKind(item, branchSeverity));
  if (fragmentItems.length === 0) {
    results.push({
      severity: 'warning',
      message: `RoutingPolicy ${policyItem.header.name ?? ''}: the input holds no RouteFragment, so nothing is routed; give the fragment files or folders too (a build writes its own with switchyard fragment).`,
    });
  }
  // Which file each fragment came from, as far as the orchestrator vouches for it (releasePaths).
  const fragments = fragmentItems.flatMap((i) => {
    const read = readOrReport(i, isBranchItem(i) ? branchSeverity : 'error', results);
    return read ? [{ ...read, source: vouchedSource(read.source, orchestrator) }] : [];
  });
  const istio = input.items.filter(isIstioRouting);
  const workloads: WorkloadRef[] = input.items.flatMap(({ header: { kind, name, namespace } }) =>
    kind && name ? [{ kind, name, ...(namespace ? { namespace } : {}) }] : [],
  );

  const merged = merge({
    policy,
    fragments,
    istioObjects: istio.flatMap((i) => (readOrReport(i, 'error', results) as Sourced<KubeObject> | undefined) ?? []),
    workloads,
    services: servicePorts(input.items),
    now: input.now,
    renderedBy: input.renderedBy,
    failed: results.some((r) => r.severity === 'error'),
  });
  results.push(...merged.results);
  const ok = !results.some((r) => r.severity === 'error');
  if (!ok) return { items: [...input.items], results, ok };

  const generated = new Map(merged.objects.map((o) => [idKey(o.kind, o.metadata.namespace, o.metadata.name), o]));
  const retired = new Set(merged.retired.map((o) => idKey(o.kind, o.namespace, o.name)));
  const items: Item[] = [];
  for (const item of input.items) {
    if (isFragment(item) || isPolicy(item) || isUnknownKind(item)) {
      // Switchyard's own kinds are local config: kpt keeps their files, nothing applies them.
      if (isLocalConfig(item)) items.push(item);
      else items.push(markLocalConfig(item, orchestrator));
      continue;
    }
    if (!isIstioRouting(item)) {
      items.push(item);
      continue;
    }
    const key = idKey(item.header.kind, item.header.namespace, item.header.name);
    if (retired.has(key)) continue;
    const object = generated.get(key);
    if (!object) {
      items.push(item);
      continue;
    }
    generated.delete(key);
    items.push(Item.generated(withAnnotations(object, orchestratorAnnotationsOf(item)), item.source));
  }
  items.push(...placeNew([...generated.values()], items));
  for (const item of fragmentItems) item.forget();
  return { items, results, ok };
}

/**
 * The object annotated config.kubernetes.io/local-config. kpt writes it back to the user's file, so
 * there the YAML node is edited and comments and layout stay; anywhere else (kustomize, the exec
 * plugin) the object never reaches a file, and printing it from plain data is five times faster.
 */
function markLocalConfig(item: Item, orchestrator: Orchestrator): Item {
  const read = item.read();
  // One that cannot be read (a quarantined branch) is copied as it came: its node may not even print.
  if ('problem' in read) return item;
  const object = 'object' in read ? (read.object as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; annotations?: Record<string, unknown> } }) : undefined;
  if (orchestrator !== 'kpt' && typeof object?.apiVersion === 'string' && typeof object.kind === 'string' && typeof object.metadata?.name === 'string') {
    const marked = structuredClone(object) as Generated;
    marked.metadata.annotations = { ...marked.metadata.annotations, [LOCAL_CONFIG]: 'true' };
    return Item.generated(marked, item.source);
  }
  const marked = item.node.clone() as YAMLMap;
  marked.setIn(['metadata', 'annotations', LOCAL_CONFIG], 'true');
  return item.withNode(item.doc, marked);
}

/**
 * Who says where objects came from. kpt sets internal.config.kubernetes.io/path on every object,
 * overwriting one written into a file, and marks the function config with internal.* annotations
 * too; kustomize with buildMetadata: [originAnnotations] sets config.kubernetes.io/origin on every
 * object, the function config included, overwriting one written into a file. Neither touches the
 * other's annotation, so one written by hand passes through: only the policy (the platform team's,
 * and the function config) tells which annotation the orchestrator vouches for.
 */
export type Orchestrator = 'kpt' | 'kustomize' | 'unknown';

export function orchestratorOf(policy: Item): Orchestrator {
  const annotations = policy.node.getIn(['metadata', 'annotations']);
  const keys = isMap(annotations) ? annotations.items.map((pair) => String((pair.key as { value?: unknown })?.value ?? pair.key)) : [];
  if (keys.some((k) => k.startsWith('internal.config.kubernetes.io/') || k === LEGACY_PATH || k === LEGACY_INDEX)) return 'kpt';
  if (keys.includes(ORIGIN)) return 'kustomize';
  return 'unknown';
}

/**
 * A fragment's source with only the path the orchestrator vouches for: a file Switchyard read
 * itself (render, fragmentsFrom) keeps its path; otherwise kpt's path annotation, or kustomize's
 * origin, or none (so releasePaths fail closed, as for an object whose file is unknown).
 */
export function vouchedSource(source: Source, orchestrator: Orchestrator): Source {
  if (source.annotation === undefined) return source;
  const { path: _path, annotation: _annotation, origin, ...rest } = source;
  const path = orchestrator === 'kpt' ? (source.annotation === 'path' ? source.path : undefined) : orchestrator === 'kustomize' ? origin : undefined;
  return path === undefined ? rest : { ...rest, path };
}

/** The orchestrator's annotations on an object we replace (kpt needs them to write it back). */
function orchestratorAnnotationsOf(item: Item): Record<string, string> {
  const annotations = item.node.getIn(['metadata', 'annotations']);
  const kept: Record<string, string> = {};
  if (isMap(annotations)) {
    for (const pair of annotations.items) {
      const key = String((pair.key as { value?: unknown })?.value ?? pair.key);
      const value = (pair.value as { value?: unknown })?.value ?? pair.value;
      if (isOrchestratorAnnotation(key) && typeof value === 'string') kept[key] = value;
    }
  }
  return kept;
}

function withAnnotations(object: Generated, annotations: Record<string, string>): Generated {
  if (Object.keys(annotations).length === 0) return object;
  return { ...object, metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, ...annotations } } } as Generated;
}

/**
 * New objects go to `routes/<namespace>/<service>.yaml` (the service's VirtualServices by name, then
 * its DestinationRule; `checkout.staging` is service checkout's), so kpt writes them
 * to a file a person can find, and shows results instead of a path clash when a render fails.
 */
function placeNew(objects: readonly Generated[], existing: readonly Item[]): Item[] {
  const used = new Map<string, number>();
  for (const { source } of existing) {
    if (source.path !== undefined) used.set(source.path, Math.max(used.get(source.path) ?? -1, source.index ?? 0));
  }
  return objects.map((object) => {
    const { namespace, name } = object.metadata;
    const path = `routes/${namespace ? `${namespace}/` : ''}${name.split('.')[0]}.yaml`;
    const index = (used.get(path) ?? -1) + 1;
    used.set(path, index);
    const annotations = { [LEGACY_PATH]: path, [LEGACY_INDEX]: String(index), [PATH]: path, [INDEX]: String(index) };
    return Item.generated(withAnnotations(object, annotations), { path, index });
  });
}

/** The one RoutingPolicy among the items, or an error result. */
function onePolicy(items: readonly Item[], results: Result[]): Item | undefined {
  const policies = items.filter(isPolicy);
  if (policies.length === 1) return policies[0];
  results.push({
    severity: 'error',
    message:
      policies.length === 0
        ? 'no RoutingPolicy: give one as the function config (kpt, kustomize), with --policy FILE, or among the inputs.'
        : `${policies.length} RoutingPolicies among the inputs (${policies.map((p) => p.source.path ?? p.header.name).join(', ')}); keep one, or name it with --policy FILE.`,
  });
  return undefined;
}

/**
 * An object of the switchyard.dev group with a kind Switchyard does not know: an error naming the
 * nearest kind (a warning when it reads as a branch build, which never blocks the render).
 */
function unknownKind(item: Item, branchSeverity: Severity): Result {
  const { apiVersion = '', kind = '', name = '', namespace } = item.header;
  const guess = nearest(kind, [FRAGMENT_KIND, POLICY_KIND]);
  const severity = guess === FRAGMENT_KIND && isBranchItem(item) ? branchSeverity : 'error';
  const fix = guess ? `did you mean ${guess}?` : `the kinds of ${group(API_VERSION)} are ${FRAGMENT_KIND} and ${POLICY_KIND}.`;
  const tail = severity === 'warning' ? ' It is left out; everything else renders.' : '';
  const ref = { apiVersion, kind, name, ...(namespace ? { namespace } : {}) };
  return resultFor({ ref, source: item.source }, severity, `is ${JSON.stringify(kind)}, which is not a kind of ${group(API_VERSION)}; ${fix}${tail}`, 'kind');
}

function isBranchItem(item: Item): boolean {
  const read = item.read();
  const spec = 'object' in read ? (read.object as { spec?: { branch?: unknown; release?: unknown } } | null)?.spec : undefined;
  return spec?.branch !== undefined && spec.release === undefined;
}

/** The item as a plain value; one whose YAML aliases expand too far is named in a result instead. */
/** The ports of the input's Services (core v1), for destination ports; only those bodies are read. */
function servicePorts(items: readonly Item[]): ServicePorts[] {
  return items.flatMap((item) => {
    const { apiVersion, kind, name, namespace } = item.header;
    if (kind !== 'Service' || apiVersion !== 'v1' || !name) return [];
    const read = item.read();
    const ports = 'object' in read ? (read.object as { spec?: { ports?: unknown } } | null)?.spec?.ports : undefined;
    const numbers = Array.isArray(ports) ? ports.flatMap((p) => (typeof (p as { port?: unknown })?.port === 'number' ? [(p as { port: number }).port] : [])) : [];
    return [{ name, ...(namespace ? { namespace } : {}), ports: numbers }];
  });
}

function readOrReport(item: Item, severity: Severity, results: Result[]): Sourced<unknown> | undefined {
  const read = item.read();
  if ('object' in read) return { object: read.object, source: item.source };
  const { apiVersion = '', kind = '', name = '', namespace } = item.header;
  const ref = { apiVersion, kind, name, ...(namespace ? { namespace } : {}) };
  const tail = severity === 'warning' ? ' This branch fragment is left out; everything else renders.' : '';
  results.push(resultFor({ ref, source: item.source }, severity, `${read.problem}${tail}`));
  return undefined;
}
