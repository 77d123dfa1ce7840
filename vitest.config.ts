import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// The same version the build defines into the bundle, so that in-process tests (golden fixtures)
// stamp what the executable stamps.
const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  define: { SWITCHYARD_VERSION: JSON.stringify(version) },
  test: {
    include: ['test/**/*.test.ts'],
    // test/image/ runs the built image through podman: `npm run test:image` (test/image/vitest.config.ts).
    exclude: ['test/image/**', '**/node_modules/**'],
    // End-to-end tests start kpt and kustomize; two cores, so keep parallelism modest.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
