// `amps webhooks trigger EVENT`: one synthetic, correctly signed event of any documented type, to
// exercise a handler on demand: sent to --forward-to, or printed as a delivery (which `amps
// webhooks verify` reads back). `--code` picks a catalogued code for push.failed; `--field`
// sets any top-level field (stripe-cli #295: triggers that cannot carry custom data).

import { randomBytes } from 'node:crypto';
import { Command, Option } from '@commander-js/extra-typings';
import { DEFAULT_TIMEOUT_MS, globalsOf, type GlobalOptions } from '../../config/globals.js';
import { fileOrUrl, repeatable } from '../../config/option-parsers.js';
import type { DeviceType } from '../../contract/devices.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { holdsKeyShape } from '../../contract/keys.js';
import { WEBHOOK_EVENTS, type WebhookEventType } from '../../contract/webhooks.js';
import { commandsOf, deviceTypeFromId, pathSegment, requireDeviceType } from '../../domain/device-types.js';
import { requireId } from '../../domain/ids.js';
import { deviceEventBody, isWebhookEvent, pushEventBody, scheduleEventBody } from '../../domain/webhooks.js';
import { readSecretFile } from './secret-file.js';
import { fillMessage, isKnownCode, manufacturerVariant, normaliseCode, suggestCodes } from '../../errors/catalogue.js';
import { InterruptedError, UsageError } from '../../errors/failures.js';
import { JSON_BOUNDS, nestsWithin, redactUrl, setOwn } from '../../lib/values.js';
import { withExamples } from '../../output/command-help.js';
import { type CommandState, type IO, type Run, writeJson, writeLine } from '../../output/io.js';
import { withSession } from '../../session/connect.js';
import { sandboxSigningSecret } from '../../session/sandbox-routes.js';

export interface TriggerOptions extends GlobalOptions {
  event?: string;
  device?: string;
  deviceType?: string;
  command?: string;
  code?: string;
  field?: string[];
  forwardTo?: string;
  secretFile?: string;
}

/** The type typed, else the one the id's prefix says; any other id names its type with --device-type. */
function deviceTypeOf(id: string, typed: string | undefined): DeviceType {
  if (typed !== undefined) return requireDeviceType(typed);
  const found = deviceTypeFromId(id);
  if (!found) throw new UsageError(`cannot tell the device type of '${id}' from its id`, 'add --device-type battery (or ev-charger, hvac, solar-inverter, vehicle)');
  return found;
}

/**
 * What the delivery is made of, typed: it is printed, or sent to a handler that may log it, so
 * anything shaped like an API key is refused, as everywhere amps would show what it is given.
 */
function keyFree(text: string, what: string): void {
  if (holdsKeyShape(text)) throw new UsageError(`${what} holds what looks like an API key, so it is not used: the delivery is printed, or sent to a handler`, 'a test event needs no key: give any other text');
}

/** `--field name=value`: the value as JSON when it is JSON (`5`, `true`, `{"a":1}`), else the text. */
function fields(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    keyFree(pair, '--field');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) throw new UsageError(`--field '${pair}' is not NAME=VALUE`, 'e.g. --field errorMessage="Battery busy" --field attempts=3');
    const text = pair.slice(eq + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // Plain text.
    }
    if (Object.hasOwn(out, name)) throw new UsageError(`--field ${name} is given twice`, 'a field takes one value');
    const changed = valueJsonChanges(value, text);
    if (changed) throw new UsageError(`--field ${name}: ${changed}`, typeof value === 'number' ? `to send it as text, quote it as JSON: --field '${name}="${text.trim()}"'` : undefined);
    setOwn(out, name, value);
  }
  return out;
}

/**
 * Why a field's JSON value would not go as typed, once read and written again: nested past what
 * JSON.stringify writes (it overflows the stack thousands of levels down; 32 is past any event's
 * field), a number past a double's range (1e999 goes as null), a whole number past 2^53 (rounded).
 */
function valueJsonChanges(value: unknown, text: string): string | undefined {
  if (!nestsWithin(value, JSON_BOUNDS.depth)) return `the value is nested deeper than ${JSON_BOUNDS.depth} levels`;
  const numbers = (item: unknown): boolean => (typeof item === 'number' ? Number.isFinite(item) : item === null || typeof item !== 'object' || Object.values(item).every(numbers));
  if (!numbers(value)) return 'a number in the value is past what JSON numbers carry (it would go as null)';
  if (typeof value === 'number' && /^\s*-?\d+\s*$/.test(text) && !Number.isSafeInteger(value)) return `${text.trim()} is a whole number past 2^53, which would go rounded (${value})`;
  return undefined;
}

function bodyFor(type: WebhookEventType, deviceId: string, deviceType: DeviceType, options: TriggerOptions, now: string): Record<string, unknown> {
  if (type === 'push.completed' || type === 'push.failed') {
    const code = normaliseCode(options.code ?? 'COMMAND_FAILED');
    // A push.failed carries the manufacturer's answer, as the sandbox's own dispatch failures do.
    const entry = manufacturerVariant(code);
    const message = entry ? fillMessage(entry, entry.exampleDetails ?? {}) : code;
    const failed = type === 'push.failed';
    return pushEventBody({
      id: `act_trigger_${randomBytes(6).toString('hex')}`, deviceId, deviceType, command: options.command ?? commandsOf(deviceType)[0], parameters: null, state: failed ? 'failed' : 'completed',
      result: failed ? { success: false, error: { code, message } } : { success: true, message: 'Mode applied' },
      errorCode: failed ? code : null, errorMessage: failed ? message : null, completedAt: now,
    });
  }
  if (type.startsWith('device.')) return deviceEventBody(type as 'device.connected', deviceId, deviceType, now, randomBytes(12).toString('hex'));
  return scheduleEventBody(deviceId, deviceType, now, `sch_trigger_${randomBytes(6).toString('hex')}`);
}

