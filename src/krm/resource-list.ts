// ResourceList text <-> items, and multi-document YAML streams <-> items.
//
// A ResourceList is cut into items by the line scanner (src/krm/scan.ts) when it can; items are
// then parsed only when Switchyard needs them, and every item that comes out unchanged is copied
// from the input text byte for byte, comments, quoting and number spelling included. Anything the
// scanner does not recognise is parsed whole with the `yaml` library, with the same result.
import { Document, isMap, isScalar, isSeq, parseAllDocuments, parseDocument, type YAMLMap } from 'yaml';
import type { Source } from '../model/kinds.ts';
import type { Result } from '../model/result.ts';
import { INDEX, LEGACY_INDEX, LEGACY_PATH, ORIGIN, PATH } from './annotations.ts';
import { readBlockYaml } from './block-yaml.ts';
import { Item } from './item.ts';
import { scanResourceList } from './scan.ts';
import { MAX_ITEMS, NO_ALIASES, PARSE_OPTIONS, STRINGIFY_OPTIONS, YamlBudget } from './yaml.ts';

export interface ResourceList {
  items: Item[];
  functionConfig?: Item;
  /** The text around the items, kept as it came: before the first item and after the last. */
  head: string;
  tail: string;
  /** The column of the items' dashes. */
  column: number;
  /** Set when the items could not be cut out of the text (for example `items: []`): print it whole. */
  doc?: Document;
}

/**
 * Where kpt (or kustomize) says an object came from: kpt's path annotation, else kustomize's
 * origin. Which of the two the orchestrator vouches for is decided later, from the policy
 * (src/krm/process.ts), so both are kept.
 */
export function sourceOf(node: YAMLMap): Source {
  return sourceFrom((key) => node.getIn(['metadata', 'annotations', key]));
}

/** The same for an object read as plain data. */
function sourceOfPlain(object: Record<string, unknown>): Source {
  const annotations = ((object.metadata as Record<string, unknown> | undefined)?.annotations ?? {}) as Record<string, unknown>;
  return sourceFrom((key) => (Object.prototype.hasOwnProperty.call(annotations, key) ? annotations[key] : undefined));
}

function sourceFrom(annotation: (key: string) => unknown): Source {
  const path = annotation(PATH) ?? annotation(LEGACY_PATH);
  const index = annotation(INDEX) ?? annotation(LEGACY_INDEX);
  // kustomize says where an object came from only with buildMetadata: [originAnnotations].
  const origin = annotation(ORIGIN);
  const originPath = typeof origin === 'string' ? originPathOf(origin) : undefined;
  const source: Source = {};
  if (typeof path === 'string') {
    source.path = path;
    source.annotation = 'path';
  } else if (originPath !== undefined) {
    source.path = originPath;
    source.annotation = 'origin';
  }
  if (originPath !== undefined) source.origin = originPath;
  if (typeof index === 'string' && /^\d+$/.test(index)) source.index = Number(index);
  return source;
}

/** The `path:` line of a config.kubernetes.io/origin annotation (read line by line: no regex backtracking on input). */
function originPathOf(origin: string): string | undefined {
  for (const line of origin.split('\n')) {
    if (!line.startsWith('path:')) continue;
    let value = line.slice('path:'.length).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) value = value.slice(1, -1);
    return value === '' || /["'\n]/.test(value) ? undefined : value;
  }
  return undefined;
}

/** The first line of a yaml library error, without the colon that introduces its source excerpt. */
const firstLine = (message: string): string => message.split('\n')[0]!.replace(/:$/, '');

const NOT_A_RESOURCE_LIST = 'the input is not a ResourceList (kind: ResourceList, with items); run this as a KRM function from kpt or kustomize, or use `switchyard render PATH...`.';

