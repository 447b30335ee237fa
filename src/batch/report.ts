// What a batch shows a person and writes for a script: the ledger (NDJSON on stdout with --json,
// and in --out FILE as it goes), a live progress line on a terminal, the summary by outcome and
// code with the retry guidance for each, and the command lines that rerun the conflicted devices.

import type { Strategy } from '../contract/actions.js';
import { EXIT, type ExitCode } from '../contract/exit-codes.js';
import type { OutcomeRecord } from '../contract/ledger.js';
import { manufacturerVariant } from '../errors/catalogue.js';
import type { ApiFailure } from '../errors/failures.js';
import type { FollowEnd } from './follow.js';
import { errorToJson, writeErrorText } from '../output/error-view.js';
import { RETRY_CLASSES } from '../errors/retry-classes.js';
import { timeText } from '../output/views.js';
import { type IO, writeLine, writeNotice } from '../output/io.js';
import { liveLine } from '../output/spinner.js';
import { formatTable } from '../output/table.js';
import { grouped, safeToPrint, shellQuote } from '../output/text.js';
import { jsonText } from '../lib/values.js';
import { guidanceFor, type BatchReport, type LedgerEntry, type StopReason } from './run.js';

const BAR_WIDTH = 24;

/** One line on stderr, redrawn: a bar when the total is known, counts by outcome, rate. Only on a terminal. */
export class Progress {
  private readonly counts = new Map<string, number>();
  private sent = 0;
  private total?: number;
  private readonly started = Date.now();
  private readonly line: { stop(): void };

  constructor(private readonly io: IO, enabled: boolean) {
    this.line = liveLine(io, (width) => this.text(width), 200, enabled);
  }

  /** The number of devices, once known (counted ahead from a regular file; never from a pipe). */
  setTotal(total: number): void {
    this.total = total;
  }

  add(entry: LedgerEntry): void {
    this.sent++;
    this.counts.set(entry.outcome, (this.counts.get(entry.outcome) ?? 0) + 1);
  }

  /** The line, with its bar where `width` leaves room for the counts beside it (else the counts alone: cut to the width, a bar would be all that showed). */
  private text(width: number): string {
    const seconds = (Date.now() - this.started) / 1000;
    const parts = [...this.counts].map(([outcome, n]) => `${outcome} ${grouped(n)}`);
    const done = grouped(this.sent);
    let head = `${this.io.err.cyan('»')} ${done} done`;
    if (this.total && width < BAR_WIDTH + 56) head = `${Math.floor((this.sent / this.total) * 100)}% ${done}/${grouped(this.total)}`;
    else if (this.total) {
      const filled = Math.min(BAR_WIDTH, Math.round((this.sent / this.total) * BAR_WIDTH));
      const percent = Math.floor((this.sent / this.total) * 100);
      head = `${this.io.err.cyan('█'.repeat(filled))}${'░'.repeat(BAR_WIDTH - filled)} ${percent}% ${done}/${grouped(this.total)}`;
    }
    return [head, ...parts, `${(this.sent / Math.max(seconds, 0.001)).toFixed(0)}/s`].join(' · ');
  }

  stop(): void {
    this.line.stop();
  }
}

/** The live line of a follow (watch, push --wait): pending, states and codes so far, the rate, the next start. */
export function followText(tally: OutcomeTally, pending: number, nextStart: string | null, started: number, done: number, zone: string): string {
  const states = new Map<string, number>();
  const codes = new Map<string, number>();
  for (const row of tally.rows.values()) {
    const state = row.effect === 'drift' ? 'drift' : row.state;
    states.set(state, (states.get(state) ?? 0) + row.count);
    if (row.code) codes.set(row.code, (codes.get(row.code) ?? 0) + row.count);
  }
  const parts = [...states].map(([state, n]) => `${state} ${grouped(n)}`);
  const failed = [...codes].map(([code, n]) => `${code} ${n}`).join(', ');
  const rate = done / Math.max((Date.now() - started) / 1000, 0.001);
  return [`pending ${grouped(pending)}`, ...parts, failed && `(${failed})`, `${rate.toFixed(1)}/s`, nextStart && `next start ${timeText(nextStart, zone)}`].filter(Boolean).join(' · ');
}

