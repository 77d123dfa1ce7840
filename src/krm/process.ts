// The one processor behind every entry point (KRM function, kustomize plugin, `render`): it
// reads objects as YAML nodes, hands plain values to the pure merge, and writes the result back
// into the same nodes, so that every object it does not own passes through byte for byte.
import { isMap, type Document, type YAMLMap } from 'yaml';
import { API_VERSION, FRAGMENT_KIND, POLICY_KIND, type KubeObject, type Source, type Sourced } from '../model/kinds.ts';
import { ISTIO_GROUP, type DestinationRule, type VirtualService } from '../model/istio.ts';
import type { Result, Severity } from '../model/result.ts';
import { merge, type ObjectId, type WorkloadRef } from '../merge/merge.ts';
import { INDEX, LEGACY_INDEX, LEGACY_PATH, LOCAL_CONFIG, PATH, isOrchestratorAnnotation } from './annotations.ts';
import { createObjectNode, readObject } from './yaml.ts';
import { resultFor } from '../merge/messages.ts';

export interface Item {
  node: YAMLMap;
  source: Source;
  /** The document the node was parsed in (aliases resolve within it). */
  doc: Document;
}

export interface ProcessInput {
  /** The document new nodes are made for. */
  doc: Document;
  items: readonly Item[];
  /** The policy, when it comes from outside the items (functionConfig, --policy). */
  policy?: Item;
  now: Date;
  /** Reads the fragment files of the policy's `fragmentsFrom` folders (kustomize only). */
  readFragments?: (folders: readonly string[]) => { fragments: Item[]; results: Result[] };
}

export interface ProcessOutput {
  /** The input items in order, generated objects in place of the ones they replace, new ones last. */
  items: Item[];
  results: Result[];
  ok: boolean;
}

const text = (node: YAMLMap, ...path: string[]): string | undefined => {
  const value = node.getIn(path);
  return typeof value === 'string' ? value : undefined;
};
const group = (apiVersion: string | undefined): string => (apiVersion?.includes('/') ? apiVersion.split('/')[0]! : '');
type Generated = VirtualService | DestinationRule;
const idKey = (kind: string, namespace: string | undefined, name: string) => `${kind}/${namespace ?? ''}/${name}`;

export const isFragment = (node: YAMLMap): boolean => text(node, 'kind') === FRAGMENT_KIND && group(text(node, 'apiVersion')) === group(API_VERSION);
export const isPolicy = (node: YAMLMap): boolean => text(node, 'kind') === POLICY_KIND && group(text(node, 'apiVersion')) === group(API_VERSION);
const isIstioRouting = (node: YAMLMap): boolean =>
  (text(node, 'kind') === 'VirtualService' || text(node, 'kind') === 'DestinationRule') && group(text(node, 'apiVersion')) === ISTIO_GROUP;
export const isLocalConfig = (node: YAMLMap): boolean => text(node, 'metadata', 'annotations', LOCAL_CONFIG) === 'true';

export function processItems(input: ProcessInput): ProcessOutput {
  const results: Result[] = [];
  const policyItem = input.policy ?? onePolicy(input.items, results);
  const policy = policyItem && readOrReport(policyItem, 'error', results);
  if (!policy) return { items: [...input.items], results, ok: false };

  // A branch fragment that cannot be read is quarantined like any broken branch.
  const spec = (policy.object as { spec?: { invalidBranches?: unknown; fragmentsFrom?: unknown } } | null)?.spec;
  const branchSeverity: Severity = spec?.invalidBranches === 'fail' ? 'error' : 'warning';
  const fragmentItems = input.items.filter((i) => isFragment(i.node));
  const folders = spec?.fragmentsFrom;
  if (Array.isArray(folders) && folders.length > 0 && input.readFragments) {
    const read = input.readFragments(folders.filter((f): f is string => typeof f === 'string'));
    fragmentItems.push(...read.fragments);
    results.push(...read.results);
  }
  const fragments = fragmentItems.flatMap((i) => readOrReport(i, isBranchNode(i.node) ? branchSeverity : 'error', results) ?? []);
  const istio = input.items.filter((i) => isIstioRouting(i.node));
  const workloads: WorkloadRef[] = input.items.flatMap(({ node }) => {
    const kind = text(node, 'kind');
    const name = text(node, 'metadata', 'name');
    const namespace = text(node, 'metadata', 'namespace');
    return kind && name ? [{ kind, name, ...(namespace ? { namespace } : {}) }] : [];
  });

  const merged = merge({
    policy,
    fragments,
    istioObjects: istio.flatMap((i) => (readOrReport(i, 'error', results) as Sourced<KubeObject> | undefined) ?? []),
    workloads,
    now: input.now,
  });
  results.push(...merged.results);
  const ok = !results.some((r) => r.severity === 'error');
  if (!ok) return { items: [...input.items], results, ok };

  const generated = new Map(merged.objects.map((o) => [idKey(o.kind, o.metadata.namespace, o.metadata.name), o]));
  const retired = new Set(merged.retired.map((o: ObjectId) => idKey(o.kind, o.namespace, o.name)));
  const items: Item[] = [];
  for (const item of input.items) {
    const { node } = item;
    if ((isFragment(node) || isPolicy(node)) && !isLocalConfig(node)) {
      // Switchyard's own kinds are local config: kpt keeps their files, nothing applies them.
      const marked = node.clone() as YAMLMap;
      marked.setIn(['metadata', 'annotations', LOCAL_CONFIG], 'true');
      items.push({ ...item, node: marked });
      continue;
    }
    if (!isIstioRouting(node)) {
      items.push(item);
      continue;
    }
    const key = idKey(text(node, 'kind')!, text(node, 'metadata', 'namespace'), text(node, 'metadata', 'name') ?? '');
    if (retired.has(key)) continue;
    const object = generated.get(key);
    if (!object) {
      items.push(item);
      continue;
    }
    generated.delete(key);
    items.push({ node: replaceKeepingOrchestratorAnnotations(input.doc, node, object), source: item.source, doc: input.doc });
  }
  items.push(...placeNew(input.doc, [...generated.values()], items));
  return { items, results, ok };
}

