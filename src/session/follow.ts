// Following an action to its end for a person or a script: a spinner on a terminal, the final
// action printed, and the exit code its outcome maps to. Used by push --wait and actions wait.

import type { ApiClient } from '../api/client.js';
import { outcomeExitCode, waitForAction, WaitTimeout } from '../api/wait.js';
import { exitCodeForCode } from '../errors/catalogue.js';
import { EXIT, type ExitCode } from '../errors/exit-codes.js';
import { type IO, writeLine } from '../output/io.js';
import { startSpinner } from '../output/spinner.js';
import { printAction } from '../output/views.js';

export const DEFAULT_WAIT_MS = 10 * 60_000;

export async function followAction(
  client: ApiClient,
  id: string,
  options: { io: IO; json?: boolean; quiet?: boolean; timeoutMs?: number },
): Promise<ExitCode> {
  const { io } = options;
  const spinner = startSpinner(io, `${id} …`, !options.json && !options.quiet);
  try {
    const done = await waitForAction(client, id, {
      signal: io.signal,
      timeoutMs: options.timeoutMs ?? DEFAULT_WAIT_MS,
      onUpdate: (a) => spinner.update(`${a.id} ${a.state}`),
    });
    spinner.stop();
    printAction(done, options, io);
    return outcomeExitCode(done, exitCodeForCode) as ExitCode;
  } catch (error) {
    spinner.stop();
    if (!(error instanceof WaitTimeout)) throw error;
    printAction(error.last, options, io);
    writeLine(io.stderr, `${error.last.id} is still ${error.last.state}; keep following it with: amps actions wait ${error.last.id}`);
    return EXIT.transient;
  }
}
