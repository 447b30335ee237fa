// What `amps schedule set` and `amps schedules create` share: slots read as typed, fitted to the
// device's units and checked against its commands map as the windows they will open, the fire
// times they lead to (in the schedule's zone and in UTC, across daylight saving), the warning
// about a pending action, and the text view of a schedule.

import type { ApiClient } from '../../api/client.js';
import type { DeviceRead, DeviceType } from '../../contract/devices.js';
import type { FlatSlot, ScheduleRecord } from '../../contract/schedules.js';
import { conversionLine, fitQuantities } from '../../domain/action.js';
import { quantityText } from '../../domain/quantity.js';
import { checkAction, checkNames, pendingActionOf } from '../../domain/capabilities.js';
import { isoDuration, nextFires, parseSlot, recurrenceText, type ScheduleChange, scheduleChanges, slotParts, slotTime, type TypedSlot } from '../../domain/schedule.js';
import { formatDuration } from '../../domain/duration.js';
import { CLOCK_MARGIN_MS, describeInstant, deviceOrLocalZone, isTimeZone, namedZone } from '../../domain/time.js';
import { apiInstant } from '../../contract/api-time.js';
import { preflightError } from '../../errors/decode.js';
import { InterruptedError, PreflightError, UsageError } from '../../errors/failures.js';
import { own } from '../../lib/values.js';
import { type IO, writeChange, writeLine, writeNotice } from '../../output/io.js';
import { show } from '../../output/text.js';
import { timeText } from '../../output/views.js';

/** How many fire times the preview shows a daily slot. */
const PREVIEW_FIRES = 3;
/** The days of fires a daily schedule's slots are compared over: a year holds every clock change. */
const OVERLAP_DAYS = 366;

export function readSlots(texts: string[] | undefined): TypedSlot[] {
  if (!texts || texts.length === 0) throw new UsageError('give at least one slot', "e.g. --slot '01:00/5h charge --target 100%'");
  return texts.map(parseSlot);
}

/** The schedule's zone: --tz, else AMPS_TZ, else the device's plant zone; without the device read, one must be named. */
export function scheduleZone(tz: string | undefined, io: IO, device: DeviceRead | undefined): { name: string; source: string } {
  const named = namedZone(tz, io.env);
  if (named) return named;
  if (!device) throw new UsageError('a schedule\'s times are on the device\'s clock, which --no-preflight does not read', 'add --tz ZONE (or set AMPS_TZ)');
  return deviceOrLocalZone(device, io.env);
}

/** The window a slot opens at one of its fires; `index`, the slot's place among the --slot flags. */
interface SlotWindow {
  index: number;
  slot: string;
  start: number;
  end: number;
}

export interface PreparedSlots {
  slots: FlatSlot[];
  notes: string[];
  /** Each slot's next fires: as shown (in the zone, and UTC), and as instants for scripts (`firesAt`). */
  preview: Array<{ slot: string; fires: string[]; firesAt: string[] }>;
}

/** Fits each slot to the device and checks it as the window it opens next (a push would be checked the same way). */
export function prepareSlots(typed: TypedSlot[], device: DeviceRead | undefined, zone: string, now: number, daily: boolean): PreparedSlots {
  const notes: string[] = [];
  const preview: PreparedSlots['preview'] = [];
  const windows: SlotWindow[] = [];
  const slots = typed.map((slot, index) => {
    const time = slotTime(slot);
    if (device) {
      const named = checkNames(slot.command, Object.keys(slot.quantities), device.commands ?? {});
      if (named) throw Object.assign(new PreflightError(preflightError(named.code, named.details)), { about: `--slot '${slot.text}'` });
    }
    const spec = device?.commands ? own(device.commands, slot.command) : undefined;
    const { values, conversions } = fitQuantities(slot.quantities, spec?.parameters, (name) => `--slot ${time} --${name}`);
    // Named by its slot: several may convert the same flag.
    notes.push(...conversions.map((c) => conversionLine(c, `--slot ${time} ${c.flag ?? `--${c.name}`}`)));
    // Daily slots are compared over a year of fires (below); the preview shows the first of them.
    const compared = nextFires(time, zone, now, daily ? OVERLAP_DAYS : 1);
    const fires = compared.slice(0, daily ? PREVIEW_FIRES : 1);
    if (device) {
      const violation = checkAction({ command: slot.command, parameters: values, start: new Date(fires[0].instant), end: new Date(fires[0].instant + slot.durationMs) }, device.commands ?? {}, new Date(now));
      if (violation) throw Object.assign(new PreflightError(preflightError(violation.code, violation.details)), { about: `--slot '${slot.text}'` });
    }
    for (const fire of fires) if (fire.adjustment) notes.push(`slot ${time}: ${fire.adjustment}`);
    // Daily slots are compared over a year of fires: two that are apart on most days may meet on
    // the day the clocks change (01:00 that night is 02:00, where the next slot opens).
    for (const fire of compared) windows.push({ index, slot: slot.text, start: fire.instant, end: fire.instant + slot.durationMs });
    preview.push({ slot: slot.text, fires: fires.map((f) => describeInstant(f.instant, zone)), firesAt: fires.map((f) => new Date(f.instant).toISOString()) });
    return { time, duration: isoDuration(slot.durationMs), command: slot.command, ...(Object.keys(values).length > 0 ? { parameters: values } : {}) };
  });
  refuseOverlaps(windows, zone);
  return { slots, notes, preview };
}

