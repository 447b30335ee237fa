// Opens what an API command talks to: resolves the target (flags > env > profile > embedded
// sandbox), starts the embedded sandbox in-process when nothing is configured, and builds the
// client. undici and the sandbox are imported here, lazily, so commands that send nothing never
// load them.

import { DEFAULT_TIMEOUT_MS, type GlobalOptions } from '../config/globals.js';
import { configDir, configFile, looseModeWarnings, sandboxStateFile } from '../config/paths.js';
import { readKeyFile } from '../config/key-file.js';
import { maskKey, resolveTarget, sourceName, type Target, whereSuffix } from '../config/resolve.js';
import { ApiFailure, InterruptedError, MissingKeyError, UsageError } from '../errors/failures.js';
import { redactUrl } from '../lib/values.js';
import { formatDuration } from '../domain/duration.js';
import { normaliseDeviceType } from '../domain/device-types.js';
import { externalUserRefProblem, linkUrl } from '../domain/link.js';
import type { DeviceType } from '../contract/devices.js';
import { type IO, writeLine, writeNotice } from '../output/io.js';
import { safeToPrint, scrub } from '../output/text.js';
import { type ApiClient, type ClientOptions, DEFAULT_MAX_RESPONSE_BYTES } from '../api/client.js';
import type { TargetEnvironment } from '../contract/keys.js';
import { AMPS_VERSION } from '../lib/version.js';

export interface Session {
  client: ApiClient;
  target: Target;
  /** True against a live key: human output says so. */
  live: boolean;
  embedded: boolean;
  environment: TargetEnvironment;
  /** The embedded sandbox's state file failing under a request (a full disk): amps's own file, not the API's 500. */
  localFailure?(): Error | undefined;
  close(): Promise<void>;
}

interface SessionOptions {
  /** Extra attempts for pushes (--retry N); 0 by default (decision 10). */
  writeRetries?: number;
  connections?: number;
}

const USER_AGENT = `amps/${AMPS_VERSION} (node ${process.version}; ${process.platform})`;


/**
 * The largest response read, from AMPS_MAX_RESPONSE_MB (1-500, default 8). A body is read into one
 * string, and V8's strings end at 512 MiB: past that Node throws instead of reading.
 */
function maxResponseBytes(env: IO['env']): number {
  const raw = env.AMPS_MAX_RESPONSE_MB;
  if (raw === undefined || raw === '') return DEFAULT_MAX_RESPONSE_BYTES;
  const mb = /^\d{1,4}$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(mb) || mb < 1 || mb > 500) throw new UsageError(`AMPS_MAX_RESPONSE_MB takes a whole number of MiB from 1 to 500, not '${raw}'`);
  return mb * 1024 * 1024;
}

async function openSession(globals: GlobalOptions, io: IO, options: SessionOptions = {}): Promise<Session> {
  const target = resolveTarget(
    { profile: globals.profile, apiUrl: globals.apiUrl, apiKey: globals.apiKeyFile !== undefined ? await readKeyFile(globals.apiKeyFile, io) : undefined },
    io.env,
  );
  if (target.apiKey.source === 'profile') {
    for (const line of looseModeWarnings([{ path: configFile(io.env), what: 'the config file' }, { path: configDir(io.env), what: 'the config directory', directory: true }])) writeLine(io.stderr, io.err.yellow(line));
  }
  if (target.missingKey) {
    throw new MissingKeyError(target.missingKey, 'amps config set api-key (a hidden prompt, or stdin), AMPS_API_KEY, or --api-key-file FILE; with nothing configured at all, amps uses its embedded sandbox');
  }
  const clientOptions: Omit<ClientOptions, 'baseUrl'> = {
    apiKey: target.apiKey.value,
    userAgent: USER_AGENT,
    timeoutMs: globals.timeout ?? DEFAULT_TIMEOUT_MS,
    signal: io.signal,
    env: io.env,
    writeRetries: options.writeRetries,
    connections: options.connections,
    maxResponseBytes: maxResponseBytes(io.env),
    // A request line names what was typed (a path, a query): a key pasted there is not shown.
    onVerbose: globals.verbose ? (line) => writeLine(io.stderr, io.err.dim(safeToPrint(line))) : undefined,
    // With --json stderr carries JSON lines only: a retry is one too.
    onRetry: (n) =>
      globals.json
        ? writeLine(io.stderr, JSON.stringify({ retry: { method: n.method, path: safeToPrint(n.path), delayMs: Math.round(n.delayMs), attempt: n.attempt, of: n.of, reason: scrub(n.reason) } }))
        : writeLine(io.stderr, io.err.yellow(safeToPrint(`retrying ${n.method} ${n.path} in ${formatDuration(Math.round(n.delayMs))} (attempt ${n.attempt} of ${n.of}): ${n.reason}`))),
  };
  const { ApiClient } = await import('../api/client.js');

  if (!target.embedded) {
    const client = await ApiClient.create({ ...clientOptions, baseUrl: target.apiUrl.value! });
    const live = target.environment === 'live';
    if (live && !globals.json && !globals.quiet) writeLiveBanner(target, io);
    return { client, target, live, embedded: false, environment: live ? 'live' : 'test', close: () => client.close() };
  }

  const [{ startSandbox }, { fileStore }] = await Promise.all([import('../sandbox/server.js'), import('../sandbox/store.js')]);
  const store = fileStore(sandboxStateFile(io.env), () => io.signal);
  for (const text of await store.check()) writeNotice(io, globals.json, text);
  let stateFailure: Error | undefined;
  const sandbox = await startSandbox({ store, onStateFailure: (error) => (stateFailure ??= error) });
  let client: Awaited<ReturnType<typeof ApiClient.create>>;
  try {
    client = await ApiClient.create({ ...clientOptions, baseUrl: sandbox.url, apiKey: sandbox.key, mayRetry: () => stateFailure === undefined });
  } catch (error) {
    // The sandbox's server would keep the process alive after the error is reported.
    await sandbox.close();
    throw error;
  }
  if (io.stderrIsTTY && !globals.quiet && !globals.json) {
    writeLine(io.stderr, io.err.dim('Using the embedded sandbox (no API key or URL configured). For the real API: amps login'));
  }
  return {
    client,
    target,
    live: false,
    embedded: true,
    environment: 'embedded',
    localFailure: () => stateFailure,
    close: async () => {
      await client.close();
      await sandbox.close();
      // A state file made junk while the command ran was kept aside then: said now, as at the start.
      for (const text of store.notices()) writeNotice(io, globals.json, text);
    },
  };
}

