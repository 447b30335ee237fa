#!/usr/bin/env node
'use strict';
// CommonJS on purpose: on Node 20 the ESM loader adds ~25 ms to every start (bench/startup.mjs).
// The exit code comes back from main() so stdout drains before the process ends.
require('../dist/cli.cjs')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
