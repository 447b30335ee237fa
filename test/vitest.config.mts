// The suite's settings, kept in test/ with the suite (`vitest run --config test/vitest.config.mts`).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    globalSetup: ['test/helpers/temp-root.ts'],
    // Most tests run amps as a process, some dozens of times in a row: on two loaded cores (CI runs
    // the files in parallel) vitest's 5 s default failed tests that were only slow, not hung.
    testTimeout: 30_000,
  },
});