/** A length as a --slot writes it (23h, 23h30m). */
function slotLength(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  return `${Math.floor(minutes / 60)}h${minutes % 60 ? `${minutes % 60}m` : ''}`;
}

/**
 * A device runs one action at a time: a slot that opens while another's window is still open fails
 * with CONFLICT when it fires (the sandbox shows it). Refused here, across midnight and daily
 * repeats too, and on the days the clocks change (a daily schedule's fires over a year are compared).
 */
function refuseOverlaps(windows: SlotWindow[], zone: string): void {
  // In order of opening: each window meets only those that open before it closes.
  const sorted = [...windows].sort((a, b) => a.start - b.start || a.index - b.index);
  for (const [i, first] of sorted.entries()) {
    for (let j = i + 1; j < sorted.length && sorted[j].start < first.end; j++) {
      const second = sorted[j];
      // A slot's own repeats are a day apart, which is 23 hours on the day the clocks go forward:
      // a slot longer than that is still open when it fires again.
      if (first.index === second.index) {
        throw new UsageError(
          `--slot '${first.slot}' is still open when it fires again at ${describeInstant(second.start, zone)}: that day is ${formatDuration(second.start - first.start)} long (the clocks change)`,
          `a device runs one action at a time: that fire would fail with CONFLICT; make the slot ${slotLength(second.start - first.start)} at most`,
        );
      }
      if (first.slot === second.slot) throw new UsageError(`--slot '${first.slot}' is given twice`, 'a device runs one action at a time: the second would fail with CONFLICT; give it once');
      throw new UsageError(
        `--slot '${second.slot}' opens at ${describeInstant(second.start, zone)}, inside --slot '${first.slot}' (until ${describeInstant(first.end, zone)})`,
        'a device runs one action at a time: the later slot would fail with CONFLICT; move or shorten one',
      );
    }
  }
}

/**
 * What a dry run with --json says beside the body on stdout, as a push's dry run does: what
 * daylight saving did to a fire, the pending-action warning, each a `{"notice"}` line on stderr (a
 * sent one's result carries them: `notes`, `warning`). The zone is the body's own `timezone`.
 */
export function writeDryRunNotices(io: IO, prepared: PreparedSlots, warning: string | undefined): void {
  for (const text of [...prepared.notes, ...(warning ? [warning] : [])]) writeNotice(io, true, text);
}

/** What `schedule set` and `schedules create` say before sending: the pending-action warning, the zone, each slot's fires. */
export function writePreview(io: IO, prepared: PreparedSlots, zone: { name: string; source: string }, daily: boolean, warning: string | undefined): void {
  if (warning) writeLine(io.stderr, io.err.yellow(warning));
  writeLine(io.stderr, io.err.dim(`Times are read in ${zone.name} (${zone.source}); ${daily ? 'every day' : 'once'}:`));
  for (const { slot, fires } of prepared.preview) writeLine(io.stderr, io.err.dim(`  ${slot}: ${fires.join(', ')}`));
  for (const note of prepared.notes) writeLine(io.stderr, io.err.dim(`  ${note}`));
}

/**
 * The docs: any pending action conflicts with a new one, whatever the windows (overlap is not
 * tested). A push that gives its strategy has consented to what follows: said as a note of what
 * the strategy does, not as a warning to cancel by hand (`where`: what that cancel needs to go
 * where this command goes, session/follow.ts whereSuffix).
 */
