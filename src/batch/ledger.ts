// The ledger file: written line by line, synchronously, so a crash loses at most the line being
// written and a failed write (a full disk) is known before the next push is sent; and read back,
// whole or as it grows, by `amps watch` and `amps push --resume`. Its records are in contract/ledger.ts.

import { closeSync, constants, fstatSync, ftruncateSync, lstatSync, openSync, readSync, rmSync, type Stats, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { clockOffset, type ClockRecord, type EndRecord, isClockRecord, LEDGER_VERSION, type LedgerEntry, type OutcomeRecord, type RunRecord } from '../contract/ledger.js';
import { CLOCK_MARGIN_MS } from '../domain/time.js';
import { UsageError } from '../errors/failures.js';
import { writerRuns } from '../lib/process.js';
import { isRecord, jsonText, redactUrl, systemErrorText } from '../lib/values.js';
import type { IO } from '../output/io.js';
import { safeToPrint } from '../output/text.js';

/**
 * A device's line or outcome as the ledger and stdout carry it, with any key its reason quotes
 * redacted (a CSV cell pasted into the wrong column). Its id is kept as it is, for resume and
 * watch to match: idProblem refused a key pasted as one.
 */
function entryLine(entry: LedgerEntry | OutcomeRecord): string {
  return `${jsonText('reason' in entry && entry.reason !== null ? { ...entry, reason: safeToPrint(entry.reason) } : entry)}\n`;
}

/**
 * How far ahead of the row being sent a horizon record reaches: rows beyond it are known unsent
 * after a crash, rows within it are reconciled (one read each). A few times the concurrency keeps
 * both the extra lines and the reads after a crash small.
 */
function horizonStep(concurrency: number): number {
  return Math.max(64, concurrency * 4);
}

/** The run record on a file's first line, or undefined (no such file, not a regular file, or none there). */
export function runRecordAt(path: string): RunRecord['run'] | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    const buffer = Buffer.alloc(64 * 1024);
    const text = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
    const newline = text.indexOf('\n');
    if (newline === -1) return undefined;
    const first: unknown = JSON.parse(text.slice(0, newline));
    return isRecord(first) && isRecord(first.run) ? (first.run as RunRecord['run']) : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * True while the writer a run record names runs on this machine. A writer on another host cannot
 * be seen, and is taken as gone (a ledger carried over from a crashed machine).
 */
export function writerRunsHere(writer: unknown): boolean {
  return isRecord(writer) && writer.host === hostname() && typeof writer.pid === 'number' && writerRuns(writer.pid, typeof writer.start === 'string' ? writer.start : undefined);
}

/**
 * Why a resume with `session` would send to another API than the run did (null: the same, or the
 * ledger does not say): another server holds none of the run's actions, and may hold other devices
 * of the same ids. Compared as the API's origin and path, without credentials. (A watch only reads:
 * an action another API does not list stays pending there, never taken as done.)
 */
export function otherApiThan(run: { api?: string | null }, session: { embedded: boolean; apiUrl: string | undefined }): { ran: string; now: string } | null {
  if (typeof run.api !== 'string' || session.embedded || session.apiUrl === undefined) return null;
  const now = redactUrl(session.apiUrl);
  return apiIdentity(run.api) === apiIdentity(now) ? null : { ran: run.api, now };
}

/** Which API a URL names, to compare two: its origin and path, a trailing `/` aside. */
function apiIdentity(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
  } catch {
    return url;
  }
}

/**
 * True when the run record names a writer on this machine that no longer runs: a ledger with no end
 * record then never gets one (the run crashed or was killed). A writer on another machine is not known.
 */
export function writerGoneHere(writer: unknown): boolean {
  return isRecord(writer) && writer.host === hostname() && typeof writer.pid === 'number' && !writerRunsHere(writer);
}

/** True while the process that writes the ledger at `path` (its run record names it) runs on this machine. */
export function beingWritten(path: string): boolean {
  return writerRunsHere(runRecordAt(path)?.writer);
}

/** True when the file's first line is an amps run record: the ledger of a run, the record of what it sent. */
export function holdsRunRecord(path: string): boolean {
  return runRecordAt(path) !== undefined;
}

