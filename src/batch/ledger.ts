// The ledger file: written line by line, synchronously, so a crash loses at most the line being
// written and a failed write (a full disk) is known before the next push is sent; and read back,
// whole or as it grows, by `amps watch` and `amps push --resume`. Its records are in contract/ledger.ts.

import { closeSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { type EndRecord, LEDGER_VERSION, type LedgerEntry, type OutcomeRecord, type RunRecord } from '../contract/ledger.js';
import { UsageError } from '../errors/failures.js';
import { isRecord } from '../lib/values.js';
import type { IO } from '../output/io.js';

/**
 * How far ahead of the row being sent a horizon record reaches: rows beyond it are known unsent
 * after a crash, rows within it are reconciled (one read each). A few times the concurrency keeps
 * both the extra lines and the reads after a crash small.
 */
function horizonStep(concurrency: number): number {
  return Math.max(64, concurrency * 4);
}

export class LedgerWriter {
  private readonly fd?: number;
  private horizon = 0;

  /** `json`: device and outcome lines also go to stdout, as the run's --json output. */
  constructor(private readonly io: IO, private readonly json: boolean, readonly path?: string, private readonly concurrency = 8) {
    if (!path) return;
    // Opened here, before anything is sent, so a bad path is a usage error, not a lost ledger.
    try {
      this.fd = openSync(path, 'w', 0o644);
    } catch (error) {
      throw new UsageError(`cannot write --out ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }

  private writeFile(line: string): void {
    if (this.fd === undefined) return;
    const buffer = Buffer.from(line);
    let written = 0;
    while (written < buffer.length) written += writeSync(this.fd, buffer, written);
  }

  /** The run's first line: only in the file (stdout carries results). A file that cannot take it is a usage error: nothing was sent yet. */
  run(record: RunRecord): void {
    try {
      this.writeFile(`${JSON.stringify(record)}\n`);
    } catch (error) {
      throw new UsageError(`cannot write the ledger ${this.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; nothing was sent`);
    }
  }

  /** Throws when the file cannot take the line. */
  write(entry: LedgerEntry): void {
    const line = `${JSON.stringify(entry)}\n`;
    this.writeFile(line);
    if (this.json) this.io.stdout.write(line);
  }

  outcome(record: OutcomeRecord): void {
    const line = `${JSON.stringify(record)}\n`;
    this.writeFile(line);
    if (this.json) this.io.stdout.write(line);
  }

  /**
   * Called before a row is sent: when the row lies beyond the last horizon, a new one is written
   * first, so that after a crash every row past the last horizon is known never to have been sent.
   */
  beforeSend(line: number): void {
    if (this.fd === undefined || line <= this.horizon) return;
    this.horizon = line + horizonStep(this.concurrency);
    this.writeFile(`${JSON.stringify({ horizon: this.horizon })}\n`);
  }

  end(record: EndRecord): void {
    try {
      this.writeFile(`${JSON.stringify(record)}\n`);
    } catch {
      // The run's lines are what matter; a missing end record only says the run did not finish cleanly.
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
  }
}

/**
 * Appends outcome records to a ledger whose run has ended (no other process writes it any more),
 * so the next watch, a resume and the rerun lines' grep see them.
 */
export function outcomeAppender(path: string): { append(record: OutcomeRecord): void; close(): void } {
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (error) {
    throw new UsageError(`cannot append to the ledger ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return {
    append: (record) => {
      writeSync(fd, `${JSON.stringify(record)}\n`);
    },
    close: () => closeSync(fd),
  };
}

/** A ledger read back. */
export interface ParsedLedger {
  run: RunRecord['run'];
  /** Device id -> its line (the last, for a device that has more than one). */
  entries: Map<string, LedgerEntry>;
  /** Action id -> what became of it. */
  outcomes: Map<string, OutcomeRecord['outcome']>;
  /** No row after this line was sent (0: no horizon written). */
  horizon: number;
  end: EndRecord['end'] | null;
  /** Bytes read so far: `amps watch` reads on from here as the file grows. */
  offset: number;
  /** The last line was cut off mid-write (a crash): ignored. */
  cutTail: boolean;
}

const LIMIT = 256 * 1024 * 1024;

/** Reads from `offset` to the end of the file; a line without its newline at the end is left for later. */
function readFrom(path: string, offset: number): { lines: string[]; next: number; tail: string } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new UsageError(`cannot read the ledger ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    const size = statSync(path).size;
    if (size - offset > LIMIT) throw new UsageError(`the ledger ${path} is larger than ${LIMIT / 1024 / 1024} MiB`);
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, offset + read);
      if (n === 0) break;
      read += n;
    }
    const text = buffer.subarray(0, read).toString('utf8');
    const lastNewline = text.lastIndexOf('\n');
    const complete = lastNewline === -1 ? '' : text.slice(0, lastNewline);
    return { lines: complete === '' ? [] : complete.split('\n'), next: offset + Buffer.byteLength(complete) + (lastNewline === -1 ? 0 : 1), tail: text.slice(lastNewline + 1) };
  } finally {
    closeSync(fd);
  }
}

function applyLine(ledger: ParsedLedger, value: unknown, path: string, number: number): void {
  if (!isRecord(value)) throw new UsageError(`the ledger ${path} is not an amps ledger: line ${number} is not a JSON object`);
  if (typeof value.id === 'string' && typeof value.outcome === 'string') ledger.entries.set(value.id, value as unknown as LedgerEntry);
  else if (value.id === null && typeof value.outcome === 'string') return; // an input row without an id
  else if (isRecord(value.outcome) && typeof value.outcome.actionId === 'string') ledger.outcomes.set(value.outcome.actionId, value.outcome as OutcomeRecord['outcome']);
  else if (typeof value.horizon === 'number') ledger.horizon = Math.max(ledger.horizon, value.horizon);
  else if (isRecord(value.end)) ledger.end = value.end as EndRecord['end'];
  else throw new UsageError(`the ledger ${path} is not an amps ledger: line ${number} is neither a device nor a record amps writes`);
}

/**
 * A whole ledger, checked: its first line must be a push run of a format this amps reads; a line
 * cut off mid-write is tolerated only at the very end (where a crash leaves it).
 */
export function readLedger(path: string): ParsedLedger {
  const { lines, next, tail } = readFrom(path, 0);
  if (lines.length === 0) throw new UsageError(`the ledger ${path} is ${tail.trim() === '' ? 'empty' : 'not an amps ledger (no complete line)'}`);
  let first: unknown;
  try {
    first = JSON.parse(lines[0]);
  } catch {
    throw new UsageError(`the ledger ${path} is not an amps ledger: its first line is not JSON`);
  }
  if (!isRecord(first) || !isRecord(first.run)) {
    throw new UsageError(`the ledger ${path} has no run record: write it with amps push --devices … --out FILE (stdout's --json lines are not a ledger)`);
  }
  const run = first.run as RunRecord['run'];
  if (typeof run.version !== 'number' || run.version > LEDGER_VERSION) throw new UsageError(`the ledger ${path} was written by a newer amps (format ${String(run.version)}); this one reads format ${LEDGER_VERSION}`);
  if (run.command !== 'push' || !isRecord(run.inputs) || typeof run.fingerprint !== 'string') throw new UsageError(`the ledger ${path} is not the ledger of an amps push`);
  const ledger: ParsedLedger = { run, entries: new Map(), outcomes: new Map(), horizon: 0, end: null, offset: next, cutTail: tail.trim() !== '' };
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new UsageError(`the ledger ${path} is damaged: line ${i + 2} is not JSON (only the last line may be cut off)`);
    }
    applyLine(ledger, value, path, i + 2);
  });
  return ledger;
}

/** Reads what was appended since the last read (another process still writing it), into `ledger`. */
export function readMore(path: string, ledger: ParsedLedger): number {
  const { lines, next, tail } = readFrom(path, ledger.offset);
  let added = 0;
  for (const line of lines) {
    if (line.trim() === '') continue;
    try {
      applyLine(ledger, JSON.parse(line), path, 0);
      added++;
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`the ledger ${path} is damaged: a line appended to it is not JSON`);
    }
  }
  ledger.offset = next;
  ledger.cutTail = tail.trim() !== '';
  return added;
}