export async function run(options: TriggerOptions, io: IO): Promise<ExitCode> {
  const type = options.event ?? '';
  if (!isWebhookEvent(type)) throw new UsageError(`'${type}' is not a webhook event`, `one of ${WEBHOOK_EVENTS.join(', ')}`);
  if (!options.device) throw new UsageError('name the device: --device ID');
  if (options.command !== undefined) keyFree(options.command, '--command');
  const deviceId = requireId(options.device, 'device');
  const deviceType = deviceTypeOf(deviceId, options.deviceType);
  // An event the API could never send would test a handler against nothing: a push of a read-only
  // family, or a command the family has not (`--field command=…` still sends anything, as typed).
  if (type.startsWith('push.')) {
    const commands = commandsOf(deviceType);
    if (commands.length === 0) throw new UsageError(`${type} is about a push, and a ${pathSegment(deviceType)} takes none (read-only)`, 'trigger a device.* event for it, or name a battery, ev-charger or hvac device');
    if (options.command !== undefined && !commands.includes(options.command)) throw new UsageError(`--command '${options.command}' is not a ${pathSegment(deviceType)} command`, `one of ${commands.join(', ')}`);
  } else if (options.command !== undefined) throw new UsageError('--command goes with push.completed and push.failed');
  if (options.code !== undefined) {
    if (type !== 'push.failed') throw new UsageError('--code goes with push.failed');
    if (!isKnownCode(normaliseCode(options.code))) {
      const near = suggestCodes(options.code);
      throw new UsageError(`--code '${options.code}' is not a catalogued code`, near.length ? `did you mean ${near.join(', ')}?` : 'amps explain --list shows every code');
    }
  }
  const { deliveryHeaders } = await import('../../domain/webhooks.js');
  const now = io.now();
  const body = JSON.stringify({ ...bodyFor(type, deviceId, deviceType, options, now.toISOString()), ...fields(options.field ?? []) });
  const secret = options.secretFile !== undefined
    ? await readSecretFile(options.secretFile, io, 'sign')
    : await withSession(options, io, async (session) => (await sandboxSigningSecret(session, 'the webhook secret')).data.secret);
  const id = `msg_trigger_${randomBytes(8).toString('hex')}`;
  const headers = await deliveryHeaders(secret, id, type, Math.floor(now.getTime() / 1000), body);
  if (options.forwardTo === undefined) {
    if (options.json) writeJson(io, { headers, body: JSON.parse(body) });
    else io.stdout.write(`POST / HTTP/1.1\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}`).join('\n')}\n\n${body}\n`);
    return EXIT.ok;
  }
  const { delivered, postWebhook, webhookTarget } = await import('../../api/webhook-post.js');
  const url = webhookTarget(options.forwardTo, '--forward-to');
  const result = await postWebhook(url, headers, body, options.timeout ?? DEFAULT_TIMEOUT_MS, io.signal);
  // Ctrl-C ended the delivery: that is no answer of the handler's, and is reported as every interruption is.
  if (io.signal.aborted) throw new InterruptedError();
  const answer = result.status !== null ? `${result.status}` : result.error;
  if (options.json) writeJson(io, { id, type, forwardedTo: redactUrl(url), status: result.status, error: result.error, latencyMs: result.latencyMs });
  else writeLine(io.stdout, `${type} ${deviceId} ${id} → ${answer} (${result.latencyMs} ms)`);
  if (result.status === null) return EXIT.transient;
  return delivered(result) ? EXIT.ok : EXIT.rejected;
}

export function triggerCommand(state: CommandState, runF: Run<TriggerOptions> = run) {
  const command = new Command('trigger')
    .description('Send one synthetic, signed webhook event of any documented type to a URL (or print it as a delivery)')
    .argument('<event>', WEBHOOK_EVENTS.join(', '))
    .option('--device <id>', 'the device the event is about')
    .addOption(new Option('--device-type <type>', 'its type, when its id does not say (bat_, ev_, hvac_…)'))
    .option('--command <command>', 'for push.*: the command (default the family\'s first: charge, or heat for hvac)')
    .option('--code <code>', 'for push.failed: any catalogued code (default COMMAND_FAILED)')
    .option('--field <name=value>', 'set a top-level field of the body (JSON or text; repeatable)', repeatable)
    .option('--forward-to <url>', 'POST it here; without it, the delivery is printed', fileOrUrl('--forward-to'))
    .option('--secret-file <file>', 'sign with this secret (default: the sandbox\'s)', fileOrUrl('--secret-file'))
    .action(async (event, options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), ...options, event }, state.io, state.argv);
    });
  return withExamples(command, [
    'amps webhooks trigger push.failed --device bat_voltaro_01 --code SCHEDULER_ACTIVE --forward-to http://localhost:3000/hooks',
    'amps webhooks trigger device.disconnected --device ev_wallbox_01 --forward-to http://localhost:3000/hooks',
    'amps webhooks trigger push.completed --device bat_voltaro_01 --field command=discharge > delivery.txt',
  ]);
}