/**
 * Refuses an --out that would destroy what the run needs or what an earlier run recorded: the
 * devices file itself (named, or given as stdin: `--devices - < list.txt`), the ledger being
 * resumed, or any earlier run's ledger. Anything else that exists (a file that is not a ledger,
 * /dev/stdout) is written over. Whether it exists: the writer must then find it as it was
 * (LedgerWriter's `mayExist`).
 */
export function checkLedgerTarget(out: string, inputs: Array<{ path: string; what: string }>): { exists: boolean } {
  if (isMarkName(out)) throw new UsageError(`--out ${out} is named as a resume's mark (${RESUME_MARK_SUFFIX}), which amps keeps beside a ledger it resumes`, 'name the ledger otherwise');
  let target: Stats;
  try {
    target = statSync(out);
  } catch {
    return { exists: false };
  }
  for (const input of inputs) {
    let read: Stats;
    try {
      // Stdin is what the shell opened for it: a regular file there is a file like any other.
      read = input.path === '-' ? fstatSync(0) : statSync(input.path);
    } catch {
      continue;
    }
    // Only a file holds what a ledger would destroy: a terminal read for --devices and written for
    // --out (/dev/stdout at a prompt) is one device, and no record.
    if (!read.isFile()) continue;
    if (read.dev === target.dev && read.ino === target.ino) throw new UsageError(`--out ${out} is ${input.what}: the ledger would write over it`, 'name a new file for the ledger');
  }
  if (target.isFile() && holdsRunRecord(out)) {
    throw new UsageError(`--out ${out} is the ledger of an earlier run, the record of what that run sent`, `name a new file, or remove it first (amps push --resume ${out} continues that run)`);
  }
  return { exists: true };
}

/**
 * The mark a resume leaves beside the ledger it continues (commands/push/resume.ts), and the lock
 * a take-over of a stale one holds: no ledger may be written under either name.
 */
export const RESUME_MARK_SUFFIX = '.resumed-into';
const isMarkName = (path: string) => path.endsWith(RESUME_MARK_SUFFIX) || path.endsWith(`${RESUME_MARK_SUFFIX}.lock`);

/**
 * How far a device's actions are read back on the API's clock, as an instant: the run's start
 * (its own clock) moved by how far the API's clock stood from it at the run's first accepted push
 * (the ledger's clock record), less ANSWER_MARGIN_MS; without that record (a run stopped before a
 * push was accepted, or written by an amps before it), less CLOCK_MARGIN_MS, any skew the clocks
 * may have. The reading compares `createdAt` with itself, and can only make the API's clock look
 * behind (the action was made before its answer reached the run): the start it gives is never
 * after the true one, so the run's own actions stay within reach, and an earlier run's, made
 * minutes before, no longer are. Without the record, `measured` (how far the API's clock stands
 * from this machine's, read off an answer at the resume, where the run ran) moves the start too,
 * only ever earlier: an API whose clock is ten minutes behind made the run's actions before the
 * run's start less CLOCK_MARGIN_MS, and a resume that did not reach back to them sent those
 * devices again.
 */
export function runStartOnApiClock({ run, clock }: RunClock, measured?: number): number {
  const started = Date.parse(run.startedAt);
  const offset = clock === null ? undefined : clockOffset(clock);
  if (offset !== undefined) return started + offset - ANSWER_MARGIN_MS;
  return started + Math.min(0, measured ?? 0) - CLOCK_MARGIN_MS;
}

/**
 * The run's start on the API's clock as best known, with no margin: moved by the clock record's
 * offset, else by `measured` (how far the API's clock stands from this machine's now, read off an
 * answer's time: clocks drift by little between a run and its resume), else as the run's own clock
 * read it. Each reading can only make the API's clock look behind (an answer is read after it is
 * made), so the run's own actions come after it; one of the same push made before it, inside what
 * runStartOnApiClock allows for clocks, may as well be an earlier run's.
 */
export function runStartEstimate({ run, clock }: RunClock, measured?: number): { at: number; on: 'the API\'s clock' | 'this machine\'s clock' } {
  const offset = (clock === null ? undefined : clockOffset(clock)) ?? measured;
  return { at: Date.parse(run.startedAt) + (offset ?? 0), on: offset === undefined ? 'this machine\'s clock' : 'the API\'s clock' };
}

/** What places a run on the API's clock: when it started (its own clock), and its clock record. */
export type RunClock = { run: Pick<ParsedLedger['run'], 'startedAt'>; clock: ParsedLedger['clock'] };

