// No regular expression that meets input can backtrack: every regex literal in src/ and every
// pattern of the JSON Schemas (ajv runs them on fragment and policy fields) is run on adversarial
// strings of 100 KB (comment banners, long runs of each special character, runs that fail at the
// very end). A linear pattern scans them all in well under a second; a quadratic one takes minutes
// and an exponential one forever. The patterns run in a worker thread that is terminated when one
// pattern is still running after a generous bound, so a hang fails the test naming the pattern
// instead of hanging it. (The user's own header regexes are judged separately: test/merge/backtracking.test.ts.)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { regexLiterals, type RegexLiteral } from './regex-literals.ts';

const SRC = new URL('../src/', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

function schemaPatterns(): RegexLiteral[] {
  const found: RegexLiteral[] = [];
  for (const name of readdirSync(join(SRC, 'schema')).filter((n) => n.endsWith('.schema.json'))) {
    const walk = (value: unknown) => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object') {
        for (const [key, v] of Object.entries(value)) {
          if (key === 'pattern' && typeof v === 'string') found.push({ file: `schema/${name}`, line: 0, source: v, flags: 'u' });
          else walk(v);
        }
      }
    };
    walk(JSON.parse(readFileSync(join(SRC, 'schema', name), 'utf8')));
  }
  return found;
}

const patterns: RegexLiteral[] = [...sourceFiles(SRC).flatMap((file) => regexLiterals(readFileSync(file, 'utf8'), file.slice(SRC.length))), ...schemaPatterns()];

// The worker builds the inputs itself (100 KB each) and runs every pattern on every one, saying
// which pattern it starts; `test` for a plain pattern, `replace` (every match) for a global one.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const N = 100 * 1024;
const fill = (unit) => unit.repeat(Math.ceil(N / unit.length)).slice(0, N);
const specials = [' ', '\\t', '#', '-', ':', "'", '"', '\\\\', '.', '/', '[', ']', '{', '}', ',', '!', '&', '*', '?', '|', '>', '%', '@', '=', '(', ')', '+', '^', '$', '~', '<', 'a', 'Z', '0', '_', '\\n', '\\r', '\\u00a0', '\\ufeff'];
const inputs = [];
for (const c of specials) {
  // The run alone, the run failing at the very end (after a line break, after a NUL), inside a word, interleaved.
  inputs.push(fill(c), fill(c) + '\\n!', fill(c) + '\\u0000\\n!', 'a' + fill(c) + '!', fill(c + ' '), fill(c + 'a'), fill(c + '\\n') + '!');
}
inputs.push(
  // Comment banners, each followed by the object they head.
  ...['#'.repeat(79) + '\\n', '# ' + '='.repeat(60) + ' #\\n', '#\\n', ' #', '\\n#', '# a\\n  \\n', '##\\r\\n'].map((b) => fill(b) + 'apiVersion: v1\\n'),
  fill('---\\n'), fill('--- #\\n'), fill('- '), fill('- - '), fill('a: '), fill('a:'), fill(': '), fill("''"), fill("'' "), fill('\\\\"'), fill('\\\\a'),
  fill('a-'), fill('a.'), fill('a-.'), fill('0.'), fill('0e'), fill('*.'), fill('a/'), fill('&a '), fill('*a '), fill('!a '), fill('[a, '), fill('{a: '),
  "'" + fill("''"), '"' + fill('a'), fill('    ') + 'x', fill('\\r\\n'), fill(' \\t'), fill('\\t '),
);
let at = 0;
for (const { source, flags } of workerData) {
  parentPort.postMessage(at++);
  const re = new RegExp(source, flags);
  for (const input of inputs) {
    if (re.global || re.sticky) input.replace(re, '');
    else re.test(input);
  }
}
parentPort.postMessage('done');
`;

/** Runs every pattern; resolves with the one still running after `boundMs`, or undefined. */
function runAll(list: readonly RegexLiteral[], boundMs: number): Promise<RegexLiteral | undefined> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: list.map(({ source, flags }) => ({ source, flags })) });
    let current = -1;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        void worker.terminate();
        resolve(list[current]);
      }, boundMs);
    };
    worker.on('message', (message: number | 'done') => {
      if (message === 'done') {
        clearTimeout(timer);
        void worker.terminate();
        resolve(undefined);
        return;
      }
      current = message;
      arm();
    });
    worker.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    arm();
  });
}

describe('input-facing regular expressions', () => {
  it('are found: the lexer sees the regex literals of src/ and the schema patterns', () => {
    expect(patterns.length).toBeGreaterThan(60);
    expect(patterns.filter((p) => p.file.startsWith('schema/')).length).toBeGreaterThan(10);
    // Spot checks of what the lexer must find (and must not take a division for).
    expect(patterns.some((p) => p.file.endsWith('block-yaml.ts') && p.source.startsWith('^(?:[A-Za-z0-9_/.^$(]|-[0-9])'))).toBe(true);
    for (const p of patterns) expect(() => new RegExp(p.source, p.flags), `${p.file}:${p.line} /${p.source}/`).not.toThrow();
  });

  it('the lexer would have found the exponential empty-document test of 0.1', () => {
    const [found] = regexLiterals("if (/^\\s*(?:#.*\\s*)*$/.test(piece)) continue; // an empty document", 'old.ts');
    expect(found?.source).toBe('^\\s*(?:#.*\\s*)*$');
  });

  it('every one of them finishes on 100 KB adversarial strings', async () => {
    // 5 s per pattern: a linear one takes milliseconds on every input together; a quadratic one (0.1 had two) takes 10 s and more.
    const stuck = await runAll(patterns, 5_000);
    expect(stuck && `${stuck.file}:${stuck.line} /${stuck.source}/${stuck.flags}`).toBeUndefined();
  }, 600_000);

  it('the watchdog catches a pattern that backtracks (the test can fail)', async () => {
    const bad: RegexLiteral = { file: 'old.ts', line: 1, source: '^\\s*(?:#.*\\s*)*$', flags: '' };
    expect(await runAll([bad], 1_000)).toBe(bad);
  });
});
