// Strings Switchyard writes must read back as strings in YAML 1.1 (kubectl, kyaml) and 1.2.
import { parse } from 'yaml';
import { Document } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createObjectNode, isAmbiguous } from '../src/krm/yaml.ts';

describe('isAmbiguous', () => {
  it.each(['on', 'Yes', 'N', 'off', 'TRUE', 'null', '~', '', '0777', '1.10', '1e3', '2026-01-01', '1:30', '.5', '.inf', '-1', '+1', '0x1F', '.'])('%j is quoted', (value) => {
    expect(isAmbiguous(value)).toBe(true);
  });
  it.each(['feature-jp12', 'v1', 'checkout', 'shop.example.com', 'x-branch', 'yes-branch', 'online', 'Nope', '^rc-[0-9]+$', 'pay-'])('%j stays plain', (value) => {
    expect(isAmbiguous(value)).toBe(false);
  });
  it('every value it calls plain reads back as the same string in YAML 1.1 and 1.2', () => {
    // (Not 'e3': the yaml library's 1.1 schema reads it as null, though YAML 1.1's float needs a dot.)
    for (const value of ['feature-jp12', 'v1', 'online', 'Nope', 'yes-branch', 'x', 'Y2K', 'NaN', 'Infinity']) {
      if (isAmbiguous(value)) continue;
      expect(parse(value, { version: '1.1' })).toBe(value);
      expect(parse(value)).toBe(value);
    }
  });
  it('generated objects quote what needs quoting', () => {
    const doc = new Document();
    doc.contents = createObjectNode(doc, { labels: { version: '1.10', answer: 'yes', name: 'v1' } });
    const text = doc.toString();
    expect(text).toContain('version: "1.10"');
    expect(text).toContain('answer: "yes"');
    expect(text).toContain('name: v1');
    expect(parse(text, { version: '1.1' })).toEqual({ labels: { version: '1.10', answer: 'yes', name: 'v1' } });
  });
});