/** Parses a ResourceList; a problem with the text itself is returned as an error result. */
export function parseResourceList(text: string): { list?: ResourceList; results: Result[] } {
  // What the yaml library may parse in this run: every text is measured before it is parsed.
  const budget = new YamlBudget();
  const scanned = scanResourceList(text);
  if (scanned && 'tooMany' in scanned) return { results: [tooManyItems(scanned.tooMany)] };
  if (scanned) {
    // The text without its items is small: parse it for kind and functionConfig.
    const restText = `${scanned.head}${scanned.tail}`;
    const refused = budget.admit(restText);
    if (refused) return { results: [{ severity: 'error', message: `the ResourceList around its items ${refused}` }] };
    const rest = parseDocument(restText, PARSE_OPTIONS);
    if (rest.errors.length === 0 && isMap(rest.contents) && rest.get('kind') === 'ResourceList') {
      const items = scanned.items.map((s) => {
        if (!s.needsParse) return Item.lazy(s.body, s.header, s.source, s.raw, budget);
        const body = s.body();
        if (budget.admit(body)) return undefined; // parsed whole below, where the refusal is reported
        const doc = parseDocument(body, PARSE_OPTIONS);
        return isMap(doc.contents) && doc.errors.length === 0 ? Item.of(doc, doc.contents, sourceOf(doc.contents), s.raw) : undefined;
      });
      if (items.every((i) => i !== undefined)) {
        return { list: { items: items as Item[], ...functionConfigOf(rest), head: scanned.head, tail: scanned.tail, column: scanned.column }, results: [] };
      }
    }
  }
  return parseWhole(text, new YamlBudget());
}

const tooManyItems = (count: number): Result => ({
  severity: 'error',
  message: `the input holds ${count > MAX_ITEMS ? `more than ${MAX_ITEMS.toLocaleString('en-US')}` : count.toLocaleString('en-US')} objects; one render reads at most ${MAX_ITEMS.toLocaleString('en-US')}: split the package.`,
});

function functionConfigOf(doc: Document): { functionConfig?: Item } {
  const config = doc.get('functionConfig', true);
  return isMap(config) ? { functionConfig: Item.of(doc, config, {}) } : {};
}

function parseWhole(text: string, budget: YamlBudget): { list?: ResourceList; results: Result[] } {
  const refused = budget.admit(text);
  if (refused) return { results: [{ severity: 'error', message: `the input ${refused}` }] };
  const doc = parseDocument(text, PARSE_OPTIONS);
  if (doc.errors.length > 0) {
    return { results: [{ severity: 'error', message: `the input is not valid YAML: ${firstLine(doc.errors[0]!.message)}` }] };
  }
  if (!isMap(doc.contents) || doc.get('kind') !== 'ResourceList') return { results: [{ severity: 'error', message: NOT_A_RESOURCE_LIST }] };
  const seq = doc.get('items', true);
  if (isSeq(seq) && seq.items.length > MAX_ITEMS) return { results: [tooManyItems(seq.items.length)] };
  const nodes = isSeq(seq) ? seq.items.filter(isMap) : [];
  if (!isSeq(seq) || seq.flow || !seq.range || nodes.length !== seq.items.length || nodes.length === 0) {
    return { list: { items: nodes.map((node) => Item.of(doc, node, sourceOf(node))), ...functionConfigOf(doc), head: '', tail: '', column: 0, doc }, results: [] };
  }
  // Each item's text runs from the end of the one before it (its "- ", comments) to its own end;
  // the first from the start of its line.
  const lineStart = text.lastIndexOf('\n', seq.range[0] - 1) + 1;
  const items = nodes.map((node, i) => {
    const start = i === 0 ? lineStart : nodes[i - 1]!.range![2];
    return Item.of(doc, node, sourceOf(node), text.slice(start, node.range![2]));
  });
  const list = { items, ...functionConfigOf(doc), head: text.slice(0, lineStart), tail: text.slice(seq.range[2]), column: seq.range[0] - lineStart };
  return { list, results: [] };
}

/**
 * The ResourceList with `items` and `results` set. Items that come out as they came in are
 * copied from the input text; only new or changed ones are printed.
 */
export function stringifyResourceList(list: ResourceList, items: readonly Item[], results: readonly Result[]): string[] {
  if (list.doc) {
    list.doc.set('items', list.doc.createNode(items.map((i) => i.node)));
    list.doc.set('results', list.doc.createNode(results, NO_ALIASES));
    return [list.doc.toString(STRINGIFY_OPTIONS)];
  }
  let tail = withoutResults(list.tail);
  if (tail.length > 0 && !tail.endsWith('\n')) tail += '\n';
  const resultsText = new Document({ results }, NO_ALIASES).toString(STRINGIFY_OPTIONS);
  return [withoutResults(list.head), ...items.map((item) => item.raw ?? indentAsItem(item.print(), list.column)), tail, resultsText];
}

function indentAsItem(printed: string, column: number): string {
  const lines = printed.replace(/\n$/, '').split('\n');
  return `${lines.map((line, i) => (i === 0 ? `${' '.repeat(column)}- ` : line ? ' '.repeat(column + 2) : '') + line).join('\n')}\n`;
}

