// Machine-readable results: every command's `--output json` is read back by JSON.parse and
// validated against the published schema (src/schema/results.schema.json); `check --output sarif`
// is validated against the SARIF 2.1.0 schema itself (test/sarif/, see its README) and places
// each problem on the line of the fragment's field, counted here from the file's own text.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import AjvDraft04Module from 'ajv-draft-04';
import { describe, expect, it } from 'vitest';
import { check, parseCheckArgs } from '../../src/cli/check.ts';
import { explain, parseExplainArgs } from '../../src/cli/explain.ts';
import { renderJson } from '../../src/cli/output-json.ts';
import { parsePruneArgs, prune } from '../../src/cli/prune.ts';
import { ROOT } from '../e2e/tools.ts';
import { branchYaml, inDir, NOW, releaseYaml, workspace } from './workspace.ts';

const resultsSchema = JSON.parse(readFileSync(join(ROOT, 'src/schema/results.schema.json'), 'utf8')) as object;
const validateResults = new Ajv({ allErrors: true, strict: false }).compile(resultsSchema);
const sarifSchema = JSON.parse(readFileSync(join(ROOT, 'test/sarif/sarif-2.1.0-rtm.5.json'), 'utf8')) as object;
// The schema's `language` pattern is not valid with RegExp's u flag (ajv's default), so patterns
// compile without it. Its uri formats are not judged by ajv here; the test checks our uris itself.
// ajv-draft-04 is CommonJS with its class as the default export.
const AjvDraft04 = (AjvDraft04Module as unknown as { default?: typeof AjvDraft04Module }).default ?? AjvDraft04Module;
const validateSarif = new (AjvDraft04 as unknown as typeof Ajv)({ allErrors: true, strict: false, unicodeRegExp: false, formats: { uri: true, 'uri-reference': true, 'date-time': true } }).compile(sarifSchema);

function parsedDocument(stdout: string): Record<string, unknown> {
  const document = JSON.parse(stdout) as Record<string, unknown>;
  expect(validateResults(document), JSON.stringify(validateResults.errors, null, 2)).toBe(true);
  return document;
}

/** The 1-based line of the first line of `text` that matches `pattern`. */
const lineMatching = (text: string, pattern: RegExp): number => text.split('\n').findIndex((l) => pattern.test(l)) + 1;

const BAD_WEIGHT = `# the canary of v3, written by hand
apiVersion: switchyard.dev/v1alpha1
kind: RouteFragment
metadata:
  name: checkout-v9
  namespace: shop
spec:
  service: checkout
  subset: {name: v9, labels: {app: checkout, version: v9}}
  release:
    environment: production
    revision: 9
    weight: 150
`;

