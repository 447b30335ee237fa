// `amps sandbox`: the local Amps API emulator, served or reset.

import { Command } from '@commander-js/extra-typings';
import { withExamples } from '../../output/command-help.js';
import type { CommandState } from '../../output/io.js';
import { deliveriesCommand } from './deliveries.js';
import { resetCommand } from './reset.js';
import { secretCommand } from './secret.js';
import { serveCommand } from './serve.js';

export function sandboxCommand(state: CommandState) {
  const sandbox = new Command('sandbox').description('The local Amps API emulator: serve it, reset it, its webhook secret and deliveries');
  for (const sub of [serveCommand(state), resetCommand(state), secretCommand(state), deliveriesCommand(state)]) sandbox.addCommand(sub as unknown as Command);
  return withExamples(sandbox, ['amps sandbox serve --port 4010', 'amps sandbox reset', 'amps sandbox secret', 'amps sandbox deliveries']);
}
