// `amps push --resume LEDGER`: a run continued from its ledger without sending any device twice.
// Devices the API already answered are carried over; not_sent ones are sent; failures that prove
// nothing ran are sent again; and those whose outcome is unknown (a timeout, a lost response, a
// crash between send and ledger line) are first reconciled against the device's actions since the
// run began, and sent only when no action of the run exists.

import { createHash } from 'node:crypto';
import { linkSync, lstatSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { codeProvesNothingRan, type ApiClient } from '../../api/client.js';
import type { ActionRecord } from '../../contract/actions.js';
import type { ListStop } from '../../api/resources.js';
import { apiInstant } from '../../contract/api-time.js';
import { type LedgerEntry, NOT_RECONCILED, type RunInputs } from '../../contract/ledger.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import type { DeviceType } from '../../contract/devices.js';
import { UsageError } from '../../errors/failures.js';
import { isRecord, systemErrorText } from '../../lib/values.js';
import { holdsRunRecord, type ParsedLedger, RESUME_MARK_SUFFIX, type RunClock, runRecordAt, runStartEstimate, runStartOnApiClock, writerRunsHere } from '../../batch/ledger.js';
import type { DeviceRow } from '../../batch/input.js';
import { QUANTITY_FLAGS } from '../../domain/action.js';
import { formatDuration } from '../../domain/duration.js';
import type { PushFlags } from './body.js';
import { ownStart, writerRuns } from '../../lib/process.js';

/** Sorted keys, so the same inputs always hash alike. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function fingerprintOf(inputs: RunInputs): string {
  return createHash('sha256').update(canonical(inputs)).digest('hex').slice(0, 32);
}

/** What was typed, as a ledger records it: quantities as text, whichever flag they came by. */
export function runInputs(type: DeviceType, command: string, flags: PushFlags): RunInputs {
  const quantities: Record<string, string> = {};
  for (const name of QUANTITY_FLAGS) if (flags[name] !== undefined) quantities[name] = flags[name]!;
  for (const pair of flags.param ?? []) {
    const eq = pair.indexOf('=');
    if (eq > 0) quantities[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return {
    type, command, quantities, at: flags.at, start: flags.start, end: flags.end, tz: flags.tz,
    onConflict: flags.onConflict, simulateFailure: flags.simulateFailure, simulateAt: flags.simulateAt,
  };
}

/** The flags a ledger's inputs stand for, to build the same body again. */
export function flagsOf(inputs: RunInputs): PushFlags {
  return {
    param: Object.entries(inputs.quantities).map(([name, text]) => `${name}=${text}`),
    at: inputs.at, start: inputs.start, end: inputs.end, tz: inputs.tz,
    onConflict: inputs.onConflict, simulateFailure: inputs.simulateFailure, simulateAt: inputs.simulateAt,
  };
}

/** True when any flag that shapes the body was given (a resume then checks they match the ledger's). */
export function bodyFlagsGiven(command: string | undefined, flags: PushFlags): boolean {
  return command !== undefined || QUANTITY_FLAGS.some((n) => flags[n] !== undefined) || Boolean(flags.param?.length) ||
    [flags.at, flags.start, flags.end, flags.tz, flags.onConflict, flags.simulateFailure, flags.simulateAt].some((v) => v !== undefined);
}

/** Where the resumed run's ledger goes: --out, else beside the old one; never over an existing file. */
export function resumedLedgerPath(from: string, out: string | undefined): string {
  if (out !== undefined) {
    const mark = resumeMarkOf(from);
    if ([mark, `${mark}.lock`].some((own) => resolve(own) === resolve(out))) throw new UsageError(`--out ${out} is the mark of the ledger being resumed`, 'name a new file for the ledger');
    refuseNonFile(out, `--out ${out}`);
    return out;
  }
  const path = from.replace(/(\.ndjson|\.jsonl|\.json)?$/, (ext) => `.resumed${ext || '.ndjson'}`);
  refuseNonFile(path, path);
  // An earlier resume of this run that got as far as its run record may have sent devices this
  // ledger says were not: only its own ledger knows. One killed before that sent nothing.
  if (holdsRunRecord(path)) throw new UsageError(`${path} is the ledger of an earlier resume of this run: it knows what that resume sent`, continueHint(path));
  return path;
}

/**
 * The resume's ledger is the only record of what it sends, and the mark names it by path: a device,
 * a FIFO or a symlink (/dev/stdout, or a link that would be written through) keeps no record the
 * next resume could read. Nothing there yet is fine: the resume makes it.
 */
function refuseNonFile(path: string, said: string): void {
  if (!isRegularFile(path)) throw new UsageError(`${said} is not a regular file: a resume's ledger is the only record of what it sends`, 'name a new file for the ledger: --out FILE');
}

/**
 * The mark beside a ledger that says which resume continues it, named from the ledger's real path:
 * a symlink to the ledger, or a path through a linked folder, finds the same mark.
 */
export function resumeMarkOf(ledger: string): string {
  // Read already, so there; if not, its own name.
  return `${realPathOf(ledger) ?? ledger}${RESUME_MARK_SUFFIX}`;
}

/** The ledger of the resume that continues `ledger`, as its mark names it, once that resume has written its run record; else undefined. */
export function resumedInto(ledger: string): string | undefined {
  const text = markText(resumeMarkOf(ledger));
  const into = text === undefined ? undefined : markOf(text)?.into;
  return into !== undefined && holdsRunRecord(into) ? into : undefined;
}

/** The hint to go on from `ledger`, a resume's: from the newest resume of it, where it was resumed in turn (the next step would be refused too). */
function continueHint(ledger: string): string {
  const seen = new Set([resolve(ledger)]);
  let newest = ledger;
  for (let next = resumedInto(newest); next !== undefined && !seen.has(resolve(next)); next = resumedInto(newest)) {
    seen.add(resolve(next));
    newest = next;
  }
  return newest === ledger ? `continue from it: amps push --resume ${newest}` : `continue from its newest resume: amps push --resume ${newest}`;
}

/** A file's real path (symlinks and linked folders resolved); undefined when it is not there. */
export function realPathOf(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Marks the ledger `from` as resumed into `into`, before this resume writes or sends anything: a
 * second resume of the same ledger (under another --out, or at the same time) would send again
 * what this one sends. The mark is made exclusively, so of two resumes at once one gets it. A mark
 * is taken over only when its resume is gone without a ledger (killed before its first line, so it
 * sent nothing): its process no longer runs and its ledger holds no run record. Taking over holds
 * a lock of its own (`MARK.lock`), so that of two resumes that find the same stale mark one takes
 * it. Returns the mark's release, for a resume that stops before sending.
 */
function claimResume(from: string, into: string, { unwritable = 'refuse' }: { unwritable?: 'refuse' | 'skip' } = {}): () => void {
  const mark = resumeMarkOf(from);
  const text = `${JSON.stringify({ resumedInto: resolve(into), pid: process.pid, host: hostname(), start: ownStart(), at: new Date().toISOString() })}\n`;
  const release = () => rmSync(mark, { force: true });
  const lock = `${mark}.lock`;
  // A take-over killed while it held the lock leaves it: only a person can tell that from one under way.
  const running = () => new UsageError(`${from} is being resumed right now by another amps`, `let that resume finish; if none runs, remove ${mark} and ${lock}`);
  let made: boolean;
  try {
    made = createOnly(mark, text, from);
  } catch (error) {
    // A folder this process may not write (read-only, or a name too long for the mark): its own
    // resume could not mark it either. A full disk is no such folder: refused, as it passes.
    const code = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code;
    if (unwritable === 'skip' && ['EACCES', 'EPERM', 'EROFS', 'ENAMETOOLONG'].includes(code ?? '')) return () => {};
    throw error;
  }
  if (made) return release;
  if (!isRegularFile(mark)) throw new UsageError(`${mark} is in the way of this resume's mark: it is not a file amps wrote`, `remove it, then resume again`);
  const stale = markText(mark);
  const earlier = stale === undefined ? undefined : markOf(stale);
  if (earlier && holdsRunRecord(earlier.into)) {
    throw new UsageError(`${from} was resumed already, into ${earlier.into}: that ledger knows what its resume sent`, continueHint(earlier.into));
  }
  if (earlier && !isRegularFile(earlier.into)) {
    throw new UsageError(`${from} was resumed already, into ${earlier.into}, which is not a ledger file amps can read back`, `if you are sure that resume sent nothing, remove ${mark}`);
  }
  if (earlier && (earlier.host !== hostname() || writerRuns(earlier.pid, earlier.start))) {
    throw new UsageError(`${from} is being resumed right now, into ${earlier.into} (process ${earlier.pid}${earlier.host !== hostname() ? ` on ${earlier.host}` : ''})`, `let that resume finish; if it is gone, remove ${mark}`);
  }
  if (!createOnly(lock, `${process.pid}\n`, from)) {
    // Broken by hand only: two resumes that both broke a dead lock could both take the mark over.
    const holder = Number.parseInt(markText(lock) ?? '', 10);
    if (Number.isSafeInteger(holder) && !writerRuns(holder)) throw new UsageError(`a resume taking over ${mark} stopped part-way (its process ${holder} is gone) and left ${lock}`, `if no other amps resumes ${from}, remove ${lock}, then resume again`);
    throw running();
  }
  try {
    const now = markText(mark);
    // Gone meanwhile (its resume stopped before sending): made anew, exclusively as ever.
    if (now === undefined) {
      if (!createOnly(mark, text, from)) throw running();
    } else if (now === stale) {
      writeFileSync(mark, text, { mode: 0o644 });
    } else {
      // Another resume took it over between our reading and our lock.
      throw running();
    }
  } finally {
    rmSync(lock, { force: true });
  }
  return release;
}

/**
 * Makes `path` with `text` unless it exists (false then); any other failure is a usage error:
 * nothing was sent. Written aside and linked into place, so no one ever reads it empty (a mark
 * read empty is taken as stale); where links cannot be made, made exclusively and written.
 */
function createOnly(path: string, text: string, from: string): boolean {
  const aside = `${path}.${process.pid}.new`;
  try {
    // Removed however the write ends: a full disk makes the file and then fails to fill it.
    try {
      writeFileSync(aside, text, { mode: 0o644 });
      try {
        linkSync(aside, path);
      } catch (error) {
        if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
        writeFileSync(path, text, { flag: 'wx', mode: 0o644 });
      }
    } finally {
      rmSync(aside, { force: true });
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    const code = (error as NodeJS.ErrnoException).code;
    // A full disk passes, and a copy's resume marks the ledger it copies too (so they are resumed once between them): a copy is no way round it.
    const hint = code === 'ENOSPC' || code === 'EDQUOT'
      ? `the mark is one short line beside ${from}: free a little space on its disk, then resume again`
      : 'a resume writes a mark beside the ledger it continues: copy the whole ledger (its run ended) to a folder amps can write, and resume the copy';
    throw Object.assign(new UsageError(`cannot mark ${from} as resumed (${path}): ${systemErrorText(error)}; nothing was sent`, hint), { cause: error });
  }
}

/** False only for something there that is not a regular file (a directory, a FIFO, a device, a symlink): nothing there is no obstacle. */
function isRegularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return true;
  }
}

/** A mark's text; undefined when there is none, or what stands there is no small regular file (read as stale). */
function markText(mark: string): string | undefined {
  try {
    const info = statSync(mark);
    return info.isFile() && info.size <= 64 * 1024 ? readFileSync(mark, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

/** What a mark says; undefined for text that is no mark (damaged, empty): taken over as stale. */
function markOf(text: string): { into: string; pid: number; host: string; start?: string } | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (!isRecord(value) || typeof value.resumedInto !== 'string') return undefined;
    return {
      into: value.resumedInto, pid: typeof value.pid === 'number' ? value.pid : 0, host: typeof value.host === 'string' ? value.host : hostname(),
      start: typeof value.start === 'string' ? value.start : undefined,
    };
  } catch {
    return undefined;
  }
}

/**
 * A list given again to resume a run that read a stream (no digest to check it by) must be that
 * list: each device at the line the ledger records it at. The resume decides by line which devices
 * the run may have had in flight (decide: a row within the last horizon), so the list in another
 * order would send one of those again without reading its actions; and a list that lacks some of
 * the run's devices would end complete, the rest of the run's list never sent.
 */
export class SameListCheck {
  private readonly idAt = new Map<number, string>();
  /** The last line the ledger records a device at: the list must reach it. */
  readonly lastLine: number = 0;

  constructor(private readonly ledger: ParsedLedger) {
    for (const [id, entry] of ledger.entries) {
      if (typeof entry.line !== 'number') continue;
      this.idAt.set(entry.line, id);
      if (entry.line > this.lastLine) this.lastLine = entry.line;
    }
  }

  /** Why the row shows the list is not the run's; undefined when it agrees. */
  disagreement(row: { id: string; line: number }): string | undefined {
    const recorded = this.idAt.get(row.line);
    if (recorded !== undefined && recorded !== row.id) return `line ${row.line} holds ${row.id}, where the run read ${recorded}`;
    const entry = this.ledger.entries.get(row.id);
    if (entry && typeof entry.line === 'number' && entry.line !== row.line) return `${row.id} is at line ${row.line}, where the run read it at line ${entry.line}`;
    return undefined;
  }

  /** Why a list whose last line is `line` is not the run's: it ends before a device the ledger records. */
  endedEarly(line: number): string | undefined {
    return line < this.lastLine ? `it ends at line ${line}, before line ${this.lastLine}, where the run read ${this.idAt.get(this.lastLine)}` : undefined;
  }
}

/** Outcomes the API answered: their lines are carried over, never sent again. */
const ANSWERED = new Set(['accepted', 'conflict', 'rejected', 'preflight_failed', 'invalid_input']);

export type Decision = 'carry' | 'send' | 'reconcile';

/**
 * What to do with a device the ledger knows (or does not). A device with no line was in flight at
 * the crash if its row lies within the last horizon, and was never sent if beyond it.
 */
export function decide(ledger: ParsedLedger, row: { id: string; line: number }): Decision {
  const entry = ledger.entries.get(row.id);
  if (!entry) return row.line <= ledger.horizon ? 'reconcile' : 'send';
  if (ANSWERED.has(entry.outcome)) return 'carry';
  // An earlier resume stopped before it read this device's actions: read them now.
  if (entry.outcome === 'not_sent' && entry.code === NOT_RECONCILED) return 'reconcile';
  if (entry.outcome === 'not_sent' || entry.attempts === 0) return 'send';
  return codeProvesNothingRan(entry.code) ? 'send' : 'reconcile';
}

/** The device's actions read at most, a page of the API's largest at a time, looking for the run's own. */
const RECONCILE_PAGE = 50;
const RECONCILE_PAGES = 20;

/**
 * A device whose actions could not tell whether the run sent it: more since the run began than a
 * resume reads (`incomplete`: a later resume may read on), or the same push made before the run
 * began, within the allowance for clocks (`ambiguous`: a later resume finds the same).
 */
export class ReconcileIncomplete extends Error {
  constructor(message: string, readonly kind: 'incomplete' | 'ambiguous' = 'incomplete') {
    super(message);
  }
}

/**
 * The run's own action on the device, if one exists: the newest action created since the run began
 * (less a margin for clock skew) that `isThisPush` (its command, its row's values). Undefined when
 * there is none. Pages back until the actions are older than that (the list is newest first), or
 * the list ends; a device with more than RECONCILE_PAGES pages since then is ReconcileIncomplete.
 */
export async function reconcile(client: ApiClient, row: DeviceRow, ledger: RunClock & { run: { writer?: { host: string } } }, isThisPush: (action: ActionRecord) => boolean): Promise<{ id: string; state: string; start: string | null; end: string | null } | undefined> {
  const { listActions, listPages } = await import('../../api/resources.js');
  /** How far back its actions are read: moved, for a ledger with no clock record, once `measured` is known (the first page). */
  const since = () => runStartOnApiClock(ledger, measured);
  /** Why the read of its actions stopped before their end, when it did. */
  let stopped: { why: string; cause: ListStop } | undefined;
  /**
   * How far the API's clock stands from this machine's, read off the first page's time, for a
   * ledger with no clock record; only where the run ran (its start was read on this machine's
   * clock), and not from a time before the actions the answer lists (junk: the answer came after them).
   */
  let measured: number | undefined;
  const here = ledger.run.writer?.host === hostname();
  const readPage = async (offset: number) => {
    const response = await listActions(client, { deviceId: row.id, limit: RECONCILE_PAGE, offset });
    const date = response.serverDate === undefined ? Number.NaN : Date.parse(response.serverDate);
    const server = apiInstant(response.meta.timestamp) ?? (Number.isFinite(date) ? date : undefined);
    const newest = Math.max(...response.data.items.map(createdMs).filter((t) => !Number.isNaN(t)));
    if (here && measured === undefined && server !== undefined && server >= newest) measured = server - Date.now();
    return response;
  };
  const pages = listPages(readPage, { maxPages: RECONCILE_PAGES, pageSize: RECONCILE_PAGE, onCapped: (_next, why, cause) => (stopped = { why, cause }) });
  for await (const page of pages) {
    // Once a page: `measured` is read with the first.
    const from = since();
    const mine = page.items.find((a) => createdMs(a) >= from && isThisPush(a));
    // Found only thanks to the allowance for clocks: an earlier run of the same push, seconds or
    // minutes before this one, is as likely. Neither taken as sent (the device may never have had
    // this run's push) nor sent blind (it may have).
    const began = runStartEstimate(ledger, measured);
    if (mine && createdMs(mine) < began.at) {
      throw new ReconcileIncomplete(`the same push, ${mine.id}, was made ${formatDuration(began.at - createdMs(mine))} before the run began (on ${began.on}), within what amps allows for clocks: it may be an earlier run's`, 'ambiguous');
    }
    if (mine) return { id: mine.id, state: mine.state, start: mine.start ?? null, end: mine.end ?? null };
    if (reachesBefore(page.items, from)) return undefined;
  }
  // Either way the run's own action may be further on: the device is not sent again blind.
  if (stopped?.cause === 'page cap') throw new ReconcileIncomplete(`it has more than ${RECONCILE_PAGE * RECONCILE_PAGES} actions since the run began, more than a resume reads`);
  if (stopped) throw new ReconcileIncomplete(`the list of its actions stopped ${stopped.why}, so the run's action on it may be further on`);
  return undefined;
}

/** When an action was made, as an instant (apiInstant: without its zone, UTC): NaN for one whose createdAt is no time (never this run's, nor a page's end). */
function createdMs(action: ActionRecord): number {
  return apiInstant(action.createdAt) ?? Number.NaN;
}

/** Whether a page, newest first, goes back past `since`: the pages after it hold older actions only. Compared as instants: `Z`, `+00:00` and no zone, with or without milliseconds, are one time. */
function reachesBefore(items: ActionRecord[], since: number): boolean {
  const times = items.map(createdMs).filter((t) => !Number.isNaN(t));
  const newestFirst = times.every((t, i) => i === 0 || t <= times[i - 1]!);
  return newestFirst && times.length > 0 && times[times.length - 1]! < since;
}

/** The ledger line of a device whose push turned out to have gone through. */
export function reconciledEntry(row: DeviceRow, action: { id: string; state: string; start: string | null; end: string | null }, environment: LedgerEntry['environment']): LedgerEntry {
  return {
    id: row.id, outcome: 'accepted', actionId: action.id, state: action.state, code: null, status: null, requestId: null, attempts: 0, exitCode: 0,
    line: row.line, environment, start: action.start, end: action.end, moved: null, resolveWith: null,
    reason: 'reconciled: the earlier run\'s push went through (found among the device\'s actions); not sent again', relinkUrl: null,
  };
}

/**
 * The line of a device whose earlier outcome is still not known (its actions not read: the resume
 * stopped first, or the read failed): not sent, and read first by the next resume.
 */
export function unreconciledEntry(row: DeviceRow, environment: LedgerEntry['environment'], reason: string, exitCode: ExitCode = EXIT.ok, next = 'the earlier run may have sent it, so a resume reads its actions first'): LedgerEntry {
  return {
    id: row.id, outcome: 'not_sent', actionId: null, state: null, code: NOT_RECONCILED, status: null, requestId: null, attempts: 0, exitCode,
    line: row.line, environment, start: null, end: null, moved: null, resolveWith: null,
    reason: `not sent: ${reason}; ${next}`, relinkUrl: null,
  };
}

/** What follows an ambiguous device's reason: a resume would read the same actions and find the same. */
export const AMBIGUOUS_NEXT = 'a resume finds the same, so look, and send it yourself if it needs sending';

/**
 * A ledger still being written (no end record, its writer running here) is not resumed: the resume
 * would send what that run is sending. A writer on another host cannot be seen, and is taken as
 * gone (a ledger carried over from a crashed machine).
 */
export function refuseWhileWritten(ledger: ParsedLedger, path: string): void {
  const writer = ledger.run.writer;
  if (ledger.end !== null || !writerRunsHere(writer)) return;
  throw new UsageError(`the run writing ${path} is still going (process ${writer!.pid}): a resume now would send what it is sending`, 'let it finish, or stop it (Ctrl-C), then resume');
}

/**
 * The ledger its run wrote, when `path` is a copy of it (or another name for it: a hard link) and
 * it is still there; the resume marks it too (claimResumeOf), so that it and its copies are resumed
 * once between them. A copy is resumed only when it is the whole of that ledger: a copy taken while
 * the run was still writing lacks the lines of the devices sent after, which the resume would send
 * again. A ledger whose original is gone (carried over from another machine) is resumed as it is.
 */
export function copiedFrom(ledger: ParsedLedger, path: string): string | undefined {
  const original = ledger.run.ledger;
  if (!original) return undefined;
  const here = realPathOf(path);
  if (here === undefined || here === original) return undefined;
  const written = runRecordAt(original);
  if (!written || written.startedAt !== ledger.run.startedAt || written.fingerprint !== ledger.run.fingerprint) return undefined;
  if (statSync(original).size !== statSync(here).size) {
    throw new UsageError(`${path} is a copy of ${original}, the ledger its run wrote, and not the whole of it: the devices sent after the copy was taken are missing from it`, `resume the original: amps push --resume ${original}`);
  }
  // Whether that ledger was resumed already is its mark's to say, when this resume claims it
  // (claimResumeOf): a mark left by a resume killed before it sent anything is taken over there.
  return original;
}

/**
 * Marks the ledger being resumed, and the ledger it is a copy of (copiedFrom), before anything is
 * sent: a later resume of either, or of another copy, is refused. The original's folder may be
 * read-only (a copy is how such a ledger is resumed): its mark is then left out, and its own resume
 * could not mark it either. Returns the marks' release.
 */
export function claimResumeOf(from: { path: string; original?: string }, into: string): () => void {
  let releaseOriginal = () => {};
  if (from.original !== undefined) {
    try {
      releaseOriginal = claimResume(from.original, into, { unwritable: 'skip' });
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      throw new UsageError(`${from.path} is a copy of ${from.original}, and ${error.message}`, error.hint);
    }
  }
  try {
    const release = claimResume(from.path, into);
    return () => {
      release();
      releaseOriginal();
    };
  } catch (error) {
    releaseOriginal();
    throw error;
  }
}

/** The ledger, checked against what this resume was asked to do. */
export function checkResumable(ledger: ParsedLedger, path: string, type: DeviceType | undefined, inputs: RunInputs | undefined): void {
  if (type !== undefined && type !== ledger.run.inputs.type) throw new UsageError(`the ledger ${path} is a push to ${ledger.run.inputs.type}, not ${type}`);
  if (inputs && fingerprintOf(inputs) !== ledger.run.fingerprint) {
    throw new UsageError(`the ledger ${path} is of another run (${ledger.run.inputs.command} with other flags): a resume sends the same command and body`, 'give no command or body flags with --resume, and the ledger\'s are used');
  }
}
