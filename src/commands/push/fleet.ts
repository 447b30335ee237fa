// `amps push TYPE --devices FILE COMMAND`: the same command to every listed device. The flags are
// read once; each row's overrides are fitted to its model's capability read by the same builder a
// single push uses; the batch owns the ledger, the throttle and the summary. On top of the sends:
// --wait follows every accepted action to what the device did (--verify reads the device), --plan
// predicts without sending, --waves rolls out in waves with --abort-if, and --resume continues a
// run from its ledger without sending any device twice.

import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { MAX_RETRY_AFTER_MS, type ApiClient } from '../../api/client.js';
import type { ActionRecord } from '../../contract/actions.js';
import type { DeviceRow, InputRow } from '../../batch/input.js';
import type { LedgerWriter, ParsedLedger } from '../../batch/ledger.js';
import type { OutcomeTally } from '../../batch/report.js';
import type { Resumed } from '../../batch/run.js';
import type { GlobalOptions } from '../../config/globals.js';
import { configDir, runLedgerPath } from '../../config/paths.js';
import type { DeviceRead, DeviceType } from '../../contract/devices.js';
import { EXIT, EXIT_CLASSES, type ExitCode, mostSevere } from '../../contract/exit-codes.js';
import type { TargetEnvironment } from '../../contract/keys.js';
import { LEDGER_VERSION, type LedgerEntry, type OutcomeRecord, type RunInputs } from '../../contract/ledger.js';
import { actionMatches, hasWallClockTime, parseQuantityFlags, resolveTimes } from '../../domain/action.js';
import { CONTROLLABLE, pathSegment, requireDeviceType } from '../../domain/device-types.js';
import { localZone } from '../../domain/time.js';
import { ApiFailure, InterruptedError, UsageError } from '../../errors/failures.js';
import { setHardStopNote } from '../../lib/hard-stop.js';
import { ownStart } from '../../lib/process.js';
import { own, redactUrl, systemErrorText } from '../../lib/values.js';
import { type IO, ioWith, writeJson, writeLine, writeNotice } from '../../output/io.js';
import { claimStdinInputs, namesStdin } from '../../output/read.js';
import { untypedTargetFlags, whereFlags } from '../../config/resolve.js';
import { formatTable } from '../../output/table.js';
import { liveLine } from '../../output/spinner.js';
import { grouped, shellQuote } from '../../output/text.js';
import { announceWrite, relinkFor, type Session, withSession } from '../../session/connect.js';
import { DEFAULT_WAIT_MS } from '../../session/follow.js';
import { movedTimes, preflight, preparePush, type PushFlags, type PushInputs, readPushInputs, refuseDirectiveOnLive, timeLines, writeTimeNote, type Zone } from './body.js';
import { AMBIGUOUS_NEXT, bodyFlagsGiven, checkResumable, claimResumeOf, copiedFrom, refuseWhileWritten, decide, fingerprintOf, flagsOf, realPathOf, reconcile, ReconcileIncomplete, reconciledEntry, resumedLedgerPath, runInputs, SameListCheck, unreconciledEntry } from './resume.js';
import { rerunNote, rerunArgs, resumeCommand, sendingFlags } from './rerun.js';
import { breach, parseAbortIf, parseWaves, waveEnds, type AbortRule } from './waves.js';

export interface FleetPushOptions extends GlobalOptions, PushFlags {
  type?: string;
  /** With --devices the first positional is the command. */
  id?: string;
  command?: string;
  devices?: string;
  preflight?: boolean;
  retry?: number;
  concurrency?: number;
  out?: string;
  failFast?: boolean | string;
  wait?: boolean;
  waitTimeout?: number;
  verify?: boolean;
  plan?: boolean;
  waves?: string;
  abortIf?: string;
  canaryPerModel?: boolean;
  resume?: string;
}

/** --fail-fast alone: any failure; with a list: only those classes (-1 stands for any). */
function failFastCodes(value: boolean | string | undefined): Set<ExitCode | -1> {
  if (value === undefined || value === false) return new Set();
  if (value === true) return new Set([-1]);
  return new Set(value.split(',').map((name) => {
    const code = own(EXIT_CLASSES, name.trim());
    if (code === undefined) throw new UsageError(`--fail-fast takes classes from ${Object.keys(EXIT_CLASSES).join(', ')}, not '${name}'`);
    return code;
  }));
}

/** What the run is: fresh from the flags, or a resume of a ledger (whose inputs, clock and zone it reuses). */
interface RunSetup {
  type: DeviceType;
  inputs: RunInputs;
  push: PushInputs;
  zone: Zone;
  /** The clock relative times count from: the original run's start for a resume, so the body is the same. */
  startedAt: number;
  devices: string;
  out?: string;
  /** The ledger is amps' own (no --out): under $AMPS_CONFIG_DIR/runs/. */
  automaticOut?: boolean;
  /** The ledger resumed; `original`, the one it is a copy of (resume.ts copiedFrom). */
  resumeFrom?: { path: string; ledger: ParsedLedger; original?: string };
  /** A resume's devices file's digest, checked against the earlier run's already: not read again. */
  devicesDigest?: string;
}

/** A list given to a resume that is not the one its run read (SameListCheck): nothing is sent. */
function notTheRunsList(devices: string, path: string, why: string): UsageError {
  return new UsageError(`${devices === '-' ? 'the list on stdin' : devices} is not the list the run of ${path} read: ${why}`, 'a resume sends the rest of the run\'s own list, in its order; give that list with --devices');
}

/**
 * A resume reads the list the run read: the file it named (an absolute path since this ledger
 * version; a relative one is the current directory's), or the one --devices gives, with the same
 * bytes when the run kept their digest. Another list would send devices the run never listed and
 * carry over lines for devices the file no longer has.
 */