export function pendingWarning(device: DeviceRead | undefined, sending: 'push' | 'schedule', strategy?: string, where = ''): string | undefined {
  const found = pendingActionOf(device);
  if (!found) return undefined;
  const pending = `${show(device!.id)} has a pending action (${show(found.id)}, ${show(found.state)}): any pending action conflicts with a new one, whatever the windows (the docs)`;
  if (strategy === 'cancel_and_replace') return `note: ${pending}; --on-conflict cancel_and_replace cancels it if the API finds the conflict`;
  if (strategy === 'queue_after') return `note: ${pending}; --on-conflict queue_after queues this push after it if the API finds the conflict`;
  return `warning: ${pending}, so this ${sending === 'push' ? 'push may be refused' : 'may be refused or its slots fail'}; amps actions cancel ${show(found.id)}${where} clears it`;
}

/** The zone a schedule's times show in: its own where amps knows it, else `fallbackZone` (AMPS_TZ or the local zone). */
export function scheduleClock(record: { timezone?: unknown }, fallbackZone: string): string {
  return typeof record.timezone === 'string' && isTimeZone(record.timezone) ? record.timezone : fallbackZone;
}

/**
 * A schedule for people: id, state, zone, recurrence, each slot, the next fire in the schedule's
 * zone and in UTC. `fallbackZone` shows the times when the record names no zone this runtime
 * knows (a newer zone, or junk): the record's own text is still shown, and said to be unknown.
 */
export function scheduleLines(record: ScheduleRecord, fallbackZone: string): string[] {
  const named = typeof record.timezone === 'string' ? record.timezone : null;
  const known = named !== null && isTimeZone(named);
  const zone = scheduleClock(record, fallbackZone);
  // The docs say no zone is needed for slots that do not depend on one, and not which clock reads them then.
  const zoneText = named === null ? `no zone named (its next fire shown in ${zone})` : known ? show(named) : `${show(named)} (not a zone amps knows; times in ${zone})`;
  const lines = [
    `${show(record.id)}  ${show(record.state)}  ${show(record.deviceId)}  ${show(recurrenceText(record.recurrence))}  ${zoneText}`,
    ...record.slots.map((slot) => {
      const parts = slotParts(slot);
      const parameters = Object.entries(parts.parameters ?? {}).map(([name, q]) => ` ${show(name)} ${show(quantityText(q))}`).join('');
      return `  ${show(parts.time)} for ${show(parts.duration)}: ${show(parts.command)}${parameters}`;
    }),
    `  next fire: ${record.nextFireAt === null || record.nextFireAt === undefined ? 'none' : timeText(record.nextFireAt, zone)}`,
  ];
  return lines;
}

/**
 * What the API changed of the schedule it was sent (its zone, its recurrence, a slot's time,
 * length, command or parameter), said on stderr as a moved push time is, whatever the output: a
 * schedule that fires on another clock, on other days, at another time or to do another thing than
 * asked must not pass as the one asked for. The changes, for --json's `changed`.
 */
export function reportScheduleChanges(io: IO, json: boolean | undefined, sent: Parameters<typeof scheduleChanges>[0], answer: ScheduleRecord, previewed?: { preview: PreparedSlots['preview']; zone: string }): ScheduleChange[] | null {
  const changes = scheduleChanges(sent, answer);
  const said = (value: string | number | null) => (value === null ? 'none' : show(String(value)));
  for (const change of changes) {
    writeChange(io, json, `The API changed the schedule's ${change.field}: sent ${said(change.sent)}, got ${said(change.got)}${change.field === 'timezone' ? ' (the clock its slots\' times are read on)' : ''}.`);
  }
  const next = previewed ? nextFireChange(previewed.preview, answer) : undefined;
  if (next) {
    changes.push(next);
    const previewedFire = timeText(next.sent, previewed!.zone);
    const said = next.got === null ? `The API gives the schedule no next fire, where the preview showed ${previewedFire}` : `The API's next fire is ${timeText(next.got, previewed!.zone)}, not ${previewedFire} as previewed`;
    writeChange(io, json, `${said}: its clock, or its reading of the slots, is not amps'.`);
  }
  return changes.length > 0 ? changes : null;
}

/**
 * The API's next fire, where it is not the first one the preview showed by more than two clocks may
 * differ (CLOCK_MARGIN_MS): `sent` is the previewed one (what amps expected of what it sent). None
 * when the answer gives no next fire it can read.
 */