/**
 * How far a follow reads terminal lists back (the follower's `since`): the earlier of the run's
 * start on this machine's clock less CLOCK_MARGIN_MS and on the API's (runStartOnApiClock). Going
 * back further only costs reads; stopping short would miss a failed action, which two rounds
 * without it would then count completed.
 */
export function followSince(ledger: RunClock): number {
  return Math.min(Date.parse(ledger.run.startedAt) - CLOCK_MARGIN_MS, runStartOnApiClock(ledger));
}

/**
 * What a reading may still be off by in the unsafe direction: none in principle (see
 * runStartOnApiClock); this covers an API whose hosts' clocks stand a little apart, as the action
 * that gave the record and the actions read back may come from different hosts. An earlier run of
 * the same push less than this before this one's start is still taken for it, as any within five
 * minutes was before the record.
 */
const ANSWER_MARGIN_MS = 30_000;

export class LedgerWriter {
  private readonly fd?: number;
  private horizon = 0;
  /** Whether this run made the file (it did not exist): only then may abandon() remove it. */
  private readonly created: boolean = false;
  /** A regular file: written at known offsets, and cut back to its last whole line when a write fails. */
  private readonly regular: boolean = false;
  /** The bytes of whole lines written. */
  private size = 0;
  /** A write failed and the file could not be cut back: nothing more may follow the partial line. */
  private stuck?: unknown;

  /**
   * `json`: device and outcome lines also go to stdout, as the run's --json output. `mayExist`:
   * false when checkLedgerTarget found no file there: one there now was made since, by another
   * process (another run with the same --out), and is not written over.
   */
  constructor(private readonly io: IO, private readonly json: boolean, readonly path?: string, private readonly concurrency = 8, mayExist = true) {
    if (!path) return;
    // Opened here, before anything is sent, so a bad path is a usage error, not a lost ledger.
    try {
      try {
        this.fd = openSync(path, 'wx', 0o644);
        this.created = true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        if (!mayExist && lstatSync(path).isFile()) {
          throw new UsageError(`--out ${path} was made by another process after this run checked it (another run with the same --out?): it is not written over, and nothing was sent`, 'give each run its own --out');
        }
        // A file that was no ledger when checked, and is one now: another run began writing it since.
        if (holdsRunRecord(path)) throw new UsageError(`--out ${path} became another run's ledger after this run checked it: it is not written over, and nothing was sent`, 'give each run its own --out');
        // A FIFO no one reads would hold the open (and with it Ctrl-C and SIGTERM) for ever: asked
        // first without waiting, it says ENXIO. One with a reader is written as a pipe.
        if (statSync(path).isFIFO()) closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
        this.fd = openSync(path, 'w', 0o644);
      }
      this.regular = fstatSync(this.fd).isFile();
    } catch (error) {
      if (error instanceof UsageError) throw error;
      if ((error as NodeJS.ErrnoException).code === 'ENXIO') {
        // A socket's path opens as ENXIO too: no ledger can be written to one.
        if (isSocketPath(path)) throw new UsageError(`--out ${path} is a socket: a ledger is written to a file, or a FIFO a process reads`);
        throw new UsageError(`--out ${path} is a FIFO no process reads: the run would wait for one before sending anything`, 'start its reader first, or name a file');
      }
      throw new UsageError(`cannot write --out ${path}: ${systemErrorText(error)}`);
    }
  }

  /**
   * A whole line, or none: a write that fails part-way (a full disk) is cut back off the file, so
   * that a line written later (the end record, once space frees) never follows a partial one, which
   * would make the ledger unreadable to a resume.
   */
  private writeFile(line: string): void {
    if (this.fd === undefined) return;
    if (this.stuck !== undefined) throw this.stuck;
    const buffer = Buffer.from(line);
    writeWhole(this.fd, buffer, this.regular ? this.size : null, (error) => (this.stuck = error));
    this.size += buffer.length;
  }

  /**
   * Closes the file and removes it if this run made it and the path still names it (never a file
   * that was there before, a device, or what a symlink points to): for a run that sent nothing.
   */
  abandon(): void {
    if (this.fd === undefined || this.path === undefined) return;
    let ours = false;
    try {
      const open = fstatSync(this.fd);
      const named = lstatSync(this.path);
      ours = this.created && named.isFile() && named.dev === open.dev && named.ino === open.ino;
    } catch {
      // Gone, or unreadable: left alone.
    }
    closeSync(this.fd);
    if (ours) rmSync(this.path, { force: true });
  }

