// npm run test:prometheus: the tests that start a real Prometheus (test/prometheus/), kept out of
// npm test for time; .ci/run runs them after npm test.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

export default defineConfig({ ...base, test: { ...base.test, include: ['test/prometheus/**/*.test.ts'], exclude: [] } });
