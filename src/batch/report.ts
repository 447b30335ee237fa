// What a batch shows a person and writes for a script: the ledger (NDJSON on stdout with --json,
// and in --out FILE as it goes), a live progress line on a terminal, the summary by outcome and
// code with the retry guidance for each, and the command line that reruns the conflicted devices.

import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import { UsageError } from '../errors/failures.js';
import { type IO, writeLine } from '../output/io.js';
import { liveLine } from '../output/spinner.js';
import { formatTable } from '../output/table.js';
import { shellQuote, suggestedCommand } from '../output/text.js';
import { guidanceFor, type BatchReport, type LedgerEntry } from './run.js';

export class Ledger {
  private readonly file?: WriteStream;

  constructor(private readonly io: IO, private readonly json: boolean, path?: string) {
    if (!path) return;
    // Opened here, before anything is sent, so a bad path is a usage error, not a lost ledger.
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (error) {
      throw new UsageError(`cannot write --out ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    this.file = createWriteStream('', { fd });
  }

  write(entry: LedgerEntry): void {
    const line = `${JSON.stringify(entry)}\n`;
    if (this.json) this.io.stdout.write(line);
    this.file?.write(line);
  }

  close(): Promise<void> {
    const file = this.file;
    return file ? new Promise((resolve) => file.end(resolve)) : Promise.resolve();
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

  /** The number of devices, once known (counted ahead from a file; never for stdin). */
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

export async function printSummary(report: BatchReport, io: IO, json: boolean): Promise<void> {
  const rows = [...report.counts.values()].sort((a, b) => b.count - a.count);
  if (json) {
    io.stderr.write(`${JSON.stringify({ summary: { total: report.total, stoppedBy: report.stoppedBy, exitCode: report.exitCode, outcomes: rows.map((r) => ({ ...r, guidance: guidanceFor(r.outcome, r.code) })) } })}\n`);
    return;
  }
  const table = rows.map((r) => [r.outcome, r.code ?? '-', r.count.toLocaleString('en'), guidanceFor(r.outcome, r.code)]);
  writeLine(io.stderr, io.err.bold(`\n${report.total.toLocaleString('en')} devices${report.stoppedBy ? ` (stopped: ${report.stoppedBy === 'interrupt' ? 'interrupted' : '--fail-fast'})` : ''}`));
  io.stderr.write(await formatTable(['outcome', 'code', 'devices', 'what to do'], table, { tty: true, style: io.err }));
}

/** The command that reruns only the devices a strategy can fix, fed from the ledger when there is one. */
export function conflictRerun(argv: string[], report: BatchReport, ledgerPath: string | undefined): string | undefined {
  if (report.conflicted.length === 0) return undefined;
  const command = suggestedCommand(argv, ['--devices', '--out', '--on-conflict'], ['--devices', '-', '--on-conflict', 'cancel_and_replace']);
  if (ledgerPath) return `grep -E '"code":"(CONFLICT|SCHEDULER_ACTIVE)"' ${shellQuote(ledgerPath)} | ${command}`;
  return `printf '%s\\n' ${report.conflicted.map(shellQuote).join(' ')} | ${command}`;
}
