// A push to many devices: rows stream in, N workers share one keep-alive pool and one throttle,
// each device's outcome is written to the ledger as it lands, and every input row appears in the
// ledger exactly once, those never sent included. Conflicts never prompt here. The run stops
// issuing (and still accounts for every row) on Ctrl-C or SIGTERM, --fail-fast, a closed output,
// a ledger it cannot write, or a Retry-After longer than it will wait.

import { requestIdOf } from '../contract/ids.js';
import { formatDuration } from '../domain/duration.js';
import { askedWaitMs, attemptsFor, codeProvesNothingRan, pushMayBeResent, retryDelayMs, retryFits, retryReason, retryWithheldText, type ApiClient } from '../api/client.js';
import { getDeviceForPreflight, pushAction } from '../api/resources.js';
import type { PushBody, Strategy } from '../contract/actions.js';
import type { DeviceRead, DeviceType } from '../contract/devices.js';
import type { TargetEnvironment } from '../contract/keys.js';
import { apiInstant } from '../contract/api-time.js';
import { type LedgerEntry, NOT_RECONCILED, type Outcome } from '../contract/ledger.js';
import { pathSegment } from '../domain/device-types.js';
import { variantFor } from '../errors/catalogue.js';
import { type DecodedError, isRateLimit, localCode } from '../errors/decode.js';
import { EXIT, type ExitCode, fleetExitCode } from '../contract/exit-codes.js';
import { ApiFailure, InterruptedError, PreflightError, refuseKeyInBody, UsageError } from '../errors/failures.js';
import { RETRY_CLASSES, type RetryClass } from '../errors/retry-classes.js';
import { strategiesOnOffer } from '../errors/strategies.js';
import { type DeviceRow, type InputRow, type InputStopped, isInvalid } from './input.js';
import { Throttle } from './throttle.js';
import { systemErrorText } from '../lib/values.js';

export type { LedgerEntry, Outcome } from '../contract/ledger.js';

/** One row's body, built against the capability read of its model (none with --no-preflight). */
export interface RowBody {
  body: PushBody;
  start?: number;
  end?: number;
}

export interface BatchPlan {
  type: DeviceType;
  /** Throws a UsageError (the row is invalid) or a PreflightError (the device would refuse it). */
  bodyFor(row: DeviceRow, device: DeviceRead | undefined): RowBody;
  /** What the API did to the times sent; null when it kept them. */
  movedFor(sent: RowBody, action: { start: string | null; end: string | null }): unknown;
  environment: TargetEnvironment;
  concurrency: number;
  preflight: boolean;
  retry: number;
  /** Exit codes whose first occurrence stops the run; empty: never stop. */
  failFast: Set<ExitCode | -1>;
  /** The longest Retry-After the run waits out; a longer one stops it (the rest are not sent). */
  maxPauseMs: number;
  /** The Link UI URL for a device whose user must re-link it; undefined without an app id. */
  relinkUrl?(): string | undefined;
}

/** How many re-link devices the summary names; the ledger has them all. */
const RELINK_LISTED = 20;

/**
 * Devices in a row the API gave no answer for, at which the run stops: an API that is down would
 * otherwise be tried device by device, each read retried, for hours on a large fleet. An answer of
 * any kind in between (a 4xx included) starts the count again, so a flaky network does not stop it.
 */
export const UNANSWERED_IN_A_ROW = 20;

/** No answer from the API itself: nothing came back over HTTP, or a gateway's 502/503/504 page stood in for it. */
function noAnswer(d: DecodedError): boolean {
  return d.shape === 'transport' || (d.shape === 'non_envelope' && (d.status === 502 || d.status === 503 || d.status === 504));
}

export type StopReason = 'interrupt' | 'fail_fast' | 'output_closed' | 'ledger_failed' | 'rate_limited' | 'input_broken' | 'rollout_stopped' | 'api_unreachable';