async function checkSameDevices(devices: string, fromLedger: boolean, ledger: ParsedLedger, path: string): Promise<string | undefined> {
  const input = await import('../../batch/input.js');
  if (fromLedger) {
    try {
      await input.checkSource(devices);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      throw new UsageError(`the devices file the run of ${path} read, ${devices}, cannot be read: ${error.message.replace(/^cannot read --devices \S+: /, '')}`, 'give the same list with --devices FILE');
    }
  }
  const kept = ledger.run.devicesDigest;
  if (typeof kept !== 'string') {
    // A run that read a stream, its list given again as a file: checked against the ledger before
    // anything is sent (a list given on stdin is checked as it is read, fleetRun).
    if (!fromLedger && devices !== '-' && (await input.isRegularFile(devices))) {
      const check = new SameListCheck(ledger);
      let last = 0;
      for await (const row of input.readDeviceRows(devices, undefined)) {
        if (row.line > check.lastLine) break;
        last = row.line;
        const why = input.isInvalid(row) ? undefined : check.disagreement(row);
        if (why) throw notTheRunsList(devices, path, why);
      }
      const early = check.endedEarly(last);
      if (early) throw notTheRunsList(devices, path, early);
    }
    return undefined;
  }
  // The run read a file and kept its digest: stdin that is a file (`--devices - < list.txt`) is
  // read for its digest as a file is; a stream (a FIFO, a link to a device, a pipe) cannot be told the same.
  if (devices === '-') {
    const stdin = await input.digestOfStdinFile();
    if (stdin === kept) return kept;
    if (stdin !== undefined) throw new UsageError(`the file on stdin is not the list the run of ${path} read`, 'a resume sends the run\'s own list; give that list with --devices FILE');
  }
  if (!(await input.isRegularFile(devices))) {
    throw new UsageError(`the run of ${path} read a file of devices, and ${devices === '-' ? 'stdin' : devices} is none now: the resume cannot tell it is the run's list`, 'give the run\'s list as a file with --devices FILE');
  }
  if ((await input.digestOf(devices)) !== kept) {
    throw new UsageError(`${devices} is not the list the run of ${path} read: it changed since`, 'a resume sends the run\'s own list; give that list with --devices FILE');
  }
  return kept;
}

/**
 * A resume sends and follows as its run did (--fail-fast, --retry, --no-preflight, --timeout,
 * --concurrency; --wait, --verify, --wait-timeout), unless told otherwise: a run that stopped at
 * its first failure must not send the rest on when resumed. A run that rolled out in waves goes on
 * in its waves (--waves, --canary-per-model, --abort-if; a given --abort-if wins): the rest must not
 * go out at once, past the waves and the rule meant to hold them back.
 */
function resumedShape(given: FleetPushOptions, from: { path: string; ledger: ParsedLedger }): FleetPushOptions {
  const shape = from.ledger.run.shape;
  if (!shape) return given;
  // Canaries reorder the list: the devices carried over would fall in other waves than the run's.
  if (given.canaryPerModel && shape.waves !== null && !shape.canaryPerModel) {
    throw new UsageError(`--canary-per-model: the run of ${from.path} rolled out in waves without it, and a resume keeps the run's waves`);
  }
  return {
    ...given,
    wait: given.wait ?? (shape.wait || undefined), verify: given.verify ?? (shape.verify || undefined), waitTimeout: given.waitTimeout ?? shape.waitTimeout ?? undefined,
    failFast: given.failFast ?? shape.failFast ?? undefined, retry: given.retry ?? shape.retry ?? undefined, timeout: given.timeout ?? shape.timeoutMs ?? undefined,
    // There is no --preflight to turn it back on: a run that read no devices first is resumed the same way.
    preflight: shape.preflight === false ? false : given.preflight,
    concurrency: given.concurrency ?? from.ledger.run.concurrency,
    waves: shape.waves ?? undefined, canaryPerModel: given.canaryPerModel ?? (shape.canaryPerModel || undefined), abortIf: given.abortIf ?? shape.abortIf ?? undefined,
  };
}

async function setup(options: FleetPushOptions, io: IO): Promise<RunSetup> {
  const command = options.id && options.command ? undefined : options.command ?? options.id;
  if (options.id && options.command) throw new UsageError('with --devices, name the command only: amps push TYPE --devices FILE COMMAND');
  if (options.resume !== undefined) {
    const { readLedger } = await import('../../batch/ledger.js');
    const ledger = readLedger(options.resume);
    const type = options.type !== undefined ? requireDeviceType(options.type, CONTROLLABLE) : requireDeviceType(ledger.run.inputs.type, CONTROLLABLE);
    const given = bodyFlagsGiven(command, options) ? runInputs(type, command ?? ledger.run.inputs.command, options) : undefined;
    checkResumable(ledger, options.resume, type, given);
    refuseWhileWritten(ledger, options.resume);
    const original = copiedFrom(ledger, options.resume);
    const inputs = ledger.run.inputs;
    const devices = options.devices ?? ledger.run.devices;
    if (devices === '-' && options.devices === undefined) throw new UsageError(`the run of ${options.resume} read its devices from stdin`, 'give them again: --devices FILE (or -)');
    // A run that kept no digest read a stream (/dev/stdin, a FIFO, /dev/fd/N): opened again it is
    // another stream, or waits for a writer for ever; what it would give is not the run's list.
    if (ledger.run.devicesDigest === null && options.devices === undefined) {
      throw new UsageError(`the run of ${options.resume} read its devices from ${devices}, a stream (not a regular file), which cannot be read again`, 'give them again: --devices FILE (or -)');
    }
    const devicesDigest = await checkSameDevices(devices, options.devices === undefined, ledger, options.resume);
    return {
      devicesDigest,
      type, inputs, push: readPushInputs(inputs.command, flagsOf(inputs), io.env, true), zone: { name: ledger.run.times.zone, source: 'the run\'s (its ledger)' },
      startedAt: Date.parse(ledger.run.startedAt), devices, out: resumedLedgerPath(options.resume, options.out), resumeFrom: { path: options.resume, ledger, original },
    };
  }
  if (options.type === undefined) throw new UsageError('name the device type: amps push TYPE --devices FILE COMMAND');
  const type = requireDeviceType(options.type, CONTROLLABLE);
  if (!command) throw new UsageError('name the command to push to every device, e.g. charge');
  if (options.devices === undefined) throw new UsageError('--devices FILE names the devices (- reads stdin)');
  const push = readPushInputs(command, options, io.env);
  // One zone for the whole run: the devices' plant zones may differ, so a typed time means one instant.
  const zone: Zone = push.zone ?? { name: localZone(io.env), source: 'the local zone' };
  return { type, inputs: runInputs(type, command, options), push, zone, startedAt: io.now().getTime(), devices: options.devices, out: options.out };
}

