// What a batch shows a person and writes for a script: the ledger (NDJSON on stdout with --json,
// and in --out FILE as it goes), a live progress line on a terminal, the summary by outcome and
// code with the retry guidance for each, and the command lines that rerun the conflicted devices.

import { closeSync, openSync, writeSync } from 'node:fs';
import type { Strategy } from '../contract/actions.js';
import { UsageError } from '../errors/failures.js';
import { type IO, writeLine } from '../output/io.js';
import { liveLine } from '../output/spinner.js';
import { formatTable } from '../output/table.js';
import { shellQuote, suggestedCommand } from '../output/text.js';
import { guidanceFor, type BatchReport, type LedgerEntry } from './run.js';

/**
 * The ledger file is written line by line, synchronously: a crash loses at most the line being
 * written, and a write that fails (a full disk, /dev/full) throws at once, so the run stops issuing
 * before it sends what it could not record.
 */
export class Ledger {
  private readonly fd?: number;

  constructor(private readonly io: IO, private readonly json: boolean, readonly path?: string) {
    if (!path) return;
    // Opened here, before anything is sent, so a bad path is a usage error, not a lost ledger.
    try {
      this.fd = openSync(path, 'w', 0o644);
    } catch (error) {
      throw new UsageError(`cannot write --out ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }

  /** Writes one line; throws when the file cannot take it. */
  write(entry: LedgerEntry): void {
    const line = `${JSON.stringify(entry)}\n`;
    if (this.fd !== undefined) {
      const buffer = Buffer.from(line);
      let written = 0;
      while (written < buffer.length) written += writeSync(this.fd, buffer, written);
    }
    if (this.json) this.io.stdout.write(line);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
  }
}

const BAR_WIDTH = 24;

/** One line on stderr, redrawn: a bar when the total is known, counts by outcome, rate. Only on a terminal. */
export class Progress {
  private readonly counts = new Map<string, number>();
  private sent = 0;
  private total?: number;
  private readonly started = Date.now();
  private readonly line: { stop(): void };

  constructor(private readonly io: IO, enabled: boolean) {
    this.line = liveLine(io, () => this.text(), 200, enabled);
  }

  /** The number of devices, once known (counted ahead from a regular file; never from a pipe). */
  setTotal(total: number): void {
    this.total = total;
  }

  add(entry: LedgerEntry): void {
    this.sent++;
    this.counts.set(entry.outcome, (this.counts.get(entry.outcome) ?? 0) + 1);
  }

  private text(): string {
    const seconds = (Date.now() - this.started) / 1000;
    const parts = [...this.counts].map(([outcome, n]) => `${outcome} ${n.toLocaleString('en')}`);
    const done = this.sent.toLocaleString('en');
    let head = `${this.io.err.cyan('»')} ${done} done`;
    if (this.total) {
      const filled = Math.min(BAR_WIDTH, Math.round((this.sent / this.total) * BAR_WIDTH));
      const percent = Math.floor((this.sent / this.total) * 100);
      head = `${this.io.err.cyan('█'.repeat(filled))}${'░'.repeat(BAR_WIDTH - filled)} ${percent}% ${done}/${this.total.toLocaleString('en')}`;
    }
    return `${head} · ${parts.join(' · ')} · ${(this.sent / Math.max(seconds, 0.001)).toFixed(0)}/s`;
  }

  stop(): void {
    this.line.stop();
  }
}

const STOPPED: Record<string, string> = {
  interrupt: 'interrupted',
  fail_fast: '--fail-fast',
  output_closed: 'the output was closed',
  ledger_failed: 'the ledger could not be written',
  rate_limited: 'rate limited for longer than amps waits',
  input_broken: 'the input could not be read on',
};

export async function printSummary(report: BatchReport, io: IO, json: boolean): Promise<void> {
  const rows = [...report.counts.values()].sort((a, b) => b.count - a.count);
  if (json) {
    const summary = {
      total: report.total, sent: report.sent, stoppedBy: report.stoppedBy, stopDetail: report.stopDetail, inputUnread: report.unread, exitCode: report.exitCode,
      outcomes: rows.map((r) => ({ ...r, guidance: guidanceFor(r.outcome, r.code) })),
    };
    io.stderr.write(`${JSON.stringify({ summary })}\n`);
    return;
  }
  const table = rows.map((r) => [r.outcome, r.code ?? '-', r.count.toLocaleString('en'), guidanceFor(r.outcome, r.code)]);
  const stopped = report.stoppedBy ? ` (stopped: ${STOPPED[report.stoppedBy]}${report.stopDetail ? `: ${report.stopDetail}` : ''})` : '';
  writeLine(io.stderr, io.err.bold(`\n${report.total.toLocaleString('en')} devices${stopped}`));
  io.stderr.write(await formatTable(['outcome', 'code', 'devices', 'what to do'], table, { tty: true, style: io.err }));
  if (report.unread) writeLine(io.stderr, 'The rest of the input was not read: the run stopped first, and a stream cannot be read again. Those devices are not in the ledger.');
}

/** Where a ledger file could not take every line: the lines it lost, on stderr, so nothing sent goes unreported. */
export function reportUnwritten(unwritten: LedgerEntry[], io: IO, path: string | undefined): void {
  if (unwritten.length === 0) return;
  const sent = unwritten.filter((e) => e.attempts > 0).length;
  writeLine(io.stderr, `amps: the ledger${path ? ` ${path}` : ''} could not be written; ${unwritten.length} line(s) are missing from it (${sent} of those devices were sent). Here they are:`);
  for (const entry of unwritten) writeLine(io.stderr, JSON.stringify(entry));
}

/**
 * The commands that rerun only the devices a strategy can fix, one per strategy the responses
 * named, fed from the ledger when there is one.
 */
export function conflictReruns(argv: string[], report: BatchReport, ledgerPath: string | undefined): string[] {
  return [...report.conflicted].map(([strategy, ids]: [Strategy, string[]]) => {
    const command = suggestedCommand(argv, ['--devices', '--out', '--on-conflict', '--simulate-failure', '--simulate-at'], ['--devices', '-', '--on-conflict', strategy]);
    if (ledgerPath) return `grep '"resolveWith":"${strategy}"' ${shellQuote(ledgerPath)} | ${command}`;
    return `printf '%s\\n' ${ids.map(shellQuote).join(' ')} | ${command}`;
  });
}
