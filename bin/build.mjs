// Bundles src/cli.ts into dist/ with code splitting: every `await import()` in the source becomes
// its own chunk, so heavy modules (undici, inquirer, cli-table3, conf, the sandbox) load only on
// the paths that use them. The banner gives bundled CommonJS dependencies a working `require`.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifySyntax: true,
  legalComments: 'none',
  chunkNames: 'chunks/[name]-[hash]',
  banner: {
    js: "import { createRequire as __ampsCreateRequire } from 'node:module'; const require = __ampsCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
