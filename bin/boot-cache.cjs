'use strict';
// Makes the V8 code cache bin/amps compiles dist/boot.cjs with. bin/build.mjs runs it once the
// bundles are built, in a process of the Node that built them: it loads boot.cjs as bin/amps does,
// runs `amps explain SCHEDULER_ACTIVE` with the program's own cache warm in a private folder (the
// path most runs take through boot.cjs), and once that is done takes the code V8 compiled for
// boot.cjs, its functions included, into the file bin/amps looks for.
// Usage: AMPS_CACHE_DIR=<warm folder> AMPS_CONFIG_DIR=<empty folder> node bin/boot-cache.cjs
const { renameSync, writeFileSync } = require('node:fs');
const { loadBoot, BOOT_CACHE } = require('./amps');

const { exports: boot, script } = loadBoot(undefined);
boot.boot(['explain', 'SCHEDULER_ACTIVE']);
process.on('exit', () => {
  const partial = `${BOOT_CACHE}.${process.pid}.partial`;
  writeFileSync(partial, script.createCachedData());
  renameSync(partial, BOOT_CACHE);
});
