// ResourceList text <-> items, and multi-document YAML streams <-> items.
import { Document, isMap, parseAllDocuments, parseDocument, type YAMLMap, isSeq } from 'yaml';
import type { Source } from '../model/kinds.ts';
import type { Result } from '../model/result.ts';
import { INDEX, LEGACY_INDEX, LEGACY_PATH, ORIGIN, PATH, isOrchestratorAnnotation } from './annotations.ts';
import type { Item } from './process.ts';
import { PARSE_OPTIONS, STRINGIFY_OPTIONS } from './yaml.ts';

export interface ResourceList {
  doc: Document;
  /** The text it was parsed from, for copying unchanged items verbatim. */
  text?: string;
  items: Item[];
  functionConfig?: YAMLMap;
}

/** Where kpt (or kustomize) says an object came from. */
export function sourceOf(node: YAMLMap): Source {
  const path = node.getIn(['metadata', 'annotations', PATH]) ?? node.getIn(['metadata', 'annotations', LEGACY_PATH]);
  const index = node.getIn(['metadata', 'annotations', INDEX]) ?? node.getIn(['metadata', 'annotations', LEGACY_INDEX]);
  const source: Source = {};
  if (typeof path === 'string') source.path = path;
  else {
    // kustomize says where an object came from only with buildMetadata: [originAnnotations].
    const origin = node.getIn(['metadata', 'annotations', ORIGIN]);
    const originPath = typeof origin === 'string' ? /^path: *["']?([^"'\n]+?)["']? *$/m.exec(origin)?.[1] : undefined;
    if (originPath) source.path = originPath;
  }
  if (typeof index === 'string' && /^\d+$/.test(index)) source.index = Number(index);
  return source;
}

/** Parses a ResourceList; a problem with the text itself is returned as an error result. */
export function parseResourceList(text: string): { list?: ResourceList; results: Result[] } {
  const doc = parseDocument(text, PARSE_OPTIONS);
  if (doc.errors.length > 0) {
    return { results: [{ severity: 'error', message: `the input is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}` }] };
  }
  if (!isMap(doc.contents) || doc.get('kind') !== 'ResourceList') {
    return { results: [{ severity: 'error', message: 'the input is not a ResourceList (kind: ResourceList, with items); run this as a KRM function from kpt or kustomize, or use `switchyard render PATH...`.' }] };
  }
  const items = doc.get('items');
  const nodes = isSeq(items) ? items.items : [];
  const list: ResourceList = { doc, text, items: nodes.filter(isMap).map((node) => ({ node, source: sourceOf(node), doc })) };
  const functionConfig = doc.get('functionConfig');
  if (isMap(functionConfig)) list.functionConfig = functionConfig;
  return { list, results: [] };
}

/**
 * The ResourceList with `items` and `results` set. Items that come out as they came in (the same,
 * unmodified node) are copied from the input text byte for byte, comments, quoting, number spelling
 * and all; only new or changed items are printed. This keeps kpt's files identical without
 * teaching the printer every formatting quirk, and costs nothing for objects passed through.
 */
