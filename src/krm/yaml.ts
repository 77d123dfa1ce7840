// YAML in and out with the `yaml` library's document API: objects we pass through keep their
// comments, key order, quoting and number spelling; objects we make are canonical and quote
// every string that a YAML 1.1 reader (kubectl, kustomize's kyaml) would read as something else.
import { Document, isMap, parse, Scalar, visit, type DocumentOptions, type ParseOptions, type SchemaOptions, type ToStringOptions, type YAMLMap } from 'yaml';

/** Bounds for hostile input: aliases expand at most this many times per document. */
export const MAX_ALIAS_COUNT = 100;

export const PARSE_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  keepSourceTokens: false,
  uniqueKeys: true,
  prettyErrors: true,
};

export const STRINGIFY_OPTIONS: ToStringOptions = {
  lineWidth: 0,
  indentSeq: false,
  flowCollectionPadding: false,
};

/** A node for an object we generated. */
export function createObjectNode(doc: Document, object: unknown): YAMLMap {
  const node = doc.createNode(object) as YAMLMap;
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

