// Envoy matches regex headers with RE2, which has no lookaround, backreferences, atomic groups
// or possessive quantifiers. A pattern RE2 would reject makes Istio reject the whole
// VirtualService, so it is caught here, with the reason.

/** Why RE2 would reject `pattern`, or undefined if it is acceptable. */
export function re2Problem(pattern: string): string | undefined {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 'uses a backreference, which RE2 (Envoy) does not support';
      i++;
      continue;
    }
    if (c === '[') {
      i = endOfClass(pattern, i); // nothing inside a character class is a group or quantifier
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2, i + 4);
      if (rest.startsWith('=') || rest.startsWith('!') || rest === '<=' || rest === '<!') {
        return 'uses a lookaround ((?=, (?!, (?<=, (?<!), which RE2 (Envoy) does not support';
      }
      if (rest.startsWith('>')) return 'uses an atomic group ((?>), which RE2 (Envoy) does not support';
    }
    if ((c === '*' || c === '+' || c === '?' || c === '}') && pattern[i + 1] === '+') {
      return 'uses a possessive quantifier (*+, ++, ?+), which RE2 (Envoy) does not support';
    }
  }
  // What remains is close enough to JavaScript's syntax to catch unbalanced groups and the like.
  // RE2's inline flags, (?i), are not JavaScript's, so they are set aside first.
  try {
    new RegExp(pattern.replace(/\(\?[imsU-]+\)/g, '').replace(/\(\?P?<([A-Za-z_]\w*)>/g, '(?<$1>'));
  } catch (error) {
    return `is not a valid regular expression (${(error as Error).message.replace(/^Invalid regular expression: /, '')})`;
  }
  return undefined;
}

/**
 * Whether JavaScript's backtracking engine could take exponential time on this pattern: a
 * repeated group (`*`, `+`, `{n,}`) whose body can itself repeat or branch, such as `(a+)+`,
 * `(a|a)*` or `(\w*x?)*`. RE2 (Envoy) runs these in linear time, so they are fine as routes;
 * Switchyard only refuses to run them itself (explain and check), where an input could hang it.
 */
export function mayBacktrack(pattern: string): boolean {
  const groups: { repeats: boolean }[] = [];
  let lastGroupRepeats = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      lastGroupRepeats = false;
      continue;
    }
    if (c === '[') {
      i = endOfClass(pattern, i);
      lastGroupRepeats = false;
      continue;
    }
    if (c === '(') {
      groups.push({ repeats: false });
      lastGroupRepeats = false;
      continue;
    }
    if (c === ')') {
      lastGroupRepeats = groups.pop()?.repeats ?? false;
      continue;
    }
    const quantifier = c === '*' || c === '+' || (c === '{' && /^\{\d*,\d*\}/.test(pattern.slice(i)) && !/^\{\d*,?1?\}/.test(pattern.slice(i)));
    if (quantifier || c === '|' || c === '?') {
      if (quantifier && lastGroupRepeats) return true;
      for (const g of groups) g.repeats = true;
    }
    lastGroupRepeats = false;
  }
  return false;
}

/** The index of the `]` that closes the character class opening at `start` (`[]a]` and `[^]a]` included). */
function endOfClass(pattern: string, start: number): number {
  let j = start + 1;
  if (pattern[j] === '^') j++;
  if (pattern[j] === ']') j++;
  while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
  return j;
}
