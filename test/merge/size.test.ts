// Objects near or past what the API server or client-side kubectl apply accept.
import { describe, expect, it } from 'vitest';
import { checkSize, ANNOTATION_LIMIT, OBJECT_LIMIT } from '../../src/merge/size.ts';
import { branch, release, run } from '../builders.ts';

const objectOf = (bytes: number) => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'checkout', namespace: 'shop' }, spec: { pad: 'x'.repeat(bytes) } });

describe('checkSize', () => {
  it.each([
    [10_000, undefined],
    [0.85 * ANNOTATION_LIMIT, 'warning: near the 256 KiB that client-side kubectl apply can record'],
    [1.1 * ANNOTATION_LIMIT, 'warning: past the 256 KiB that client-side kubectl apply can record'],
    [0.9 * OBJECT_LIMIT, "warning: near the API server's object limit"],
    [1.1 * OBJECT_LIMIT, "error: past the API server's object limit"],
  ])('%d bytes: %s', (bytes, expected) => {
    const result = checkSize(objectOf(Math.round(bytes)));
    if (expected === undefined) expect(result).toBeUndefined();
    else {
      const [severity, words] = expected.split(': ');
      expect(result?.severity).toBe(severity);
      expect(result?.message).toContain(words);
      expect(result?.message).toMatch(/^VirtualService shop\/checkout is \d+ KiB as JSON, /);
    }
  });

  it('the merge warns about a VirtualService of thousands of branches, and still renders it', () => {
    const fragments = [release('v1', 'production', 1), ...Array.from({ length: 1500 }, (_, i) => branch(`feature-${i}`, `feature-${i}`))];
    const out = run(fragments);
    const warnings = out.results.filter((r) => r.severity === 'warning' && r.resourceRef?.kind === 'VirtualService');
    // the mesh VirtualService and those of staging and pre-staging carry every branch; production's none
    expect(warnings.map((w) => w.resourceRef?.name)).toEqual(['checkout', 'checkout.pre-staging', 'checkout.staging']);
    for (const w of warnings) expect(w.message).toContain('client-side kubectl apply');
    expect(out.objects).toHaveLength(5); // the mesh VirtualService, one per environment host, the DestinationRule
  });
});
