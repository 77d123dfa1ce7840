// Path globs for the policy's releasePaths: `**` is any run of characters (folders included),
// `*` any run within one folder, `?` one character within a folder. Matched against the whole
// path: `releases/production/**` does not match `team/releases/production/v9.yaml`.

export function globToRegExp(glob: string): RegExp {
  let pattern = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` also matches no folder at all: `a/**/b` matches `a/b`.
      const slash = glob[i + 2] === '/';
      pattern += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') pattern += '[^/]*';
    else if (c === '?') pattern += '[^/]';
    else pattern += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${pattern}$`);
}

export const normalizePath = (path: string): string => path.replace(/\\/g, '/').replace(/^(\.\/)+/, '');

export const matchesAny = (path: string, globs: readonly string[]): boolean =>
  globs.some((glob) => globToRegExp(normalizePath(glob)).test(normalizePath(path)));
