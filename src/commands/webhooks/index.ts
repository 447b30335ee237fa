// `amps webhooks`: verify a delivery's signature, and trigger a signed event on demand.

import { Command } from '@commander-js/extra-typings';
import { withExamples } from '../../output/command-help.js';
import type { CommandState } from '../../output/io.js';
import { triggerCommand } from './trigger.js';
import { verifyCommand } from './verify.js';

export function webhooksCommand(state: CommandState) {
  const webhooks = new Command('webhooks').description('Webhooks: say why a signature does not verify; send a signed event to a handler');
  for (const sub of [verifyCommand(state), triggerCommand(state)]) webhooks.addCommand(sub as unknown as Command);
  return withExamples(webhooks, ['amps webhooks verify --secret-file secret.txt delivery.txt', 'amps webhooks trigger push.failed --device bat_voltaro_01 --forward-to http://localhost:3000/hooks']);
}
