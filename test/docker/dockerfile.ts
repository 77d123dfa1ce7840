// A small Dockerfile reader for the tests (there is no Docker engine on our machines): the stages,
// and the instructions the image's promises rest on. It understands what our Dockerfile uses and
// fails on anything else, so that a new kind of instruction is looked at, never skipped.
import { chmodSync, cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';

export interface Instruction {
  keyword: string;
  /** The text after the keyword, continuation lines joined. */
  args: string;
  line: number;
}

export interface Copy {
  /** The stage the files come from; undefined for the build context. */
  from?: string;
  sources: string[];
  destination: string;
}

export interface Stage {
  image: string;
  platform?: string;
  name?: string;
  instructions: Instruction[];
}

const KNOWN = new Set(['FROM', 'WORKDIR', 'COPY', 'RUN', 'LABEL', 'USER', 'ENTRYPOINT', 'CMD', 'ENV', 'ARG', 'ADD', 'EXPOSE', 'VOLUME', 'HEALTHCHECK', 'SHELL', 'STOPSIGNAL', 'ONBUILD']);

export function parseDockerfile(text: string): Stage[] {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith('\\')) {
      line = line.slice(0, -1);
      // Comment lines inside a continuation are dropped, as Docker does.
      do i++;
      while (i < lines.length && /^\s*#/.test(lines[i]!));
      line += ` ${(lines[i] ?? '').trim()}`;
    }
    const found = line.trim().match(/^(\S+)\s+(.*)$/);
    if (!found) throw new Error(`Dockerfile line ${start + 1}: cannot read ${JSON.stringify(line)}`);
    const keyword = found[1]!.toUpperCase();
    if (!KNOWN.has(keyword)) throw new Error(`Dockerfile line ${start + 1}: unknown instruction ${keyword}`);
    instructions.push({ keyword, args: found[2]!.replace(/\s+/g, ' ').trim(), line: start + 1 });
  }
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(' ');
      const platform = words[0]?.startsWith('--platform=') ? words.shift()!.slice('--platform='.length) : undefined;
      const [image, as, name] = words;
      if (!image || (as !== undefined && (as.toUpperCase() !== 'AS' || !name))) throw new Error(`Dockerfile line ${instruction.line}: cannot read FROM ${instruction.args}`);
      stages.push({ image, ...(platform ? { platform } : {}), ...(name ? { name } : {}), instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') throw new Error(`Dockerfile line ${instruction.line}: ${instruction.keyword} before FROM`);
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

export const instructionsOf = (stage: Stage, keyword: string): Instruction[] => stage.instructions.filter((i) => i.keyword === keyword);

/** The stage's working folder after all its WORKDIR instructions ('/' when it sets none). */
export function workdirOf(stage: Stage): string {
  return instructionsOf(stage, 'WORKDIR').reduce((dir, i) => posix.resolve(dir, i.args), '/');
}

export function copiesOf(stage: Stage): Copy[] {
  return instructionsOf(stage, 'COPY').map((i) => {
    const words = i.args.split(' ');
    let from: string | undefined;
    while (words[0]?.startsWith('--')) {
      const flag = words.shift()!;
      if (flag.startsWith('--from=')) from = flag.slice('--from='.length);
      else throw new Error(`Dockerfile line ${i.line}: COPY ${flag} is not understood by this reader`);
    }
    if (words.length < 2) throw new Error(`Dockerfile line ${i.line}: COPY needs a source and a destination`);
    return { ...(from ? { from } : {}), sources: words.slice(0, -1), destination: words.at(-1)! };
  });
}

/** LABEL key="value" pairs of a stage. */
export function labelsOf(stage: Stage): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const i of instructionsOf(stage, 'LABEL')) {
    for (const [, key, quoted, bare] of i.args.matchAll(/([\w.-]+)=(?:"((?:[^"\\]|\\.)*)"|(\S+))/g)) labels[key!] = quoted ?? bare!;
  }
  return labels;
}

/** The exec form of ENTRYPOINT (a JSON array); the shell form is refused. */
export function entrypointOf(stage: Stage): string[] {
  const all = instructionsOf(stage, 'ENTRYPOINT');
  const last = all.at(-1);
  if (!last) throw new Error('the final stage has no ENTRYPOINT');
  const parsed: unknown = JSON.parse(last.args);
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string')) throw new Error(`ENTRYPOINT ${last.args} is not the exec form`);
  return parsed as string[];
}

/** Where a file the final stage copies from a stage (or the context) is, in that stage's file system. */
export function destinationsOf(copy: Copy, workdir: string): { source: string; target: string }[] {
  const dest = posix.resolve(workdir, copy.destination);
  const many = copy.sources.length > 1 || copy.destination.endsWith('/');
  return copy.sources.map((source) => ({ source, target: many ? posix.join(dest, posix.basename(source)) : dest }));
}

export interface AssembledImage {
  /** A folder standing for the image's root file system. */
  rootfs: string;
  entrypoint: string[];
  workdir: string;
  user?: string;
}

/**
 * The final stage's file system, put together the way the engine would, for a stand-in engine to
 * run: files COPYed from the build stage come from `buildOutput` (the folder that stage's WORKDIR
 * stands for: the repository, whose dist/ the build made), files from the context from `context`.
 * The base image's node (`/nodejs/bin/node` in distroless) is the node running the tests.
 */
export function assembleImage(stages: readonly Stage[], context: string, buildOutput: string): AssembledImage {
  const final = stages.at(-1)!;
  const rootfs = mkdtempSync(join(tmpdir(), 'switchyard-rootfs-'));
  chmodSync(rootfs, 0o755);
  for (const copy of copiesOf(final)) {
    const from = copy.from === undefined ? undefined : stages.find((s) => s.name === copy.from);
    if (copy.from !== undefined && !from) throw new Error(`COPY --from=${copy.from}: no such stage`);
    for (const { source, target } of destinationsOf(copy, workdirOf(final))) {
      const hostSource = from ? join(buildOutput, posix.relative(workdirOf(from), posix.resolve(workdirOf(from), source))) : join(context, source);
      mkdirSync(join(rootfs, posix.dirname(target)), { recursive: true, mode: 0o755 });
      cpSync(hostSource, join(rootfs, target), { recursive: true });
    }
  }
  const entrypoint = entrypointOf(final);
  if (entrypoint[0] === '/nodejs/bin/node') {
    mkdirSync(join(rootfs, 'nodejs', 'bin'), { recursive: true, mode: 0o755 });
    symlinkSync(process.execPath, join(rootfs, 'nodejs', 'bin', 'node'));
  }
  const user = instructionsOf(final, 'USER').at(-1)?.args;
  return { rootfs, entrypoint, workdir: workdirOf(final), ...(user ? { user } : {}) };
}

/** Writes the stand-in engine's image table: reference -> assembled image. */
export function writeImageTable(images: Record<string, AssembledImage>): string {
  const file = join(mkdtempSync(join(tmpdir(), 'switchyard-images-')), 'images.json');
  writeFileSync(file, JSON.stringify(images, null, 2));
  return file;
}

