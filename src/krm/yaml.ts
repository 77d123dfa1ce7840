// YAML in and out with the `yaml` library's document API: objects we pass through keep their
// comments, key order, quoting and number spelling; objects we make are canonical and quote
// every string that a YAML 1.1 reader (kubectl, kustomize's kyaml) would read as something else.
import { Document, isMap, Lexer, parse, Scalar, visit, type DocumentOptions, type ParseOptions, type SchemaOptions, type ToStringOptions, type YAMLMap } from 'yaml';

/** Bounds for hostile input: aliases expand at most this many times per document. */
export const MAX_ALIAS_COUNT = 100;
/** Nesting levels of any text the yaml library parses (it overflows its stack at ~800; real objects nest < 40). */
export const MAX_DEPTH = 200;
/**
 * Values (scalars, `:`, `,`, `-`, brackets) the yaml library parses in one run: about 1.45 million
 * for 10,000 fragments with their Deployments, and at most ~600 bytes of memory each.
 */
export const MAX_YAML_VALUES = 3_000_000;
/** Objects in one input: far above any real package (64 MiB holds ~100,000 real ones), and what keeps a render of tiny ones within ~2 s and ~300 MB. */
export const MAX_ITEMS = 200_000;
/** Bytes the yaml library parses in one run, all files together (the same as the input limit). */
export const MAX_YAML_BYTES = 64 * 1024 * 1024;

/**
 * What one run lets the `yaml` library parse. The library needs ~600 bytes of memory per value and
 * ~550 bytes per nesting level (8 MB of `[` took 53 s and 4 GB before it crashed), so every text
 * is measured first, in one pass of the library's own lexer (linear time, constant memory, and it
 * reads quotes and comments exactly as the parser will): too deep, or past the run's totals, and
 * the text is refused with a reason instead of parsed.
 */
export class YamlBudget {
  #values = 0;
  #bytes = 0;

  /** Why `text` must not be parsed, or undefined after counting it against the run's totals. */
  admit(text: string): string | undefined {
    this.#bytes += text.length;
    if (this.#bytes > MAX_YAML_BYTES) return `the input is more than ${MAX_YAML_BYTES / 1024 / 1024} MiB in all; split it into several renders.`;
    // A text shorter than the limits cannot exceed them: skip the lexer for small objects.
    if (text.length <= MAX_DEPTH) {
      this.#values += text.length >> 1;
      return this.#values > MAX_YAML_VALUES ? tooManyValues() : undefined;
    }
    const measured = measureYaml(text, MAX_YAML_VALUES - this.#values);
    if (measured.depth > MAX_DEPTH) return `nests collections more than ${MAX_DEPTH} levels deep (line ${measured.line}); Kubernetes objects need far fewer: flatten it.`;
    this.#values += measured.values;
    return this.#values > MAX_YAML_VALUES ? tooManyValues() : undefined;
  }
}

const tooManyValues = (): string =>
  `holds more than ${MAX_YAML_VALUES.toLocaleString('en-US')} YAML values, more than one render reads (about 20,000 fragments with their Deployments); split it into several renders.`;

/**
 * Nesting depth (flow brackets, indentation, and `- `/`? ` indicators on one line) and the number
 * of values of a YAML text, stopping early once past MAX_DEPTH or `maxValues`.
 */
export function measureYaml(text: string, maxValues = Infinity): { depth: number; values: number; line: number } {
  let flow = 0;
  let values = 0;
  let line = 1;
  let deepest = 0;
  let deepestLine = 1;
  const indents: number[] = [];
  let atLineStart = true;
  let indent = 0;
  let compact = 0;
  let scalarNext = false;
  const newlines = (token: string) => {
    for (let i = token.indexOf('\n'); i >= 0; i = token.indexOf('\n', i + 1)) line++;
  };
  for (const token of new Lexer().lex(text)) {
    const c = token.charCodeAt(0);
    if (scalarNext) {
      // The source of a plain or block scalar: never an indicator, whatever its first character.
      scalarNext = false;
      newlines(token);
      continue;
    }
    if (c === 10) {
      line++;
      atLineStart = true;
      indent = 0;
      compact = 0;
      continue;
    }
    if (c === 32 || c === 9) {
      if (atLineStart) indent = token.length;
      continue;
    }
    if (c === 35 /* # */ || (c < 32 && c !== 31)) continue; // comments; document and flow markers
    if (atLineStart && flow === 0) {
      while (indents.length > 0 && indents[indents.length - 1]! > indent) indents.pop();
      if (indents.length === 0 || indents[indents.length - 1]! < indent) indents.push(indent);
    }
    atLineStart = false;
    if (c === 31) scalarNext = true;
    else if (c === 91 || c === 123) flow++; // [ {
    else if (c === 93 || c === 125) flow = Math.max(0, flow - 1); // ] }
    else if ((c === 45 || c === 63) && token.length === 1) compact++; // - ?
    else if (c === 34 || c === 39) newlines(token); // a quoted scalar may span lines
    if (c === 31 || c === 34 || c === 39 || c === 91 || c === 123 || c === 44 || c === 58 || c === 45 || c === 63) values++;
    const depth = flow + indents.length + compact;
    if (depth > deepest) {
      deepest = depth;
      deepestLine = line;
    }
    if (deepest > MAX_DEPTH || values > maxValues) break;
  }
  return { depth: deepest, values, line: deepestLine };
}

export const PARSE_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  keepSourceTokens: false,
  uniqueKeys: true,
  prettyErrors: true,
};

/**
 * Values we print are trees, even where two results share one resourceRef object: never let the
 * library turn a shared object into an anchor and alias (kpt refuses aliases where it expects maps).
 */
export const NO_ALIASES = { aliasDuplicateObjects: false } as const;

export const STRINGIFY_OPTIONS: ToStringOptions = {
  lineWidth: 0,
  indentSeq: false,
  flowCollectionPadding: false,
};

/** A node for an object we generated. */
export function createObjectNode(doc: Document, object: unknown): YAMLMap {
  const node = doc.createNode(object, NO_ALIASES) as YAMLMap;
  visit(node, {
    Scalar(_, scalar) {
      if (typeof scalar.value === 'string' && isAmbiguous(scalar.value)) scalar.type = Scalar.QUOTE_DOUBLE;
    },
  });
  if (!isMap(node)) throw new Error('createObjectNode: not an object');
  return node;
}

const ambiguity = new Map<string, boolean>();
const WORDS = new Set(['y', 'yes', 'n', 'no', 'true', 'false', 'on', 'off', 'null']);
/** Would a YAML 1.1 or 1.2 reader take this plain string for a bool, number, null or date? */
export function isAmbiguous(value: string): boolean {
  if (value.length > 1024) return true; // never worth a parse: quoting a long string costs nothing
  // Most generated strings are names: a letter first, and not one of YAML 1.1's words, is a string.
  // (Not `e3`/`E0`: the yaml library's YAML 1.1 schema reads those as numbers; quoting costs nothing.)
  if (/^[A-Za-z]/.test(value) && !WORDS.has(value.toLowerCase()) && !/^[eE][-+]?[0-9]/.test(value)) return false;
  let known = ambiguity.get(value);
  if (known === undefined) {
    try {
      known = value === '' || parse(value, { version: '1.1' }) !== value || parse(value) !== value;
    } catch {
      known = true; // not even valid as a plain scalar: quote it
    }
    if (ambiguity.size < 10_000) ambiguity.set(value, known);
  }
  return known;
}