/** The text without a top-level `results:` block (from an earlier function of a pipeline). */
function withoutResults(text: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^results:/.test(l));
  if (start < 0) return text;
  let end = start + 1;
  while (end < lines.length && (lines[end] === '' || /^[\s#-]/.test(lines[end]!))) end++;
  return [...lines.slice(0, start), ...lines.slice(end)].join('\n');
}

/** An empty ResourceList carrying results: the answer to input that could not be read. */
export function resultsOnly(results: readonly Result[]): string {
  const doc = new Document({ apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items: [], results }, NO_ALIASES);
  return doc.toString(STRINGIFY_OPTIONS);
}

/**
 * Parses a multi-document YAML stream; `path` names it in results and sources. Streams read in
 * one run share a `budget`: what the yaml library may parse, all files together.
 */
export function parseStream(text: string, path?: string, budget = new YamlBudget()): { items: Item[]; results: Result[] } {
  const fast = readStreamFast(text, path);
  if (fast) return { items: fast, results: [] };
  const refused = budget.admit(text);
  if (refused) return { items: [], results: [{ severity: 'error', message: `${path ?? 'the input'}: ${refused}`, ...(path ? { file: { path } } : {}) }] };
  const docs = parseAllDocuments(text, PARSE_OPTIONS);
  const results: Result[] = [];
  const items: Item[] = [];
  if (!Array.isArray(docs)) return { items, results }; // an empty stream
  if (docs.length > MAX_ITEMS) return { items, results: [tooManyItems(docs.length)] };
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      results.push({
        severity: 'error',
        message: `${path ?? 'the input'} is not valid YAML: ${firstLine(doc.errors[0]!.message)}`,
        ...(path ? { file: { path, index } } : {}),
      });
      return;
    }
    // An empty document, such as after a trailing ---, holds nothing (a null scalar).
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return;
    if (isMap(doc.contents)) {
      items.push(Item.of(doc, doc.contents, path ? { path, index } : sourceOf(doc.contents)));
    } else {
      results.push({
        severity: 'error',
        message: `${path ?? 'the input'}: document ${index + 1} is not a Kubernetes object (a map with apiVersion and kind).`,
        ...(path ? { file: { path, index } } : {}),
      });
    }
  });
  return { items, results };
}

/**
 * The fast path for plain files (what `render` reads): documents split at `---` lines and read by
 * the block-YAML reader. Anything it declines, anywhere in the text, sends the whole text to the
 * `yaml` library instead, so a `---` that is not a separator can never split a document.
 */
function readStreamFast(text: string, path: string | undefined): Item[] | undefined {
  if (/^(?:\.\.\.|%)/m.test(text)) return undefined;
  const pieces = text.split(/^---[ \t]*(?:#.*)?$/m);
  if (pieces.length > MAX_ITEMS) return undefined;
  const items: Item[] = [];
  for (const [index, piece] of pieces.entries()) {
    if (holdsNothing(piece)) continue; // an empty document
    const object = readBlockYaml(piece);
    if (object === null || typeof object !== 'object' || Array.isArray(object)) return undefined;
    const plain = object as Record<string, unknown>;
    items.push(Item.plain(plain, path ? { path, index } : sourceOfPlain(plain)));
  }
  return items;
}

/**
 * Whether a document holds only blank lines and comments. Line by line, not with a regex: 0.1's
 * `/^\s*(?:#.*\s*)*$/` was exponential in the `#`s of a comment banner. Only spaces and tabs count
 * as blank (YAML's whitespace), and both of YAML's line breaks end a line: anything else goes on
 * to the readers, which never take a non-empty document for an empty one.
 */
export function holdsNothing(text: string): boolean {
  let at = 0;
  while (at < text.length) {
    while (at < text.length && (text.charCodeAt(at) === 32 || text.charCodeAt(at) === 9)) at++;
    const c = text.charCodeAt(at);
    if (at < text.length && c !== 10 && c !== 13 && c !== 35 /* # */) return false;
    while (at < text.length && text.charCodeAt(at) !== 10 && text.charCodeAt(at) !== 13) at++;
    at++;
  }
  return true;
}

/**
 * Items as a multi-document YAML stream. `render` leaves out the orchestrator's annotations;
 * the kustomize plugin keeps them, so that kustomize matches its objects back (origin and id).
 */
export function stringifyStream(items: readonly Item[], { keepAnnotations = false } = {}): string {
  return items.map((item) => item.print({ orchestratorAnnotations: keepAnnotations })).join('---\n');
}
