// `amps actions`: a noun with sub-verbs, one file each.

import { Command } from '@commander-js/extra-typings';
import { withExamples } from '../../output/command-help.js';
import type { CommandState } from '../../output/io.js';
import { cancelCommand } from './cancel.js';
import { getCommand } from './get.js';
import { listCommand } from './list.js';
import { waitCommand } from './wait.js';

export function actionsCommand(state: CommandState) {
  const actions = new Command('actions').description('List, inspect, cancel and follow actions');
  for (const sub of [listCommand(state), getCommand(state), cancelCommand(state), waitCommand(state)]) actions.addCommand(sub as unknown as Command);
  return withExamples(actions, ['amps actions list', 'amps actions wait ACTION_ID']);
}
