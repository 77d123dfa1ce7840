// Regex header matches are judged and run by RE2, as Envoy runs them and as Istio's webhook judges
// them, never by JavaScript's RegExp. Istio's webhook (istio/istio pkg/config/validation/
// validation.go, validateStringRegexp) refuses patterns over 1,024 bytes and compiles the rest with
// Go's regexp; Envoy runs RE2. re2js is a port of RE2/J, itself a port of Go's regexp/syntax, so it
// refuses what Go refuses (`\Z`, `[]`, `\u0041`, `a{1001}`, lookarounds, backreferences) and
// accepts what Go accepts (`(?i:x)`, `\pL`, `(?P<name>x)`), and it matches in linear time: every
// pattern can be run, none has to be refused for fear of backtracking.
import { RE2JS } from 're2js';

/** Istio's webhook refuses longer patterns (Go's len(): UTF-8 bytes). */
export const MAX_REGEX_BYTES = 1024;

const utf8 = new TextEncoder();

/** Why Istio's webhook or Envoy would refuse `pattern`, or undefined if both accept it. */
export function re2Problem(pattern: string): string | undefined {
  if (pattern === '') return 'is an empty regex, which Istio refuses; give a pattern, or use an exact match';
  const bytes = utf8.encode(pattern).length;
  if (bytes > MAX_REGEX_BYTES) return `is a regex of ${bytes} bytes; Istio refuses patterns over ${MAX_REGEX_BYTES} bytes: shorten it`;
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (error) {
    const reason = String((error as Error).message ?? error).replace(/^error parsing regexp: /, '');
    return `is not a regex that RE2 (Envoy) and Go (Istio's webhook) accept (${reason}${hint(pattern)}); see https://github.com/google/re2/wiki/Syntax`;
  }
}

/** What JavaScript or PCRE habit the pattern shows, where RE2 has no such thing. */
function hint(pattern: string): string {
  if (/\(\?<?[=!]/.test(pattern)) return '; RE2 has no lookarounds';
  if (/\(\?>/.test(pattern)) return '; RE2 has no atomic groups';
  if (/\\[1-9k]/.test(pattern)) return '; RE2 has no backreferences';
  if (/[*+?}]\+/.test(pattern)) return '; RE2 has no possessive quantifiers';
  return '';
}

const compiled = new Map<string, RE2JS | null>();

/** The pattern compiled by RE2, cached; undefined when RE2 refuses it. */
export function compileRe2(pattern: string, ignoreCase = false): RE2JS | undefined {
  const key = `${ignoreCase ? 'i' : ''}\0${pattern}`;
  let re = compiled.get(key);
  if (re === undefined) {
    try {
      re = RE2JS.compile(pattern, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
    } catch {
      re = null;
    }
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(key, re);
  }
  return re ?? undefined;
}

/** RE2's FullMatch, as Envoy's safe_regex header matcher uses it; undefined when RE2 refuses the pattern. */
export function fullMatch(pattern: string, value: string, ignoreCase = false): boolean | undefined {
  return compileRe2(pattern, ignoreCase)?.matches(value);
}
