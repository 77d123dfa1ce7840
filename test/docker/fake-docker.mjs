#!/usr/bin/env node
// A stand-in for the `docker` command, for machines with no Docker engine. kpt and kustomize run
// container functions by calling `docker run`; this answers the calls they make and runs an image
// that test/docker/dockerfile.ts assembled from the Dockerfile: the ENTRYPOINT, in the image's
// WORKDIR, as the --user asked for (when the tests run as root), with each --mount linked in.
// It is not a container: no namespaces, and absolute paths in the entry point are mapped into
// the assembled root file system. Every call is logged as one JSON line to $FAKE_DOCKER_LOG.
//   FAKE_DOCKER_IMAGES  a JSON file: { "<image reference>": { rootfs, entrypoint, workdir, user } }
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';

const args = process.argv.slice(2);
if (process.env.FAKE_DOCKER_LOG) appendFileSync(process.env.FAKE_DOCKER_LOG, `${JSON.stringify({ cwd: process.cwd(), args })}\n`);
const fail = (code, message) => {
  process.stderr.write(`docker (stand-in): ${message}\n`);
  process.exit(code);
};

const [command, ...rest] = args;
if (command === 'version') {
  process.stdout.write('28.0.0-stand-in\n');
  process.exit(0);
}
if (command !== 'run') fail(125, `${command} is not something this stand-in does`);

const VALUE_FLAGS = new Set(['-a', '--attach', '--network', '--user', '-u', '--mount', '-e', '--env', '--pull', '--workdir', '-w', '--entrypoint', '-v', '--volume', '--name']);
const options = { env: {}, mounts: [] };
let i = 0;
for (; i < rest.length; i++) {
  const arg = rest[i];
  if (!arg.startsWith('-')) break;
  let [flag, value] = arg.includes('=') && arg.startsWith('--') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
  if (VALUE_FLAGS.has(flag) && value === undefined) value = rest[++i];
  if (flag === '--user' || flag === '-u') options.user = value;
  else if (flag === '--network') options.network = value;
  else if (flag === '-e' || flag === '--env') {
    const eq = value.indexOf('=');
    if (eq >= 0) options.env[value.slice(0, eq)] = value.slice(eq + 1);
    else if (process.env[value] !== undefined) options.env[value] = process.env[value];
  } else if (flag === '--mount') {
    const fields = Object.fromEntries(value.split(',').map((kv) => (kv.includes('=') ? kv.split(/=(.*)/s, 2) : [kv, 'true'])));
    if (fields.type !== 'bind') fail(125, `--mount type=${fields.type} is not supported`);
    const source = fields.source ?? fields.src;
    const target = fields.target ?? fields.dst ?? fields.destination;
    if (!source || !target || !isAbsolute(target)) fail(125, `invalid mount config ${value}`);
    options.mounts.push({ source: resolve(source), target }); // relative sources resolve like docker >= 23
  } else if (flag === '-v' || flag === '--volume' || flag === '--entrypoint' || flag === '-w' || flag === '--workdir') {
    fail(125, `${flag} is not supported by this stand-in`);
  }
}
const reference = rest[i];
const extra = rest.slice(i + 1);
if (!reference) fail(125, '"docker run" requires at least 1 argument');
const images = JSON.parse(readFileSync(process.env.FAKE_DOCKER_IMAGES ?? fail(125, 'FAKE_DOCKER_IMAGES is not set'), 'utf8'));
const image = images[reference];
if (!image) fail(125, `Unable to find image '${reference}' locally; this stand-in has only ${Object.keys(images).join(', ')}`);

// Each run gets its own copy of the image's file system, as each container does.
const root = mkdtempSync(join(tmpdir(), 'switchyard-container-'));
chmodSync(root, 0o755);
cpSync(image.rootfs, root, { recursive: true, verbatimSymlinks: true });
for (const mount of options.mounts) {
  if (!existsSync(mount.source)) fail(125, `invalid mount config: bind source path does not exist: ${mount.source}`);
  const at = join(root, mount.target);
  if (existsSync(at)) fail(125, `Duplicate mount point: ${mount.target}`);
  mkdirSync(dirname(at), { recursive: true });
  symlinkSync(mount.source, at);
}
const inRootfs = (p) => (isAbsolute(p) && existsSync(join(root, p)) ? join(root, p) : p);
const [program, ...programArgs] = [...image.entrypoint, ...extra].map(inRootfs);
const user = options.user ?? image.user;
const uid = user === undefined ? undefined : user.split(':')[0] === 'nobody' ? 65534 : Number(user.split(':')[0]);
const asUser = process.getuid?.() === 0 && uid !== undefined ? { uid, gid: uid } : {};
const result = spawnSync(program, programArgs, {
  cwd: join(root, image.workdir),
  env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...options.env },
  stdio: 'inherit',
  ...asUser,
});
rmSync(root, { recursive: true, force: true });
if (result.error) fail(127, String(result.error));
process.exit(result.status ?? 128);
