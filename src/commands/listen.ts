// `amps listen`: follows the sandbox's webhook events (embedded or served) and forwards each to a
// local URL, signed with the sandbox's secret and with the headers a real delivery carries, as
// `stripe listen --forward-to` does. Never a silent stall: a heartbeat when idle on a terminal, a
// message and exit 6 when the sandbox goes away; Ctrl-C exits 130 after the delivery in flight.

import { apiInstant } from '../contract/api-time.js';
import { Command, Option } from '@commander-js/extra-typings';
import { sleep } from '../api/client.js';
import { delivered, postWebhook, webhookTarget } from '../api/webhook-post.js';
import { DEFAULT_TIMEOUT_MS, globalsOf, type GlobalOptions } from '../config/globals.js';
import { duration, fileOrUrl, repeatable } from '../config/option-parsers.js';
import { EXIT, type ExitCode } from '../contract/exit-codes.js';
import { setHardStopNote } from '../lib/hard-stop.js';
import type { WebhookEvent } from '../contract/webhooks.js';
import { deliveryHeaders, eventFilter } from '../domain/webhooks.js';
import { ApiFailure, InterruptedError, UsageError } from '../errors/failures.js';
import { redactUrl } from '../lib/values.js';
import { withExamples } from '../output/command-help.js';
import { type CommandState, type IO, type Run, writeJsonLine, writeLine, writeNotice } from '../output/io.js';
import { show } from '../output/text.js';
import { withSession } from '../session/connect.js';
import { sandboxSigningSecret } from '../session/sandbox-routes.js';

export interface ListenOptions extends GlobalOptions {
  forwardTo?: string;
  events?: string[];
  since?: number;
  printSecret?: boolean;
}

const POLL_MS = 500;
const HEARTBEAT_MS = 30_000;


/** What a line names about an event: the device, and the code of a failed push. */
function eventSummary(event: WebhookEvent): string {
  const device = typeof event.body.deviceId === 'string' ? event.body.deviceId : '-';
  const code = typeof event.body.errorCode === 'string' ? ` ${event.body.errorCode}` : '';
  return `${show(event.type)} ${show(device)}${show(code)}`;
}

