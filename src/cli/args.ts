// Flag parsing shared by the pipeline commands (fragment, prune, explain, check): node's
// parseArgs, with its errors turned into usage errors (exit 2) that name the flag.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Result, Severity } from '../model/result.ts';
import { exitCodeFor, printResults, UsageError, writeStdout } from './io.ts';

/** What a command did, for its thin run* wrapper to print: stdout, results for stderr, the exit code. */
export interface CommandRun {
  stdout: string;
  results: Result[];
  exitCode: number;
}

export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, '.'));
  }
}

/** `--now`: an RFC 3339 instant, or the current time. */
export function parseNow(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const now = new Date(value);
  if (Number.isNaN(now.getTime())) throw new UsageError(`--now ${value} is not an instant; use RFC 3339, such as 2026-12-24T00:00:00Z.`);
  return now;
}

/** `--output`: one of `allowed`, or the first one. */
export function parseOutput<T extends string>(value: string | undefined, allowed: readonly T[]): T {
  if (value === undefined) return allowed[0]!;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--output ${value} is not a known format; use ${allowed.length > 2 ? `${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}` : allowed.join(' or ')}.`);
  return value as T;
}

/** A whole number of at least `min`, for flags such as --revision. */
export function parseInteger(flag: string, value: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`${flag} ${value} is not a whole number from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'up' : max}.`);
  }
  return Number(value);
}

const ALL: readonly Severity[] = ['error', 'warning', 'info'];
export const QUIET: readonly Severity[] = ['error', 'warning'];

/**
 * The end of every pipeline command: its help when the flags asked for it (options undefined),
 * else its output on stdout, its results on stderr, and its exit code.
 */
export function finishCommand<O>(options: O | undefined, help: string, command: (options: O) => CommandRun, severities: readonly Severity[] = ALL): number {
  if (options === undefined) {
    writeStdout([`${help}\n`]);
    return 0;
  }
  const run = command(options);
  writeStdout([run.stdout]);
  printResults(run.results, severities);
  return exitCodeFor(run.results) || run.exitCode;
}
