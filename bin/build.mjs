// Builds amps for a fast start on Node 20, where every run pays for the modules it loads.
// - dist/boot.cjs: the entry bin/amps requires. Small; it loads the bundles below through the compile
//   cache (src/boot.ts) and runs the program.
// - dist/cli.cjs: all of amps' own code and commander in one CommonJS file. One read, one parse,
//   and no ESM loader: on Node 20 the ESM loader alone adds ~25 ms to a start (bench/startup.mjs).
//   Help, completion and a mistyped command run it.
// - dist/cli-<command>.cjs: the same program with one command alone (src/cli.ts AMPS_BUNDLE_COMMAND),
//   a third of the size: what every command's run reads and deserialises, ~7 M instructions less.
// - dist/vendor/*.cjs: the heavy third-party packages (undici, @inquirer/prompts, cli-table3, conf,
//   chalk, standardwebhooks, csv-parse), each bundled apart and reached only through `await import()` on the paths that use it.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';

// Each vendored bundle's module.exports is what `await import(name)` hands amps: the lazy require()
// below treats it as Node treats a CommonJS module, so its exports object is the default export.
const VENDOR_EXPORTS = {
  // Only what the client uses: the two agents, with the request API installed on dispatchers as
  // undici's own index does. Leaving out fetch, WebSocket, the cache and the mocks halves the bundle.
  undici: [
    "const Dispatcher = require('undici/lib/dispatcher/dispatcher');",
    "Object.assign(Dispatcher.prototype, require('undici/lib/api'));",
    "module.exports = { Agent: require('undici/lib/dispatcher/agent'), EnvHttpProxyAgent: require('undici/lib/dispatcher/env-http-proxy-agent'), Pool: require('undici/lib/dispatcher/pool') };",
  ].join('\n'),
  '@inquirer/prompts': "module.exports = require('@inquirer/prompts');",
  'cli-table3': "module.exports = require('cli-table3');",
  conf: "module.exports = require('conf').default;",
  chalk: "module.exports = require('chalk');",
  // The Standard Webhooks signer (Svix's scheme): only the webhook commands and `sandbox serve --webhook` load it.
  standardwebhooks: "module.exports = require('standardwebhooks');",
  // The CSV parser of fleet device lists: a tenth of the program bundle, which every start reads and whose every
  // top-level function each compile-cache entry carries.
  'csv-parse': "module.exports = require('csv-parse');",
};
// commander requires node:child_process at load for executable subcommands, which amps has none of;
// child_process drags in net, dgram and the streams (~3 ms of every start). It gets a stand-in that
// loads the real module on first use.
const LAZY_CHILD_PROCESS = [
  'let real;',
  "module.exports = new Proxy({}, { get: (_, key) => (real ??= require('node:child_process'))[key] });",
].join('\n');
const vendorFile = (name) => `${name.replace(/^@/, '').replace(/\//g, '-')}.cjs`;
// Without native dynamic import, esbuild turns `await import()` into a lazy require(): no ESM loader at all.
const common = { bundle: true, format: 'cjs', platform: 'node', target: 'node20', minify: true, legalComments: 'none', logLevel: 'warning', supported: { 'dynamic-import': false } };
const vendored = new RegExp(`^(${Object.keys(VENDOR_EXPORTS).map((n) => n.replace('/', '\\/')).join('|')})$`);

// Every top-level command but completion (which describes them all) has its own bundle; its
// aliases (`inspect`) lead there too. The list is the program's own (npm run completions writes it).
// `help` has one with no command at all: help, its topics and a bare `amps` list commands by name.
const COMMAND_LIST = JSON.parse(readFileSync(new URL('../src/commands/command-list.json', import.meta.url), 'utf8'));
const OWN_BUNDLES = [...COMMAND_LIST.filter((c) => c.name !== 'completion'), { name: 'help', aliases: [] }];
const commandBundles = Object.fromEntries(OWN_BUNDLES.flatMap((c) => [c.name, ...c.aliases].map((name) => [name, c.name])));

/** The program: all its commands (`command` undefined), or the one named. */
const program = (command) =>
  build({
    ...common,
    entryPoints: ['src/cli.ts'],
    outfile: command === undefined ? 'dist/cli.cjs' : `dist/cli-${command}.cjs`,
    define: { AMPS_BUNDLE_COMMAND: command === undefined ? 'undefined' : JSON.stringify(command) },
    plugins: [
      {
        name: 'vendor',
        setup(b) {
          b.onResolve({ filter: vendored }, (args) => ({ path: `./vendor/${vendorFile(args.path)}`, external: true }));
        },
      },
      {
        name: 'lazy-child-process',
        setup(b) {
          b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
            /[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-builtin' } : undefined,
          );
          b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, () => ({ contents: LAZY_CHILD_PROCESS, loader: 'js' }));
        },
      },
    ],
  });

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await Promise.all([
  program(undefined),
  ...OWN_BUNDLES.map((c) => program(c.name)),
  ...Object.entries(VENDOR_EXPORTS).map(([name, contents]) =>
    build({ ...common, stdin: { contents, resolveDir: process.cwd(), loader: 'js' }, outfile: `dist/vendor/${vendorFile(name)}` }),
  ),
]);

// The entry is built last, knowing a digest of the bundles it loads: the compile cache keys its
// entries by it (src/boot.ts), because size and modification time alone do not tell two builds
// apart (npm stamps every installed file with the same 1985 date; a release that changes only its
// version number keeps every size).
const digest = createHash('sha256');
const bundles = readdirSync('dist').filter((name) => name.endsWith('.cjs')).sort().map((name) => `dist/${name}`);
for (const file of [...bundles, ...readdirSync('dist/vendor').sort().map((name) => `dist/vendor/${name}`)]) digest.update(file).update(readFileSync(file));
await build({
  ...common,
  entryPoints: ['src/boot.ts'],
  outfile: 'dist/boot.cjs',
  define: { AMPS_BUILD_DIGEST: JSON.stringify(digest.digest('hex').slice(0, 32)), AMPS_COMMAND_BUNDLES: JSON.stringify(commandBundles) },
});

// esbuild escapes what lies beyond ASCII in strings, but not in a regex literal. One such
// character makes V8 read the whole bundle as two-byte text: ~2 M more instructions for every
// start (4 M for `get`, bench/startup.mjs --instructions). Spell it as an escape (\u2026).
for (const file of [...readdirSync('dist').filter((name) => name.endsWith('.cjs')).map((name) => `dist/${name}`), ...readdirSync('dist/vendor').map((name) => `dist/vendor/${name}`)]) {
  const text = readFileSync(file);
  const beyond = text.findIndex((byte) => byte > 0x7f);
  if (beyond !== -1) {
    const line = text.subarray(0, beyond).toString('latin1').split('\n').length;
    console.error(`build: ${file}, line ${line}: a character beyond ASCII (${JSON.stringify(text.subarray(Math.max(0, beyond - 30), beyond + 10).toString())}); spell it as a \\u escape in the source`);
    process.exit(1);
  }
}

