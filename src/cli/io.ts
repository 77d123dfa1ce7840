// The process edge shared by the commands: stdin, files and folders, and results on stderr.
import { isUtf8 } from 'node:buffer';
import { readdirSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isatty } from 'node:tty';
import type { Item } from '../krm/item.ts';
import { parseStream } from '../krm/resource-list.ts';
import { YamlBudget } from '../krm/yaml.ts';
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
  return decodeUtf8(readAtMost(0, MAX_INPUT_BYTES, 'standard input'), 'standard input');
}

const MIB = 1024 * 1024;

/** Reads a file descriptor to its end, but never more than `limit` bytes: a larger input is refused, not held. */
function readAtMost(fd: number, limit: number, name: string): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(4 * MIB, limit + 1 - total));
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); // a non-blocking pipe with nothing yet
      continue;
    }
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
    if (total > limit) throw new InputError(`${name} is more than ${limit / MIB} MiB, the input limit (${limit} bytes); split it into several renders.`);
  }
  return Buffer.concat(chunks, total);
}

/**
 * The text of a file or of stdin. Invalid UTF-8 is refused, not replaced: kpt, kustomize and
 * kubectl refuse it too ("invalid leading UTF-8 octet"), and replacement characters would change
 * the bytes of objects Switchyard copies through, which kpt then writes back into the user's files.
 */
export function decodeUtf8(buffer: Buffer, name: string): string {
  if (isUtf8(buffer)) return buffer.toString('utf8');
  const at = firstInvalidUtf8(buffer);
  let line = 1;
  for (let i = buffer.indexOf(10); i >= 0 && i < at; i = buffer.indexOf(10, i + 1)) line++;
  const byte = buffer[at]!.toString(16).toUpperCase().padStart(2, '0');
  throw new InputError(`${name} is not valid UTF-8: byte 0x${byte} at offset ${at} (line ${line}); YAML input must be UTF-8: convert the file, for example with iconv -f latin1 -t utf-8.`);
}

/** The offset of the first byte that does not belong to a valid UTF-8 sequence. */
function firstInvalidUtf8(buffer: Buffer): number {
  for (let i = 0; i < buffer.length; ) {
    const b = buffer[i]!;
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0 || i + length > buffer.length) return i;
    const sequence = buffer.subarray(i, i + length);
    if (!isUtf8(sequence)) return i; // a bad continuation, an overlong form, a surrogate or past U+10FFFF
    i += length;
  }
  return buffer.length;
}

const SKIPPED_FILES = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization', 'Kptfile']);

/** Files an input folder holds objects in: YAML, and JSON (which is YAML). */
const INPUT_EXTENSIONS = ['.yaml', '.yml', '.json'];

export interface InputFiles {
  /** The files to read, sorted. */
  files: string[];
  /** Files with an input extension that are left out, and why (for an info result). */
  skipped: { path: string; reason: string }[];
}

/**
 * The input files a path names: the file itself, or every *.yaml, *.yml and *.json below a
 * folder, sorted; kustomization files, hidden files and node_modules are skipped and named.
 */
export function listInputFiles(path: string): InputFiles {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new UsageError(`${path}: no such file or folder.`);
  }
  if (!stat.isDirectory()) return { files: [path], skipped: [] };
  const files: string[] = [];
  const skipped: InputFiles['skipped'] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = join(dir, entry.name);
      const isInput = INPUT_EXTENSIONS.some((ext) => entry.name.endsWith(ext));
      if (entry.name.startsWith('.') || entry.name === 'node_modules') {
        if (isInput) skipped.push({ path: displayPath(full), reason: 'a hidden file' });
        continue;
      }
      let isDirectory = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        try {
          isDirectory = statSync(full).isDirectory();
        } catch {
          if (isInput) skipped.push({ path: displayPath(full), reason: 'a symbolic link to nothing' });
          continue;
        }
      }
      if (isDirectory) walk(full);
      else if (isInput && SKIPPED_FILES.has(entry.name)) skipped.push({ path: displayPath(full), reason: 'a kustomization, which lists inputs rather than holding them' });
      else if (isInput) files.push(full);
    }
  };
  walk(path);
  return { files, skipped };
}