/** Rows of a regular file, all in memory (waves and canaries need the whole list); a model for each from the input or the device list. */
async function readAll(source: string, io: IO): Promise<InputRow[]> {
  const { readDeviceRows } = await import('../../batch/input.js');
  const rows: InputRow[] = [];
  await refusingBrokenInput(async () => {
    for await (const row of readDeviceRows(source, io.stdin)) rows.push(row);
  });
  return rows;
}

/**
 * Input that cannot be read on (a CSV quote never closed), met before anything is sent (waves
 * read the whole list first; --plan sends nothing): a usage error, exit 2.
 */
async function refusingBrokenInput<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if ((error as Error).name === 'InputBroken') throw new UsageError(`--devices: ${(error as Error).message}; nothing was sent`);
    throw error;
  }
}

/** Puts the first device of every model first, so the first wave meets every model a manufacturer may reject. */
async function canariesFirst(rows: InputRow[], client: ApiClient, type: DeviceType): Promise<{ rows: InputRow[]; canaries: number }> {
  const { listDevices, listPages } = await import('../../api/resources.js');
  const models = new Map<string, string>();
  const unknown = new Set(rows.filter((r): r is DeviceRow => !('invalid' in r) && !r.model).map((r) => r.id));
  if (unknown.size > 0) {
    for await (const page of listPages((offset) => listDevices(client, type, { limit: 50, offset }))) {
      for (const device of page.items) if (unknown.delete(device.id)) models.set(device.id, device.metadata?.model ?? '');
      if (unknown.size === 0) break;
    }
  }
  const seen = new Set<string>();
  const first: InputRow[] = [];
  const rest: InputRow[] = [];
  for (const row of rows) {
    const model = 'invalid' in row ? undefined : row.model ?? models.get(row.id);
    if (model !== undefined && !seen.has(model)) {
      seen.add(model);
      first.push(row);
    } else rest.push(row);
  }
  return { rows: [...first, ...rest], canaries: first.length };
}

/**
 * A list with no device at all (an empty file, a CSV header alone, a filter upstream that found
 * none or failed): refused rather than reported as a run that succeeded, so a runbook that meant
 * to push to a fleet does not go on as if it had.
 */
function noDevicesIn(source: string): UsageError {
  return new UsageError(`--devices ${source === '-' ? '- (stdin)' : source} lists no devices; nothing was sent`, 'one device id per line, a CSV with an id column, or NDJSON objects with an id');
}

async function* fromArray(rows: InputRow[]): AsyncGenerator<InputRow> {
  yield* rows;
}

/**
 * The rows, the first of them read already: input that cannot be read at all fails here, before
 * the ledger opens. Ctrl-C or SIGTERM while a stream has sent nothing yet (a FIFO whose writer
 * never came) is the run's interruption, as later: the ledger and the summary say the stream was
 * not read on. A regular file is read on whatever comes (as after the first row: its rows are
 * recorded not_sent), so that the ledger lists every device of it.
 */
export async function firstRowRead(rows: AsyncGenerator<InputRow>, source: string, stopReading: AbortController, interrupt: AbortSignal, regularFile: boolean): Promise<AsyncGenerator<InputRow>> {
  const stop = () => stopReading.abort();
  if (!regularFile) interrupt.addEventListener('abort', stop, { once: true });
  let first: IteratorResult<InputRow>;
  try {
    first = await rows.next();
  } catch (error) {
    if (!interrupt.aborted) throw error;
    return (async function* () {
      throw error;
    })();
  } finally {
    interrupt.removeEventListener('abort', stop);
  }
  if (first.done && !interrupt.aborted) throw noDevicesIn(source);
  return (async function* () {
    try {
      if (first.done) return;
      yield first.value;
      yield* rows;
    } finally {
      await rows.return(undefined);
    }
  })();
}

