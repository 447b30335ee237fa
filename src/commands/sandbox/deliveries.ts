// `amps sandbox deliveries`: what `amps sandbox serve --webhook` sent, try by try: where, the
// answer, how long it took, and whether it will try again. "We never got the webhook" starts here.

import { Command } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../../config/globals.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { withExamples } from '../../output/command-help.js';
import { type CommandState, type IO, type Run, writeJson, writeLine } from '../../output/io.js';
import { formatTable } from '../../output/table.js';
import { withSession } from '../../session/connect.js';
import { sandboxCall } from '../../session/sandbox-routes.js';
import { redactUrl } from '../../lib/values.js';

export async function run(options: GlobalOptions, io: IO): Promise<ExitCode> {
  const { sandboxDeliveries } = await import('../../api/resources.js');
  return withSession(options, io, async (session) => {
    const { data } = await sandboxCall(session, 'webhook deliveries', () => sandboxDeliveries(session.client));
    // A webhook URL's credentials are never printed, in --json or the table.
    const items: Array<Record<string, unknown>> = data.items.map((d) => ({ ...d, url: redactUrl(String(d.url)) }));
    if (options.json) {
      writeJson(io, { delivering: data.delivering, items });
      return EXIT.ok;
    }
    if (!data.delivering) {
      writeLine(io.stderr, 'This sandbox delivers to no URL: start one with amps sandbox serve --webhook URL, or forward events with amps listen --forward-to URL.');
      return EXIT.ok;
    }
    if (items.length === 0) {
      writeLine(io.stderr, 'No deliveries yet: events come when actions complete or fail.');
      return EXIT.ok;
    }
    const text = (value: unknown) => (value === null || value === undefined ? '-' : String(value));
    const rows = items.map((d) => [text(d.at), text(d.type), text(d.eventId), text(d.url), text(d.try), d.status === null ? text(d.error) : text(d.status), `${text(d.latencyMs)} ms`, d.outcome === 'retrying' ? `retrying at ${text(d.nextTryAt)}` : text(d.outcome)]);
    io.stdout.write(await formatTable(['at', 'event', 'id', 'url', 'try', 'answer', 'took', 'outcome'], rows, { tty: io.stdoutIsTTY, style: io.out, columns: io.columns }));
    return EXIT.ok;
  });
}

export function deliveriesCommand(state: CommandState, runF: Run<GlobalOptions> = run) {
  const command = new Command('deliveries')
    .description('List the webhook deliveries of amps sandbox serve --webhook: each try, its answer and what comes next')
    .action(async (options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), ...options }, state.io, state.argv);
    });
  return withExamples(command, ['amps sandbox deliveries', 'amps sandbox deliveries --json | jq \'.items[] | select(.outcome != "delivered")\'']);
}