  /** The run's first line: only in the file (stdout carries results). A file that cannot take it is a usage error: nothing was sent yet. */
  run(record: RunRecord): void {
    try {
      this.writeFile(`${jsonText(record)}\n`);
    } catch (error) {
      throw new UsageError(`cannot write the ledger ${this.path}: ${systemErrorText(error)}; nothing was sent`);
    }
  }

  /**
   * Throws when the file cannot take the line. stdout's --json line goes first: a file that cannot
   * take it (a full disk) does not keep a script reading stdout from learning what was sent.
   */
  write(entry: LedgerEntry): void {
    this.writeLine(entryLine(entry));
  }

  outcome(record: OutcomeRecord): void {
    this.writeLine(entryLine(record));
  }

  /**
   * Once a line failed, the lines after it are not tried in the file (space freed later would put
   * them after a gap): they throw what the first met, and are printed with it (report.ts).
   */
  private writeLine(line: string): void {
    if (this.json) this.io.stdout.write(line);
    if (this.lineFailed !== undefined) throw this.lineFailed;
    try {
      this.writeFile(line);
    } catch (error) {
      this.lineFailed = error;
      throw error;
    }
  }

  private lineFailed?: unknown;

  /**
   * Called before a row is sent: when the row lies beyond the last horizon, a new one is written
   * first, so that after a crash every row past the last horizon is known never to have been sent.
   */
  beforeSend(line: number): void {
    if (this.fd === undefined || line <= this.horizon) return;
    this.horizon = line + horizonStep(this.concurrency);
    this.writeFile(`${jsonText({ horizon: this.horizon })}\n`);
  }

  /**
   * A resume's ledger starts with the horizon of the one it resumes: rows up to it may have been
   * sent by the earlier run, and if this resume is killed before it has written their lines, the
   * next resume must read their actions before it sends them, as this one would have.
   */
  carryHorizon(line: number): void {
    if (this.fd === undefined || line <= this.horizon) return;
    this.horizon = line;
    this.writeFile(`${jsonText({ horizon: line })}\n`);
  }

  /**
   * The API's clock beside the run's (ClockRecord), once: the run's reading, or the earlier
   * ledger's for a resume. Throws when the file cannot take the line.
   */
  clock(clock: ClockRecord['clock']): void {
    if (this.clockRecord !== null || clockOffset(clock) === undefined) return;
    this.clockRecord = clock;
    this.writeFile(`${jsonText({ clock })}\n`);
  }

  /** The clock record kept (written, or only kept when there is no file): what a follow of this run reads back to. */
  clockRecord: ClockRecord['clock'] | null = null;