export async function run(given: FleetPushOptions, io: IO, argv: string[]): Promise<ExitCode> {
  // The devices are read as a stream (batch/input.ts), not through readStdin: claimed here.
  claimStdinInputs(io, given.apiKeyFile, [[`--devices ${given.devices}`, given.devices]]);
  const run = await setup(given, io);
  const options = run.resumeFrom ? resumedShape(given, run.resumeFrom) : given;
  const { type, push, zone, startedAt } = run;
  const waves = options.waves !== undefined ? parseWaves(options.waves) : undefined;
  const abortRules: AbortRule[] = options.abortIf !== undefined ? parseAbortIf(options.abortIf) : [];
  // A resume cannot be given --waves (the waves are its run's): a rule or canaries without them are its run's lack.
  const giveWaves = run.resumeFrom ? `the run of ${run.resumeFrom.path} did not roll out in waves` : 'give --waves too';
  if (options.abortIf !== undefined && !waves) throw new UsageError(`--abort-if judges a wave: ${giveWaves}`);
  if (options.canaryPerModel && !waves) throw new UsageError(`--canary-per-model shapes the first wave: ${giveWaves}`);
  if (options.verify && !options.wait && !waves) throw new UsageError('--verify reads devices once their actions complete: give --wait too');
  const failFast = failFastCodes(options.failFast);
  // The instants the run's times name: one zone, one clock (the run's start) for every device.
  const times = resolveTimes(push.times, startedAt, zone);
  // A wave is judged by what its devices did, after its start: the next wave's start, the same instant, has passed by then.
  if (waves && times.start !== undefined) {
    throw new UsageError('--waves judges each wave by what its devices did before sending the next, so with a start (--at, --start) every wave after the first would be sent past it (START_IN_PAST)', 'roll out now in waves and schedule nothing, or schedule each wave as a run of its own');
  }
  const quantitiesFor = (row: DeviceRow) => ({ ...push.quantities, ...parseQuantityFlags(row.quantities, [], (name) => `the row's ${name}`) });
  /** Whether an action the API holds is this run's push to the row's device (a resume's reconciling). */
  const isThisPush = (row: DeviceRow, action: ActionRecord) => {
    try {
      return actionMatches(action, push.command, quantitiesFor(row), times);
    } catch (error) {
      // A row whose values do not parse was never sent: it is sent now, and refused as before.
      if (error instanceof UsageError) return false;
      throw error;
    }
  };
  const bodyFor = (row: DeviceRow, device: DeviceRead | undefined) => {
    const quantities = quantitiesFor(row);
    const prepared = preparePush({ ...push, quantities }, device, startedAt, zone);
    if (device) preflight(device, prepared.body, io.now());
    return prepared;
  };
  const [{ BatchRun }, input, report, ledgerModule, { Follower }] = await Promise.all([
    import('../../batch/run.js'), import('../../batch/input.js'), import('../../batch/report.js'), import('../../batch/ledger.js'), import('../../batch/follow.js'),
  ]);
  await input.checkSource(run.devices);
  if (run.out === undefined && !options.plan) {
    try {
      run.out = runLedgerPath(io.env, io.now(), ledgerModule.beingWritten);
      run.automaticOut = true;
    } catch (error) {
      throw new UsageError(`cannot keep this run's ledger in ${configDir(io.env)}: ${systemErrorText(error)}; nothing was sent`, 'name one with --out FILE, or set AMPS_CONFIG_DIR to a directory amps can write');
    }
  }
  /** Whether --out was there when checked: a file there later is another process's (LedgerWriter's mayExist). */
  let outExists = true;
  if (run.out) {
    outExists = ledgerModule.checkLedgerTarget(run.out, [{ path: run.devices, what: 'the --devices file' }, ...(run.resumeFrom ? [{ path: run.resumeFrom.path, what: 'the ledger being resumed' }] : [])]).exists;
  }
  // Only a regular file can be read twice (to count it ahead) or read to its end after a stop.
  const regularFile = await input.isRegularFile(run.devices);
  if (waves && !regularFile) {
    throw new UsageError(run.resumeFrom
      ? `the run of ${run.resumeFrom.path} rolled out in waves (--waves ${options.waves}), which need the devices in a file: each wave is a share of the whole list`
      : '--waves needs the devices in a file: each wave is a share of the whole list', run.resumeFrom ? 'give them with --devices FILE' : undefined);
  }
  const concurrency = options.concurrency ?? 8;

  // Requests in flight finish after Ctrl-C: the run stops issuing, then reports.
  const requests = new AbortController();
  return withSession(options, ioWith(io, { signal: requests.signal }), async (session) => {
    // Reads only look: Ctrl-C ends them at once (ApiClient.endedAlsoBy).
    const reads = session.client.endedAlsoBy(io.signal);
    try {
      return await fleetRun(session, reads);
    } finally {
      await reads.close();
    }
  }, { connections: concurrency });

  /** One zone and one clock for the whole fleet, said before anything is sent (or predicted). */
  function sayTimes(): void {
    if (!options.quiet && !options.json) for (const line of timeLines(times.start, times.end, zone, hasWallClockTime(push.times))) writeLine(io.stderr, io.err.dim(line));
    // What an operator must always hear of the times, as a single push says it: a time daylight
    // saving skips or repeats, and which was taken; `now` sent as an immediate push.
    if (!options.quiet) for (const note of times.notes) writeTimeNote(io, Boolean(options.json), note);
  }

  async function fleetRun(session: Session, reads: ApiClient): Promise<ExitCode> {
    refuseDirectiveOnLive(push.directive, session);
    // A resume goes where its run went: not to live for a run on a test key, nor the other way.
    const ranAgainst = run.resumeFrom?.ledger.run.environment;
    if (ranAgainst !== undefined && ranAgainst !== session.environment) {
      throw new UsageError(`the ledger ${run.resumeFrom!.path} is of a run against the ${ranAgainst} environment; this resume would go to ${session.environment}, so nothing was sent`, 'resume with the key, profile or API URL the run had');
    }
    const otherApi = run.resumeFrom ? ledgerModule.otherApiThan(run.resumeFrom.ledger.run, { embedded: session.embedded, apiUrl: session.target.apiUrl.value }) : null;
    if (otherApi) {
      throw new UsageError(`the ledger ${run.resumeFrom!.path} is of a run against ${otherApi.ran}; this resume would go to ${otherApi.now}, so nothing was sent`, `resume with the profile or API URL the run had (--api-url ${otherApi.ran})`);
    }
    if (options.plan) {
      // Which instant a time typed without a zone means, as a run says before it sends: the plan is read as the run.
      sayTimes();
      return predict(reads, session, run, bodyFor, options, io);
    }

    // The rows, and where the waves end: read (a stream's first row at least) before the ledger opens.
    // Input amps cannot read at all (a CSV header without an id column) and a rollout that cannot
    // order its waves (Ctrl-C or a refused read while the canaries are looked up) have sent nothing
    // and leave no ledger, rather than one that lists none of their devices, never ends, and stands
    // in the way of the corrected run's --out.
    const stopReading = new AbortController();
    let rows: AsyncIterable<InputRow>;
    let ends: number[] | undefined;
    if (waves) {
      let all = await readAll(run.devices, io);
      if (all.length === 0) throw noDevicesIn(run.devices);
      if (options.canaryPerModel) {
        const ordered = await canariesFirst(all, reads, type);
        all = ordered.rows;
        ends = waveEnds(all.length, waves, ordered.canaries);
      } else ends = waveEnds(all.length, waves);
      rows = fromArray(all);
    } else rows = await firstRowRead(input.readDeviceRows(run.devices, io.stdin, stopReading.signal), run.devices, stopReading, io.signal, regularFile);

    // Where the devices came from, for a resume from anywhere, and which bytes they were.
    const devicesDigest = run.devicesDigest ?? (regularFile ? await input.digestOf(run.devices) : null);
    // A second resume of the same ledger is refused from here on, whatever its --out.
    const releaseMark = run.resumeFrom ? claimResumeOf(run.resumeFrom, run.out!) : undefined;
    let ledger!: LedgerWriter;
    let resume: ReturnType<typeof carryOver> | undefined;
    try {
      ledger = new ledgerModule.LedgerWriter(io, Boolean(options.json), run.out, concurrency, outExists);
      ledger.run({
        run: {
          version: LEDGER_VERSION, command: 'push', inputs: run.inputs, fingerprint: fingerprintOf(run.inputs),
          times: { start: times.start ?? null, end: times.end ?? null, zone: zone.name }, devices: run.devices === '-' ? '-' : resolve(run.devices), devicesDigest, startedAt: new Date(startedAt).toISOString(),
          concurrency, environment: session.environment, api: session.embedded ? null : redactUrl(session.target.apiUrl.value!), resumedFrom: run.resumeFrom?.path ?? null, writer: { pid: process.pid, host: hostname(), start: ownStart() }, ledger: run.out === undefined ? undefined : realPathOf(run.out),
          shape: {
            wait: Boolean(options.wait), verify: Boolean(options.verify), waitTimeout: options.waitTimeout ?? null,
            waves: options.waves ?? null, abortIf: options.abortIf ?? null, canaryPerModel: Boolean(options.canaryPerModel),
            failFast: options.failFast ?? null, retry: options.retry ?? null, preflight: options.preflight !== false, timeoutMs: options.timeout ?? null,
          },
        },
      });
      resume = run.resumeFrom ? carryOver(run.resumeFrom.ledger, ledger) : undefined;
    } catch (error) {
      // Nothing was sent: no half-written ledger of a resume, and no mark, is left to stand in the
      // way of the next one.
      if (ledger) {
        if (run.resumeFrom) ledger.abandon();
        else ledger.close();
      }
      releaseMark?.();
      throw error;
    }
    // A second Ctrl-C exits at once: the devices in flight then have no line, and this is the way on.
    if (run.out) setHardStopNote(`stopped at once: the devices in flight, and any not recorded yet, may have no line in ${run.out}, which has no end record; amps push --resume ${run.out} sends the rest, and reads the actions of those in flight before it sends them again`);
    announceWrite(session, io, options);
    sayTimes();
    if (resume && !options.quiet && !options.json) writeLine(io.stderr, `Resuming ${run.resumeFrom!.path} into ${run.out}: ${resume.carried.size} device line(s) carried over.`);

    // Not while the list is typed at the terminal (`--devices -`): its redraws would erase the typing.
    const showProgress = io.stderrIsTTY && !options.json && !options.quiet && !(namesStdin(options.devices) && io.stdinIsTTY);
    const progress = new report.Progress(io, showProgress);
    if (showProgress && regularFile) {
      void (async () => {
        let total = 0;
        for await (const _row of input.readDeviceRows(run.devices, io.stdin)) total++;
        progress.setTotal(total);
      })().catch(() => undefined);
    }
    const following = options.wait || waves !== undefined;
    const tally = new report.OutcomeTally();
    /** Outcomes followed so far, for the follow's rate. */
    let followed = 0;
    // Outcomes the ledger could not take (a full disk): listed on stderr at the end, and exit 11.
    const unwrittenOutcomes: OutcomeRecord['outcome'][] = [];
    const follower = following ? new Follower(reads, {
      type, command: push.command, since: () => ledgerModule.followSince({ run: { startedAt: new Date(startedAt).toISOString() }, clock: ledger.clockRecord }), verify: Boolean(options.verify), concurrency, signal: io.signal, now: () => io.now().getTime(),
      onOutcome: (followedOne) => {
        followed++;
        tally.add(followedOne);
        // Where the run sent: written or listed on stderr, a rerun line that greps it sends there only.
        const outcome = { ...followedOne, environment: session.environment };
        // Each is offered to the ledger, which once it has failed writes stdout's --json copy and
        // throws again without touching the file (LedgerWriter), as a device's line is.
        try {
          ledger.outcome({ outcome });
        } catch (error) {
          // Sends stop too: their lines could not be written either.
          batch.stop('ledger_failed', systemErrorText(error));
          unwrittenOutcomes.push(outcome);
        }
      },
      warn: report.followWarning(io, Boolean(options.json)),
      notice: (text) => writeNotice(io, options.json, text),
    }) : undefined;
    // A resume follows as its run did: the devices it carries over count with their outcomes, and
    // their actions not yet followed to an end are followed now.
    if (resume && follower) {
      for (const id of resume.carried) {
        const entry = resume.earlier.entries.get(id);
        if (entry?.outcome !== 'accepted' || !entry.actionId) continue;
        const outcome = resume.earlier.outcomes.get(entry.actionId);
        if (outcome) tally.add(outcome);
        else follower.track({ actionId: entry.actionId, deviceId: id, state: entry.state ?? 'acknowledged', start: entry.start });
      }
    }
    // The wave's lines, to judge it by --abort-if: kept only when there are waves (a 100,000-device run keeps none).
    const waveEntries: LedgerEntry[] = [];
    let settled = 0;
    let settledWaiter: (() => void) | undefined;

    const batchPlan = {
      type, bodyFor, movedFor: movedTimes, environment: session.environment as TargetEnvironment, concurrency,
      preflight: options.preflight !== false, retry: options.retry ?? 0, failFast, maxPauseMs: MAX_RETRY_AFTER_MS,
      relinkUrl: () => {
        const link = relinkFor(session, type);
        return 'url' in link ? link.url : undefined;
      },
    };
    const batch = new BatchRun(session.client, batchPlan, {
      onEntry: (entry) => {
        ledger.write(entry);
        progress.add(entry);
        if (waves) waveEntries.push(entry);
        // Tracked now, followed once the wave's sends are done.
        if (follower && entry.outcome === 'accepted' && entry.actionId && entry.id) {
          follower.track({ actionId: entry.actionId, deviceId: entry.id, state: entry.state ?? 'acknowledged', start: entry.start });
        }
      },
      beforeSend: (row) => ledger.beforeSend(row.line),
      // A resume keeps its run's clock (carried over): its own would sit beside another start.
      serverClock: resume ? undefined : (server: string) => ledger.clock({ server, local: io.now().toISOString() }),
      settled: () => {
        settled++;
        settledWaiter?.();
      },
      ...(resume ? resumeHooks(resume, session, reads, isThisPush) : {}),
    });

    const deadline = () => Date.now() + (options.waitTimeout ?? DEFAULT_WAIT_MS);
    /** Follows the wave's accepted actions; says whether the rollout may go on. */
    const followWave = async (wave: number, last: boolean): Promise<void> => {
      if (!follower) return;
      // A live line while the actions are followed, as watch's: a follow may last --wait-timeout.
      // Not between waves, where the sends' own line is still up (two would take turns on one row).
      const started = Date.now();
      const line = liveLine(io, () => report.followText(tally, follower.pending, follower.nextStart(), started, followed, zone.name), 500, showProgress && last);
      let pending: Awaited<ReturnType<typeof follower.run>>;
      try {
        pending = await follower.run(deadline());
      } finally {
        line.stop();
      }
      tally.pending = pending.map((p) => ({ id: p.deviceId, actionId: p.actionId, state: p.state, start: p.start }));
      if (last || !ends) return;
      const byExit = new Map<ExitCode, number>();
      const devices = waveEntries.length;
      for (const entry of waveEntries) {
        const code = entry.outcome === 'accepted' ? outcomeCodeOf(entry, tally) : entry.exitCode;
        if (code !== EXIT.ok) byExit.set(code, (byExit.get(code) ?? 0) + 1);
      }
      waveEntries.length = 0;
      if (follower.stoppedBy) batch.stop('rollout_stopped', `following wave ${wave + 1}'s actions stopped on ${follower.stoppedBy.decoded.code}`);
      else if (tally.pending.length > 0) batch.stop('rollout_stopped', `wave ${wave + 1}'s actions were still pending when the wait ended (--wait-timeout)`);
      const broken = breach(abortRules, devices, byExit);
      if (broken) batch.stop('rollout_stopped', `wave ${wave + 1} broke --abort-if ${broken}`);
      if (!batch.stopped && !options.quiet && !options.json) writeLine(io.stderr, `Wave ${wave + 1} of ${ends.length}: ${devices} device(s) done; going on.`);
    };

    // A stream run's list given again as a stream: checked as it is read (a file was, before anything was sent).
    const listCheck = run.resumeFrom && typeof run.resumeFrom.ledger.run.devicesDigest !== 'string' && !regularFile ? new SameListCheck(run.resumeFrom.ledger) : undefined;
    const notTheList = (why: string, line: number) => new input.InputBroken(notTheRunsList(run.devices, run.resumeFrom!.path, why).message, line);
    // A ledger's device line (a rerun line greps one) names the environment its run sent to: one
    // sent elsewhere is that row's invalid_input, not a push to this environment no one typed.
    const sentElsewhere = (row: InputRow): InputRow | undefined => {
      if (input.isInvalid(row) || row.environment === undefined || row.environment === session.environment) return undefined;
      return { invalid: `is a ledger line of a run against the ${row.environment} environment, and this run sends to ${session.environment}: give the key, profile or API URL that run had (to send it here, give the id alone: jq -r .id)`, line: row.line, id: row.id };
    };
    // Between waves the input waits: every row of the wave settled, then its actions followed.
    const gated = async function* (source: AsyncIterable<InputRow>): AsyncGenerator<InputRow> {
      let taken = 0;
      let wave = 0;
      let lastLine = 0;
      for await (const row of source) {
        lastLine = row.line;
        const why = listCheck && !input.isInvalid(row) ? listCheck.disagreement(row) : undefined;
        if (why) throw notTheList(why, row.line);
        if (ends && wave < ends.length - 1 && taken === ends[wave]) {
          while (settled < taken) await new Promise<void>((resolve) => (settledWaiter = resolve));
          settledWaiter = undefined;
          if (!batch.stopped) await followWave(wave, false);
          wave++;
        }
        taken++;
        // A resumed rollout judges a wave by all its devices: the lines carried over count as sent now.
        const carried = waves && resume && !('invalid' in row) && resume.carried.has(row.id) ? resume.earlier.entries.get(row.id) : undefined;
        if (carried) waveEntries.push(carried);
        yield sentElsewhere(row) ?? row;
      }
      const early = listCheck?.endedEarly(lastLine);
      if (early) throw notTheList(early, lastLine + 1);
    };

    let sendingDone = false;
    const onInterrupt = () => {
      // Once every row was sent (the follow of --wait, the last wave's), nothing is in flight: the
      // follow stops, and the sending is not said to have been interrupted.
      if (sendingDone) {
        if (!options.quiet && !options.json) writeLine(io.stderr, io.err.yellow(`amps: interrupted: following stops here; every device was sent, and the actions stand${run.out ? ` (amps watch --ledger ${shellQuote(run.out)} follows them on)` : ''}`));
        return;
      }
      batch.stop('interrupt');
      if (!regularFile) stopReading.abort();
      // The pushes in flight may take up to --timeout: what amps is waiting for, and how not to.
      // A file is read to its end to record every device not sent, which a long one takes a while to do: said.
      const rest = regularFile ? ' and recording the rest of the file as not sent' : '';
      if (!options.quiet && !options.json) writeLine(io.stderr, io.err.yellow(`amps: interrupted: sending nothing more, waiting for the pushes in flight to be answered${rest} (Ctrl-C again stops at once)`));
    };
    const onOutputClosed = () => batch.stop('output_closed', 'stdout or stderr was closed or could not be written');
    io.signal.addEventListener('abort', onInterrupt, { once: true });
    // Interrupted already, while the first row of a stream was awaited.
    if (io.signal.aborted) onInterrupt();
    io.outputClosed.addEventListener('abort', onOutputClosed, { once: true });
    try {
      // After a stop, the rest of a file is read to record it not_sent; a stream is too, unless the
      // operator interrupted (it may never end) or the ledger itself failed. A stream still read a
      // second on is said: one that never ends (a generator, a FIFO) is read until Ctrl-C.
      let drainNotice: NodeJS.Timeout | undefined;
      const drain = () => {
        if (batch.stoppedReason === 'ledger_failed' || (!regularFile && io.signal.aborted)) return false;
        if (!regularFile && drainNotice === undefined && !options.quiet) {
          drainNotice = setTimeout(() => writeNotice(io, options.json, 'the run stopped: reading the rest of the stream to record its devices as not sent (Ctrl-C leaves the rest unread)'), 1000);
          drainNotice.unref();
        }
        return true;
      };
      // A resume continues its run: what it carries over counts in its summary and exit code.
      if (resume) for (const id of resume.carried) batch.countCarried(resume.earlier.entries.get(id)!);
      const result = await batch.run(gated(rows)[Symbol.asyncIterator](), drain);
      sendingDone = true;
      clearTimeout(drainNotice);
      progress.stop();
      if (resume) {
        try {
          resume.finish();
        } catch {
          batch.unwritten.push(...resume.unfinished());
        }
      }
      // The last wave, or the whole run with --wait, followed to what the devices did.
      // Not after a stopped rollout: its last wave was followed already, to its own deadline.
      if (follower && !follower.stoppedBy && !io.signal.aborted && (options.wait || follower.pending > 0) && result.stoppedBy !== 'ledger_failed' && result.stoppedBy !== 'rollout_stopped') {
        if (!options.quiet && !options.json && follower.pending > 0) writeLine(io.stderr, `Following ${grouped(follower.pending)} action(s) to what the devices did…`);
        await followWave(ends ? ends.length - 1 : 0, true);
      }
      // A follow the API stopped did not get what it was asked to: its failure's class counts too.
      const followed = follower ? [...tally.exitCodes(), ...(follower.stoppedBy ? [follower.stoppedBy.exitCode] : [])] : [];
      const lost = batch.unwritten.length > 0 || unwrittenOutcomes.length > 0 ? [EXIT.outputLost] : [];
      const exitCode = batchExit(mostSevere([result.exitCode, ...lost]), followed, io.signal.aborted);
      ledger.end({ end: { at: io.now().toISOString(), exitCode, stoppedBy: result.stoppedBy } });
      ledger.close();
      report.reportUnwritten([...batch.unwritten, ...unwrittenOutcomes.map((outcome) => ({ outcome }))], io, run.out, Boolean(options.json));
      if (!options.quiet) {
        // The run's exit code, its follow and --verify included: what the process exits with.
        await report.printSummary({ ...result, exitCode }, io, Boolean(options.json), run.out);
        if (follower) await report.printOutcomes(tally, io, Boolean(options.json), zone.name, follower.end, run.out);
      }
      if (follower?.stoppedBy) await report.reportFollowStopped(follower.stoppedBy, tally.pending.length, io, Boolean(options.json));
      if (!options.json) {
        const rerunTimes = { start: times.start, end: times.end, zone: zone.name, now: io.now().getTime() };
        // Where the run sent, where it was not typed: a rerun line may be run from another shell.
        // `--` ends the recorded flags: a bare --fail-fast there would read the typed `push` as its classes.
        const flags = [...(run.resumeFrom ? [...resumedSendingFlags(options), '--', ...argv] : argv), ...untypedTargetFlags(session.target, options)];
        const base = rerunArgs(run.inputs, rerunTimes, flags);
        const reruns = [...report.conflictReruns(base, result, run.out), ...report.failedReruns(base, result, run.out), ...(follower ? report.outcomeReruns(rerunArgs(run.inputs, { ...rerunTimes, ran: true }, flags), tally, run.out) : [])];
        if (reruns.length > 0) writeLine(io.stderr, report.rerunBlock(reruns, rerunNote(rerunTimes, reruns)));
        if (follower && tally.pending.length > 0 && run.out) writeLine(io.stderr, `Keep following: amps watch --ledger ${run.out}`);
        // A run that stopped before the end of its list, with devices not sent: the rest go with a
        // resume, which sends no device twice (where one would be taken: resumeCommand).
        // A resume whose list on stdin was not the run's stopped there (input_broken) with the rest of
        // the run's list unread, and the ledger it continued marked: its own ledger is the way on.
        const wrongList = run.resumeFrom !== undefined && result.stoppedBy === 'input_broken';
        const unsent = wrongList || result.unread || [...result.counts.values()].some((bucket) => bucket.outcome === 'not_sent');
        const resumeLine = run.out && result.stoppedBy && (RESUMABLE_STOPS.has(result.stoppedBy) || wrongList) && unsent
          ? resumeCommand(run.out, { devices: run.devices, devicesDigest }, whereFlags(session.target, options))
          : undefined;
        // A resume stops where this run did if that device fails the same way again (an offline one):
        // --no-fail-fast is how it goes on past it.
        if (resumeLine) writeLine(io.stderr, `Send the rest, no device twice: ${resumeLine}`);
        const resumeNote = resumeLine ? rerunNote({ zone: zone.name }, [resumeLine]) : undefined;
        if (resumeNote) writeLine(io.stderr, `  (${resumeNote})`);
        if (resumeLine && result.stoppedBy === 'ledger_failed') writeLine(io.stderr, '  (once there is room where the ledger is; the devices whose lines are listed above are read back from the API, not sent again)');
        if (resumeLine && result.stoppedBy === 'fail_fast') writeLine(io.stderr, `  (it stops at a failure${typeof options.failFast === 'string' ? ' of those classes' : ''} as this run did; add --no-fail-fast to send past them)`);
      }
      return exitCode;
    } finally {
      setHardStopNote(undefined);
      progress.stop();
      io.signal.removeEventListener('abort', onInterrupt);
      io.outputClosed.removeEventListener('abort', onOutputClosed);
    }
  }
}

