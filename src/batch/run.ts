// A push to many devices: rows stream in, N workers share one keep-alive pool and one throttle,
// each device's outcome is written to the ledger as it lands, and every input row appears in the
// ledger exactly once, those never sent included. Conflicts never prompt here.

import { provesNothingRan, type ApiClient } from '../api/client.js';
import { getDevice, pushAction } from '../api/resources.js';
import { variantFor } from '../errors/catalogue.js';
import type { DecodedError } from '../errors/decode.js';
import { EXIT } from '../errors/exit-codes.js';
import { ApiFailure, PreflightError, UsageError } from '../errors/failures.js';
import { RETRY_CLASSES } from '../errors/retry-classes.js';
import type { DeviceRow } from './input.js';
import { Throttle } from './throttle.js';
import type { PushBody } from '../contract/actions.js';
import type { DeviceRead, DeviceType } from '../contract/devices.js';

export type Outcome = 'accepted' | 'conflict' | 'rejected' | 'failed' | 'preflight_failed' | 'not_sent';

export interface LedgerEntry {
  id: string;
  outcome: Outcome;
  actionId: string | null;
  state: string | null;
  code: string | null;
  status: number | null;
  requestId: string | null;
  attempts: number;
  exitCode: number;
}

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
  concurrency: number;
  preflight: boolean;
  retry: number;
  /** Exit codes whose first occurrence stops the run; empty: never stop. */
  failFast: Set<number>;
}

export interface BatchReport {
  counts: Map<string, { outcome: Outcome; code: string | null; count: number; exitCode: number }>;
  conflicted: string[];
  total: number;
  stoppedBy: 'interrupt' | 'fail_fast' | null;
  exitCode: number;
}

/** Most severe first: what needs a person most decides the exit code of a batch. */
export const SEVERITY = [EXIT.interrupted, EXIT.bug, EXIT.credentials, EXIT.unclassified, EXIT.rejected, EXIT.usage, EXIT.conflict, EXIT.offline, EXIT.transient];

export function mostSevere(codes: Iterable<number>): number {
  const seen = new Set(codes);
  return SEVERITY.find((code) => seen.has(code)) ?? EXIT.ok;
}

/** The 409s that onConflict can resolve: the ones a rerun with a strategy can fix. */
export const RESOLVABLE_BY_STRATEGY = new Set(['CONFLICT', 'SCHEDULER_ACTIVE']);


interface Hooks {
  onEntry(entry: LedgerEntry): void;
}

export class BatchRun {
  private readonly throttle: Throttle;
  private readonly capabilities = new Map<string, Promise<DeviceRead>>();
  private readonly report: BatchReport = { counts: new Map(), conflicted: [], total: 0, stoppedBy: null, exitCode: EXIT.ok };
  private stopped = false;

  constructor(private readonly client: ApiClient, private readonly plan: BatchPlan, private readonly hooks: Hooks) {
    this.throttle = new Throttle(plan.concurrency);
  }

  get concurrencyNow(): number {
    return this.throttle.limit;
  }

  stop(reason: 'interrupt' | 'fail_fast'): void {
    if (!this.stopped) this.report.stoppedBy = reason;
    this.stopped = true;
  }

  private record(entry: LedgerEntry): void {
    const key = `${entry.outcome}\u0000${entry.code ?? ''}`;
    const bucket = this.report.counts.get(key) ?? { outcome: entry.outcome, code: entry.code, count: 0, exitCode: entry.exitCode };
    bucket.count++;
    this.report.counts.set(key, bucket);
    this.report.total++;
    if (entry.outcome === 'conflict' && RESOLVABLE_BY_STRATEGY.has(entry.code ?? '')) this.report.conflicted.push(entry.id);
    this.hooks.onEntry(entry);
    if (entry.exitCode !== EXIT.ok && entry.outcome !== 'not_sent' && (this.plan.failFast.has(entry.exitCode) || this.plan.failFast.has(-1))) {
      this.stop('fail_fast');
    }
  }