describe('--output json', () => {
  it('render: the envelope, every object render prints, and the routes with their fragments', () => {
    const dir = workspace({}, { example: true });
    const run = inDir(dir, () => renderJson({ paths: ['.'], now: NOW }));
    const doc = parsedDocument(run.stdout);
    expect(doc).toMatchObject({ schema: 'switchyard.dev/results/v1', command: 'render', ok: true, exitCode: 0, counts: { errors: 0 } });
    const objects = doc.objects as { kind: string; metadata: { name: string }; spec: { hosts?: string[]; gateways?: string[] } }[];
    // Per service: the mesh VirtualService and one per environment whose hosts it answers (docs/decisions/host-routing.md)
    expect(objects.map((o) => `${o.kind} ${o.metadata.name} ${JSON.stringify(o.spec.hosts ?? null)} ${JSON.stringify(o.spec.gateways ?? null)}`).sort()).toEqual([
      'DestinationRule checkout null null',
      'VirtualService checkout ["checkout"] ["mesh"]',
      'VirtualService checkout.pre-staging ["pre-staging.shop.example.com"] ["istio-system/public-gateway"]',
      'VirtualService checkout.production ["shop.example.com"] ["istio-system/public-gateway"]',
      'VirtualService checkout.staging ["staging.shop.example.com"] ["istio-system/public-gateway"]',
    ]);
    type Routes = { name: string; destinations: { subset: string; share: number; fragment: { name: string; file: string } | null }[] }[];
    const vss = doc.virtualServices as { name: string; routes: Routes }[];
    // The route order of src/merge/routes.ts for this policy (production protected; feature-jp12
    // scoped to staging; bugfix-dp34 unscoped), derived from the contract, not read off the output.
    expect(Object.fromEntries(vss.map((v) => [v.name, v.routes.map((r) => r.name)]))).toEqual({
      checkout: ['branch:checkout-feature-jp12', 'environment:production', 'branch:checkout-bugfix-dp34', 'environment:staging', 'environment:pre-staging', 'default:production'],
      'checkout.pre-staging': ['branch:checkout-bugfix-dp34', 'environment:pre-staging'],
      'checkout.production': ['environment:production'],
      'checkout.staging': ['branch:checkout-feature-jp12', 'branch:checkout-bugfix-dp34', 'environment:staging'],
    });
    const canary = [
      ['v2', 99, 'checkout-v2', 'fragments/checkout-v2.yaml'],
      ['v3', 1, 'checkout-v3', 'fragments/checkout-v3.yaml'],
    ];
    const shares = (vs: string, route: string) => vss.find((v) => v.name === vs)!.routes.find((r) => r.name === route)!.destinations.map((d) => [d.subset, d.share, d.fragment?.name, d.fragment?.file]);
    expect(shares('checkout.production', 'environment:production')).toEqual(canary);
    expect(shares('checkout', 'environment:production')).toEqual(canary);
    expect(shares('checkout', 'default:production')).toEqual(canary);
    expect(shares('checkout.staging', 'branch:checkout-feature-jp12')).toEqual([['feature-jp12', 100, 'checkout-feature-jp12', 'fragments/checkout-feature-jp12.yaml']]);
  });

  it('render that fails: ok false, exit 1, the error with its file and the line of its field', () => {
    const dir = workspace({ 'fragments/v9.yaml': BAD_WEIGHT }, { example: true });
    const run = inDir(dir, () => renderJson({ paths: ['.'], now: NOW }));
    expect(run.exitCode).toBe(1);
    const doc = parsedDocument(run.stdout);
    expect(doc).toMatchObject({ ok: false, exitCode: 1, objects: [] });
    const error = (doc.results as { severity: string; field?: { path: string }; file?: { path: string; line?: number } }[]).find((r) => r.severity === 'error')!;
    expect(error.field?.path).toBe('spec.release.weight');
    expect(error.file).toEqual({ path: 'fragments/v9.yaml', index: 0, line: lineMatching(BAD_WEIGHT, /^\s+weight: 150/) });
  });

  it('check: the results, the summary and the routes', () => {
    const dir = workspace({}, { example: true });
    const run = inDir(dir, () => check(parseCheckArgs(['--output', 'json', '--now', NOW.toISOString(), '.'])!));
    const doc = parsedDocument(run.stdout);
    expect(doc).toMatchObject({ command: 'check', ok: true });
    // checkout (6 routes), checkout.pre-staging (2), checkout.production (1), checkout.staging (3)
    expect(doc.summary).toMatch(/^checked 4 VirtualServices \(12 routes\)/);
    expect((doc.virtualServices as { name: string }[]).map((v) => v.name).sort()).toEqual(['checkout', 'checkout.pre-staging', 'checkout.production', 'checkout.staging']);
  });

  it('explain: the envelope around the answer', () => {
    const dir = workspace({}, { example: true });
    const run = inDir(dir, () => explain(parseExplainArgs(['.', '--host', 'staging.shop.example.com', '-H', 'x-branch: feature-jp12', '--output', 'json', '--now', NOW.toISOString()])!));
    const doc = parsedDocument(run.stdout);
    expect(doc.command).toBe('explain');
    const [answer] = doc.answers as { route: { name: string }; destinations: { subset: string }[] }[];
    expect(answer!.route.name).toBe('branch:checkout-feature-jp12');
    expect(answer!.destinations.map((d) => d.subset)).toEqual(['feature-jp12']);
  });

  it('prune: each file it would delete, the fragments in it and why', () => {
    const dir = workspace({
      'fragments/old.yaml': branchYaml('checkout-old', 'old', '') + '  expires: "2026-01-01T00:00:00Z"\n',
      'fragments/v2.yaml': releaseYaml('checkout-v2', 'v2', 'production', 2),
    });
    const run = inDir(dir, () => prune(parsePruneArgs(['--dry-run', '--output', 'json', '--now', NOW.toISOString(), 'fragments'])!));
    const doc = parsedDocument(run.stdout);
    expect(doc).toMatchObject({ command: 'prune', dryRun: true, fragmentFiles: 2 });
    expect(doc.files).toEqual([{ file: 'fragments/old.yaml', action: 'would-delete', fragments: [{ name: 'checkout-old', namespace: 'shop', reason: expect.stringMatching(/expired/) }] }]);
  });
});

