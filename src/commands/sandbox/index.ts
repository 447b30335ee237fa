// `amps sandbox`: the local Amps API emulator, served or reset.

import { Command } from '@commander-js/extra-typings';
import { withExamples } from '../../output/command-help.js';
import type { CommandState } from '../../output/io.js';
import { resetCommand } from './reset.js';
import { serveCommand } from './serve.js';

export function sandboxCommand(state: CommandState) {
  const sandbox = new Command('sandbox').description('The local Amps API emulator: serve it, or reset the embedded one');
  for (const sub of [serveCommand(state), resetCommand(state)]) sandbox.addCommand(sub as unknown as Command);
  return withExamples(sandbox, ['amps sandbox serve --port 4010', 'amps sandbox reset']);
}
