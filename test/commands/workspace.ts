// Scratch folders for the command tests: files written from text, commands run in-process with
// the folder as the working folder (results name files relative to it, as users see them).
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from '../e2e/tools.ts';
import { scratchDir } from '../scratch.ts';

export const NOW = new Date('2026-11-27T12:00:00Z');

/** A temporary folder holding `files` (path -> text), and optionally a copy of examples/render. */
export function workspace(files: Record<string, string> = {}, { example = false } = {}): string {
  const dir = scratchDir('switchyard-cmd-');
  if (example) {
    cpSync(join(ROOT, 'examples/render/fragments'), join(dir, 'fragments'), { recursive: true });
    cpSync(join(ROOT, 'examples/render/policy.yaml'), join(dir, 'policy.yaml'));
  }
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** Runs `fn` with `dir` as the working folder. */
export function inDir<T>(dir: string, fn: () => T): T {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return fn();
  } finally {
    process.chdir(cwd);
  }
}

export const listFiles = (dir: string): string[] => readdirSync(dir).sort();

/** A RouteFragment as YAML text. */
export function fragmentYaml(name: string, spec: string, namespace = 'shop'): string {
  return `apiVersion: switchyard.dev/v1alpha1\nkind: RouteFragment\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n  service: checkout\n${spec
    .trim()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n`;
}

export const branchYaml = (name: string, value: string, extra = '', subset = value) =>
  fragmentYaml(name, `subset: {name: ${subset}, labels: {app: checkout, version: ${subset}}}\nbranch: {value: "${value}"${extra ? `, ${extra}` : ''}}`);

export const releaseYaml = (name: string, subset: string, environment: string, revision: number, weight?: number) =>
  fragmentYaml(name, `subset: {name: ${subset}, labels: {app: checkout, version: ${subset}}}\nrelease: {environment: ${environment}, revision: ${revision}${weight === undefined ? '' : `, weight: ${weight}`}}`);

export const deploymentYaml = (name: string, labels: Record<string, string>, namespace = 'shop') =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n  selector: {matchLabels: ${JSON.stringify(labels)}}\n  template:\n    metadata: {labels: ${JSON.stringify(labels)}}\n    spec: {containers: [{name: app, image: registry.example.com/checkout:${name}}]}\n`;

export const POLICY_ALL_MATCHES = `apiVersion: switchyard.dev/v1alpha1
kind: RoutingPolicy
metadata: {name: routing}
spec:
  branchHeader: x-branch
  allowedMatches: [exact, prefix, regex]
  gateways: [mesh]
  environments:
  - {name: production, hosts: [shop.example.com], default: true, allowBranches: false}
  - {name: staging, hosts: [staging.shop.example.com]}
`;
