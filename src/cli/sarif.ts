// `switchyard check --output sarif`: the errors and warnings as a SARIF 2.1.0 log, for GitHub code
// scanning (github/codeql-action/upload-sarif) and any other SARIF viewer. Each result is placed on
// its file (a path relative to the working folder, so run check from the repository's root) and on
// the line of the field it names (result-lines.ts). Info results are left out: they say what was
// done, not what is wrong. A rule is the field a result is about, with list indices dropped
// (`spec.release.weight`, `spec.subsets[].labels`), or `input` for results about no field.
import type { Log, ReportingDescriptor, Result as SarifResult } from 'sarif';
import type { Result } from '../model/result.ts';
import { locateResults } from './result-lines.ts';
import { VERSION } from './version.ts';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const INFORMATION_URI = 'https://github.com/switchyard-dev/switchyard';

const ruleOf = (result: Result): string => (result.field?.path ? result.field.path.replace(/\[\d+\]/g, '[]') : 'input');

/** The log for `results`; `fallbackFile` (the --policy file) places results that name no file. */
export function sarifLog(results: readonly Result[], fallbackFile?: string): Log {
  const shown = locateResults(results.filter((r) => r.severity === 'error' || r.severity === 'warning'));
  const rules: ReportingDescriptor[] = [];
  const ruleIndex = new Map<string, number>();
  const sarifResults: SarifResult[] = shown.map((r) => {
    const ruleId = ruleOf(r);
    if (!ruleIndex.has(ruleId)) {
      ruleIndex.set(ruleId, rules.length);
      rules.push({
        id: ruleId,
        name: ruleId === 'input' ? 'Input' : ruleId,
        shortDescription: { text: ruleId === 'input' ? 'A problem with an input file or object' : `A problem with ${ruleId}` },
        helpUri: `${INFORMATION_URI}/blob/main/docs/reference.md`,
      });
    }
    const path = r.file?.path ?? fallbackFile;
    const line = r.file?.line ?? 1;
    return {
      ruleId,
      ruleIndex: ruleIndex.get(ruleId)!,
      level: r.severity === 'error' ? 'error' : 'warning',
      message: { text: r.message },
      ...(path
        ? {
            locations: [
              {
                physicalLocation: { artifactLocation: { uri: encodeURI(path.split('\\').join('/')), uriBaseId: '%SRCROOT%' }, region: { startLine: line } },
                ...(r.resourceRef
                  ? { logicalLocations: [{ fullyQualifiedName: `${r.resourceRef.kind} ${r.resourceRef.namespace ? `${r.resourceRef.namespace}/` : ''}${r.resourceRef.name}`, kind: 'object' }] }
                  : {}),
              },
            ],
          }
        : {}),
    };
  });
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'switchyard', version: VERSION, semanticVersion: VERSION, informationUri: INFORMATION_URI, rules } },
        results: sarifResults,
      },
    ],
  };
}

export const sarifText = (results: readonly Result[], fallbackFile?: string): string => `${JSON.stringify(sarifLog(results, fallbackFile), null, 2)}\n`;