/**
 * How a resume sends, as flags: its run's, restored from the ledger (resumedShape), which the
 * resume's command line does not repeat; its rerun lines send the same way (flags it typed follow, and win).
 */
function resumedSendingFlags(options: FleetPushOptions): string[] {
  return sendingFlags({ concurrency: options.concurrency, retry: options.retry, timeoutMs: options.timeout, failFast: options.failFast, preflight: options.preflight });
}

/**
 * The stops after which the rest of the list is worth sending as it was: the hint names the resume.
 * A ledger that could not be written is one: it ends with a whole line, and the devices sent whose
 * lines it lacks are read back from the API by the resume.
 */
const RESUMABLE_STOPS = new Set(['interrupt', 'fail_fast', 'rate_limited', 'api_unreachable', 'ledger_failed']);

/** The exit code of an accepted device once followed: its action's outcome (10 while still pending). */
function outcomeCodeOf(entry: LedgerEntry, tally: OutcomeTally): ExitCode {
  if (tally.pending.some((p) => p.actionId === entry.actionId)) return EXIT.accepted;
  return tally.codeOf(entry.actionId!) ?? EXIT.ok;
}

/** The batch's code with what the followed actions did: the most severe wins; interrupted is 130. */
function batchExit(sent: ExitCode, followed: ExitCode[], interrupted: boolean): ExitCode {
  return mostSevere([sent, ...followed, ...(interrupted ? [EXIT.interrupted] : [])]);
}