export async function run(options: ListenOptions, io: IO): Promise<ExitCode> {
  const target = options.forwardTo !== undefined ? webhookTarget(options.forwardTo, '--forward-to') : undefined;
  const types = options.events?.flatMap((e) => e.split(',')).map((e) => e.trim()).filter(Boolean);
  // `--events "$UNSET"` names no event: read as "all" it would show everything the operator meant to filter.
  if (options.events !== undefined && types!.length === 0) throw new UsageError('--events is given but names no event', 'e.g. --events push.failed,device.*; leave it out for every event');
  const matches = eventFilter(types);
  const { listSandboxEvents } = await import('../api/resources.js');
  return withSession(options, io, async (session) => {
    const { data: { secret }, meta } = await sandboxSigningSecret(session, 'webhook events');
    if (options.printSecret) {
      if (options.json) writeJsonLine(io, { secret });
      else writeLine(io.stdout, `Webhook signing secret: ${secret}`);
    }
    // From now on, or replaying what the sandbox kept from --since ago, by the sandbox's clock (its
    // answer's timestamp): the events are stamped on it, and a sandbox's clock can be stepped.
    const sandboxNow = apiInstant(meta.timestamp) ?? io.now().getTime();
    const since = options.since !== undefined ? new Date(sandboxNow - options.since).toISOString() : undefined;
    // The cursor starts at the last event published (a sandbox before readySeq: the last made).
    // --since replays by time only what was published before listen began: once a page of it is
    // the last, the cursor moves there, and every event after it is shown whatever its time (a
    // clock stepped back stamps new events before --since).
    const publishedBy = (page: { lastSeq: number; readySeq?: number }) => (typeof page.readySeq === 'number' ? page.readySeq : page.lastSeq);
    let replaying = since !== undefined;
    let cursor = replaying ? 0 : publishedBy((await listSandboxEvents(session.client, { after: Number.MAX_SAFE_INTEGER })).data);
    // The id of the event at the cursor: each page starts one before it, so a sandbox reset since
    // (numbered from 1 again, perhaps back up to the cursor already) shows as another event there.
    let cursorId: string | undefined;
    const source = session.embedded ? 'the embedded sandbox' : redactUrl(session.target.apiUrl.value ?? '');
    if (!options.quiet && !options.json) {
      writeLine(io.stderr, io.err.dim(`Listening to ${source}${target ? `, forwarding to ${redactUrl(target)}` : ''}${since ? `, from ${since}` : ''} · Ctrl-C stops`));
    }
    let lastActivity = Date.now();
    let forwarded = 0;
    /** Deliveries the handler did not answer with a 2xx (an error status, no answer): a forward that failed. */
    let refused = 0;
    // What the closing line says: events shown, or forwarded and how the handler took them.
    const tallyText = () => !target
      ? `${forwarded} event(s) shown`
      : `${forwarded} event(s) forwarded${refused > 0 ? `, ${refused} of them not answered with a 2xx` : forwarded > 0 ? ', each answered with a 2xx' : ''}`;
    for (;;) {
      if (io.signal.aborted) break;
      // Nobody reads the lines any more (`| head -1`; a write found it): forwarding on would go unseen.
      if (io.stdoutClosed.aborted) return EXIT.ok;
      let page;
      try {
        page = (await listSandboxEvents(session.client, { after: cursorId === undefined ? cursor : cursor - 1, since: replaying ? since : undefined })).data;
      } catch (error) {
        if (error instanceof InterruptedError) break;
        if (error instanceof ApiFailure && (error.decoded.status === null || error.decoded.status >= 500)) {
          // With --json the failure is the one JSON error every command gives (exit 6 all the same).
          if (options.json) throw error;
          writeLine(io.stderr, `amps: ${source} stopped answering (${error.decoded.code}); no more events will come. ${tallyText()}.`);
          return EXIT.transient;
        }
        throw error;
      }
      // Numbered from 1 again: the sandbox was reset (or restarted without its state) since the last read.
      const atCursor = cursorId === undefined ? undefined : page.items[0];
      const kept = atCursor !== undefined && atCursor.seq === cursor && atCursor.id === cursorId;
      if (page.lastSeq < cursor || (cursorId !== undefined && !kept && !(page.oldestSeq !== null && page.oldestSeq > cursor))) {
        cursorId = undefined;
        writeNotice(io, options.json, `${source} was reset (its events are numbered from 1 again); listening from its first event`);
        cursor = 0;
        replaying = false;
        continue;
      }
      if (page.oldestSeq !== null && page.oldestSeq > cursor + 1 && cursor > 0) {
        writeNotice(io, options.json, `${page.oldestSeq - cursor - 1} event(s) left the sandbox's history before they were read (it keeps the latest only)`);
      }
      for (const event of page.items) {
        // The event at the cursor, read again to prove the numbering still runs on: shown already.
        if (kept && event === atCursor) continue;
        // Events come in the order of their numbers: one at or before the cursor was shown already
        // (a server that lists an event again, or ignores `after`), and is not shown twice.
        if (event.seq <= cursor) continue;
        cursor = event.seq;
        cursorId = event.id;
        if (!matches(event.type)) continue;
        lastActivity = Date.now();
        const body = JSON.stringify(event.body);
        // A delivery in flight is finished, even after Ctrl-C (said, as it may take --timeout): then the loop ends.
        let result;
        if (target) {
          const finishing = () => {
            if (!options.quiet && !options.json) writeLine(io.stderr, io.err.yellow(`amps: interrupted: finishing the delivery of ${event.id} in flight (Ctrl-C again stops at once)`));
          };
          io.signal.addEventListener('abort', finishing, { once: true });
          // A second Ctrl-C ends the process at once: it says which delivery it cut short.
          setHardStopNote(`stopped at once: the delivery of ${event.id} (${event.type}) to ${redactUrl(target)} was cut short, its answer unknown (amps listen --since replays it)`);
          try {
            result = await postWebhook(target, await deliveryHeaders(secret, event.id, event.type, Math.floor(Date.now() / 1000), body), body, options.timeout ?? DEFAULT_TIMEOUT_MS);
          } finally {
            io.signal.removeEventListener('abort', finishing);
            setHardStopNote(undefined);
          }
        }
        forwarded++;
        if (result && !delivered(result)) refused++;
        if (options.json) {
          writeJsonLine(io, { id: event.id, type: event.type, createdAt: event.createdAt, body: event.body, forwardedTo: target ? redactUrl(target) : null, status: result?.status ?? null, latencyMs: result?.latencyMs ?? null, error: result?.error ?? null });
        } else {
          const answer = !result ? '' : result.status !== null ? ` → ${result.status} (${result.latencyMs} ms)` : ` → ${result.error} (${result.latencyMs} ms)`;
          const colour = !result || delivered(result) ? (t: string) => t : io.out.red;
          writeLine(io.stdout, colour(`${show(event.createdAt)}  ${eventSummary(event)}  ${show(event.id)}${answer}`));
        }
        if (io.signal.aborted || io.stdoutClosed.aborted) break;
      }
      if (io.stdoutClosed.aborted) return EXIT.ok;
      if (io.signal.aborted) break;
      if (replaying && page.items.length < 500) {
        replaying = false;
        const published = publishedBy(page);
        if (published > cursor) {
          cursor = published;
          cursorId = undefined;
        }
      }
      if (io.stderrIsTTY && !options.quiet && !options.json && Date.now() - lastActivity >= HEARTBEAT_MS) {
        writeLine(io.stderr, io.err.dim(`${new Date().toISOString()}  still listening to ${source}: no events for ${Math.round((Date.now() - lastActivity) / 1000)} s`));
        lastActivity = Date.now();
      }
      try {
        await sleep(POLL_MS, io.signal);
      } catch (error) {
        if (error instanceof InterruptedError) break;
        throw error;
      }
    }
    // --json's failures are one JSON object on stderr, Ctrl-C's too.
    if (options.json) throw new InterruptedError();
    if (!options.quiet) writeLine(io.stderr, `Stopped: ${tallyText()}.`);
    return EXIT.interrupted;
  });
}

export function listenCommand(state: CommandState, runF: Run<ListenOptions> = run) {
  const command = new Command('listen')
    .description('Follow the sandbox\'s webhook events and forward each, signed, to a local URL (embedded or served sandbox)')
    .option('--forward-to <url>', 'POST each event here, signed with the sandbox\'s secret and a real delivery\'s headers', fileOrUrl('--forward-to'))
    .option('--events <types>', 'only these, e.g. push.failed,device.* (repeatable)', repeatable)
    .addOption(new Option('--since <duration>', 'first replay the events of this long ago (the sandbox keeps the latest)').argParser(duration('--since', 30 * 86_400_000)))
    .option('--print-secret', 'print the signing secret first (also: amps sandbox secret)')
    .action(async (options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), ...options }, state.io, state.argv);
    });
  return withExamples(command, [
    'amps listen --forward-to http://localhost:3000/hooks',
    'amps listen --forward-to http://localhost:3000/hooks --events push.failed,device.* --since 1h',
    'amps listen --json | jq -c .body',
  ]);
}