function replaceKeepingOrchestratorAnnotations(doc: Document, old: YAMLMap, object: Generated): YAMLMap {
  const node = createObjectNode(doc, object);
  const annotations = old.getIn(['metadata', 'annotations']);
  if (isMap(annotations)) {
    for (const pair of annotations.items) {
      const key = String((pair.key as { value?: unknown })?.value ?? pair.key);
      if (isOrchestratorAnnotation(key)) node.setIn(['metadata', 'annotations', key], (pair.value as { value?: unknown })?.value ?? pair.value);
    }
  }
  return node;
}

/**
 * New objects go to `routes/<namespace>/<service>.yaml` (VirtualService first), so kpt writes them
 * to a file a person can find, and shows results instead of a path clash when a render fails.
 */
function placeNew(doc: Document, objects: readonly Generated[], existing: readonly Item[]): Item[] {
  const used = new Map<string, number>();
  for (const { source } of existing) {
    if (source.path !== undefined) used.set(source.path, Math.max(used.get(source.path) ?? -1, source.index ?? 0));
  }
  return objects.map((object) => {
    const { namespace, name } = object.metadata;
    const path = `routes/${namespace ? `${namespace}/` : ''}${name}.yaml`;
    const index = (used.get(path) ?? -1) + 1;
    used.set(path, index);
    const node = createObjectNode(doc, object);
    for (const [key, value] of [
      [LEGACY_PATH, path],
      [LEGACY_INDEX, String(index)],
      [PATH, path],
      [INDEX, String(index)],
    ] as const) {
      node.setIn(['metadata', 'annotations', key], value);
    }
    return { node, source: { path, index }, doc };
  });
}

/** The one RoutingPolicy among the items, or an error result. */
function onePolicy(items: readonly Item[], results: Result[]): Item | undefined {
  const policies = items.filter((i) => isPolicy(i.node));
  if (policies.length === 1) return policies[0];
  results.push({
    severity: 'error',
    message:
      policies.length === 0
        ? 'no RoutingPolicy: give one as the function config (kpt, kustomize), with --policy FILE, or among the inputs.'
        : `${policies.length} RoutingPolicies among the inputs (${policies.map((p) => p.source.path ?? text(p.node, 'metadata', 'name')).join(', ')}); keep one, or name it with --policy FILE.`,
  });
  return undefined;
}

const isBranchNode = (node: YAMLMap): boolean => node.hasIn(['spec', 'branch']) && !node.hasIn(['spec', 'release']);

/** The item as a plain value; one whose YAML aliases expand too far is named in a result instead. */
function readOrReport(item: Item, severity: Severity, results: Result[]): Sourced<unknown> | undefined {
  const read = readObject(item.doc, item.node);
  if ('object' in read) return { object: read.object, source: item.source };
  const ref = {
    apiVersion: text(item.node, 'apiVersion') ?? '',
    kind: text(item.node, 'kind') ?? '',
    name: text(item.node, 'metadata', 'name') ?? '',
    ...(text(item.node, 'metadata', 'namespace') ? { namespace: text(item.node, 'metadata', 'namespace')! } : {}),
  };
  const tail = severity === 'warning' ? ' This branch fragment is left out; everything else renders.' : '';
  results.push(resultFor({ ref, source: item.source }, severity, `${read.problem}${tail}`));
  return undefined;
}
