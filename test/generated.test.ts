// What the build generates from the schemas must match what is checked in and published.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkFragmentSchema } from '../src/schema/validate.ts';

const ROOT = join(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('generated from the schemas', () => {
  it('manifests/routefragment-crd.yaml is current (npm run manifests rewrites it)', () => {
    expect(read('manifests/routefragment-crd.yaml')).toBe(read('dist/manifests/routefragment-crd.yaml'));
  });

  it('the CRD is a structural schema: no $ref, no additionalProperties: false, open objects marked', () => {
    const crd = parse(read('manifests/routefragment-crd.yaml'));
    const schema = crd.spec.versions[0].schema.openAPIV3Schema;
    const text = JSON.stringify(schema);
    expect(text).not.toContain('$ref');
    expect(text).not.toContain('"additionalProperties":false');
    expect(schema.properties.spec.properties.subset.properties.trafficPolicy['x-kubernetes-preserve-unknown-fields']).toBe(true);
    expect(schema.properties.spec.properties.release.properties.weight).toMatchObject({ type: 'integer', minimum: 0, maximum: 100 });
    expect(crd.spec.versions[0].additionalPrinterColumns.map((c: { name: string }) => c.name)).toEqual(['Service', 'Subset', 'Branch', 'Environment', 'Weight', 'Age']);
  });

  it('every example fragment is valid against the published schema', () => {
    for (const name of ['checkout-v1', 'checkout-v3', 'checkout-feature-jp12', 'checkout-bugfix-dp34']) {
      expect(checkFragmentSchema(parse(read(`examples/render/fragments/${name}.yaml`))), name).toEqual([]);
    }
  });
});