/** The input files a path names (see listInputFiles), without the skipped ones. */
export const listYamlFiles = (path: string): string[] => listInputFiles(path).files;

/**
 * The text of one file a user named, within the input limit: a missing file or a folder is a
 * usage error naming `as` (`--policy`), a file too large or not UTF-8 an input error.
 */
export function readInputText(path: string, as?: string): string {
  const named = as ? `${as} ${path}` : path;
  if (path === '-') return readStdin();
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new UsageError(`${named}: no such file.`);
  }
  if (stat.isDirectory()) throw new UsageError(`${named} is a folder; name a file.`);
  if (stat.size > MAX_INPUT_BYTES) throw new InputError(`${displayPath(path)} is ${(stat.size / MIB).toFixed(1)} MiB, more than the input limit of ${MAX_INPUT_BYTES / MIB} MiB; split it.`);
  let buffer: Buffer;
  try {
    buffer = readFileSync(path);
  } catch (error) {
    throw new InputError(`${displayPath(path)} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check its permissions.`);
  }
  // A file that grew since stat (or a device): the bound holds for what was read.
  if (buffer.length > MAX_INPUT_BYTES) throw new InputError(`${displayPath(path)} is more than the input limit of ${MAX_INPUT_BYTES / MIB} MiB; split it.`);
  return decodeUtf8(buffer, displayPath(path));
}

/** The text of a file (readInputText without a flag name); apply and reconcile still read through it. */
export const readTextFile = (path: string): string => readInputText(path);

export interface ReadObjects {
  items: Item[];
  results: Result[];
}

/**
 * THE reader of every YAML or JSON file a command reads (`-` is standard input): the objects of
 * the file, each read lazily and within every bound, and a result for each problem, naming the
 * file. The bounds: the input size (64 MiB, MAX_INPUT_BYTES), nesting (200 levels, MAX_DEPTH),
 * the values the yaml library may hold in one run (the shared `budget`: pass one budget to every
 * file of one run), and aliases (100 uses of one anchor, checked when an object is read). It never
 * throws for the content of a file; it throws UsageError for a path that names no file (naming
 * `as`, such as `--policy`), InputError for a file too large, unreadable or not UTF-8.
 */
export function readYamlFile(path: string, { budget = new YamlBudget(), as }: { budget?: YamlBudget; as?: string } = {}): ReadObjects {
  const text = readInputText(path, as);
  return parseStream(text, path === '-' ? 'stdin' : displayPath(path), budget);
}

/**
 * Every object of files, folders and `-` (stdin, once), through readYamlFile with one budget;
 * files a folder holds but that are not read (kustomization files, hidden files) are named in an
 * info result.
 */
export function readYamlPaths(paths: readonly string[], budget = new YamlBudget()): ReadObjects {
  if (paths.filter((p) => p === '-').length > 1) throw new UsageError('- (standard input) can be named once.');
  const items: Item[] = [];
  const results: Result[] = [];
  for (const path of paths) {
    const { files, skipped } = path === '-' ? { files: ['-'], skipped: [] } : listInputFiles(path);
    for (const file of files) {
      const read = readYamlFile(file, { budget });
      items.push(...read.items);
      results.push(...read.results);
    }
    for (const s of skipped) results.push({ severity: 'info', message: `${s.path}: not read, because it is ${s.reason}.`, file: { path: s.path } });
  }
  return { items, results };
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

/**
 * What an orchestrator that never shows results (kustomize, kubectl kustomize) must still show on
 * stderr: errors, warnings, and the info results that say a fragment was left out (expired, its
 * workload gone), the only results that name a RouteFragment at info severity.
 */
export const forStderr = (results: readonly Result[]): Result[] =>
  results.filter((r) => r.severity !== 'info' || r.resourceRef?.kind === 'RouteFragment');

export const exitCodeFor = (results: readonly Result[]): number => (results.some((r) => r.severity === 'error') ? 1 : 0);