export interface BatchReport {
  /** By outcome, code and the meaning the API's answer gave the code (a platform's or a manufacturer's). */
  counts: Map<string, { outcome: Outcome; code: string | null; count: number; exitCode: ExitCode; retryClass?: RetryClass }>;
  /** Devices a strategy can resolve, by the strategy a rerun should use. */
  conflicted: Map<Strategy, string[]>;
  /** Devices that failed when sent with a code the docs' retry table says to retry (DEVICE_OFFLINE after a delay), by code. */
  resendable: Map<string, string[]>;
  total: number;
  /** How many were sent (accepted or answered by the API). */
  sent: number;
  stoppedBy: StopReason | null;
  /** Why the run stopped, in words, when it did. */
  stopDetail: string | null;
  /** Set when the rest of a stream was left unread (stdin after an interrupt). */
  unread: boolean;
  /** Accepted actions whose start or end the API moved from what was sent (queue_after). */
  moved: number;
  /** Devices only their user can fix by re-linking: how many, and the first few with their URL. */
  relink: { count: number; devices: Array<{ id: string; url: string | null }> };
  exitCode: ExitCode;
}

/** What a resume decided for a row from the earlier ledger: send it, skip it (its line was carried over), or this line (reconciled). */
export type Resumed = 'send' | 'skip' | LedgerEntry;

interface Hooks {
  /** Writes the entry; throws when it could not be written (the run then stops). */
  onEntry(entry: LedgerEntry): void;
  /** Before a row is sent (the ledger's horizon); throws when that could not be written. */
  beforeSend?(row: DeviceRow): void;
  /** The API's time, from the first accepted push's action (the ledger's clock record); throws when that could not be written. */
  serverClock?(server: string): void;
  /** A resume's decision for a row, before anything else is done with it. */
  resumed?(row: DeviceRow): Promise<Resumed>;
  /** A resume's rows whose line was carried over from the earlier ledger: they get no new line, sent or not. */
  carried?(row: DeviceRow): boolean;
  /** A resume's own line for a row the run stops before sending (one whose earlier outcome is not known yet), else undefined: not_sent. */
  unsent?(row: DeviceRow, reason: string): LedgerEntry | undefined;
  /** After each row taken from the input is done with (recorded, skipped or carried): waves wait on it. */
  settled?(): void;
}

export class BatchRun {
  private readonly throttle: Throttle;
  private readonly capabilities = new Map<string, { id: string; read: Promise<DeviceRead> }>();
  /** Rows waiting on a preflight read, each woken when the run stops (preflight). */
  private readonly waitingOnReads = new Set<() => void>();
  private readonly report: BatchReport = { counts: new Map(), conflicted: new Map(), resendable: new Map(), total: 0, sent: 0, stoppedBy: null, stopDetail: null, unread: false, moved: 0, relink: { count: 0, devices: [] }, exitCode: EXIT.ok };
  private readonly halt = new AbortController();
  /** Entries that happened but could not be written (the ledger failed): reported on stderr. */
  readonly unwritten: LedgerEntry[] = [];
  /** Failures only the device's user can fix (retry class relink), for the summary. */
  private readonly needsRelink = new WeakSet<LedgerEntry>();
  /** The class of the catalogue variant each failure's answer was decoded as: its summary row's guidance. */
  private readonly retryClassOf = new WeakMap<LedgerEntry, RetryClass>();
  /** Entries a rerun line may send again: failed where nothing ran. */
  private readonly resendableCodes = new WeakSet<LedgerEntry>();
  /** Failures the API gave no answer for (noAnswer), and how many of them came in a row. */
  private readonly unanswered = new WeakSet<LedgerEntry>();
  private unansweredInARow = 0;
  private clockSeen = false;

  constructor(private readonly client: ApiClient, private readonly plan: BatchPlan, private readonly hooks: Hooks) {
    this.throttle = new Throttle(plan.concurrency, this.halt.signal);
  }

