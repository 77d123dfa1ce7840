// The fast block-YAML reader and printer must agree with the `yaml` library: where the reader
// answers, it answers what the library would; where it cannot be sure, it declines.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { printBlockYaml, readBlockYaml } from '../src/krm/block-yaml.ts';
import { isAmbiguous } from '../src/krm/yaml.ts';

const ROOT = join(import.meta.dirname, '..');

/** What the library reads, or a marker when it rejects the text. */
function library(text: string): unknown {
  try {
    const docs = parseAllDocuments(text, { uniqueKeys: true });
    if (!Array.isArray(docs) || docs.length !== 1 || docs[0]!.errors.length > 0) return REJECTED;
    return docs[0]!.toJS({ maxAliasCount: 100 });
  } catch {
    return REJECTED;
  }
}
const REJECTED = Symbol('rejected');

function agrees(text: string): void {
  const fast = readBlockYaml(text);
  if (fast === undefined) return; // declined: the library reads it
  expect(library(text), text).toEqual(fast);
}

const scalar = fc.oneof(
  fc.string(),
  fc.constantFrom('on', 'yes', 'null', '~', '0777', '1e3', '0x1F', '.5', '2026-01-01', '1:30', 'true', 'False', '-', '- x', 'a: b', '#x', 'x #y', "it's", '"q"', '', ' lead', 'trail '),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);
const key = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('apiVersion', 'kind', 'metadata', 'name', 'app.kubernetes.io/name', '__proto__', 'x y', 'a:b'));
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('list'), tie('map')),
  list: fc.array(tie('node'), { maxLength: 4 }),
  map: fc.dictionary(key, tie('node'), { maxKeys: 5 }),
})).map;

describe('readBlockYaml', () => {
  it('agrees with the yaml library on everything the library prints', () => {
    fc.assert(
      fc.property(value, fc.constantFrom(false, true), fc.integer({ min: 0, max: 3 }), (v, indentSeq, flowLevel) => {
        const text = stringify(v, { indentSeq, lineWidth: 0, ...(flowLevel > 0 ? { flowCollectionPadding: false, collectionStyle: 'block' } : {}) });
        agrees(text);
        agrees(stringify(v, { collectionStyle: 'flow', lineWidth: 0 }));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with the yaml library on mangled text, or declines', () => {
    const pieces = fc.constantFrom('a', 'b:', ' ', '  ', '- ', '-', ':', ': ', '#', ' #', '{', '}', '[', ']', ',', '"', "'", '\\', '\n', '&x', '*x', '!t', '|', '>', '? ', '0', '1.5', 'null', 'on', '__proto__', '<<', '\t', '---', 'x: [a, b]', 'y: {c: d}');
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 30 }), (parts) => agrees(parts.join(''))),
      { numRuns: Number(process.env.BLOCK_YAML_RUNS ?? 5000) },
    );
  });

  it('agrees with the yaml library on line-shaped text, or declines', () => {
    const indent = fc.constantFrom('', '  ', '    ', '      ', ' ');
    const k = fc.constantFrom('a', 'name', 'app.kubernetes.io/name', '"q k"', "'s k'", 'null', '1', '__proto__', 'x y', '-k');
    const v = fc.constantFrom('', 'v1', '1', '-1', '0777', '1.5', '1e3', 'on', 'null', '~', 'true', '"s"', "'it''s'", '"a\\"b"', '[a, b]', '{c: d, e: [f]}', '{}', '[]', 'a #c', 'a#b', 'a: b', 'http://x:80/p', '^rc-[0-9]+$', '*x', '&a b', '|', '- x', '"unterminated', '[a, {b: c}]', '{a: 1, a: 2}');
    const line = fc.oneof(
      fc.tuple(indent, k, v).map(([i, key, value]) => `${i}${key}:${value === '' ? '' : ` ${value}`}`),
      fc.tuple(indent, v).map(([i, value]) => `${i}-${value === '' ? '' : ` ${value}`}`),
      fc.tuple(indent, k, v).map(([i, key, value]) => `${i}- ${key}: ${value}`),
      fc.constantFrom('# comment', '', '  # indented comment'),
    );
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 8 }), (lines) => {
        const text = `${lines.join('\n')}\n`;
        if (readBlockYaml(text) !== undefined) accepted++;
        agrees(text);
      }),
      { numRuns: Number(process.env.BLOCK_YAML_RUNS ?? 5000) },
    );
    expect(accepted).toBeGreaterThan(100); // the accepting paths really are exercised
  });

  it('reads every example, fixture and golden file as the library does', () => {
    let read = 0;
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (/\.ya?ml$/.test(name)) {
          for (const doc of readFileSync(full, 'utf8').split(/^---$/m)) {
            agrees(doc);
            if (readBlockYaml(doc) !== undefined) read++;
          }
        }
      }
    };
    walk(join(ROOT, 'examples'));
    walk(join(ROOT, 'test/fixtures'));
    expect(read).toBeGreaterThan(50); // the fast path really is the common path
  });

  it('declines what it does not follow', () => {
    for (const text of ['a: &x 1\nb: *x\n', 'a: !!str 1\n', 'a: |\n  x\n', 'a: >\n  x\n', 'a: 1\na: 2\n', '? a\n: b\n', 'a: "\\x41"\n', 'a: b\n  c\n', '<<: {a: 1}\n', 'a:\tb\n', 'a: .inf\n']) {
      expect(readBlockYaml(text), text).toBeUndefined();
    }
  });

  it('keeps __proto__ an own key, never the prototype', () => {
    const value = readBlockYaml('metadata:\n  __proto__: {polluted: true}\n') as { metadata: object };
    expect(Object.getPrototypeOf(value.metadata)).toBe(Object.prototype);
    expect(Object.keys(value.metadata)).toEqual(['__proto__']);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe('printBlockYaml', () => {
  it('prints what YAML 1.2 and 1.1 readers read back as the same value', () => {
    fc.assert(
      fc.property(value, (v) => {
        const text = printBlockYaml(v, isAmbiguous);
        expect(parse(text), text).toEqual(v === undefined ? null : v);
        if (typeof v === 'object' && v !== null) {
          // kubectl and kyaml read YAML 1.1: no string may turn into a bool, number or date there.
          const strings = (x: unknown): string[] => (typeof x === 'string' ? [x] : typeof x === 'object' && x ? Object.entries(x).flatMap(([k, y]) => [k, ...strings(y)]) : []);
          const reread = parse(text, { version: '1.1' });
          expect(strings(reread).sort()).toEqual(strings(v).sort());
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('prints the style kpt writes: two spaces, sequences not indented', () => {
    const text = printBlockYaml({ spec: { hosts: ['a', 'b'], http: [{ name: 'r', route: [{ destination: { host: 'c' }, weight: 100 }] }] } }, isAmbiguous);
    expect(text).toBe('spec:\n  hosts:\n  - a\n  - b\n  http:\n  - name: r\n    route:\n    - destination:\n        host: c\n      weight: 100\n');
  });
});
