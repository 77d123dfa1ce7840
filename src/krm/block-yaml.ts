// A reader and a printer for the plain block YAML that kpt and kustomize write and that
// Switchyard generates: block maps and sequences, one-line scalars, one-line flow collections.
// They exist for speed alone (the `yaml` library takes ~0.15 ms to parse one fragment, and the
// function runs on every render): the reader returns undefined for anything outside that subset
// (anchors, tags, block scalars, multi-line scalars, complex keys, duplicate keys, ...), and the
// caller then asks the `yaml` library, which gives the same value (a differential property test,
// test/block-yaml.test.ts, holds the two to it). Scalars resolve as in YAML 1.2's core schema.

import { MAX_DEPTH } from './yaml.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

class Unsupported extends Error {}
const unsupported = (): never => {
  throw new Unsupported();
};

interface Line {
  indent: number;
  text: string; // without indentation
}

/** The value of a block YAML document, or undefined where the `yaml` library must read it. */
export function readBlockYaml(source: string): unknown {
  if (source.includes('\t') || source.includes('\r')) return undefined;
  const lines: Line[] = [];
  for (const raw of source.split('\n')) {
    const text = raw.trimStart();
    if (text === '' || text.startsWith('#')) continue;
    if (raw.startsWith('\t') || /^ *\t/.test(raw) || text.startsWith('---') || text.startsWith('...') || text.startsWith('%')) return undefined;
    lines.push({ indent: raw.length - text.length, text: text.trimEnd() });
  }
  if (lines.length === 0) return undefined;
  try {
    const reader = { lines, at: 0, depth: 0 };
    const value = readBlock(reader, lines[0]!.indent);
    return reader.at === lines.length ? value : undefined;
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

interface Reader {
  lines: Line[];
  at: number;
  /** Collections open around the one being read: past MAX_DEPTH the reader declines, and the text is refused with a reason. */
  depth: number;
}

function readBlock(r: Reader, indent: number): Json {
  const line = r.lines[r.at]!;
  if (line.indent !== indent || ++r.depth > MAX_DEPTH) unsupported();
  const value = isSequenceItem(line.text) ? readSequence(r, indent) : readMap(r, indent);
  r.depth--;
  return value;
}

const isSequenceItem = (text: string): boolean => text === '-' || text.startsWith('- ');

function readSequence(r: Reader, indent: number): Json[] {
  const items: Json[] = [];
  while (r.at < r.lines.length) {
    const line = r.lines[r.at]!;
    if (line.indent < indent) break;
    if (line.indent > indent || !isSequenceItem(line.text)) unsupported();
    let rest = line.text.slice(1).trimStart();
    if (rest.startsWith('#')) rest = ''; // "- # comment": the item is on the next lines
    const restIndent = indent + (line.text.length - rest.length);
    if (rest === '') {
      r.at++;
      items.push(nestedOrNull(r, indent, false));
    } else if (isSequenceItem(rest) || keyOf(rest) !== undefined) {
      // "- key: value" or "- - x": a collection that starts on the dash's line.
      r.lines[r.at] = { indent: restIndent, text: rest };
      items.push(readBlock(r, restIndent));
    } else {
      r.at++;
      items.push(readValue(rest));
    }
  }
  return items;
}

function readMap(r: Reader, indent: number): { [key: string]: Json } {
  const map: { [key: string]: Json } = {};
  while (r.at < r.lines.length) {
    const line = r.lines[r.at]!;
    if (line.indent < indent) break;
    if (line.indent > indent) unsupported();
    const entry = keyOf(line.text);
    if (!entry) unsupported();
    const { key, rest } = entry!;
    if (Object.prototype.hasOwnProperty.call(map, key) || key === '<<') unsupported();
    r.at++;
    const value = rest === '' ? nestedOrNull(r, indent, true) : readValue(rest);
    // As the yaml library does: a key named __proto__ is an own property, never the prototype.
    Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return map;
}

/** The block below a key or dash: deeper lines, or (under a key) a sequence at the same indent. */
function nestedOrNull(r: Reader, indent: number, underKey: boolean): Json {
  const next = r.lines[r.at];
  if (next && next.indent > indent) return readBlock(r, next.indent);
  if (next && underKey && next.indent === indent && isSequenceItem(next.text)) return readSequence(r, indent);
  return null;
}

/** `key: rest` with a plain or quoted key, or undefined when the line is not a map entry. */
function keyOf(text: string): { key: string; rest: string } | undefined {
  let key: string;
  let after: string;
  if (text.startsWith('"') || text.startsWith("'")) {
    const quoted = readQuoted(text);
    if (!quoted) return undefined;
    key = quoted.value;
    after = quoted.rest;
    if (!after.startsWith(':')) return undefined;
  } else {
    const colon = text.search(/:(?: |$)/);
    if (colon <= 0) return undefined;
    key = text.slice(0, colon);
    if (!SAFE_KEY.test(key) || resolvePlain(key) !== key) unsupported(); // `null:`, `1:` are not string keys
    after = text.slice(colon);
  }
  const rest = after.slice(1);
  if (rest !== '' && !rest.startsWith(' ')) return undefined;
  const value = rest.trimStart();
  return { key, rest: value.startsWith('#') ? '' : value };
}

/**
 * The plain scalars the reader takes: names, numbers, paths, hosts, durations, patterns. No
 * indicator first, no `: ` or ` #` inside, no trailing space or colon; anything else goes to the library.
 */
const SAFE_PLAIN = /^(?:[A-Za-z0-9_/.^$(]|-[0-9])(?:[A-Za-z0-9 _./+=@^$()*?|\\-]|:(?! |$))*(?<![ :])$/;
/** Keys the reader takes unquoted: Kubernetes field names and label or annotation keys. */
const SAFE_KEY = /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/;

/** What may follow a quoted or flow value on its line: nothing, or spaces and a comment. */
const END_OF_VALUE = /^(?:\s+(#.*)?)?$/;

/** A value on one line: a quoted or plain scalar, or a flow collection. */
function readValue(text: string): Json {
  const first = text[0]!;
  if (first === '"' || first === "'") {
    const quoted = readQuoted(text);
    if (!quoted || !END_OF_VALUE.test(quoted.rest)) unsupported();
    return quoted!.value;
  }
  if (first === '{' || first === '[') {
    const flow = { text, at: 0, depth: 0 };
    const value = readFlow(flow);
    if (!END_OF_VALUE.test(text.slice(flow.at))) unsupported();
    return value;
  }
  const plain = withoutComment(text);
  if (!SAFE_PLAIN.test(plain)) unsupported();
  return resolvePlain(plain);
}

/**
 * A one-line plain value without its trailing comment (` #...`). Not `/\s+#.*$/`: on a line of
 * many spaces and no `#` that regex backtracks quadratically (50,000 spaces took 1.8 s).
 */
export function withoutComment(value: string): string {
  const hash = value.search(/\s#/);
  if (hash < 0) return value;
  let end = hash;
  while (end > 0 && /\s/.test(value[end - 1]!)) end--;
  return value.slice(0, end);
}

function readQuoted(text: string): { value: string; rest: string } | undefined {
  if (text[0] === "'") {
    const m = /^'((?:[^']|'')*)'/.exec(text);
    return m ? { value: m[1]!.replace(/''/g, "'"), rest: text.slice(m[0].length) } : undefined;
  }
  const m = /^"((?:[^"\\]|\\.)*)"/.exec(text);
  if (!m) return undefined;
  const body = m[1]!;
  if (/\\[^"\\/nt]/.test(body)) unsupported(); // \x, \u, \N, line folding: the library knows them
  const value = body.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
  return { value, rest: text.slice(m[0].length) };
}

interface Flow {
  text: string;
  at: number;
  depth: number;
}

function skipSpaces(f: Flow): void {
  while (f.text[f.at] === ' ') f.at++;
}

function readFlow(f: Flow): Json {
  skipSpaces(f);
  const c = f.text[f.at];
  if (++f.depth > MAX_DEPTH) unsupported();
  if (c === '{') {
    f.at++;
    const map: { [key: string]: Json } = {};
    skipSpaces(f);
    if (f.text[f.at] === '}') {
      f.at++;
      f.depth--;
      return map;
    }
    for (;;) {
      const key = readFlowScalar(f, true);
      if (typeof key !== 'string' || f.text[f.at] !== ':' || Object.prototype.hasOwnProperty.call(map, key) || key === '<<') unsupported();
      f.at++;
      const value = readFlowValue(f);
      Object.defineProperty(map, key as string, { value, enumerable: true, writable: true, configurable: true });
      skipSpaces(f);
      if (f.text[f.at] === ',') {
        f.at++;
        skipSpaces(f);
        if (f.text[f.at] === '}') unsupported();
        continue;
      }
      if (f.text[f.at] === '}') {
        f.at++;
        f.depth--;
        return map;
      }
      unsupported();
    }
  }
  if (c === '[') {
    f.at++;
    const items: Json[] = [];
    skipSpaces(f);
    if (f.text[f.at] === ']') {
      f.at++;
      f.depth--;
      return items;
    }
    for (;;) {
      items.push(readFlowValue(f));
      skipSpaces(f);
      if (f.text[f.at] === ',') {
        f.at++;
        skipSpaces(f);
        if (f.text[f.at] === ']') unsupported();
        continue;
      }
      if (f.text[f.at] === ']') {
        f.at++;
        f.depth--;
        return items;
      }
      unsupported();
    }
  }
  return unsupported();
}

function readFlowValue(f: Flow): Json {
  skipSpaces(f);
  const c = f.text[f.at];
  if (c === '{' || c === '[') return readFlow(f);
  const value = readFlowScalar(f, false);
  skipSpaces(f);
  if (f.text[f.at] === ':') unsupported(); // a single-pair map inside a sequence
  return value;
}

/** A scalar inside a flow collection; a key ends at `:`, a value at `,`, `}` or `]`. */
function readFlowScalar(f: Flow, isKey: boolean): Json {
  skipSpaces(f);
  const c = f.text[f.at];
  if (c === '"' || c === "'") {
    const quoted = readQuoted(f.text.slice(f.at));
    if (!quoted) unsupported();
    f.at = f.text.length - quoted!.rest.length;
    skipSpaces(f);
    return quoted!.value;
  }
  const end = f.text.slice(f.at).search(/[,{}[\]]|:(?=[ ,}\]])| #/);
  if (end <= 0) unsupported();
  const plain = f.text.slice(f.at, f.at + end).trimEnd();
  f.at += end;
  if (isKey ? !SAFE_KEY.test(plain) || resolvePlain(plain) !== plain : !SAFE_PLAIN.test(plain)) unsupported();
  return isKey ? plain : resolvePlain(plain);
}

/** A plain scalar as YAML 1.2's core schema reads it (the `yaml` library's default). */
export function resolvePlain(text: string): Json {
  if (/^(?:~|[Nn]ull|NULL)?$/.test(text)) return null;
  if (/^(?:[Tt]rue|TRUE)$/.test(text)) return true;
  if (/^(?:[Ff]alse|FALSE)$/.test(text)) return false;
  if (/^0o[0-7]+$/.test(text)) return parseInt(text.slice(2), 8);
  if (/^[-+]?[0-9]+$/.test(text)) return parseInt(text, 10);
  if (/^0x[0-9a-fA-F]+$/.test(text)) return parseInt(text.slice(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(text)) return unsupported(); // never in our kinds
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(text) || /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(text)) return parseFloat(text);
  return text;
}

/**
 * Plain data (maps, lists, strings, numbers, booleans, null) as block YAML, in the style kpt
 * writes (two spaces, sequences not indented). `quote(s)` says which strings need quotes.
 */
export function printBlockYaml(value: unknown, quote: (s: string) => boolean): string {
  const out: string[] = [];
  const scalar = (v: unknown): string => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'string') return needsQuotes(v, quote) ? JSON.stringify(v) : v;
    if (Object.is(v, -0)) return '-0.0';
    return String(v);
  };
  const isEmpty = (v: unknown) => (Array.isArray(v) ? v.length === 0 : typeof v === 'object' && v !== null && Object.keys(v).length === 0);
  const isCollection = (v: unknown) => typeof v === 'object' && v !== null && !isEmpty(v);
  const inline = (v: unknown) => (Array.isArray(v) && v.length === 0 ? '[]' : typeof v === 'object' && v !== null && isEmpty(v) ? '{}' : scalar(v));
  const key = (k: string) => (needsQuotes(k, quote) ? JSON.stringify(k) : k);
  const write = (v: unknown, indent: string): void => {
    if (Array.isArray(v)) {
      for (const item of v) {
        if (isCollection(item) && !Array.isArray(item)) {
          const entries = Object.entries(item as object);
          entries.forEach(([k, x], i) => {
            const lead = i === 0 ? `${indent}- ` : `${indent}  `;
            if (isCollection(x)) {
              out.push(`${lead}${key(k)}:`);
              write(x, Array.isArray(x) ? `${indent}  ` : `${indent}    `);
            } else out.push(`${lead}${key(k)}: ${inline(x)}`);
          });
        } else if (isCollection(item)) {
          out.push(`${indent}-`);
          write(item, `${indent}  `);
        } else out.push(`${indent}- ${inline(item)}`);
      }
      return;
    }
    for (const [k, x] of Object.entries(v as object)) {
      if (x === undefined) continue;
      if (isCollection(x)) {
        out.push(`${indent}${key(k)}:`);
        write(x, Array.isArray(x) ? indent : `${indent}  `);
      } else out.push(`${indent}${key(k)}: ${inline(x)}`);
    }
  };
  if (!isCollection(value)) return `${inline(value)}\n`;
  write(value, '');
  return `${out.join('\n')}\n`;
}

/** Strings that plain style would misread or that YAML's syntax would cut. */
function needsQuotes(s: string, ambiguous: (s: string) => boolean): boolean {
  return (
    s === '' ||
    s === '<<' || // a merge key to YAML 1.1 readers
    s === '=' ||
    /^[\s\-?:,[\]{}#&*!|>'"%@`]/.test(s) ||
    /\s$/.test(s) ||
    /: |:$| #|[\n\r\t\x00-\x1f\x7f\u0085\u2028\u2029\ufeff]/.test(s) ||
    /^(?:---|\.\.\.)/.test(s) ||
    ambiguous(s)
  );
}
