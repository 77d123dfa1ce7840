// The one edit `switchyard canary` makes: spec.release.weight of the RouteFragment in a file set to
// a number, or removed (promote). The yaml library's Document API changes only that value, so the
// file keeps its comments, key order, quoting and every other field; the text is measured by the
// run's YamlBudget before it is parsed, as every other input is.
import { isDeepStrictEqual } from 'node:util';
import { isMap, isNode, isScalar, parseAllDocuments, parseDocument, type YAMLMap } from 'yaml';
import { MAX_ALIAS_COUNT, PARSE_OPTIONS, STRINGIFY_OPTIONS, YamlBudget } from './yaml.ts';

/**
 * The file's text with the weight changed, or why it cannot be edited. `weight` undefined removes
 * the field: the release becomes stable.
 */
export function setReleaseWeight(text: string, path: string, weight: number | undefined): { text: string } | { problem: string } {
  const refused = new YamlBudget().admit(text);
  if (refused) return { problem: `${path}: ${refused}` };
  const docs = parseAllDocuments(text, PARSE_OPTIONS);
  const list = Array.isArray(docs) ? docs.filter((d) => d.contents !== null && !(isScalar(d.contents) && d.contents.value === null)) : [];
  if (list.length !== 1) return { problem: `${path} holds ${list.length} YAML documents; switchyard canary edits a file that holds one RouteFragment (as switchyard fragment writes it).` };
  const doc = list[0]!;
  if (doc.errors.length > 0) return { problem: `${path} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}` };
  try {
    doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }); // refuses alias bombs before anything is written
  } catch (error) {
    return { problem: `${path}: ${(error as Error).message}` };
  }
  const release = doc.getIn(['spec', 'release'], true);
  if (!isMap(release)) return { problem: `${path}: spec.release is not a map; the file must hold a release RouteFragment.` };
  const expected = doc.toJS() as { spec: { release: Record<string, unknown> } };
  if (weight === undefined) delete expected.spec.release.weight;
  else expected.spec.release.weight = weight;

  // First choice: change only the bytes of the weight (or remove its line, or its `, weight: N`),
  // found through the nodes' source ranges, so that spacing and comments stay exactly as they were.
  const spliced = spliceWeight(text, release, weight);
  if (spliced !== undefined && isDeepStrictEqual(parseDocument(spliced, PARSE_OPTIONS).toJS(), expected)) return { text: spliced };

  // Otherwise let the Document API print it: the same fields and comments, the spacing perhaps not.
  if (weight === undefined) release.delete('weight');
  else release.set('weight', weight); // an existing scalar keeps its node, so its comment stays
  return { text: doc.toString({ ...STRINGIFY_OPTIONS, ...formatOf(text) }) };
}

/** The text with the weight's source replaced or removed, or undefined when its layout is not a simple one. */
function spliceWeight(text: string, release: YAMLMap, weight: number | undefined): string | undefined {
  const index = release.items.findIndex((pair) => isScalar(pair.key) && pair.key.value === 'weight');
  const pair = release.items[index];
  if (!pair || !isScalar(pair.key) || !isScalar(pair.value) || !pair.key.range || !pair.value.range) return undefined;
  const [valueStart, valueEnd] = pair.value.range;
  if (weight !== undefined) return `${text.slice(0, valueStart)}${weight}${text.slice(valueEnd)}`;
  const keyStart = pair.key.range[0];
  if (release.flow) {
    const previous = release.items[index - 1]?.value;
    if (isNode(previous) && previous.range) return `${text.slice(0, previous.range[1])}${text.slice(valueEnd)}`;
    const next = release.items[index + 1]?.key;
    if (isNode(next) && next.range) return `${text.slice(0, keyStart)}${text.slice(next.range[0])}`;
    return undefined;
  }
  const lineStart = text.lastIndexOf('\n', keyStart - 1) + 1;
  const newline = text.indexOf('\n', valueEnd);
  const lineEnd = newline < 0 ? text.length : newline + 1;
  if (text.slice(lineStart, keyStart).trim() !== '' || !/^[ \t]*(#.*)?\r?\n?$/.test(text.slice(valueEnd, lineEnd))) return undefined;
  return `${text.slice(0, lineStart)}${text.slice(lineEnd)}`;
}

/**
 * How the file writes what the library may re-print: sequences indented under their key or not,
 * and flow maps padded (`{ a: 1 }`) or not. The repository's files use neither, as Switchyard
 * prints them; a hand-written file that does keeps its style.
 */
function formatOf(text: string): { indentSeq: boolean; flowCollectionPadding: boolean } {
  const flushSequence = /^( *)[^\s#-][^\n]*:[ \t]*(?:#[^\n]*)?\n\1- /m.test(text);
  const indentedSequence = /^( *)[^\s#-][^\n]*:[ \t]*(?:#[^\n]*)?\n\1 +- /m.test(text);
  return { indentSeq: indentedSequence && !flushSequence, flowCollectionPadding: /[{[] [^\s}\]]/.test(text) && !/[{[][^\s}\]]/.test(text) };
}