  end(record: EndRecord): void {
    try {
      this.writeFile(`${jsonText(record)}\n`);
    } catch {
      // The run's lines are what matter; a missing end record only says the run did not finish cleanly.
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
  }
}

/**
 * Appends outcome records to a ledger whose run has ended (no run writes it any more; watches may,
 * each appending whole lines), so the next watch, a resume and the rerun lines' grep see them. A
 * partial last line (an earlier append cut by a full disk) is cut off first, and an append that
 * fails part-way is cut back: the ledger always reads to its end.
 */
export function outcomeAppender(path: string): { append(record: OutcomeRecord): void; close(): void } {
  let fd: number;
  try {
    fd = openSync(path, 'a+');
    const whole = wholeLinesEnd(fd);
    if (whole < fstatSync(fd).size) ftruncateSync(fd, whole);
  } catch (error) {
    throw new UsageError(`cannot append to the ledger ${path}: ${systemErrorText(error)}`);
  }
  return {
    // An append: written at the end whatever the offset given, cut back to the size before it. A
    // part left (the cut failed) is a cut last line, which a ledger may end with; the next append cuts it.
    append: (record) => writeWhole(fd, Buffer.from(entryLine(record)), fstatSync(fd).size, () => {}),
    close: () => closeSync(fd),
  };
}

/**
 * Writes the whole of `buffer` at `at` (null: where the descriptor stands, for a pipe or device;
 * with O_APPEND the end, whatever `at` says), or none of it: a write that fails part-way is cut
 * back to `at`, and `partLeft` hears the write's error when a part stays (no offset to cut back
 * to, or the cut failed). The write's error is thrown either way.
 */
function writeWhole(fd: number, buffer: Buffer, at: number | null, partLeft: (error: unknown) => void): void {
  let written = 0;
  try {
    while (written < buffer.length) written += writeSync(fd, buffer, written, buffer.length - written, at === null ? null : at + written);
  } catch (error) {
    if (written > 0 && at === null) partLeft(error);
    else if (written > 0) {
      try {
        ftruncateSync(fd, at!);
      } catch {
        partLeft(error);
      }
    }
    throw error;
  }
}

/** Where the file's whole lines end: its size, or before a last line without its newline. */
function wholeLinesEnd(fd: number): number {
  const size = fstatSync(fd).size;
  if (size === 0) return 0;
  const length = Math.min(size, MAX_LINE_BYTES + 1);
  const tail = Buffer.alloc(length);
  readSync(fd, tail, 0, length, size - length);
  if (tail[length - 1] === 10) return size;
  const newline = tail.lastIndexOf(10);
  // No newline within a line's length: not a ledger's tail; left as it is (readers refuse it).
  return newline === -1 ? size : size - length + newline + 1;
}

/**
 * Takes device lines and outcomes as they are read, instead of the ledger keeping them: `amps
 * watch` needs only the accepted actions still to follow, and a 100,000-device ledger held whole
 * costs more memory than following it.
 */
export interface LedgerVisitor {
  /** The run record, before any other line. */
  run(run: RunRecord['run']): void;
  entry(entry: LedgerEntry): void;
  outcome(outcome: OutcomeRecord['outcome']): void;
}

/** A ledger read back. */
export interface ParsedLedger {
  run: RunRecord['run'];
  /** Device id -> its line (the last, for a device that has more than one); empty when read with a visitor. */
  entries: Map<string, LedgerEntry>;
  /** Action id -> what became of it; empty when read with a visitor. */
  outcomes: Map<string, OutcomeRecord['outcome']>;
  visitor?: LedgerVisitor;
  /** No row after this line was sent (0: no horizon written). */
  horizon: number;
  /** The API's clock beside the run's (ClockRecord), when a push of the run was accepted. */
  clock: ClockRecord['clock'] | null;
  end: EndRecord['end'] | null;
  /** Bytes read so far: `amps watch` reads on from here as the file grows. */
  offset: number;
  /** The last line was cut off mid-write (a crash): ignored. */
  cutTail: boolean;
}

/** Read in chunks of this size, never the whole file: a 100,000-device ledger is ~50 MB. */
const CHUNK_BYTES = 1024 * 1024;
/** No line amps writes comes near this; a longer one is not a ledger's. */
const MAX_LINE_BYTES = 1024 * 1024;

/**
 * Calls `visit` with each complete line from `offset` on, a chunk at a time; a line without its
 * newline at the end is left for later (returned as `tail`, with `next` the offset it starts at).
 */
function eachLine(path: string, offset: number, visit: (line: string) => void): { next: number; tail: string } {
  let fd: number;
  try {
    // Without waiting: a FIFO given as a ledger must not hold the run in open() until a writer comes.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new UsageError(`cannot read the ledger ${path}: ${systemErrorText(error)}`);
  }
  try {
    // A directory, a FIFO or a device is no ledger (a directory's read would fail with EISDIR).
    if (!fstatSync(fd).isFile()) throw new UsageError(`the ledger ${path} is not an amps ledger: not a regular file`);
    return readLines(fd, path, offset, visit);
  } catch (error) {
    // The system's refusals to read (EIO) are the file's; anything else is not.
    if (typeof (error as NodeJS.ErrnoException).syscall !== 'string') throw error;
    throw new UsageError(`cannot read the ledger ${path}: ${systemErrorText(error)}`);
  } finally {
    closeSync(fd);
  }
}

function readLines(fd: number, path: string, offset: number, visit: (line: string) => void): { next: number; tail: string } {
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let carry = Buffer.alloc(0);
  let next = offset;
  let readAt = offset;
  for (;;) {
    const n = readSync(fd, chunk, 0, CHUNK_BYTES, readAt);
    if (n === 0) break;
    readAt += n;
    const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
    let start = 0;
    for (let newline = data.indexOf(10); newline !== -1; newline = data.indexOf(10, start)) {
      visit(data.toString('utf8', start, newline));
      start = newline + 1;
    }
    next += start;
    // A copy: `chunk` is read into again.
    carry = Buffer.from(data.subarray(start));
    if (carry.length > MAX_LINE_BYTES) throw new UsageError(`the ledger ${path} is not an amps ledger: a line longer than ${MAX_LINE_BYTES / 1024} KiB`);
  }
  return { next, tail: carry.toString('utf8') };
}

function applyLine(ledger: ParsedLedger, value: unknown, path: string, number: number): void {
  if (!isRecord(value)) throw new UsageError(`the ledger ${path} is not an amps ledger: line ${number} is not a JSON object`);
  if (typeof value.id === 'string' && typeof value.outcome === 'string') {
    const entry = value as unknown as LedgerEntry;
    if (ledger.visitor) ledger.visitor.entry(entry);
    else ledger.entries.set(entry.id!, entry);
  } else if (value.id === null && typeof value.outcome === 'string') {
    // An input row without an id (a repeat, a bad id): no device to key it by, but its exit code counts (watch --exit-status).
    ledger.visitor?.entry(value as unknown as LedgerEntry);
  }
  else if (isRecord(value.outcome) && typeof value.outcome.actionId === 'string') {
    const outcome = value.outcome as OutcomeRecord['outcome'];
    if (ledger.visitor) ledger.visitor.outcome(outcome);
    else ledger.outcomes.set(outcome.actionId, outcome);
  } else if (typeof value.horizon === 'number') ledger.horizon = Math.max(ledger.horizon, value.horizon);
  else if (isClockRecord(value)) {
    // The one that puts the API's clock furthest behind (the safe side); one that holds no time is no anchor.
    const offset = clockOffset(value.clock);
    if (offset !== undefined && (ledger.clock === null || offset < clockOffset(ledger.clock)!)) ledger.clock = { server: value.clock.server as string, local: value.clock.local as string };
  }
  else if (isRecord(value.end)) ledger.end = value.end as EndRecord['end'];
  else throw new UsageError(`the ledger ${path} is not an amps ledger: line ${number} is neither a device nor a record amps writes`);
}

/**
 * A whole ledger, checked: its first line must be a push run of a format this amps reads; a line
 * cut off mid-write is tolerated only at the very end (where a crash leaves it).
 */
export function readLedger(path: string, visitor?: LedgerVisitor): ParsedLedger {
  let ledger: ParsedLedger | undefined;
  let number = 0;
  const { next, tail } = eachLine(path, 0, (line) => {
    number++;
    if (!ledger) {
      ledger = { run: runOf(line, path), entries: new Map(), outcomes: new Map(), visitor, horizon: 0, clock: null, end: null, offset: 0, cutTail: false };
      visitor?.run(ledger.run);
      return;
    }
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new UsageError(`the ledger ${path} is damaged: line ${number} is not JSON (only the last line may be cut off)`);
    }
    applyLine(ledger, value, path, number);
  });
  if (!ledger) throw new UsageError(`the ledger ${path} is ${tail.trim() === '' ? 'empty' : 'not an amps ledger (no complete line)'}`);
  ledger.offset = next;
  ledger.cutTail = tail.trim() !== '';
  return ledger;
}

