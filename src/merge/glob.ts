// Path globs for the policy's releasePaths: `**` is any run of characters (folders included),
// `*` any run within one folder, `?` one character within a folder. Matched against the whole
// path: `releases/production/**` does not match `team/releases/production/v9.yaml`.
//
// Matched by walking the glob and the path together (a set of glob positions per character), not
// by a regular expression: a glob such as `*a*a*a*a*b` made into a RegExp backtracks
// exponentially on a long path, and paths come from the input. Time is path length × glob length.

type Step = { kind: 'char'; char: string } | { kind: 'one' } | { kind: 'star' } | { kind: 'globstar' } | { kind: 'optional'; to: number };

function compile(glob: string): Step[] {
  const steps: Step[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      if (glob[i + 2] === '/') {
        // `**/` is any run of folders, or none: `a/**/b` matches `a/b` and `a/x/y/b`.
        steps.push({ kind: 'optional', to: steps.length + 3 }, { kind: 'globstar' }, { kind: 'char', char: '/' });
        i += 2;
      } else {
        steps.push({ kind: 'globstar' });
        i += 1;
      }
    } else if (c === '*') steps.push({ kind: 'star' });
    else if (c === '?') steps.push({ kind: 'one' });
    else steps.push({ kind: 'char', char: c });
  }
  return steps;
}

/** Whether the whole `path` matches `glob`. */
export function matchesGlob(path: string, glob: string): boolean {
  const steps = compile(glob);
  // The steps of the glob that the path so far can have reached.
  let states = closure([0], steps);
  for (const c of path) {
    const next: number[] = [];
    for (const i of states) {
      const step = steps[i];
      if (step?.kind === 'char' && step.char === c) next.push(i + 1);
      else if (step?.kind === 'one' && c !== '/') next.push(i + 1);
      else if (step?.kind === 'star' && c !== '/') next.push(i);
      else if (step?.kind === 'globstar') next.push(i);
    }
    states = closure(next, steps);
    if (states.size === 0) return false;
  }
  return states.has(steps.length);
}

/** The states plus those reachable without a character: past a star (which may match nothing) or an optional part. */
function closure(start: readonly number[], steps: readonly Step[]): Set<number> {
  const out = new Set<number>();
  const todo = [...start];
  while (todo.length > 0) {
    const i = todo.pop()!;
    if (out.has(i)) continue;
    out.add(i);
    const step = steps[i];
    if (step?.kind === 'star' || step?.kind === 'globstar') todo.push(i + 1);
    else if (step?.kind === 'optional') todo.push(i + 1, step.to);
  }
  return out;
}

export const normalizePath = (path: string): string => path.replace(/\\/g, '/').replace(/^(\.\/)+/, '');

export const matchesAny = (path: string, globs: readonly string[]): boolean => globs.some((glob) => matchesGlob(normalizePath(path), normalizePath(glob)));
