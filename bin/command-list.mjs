// Writes src/commands/command-list.json: every top-level command's name, aliases and summary as
// the program's help lists them, so `amps help` can list commands without loading them (src/cli.ts).
// Run by `npm run completions` after a build; test/help.test.ts fails when it is out of date.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const { commandList } = createRequire(import.meta.url)('../dist/cli.cjs');
const list = await commandList();
writeFileSync(new URL('../src/commands/command-list.json', import.meta.url), `${JSON.stringify(list, null, 2)}\n`);
console.error(`Wrote src/commands/command-list.json (${list.length} commands)`);
