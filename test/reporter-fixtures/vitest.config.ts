import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Deliberately failing suites for test/unit/summary-reporter.test.ts, which runs vitest on this config
 * in a child process. Not part of the normal run (the root config does not include this folder).
 * REPORTER_FIXTURE_GLOBAL_SETUP=fail adds a global setup that throws.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    include: ['*.fixture.ts'],
    reporters: ['default', '../summary-reporter.ts'],
    globalSetup: process.env.REPORTER_FIXTURE_GLOBAL_SETUP === 'fail' ? ['./failing-global-setup.ts'] : [],
  },
});
