#!/usr/bin/env node
// `npm run image`: builds the Dockerfile, as it is, into localhost/switchyard:dev with podman.
// No registry can be reached here, so it first makes local stand-ins for the two bases the
// Dockerfile names (scripts/image/bases.mjs; cached: a second run only rebuilds what changed).
// The build stage's `npm ci` needs the npm registry, so the build gets the host's network. The
// build stage's intermediate images are podman's layer cache: they are left in place, not pruned.
import { ensureBases } from './bases.mjs';
import { CONTAINERS_CONF, IMAGE, podman, podmanEnv, ROOT } from './podman.mjs';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(`Usage: npm run image

Builds the Dockerfile into ${IMAGE} with podman (--pull=never: only local images). Makes the
stand-in base images first when they are missing or made by an older recipe. Needs podman, runc
and debootstrap (apt-get install podman runc podman-docker debootstrap).

Then run the image with:
  export CONTAINERS_CONF=${CONTAINERS_CONF}
  KPT_FN_RUNTIME=podman kpt fn render DIR      # with image: ${IMAGE} in the Kptfile`);
  process.exit(0);
}

const started = process.hrtime.bigint();
const seconds = () => (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1);
try {
  podmanEnv();
  ensureBases();
  console.error(`stand-in bases ready after ${seconds()} s; podman build -t ${IMAGE}`);
  podman(['build', '--pull=never', '--network', 'host', '--layers', '-t', IMAGE, '-f', 'Dockerfile', ROOT], { inherit: true });
  const size = Number(podman(['image', 'inspect', '--format', '{{.Size}}', IMAGE]).trim());
  console.error(`built ${IMAGE} (${(size / 1e6).toFixed(1)} MB) in ${seconds()} s`);
  console.error(`run it: CONTAINERS_CONF=${CONTAINERS_CONF} KPT_FN_RUNTIME=podman kpt fn render DIR`);
} catch (error) {
  console.error(`npm run image: ${error.message}`);
  process.exit(1);
}
