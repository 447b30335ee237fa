// Opens what an API command talks to: resolves the target (flags > env > profile > embedded
// sandbox), starts the embedded sandbox in-process when nothing is configured, and builds the
// client. undici and the sandbox are imported here, lazily, so commands that send nothing never
// load them.

import { readFileSync } from 'node:fs';
import { DEFAULT_TIMEOUT_MS, type GlobalOptions } from '../config/globals.js';
import { sandboxStateFile } from '../config/paths.js';
import { maskKey, redactUrl, resolveTarget, type Target } from '../config/resolve.js';
import { MissingKeyError, UsageError } from '../errors/failures.js';
import { formatDuration } from '../domain/duration.js';
import { type IO, writeLine } from '../output/io.js';
import type { ApiClient, ClientOptions } from '../api/client.js';
import pkg from '../../package.json' with { type: 'json' };

/** Where requests go, as every JSON result and ledger line names it. */
export type TargetEnvironment = 'embedded' | 'test' | 'live';

export interface Session {
  client: ApiClient;
  target: Target;
  /** True against a live key: human output says so. */
  live: boolean;
  embedded: boolean;
  environment: TargetEnvironment;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** Extra attempts for pushes (--retry N); 0 by default (decision 10). */
  writeRetries?: number;
  connections?: number;
}

export const USER_AGENT = `amps/${pkg.version} (node ${process.version}; ${process.platform})`;

function readKeyFile(file: string): string {
  try {
    const text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
    const key = text.trim();
    if (key === '') throw new UsageError(`the key file ${file} is empty`);
    return key;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read the key file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export async function openSession(globals: GlobalOptions, io: IO, options: SessionOptions = {}): Promise<Session> {
  const target = resolveTarget(
    { profile: globals.profile, apiUrl: globals.apiUrl, apiKey: globals.apiKeyFile ? readKeyFile(globals.apiKeyFile) : undefined },
    io.env,
  );
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
    onVerbose: globals.verbose ? (line) => writeLine(io.stderr, io.err.dim(line)) : undefined,
    onRetry: (n) =>
      writeLine(io.stderr, io.err.yellow(`retrying ${n.method} ${n.path} in ${formatDuration(Math.round(n.delayMs))} (attempt ${n.attempt} of ${n.of}): ${n.reason}`)),
  };
  const { ApiClient } = await import('../api/client.js');

  if (!target.embedded) {
    const client = await ApiClient.create({ ...clientOptions, baseUrl: target.apiUrl.value! });
    const live = target.environment === 'live';
    if (live && !globals.json && !globals.quiet) {
      writeLine(io.stderr, io.err.red(io.err.bold(`● LIVE  ${redactUrl(target.apiUrl.value!)} · key ${maskKey(target.apiKey.value!)} · profile ${target.profile.value}`)));
    }
    return { client, target, live, embedded: false, environment: live ? 'live' : 'test', close: () => client.close() };
  }

  const [{ startSandbox }, { fileStore }] = await Promise.all([import('../sandbox/server.js'), import('../sandbox/store.js')]);
  const sandbox = await startSandbox({ store: fileStore(sandboxStateFile(io.env)) });
  const client = await ApiClient.create({ ...clientOptions, baseUrl: sandbox.url, apiKey: sandbox.key });
  if (io.stderrIsTTY && !globals.quiet && !globals.json) {
    writeLine(io.stderr, io.err.dim('Using the embedded sandbox (no API key or URL configured). For the real API: amps login'));
  }
  return {
    client,
    target,
    live: false,
    embedded: true,
    environment: 'embedded',
    close: async () => {
      await client.close();
      await sandbox.close();
    },
  };
}

/**
 * Every write names where it went, in scripts too: one line on stderr before a write that goes to
 * the embedded sandbox or uses a test key (a live key has its banner). With --json the result's
 * `environment` field says it instead, so stderr stays one JSON object; --quiet silences it.
 */
export function announceWrite(session: Session, io: IO, globals: GlobalOptions): void {
  if (globals.quiet || globals.json || session.live) return;
  const where = session.embedded ? 'embedded' : `test key, ${redactUrl(session.target.apiUrl.value!)}`;
  writeLine(io.stderr, io.err.dim(`sandbox: ${where}`));
}

/** Runs `work` with a session and always closes it, so no socket keeps the process alive. */
export async function withSession<T>(globals: GlobalOptions, io: IO, work: (session: Session) => Promise<T>, options?: SessionOptions): Promise<T> {
  const session = await openSession(globals, io, options);
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}