  get stopped(): boolean {
    return this.halt.signal.aborted;
  }

  get stoppedReason(): StopReason | null {
    return this.report.stoppedBy;
  }

  stop(reason: StopReason, detail?: string): void {
    if (this.stopped) return;
    this.report.stoppedBy = reason;
    this.report.stopDetail = detail ?? null;
    this.halt.abort();
    for (const wake of this.waitingOnReads) wake();
  }

  /**
   * A resume's line carried over from the ledger it continues (written there already): it counts in
   * the summary and the exit code as the run's own, but stops nothing (--fail-fast is for new answers).
   */
  countCarried(entry: LedgerEntry): void {
    // Its answer is not here to say it needs a re-link: its line's URL does.
    this.count(entry, typeof entry.relinkUrl === 'string');
  }

  /** Counts a line in the summary (`relink`: a failure only the device's user can fix). */
  private count(entry: LedgerEntry, relink: boolean): void {
    const retryClass = this.retryClassOf.get(entry);
    const key = `${entry.outcome}\u0000${entry.code ?? ''}\u0000${retryClass ?? ''}`;
    const bucket = this.report.counts.get(key) ?? { outcome: entry.outcome, code: entry.code, count: 0, exitCode: entry.exitCode, retryClass };
    bucket.count++;
    this.report.counts.set(key, bucket);
    this.report.total++;
    if (entry.attempts > 0) this.report.sent++;
    if (entry.moved) this.report.moved++;
    if (relink) {
      this.report.relink.count++;
      if (this.report.relink.devices.length < RELINK_LISTED && entry.id) this.report.relink.devices.push({ id: entry.id, url: entry.relinkUrl });
    }
    if (entry.resolveWith && entry.id) {
      const list = this.report.conflicted.get(entry.resolveWith) ?? [];
      list.push(entry.id);
      this.report.conflicted.set(entry.resolveWith, list);
    }
    if (entry.outcome === 'failed' && entry.code && entry.id && this.resendableCodes.has(entry)) {
      const list = this.report.resendable.get(entry.code) ?? [];
      list.push(entry.id);
      this.report.resendable.set(entry.code, list);
    }
  }

  private record(entry: LedgerEntry): void {
    this.count(entry, this.needsRelink.has(entry));
    // After the ledger failed, each line is still offered (stdout's --json copy goes out before the
    // file refuses it) and kept to be printed with the rest it could not record.
    try {
      this.hooks.onEntry(entry);
    } catch (error) {
      this.unwritten.push(entry);
      this.stop('ledger_failed', systemErrorText(error));
    }
    if (entry.exitCode !== EXIT.ok && entry.outcome !== 'not_sent' && (this.plan.failFast.has(entry.exitCode) || this.plan.failFast.has(-1))) {
      this.stop('fail_fast');
    }
    this.countUnanswered(entry);
  }

  /** Stops the run once UNANSWERED_IN_A_ROW devices in a row got no answer; any answer starts the count again. */
  private countUnanswered(entry: LedgerEntry): void {
    if (this.unanswered.has(entry)) {
      if (++this.unansweredInARow === UNANSWERED_IN_A_ROW) {
        this.stop('api_unreachable', `${UNANSWERED_IN_A_ROW} devices in a row got no answer from the API (the last: ${entry.code}); amps doctor checks the way to it`);
      }
    } else if (entry.outcome !== 'not_sent' && entry.outcome !== 'invalid_input' && entry.outcome !== 'preflight_failed') {
      // Rows never sent, and rows refused locally (against a capability read made earlier), say nothing of the API now.
      this.unansweredInARow = 0;
    }
  }