/**
 * Writes the earlier ledger's answered lines (and its outcomes) into the new one, before anything is
 * sent. A ledger that cannot take them (a full disk) is a usage error: this resume has sent nothing
 * (the caller removes its partial ledger).
 */
function carryOver(earlier: ParsedLedger, ledger: LedgerWriter) {
  const carried = new Set<string>();
  const left = new Map<string, LedgerEntry>();
  try {
    ledger.carryHorizon(earlier.horizon);
    if (earlier.clock) ledger.clock(earlier.clock);
    for (const [id, entry] of earlier.entries) {
      if (decide(earlier, { id, line: entry.line }) === 'carry') {
        ledger.write(entry);
        carried.add(id);
      } else left.set(id, entry);
    }
    for (const outcome of earlier.outcomes.values()) if (carried.has(outcome.id)) ledger.outcome({ outcome });
  } catch (error) {
    throw new UsageError(`cannot write the ledger ${ledger.path}: ${systemErrorText(error)}; nothing was sent`, 'free space (or name another --out), then resume again');
  }
  return {
    earlier,
    carried,
    left,
    /** Devices of the earlier ledger the input no longer lists keep their lines. */
    finish: () => {
      for (const [id, entry] of left) {
        ledger.write(entry);
        left.delete(id);
      }
    },
    /** The lines finish() could not write. */
    unfinished: () => [...left.values()],
  };
}

