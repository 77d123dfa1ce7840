// Switchyard never runs a pattern that could backtrack exponentially in JavaScript (RE2 would not).
import { describe, expect, it } from 'vitest';
import { matches } from '../../src/merge/evaluate.ts';
import { mayBacktrack } from '../../src/merge/regex.ts';

describe('mayBacktrack', () => {
  it.each(['(a+)+$', '(a*)*', '(a|a)*', '(a|aa)+', '(\\w*x?)*', '((ab)*c)*', '(a{1,3})+', '(?:a+)+b'])('%s may', (p) => {
    expect(mayBacktrack(p)).toBe(true);
  });
  it.each(['^rc-[0-9]+$', 'feature-.*', '(a|b)', '(ab)+', 'a+b+c+', '[(+*]+', '\\(a+\\)+', '(abc){2}', 'x(y)?z*'])('%s does not', (p) => {
    expect(mayBacktrack(p)).toBe(false);
  });
});

describe('matches', () => {
  it('answers "cannot tell" for a catastrophic pattern, at once', () => {
    const start = Date.now();
    expect(matches({ kind: 'regex', value: '(a+)+$' }, `${'a'.repeat(40)}!`)).toBeUndefined();
    expect(Date.now() - start).toBeLessThan(2000); // a bound, not a speed test: matching it in JavaScript would take hours
  });
  it('still matches ordinary patterns', () => {
    expect(matches({ kind: 'regex', value: '^rc-[0-9]+$' }, 'rc-12')).toBe(true);
    expect(matches({ kind: 'regex', value: 'feature-.*' }, 'bugfix-1')).toBe(false);
  });
});