  /** The capability map a row is checked against: one read per distinct model (see README). */
  private capabilitiesFor(row: DeviceRow): Promise<DeviceRead> {
    const key = row.model ?? '';
    let read = this.capabilities.get(key);
    if (!read) {
      read = getDevice(this.client, this.plan.type, row.id).then((r) => r.data);
      read.catch(() => this.capabilities.delete(key));
      this.capabilities.set(key, read);
    }
    return read;
  }

  private async bodyFor(row: DeviceRow): Promise<RowBody> {
    const device = this.plan.preflight ? await this.capabilitiesFor(row) : undefined;
    return this.plan.bodyFor(row, device);
  }

  private entry(row: DeviceRow, fields: Partial<LedgerEntry> & { outcome: Outcome; exitCode: number }, attempts: number): LedgerEntry {
    const { outcome, exitCode, ...rest } = fields;
    return { id: row.id, outcome, actionId: null, state: null, code: null, status: null, requestId: null, attempts, ...rest, exitCode };
  }

  private failure(row: DeviceRow, d: DecodedError, attempts: number): LedgerEntry {
    const outcome: Outcome = d.status === 409 ? 'conflict' : d.retryClass === 'fix_request' ? 'rejected' : 'failed';
    return this.entry(row, { outcome, code: d.code, status: d.status, requestId: d.requestId ?? null, exitCode: d.exitCode }, attempts);
  }

  private async one(row: DeviceRow): Promise<LedgerEntry> {
    let body: PushBody;
    try {
      body = (await this.bodyFor(row)).body;
    } catch (error) {
      if (error instanceof PreflightError) return this.entry(row, { outcome: 'preflight_failed', code: error.decoded.code, exitCode: EXIT.usage }, 0);
      if (error instanceof UsageError) return this.entry(row, { outcome: 'preflight_failed', code: 'USAGE', exitCode: EXIT.usage }, 0);
      if (error instanceof ApiFailure) return this.failure(row, error.decoded, 0);
      throw error;
    }
    for (let attempt = 1; ; attempt++) {
      await this.throttle.acquire();
      try {
        const { data, meta } = await pushAction(this.client, this.plan.type, row.id, body, 0);
        this.throttle.succeeded();
        return this.entry(row, { outcome: 'accepted', actionId: data.id, state: data.state, status: 202, requestId: (meta.requestId as string) ?? null, exitCode: EXIT.ok }, attempt);
      } catch (error) {
        if (!(error instanceof ApiFailure)) throw error;
        const d = error.decoded;
        const rateLimited = d.code === 'RATE_LIMITED' || d.code === 'RATE_LIMIT_EXCEEDED' || d.status === 429;
        if (rateLimited) this.throttle.rateLimited((d.retryAfterSeconds ?? 1) * 1000);
        if (attempt <= this.plan.retry && provesNothingRan(error) && !this.stopped) continue;
        return this.failure(row, d, attempt);
      } finally {
        this.throttle.release();
      }
    }
  }

  async run(rows: AsyncIterator<DeviceRow>): Promise<BatchReport> {
    const worker = async () => {
      while (!this.stopped) {
        const next = await rows.next();
        if (next.done) return;
        this.record(await this.one(next.value));
      }
    };
    await Promise.all(Array.from({ length: this.plan.concurrency }, worker));
    // Every row not sent still gets its line in the ledger.
    for (let next = await rows.next(); !next.done; next = await rows.next()) {
      this.record(this.entry(next.value, { outcome: 'not_sent', exitCode: EXIT.ok }, 0));
    }
    const codes = [...this.report.counts.values()].map((b) => b.exitCode);
    if (this.report.stoppedBy === 'interrupt') codes.push(EXIT.interrupted);
    this.report.exitCode = mostSevere(codes);
    return this.report;
  }
}

/** Retry guidance for a summary row: the code's class, or the outcome's meaning. */
export function guidanceFor(outcome: Outcome, code: string | null): string {
  if (outcome === 'accepted') return '-';
  if (outcome === 'not_sent') return 'never sent: rerun for these devices';
  if (outcome === 'preflight_failed') return 'fix the request (nothing was sent)';
  const entry = code ? variantFor(code, undefined, undefined) : undefined;
  return entry ? RETRY_CLASSES[entry.retryClass].label : RETRY_CLASSES.once_then_escalate.label;
}