  /**
   * The capability read a row is checked against, or undefined once the run has stopped. A read
   * sends nothing, so a stopped run does not wait for it: its retries could sit out a Retry-After
   * of a minute, twice, after Ctrl-C. The read runs on unheeded until the session closes the
   * client, which ends it.
   */
  private preflight(row: DeviceRow): Promise<DeviceRead | undefined> {
    if (this.stopped) return Promise.resolve(undefined);
    const read = this.capabilitiesFor(row);
    return new Promise<DeviceRead | undefined>((resolve, reject) => {
      const wake = () => resolve(undefined);
      this.waitingOnReads.add(wake);
      read.then(resolve, reject).finally(() => this.waitingOnReads.delete(wake));
    });
  }

  /**
   * The API's clock from the run's first accepted push (ClockRecord): its action's `createdAt`,
   * handed to the ledger once. Not an answer's `meta.timestamp` or Date header: a gateway may stamp
   * those on another clock than the actions', and a reading ahead of theirs would make a resume
   * miss the run's own actions and send them again. A ledger that cannot take it stops the run, as
   * one that cannot take a horizon does.
   */
  private sawCreated(createdAt: unknown): void {
    // Asked on every accepted push: nothing is parsed once the reading is taken.
    if (this.clockSeen || !this.hooks.serverClock) return;
    const instant = apiInstant(createdAt);
    if (instant === undefined) return;
    this.clockSeen = true;
    try {
      this.hooks.serverClock(new Date(instant).toISOString());
    } catch (error) {
      this.stop('ledger_failed', systemErrorText(error));
    }
  }

  /**
   * The capability map a row is checked against: one read per distinct model (see README). A read
   * that fails is that device's failure alone: the rows that were waiting on it read again, with
   * a device of their own.
   */
  private async capabilitiesFor(row: DeviceRow): Promise<DeviceRead> {
    const key = row.model ?? '';
    for (;;) {
      const shared = this.capabilities.get(key);
      if (!shared) {
        const read = getDeviceForPreflight(this.client, this.plan.type, row.id).then((r) => r.data);
        const mine = { id: row.id, read };
        this.capabilities.set(key, mine);
        read.catch(() => {
          if (this.capabilities.get(key) === mine) this.capabilities.delete(key);
        });
        return read;
      }
      if (shared.id === row.id) return shared.read;
      try {
        return await shared.read;
      } catch {
        if (this.capabilities.get(key) === shared) this.capabilities.delete(key);
      }
    }
  }

  private entry(row: { id?: string; line: number }, fields: Partial<LedgerEntry> & { outcome: Outcome; exitCode: ExitCode }, attempts: number): LedgerEntry {
    const { outcome, exitCode, ...rest } = fields;
    return {
      id: row.id ?? null, outcome, actionId: null, state: null, code: null, status: null, requestId: null, attempts, exitCode,
      line: row.line, environment: this.plan.environment, start: null, end: null, moved: null, resolveWith: null, reason: null, relinkUrl: null, ...rest,
    };
  }

  private failure(row: DeviceRow, d: DecodedError, attempts: number): LedgerEntry {
    // A conflict is a 409 whose code is a conflict's (as for one push): any other code a 409 carries has its own class.
    const outcome: Outcome = d.status === 409 && d.exitCode === EXIT.conflict ? 'conflict' : d.retryClass === 'fix_request' ? 'rejected' : 'failed';
    const resolveWith = outcome === 'conflict' ? strategiesOnOffer(d)[0] ?? null : null;
    const relink = d.retryClass === 'relink';
    const entry = this.entry(row, { outcome, code: d.code, status: d.status, requestId: d.requestId ?? null, exitCode: d.exitCode, resolveWith, relinkUrl: relink ? this.plan.relinkUrl?.() ?? null : null, reason: d.retryWithheld ?? null }, attempts);
    if (relink) this.needsRelink.add(entry);
    if (d.entry) this.retryClassOf.set(entry, d.entry.retryClass);
    // Sent again by a rerun line only where nothing ran: an answer that proves it, or the device offline
    // (the docs: retry after a delay). Not TIMEOUT, which the manufacturer may have taken.
    if (!noAnswer(d) && (codeProvesNothingRan(d.code) || d.retryClass === 'after_delay')) this.resendableCodes.add(entry);
    if (noAnswer(d)) this.unanswered.add(entry);
    return entry;
  }

