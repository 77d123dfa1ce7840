import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.ts';

// `npm run test:image`: the image that `npm run image` built, run by the real kpt and kustomize
// through podman. Not part of `npm test` (it needs podman and the image); .ci/run runs it after.
export default defineConfig({ ...base, test: { ...base.test, include: ['test/image/**/*.test.ts'], exclude: ['**/node_modules/**'] } });
