// A build's image reference carries what its fragment needs: `registry.example.com/checkout:staging-feature-jp12-3f2a9c1`
// with the tag pattern `{environment}-{branch}-{sha}` names the service (checkout), the
// environment (staging) and the branch (feature-jp12). Pure.

export const PLACEHOLDERS = ['environment', 'branch', 'sha', 'revision'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type TagValues = Partial<Record<Placeholder, string>>;

export interface ImageRef {
  /** The last path segment: `checkout`. */
  name: string;
  tag?: string;
  digest?: string;
}

/** `[registry[:port]/]path/name[:tag][@digest]`. */
export function parseImageRef(ref: string): ImageRef | { problem: string } {
  const [withoutDigest = '', digest] = ref.split('@', 2);
  const slash = withoutDigest.lastIndexOf('/');
  const last = withoutDigest.slice(slash + 1);
  const colon = last.indexOf(':');
  const name = colon < 0 ? last : last.slice(0, colon);
  const tag = colon < 0 ? undefined : last.slice(colon + 1);
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(name)) return { problem: `has no valid image name (read ${JSON.stringify(name)}); use a reference such as registry.example.com/checkout:staging-feature-jp12-3f2a9c1.` };
  if (tag !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) return { problem: `has the tag ${JSON.stringify(tag)}, which is not a valid image tag.` };
  return { name, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Reads `tag` with `pattern`. `{environment}` matches one of `environments` (the policy's, so
 * that `pre-staging-feature-x` is read as pre-staging, not pre); without them, one word of letters
 * and digits, and `guessed` says so. `{branch}` is a run of tag characters, `{sha}` 7 to 40 hex
 * digits, `{revision}` digits. A tag that could be read in two ways is refused rather than guessed.
 */
export function readTag(pattern: string, tag: string, environments: readonly string[] | undefined): { values: TagValues; guessed?: boolean } | { problem: string } {
  const parts: { literal?: string; placeholder?: Placeholder }[] = [];
  const seen = new Set<string>();
  let rest = pattern;
  while (rest.length > 0) {
    const open = rest.indexOf('{');
    if (open < 0) {
      parts.push({ literal: rest });
      break;
    }
    if (open > 0) parts.push({ literal: rest.slice(0, open) });
    const close = rest.indexOf('}', open);
    const name = close < 0 ? rest.slice(open + 1) : rest.slice(open + 1, close);
    if (close < 0 || !(PLACEHOLDERS as readonly string[]).includes(name)) {
      return { problem: `--tag-pattern ${pattern} has {${name}${close < 0 ? '' : '}'}; use the placeholders ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')} and literal text.` };
    }
    if (seen.has(name)) return { problem: `--tag-pattern ${pattern} has {${name}} twice; name each placeholder once.` };
    seen.add(name);
    parts.push({ placeholder: name as Placeholder });
    rest = rest.slice(close + 1);
  }
  if (seen.size === 0) return { problem: `--tag-pattern ${pattern} has no placeholder; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}.` };
  const known = environments && environments.length > 0 ? environments : undefined;

  const build = (greedy: boolean): RegExp => {
    const body = parts
      .map((p) => {
        if (p.literal !== undefined) return escape(p.literal);
        switch (p.placeholder!) {
          case 'environment': {
            if (!known) return '(?<environment>[a-z0-9]+)';
            // Longest first reads greedily, shortest first lazily: two readings mean an ambiguous tag.
            const names = [...known].sort((a, b) => (greedy ? b.length - a.length : a.length - b.length));
            return `(?<environment>${names.map(escape).join('|')})`;
          }
          case 'branch':
            return `(?<branch>[A-Za-z0-9][A-Za-z0-9._-]*${greedy ? '' : '?'})`;
          case 'sha':
            return `(?<sha>[0-9a-f]{7,40}${greedy ? '' : '?'})`;
          case 'revision':
            return `(?<revision>[0-9]+${greedy ? '' : '?'})`;
        }
      })
      .join('');
    return new RegExp(`^${body}$`);
  };
  const greedy = build(true).exec(tag)?.groups;
  const lazy = build(false).exec(tag)?.groups;
  if (!greedy || !lazy) {
    const hint = seen.has('environment') ? (known ? ` ({environment} is one of ${known.join(', ')})` : ' ({environment} is one word without the policy: give --policy FILE for names such as pre-staging)') : '';
    return { problem: `the image tag ${tag} does not fit --tag-pattern ${pattern}${hint}; check the tag the build pushed, or the pattern.` };
  }
  const values = Object.fromEntries(Object.entries(greedy).filter(([, v]) => v !== undefined)) as TagValues;
  const other = Object.fromEntries(Object.entries(lazy).filter(([, v]) => v !== undefined)) as TagValues;
  const differ = PLACEHOLDERS.filter((p) => values[p] !== other[p]);
  if (differ.length > 0) {
    const show = (v: TagValues) => differ.map((p) => `${p} ${v[p]}`).join(', ');
    return { problem: `the image tag ${tag} fits --tag-pattern ${pattern} in two ways (${show(values)}; or ${show(other)}); put a separator the values cannot contain between the placeholders, or give the value with its flag.` };
  }
  return seen.has('environment') && !known ? { values, guessed: true } : { values };
}