/** Each reason a run stops early, in the summary's words (the README lists the reasons `--json` gives). */
export const STOPPED: Record<StopReason, string> = {
  interrupt: 'interrupted',
  fail_fast: '--fail-fast',
  output_closed: 'the output was closed or could not be written',
  ledger_failed: 'the ledger could not be written',
  rate_limited: 'asked to wait longer than amps waits (Retry-After)',
  input_broken: 'the input could not be read on',
  rollout_stopped: 'the rollout stopped',
  api_unreachable: 'the API could not be reached',
};

export async function printSummary(report: BatchReport, io: IO, json: boolean, ledgerPath: string | undefined): Promise<void> {
  const rows = [...report.counts.values()].sort((a, b) => b.count - a.count);
  if (json) {
    const summary = {
      total: report.total, sent: report.sent, stoppedBy: report.stoppedBy, stopDetail: report.stopDetail, inputUnread: report.unread, moved: report.moved, relink: report.relink.count, exitCode: report.exitCode,
      outcomes: rows.map(({ retryClass, ...r }) => ({ ...r, guidance: guidanceFor(r.outcome, r.code, retryClass) })), ledger: ledgerPath ?? null,
    };
    io.stderr.write(`${jsonText({ summary })}\n`);
    return;
  }
  const table = rows.map((r) => [r.outcome, r.code ?? '-', grouped(r.count), guidanceFor(r.outcome, r.code, r.retryClass)]);
  const stopped = report.stoppedBy ? ` (stopped: ${STOPPED[report.stoppedBy]}${report.stopDetail ? `: ${report.stopDetail}` : ''})` : '';
  writeLine(io.stderr, io.err.bold(`\n${grouped(report.total)} ${report.total === 1 ? 'device' : 'devices'}${stopped}`));
  io.stderr.write(await formatTable(['outcome', 'code', 'devices', 'what to do'], table, { tty: true, style: io.err, columns: io.stderrColumns }));
  if (report.unread) {
    writeLine(io.stderr, report.stoppedBy === 'ledger_failed'
      ? 'The rest of the input was not read: the ledger could not be written, so those devices were not sent and are in no ledger.'
      : 'The rest of the input was not read: the run stopped first, and a stream cannot be read again. Those devices are not in the ledger.');
  }
  if (report.relink.count > 0) {
    const listed = report.relink.devices;
    writeLine(io.stderr, io.err.bold(`\n${grouped(report.relink.count)} device(s) need their user to re-link them:`));
    if (listed.every((d) => d.url === null)) writeLine(io.stderr, '  amps config set app-id ID (or AMPS_APP_ID) gives the Link UI URL to send each user');
    for (const device of listed) writeLine(io.stderr, `  ${device.id}${device.url ? `  ${device.url}` : ''}`);
    if (report.relink.count > listed.length) writeLine(io.stderr, `  … and ${report.relink.count - listed.length} more${ledgerPath ? `: grep '"relinkUrl":' ${shellQuote(ledgerPath)} | grep -v '"relinkUrl":null'` : ''}`);
  }
  if (report.moved > 0) {
    const find = ledgerPath ? `: grep '"moved":{' ${shellQuote(ledgerPath)}` : '';
    writeLine(io.stderr, io.err.yellow(`The API moved the start or end of ${grouped(report.moved)} action(s) from what was sent (each line's moved field says from what to what)${find}`));
  }
  if (ledgerPath) writeLine(io.stderr, io.err.dim(`Ledger: ${safeToPrint(ledgerPath)}${report.stoppedBy === 'output_closed' ? ' (every device\'s line, the ones stdout could not take included)' : ''}`));
}

/** Where a ledger file could not take every line: the lines it lost, on stderr, so nothing sent goes unreported. */
export function reportUnwritten(unwritten: Array<LedgerEntry | OutcomeRecord>, io: IO, path: string | undefined, json: boolean): void {
  if (unwritten.length === 0) return;
  const sent = unwritten.filter((e) => 'attempts' in e && e.attempts > 0).length;
  const outcomes = unwritten.filter((e) => 'outcome' in e && typeof e.outcome === 'object').length;
  const of = outcomes > 0 ? ` (${sent} of those devices were sent; ${outcomes} are outcomes of followed actions)` : ` (${sent} of those devices were sent)`;
  const said = `the ledger${path ? ` ${path}` : ''} could not be written; ${unwritten.length} line(s) are missing from it${of}. Here they are`;
  // With --json every stderr line is JSON: the heading a notice, then the lines (stdout has them too).
  if (json) writeNotice(io, true, said);
  else writeLine(io.stderr, `amps: ${said}:`);
  for (const entry of unwritten) writeLine(io.stderr, jsonText(entry));
}

