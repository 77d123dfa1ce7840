// The executable as users meet it: help, exit codes, readable errors, never a stack trace for a
// user's mistake.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLE, ROOT, run } from './e2e/tools.ts';

const switchyard = (args: string[], input?: string) => run('node', [BUNDLE, ...args], { cwd: ROOT, ...(input === undefined ? {} : { input }) });
const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('switchyard', () => {
  it.each([['--help'], ['render', '--help'], ['fn', '--help'], ['kustomize-plugin', '--help']])('%s %s prints usage and exits 0', (...args) => {
    const result = switchyard(args);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage:|\nUsage:/);
  });

  it('--version prints the package version', () => {
    expect(switchyard(['--version']).stdout.trim()).toBe(version);
  });

  it.each([
    [['frobnicate'], 'unknown command frobnicate'],
    [['render'], 'render needs at least one PATH'],
    [['render', '--polcy', 'x', 'examples/render'], "Unknown option '--polcy'"],
    [['render', 'no/such/folder'], 'no/such/folder: no such file or folder.'],
    [['render', '--now', 'tomorrow', 'examples/render'], '--now tomorrow is not an instant'],
    [['fn', 'extra'], 'fn takes no arguments'],
  ])('%j is a usage error (exit 2)', (args, message) => {
    const result = switchyard(args as string[]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('Run switchyard --help for usage.');
    noStackTrace(result.stderr);
  });

  it('render exits 1 on a broken release, prints nothing, and names fragment, field and file', () => {
    const fragment = readFileSync(join(ROOT, 'examples/render/fragments/checkout-v3.yaml'), 'utf8').replace('weight: 1}', 'weight: 150}');
    const result = switchyard(['render', '--policy', 'examples/render/policy.yaml', '-'], fragment);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('error: RouteFragment shop/checkout-v3 (stdin): spec.release.weight is 150; use 100 or less.');
    noStackTrace(result.stderr);
  });

  it('render exits 1 on a file that is not YAML, naming it', () => {
    const result = switchyard(['render', 'examples/render/policy.yaml', '-'], 'kind: [unclosed\n');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('error: stdin is not valid YAML');
    noStackTrace(result.stderr);
  });

  it('render exits 0 with warnings when only a branch is broken', () => {
    const broken = 'apiVersion: switchyard.dev/v1alpha1\nkind: RouteFragment\nmetadata: {name: x, namespace: shop}\nspec:\n  service: checkout\n  subset: {name: x, labels: {app: checkout}}\n  branch: {valeu: x}\n';
    const result = switchyard(['render', 'examples/render', '-'], broken);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('warning: RouteFragment shop/x (stdin): spec.branch.valeu is not a known field; did you mean value?');
    expect(result.stdout).toContain('kind: VirtualService');
  });

  it('--quiet leaves out info results', () => {
    const result = switchyard(['render', '--quiet', 'examples/render']);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('runs as the KRM function when a ResourceList arrives with no command', () => {
    const list = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n${readFileSync(join(ROOT, 'examples/render/policy.yaml'), 'utf8').replace(/^/gm, '  ')}`;
    const result = switchyard([], list);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^apiVersion: config.kubernetes.io\/v1\nkind: ResourceList\n/);
    expect(result.stdout).toContain('results:');
  });

  it('fn answers input that is not a ResourceList with a ResourceList holding the error (exit 1)', () => {
    const result = switchyard(['fn'], 'just: a map\n');
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('kind: ResourceList');
    expect(result.stdout).toContain('severity: error');
    expect(result.stderr).toContain('the input is not a ResourceList');
  });

  it('never writes YAML anchors or aliases, even where results share an object (kpt refuses them)', () => {
    const indent = (file: string) => `${readFileSync(join(ROOT, file), 'utf8').trimEnd().replace(/^/gm, '  ')}\n`;
    const fragment = indent('examples/render/fragments/checkout-v2.yaml').replace(/^  /, '- ');
    const list = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${fragment}functionConfig:\n${indent('examples/render/policy.yaml')}`;
    const result = switchyard(['fn'], list);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('has no live release of service checkout'); // two infos about one VirtualService
    expect(result.stdout).not.toMatch(/[&*]a\d/);
  });
});