/** `reads`: the actions are read through the client Ctrl-C ends at once (only looking). */
function resumeHooks(resume: ReturnType<typeof carryOver>, session: Session, reads: ApiClient, isThisPush: (row: DeviceRow, action: ActionRecord) => boolean) {
  return {
    carried: (row: DeviceRow) => resume.carried.has(row.id),
    unsent: (row: DeviceRow, reason: string): LedgerEntry | undefined => {
      // Its line is written now: not its earlier one again at the end.
      resume.left.delete(row.id);
      return decide(resume.earlier, row) === 'reconcile' ? unreconciledEntry(row, session.environment, reason) : undefined;
    },
    resumed: async (row: DeviceRow): Promise<Resumed> => {
      if (resume.carried.has(row.id)) return 'skip';
      resume.left.delete(row.id);
      const decision = decide(resume.earlier, row);
      if (decision !== 'reconcile') return 'send';
      let found: Awaited<ReturnType<typeof reconcile>>;
      try {
        found = await reconcile(reads, row, resume.earlier, (action) => isThisPush(row, action));
      } catch (error) {
        // Whether the earlier run sent it stays unknown: not sent now, and read first next time.
        if (error instanceof InterruptedError) return unreconciledEntry(row, session.environment, 'interrupted while its actions were read');
        if (error instanceof ApiFailure) return unreconciledEntry(row, session.environment, `its actions could not be read (${error.decoded.code})`, error.decoded.exitCode);
        if (error instanceof ReconcileIncomplete) return unreconciledEntry(row, session.environment, `${error.message} (look with amps actions list --device ${row.id})`, EXIT.unclassified, error.kind === 'ambiguous' ? AMBIGUOUS_NEXT : undefined);
        throw error;
      }
      return found ? reconciledEntry(row, found, session.environment) : 'send';
    },
  };
}

