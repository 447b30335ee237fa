// The suite's settings, kept in test/ with the suite (`vitest run --config test/vitest.config.mts`).
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    globalSetup: ['test/helpers/temp-root.ts'],
    // Kills, and fails the file for, any process a test file left running (a failed test's `amps listen`).
    setupFiles: ['test/helpers/leftover-children.ts'],
    // Most tests run amps as a process, some dozens of times in a row: on two loaded cores (CI runs
    // the files in parallel) vitest's 5 s default failed tests that were only slow, not hung.
    testTimeout: 30_000,
    // vitest's default is one worker fewer than the cores: one on a two-core machine, where a test
    // mostly waits for the amps process it started, so the cores sat half idle and the suite took
    // 757 s of CI's 15 minutes; two workers there took 606 s. Never fewer than two.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