/** The red line of every human run on a live key: the URL, the key masked, whose it is. */
function writeLiveBanner(target: Target, io: IO): void {
  // The profile is named when it gave the key: one the variables or flags overrode gave nothing.
  const whose = target.apiKey.source === 'profile' ? ` · profile ${target.profile.value}` : ` (from ${sourceName('apiKey', target.apiKey.source, target.profile.value)})`;
  writeLine(io.stderr, io.err.red(io.err.bold(`● LIVE  ${redactUrl(target.apiUrl.value!)} · key ${maskKey(target.apiKey.value!)}${whose}`)));
}

/**
 * Every write names where it went, in scripts too: one line on stderr before a write that goes to
 * the embedded sandbox or uses a test key (a live key has its banner). With --json the result's
 * `environment` field says it instead, so stderr stays one JSON object. --quiet keeps stdout to
 * the id alone, not stderr from saying this: `id=$(amps push … -q)` with nothing configured
 * would otherwise write to the embedded sandbox without a word.
 */
export function announceWrite(session: Session, io: IO, globals: GlobalOptions, { jsonCarriesWhere = true } = {}): void {
  // With --json the result says where (its `environment`); a result that is the API's own body
  // alone (amps api) says it in a notice.
  if (globals.json) {
    if (!jsonCarriesWhere) writeNotice(io, true, session.live ? `writing to the live API, ${redactUrl(session.target.apiUrl.value!)}` : `sandbox: ${sandboxWhere(session)}`);
    return;
  }
  // A live key's banner was shown when the session opened, unless --quiet held it back.
  if (session.live) {
    if (globals.quiet) writeLiveBanner(session.target, io);
    return;
  }
  writeLine(io.stderr, io.err.dim(`sandbox: ${sandboxWhere(session)}`));
}

function sandboxWhere(session: Session): string {
  return session.embedded ? 'embedded' : `test key, ${redactUrl(session.target.apiUrl.value!)}`;
}

/** Runs `work` with a session and always closes it, so no socket keeps the process alive. */
export async function withSession<T>(globals: GlobalOptions, io: IO, work: (session: Session) => Promise<T>, options?: SessionOptions): Promise<T> {
  const session = await openSession(globals, io, options);
  try {
    const result = await work(session);
    // The work went on past the failure (a fleet records each device's 500 and keeps its exit code): the cause is said.
    const local = session.localFailure?.();
    if (local) writeNotice(io, globals.json, local.message);
    return result;
  } catch (error) {
    // The embedded sandbox's 500 came from its state file: that file is what to mend (exit 2), not the API.
    // Only that 500: an interruption, or another answer, after it stands as it is.
    const local = session.localFailure?.();
    if (local && error instanceof ApiFailure && error.decoded.status === 500) throw local;
    if (error instanceof ApiFailure && error.decoded.retryClass === 'relink' && !error.relink) error.relink = relinkFor(session, deviceTypeInPath(error.decoded.path));
    // A write that may have run is read back by a command the report prints: it goes where the write went.
    if ((error instanceof ApiFailure && error.unanswered) || (error instanceof InterruptedError && error.cutWrite)) error.where ??= whereSuffix(session.target, globals);
    throw error;
  } finally {
    await session.close();
  }
}

/** The device type a request path names (`/battery/bat_1` → battery), if any. */
function deviceTypeInPath(path: string | undefined): DeviceType | undefined {
  const segment = path?.split('/')[1];
  return segment ? normaliseDeviceType(segment) : undefined;
}

/** The Link UI URL a re-link needs on this target, or how to configure the app id it needs. */
export function relinkFor(session: Session, deviceType: DeviceType | undefined, externalUserRef?: string): { url: string } | { hint: string } {
  const appId = session.target.appId.value;
  if (!appId) return { hint: session.target.appId.source === 'env' ? 'AMPS_APP_ID is set but empty: give it the id in https://auth.amps.ai/ID (or unset it to use the profile\'s app-id)' : 'amps config set app-id ID (or AMPS_APP_ID) gives the Link UI URL to send the user' };
  const ref = externalUserRef && !externalUserRefProblem(externalUserRef) ? externalUserRef : undefined;
  return { url: linkUrl({ appId, deviceType, externalUserRef: ref, sandbox: session.environment !== 'live' }) };
}