/** `amps ARGS` fed the devices it reruns: the ledger's lines holding `field` when there is a ledger, else their ids. */
function rerunLine(args: string[], field: string, ledgerPath: string | undefined, ids: string[]): string {
  const command = ['amps', ...args].map(shellQuote).join(' ');
  return ledgerPath ? `grep '${field}' ${shellQuote(ledgerPath)} | ${command}` : `printf '%s\\n' ${ids.map(shellQuote).join(' ')} | ${command}`;
}

/**
 * The commands that rerun only the devices a strategy can fix, one per strategy the responses
 * named, fed from the ledger when there is one. `rerunArgs`: the run's push, as commands/push/rerun.ts builds it.
 */
export function conflictReruns(rerunArgs: string[], report: BatchReport, ledgerPath: string | undefined): string[] {
  return [...report.conflicted].map(([strategy, ids]: [Strategy, string[]]) => {
    return rerunLine([...rerunArgs, '--devices', '-', '--on-conflict', strategy], `"resolveWith":"${strategy}"`, ledgerPath, ids);
  });
}

/**
 * The commands that send again the devices that failed when sent where nothing ran (`DEVICE_OFFLINE`,
 * which the docs retry after a delay; an answer that proves it, such as `SERVICE_UNAVAILABLE`).
 */
export function failedReruns(rerunArgs: string[], report: BatchReport, ledgerPath: string | undefined): string[] {
  return [...report.resendable].map(([code, ids]) => {
    return rerunLine([...rerunArgs, '--devices', '-'], `"code":"${code}"`, ledgerPath, ids);
  });
}

/** What became of a run's actions, tallied as outcomes arrive (--wait, --waves, amps watch). */
export class OutcomeTally {
  readonly rows = new Map<string, { state: string; code: string | null; effect: string | null; count: number; exitCode: ExitCode }>();
  /** Failed devices by error code, for the rerun lines. */
  readonly failed = new Map<string, string[]>();
  /** Still pending when the wait ended. */
  pending: Array<{ id: string; actionId: string; state: string; start: string | null }> = [];
  /** Action id -> its outcome's exit code, for judging a wave. */
  private readonly codes = new Map<string, ExitCode>();

  codeOf(actionId: string): ExitCode | undefined {
    return this.codes.get(actionId);
  }

  /** Once per action: a ledger another process is still writing may record an outcome this one found too. */
  add(outcome: OutcomeRecord['outcome']): void {
    if (this.codes.has(outcome.actionId)) return;
    // By exit code too: a completed action whose --verify read failed takes that failure's code.
    const key = `${outcome.state}\u0000${outcome.errorCode ?? ''}\u0000${outcome.effect ?? ''}\u0000${outcome.exitCode}`;
    const row = this.rows.get(key) ?? { state: outcome.state, code: outcome.errorCode, effect: outcome.effect, count: 0, exitCode: outcome.exitCode };
    row.count++;
    this.rows.set(key, row);
    this.codes.set(outcome.actionId, outcome.exitCode);
    if (outcome.state === 'failed' && outcome.errorCode) {
      const ids = this.failed.get(outcome.errorCode) ?? [];
      ids.push(outcome.id);
      this.failed.set(outcome.errorCode, ids);
    }
  }

  exitCodes(): ExitCode[] {
    return [...[...this.rows.values()].map((r) => r.exitCode), ...(this.pending.length > 0 ? [EXIT.accepted] : [])];
  }
}

function outcomeGuidance(row: { state: string; code: string | null; effect: string | null; exitCode: ExitCode }): string {
  if (row.state === 'completed' && row.effect === 'drift') return 'accepted, but the state does not show it: read the device, escalate with the action id';
  if (row.state === 'completed') return row.exitCode === EXIT.ok ? '-' : `its effect is unknown: --verify could not read the device (exit ${row.exitCode}); read it before pushing again`;
  if (row.state === 'cancelled') return 'cancelled before it ran';
  const entry = row.code ? manufacturerVariant(row.code) : undefined;
  return entry ? RETRY_CLASSES[entry.retryClass].label : RETRY_CLASSES.once_then_escalate.label;
}