/** --plan: the prediction, on stdout (a table, or JSON); nothing is sent. */
async function predict(reads: ApiClient, session: Session, run: RunSetup, bodyFor: (row: DeviceRow, device: DeviceRead) => unknown, options: FleetPushOptions, io: IO): Promise<ExitCode> {
  const [{ planRun, PREDICTION_TEXT }, { readDeviceRows }] = await Promise.all([import('./plan.js'), import('../../batch/input.js')]);
  let predicted: Awaited<ReturnType<typeof planRun>>;
  try {
    // The list is read whole first: Ctrl-C ends that read too (an endless one, /dev/zero, spun on).
    predicted = await refusingBrokenInput(() => planRun(reads, run.type, readDeviceRows(run.devices, io.stdin, io.signal), bodyFor, run.push.onConflict));
  } catch (error) {
    if (io.signal.aborted) throw new InterruptedError();
    throw error;
  }
  if (predicted.total === 0) throw noDevicesIn(run.devices);
  if (predicted.listStopped) writeNotice(io, options.json, `the ${pathSegment(run.type)} device list stopped ${predicted.listStopped}: the devices it did not reach are not_reached, not predicted`);
  if (options.json) {
    writeJson(io, { plan: { total: predicted.total, predictions: Object.fromEntries(predicted.counts), preflightCodes: Object.fromEntries(predicted.codes), requests: predicted.listPages + predicted.actionReads, listPages: predicted.listPages, actionReads: predicted.actionReads, environment: session.environment } });
    return EXIT.ok;
  }
  const rows = [...predicted.counts].sort((a, b) => b[1] - a[1]).map(([prediction, count]) => [prediction, grouped(count), PREDICTION_TEXT[prediction]]);
  io.stdout.write(await formatTable(['prediction', 'devices', 'meaning'], rows, { tty: io.stdoutIsTTY, style: io.out, columns: io.columns }));
  if (!options.quiet) {
    const codes = [...predicted.codes].map(([code, n]) => `${code} ${n}`).join(', ');
    writeLine(io.stderr, io.err.dim(`${grouped(predicted.total)} device(s) of ${pathSegment(run.type)}, from ${predicted.listPages} list page(s)${predicted.actionReads > 0 ? ` and ${predicted.actionReads} action read(s)` : ''}; nothing was sent.${codes ? ` Preflight codes: ${codes}.` : ''} What list pages do not show is not predicted: a manufacturer's own schedule (SCHEDULER_ACTIVE), an override on the device (MODE_OVERRIDDEN), a program's lock (VPP_LOCKED).`));
  }
  return EXIT.ok;
}
