#!/usr/bin/env node
// Launcher. Everything lives in the bundle; the exit code comes back from main() so the event loop
// can drain stdout before the process ends.
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
