import { readFileSync } from 'node:fs';
import { configDefaults, defineConfig } from 'vitest/config';

// The same version the build defines into the bundle, so that in-process tests (golden fixtures)
// stamp what the executable stamps.
const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  define: { SWITCHYARD_VERSION: JSON.stringify(version) },
  test: {
    include: ['test/**/*.test.ts'],
    // One temporary folder for the whole run, removed at its end (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    // Slower suites with their own scripts, which .ci/run runs: the canary against a real Prometheus
    // (npm run test:prometheus) and the built image through podman (npm run test:image).
    exclude: [...configDefaults.exclude, 'test/prometheus/**', 'test/image/**'],
    // End-to-end tests start kpt and kustomize; two cores, so keep parallelism modest.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
