// The process edge shared by the commands: stdin, files and folders, and results on stderr.
import { readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isatty } from 'node:tty';
import type { Result, Severity } from '../model/result.ts';

/** A mistake in how the command was called: exit 2 with one line and a pointer to --help. */
export class UsageError extends Error {}

/** A problem with the user's input that is not a result of the merge, such as a missing file: exit 1. */
export class InputError extends Error {}

/** The input limit: a render of 10,000 fragments is a few megabytes; 64 MiB is far beyond any real one. */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

/**
 * Whether standard input is a terminal. (Not process.stdin.isTTY: touching process.stdin makes a
 * piped fd 0 non-blocking, and readFileSync(0) then fails with EAGAIN on a slow producer.)
 */
export const stdinIsTerminal = (): boolean => isatty(0);

export function readStdin(): string {
  if (stdinIsTerminal()) throw new UsageError('nothing on standard input; pipe YAML into it, or name files and folders.');
  const buffer = readFileSync(0);
  if (buffer.length > MAX_INPUT_BYTES) throw new InputError(`standard input is ${buffer.length} bytes; the limit is ${MAX_INPUT_BYTES}.`);
  return buffer.toString('utf8');
}

const SKIPPED_FILES = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization', 'Kptfile']);

/** The YAML files a path names: the file itself, or every *.yaml / *.yml below a folder, sorted. */
export function listYamlFiles(path: string): string[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new UsageError(`${path}: no such file or folder.`);
  }
  if (stat.isFile()) return [path];
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.ya?ml$/.test(entry.name) && !SKIPPED_FILES.has(entry.name)) files.push(full);
    }
  };
  walk(path);
  return files;
}

export function readTextFile(path: string): string {
  const size = statSync(path).size;
  if (size > MAX_INPUT_BYTES) throw new InputError(`${path} is ${size} bytes; the limit is ${MAX_INPUT_BYTES}.`);
  return readFileSync(path, 'utf8');
}

/**
 * Writes to stdout synchronously, piece by piece (fd 1 stays blocking as long as process.stdout is
 * never touched), so that a large output is never joined into one string first.
 */
export function writeStdout(chunks: readonly string[]): void {
  for (const chunk of chunks) {
    let buffer = Buffer.from(chunk, 'utf8');
    while (buffer.length > 0) {
      try {
        buffer = buffer.subarray(writeSync(1, buffer));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      }
    }
  }
}

/** A path as results show it: relative to the working folder. */
export const displayPath = (path: string): string => relative(process.cwd(), path) || path;

const useColor = (): boolean => process.stderr.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
const COLORS: Record<Severity, string> = { error: '\x1b[31m', warning: '\x1b[33m', info: '\x1b[2m' };

/** Results for people, one line each: `error: RouteFragment shop/x (x.yaml): spec.release.weight is 150; ...` */
export function printResults(results: readonly Result[], severities: readonly Severity[] = ['error', 'warning', 'info']): void {
  const color = useColor();
  const lines = results
    .filter((r) => severities.includes(r.severity))
    .map((r) => (color ? `${COLORS[r.severity]}${r.severity}\x1b[0m: ${r.message}` : `${r.severity}: ${r.message}`));
  if (lines.length > 0) process.stderr.write(`${lines.join('\n')}\n`);
}

export const exitCodeFor = (results: readonly Result[]): number => (results.some((r) => r.severity === 'error') ? 1 : 0);