export function stringifyResourceList(list: ResourceList, items: readonly Item[], results: readonly Result[]): string {
  const { doc, text } = list;
  const seq = doc.get('items', true);
  const resultsNode = doc.createNode(results);
  if (text === undefined || !isSeq(seq) || seq.flow || !seq.range || seq.items.length === 0) {
    if (isSeq(seq)) seq.items = items.map((i) => i.node);
    else doc.set('items', doc.createNode(items.map((i) => i.node)));
    doc.set('results', resultsNode);
    return doc.toString(STRINGIFY_OPTIONS);
  }
  // Each input item's text runs from the end of the one before it (its "- ", comments) to its own end.
  const regions = new Map<unknown, string>();
  seq.items.forEach((node, i) => {
    const start = i === 0 ? seq.range![0] : (seq.items[i - 1] as YAMLMap).range![2];
    regions.set(node, text.slice(start, (node as YAMLMap).range![2]));
  });
  const seqStart = seq.range[0];
  const seqEnd = seq.range[2];
  const column = seqStart - (text.lastIndexOf('\n', seqStart - 1) + 1);
  const dash = `${' '.repeat(column)}- `;
  const body = items
    .map(({ node }) => {
      const original = regions.get(node);
      if (original !== undefined) return original.endsWith('\n') ? original : `${original}\n`;
      const printed = stringifyNode(node).replace(/\n$/, '').split('\n');
      return `${printed.map((line, i) => (i === 0 ? dash : line ? ' '.repeat(column + 2) : '') + line).join('\n')}\n`;
    })
    .join('');
  // Whatever followed the items (functionConfig, ...) stays; earlier results are replaced.
  let rest = text.slice(seqEnd);
  const previous = doc.contents && isMap(doc.contents) ? doc.contents.items.find((p) => (p.key as { value?: unknown })?.value === 'results') : undefined;
  const previousRange = (previous?.key as YAMLMap | undefined)?.range;
  const previousEnd = (previous?.value as YAMLMap | undefined)?.range?.[2];
  if (previousRange && previousEnd !== undefined && previousRange[0] >= seqEnd) {
    rest = text.slice(seqEnd, previousRange[0]) + text.slice(previousEnd);
  }
  if (rest.length > 0 && !rest.endsWith('\n')) rest += '\n';
  const head = text.slice(0, seqStart);
  const resultsText = new Document({ results }).toString(STRINGIFY_OPTIONS);
  return `${head}${body}${rest}${resultsText}`;
}

/** One node as a YAML document's text. */
export function stringifyNode(node: YAMLMap): string {
  const doc = new Document(null, PARSE_OPTIONS);
  doc.contents = node;
  return doc.toString(STRINGIFY_OPTIONS);
}

/** An empty ResourceList carrying results: the answer to input that could not be read. */
export function resultsOnly(results: readonly Result[]): string {
  const doc = new Document({ apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items: [], results });
  return doc.toString(STRINGIFY_OPTIONS);
}

/** Parses a multi-document YAML stream; `path` names it in results and sources. */
export function parseStream(text: string, path?: string): { doc: Document; items: Item[]; results: Result[] } {
  const docs = parseAllDocuments(text, PARSE_OPTIONS);
  const holder = new Document(null, PARSE_OPTIONS);
  const results: Result[] = [];
  const items: Item[] = [];
  if (!Array.isArray(docs)) return { doc: holder, items, results }; // an empty stream
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      results.push({
        severity: 'error',
        message: `${path ?? 'the input'} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`,
        ...(path ? { file: { path, index } } : {}),
      });
      return;
    }
    if (doc.contents === null) return; // an empty document, such as a trailing ---
    if (isMap(doc.contents)) {
      const fromAnnotations = sourceOf(doc.contents);
      items.push({ node: doc.contents, source: path ? { path, index } : fromAnnotations, doc });
    } else if (isSeq(doc.contents) || doc.contents) {
      results.push({
        severity: 'error',
        message: `${path ?? 'the input'}: document ${index + 1} is not a Kubernetes object (a map with apiVersion and kind).`,
        ...(path ? { file: { path, index } } : {}),
      });
    }
  });
  return { doc: docs[0] ?? holder, items, results };
}

/**
 * Items as a multi-document YAML stream. `render` leaves out the orchestrator's annotations;
 * the kustomize plugin keeps them, so that kustomize matches its objects back (origin and id).
 */
export function stringifyStream(items: readonly Item[], { keepAnnotations = false } = {}): string {
  return items
    .map(({ node }) => {
      if (keepAnnotations) return stringifyNode(node);
      const copy = node.clone() as YAMLMap;
      const annotations = copy.getIn(['metadata', 'annotations']);
      if (isMap(annotations)) {
        annotations.items = annotations.items.filter((pair) => !isOrchestratorAnnotation(String((pair.key as { value?: unknown })?.value ?? pair.key)));
        if (annotations.items.length === 0) copy.deleteIn(['metadata', 'annotations']);
      }
      return stringifyNode(copy);
    })
    .join('---\n');
}
