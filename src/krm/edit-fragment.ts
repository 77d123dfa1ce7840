// Edits a fragment file's YAML in place: sets fields by path on the yaml Document, so every field
// it does not set (expires, workload, annotations, a trafficPolicy) and every comment stays. For
// `switchyard fragment --out` over an existing file and for `switchyard canary`, which move a
// weight or a revision and must leave the rest of a file a person wrote as it was.
import { isMap, isScalar, parseDocument, type Document } from 'yaml';
import { PARSE_OPTIONS, STRINGIFY_OPTIONS, YamlBudget } from './yaml.ts';

/** A field to set (`value` a scalar, or plain data set as a whole), or to delete (`value` undefined). */
export interface FieldEdit {
  path: readonly string[];
  value: unknown;
}

export type EditResult = { text: string; changed: boolean } | { problem: string };

/**
 * The text with `edits` applied to its one document. A scalar that is replaced keeps its comment
 * and quoting style where the new value allows it; a missing map on the way is created. A text
 * that is not one YAML map (or past the reader's bounds) is refused with a reason.
 */
export function editYamlText(text: string, edits: readonly FieldEdit[], budget = new YamlBudget()): EditResult {
  const refused = budget.admit(text);
  if (refused) return { problem: refused };
  const doc = parseDocument(text, PARSE_OPTIONS);
  if (doc.errors.length > 0) return { problem: `is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]!.replace(/:$/, '')}` };
  if (!isMap(doc.contents)) return { problem: 'does not hold one object (a map)' };
  for (const edit of edits) apply(doc, edit);
  const out = doc.toString(STRINGIFY_OPTIONS);
  return { text: out, changed: out !== text };
}

function apply(doc: Document, { path, value }: FieldEdit): void {
  if (value === undefined) {
    if (doc.hasIn(path)) doc.deleteIn(path);
    return;
  }
  const current = doc.getIn(path, true);
  const isPlainScalar = value === null || ['string', 'number', 'boolean'].includes(typeof value);
  if (isPlainScalar && isScalar(current)) {
    if (current.value !== value) {
      current.value = value;
      // A style chosen for the old value may not fit the new one (a number in quotes): let the printer choose.
      if (typeof value !== 'string') current.type = undefined;
    }
    return;
  }
  // The same data already there (labels, a branch): keep its node, and the comments inside it.
  if (current !== undefined && canonical((current as { toJSON?: () => unknown }).toJSON?.() ?? current) === canonical(value)) return;
  doc.setIn(path, doc.createNode(value, { aliasDuplicateObjects: false }));
}

/** JSON with keys sorted, to compare data whatever its key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}