  private notSent(row: { id?: string; line: number }): LedgerEntry {
    return this.entry(row, { outcome: 'not_sent', exitCode: EXIT.ok, reason: `not sent: ${this.stopText()}` }, 0);
  }

  private stopText(): string {
    return this.report.stopDetail ?? this.report.stoppedBy ?? 'the run stopped first';
  }

  /** A row the run stopped before sending: not_sent (or a resume's own line), unless a resume carried its earlier line over. */
  private recordUnsent(row: DeviceRow): void {
    if (this.hooks.carried?.(row)) return;
    this.record(this.hooks.unsent?.(row, this.stopText()) ?? this.notSent(row));
  }

  private async one(row: DeviceRow): Promise<LedgerEntry | undefined> {
    if (this.hooks.resumed) {
      const decision = await this.hooks.resumed(row);
      if (decision === 'skip') return undefined;
      if (decision !== 'send') return decision;
    }
    let built: RowBody;
    try {
      let device: DeviceRead | undefined;
      if (this.plan.preflight) {
        device = await this.preflight(row);
        if (device === undefined) return this.notSent(row);
      }
      built = this.plan.bodyFor(row, device);
      // A row whose overrides hold a key (a column named with one) is that row's bad input, said
      // here: the client would refuse it too, but as a failure of the whole run.
      refuseKeyInBody(JSON.stringify(built.body));
    } catch (error) {
      if (error instanceof PreflightError) return this.entry(row, { outcome: 'preflight_failed', code: error.decoded.code, exitCode: EXIT.usage, reason: error.decoded.message }, 0);
      if (error instanceof UsageError) return this.entry(row, { outcome: 'invalid_input', code: 'INVALID_INPUT', exitCode: EXIT.usage, reason: `line ${row.line}: ${error.message}` }, 0);
      if (error instanceof ApiFailure) return this.failure(row, error.decoded, 0);
      throw error;
    }
    // --timeout bounds this row's push, its retries and their waits (from its first send, not its
    // wait for a free slot).
    let deadline: number | undefined;
    /** The answer a resend is waiting to improve on: it stands if the resend cannot be made. */
    let last: DecodedError | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.throttle.acquire(deadline);
      } catch (error) {
        if (error instanceof InterruptedError) return last ? this.failure(row, last, attempt - 1) : this.notSent(row);
        throw error;
      }
      // A 429's pause is shared, and later 429s lengthen it: the wait for a slot may end past the
      // row's --timeout. The resend announced is then not made, and its line says why.
      if (last && deadline !== undefined && Date.now() >= deadline) {
        this.throttle.release();
        return this.failure(row, { ...last, retryWithheld: last.retryWithheld ?? `not retried: the run's pause for the rate limit ended past --timeout (${formatDuration(this.client.timeoutMs)}, retries included); a longer --timeout waits it out` }, attempt - 1);
      }
      deadline ??= Date.now() + this.client.timeoutMs;
      try {
        this.hooks.beforeSend?.(row);
      } catch (error) {
        this.throttle.release();
        this.stop('ledger_failed', systemErrorText(error));
        // A resend that cannot go: the row was sent, and its last answer stands (never not_sent).
        return last ? this.failure(row, last, attempt - 1) : this.notSent(row);
      }
      try {
        const { data, meta, status } = await pushAction(this.client, this.plan.type, row.id, built.body, 0);
        this.throttle.succeeded();
        this.sawCreated(data.createdAt);
        return this.entry(row, {
          outcome: 'accepted', actionId: data.id, state: data.state, status, requestId: requestIdOf(meta), exitCode: EXIT.ok,
          start: data.start ?? null, end: data.end ?? null, moved: this.plan.movedFor(built, data),
        }, attempt);
      } catch (error) {
        if (!(error instanceof ApiFailure)) throw error;
        const d = error.decoded;
        last = d;
        let pauseMs: number | undefined;
        if (isRateLimit(d)) {
          pauseMs = Math.max(0, (d.retryAfterSeconds ?? 1) * 1000);
          if (!this.stopsForPause(pauseMs, d.retryAfterSeconds)) this.throttle.rateLimited(pauseMs);
        }
        if (attempt > this.plan.retry || !pushMayBeResent(error, attempt) || this.stopped) return this.failure(row, d, attempt);
        // A rate limit's pause is the throttle's, for every worker (acquire waits it out); any other
        // resend waits its own delay. Either is announced, and none ends past the row's --timeout.
        if (pauseMs !== undefined) {
          const withheld = this.announceResend(row, d, attempt, pauseMs, deadline);
          if (withheld) return this.failure(row, { ...d, retryWithheld: withheld }, attempt);
        } else {
          const stopped = await this.waitBeforeResend(row, d, attempt, deadline);
          if (stopped) return this.failure(row, stopped, attempt);
        }
      } finally {
        this.throttle.release();
      }
    }
  }

  /**
   * Waits the delay before a row's next attempt, announced as one push's retries are; undefined
   * then, else the answer that stands when there is to be none: the delay would end past the row's
   * --timeout (which bounds a push, its retries and their waits, as for one push; the answer then
   * says so), the run stopped first (Ctrl-C, --fail-fast), or the answer asked for a wait longer
   * than amps waits, which stops the run as a rate limit's does.
   */
  private async waitBeforeResend(row: DeviceRow, d: DecodedError, attempt: number, deadline: number): Promise<DecodedError | undefined> {
    const ms = retryDelayMs(d, attempt, Math.random, deadline - Date.now());
    const asked = askedWaitMs(d) ?? ms;
    if (this.stopsForPause(asked, Math.round(asked / 1000))) return d;
    const withheld = this.announceResend(row, d, attempt, ms, deadline);
    if (withheld) return { ...d, retryWithheld: withheld };
    // The throttle's wait: one abort listener for every worker's, however many wait at once.
    await this.throttle.workerSleep(ms);
    return this.stopped ? d : undefined;
  }

  /** A pause longer than amps waits (`seconds` as the answer put it) stops the run; true when it did. */
  private stopsForPause(ms: number, seconds: number | undefined): boolean {
    if (ms <= this.plan.maxPauseMs) return false;
    this.stop('rate_limited', `the API asked for a pause of ${seconds} s (Retry-After), longer than the ${this.plan.maxPauseMs / 1000} s amps waits`);
    return true;
  }

  /** Says a resend after `ms`, as one push's retries are said; why there is none instead (it would end past the row's --timeout). */
  private announceResend(row: DeviceRow, d: DecodedError, attempt: number, ms: number, deadline: number): string | undefined {
    const left = deadline - Date.now();
    if (!retryFits(ms, left)) return retryWithheldText(askedWaitMs(d) ?? ms, this.client.timeoutMs, left);
    this.client.announceRetry({
      method: 'POST', path: `/${pathSegment(this.plan.type)}/${row.id}`, attempt: attempt + 1, of: attemptsFor(d, this.plan.retry), delayMs: ms,
      reason: retryReason(d),
    });
    return undefined;
  }

  private async account(item: InputRow): Promise<void> {
    if (isInvalid(item)) {
      this.record(this.entry(item, { outcome: 'invalid_input', code: 'INVALID_INPUT', exitCode: EXIT.usage, reason: `line ${item.line} ${item.invalid}` }, 0));
    } else {
      const entry = await this.one(item);
      if (entry) this.record(entry);
    }
  }

  /**
   * Sends every row; once stopped, the rows still to come are recorded `not_sent`. `drain` is asked
   * before each further row whether to keep reading for that (a file: yes, so every device is in
   * the ledger; a stream after Ctrl-C: no, it may never end, and the summary says it was left unread).
   */
  async run(rows: AsyncIterator<InputRow>, drain: () => boolean): Promise<BatchReport> {
    let exhausted = false;
    const worker = async () => {
      while (!this.stopped) {
        const next = await rows.next();
        if (next.done) {
          exhausted = true;
          return;
        }
        try {
          if (this.stopped && !isInvalid(next.value)) this.recordUnsent(next.value);
          else await this.account(next.value);
        } finally {
          this.hooks.settled?.();
        }
      }
    };
    try {
      // Every worker finishes what it has in flight before the run reports, whatever stopped it.
      const settled = await Promise.allSettled(Array.from({ length: this.plan.concurrency }, worker));
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      while (!exhausted && drain()) {
        const next = await rows.next();
        if (next.done) exhausted = true;
        else {
          if (isInvalid(next.value)) this.record(this.entry(next.value, { outcome: 'invalid_input', code: 'INVALID_INPUT', exitCode: EXIT.usage, reason: `line ${next.value.line} ${next.value.invalid}` }, 0));
          else this.recordUnsent(next.value);
          // Every row taken settles, recorded by a worker or here: a wave boundary ahead waits for it.
          this.hooks.settled?.();
        }
      }
      if (!exhausted) {
        this.report.unread = true;
        await rows.return?.(undefined);
      }
    } catch (error) {
      const name = (error as Error).name;
      // Reading was stopped (Ctrl-C on a stream): what was read is accounted for, the rest is unread.
      if (name === 'InputStopped') {
        this.report.unread = true;
        if ((error as InputStopped).hungUp) this.stop('interrupt');
      }
      // The input could not be read on (a CSV quote never closed): what came before is accounted for.
      else if (name === 'InputBroken') this.stop('input_broken', (error as Error).message);
      else throw error;
    }
    const codes = [...this.report.counts.values()].map((b) => b.exitCode);
    if (this.report.stoppedBy === 'interrupt') codes.push(EXIT.interrupted);
    // A run cut short because its output went away did not do what was asked: never exit 0.
    if (this.report.stoppedBy === 'ledger_failed' || this.report.stoppedBy === 'output_closed') codes.push(EXIT.outputLost);
    if (this.report.stoppedBy === 'input_broken') codes.push(EXIT.usage);
    if (this.report.stoppedBy === 'api_unreachable') codes.push(EXIT.transient);
    this.report.exitCode = fleetExitCode(codes, this.report.sent > 0);
    return this.report;
  }
}

