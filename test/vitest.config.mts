// The suite's settings, kept in test/ with the suite (`vitest run --config test/vitest.config.mts`).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    globalSetup: ['test/helpers/temp-root.ts'],
  },
});
