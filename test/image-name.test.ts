// The image's published name and version, everywhere they are written: the function catalog entry,
// the READMEs, the docs and the Dockerfile's labels must agree with package.json. The image itself
// is built and run by `npm run image` and `npm run test:image` (test/image/).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './e2e/tools.ts';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; license: string; repository: { url: string } };
const IMAGE = (parse(readFileSync(join(ROOT, 'functions/switchyard/metadata.yaml'), 'utf8')) as { image: string }).image;
const REPOSITORY = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');

describe('the image name and version, everywhere they are written', () => {
  const files = ['README.md', 'Dockerfile', 'functions/switchyard/README.md', ...['docs', 'examples'].flatMap((d) => readdirSync(join(ROOT, d), { recursive: true, encoding: 'utf8' }).map((f) => `${d}/${f}`))]
    .filter((f) => statSync(join(ROOT, f)).isFile());

  it('functions/switchyard/metadata.yaml names the image and the licence, and its URLs point into this repository', () => {
    const meta = parse(readFileSync(join(ROOT, 'functions/switchyard/metadata.yaml'), 'utf8')) as Record<string, unknown>;
    expect(meta.image).toMatch(/^[a-z0-9.-]+\/[a-z0-9-]+\/switchyard$/);
    expect(meta.license).toBe(pkg.license);
    expect(meta.description).toBeTruthy();
    expect(meta.tags).toContain('mutator');
    const urls = [meta.sourceURL as string, ...(meta.examplePackageURLs as string[])];
    for (const url of urls) {
      expect(url.startsWith(`${REPOSITORY}/tree/main/`), url).toBe(true);
      expect(existsSync(join(ROOT, url.slice(`${REPOSITORY}/tree/main/`.length))), url).toBe(true);
    }
  });

  it(`every tagged reference to the image carries package.json's version`, () => {
    const references = files.flatMap((f) => [...readFileSync(join(ROOT, f), 'utf8').matchAll(new RegExp(`${IMAGE.replaceAll('.', '\\.')}:[\\w.-]*\\w`, 'g'))].map((m) => `${f}: ${m[0]}`));
    expect(references.length).toBeGreaterThan(3);
    expect(references.filter((r) => !r.endsWith(`${IMAGE}:${pkg.version}`))).toEqual([]);
  });
});
