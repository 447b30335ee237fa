import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/amps', import.meta.url));
export const API_DOCS = fileURLToPath(new URL('../../docs/amps-api/', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
  /**
   * Streams given a file instead of a pipe, as a shell's redirections do: [path, flags] (`> f` is
   * [f, 'w']; stdout and stderr naming the same path and flags share one descriptor, as `> f 2>&1`).
   * A redirected stream's output is in the file, not in the result.
   */
  redirect?: Partial<Record<'stdin' | 'stdout' | 'stderr', readonly [path: string, flags: string]>>;
  /** The directory amps runs in (relative paths on its command line are read from there). */
  cwd?: string;
}

/** A config directory of its own, so no test sees another's profile or sandbox state. */
export function freshConfigDir(): string {
  return mkdtempSync(join(tmpdir(), 'amps-test-'));
}

/** One compile cache for this test file's runs (lib/compile-cache.ts): never the user's own. */
const COMPILE_CACHE_DIR = mkdtempSync(join(tmpdir(), 'amps-test-cache-'));

/** The environment of a clean machine: no key, no URL, no colour, no CI, a config dir of its own. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AMPS_') && !/^(CI|NO_COLOR|FORCE_COLOR|HTTPS?_PROXY|NO_PROXY|https?_proxy|no_proxy)$/.test(key)) env[key] = value;
  }
  return { ...env, AMPS_CONFIG_DIR: freshConfigDir(), AMPS_CACHE_DIR: COMPILE_CACHE_DIR, ...extra };
}

/**
 * The secrets a run was given, which must never appear in anything it prints: every test that
 * runs amps gets this check for free.
 */
export function assertNoKeyIn(env: Record<string, string | undefined>, ...outputs: string[]): void {
  for (const secret of [env.AMPS_API_KEY].filter((k): k is string => Boolean(k))) {
    for (const output of outputs) if (output.includes(secret)) throw new Error(`the API key appeared in amps' output:\n${output}`);
  }
}

/** Runs the built binary with stdin from `input` (or closed) and stdout/stderr piped, unless `redirect` gives them files. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const opened = new Map<string, number>();
    const stdio = (['stdin', 'stdout', 'stderr'] as const).map((name) => {
      const file = options.redirect?.[name];
      if (!file) return 'pipe' as const;
      const key = file.join('\0');
      if (!opened.has(key)) opened.set(key, openSync(file[0], file[1]));
      return opened.get(key)!;
    });
    const child = spawn(process.execPath, [BIN, ...args], { env: (options.env ?? cleanEnv()) as NodeJS.ProcessEnv, stdio, cwd: options.cwd });
    // The child holds its own copies.
    for (const fd of opened.values()) closeSync(fd);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        assertNoKeyIn(options.env ?? {}, stdout, stderr);
        resolve({ code, stdout, stderr });
      } catch (error) {
        reject(error);
      }
    });
    // amps may exit before reading all of its input (a refused oversize input): that is not the test's error.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}