describe('check --output sarif', () => {
  it('is a valid SARIF 2.1.0 log that puts each problem on its file and the line of its field', () => {
    const dir = workspace({ 'fragments/v9.yaml': BAD_WEIGHT, 'fragments/x.yaml': `${branchYaml('checkout-x', 'bad value!')}` }, { example: true });
    const run = inDir(dir, () => check(parseCheckArgs(['--output', 'sarif', '--now', NOW.toISOString(), '.'])!));
    const log = JSON.parse(run.stdout) as { version: string; runs: { tool: { driver: { name: string; rules: { id: string }[] } }; results: { ruleId: string; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
    expect(validateSarif(log), JSON.stringify(validateSarif.errors, null, 2)).toBe(true);
    expect(log.version).toBe('2.1.0');
    const [runLog] = log.runs;
    expect(runLog!.tool.driver.name).toBe('switchyard');
    const byUri = Object.fromEntries(runLog!.results.map((r) => [r.locations[0]!.physicalLocation.artifactLocation.uri, r]));
    expect(byUri['fragments/v9.yaml']).toMatchObject({ ruleId: 'spec.release.weight', level: 'error', locations: [{ physicalLocation: { region: { startLine: lineMatching(BAD_WEIGHT, /^\s+weight: 150/) } } }] });
    const branchText = branchYaml('checkout-x', 'bad value!');
    expect(byUri['fragments/x.yaml']).toMatchObject({ ruleId: 'spec.branch.value', locations: [{ physicalLocation: { region: { startLine: lineMatching(branchText, /^\s+branch:/) } } }] });
    // Every rule a result names is declared.
    for (const r of runLog!.results) expect(runLog!.tool.driver.rules.map((x) => x.id)).toContain(r.ruleId);
    expect(run.exitCode).toBe(1);
  });

  it('finds the line in the right document of a multi-document file', () => {
    const two = `${branchYaml('checkout-ok', 'fine')}---\n${BAD_WEIGHT}`;
    const dir = workspace({ 'fragments/two.yaml': two }, { example: true });
    const run = inDir(dir, () => check(parseCheckArgs(['--output', 'sarif', '--now', NOW.toISOString(), '.'])!));
    const log = JSON.parse(run.stdout) as { runs: { results: { locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
    const [result] = log.runs[0]!.results.filter((r) => r.locations[0]!.physicalLocation.artifactLocation.uri === 'fragments/two.yaml');
    expect(result!.locations[0]!.physicalLocation.region.startLine).toBe(lineMatching(two, /^\s+weight: 150/));
  });

  it('with nothing wrong, is a valid log with no results', () => {
    const dir = workspace({}, { example: true });
    const run = inDir(dir, () => check(parseCheckArgs(['--output', 'sarif', '--now', NOW.toISOString(), '.'])!));
    const log = JSON.parse(run.stdout) as { runs: { results: unknown[] }[] };
    expect(validateSarif(log), JSON.stringify(validateSarif.errors)).toBe(true);
    expect(log.runs[0]!.results).toEqual([]);
  });

  it('the schema it is judged by is the real one: a log without a version is refused', () => {
    expect(validateSarif({ runs: [] })).toBe(false);
    expect(validateSarif({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, level: 'fatal' }] }] })).toBe(false);
  });
});