/** A summary row's guidance for devices nothing was sent to. */
const NEVER_SENT = 'never sent: rerun for these devices';

/**
 * Retry guidance for a summary row: the class of the meaning the answer was decoded as (else of the
 * code's first meaning), or the outcome's meaning.
 */
export function guidanceFor(outcome: Outcome, code: string | null, retryClass?: RetryClass): string {
  if (outcome === 'accepted') return '-';
  if (outcome === 'not_sent') return code === NOT_RECONCILED ? 'the earlier run may have sent them: resume again (it reads their actions first); a line naming an earlier push: look, then send it yourself' : NEVER_SENT;
  if (outcome === 'preflight_failed') return 'fix the request (nothing was sent)';
  if (outcome === 'invalid_input') return 'fix these input rows (nothing was sent for them)';
  const known = retryClass ?? (code ? variantFor(code, undefined, undefined)?.retryClass : undefined);
  if (known) return RETRY_CLASSES[known].label;
  // amps' own codes (a timeout, a lost connection, an answer it cannot use): whether the push ran
  // is unknown unless nothing left (a refused connection), as a single push's error says too.
  if (code !== null && localCode(code)) return codeProvesNothingRan(code) ? NEVER_SENT : 'may have run: read the devices or their actions before pushing again';
  return RETRY_CLASSES.once_then_escalate.label;
}
