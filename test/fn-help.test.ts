// `switchyard fn --help` is generated from the function's README (functions/switchyard/README.md):
// one text, not two. This reads the README's Usage section on its own terms and finds it, line by
// line and in order, in what the executable prints.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLE, ROOT, run } from './e2e/tools.ts';

const readme = readFileSync(join(ROOT, 'functions/switchyard/README.md'), 'utf8');

/** The README section under `## title`, up to the next `## ` heading, without code fences and markers. */
function section(title: string): string[] {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, `the README has no ## ${title}`).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme
    .slice(start + `\n## ${title}\n`.length, end < 0 ? undefined : end)
    .split('\n')
    .filter((l) => !l.startsWith('```') && !l.startsWith('<!--') && !l.startsWith('#') && l.trim() !== '')
    .map((l) => l.replace(/`([^`]+)`/g, '$1').trim());
}

describe('switchyard fn --help', () => {
  const help = run('node', [BUNDLE, 'fn', '--help']);

  it('exits 0 and prints on stdout', () => {
    expect(help.status).toBe(0);
    expect(help.stderr).toBe('');
  });

  it.each(['Usage', 'Overview'])("prints the README's %s text, in order", (title) => {
    // Overview: its first paragraph (the catalog's Short text); Usage: all of it, FunctionConfig included.
    const lines = title === 'Overview' ? section(title).slice(0, 2) : section(title);
    expect(lines.length).toBeGreaterThan(title === 'Overview' ? 1 : 20);
    let at = 0;
    for (const line of lines) {
      const found = help.stdout.indexOf(line, at);
      expect(found, `not printed (or out of order): ${line}`).toBeGreaterThanOrEqual(0);
      at = found + line.length;
    }
  });

  it('stops before the Examples section, which is for readers of the README', () => {
    expect(section('Examples').length).toBeGreaterThan(0);
    expect(help.stdout).not.toContain('Runnable examples');
  });
});
