// A line scanner for ResourceLists as kpt and kustomize write them: block style, `items:` a block
// sequence. It cuts the text into one region per item and reads each item's header (apiVersion,
// kind, metadata.name/namespace, the path annotations) without parsing the YAML, so objects that
// Switchyard passes through are never parsed nor printed. Anything it does not recognise with
// certainty (anchors, aliases, tags, flow style, document markers, tabs) returns undefined, and
// the caller parses the whole text with the `yaml` library instead.
import type { Source } from '../model/kinds.ts';
import { INDEX, LEGACY_INDEX, LEGACY_PATH, ORIGIN, PATH } from './annotations.ts';
import type { Header } from './item.ts';
import { withoutComment } from './block-yaml.ts';
import { MAX_ITEMS } from './yaml.ts';

export interface ScannedItem {
  /** The item's region in the ResourceList: its `- `, comments and foot comments. */
  raw: string;
  /** The object alone, de-indented, ready to parse (made on demand: most items are never read). */
  body: () => string;
  header: Header;
  source: Source;
  /** The header could not be read from the text alone: parse the body to learn it. */
  needsParse: boolean;
}

export interface Scanned {
  /** The text before the first item (`apiVersion`, `kind`, `items:` ...). */
  head: string;
  items: ScannedItem[];
  /** The text after the last item (`functionConfig`, ...). */
  tail: string;
  /** The column of the items' dashes. */
  column: number;
}

// YAML features the scanner does not follow: an anchor, alias or tag where a value starts, a
// document marker, a tab in the indentation.
const UNSUPPORTED = /(?:^|: |- |[[{,] ?)[&*!][^\s,\]}]|^(?:---|\.\.\.)(?:\s|$)|^\t| \t|\r/m;

