// YAML in and out with the `yaml` library's document API: objects we pass through keep their
// comments, key order, quoting and number spelling; objects we make are canonical and quote
// every string that a YAML 1.1 reader (kubectl, kustomize's kyaml) would read as something else.
import { Document, isMap, isScalar, parse, Scalar, visit, type DocumentOptions, type ParseOptions, type SchemaOptions, type ToStringOptions, type YAMLMap } from 'yaml';
import { isOrchestratorAnnotation } from './annotations.ts';

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

/** The plain value of an object node, without the orchestrator's annotations. */
export function toPlain(doc: Document, node: YAMLMap): unknown {
  const object = node.toJS(doc, { maxAliasCount: MAX_ALIAS_COUNT }) as { metadata?: { annotations?: Record<string, unknown> } };
  const annotations = object?.metadata?.annotations;
  if (annotations && typeof annotations === 'object') {
    for (const key of Object.keys(annotations)) if (isOrchestratorAnnotation(key)) delete annotations[key];
    if (Object.keys(annotations).length === 0) delete object.metadata!.annotations;
  }
  return object;
}

/** The plain value of an object node, or why it cannot be read (aliases that expand too far). */
export function readObject(doc: Document, node: YAMLMap): { object: unknown } | { problem: string } {
  try {
    return { object: toPlain(doc, node) };
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    return { problem: `its YAML aliases expand too far (more than ${MAX_ALIAS_COUNT} uses of one anchor); write the values out.` };
  }
}

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
/** Would a YAML 1.1 or 1.2 reader take this plain string for a bool, number, null or date? */
export function isAmbiguous(value: string): boolean {
  let known = ambiguity.get(value);
  if (known === undefined) {
    known = value === '' || typeof parse(value, { version: '1.1' }) !== 'string' || typeof parse(value) !== 'string';
    if (ambiguity.size < 10_000) ambiguity.set(value, known);
  }
  return known;
}

export const isScalarString = (node: unknown): boolean => isScalar(node) && typeof node.value === 'string';
