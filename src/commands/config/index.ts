// `amps config`: a noun with sub-verbs, one file each (login, its interactive twin, is a verb of its own).

import { Command } from '@commander-js/extra-typings';
import { withExamples } from '../../output/command-help.js';
import type { CommandState } from '../../output/io.js';
import { listCommand } from './list.js';
import { profilesCommand } from './profiles.js';
import { setCommand } from './set.js';
import { unsetCommand } from './unset.js';
import { useCommand } from './use.js';

export { loginCommand } from './login.js';

export function configCommand(state: CommandState) {
  const config = new Command('config').description('Profiles: where amps sends requests and with which key');
  for (const sub of [setCommand(state), unsetCommand(state), useCommand(state), listCommand(state), profilesCommand(state)]) config.addCommand(sub as unknown as Command);
  return withExamples(config, ['amps config list', 'amps config use prod']);
}