/** The items, or undefined where the text must be parsed whole, or how many there are when too many. */
export function scanResourceList(text: string): Scanned | { tooMany: number } | undefined {
  if (UNSUPPORTED.test(text)) return undefined;
  const lines = new Lines(text);
  let itemsLine = -1;
  for (let i = 0; i < lines.count; i++) {
    if (text.startsWith('items:', lines.start(i))) {
      if (itemsLine >= 0 || !/^items:[ ]*(#.*)?$/.test(lines.at(i))) return undefined;
      itemsLine = i;
    }
  }
  if (itemsLine < 0) return undefined;

  // The sequence's column: that of the first dash after `items:`.
  let first = itemsLine + 1;
  while (first < lines.count && lines.blankOrComment(first)) first++;
  if (first >= lines.count) return undefined;
  const column = lines.indent(first);
  if (column > 2 || !lines.isDash(first, column)) return undefined;

  const starts: number[] = [];
  let end = lines.count;
  for (let i = first; i < lines.count; i++) {
    if (lines.isDash(i, column)) starts.push(i);
    else if (!lines.blankOrComment(i) && lines.indent(i) < column + 2) {
      end = i;
      break;
    }
  }
  if (starts.length > MAX_ITEMS) return { tooMany: starts.length };
  // Trailing blank lines and comments before the next key stay with the tail.
  let last = end;
  while (last > starts[starts.length - 1]! + 1 && lines.blankOrComment(last - 1) && lines.indent(last - 1) < column + 2) last--;

  const items: ScannedItem[] = [];
  for (let k = 0; k < starts.length; k++) {
    const from = starts[k]!;
    const to = k + 1 < starts.length ? starts[k + 1]! : last;
    const raw = text.slice(lines.start(from), lines.start(to));
    const item = scanItem(lines, from, to, column, raw);
    if (!item) return undefined;
    items.push({ ...item, raw });
  }
  return { head: text.slice(0, lines.start(first)), items, tail: text.slice(lines.start(last)), column };
}

/** Line access by index, without splitting the text: a ResourceList can have a million lines. */
class Lines {
  readonly count: number;
  readonly #starts: Int32Array;
  constructor(readonly text: string) {
    let n = 1;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
    this.#starts = new Int32Array(n + 1);
    let line = 1;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.#starts[line++] = i + 1;
    this.#starts[n] = text.length + 1;
    this.count = text.endsWith('\n') ? n - 1 : n;
  }
  /** Where line i starts (for i = count: the end of the text). */
  start(i: number): number {
    return i >= this.count ? this.text.length : this.#starts[i]!;
  }
  #end(i: number): number {
    return Math.min(this.#starts[i + 1]! - 1, this.text.length);
  }
  at(i: number): string {
    return this.text.slice(this.start(i), this.#end(i));
  }
  indent(i: number): number {
    let p = this.start(i);
    const end = this.#end(i);
    while (p < end && this.text.charCodeAt(p) === 32) p++;
    return p - this.start(i);
  }
  blankOrComment(i: number): boolean {
    const p = this.start(i) + this.indent(i);
    return p >= this.#end(i) || this.text.charCodeAt(p) === 35; // '#'
  }
  /** `- ` or a lone `-` at this column. */
  isDash(i: number, column: number): boolean {
    if (this.indent(i) !== column) return false;
    const p = this.start(i) + column;
    const end = this.#end(i);
    return this.text.charCodeAt(p) === 45 && (p + 1 === end || this.text.charCodeAt(p + 1) === 32);
  }
}

function scanItem(lines: Lines, from: number, to: number, column: number, raw: string): Omit<ScannedItem, 'raw'> | undefined {
  const rest = lines.at(from).slice(column + 2);
  // An item that is not a block map (a scalar, a flow map, a nested sequence, a block scalar).
  if (/^\s*[-[{|>"']/.test(rest) || /^\s*[^#\s][^:]*$/.test(rest)) return undefined;
  for (let i = from + 1; i < to; i++) if (lines.indent(i) < column + 2 && !lines.blankOrComment(i)) return undefined;
  const first = rest.startsWith(' ') ? rest.trimStart() : rest;
  // The object's text is made from the raw text when needed, so that no item keeps lines alive.
  return readHeader(first, (i) => (from + i < to ? lines.at(from + i).slice(column + 2) : undefined), () => bodyOf(raw, column));
}

const isBlankOrComment = (line: string): boolean => /^\s*(#.*)?$/.test(line);
const indentOf = (line: string): number => line.length - line.trimStart().length;

function bodyOf(raw: string, column: number): string {
  const lines = raw.replace(/\n$/, '').split('\n');
  const rest = lines[0]!.slice(column + 2);
  const first = rest.startsWith(' ') ? rest.trimStart() : rest;
  const dedent = (line: string): string => (indentOf(line) < column + 2 ? line.trim() : line.slice(column + 2));
  return `${[first, ...lines.slice(1).map(dedent)].join('\n')}\n`;
}

/** Reads the header from the object's top-level lines; anything unusual asks for a parse. */
function readHeader(first: string, lineAt: (i: number) => string | undefined, body: () => string): Omit<ScannedItem, 'raw'> {
  const header: Header = {};
  const source: Source = {};
  let needsParse = false;
  let section: 'top' | 'metadata' | 'annotations' | 'other' = 'top';
  let path: string | undefined;
  let legacyPath: string | undefined;
  let index: string | undefined;
  let legacyIndex: string | undefined;
  for (let i = 0; ; i++) {
    const line = i === 0 ? first : lineAt(i);
    if (line === undefined) break;
    if (isBlankOrComment(line)) continue;
    const depth = indentOf(line);
    if (depth === 0) {
      // Past the metadata with apiVersion and kind known: the rest (spec, data) is not the header's.
      if (section !== 'top' && header.apiVersion !== undefined && header.kind !== undefined && !line.startsWith('metadata:')) break;
      const m = /^([A-Za-z]+):(.*)$/.exec(line);
      // Not a `key: value` line (a flow map, a JSON object after a comment): only a parse can tell.
      if (!m) needsParse = true;
      const key = m?.[1];
      const value = m?.[2] ?? '';
      if (key === 'apiVersion' || key === 'kind') {
        const scalar = readScalar(value);
        if (scalar === undefined) needsParse = true;
        else header[key] = scalar;
        section = 'top';
      } else if (key === 'metadata') {
        if (!isBlankOrComment(value)) needsParse = true; // flow metadata
        section = 'metadata';
      } else section = 'other';
      continue;
    }
    if (section === 'annotations' && depth === 4) {
      const m = /^ {4}(["']?)([^"':]+)\1:(.*)$/.exec(line);
      const key = m?.[2];
      if (key === ORIGIN) needsParse = true; // a block scalar: let the parser read its path
      if (key === PATH || key === LEGACY_PATH || key === INDEX || key === LEGACY_INDEX) {
        const scalar = readScalar(m![3]!);
        if (scalar === undefined) needsParse = true;
        else if (key === PATH) path = scalar;
        else if (key === LEGACY_PATH) legacyPath = scalar;
        else if (key === INDEX) index = scalar;
        else legacyIndex = scalar;
      }
      continue;
    }
    if ((section === 'metadata' || section === 'annotations') && depth === 2) {
      section = 'metadata';
      const m = /^ {2}([A-Za-z]+):(.*)$/.exec(line);
      const key = m?.[1];
      if (key === 'name' || key === 'namespace') {
        const scalar = readScalar(m![2]!);
        if (scalar === undefined) needsParse = true;
        else header[key] = scalar;
      } else if (key === 'annotations') {
        if (!isBlankOrComment(m![2]!)) needsParse = true;
        section = 'annotations';
      }
    }
  }
  // An object whose kind the lines did not give may still be ours: never pass it through unread.
  if (header.apiVersion === undefined || header.kind === undefined) needsParse = true;
  const p = path ?? legacyPath;
  const i = index ?? legacyIndex;
  if (p !== undefined) {
    source.path = p;
    source.annotation = 'path';
  }
  if (i !== undefined && /^\d+$/.test(i)) source.index = Number(i);
  return { body, header, source, needsParse };
}

/** A one-line scalar as YAML reads it, or undefined where that takes a real parser. */
function readScalar(text: string): string | undefined {
  const value = text.trim();
  if (value === '') return undefined;
  if (value.startsWith("'")) {
    const m = /^'((?:[^']|'')*)'\s*(#.*)?$/.exec(value);
    return m ? m[1]!.replace(/''/g, "'") : undefined;
  }
  if (value.startsWith('"')) {
    const m = /^"([^"\\]*)"\s*(#.*)?$/.exec(value);
    return m ? m[1] : undefined;
  }
  if (/^[[{|>&*!%@`]/.test(value)) return undefined;
  const plain = withoutComment(value);
  // A plain scalar that YAML would read as something other than a string.
  if (/^(?:[-+]?[0-9.]|~$|null$|true$|false$)/i.test(plain)) return undefined;
  return plain;
}