/** The first line: a push run of a format this amps reads. */
function runOf(line: string, path: string): RunRecord['run'] {
  let first: unknown;
  try {
    first = JSON.parse(line);
  } catch {
    throw new UsageError(`the ledger ${path} is not an amps ledger: its first line is not JSON`);
  }
  if (!isRecord(first) || !isRecord(first.run)) {
    throw new UsageError(`the ledger ${path} has no run record: write it with amps push --devices … --out FILE (stdout's --json lines are not a ledger)`);
  }
  const run = first.run as RunRecord['run'];
  if (typeof run.version !== 'number' || run.version > LEDGER_VERSION) throw new UsageError(`the ledger ${path} was written by a newer amps (format ${String(run.version)}); this one reads format ${LEDGER_VERSION}`);
  if (run.command !== 'push' || !isRecord(run.inputs) || typeof run.fingerprint !== 'string') throw new UsageError(`the ledger ${path} is not the ledger of an amps push`);
  const problem = runRecordProblem(first.run);
  if (problem) throw new UsageError(`the ledger ${path} is damaged: its run record's ${problem}`);
  return run;
}

/** What in a run record is not as amps writes it (resume and watch read every field), or undefined. */
function runRecordProblem(run: Record<string, unknown>): string | undefined {
  const text = (value: unknown) => typeof value === 'string';
  const optionalText = (value: unknown) => value === undefined || typeof value === 'string';
  const instant = (value: unknown) => value === null || (typeof value === 'number' && Number.isFinite(value));
  const inputs = run.inputs as Record<string, unknown>;
  if (!text(inputs.type) || !text(inputs.command)) return 'inputs have no type or command';
  if (!isRecord(inputs.quantities) || !Object.values(inputs.quantities).every(text)) return 'quantities are not text';
  if (!['at', 'start', 'end', 'tz', 'onConflict', 'simulateFailure', 'simulateAt'].every((name) => optionalText(inputs[name]))) return 'flags are not text';
  const times = run.times;
  if (!isRecord(times) || !instant(times.start) || !instant(times.end) || !text(times.zone)) return 'times are not instants and a zone';
  if (!text(run.devices) || run.devices === '') return 'devices source is missing';
  if (run.devicesDigest !== undefined && run.devicesDigest !== null && !(typeof run.devicesDigest === 'string' && /^[0-9a-f]{64}$/.test(run.devicesDigest))) return 'devices digest is not one';
  if (!text(run.startedAt) || Number.isNaN(Date.parse(run.startedAt as string))) return 'start time is not a time';
  // --concurrency's own range: a resume takes it from here.
  if (!Number.isInteger(run.concurrency) || (run.concurrency as number) < 1 || (run.concurrency as number) > 256) return 'concurrency is not a whole number from 1 to 256';
  if (!text(run.environment)) return 'environment is missing';
  if (run.api !== undefined && run.api !== null && !text(run.api)) return 'API URL is not text';
  if (run.resumedFrom !== undefined && run.resumedFrom !== null && !text(run.resumedFrom)) return 'resumedFrom is not a path';
  if (!optionalText(run.ledger)) return 'ledger is not a path';
  if (run.writer !== undefined && !(isRecord(run.writer) && Number.isSafeInteger(run.writer.pid) && text(run.writer.host) && optionalText(run.writer.start))) return 'writer is not a process';
  if (run.shape !== undefined) {
    const shape = run.shape;
    const flag = (value: unknown) => typeof value === 'boolean';
    const textOrNull = (value: unknown) => value === null || typeof value === 'string';
    if (!isRecord(shape) || !flag(shape.wait) || !flag(shape.verify) || !flag(shape.canaryPerModel) || !textOrNull(shape.waves) || !textOrNull(shape.abortIf)
      || !(shape.waitTimeout === null || (typeof shape.waitTimeout === 'number' && Number.isFinite(shape.waitTimeout) && shape.waitTimeout > 0))) return 'shape is not the flags amps writes';
    // How the run sent, restored by a resume: each within its flag's own range (absent in older ledgers).
    const within = (value: unknown, min: number, max: number) => value === undefined || value === null || (Number.isInteger(value) && (value as number) >= min && (value as number) <= max);
    if (!(shape.failFast === undefined || shape.failFast === null || typeof shape.failFast === 'boolean' || (typeof shape.failFast === 'string' && /^[a-z,\s]+$/.test(shape.failFast)))
      || !within(shape.retry, 0, 10) || !within(shape.timeoutMs, 1, 3_600_000) || !(shape.preflight === undefined || flag(shape.preflight))) return 'shape is not the flags amps writes';
  }
  return undefined;
}

/** Reads what was appended since the last read (another process still writing it), into `ledger`. */
export function readMore(path: string, ledger: ParsedLedger): number {
  let added = 0;
  const { next, tail } = eachLine(path, ledger.offset, (line) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new UsageError(`the ledger ${path} is damaged: a line appended to it is not JSON`);
    }
    applyLine(ledger, value, path, 0);
    added++;
  });
  ledger.offset = next;
  ledger.cutTail = tail.trim() !== '';
  return added;
}

function isSocketPath(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}