function nextFireChange(preview: PreparedSlots['preview'], answer: ScheduleRecord): (ScheduleChange & { sent: string; got: string | null }) | undefined {
  const got = apiInstant(answer.nextFireAt);
  const firsts = preview.map((slot) => Date.parse(slot.firesAt[0] ?? '')).filter(Number.isFinite);
  if (firsts.length === 0) return undefined;
  const expected = Math.min(...firsts);
  // No next fire at all (null) where the preview showed one: a change too, said as one.
  if (answer.nextFireAt === null) return { field: 'nextFireAt', sent: new Date(expected).toISOString(), got: null };
  if (got === undefined) return undefined;
  return Math.abs(got - expected) > CLOCK_MARGIN_MS ? { field: 'nextFireAt', sent: new Date(expected).toISOString(), got: String(answer.nextFireAt) } : undefined;
}

/**
 * The schedules live on a device (pending or active) but `except`, by id. The device's schedule
 * routes show one schedule (its own), and /schedules may hold more for it, whose slots run all the
 * same: a clear that leaves one has not left the device without a schedule, and a set or create
 * beside one adds to it. Read from GET /schedules?deviceId=&state= for each live state, every page
 * (20 at most); where that is not served (the docs version that answers 501, or any failure), from
 * the device read's currentSchedule, which shows one, and a pending action in its place. Undefined
 * when amps could not tell (neither read, pages past the bound, an action shown in the schedule's
 * place): a check amps could not make is never said to have found none.
 */
export async function otherLiveSchedules(client: ApiClient, type: DeviceType | undefined, deviceId: string, except?: string): Promise<string[] | undefined> {
  const { getDevice, listPages, listSchedules } = await import('../../api/resources.js');
  try {
    const ids = new Set<string>();
    for (const state of ['pending', 'active'] as const) {
      let cut = false;
      const pages = listPages((offset) => listSchedules(client, { deviceId, state, limit: 50, offset }), { maxPages: 20, onCapped: () => (cut = true) });
      // Filtered here too: an API that ignores a filter lists every schedule.
      for await (const page of pages) for (const s of page.items) if (s.deviceId === deviceId && s.state === state && s.id !== except) ids.add(s.id);
      if (cut) return undefined;
    }
    return [...ids];
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    if (type === undefined) return undefined;
    try {
      const current = (await getDevice(client, type, deviceId)).data.currentSchedule;
      if (current === null || current === undefined) return [];
      const id = current.scheduleId;
      if (typeof id !== 'string') return undefined;
      return id !== except && (current.state === undefined || current.state === 'pending' || current.state === 'active') ? [id] : [];
    } catch (failure) {
      if (failure instanceof InterruptedError) throw failure;
      return undefined;
    }
  }
}

/**
 * The line a schedule command says of the others live on the device (a warning), or that it could
 * not tell (a note); none when it found none.
 */
function otherSchedulesLine(deviceId: string, others: string[] | undefined, where = ''): string | undefined {
  if (others === undefined) return `note: amps could not tell whether another schedule is live on ${show(deviceId)} (amps schedules list --device ${show(deviceId)}${where} shows them)`;
  return others.length > 0 ? `warning: ${otherSchedulesText(deviceId, others, where)}` : undefined;
}

/**
 * Says on stderr what otherSchedulesLine says, unless --json (which carries `alsoLive`) or -q; with
 * `always`, past -q too (a clear that leaves one live). `after` follows a warning that names some.
 */
export function writeOtherSchedules(io: IO, options: { json?: boolean; quiet?: boolean }, deviceId: string, others: string[] | undefined, where: string, { always = false, after = '' } = {}): void {
  const line = otherSchedulesLine(deviceId, others, where);
  if (line && !options.json && (always || !options.quiet)) writeLine(io.stderr, io.err.yellow(`${line}${others?.length ? after : ''}`));
}

/** What a schedule command says of the others live on the device: how to see or end each. */
function otherSchedulesText(deviceId: string, others: string[], where = ''): string {
  const list = others.map((id) => show(id)).join(', ');
  const cancel = others.map((id) => `amps schedules cancel ${show(id)}${where}`).join('; ');
  return `${show(deviceId)} has ${others.length === 1 ? 'another schedule' : `${others.length} other schedules`} live (${list}), whose slots run too: ${cancel} ends ${others.length === 1 ? 'it' : 'them'}`;
}
