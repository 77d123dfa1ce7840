// What the image tests share: podman as it runs here (scripts/image/podman.mjs), the image that
// `npm run image` built, and a PATH on which kpt and kustomize find a `podman` that records each
// call before it runs the real one, and a `docker` that is Debian's podman-docker.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IMAGE, podmanEnv } from '../../scripts/image/podman.mjs';

export { IMAGE } from '../../scripts/image/podman.mjs';
export { podman } from '../../scripts/image/podman.mjs';

/** Debian's podman-docker: a script that execs podman. /usr/local/bin/docker, if any, is Docker's client, with no engine. */
const PODMAN_DOCKER = '/usr/bin/docker';
const END = '\u001e';

export interface ImageTools {
  env: NodeJS.ProcessEnv;
  /** Every podman run that kpt or kustomize made since the tools were set up, as argument lists. */
  runs(): string[][];
}

/** Fails loudly unless podman, podman-docker and the built image are all here. */
export function imageTools(): ImageTools {
  const base = podmanEnv();
  const which = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  const realPodman = which('podman');
  if (!existsSync(PODMAN_DOCKER) || !readFileSync(PODMAN_DOCKER, 'utf8').includes('podman')) {
    throw new Error(`${PODMAN_DOCKER} is not Debian's podman-docker: apt-get install podman-docker (kustomize runs container functions with \`docker\`).`);
  }
  if (spawnSync(realPodman, ['image', 'exists', IMAGE], { env: base }).status !== 0) throw new Error(`there is no image ${IMAGE}: run npm run image first.`);
  const bin = mkdtempSync(join(tmpdir(), 'switchyard-image-bin-'));
  const log = join(bin, 'podman-calls.log');
  appendFileSync(log, '');
  writeFileSync(join(bin, 'podman'), `#!/bin/sh\n{ for arg in "$@"; do printf '%s\\n' "$arg"; done; printf '${END}\\n'; } >> '${log}'\nexec '${realPodman}' "$@"\n`, { mode: 0o755 });
  // podman-docker execs /usr/bin/podman directly, so a docker call is recorded as docker's own
  // arguments through this second script.
  writeFileSync(join(bin, 'docker'), `#!/bin/sh\n{ for arg in "$@"; do printf '%s\\n' "$arg"; done; printf '${END}\\n'; } >> '${log}'\nexec '${PODMAN_DOCKER}' "$@"\n`, { mode: 0o755 });
  return {
    env: { ...base, PATH: `${bin}:${process.env.PATH}`, KPT_FN_RUNTIME: 'podman' },
    runs: () =>
      readFileSync(log, 'utf8')
        .split(`${END}\n`)
        .filter((call) => call.length > 0)
        .map((call) => call.replace(/\n$/, '').split('\n'))
        .filter((args) => args[0] === 'run'),
  };
}
