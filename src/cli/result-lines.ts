// Line numbers for results, for --output json and --output sarif (code scanning shows a problem on
// the fragment's line). A result already names its file, the document's index in it and the field
// path; only the files that results name are read again here, and only when a machine-readable
// output asks, so a render never pays for it. The line is the field's key where the file has it,
// else the deepest ancestor it has, else the document's first line.
import { isMap, isSeq, LineCounter, parseAllDocuments, type Node } from 'yaml';
import type { Result } from '../model/result.ts';
import { readTextFile } from './io.ts';

export type LocatedResult = Result & { file?: { path: string; index?: number; line?: number } };

/** `spec.subsets[2].labels` → ['spec', 'subsets', 2, 'labels']. */
export function fieldSegments(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  for (const part of path.split('.')) {
    const match = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!match) return segments;
    if (match[1]) segments.push(match[1]);
    for (const index of match[2]!.matchAll(/\[(\d+)\]/g)) segments.push(Number(index[1]));
  }
  return segments;
}

interface ParsedFile {
  documents: ReturnType<typeof parseAllDocuments>;
  lines: LineCounter;
}

function parseFile(path: string): ParsedFile | undefined {
  try {
    const lines = new LineCounter();
    const documents = parseAllDocuments(readTextFile(path), { lineCounter: lines, keepSourceTokens: false });
    return Array.isArray(documents) ? { documents, lines } : undefined;
  } catch {
    return undefined; // a file that is gone or unreadable now: the result keeps its path, without a line
  }
}

const lineOf = (lines: LineCounter, offset: number | undefined): number | undefined => (offset === undefined ? undefined : lines.linePos(offset).line);

/** The 1-based line of `field` in document `index` of the file, as far as the file has it. */
export function lineOfField(file: ParsedFile, index: number, field: string | undefined): number | undefined {
  const doc = file.documents[index];
  if (!doc) return undefined;
  let node: unknown = doc.contents;
  let line = lineOf(file.lines, (node as Node | null)?.range?.[0]);
  for (const segment of field ? fieldSegments(field) : []) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === segment);
      if (!pair) break;
      line = lineOf(file.lines, (pair.key as Node).range?.[0]) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) break;
      line = lineOf(file.lines, item.range?.[0]) ?? line;
      node = item;
    } else break;
  }
  return line;
}

/** The results, each with `file.line` where its file tells it. */
export function locateResults(results: readonly Result[]): LocatedResult[] {
  const files = new Map<string, ParsedFile | undefined>();
  return results.map((result) => {
    if (!result.file?.path || result.file.path === 'stdin') return result; // standard input cannot be read again
    const { path } = result.file;
    if (!files.has(path)) files.set(path, parseFile(path));
    const parsed = files.get(path);
    const line = parsed ? lineOfField(parsed, result.file.index ?? 0, result.field?.path) : undefined;
    return line === undefined ? result : { ...result, file: { ...result.file, line } };
  });
}