/** The follow-up summary: states and codes of the actions, and what is still pending (with the next start). */
export async function printOutcomes(tally: OutcomeTally, io: IO, json: boolean, zone: string, end: FollowEnd = 'wait', ledgerPath?: string): Promise<void> {
  const rows = [...tally.rows.values()].sort((a, b) => b.count - a.count);
  const nextStart = tally.pending.filter((p) => p.start).map((p) => p.start!).sort()[0] ?? null;
  if (json) {
    io.stderr.write(`${jsonText({ outcomes: { actions: rows.map((r) => ({ ...r, guidance: outcomeGuidance(r) })), pending: tally.pending.length, nextStart } })}\n`);
    return;
  }
  const table = rows.map((r) => [r.effect === 'drift' ? 'drift' : r.state, r.code ?? '-', grouped(r.count), outcomeGuidance(r)]);
  const ended = { wait: 'still pending when the wait ended', stopped: 'not followed to the end (the follow stopped, below)', interrupted: 'not followed to the end (interrupted)' }[end];
  if (tally.pending.length > 0) table.push(['pending', '-', grouped(tally.pending.length), nextStart && end === 'wait' ? `still pending; next start ${timeText(nextStart, zone)}` : `${ended}: follow with amps watch --ledger ${ledgerPath !== undefined ? shellQuote(ledgerPath) : 'FILE (a run\'s --out)'}`]);
  // No action was accepted (every device refused, or none sent): nothing was followed, and the summary above says why.
  if (table.length === 0) return;
  writeLine(io.stderr, io.err.bold('\nWhat the devices did'));
  io.stderr.write(await formatTable(['state', 'code', 'devices', 'what to do'], table, { tty: true, style: io.err, columns: io.stderrColumns }));
}

/** A follower's warn (a device --verify could not read): a line on stderr; none with --json, where the outcome record says it all (effect null). */
export function followWarning(io: IO, json: boolean): (text: string) => void {
  return (text) => {
    if (!json) writeLine(io.stderr, io.err.yellow(`amps: ${text}`));
  };
}

/**
 * Says that the follow stopped (follow.ts stoppedBy: a list page that could not be read, a revoked
 * key, the rate limit past its retries): how many actions it left pending, then the error as every
 * command shows one. With --json, one JSON line on stderr, as every error there.
 */
export async function reportFollowStopped(failure: ApiFailure, pending: number, io: IO, json: boolean): Promise<void> {
  if (json) {
    io.stderr.write(`${jsonText({ ...errorToJson(failure.decoded), followStopped: { pending } })}\n`);
    return;
  }
  writeLine(io.stderr, io.err.yellow(`\namps: stopped following on ${failure.decoded.code}: ${grouped(pending)} action(s) left pending`));
  await writeErrorText(io, failure.decoded);
}

/**
 * The commands that rerun the devices whose action failed with a code worth resending: with
 * --on-conflict where a strategy resolves the code (SCHEDULER_ACTIVE), plainly for transient and
 * offline codes. Fed from the ledger when there is one. Codes that need the request fixed get none.
 */
/** The rerun lines under their heading; `note`: what to change in them first (a start that has passed). */
export function rerunBlock(reruns: string[], note?: string): string {
  return `\nRerun just the devices that can still succeed with${note ? ` (${note})` : ''}:\n${reruns.map((r) => `  ${r}`).join('\n')}`;
}

export function outcomeReruns(rerunArgs: string[], tally: OutcomeTally, ledgerPath: string | undefined): string[] {
  const lines: string[] = [];
  for (const [code, ids] of tally.failed) {
    const entry = manufacturerVariant(code);
    const strategy = entry?.strategies?.[0];
    const resend = strategy || entry?.retryClass === 'backoff' || entry?.retryClass === 'after_delay';
    if (!resend) continue;
    const extra = strategy ? ['--on-conflict', strategy] : [];
    lines.push(rerunLine([...rerunArgs, '--devices', '-', ...extra], `"errorCode":"${code}"`, ledgerPath, ids));
  }
  return lines;
}
