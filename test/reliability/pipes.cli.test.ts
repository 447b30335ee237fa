import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { processStart } from '../../src/lib/process.js';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { getEventListeners } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/api/client.js';
import { API_DOCS, BIN, cleanEnv, freshConfigDir, runCli } from '../helpers/cli.js';
import { KEYS, readingTerminal, runInTerminal } from '../helpers/pty.js';
import { startTestSandbox, type TestSandbox, useSandbox } from '../helpers/sandbox.js';

// Real pipes, FIFOs, /dev/full, signals and files: what a shell, a runbook or a full disk does to
// amps. None of these may end in exit 1 or a stack trace, and a fleet ledger loses no device.

const KEY = 'amps_sk_test_pipesTests1';
let sandbox: TestSandbox;
let env: Record<string, string | undefined>;
const posts = () => sandbox.requests.filter((r) => r.method === 'POST') as Array<{ path: string }>;
const loadIds = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `bat_load_${String(from + i).padStart(6, '0')}`);
/** The device lines of a ledger (or of --json output): the run, horizon, outcome and end records are not devices. */
const ledger = (text: string) => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((l) => typeof l.outcome === 'string');

useSandbox({ fleetSize: 3000 }, KEY, (started, startedEnv) => {
  sandbox = started;
  env = startedEnv;
});

/** Resolves once the ledger file holds at least `lines` device lines: the run has sent them (the event a signal waits for). */
function ledgerHolds(file: string, lines: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const check = () => (existsSync(file) && ledger(readFileSync(file, 'utf8')).length >= lines ? resolve() : setTimeout(check, 10));
    check();
  });
}

/** Runs a shell pipeline and its first command's exit code (`exit=N`), asynchronously: the sandbox answering amps runs in this process. */
function shell(line: string): Promise<string> {
  return new Promise<string>((resolve) => {
    const child = spawn('bash', ['-c', `${line}; echo "exit=\${PIPESTATUS[0]}"`], { env: env as NodeJS.ProcessEnv });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('close', () => resolve(out));
  });
}

/** Runs amps with the read end of stdout (or stderr) closed before it writes a byte. */
function withClosed(stream: 'stdout' | 'stderr', args: string[], runEnv = env, input?: string): Promise<{ code: number | null; other: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: runEnv as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    child[stream].destroy();
    let other = '';
    const open = stream === 'stdout' ? child.stderr : child.stdout;
    open.setEncoding('utf8').on('data', (d: string) => (other += d));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
    child.on('close', (code) => resolve({ code, other }));
  });
}

describe('a closed pipe is not a bug', () => {
  it.each([
    [['explain', '--list'], 0],
    [['explain', 'SCHEDULER_ACTIVE'], 0],
    [['push', '--help'], 0],
    [['help', 'exit-codes'], 0],
    [['completion', 'bash'], 0],
    [['config', 'list'], 0],
    [['devices'], 0],
    [['get', 'battery', 'bat_voltaro_01', '--json'], 0],
    [['actions', 'list'], 0],
    [['settings', 'battery', 'bat_voltaro_01'], 0],
    [['decode', '--status', '409', '-'], 5],
  ] as const)('stdout closed: %j exits %i quietly', async (args, expected) => {
    const input = args[0] === 'decode' ? '{"success":false,"error":{"code":"CONFLICT","message":"x"}}' : undefined;
    const r = await withClosed('stdout', [...args], env, input);
    expect(r.code).toBe(expected);
    expect(r.other).not.toMatch(/EPIPE|\n\s+at /);
  });

  it('stderr closed: a conflict still exits 5, and a pushed action is never reported as a bug', async () => {
    await sandbox.call('POST', '/battery/bat_voltaro_01', { action: { command: 'charge', start: '2h' } });
    expect((await withClosed('stderr', ['push', 'battery', 'bat_voltaro_01', 'discharge'])).code).toBe(5);
    const pushed = await withClosed('stderr', ['push', 'battery', 'bat_voltaro_02', 'charge']);
    expect(pushed.code).toBe(0);
    expect(pushed.other).toMatch(/state\s+acknowledged/);
  });

  it('in real shell pipelines: | head -1, and a conflict through 2>&1 | head -3', async () => {
    const amps = `'${process.execPath}' '${BIN}'`;
    expect(await shell(`${amps} explain --list | head -1`)).toMatch(/^UNAUTHORIZED\tno_key\t401\t[^\n]*\nexit=0\n$/);
    expect(await shell(`${amps} push --help | head -3`)).toMatch(/exit=0\n$/);
    expect(await shell(`${amps} get battery bat_voltaro_01 --json | head -1`)).toBe('{\nexit=0\n');
    sandbox.requests.length = 0;
    const conflict = await shell(`${amps} push battery bat_foxgrid_01 idle 2>&1 | head -3`);
    expect(conflict).toMatch(/exit=5\n$/);
    expect(conflict).not.toContain('EPIPE');
  });
});

describe('devices --all over thousands of devices', () => {
  const pageReads = () => sandbox.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/battery?')).length;

  it('piped, the table is every device, one tab-separated row each, written as the pages come', async () => {
    const r = await runCli(['devices', 'battery', '--all'], { env });
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n');
    expect(rows.length).toBeGreaterThan(3000);
    expect(new Set(rows.map((row) => row.split('\t')[0])).size).toBe(rows.length);
    expect(r.stderr.trim()).toBe(`${rows.length} devices`);
  });

  it('| head -1: no page is read once stdout is closed, table or --json', async () => {
    for (const json of [[], ['--json']]) {
      const before = pageReads();
      expect(await shell(`'${process.execPath}' '${BIN}' devices battery --all ${json.join(' ')} | head -1 >/dev/null`)).toBe('exit=0\n');
      // 61 pages in all; the pipe holds a few pages' worth before amps learns it is closed.
      expect(pageReads() - before, json.join(' ')).toBeLessThan(20);
    }
    // Nor the next type's first page, when every type is listed.
    const otherTypes = () => sandbox.requests.filter((r) => r.method === 'GET' && /^\/(ev-charger|hvac|solar-inverter|vehicle)\?/.test(r.path)).length;
    const others = otherTypes();
    expect(await shell(`'${process.execPath}' '${BIN}' devices --all | head -1 >/dev/null`)).toBe('exit=0\n');
    expect(otherTypes() - others).toBe(0);
  });
});

describe('the ledger\'s promise: every input device exactly once', () => {
  it('a FIFO with the progress bar on: counting never eats rows', async () => {
    const dir = freshConfigDir();
    const fifo = join(dir, 'ids.fifo');
    const out = join(dir, 'ledger.ndjson');
    execFileSync('mkfifo', [fifo]);
    const ids = loadIds(2000);
    const term = runInTerminal(['push', 'battery', '--devices', fifo, 'auto.balanced', '--out', out, '--concurrency', '32', '--no-preflight'], env);
    writeFileSync(fifo, `${ids.join('\n')}\n`);
    expect(await term.exit).toBe(0);
    expect(ledger(readFileSync(out, 'utf8')).map((l) => l.id).sort()).toEqual(ids);
    expect(posts()).toHaveLength(2000);
    // 32 in flight on one signal: one listener, so no MaxListenersExceededWarning.
    expect(term.text()).not.toContain('MaxListenersExceededWarning');
  }, 60_000);

  it('a FIFO whose writer never comes, or never writes: SIGTERM and Ctrl-C still end amps (130), with its summary', async () => {
    /** Resolves once the process holds the FIFO open (its read end, seen in /proc): the event to signal on. */
    const opened = async (pid: number, path: string) => {
      for (;;) {
        const fds = (() => {
          try {
            return readdirSync(`/proc/${pid}/fd`);
          } catch {
            return [];
          }
        })();
        if (fds.some((fd) => { try { return readlinkSync(`/proc/${pid}/fd/${fd}`) === path; } catch { return false; } })) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const run = async (args: string[], fifo: string, signal: NodeJS.Signals, writer: boolean) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      // A writer that connects, sends one id, and then says nothing more.
      const held = writer ? await open(fifo, 'w') : undefined;
      await held?.write('bat_voltaro_01\n');
      await opened(child.pid!, fifo);
      child.kill(signal);
      const code = await closed;
      await held?.close();
      return { code, stderr };
    };
    for (const [signal, writer] of [['SIGTERM', false], ['SIGINT', false], ['SIGTERM', true]] as const) {
      const dir = freshConfigDir();
      const fifo = join(dir, 'ids.fifo');
      execFileSync('mkfifo', [fifo]);
      const r = await run(['push', 'battery', '--devices', fifo, 'idle', '--out', join(dir, 'ledger.ndjson')], fifo, signal, writer);
      expect(r.code, `${signal} ${writer ? 'silent writer' : 'no writer'}`).toBe(130);
      expect(r.stderr).toContain('stopped: interrupted');
      expect(readFileSync(join(dir, 'ledger.ndjson'), 'utf8')).toContain('"stoppedBy":"interrupt"');
    }
    const dir = freshConfigDir();
    const fifo = join(dir, 'response.fifo');
    execFileSync('mkfifo', [fifo]);
    const decoded = await run(['decode', fifo], fifo, 'SIGTERM', false);
    expect(decoded.code).toBe(130);
    const secret = join(dir, 'secret.txt');
    writeFileSync(secret, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n');
    const delivery = join(dir, 'delivery.fifo');
    execFileSync('mkfifo', [delivery]);
    const verified = await run(['webhooks', 'verify', '--secret-file', secret, delivery], delivery, 'SIGINT', false);
    expect(verified.code).toBe(130);
  }, 60_000);

  it('a terminal read as input (`-` or /dev/stdin at a prompt): the first Ctrl-C ends the wait (130), and Ctrl-D ends the input', async () => {
    const dir = freshConfigDir();
    const secret = join(dir, 'secret.txt');
    writeFileSync(secret, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n');
    const ledgerFile = join(dir, 'ledger.ndjson');
    // (`webhooks verify -` refuses a terminal: a delivery is not typed.)
    const asInput = [['decode'], ['push', 'battery', 'bat_voltaro_01', '--body']];
    for (const args of [['webhooks', 'verify', '--secret-file', secret, '/dev/stdin'], ...asInput.map((a) => [...a, '/dev/stdin']), ...asInput.map((a) => [...a, '-']), ['push', 'battery', '--devices', '/dev/stdin', 'idle', '--out', ledgerFile]]) {
      const term = runInTerminal(args, env);
      await readingTerminal(term);
      term.type(KEYS.ctrlC);
      // Until now, a terminal named as a file was read on a worker thread, which Node waited for at
      // exit (amps never ended); and a read of stdin did not stop at the first Ctrl-C.
      expect(await term.exit, args.join(' ')).toBe(130);
      expect(term.text(), args.join(' ')).toContain('interrupted');
    }
    expect(readFileSync(ledgerFile, 'utf8')).toContain('"stoppedBy":"interrupt"');
    expect(posts()).toHaveLength(0);
    // Typed, then Ctrl-D: the whole of it is read, as from a file.
    const response = readFileSync(new URL('../../docs/amps-api/examples/error-device-offline-manufacturer.json', import.meta.url), 'utf8');
    const term = runInTerminal(['decode', '/dev/stdin'], env);
    await readingTerminal(term);
    term.type(`${JSON.stringify(JSON.parse(response))}\n\u0004`);
    expect(await term.exit).toBe(7);
    expect(term.text()).toContain('DEVICE_OFFLINE');
  }, 60_000);

  it('--devices - typed at a terminal with --out /dev/stdout (the same terminal): written there, not refused as the devices file', async () => {
    const push = runInTerminal(['push', 'battery', '--devices', '-', 'idle', '--out', '/dev/stdout'], env);
    await readingTerminal(push);
    push.type('bat_load_002811\n\u0004');
    // A terminal is no file a ledger would destroy: refused (exit 2) by a check for stdin's file.
    expect(await push.exit, push.text()).toBe(0);
    expect(push.text()).toContain('"outcome":"accepted"');
  }, 60_000);

  it('a terminal that hangs up while amps reads it is no end of the input: the fleet typed there stops as Ctrl-C does, and decode - says interrupted, not empty', async () => {
    const dir = freshConfigDir();
    const out = join(dir, 'ledger.ndjson');
    const ids = loadIds(2, 2701);
    const push = runInTerminal(['push', 'battery', '--devices', '-', 'idle', '--out', out], env);
    await readingTerminal(push);
    push.type(`${ids.join('\n')}\n`);
    await ledgerHolds(out, 2);
    push.hangUp();
    // Until now the end of the gone terminal's read, often heard before its SIGHUP, was the end of
    // the input: the run ended as complete, exit 0.
    expect(await push.exit).toBe(130);
    const text = readFileSync(out, 'utf8');
    expect(ledger(text).map((l) => l.id)).toEqual(ids);
    expect(text).toContain('"stoppedBy":"interrupt"');

    const decode = runInTerminal(['decode', '-'], env);
    await readingTerminal(decode);
    decode.type('{"error":');
    decode.hangUp();
    expect(await decode.exit).toBe(130);
  }, 60_000);

  it('a closed terminal (SIGHUP, an ssh session dropped) stops as SIGTERM does: a fleet ledger gets every device and its end, a served sandbox saves its state', async () => {
    const dir = freshConfigDir();
    const ids = loadIds(2000, 501);
    const list = join(dir, 'ids.txt');
    writeFileSync(list, `${ids.join('\n')}\n`);
    const out = join(dir, 'ledger.ndjson');
    const errors = join(dir, 'push.err');
    const push = runInTerminal(['push', 'battery', '--devices', list, 'idle', '--out', out, '--concurrency', '1'], env, { stderrTo: errors });
    await ledgerHolds(out, 5);
    push.hangUp();
    // Until now SIGHUP killed amps where it stood: the ledger held the devices sent, no end record.
    expect(await push.exit).toBe(130);
    const text = readFileSync(out, 'utf8');
    expect(ledger(text).map((l) => l.id).sort()).toEqual(ids);
    expect(text).toContain('"stoppedBy":"interrupt"');
    // Node puts back the terminal's settings at exit, and stopped the process (an assertion, SIGABRT) when it was gone.
    expect(readFileSync(errors, 'utf8')).not.toMatch(/Assertion failed|Native stack trace/);

    const state = join(dir, 'state.json');
    const serveErrors = join(dir, 'serve.err');
    const serve = runInTerminal(['sandbox', 'serve', '--port', '0', '--state', state], cleanEnv({ AMPS_CONFIG_DIR: dir }), { stderrTo: serveErrors });
    // Its lines go to stderr, the file: read there.
    const said = () => (existsSync(serveErrors) ? readFileSync(serveErrors, 'utf8') : '');
    await new Promise<void>((resolve) => {
      const check = () => (said().includes('Ctrl-C stops') ? resolve() : setTimeout(check, 10));
      check();
    });
    const url = /listening on (http:\/\/\S+)/.exec(`${serve.text()}\n${said()}`)![1]!;
    const sent = await runCli(['push', 'battery', 'bat_voltaro_01', 'idle', '-q'], { env: cleanEnv({ AMPS_API_URL: url, AMPS_API_KEY: KEY }) });
    expect(sent.code, sent.stderr).toBe(0);
    serve.hangUp();
    expect(await serve.exit).toBe(0);
    // Until now the state was never written: the push above was lost with the session.
    expect(JSON.parse(readFileSync(state, 'utf8')).actions.map((a: { id: string }) => a.id)).toEqual([sent.stdout.trim()]);
    expect(readFileSync(serveErrors, 'utf8')).not.toMatch(/Assertion failed|Native stack trace/);
  }, 60_000);

  it('--plan reads the whole list before it predicts: SIGTERM ends the read of an endless one, 130, nothing sent; /dev/zero is refused as binary', async () => {
    // /dev/zero is no list: its first line, however long, holds NULs (it was read for ever).
    const zero = await runCli(['push', 'battery', '--devices', '/dev/zero', 'idle', '--plan'], { env });
    expect([zero.code, zero.stderr.trim()]).toEqual([2, 'amps: --devices holds binary data or text that is not UTF-8 (line 1), not a list of ids, a CSV or NDJSON']);
    // An endless list of text: a FIFO a writer fills for ever.
    const endless = join(freshConfigDir(), 'endless.fifo');
    execFileSync('mkfifo', [endless]);
    const writer = spawn('sh', ['-c', `yes bat_load_000001 > '${endless}'`], { stdio: 'ignore' });
    const child = spawn(process.execPath, [BIN, 'push', 'battery', '--devices', endless, 'idle', '--plan'], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // The event: it holds the FIFO open, reading it.
    for (;;) {
      const fds = (() => {
        try {
          return readdirSync(`/proc/${child.pid}/fd`);
        } catch {
          return [];
        }
      })();
      if (fds.some((fd) => { try { return readlinkSync(`/proc/${child.pid}/fd/${fd}`) === endless; } catch { return false; } })) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.kill('SIGTERM');
    // Until now it read on for ever: only a second signal, or SIGKILL, ended it.
    expect(await closed).toBe(130);
    writer.kill();
    expect(stderr).toContain('interrupted');
    expect(sandbox.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  }, 30_000);

  it('--fail-fast on an endless stream says it reads on to record the rest as not sent; Ctrl-C then leaves the rest unread, each device read once in the ledger', async () => {
    const dir = freshConfigDir();
    const endless = join(dir, 'endless.fifo');
    const out = join(dir, 'ledger.ndjson');
    execFileSync('mkfifo', [endless]);
    // Unknown devices, each id once: the first is rejected and stops the run.
    const writer = spawn('sh', ['-c', `seq -f 'bat_nope_%.0f' 1 1000000000 > '${endless}'`], { stdio: 'ignore' });
    const child = spawn(process.execPath, [BIN, 'push', 'battery', '--devices', endless, 'idle', '--fail-fast', '--concurrency', '1', '--out', out], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const notice = 'amps: the run stopped: reading the rest of the stream to record its devices as not sent (Ctrl-C leaves the rest unread)';
    const said = new Promise<void>((resolve) => child.stderr.setEncoding('utf8').on('data', (d: string) => ((stderr += d), stderr.includes(notice) && resolve())));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // The event: the notice. Until now nothing was said while it read on for ever.
    await said;
    child.kill('SIGINT');
    expect(await closed).toBe(130);
    writer.kill();
    expect(stderr.split(notice)).toHaveLength(2);
    const lines = ledger(readFileSync(out, 'utf8'));
    expect(lines[0]).toMatchObject({ id: 'bat_nope_1', code: 'DEVICE_NOT_FOUND' });
    expect(lines.slice(1).every((l) => l.outcome === 'not_sent')).toBe(true);
    expect(new Set(lines.map((l) => l.id)).size).toBe(lines.length);
    expect(readFileSync(out, 'utf8')).toContain('"stoppedBy":"fail_fast"');
    expect(stderr).toContain('The rest of the input was not read');
  }, 30_000);

  it('a FIFO whose writer is already waiting in its open(): amps reads what it writes, and the writer finishes', async () => {
    const dir = freshConfigDir();
    const fifo = join(dir, 'response.fifo');
    execFileSync('mkfifo', [fifo]);
    const response = new URL('../../docs/amps-api/examples/error-device-offline-manufacturer.json', import.meta.url).pathname;
    // A writer that writes the moment its open() returns, and closes: nothing of it may be lost.
    const writer = spawn(process.execPath, ['-e', `require('node:fs').writeFileSync(${JSON.stringify(fifo)}, require('node:fs').readFileSync(${JSON.stringify(response)}))`], { stdio: 'ignore' });
    const writerDone = new Promise<number | null>((resolve) => writer.on('close', (code) => resolve(code)));
    // The event: the writer is blocked opening the FIFO, waiting for a reader (Linux).
    for (;;) {
      let waiting = '';
      try {
        waiting = readFileSync(`/proc/${writer.pid}/wchan`, 'utf8');
      } catch {
        // Not there yet.
      }
      if (waiting.includes('wait_for_partner') || waiting.includes('fifo_open')) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const r = await runCli(['decode', fifo]);
    expect([r.code, r.stdout]).toEqual([7, expect.stringContaining('DEVICE_OFFLINE')]);
    expect(await writerDone).toBe(0);
  });

  it('stdout closed during a batch: it stops issuing, finishes the ledger file, exits 11', async () => {
    const dir = freshConfigDir();
    const file = join(dir, 'ids.txt');
    const out = join(dir, 'ledger.ndjson');
    const ids = loadIds(500);
    writeFileSync(file, `${ids.join('\n')}\n`);
    const r = await withClosed('stdout', ['push', 'battery', '--devices', file, 'charge', '--json', '--out', out, '--concurrency', '4']);
    expect(r.code).toBe(11);
    expect(r.other).not.toMatch(/EPIPE|\n\s+at /);
    const lines = ledger(readFileSync(out, 'utf8'));
    expect(lines.map((l) => l.id).sort()).toEqual(ids);
    expect(lines.filter((l) => l.outcome === 'accepted').length).toBe(posts().length);
  });

  it('stdout closed during a batch without --out: amps\' own ledger has every device, and the summary names it', async () => {
    const dir = freshConfigDir();
    const file = join(dir, 'ids.txt');
    const ids = loadIds(400, 600);
    writeFileSync(file, `${ids.join('\n')}\n`);
    sandbox.requests.length = 0;
    const runEnv = { ...env, AMPS_CONFIG_DIR: dir };
    const r = await withClosed('stdout', ['push', 'battery', '--devices', file, 'charge', '--json', '--concurrency', '4'], runEnv);
    expect(r.code).toBe(11);
    const summary = JSON.parse(r.other.trim().split('\n').at(-1)!).summary;
    expect(summary).toMatchObject({ stoppedBy: 'output_closed' });
    expect(summary.ledger).toMatch(new RegExp(`^${dir}/runs/push-\\d{8}T\\d{6}Z-[0-9a-f]{6}\\.ndjson$`));
    const lines = ledger(readFileSync(summary.ledger, 'utf8'));
    expect(lines.map((l) => l.id).sort()).toEqual(ids);
    expect(lines.filter((l) => l.outcome === 'accepted').length).toBe(posts().length);
    // It is a ledger like any other: the run can be resumed from it.
    const resumed = await runCli(['push', '--resume', summary.ledger, '--json'], { env: runEnv });
    expect(resumed.code).toBe(0);
    expect(posts().length).toBe(400);
  });

  it('a ledger on a full disk (/dev/full): refused before anything is sent, exit 2', async () => {
    const r = await runCli(['push', 'battery', '--devices', '-', 'charge', '--out', '/dev/full', '--concurrency', '4'], { env, input: loadIds(300).join('\n') });
    expect([r.code, r.stderr.trim().split('\n').at(-1)]).toEqual([2, 'amps: cannot write the ledger /dev/full: no space left on the device (ENOSPC); nothing was sent']);
    expect(posts()).toHaveLength(0);
  });

  it('a ledger that fills up mid-run (a file-size limit): stops at the first failed line, lists what it could not record on stderr, exit 11', async () => {
    const out = join(freshConfigDir(), 'ledger.ndjson');
    const ids = loadIds(300);
    // The real kernel refusal a full disk gives: EFBIG past `ulimit -f` (SIGXFSZ ignored, as a shell does for a trap '').
    const child = spawn('bash', ['-c', `trap '' XFSZ; ulimit -f 8; exec '${process.execPath}' '${BIN}' push battery --devices - charge --out '${out}' --concurrency 4`], { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.end(ids.join('\n'));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(11);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stderr).toContain('could not be written');
    // The rest of the input is said to be unread for the ledger's sake, not as if it were a stream read once.
    expect(stderr).toContain('the ledger could not be written, so those devices were not sent and are in no ledger');
    expect(stderr).not.toContain('a stream cannot be read again');
    // The line the limit cut was cut back off the file: a line written after it (the end record,
    // once there is room) can never follow a partial one.
    expect(readFileSync(out, 'utf8').endsWith('\n')).toBe(true);
    const written = ledger(readFileSync(out, 'utf8'));
    const listed = stderr.split('\n').filter((l) => l.startsWith('{"id"')).map((l) => JSON.parse(l));
    const sent = posts().map((p) => p.path.split('/')[2]);
    // Every push sent is accounted for: in the file, or on stderr; and the run stopped at once.
    const accounted = new Set([...written, ...listed].filter((l) => l.outcome === 'accepted').map((l) => l.id));
    expect([...sent].sort()).toEqual([...accounted].sort());
    expect(sent.length).toBeLessThan(written.length + 8);
    // The way on is named, as after any stop with devices unsent; once there is room it sends the
    // rest, no device twice (those listed above read back from the API), every device once in its ledger.
    const resumeLine = /Send the rest, no device twice: (amps push --resume .*)/.exec(stderr)?.[1];
    expect(resumeLine).toBe(`amps push --resume ${out} --devices - (the same list on stdin)`);
    const resumed = await runCli(['push', '--resume', out, '--devices', '-'], { env, input: ids.join('\n') });
    expect(resumed.code).toBe(0);
    const after = posts().map((p) => p.path.split('/')[2]);
    expect(after.length).toBe(new Set(after).size);
    const lines = ledger(readFileSync(out.replace(/\.ndjson$/, '.resumed.ndjson'), 'utf8'));
    expect([lines.length, new Set(lines.map((l) => l.id)).size]).toEqual([ids.length, ids.length]);
  });

  it('with --json, a ledger that fills up mid-run keeps stdout whole: every push sent has its line there, and stderr is JSON lines', async () => {
    const out = join(freshConfigDir(), 'ledger.ndjson');
    const ids = loadIds(50, 2950);
    sandbox.requests.length = 0;
    const child = spawn('bash', ['-c', `trap '' XFSZ; ulimit -f 8; exec '${process.execPath}' '${BIN}' push battery --devices - charge --out '${out}' --concurrency 4 --json`], { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let [stdout, stderr] = ['', ''];
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.end(ids.join('\n'));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(11);
    // Each stderr line is JSON (the heading of the lines the file lost is a notice).
    const errLines = stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(errLines.some((line) => typeof line.notice === 'string' && /could not be written; \d+ line\(s\) are missing/.test(line.notice))).toBe(true);
    // What the file could not take is on stdout all the same: every device sent, once.
    const shown = stdout.trim().split('\n').map((line) => JSON.parse(line) as { id?: string; outcome?: string });
    const sent = posts().map((p) => p.path.split('/')[2]);
    expect(shown.filter((line) => line.outcome === 'accepted').map((line) => line.id).sort()).toEqual([...sent].sort());
    expect(new Set(shown.map((line) => line.id)).size).toBe(shown.length);
  });

  /** amps under `ulimit -f KIB` (SIGXFSZ ignored, as a shell does for trap ''): the kernel's EFBIG, as a full disk's ENOSPC. */
  async function limited(kib: number, args: string[]): Promise<{ code: number | null; stderr: string }> {
    const quoted = args.map((a) => `'${a}'`).join(' ');
    const child = spawn('bash', ['-c', `trap '' XFSZ; ulimit -f ${kib}; exec '${process.execPath}' '${BIN}' ${quoted}`], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, stderr };
  }

  it('a resume whose ledger fills up while it carries the run\'s lines over sends nothing and leaves nothing in the way: exit 2', async () => {
    const dir = freshConfigDir();
    const out = join(dir, 'ledger.ndjson');
    writeFileSync(join(dir, 'ids.txt'), `${loadIds(200, 2650).join('\n')}\n`);
    expect((await runCli(['push', 'battery', '--devices', join(dir, 'ids.txt'), 'idle', '--no-preflight', '--out', out], { env })).code).toBe(0);
    // Cut to its first 100 device lines, as if killed (its horizons kept): the resume carries those
    // over, then reads the actions of the rest, which the run sent, and finds them.
    let kept = 0;
    const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean).filter((l) => !l.startsWith('{"id"') || kept++ < 100);
    writeFileSync(out, `${lines.join('\n')}\n`);
    sandbox.requests.length = 0;
    const full = await limited(8, ['push', '--resume', out]);
    expect(full.code).toBe(2);
    expect(full.stderr).not.toMatch(/\n\s+at /);
    expect(full.stderr).toMatch(/^amps: cannot write the ledger .*ledger\.resumed\.ndjson: .*; nothing was sent$/m);
    expect(posts()).toHaveLength(0);
    // Neither a half-written ledger nor the mark stands in the way once there is room.
    expect(existsSync(join(dir, 'ledger.resumed.ndjson'))).toBe(false);
    expect(existsSync(`${out}.resumed-into`)).toBe(false);
    const room = await runCli(['push', '--resume', out], { env });
    expect(room.code, room.stderr).toBe(0);
    expect(ledger(readFileSync(join(dir, 'ledger.resumed.ndjson'), 'utf8'))).toHaveLength(200);
  });

  it('a ledger that fills up while --wait writes the outcomes: the follow goes on, the missing lines are on stderr, exit 11', async () => {
    const dir = freshConfigDir();
    // A run like it, unlimited, to know where its outcome records begin.
    const sized = join(dir, 'sized.ndjson');
    writeFileSync(join(dir, 'a.txt'), `${loadIds(30, 2850).join('\n')}\n`);
    expect((await runCli(['push', 'battery', '--devices', join(dir, 'a.txt'), 'idle', '--no-preflight', '--wait', '--out', sized], { env, timeoutMs: 60_000 })).code).toBe(0);
    const text = readFileSync(sized, 'utf8');
    const outcomesFrom = text.indexOf('{"outcome":{');
    expect(outcomesFrom).toBeGreaterThan(0);
    const kib = Math.ceil(outcomesFrom / 1024) + 1;
    expect(kib * 1024).toBeLessThan(text.length - 1024);
    writeFileSync(join(dir, 'b.txt'), `${loadIds(30, 2900).join('\n')}\n`);
    const out = join(dir, 'ledger.ndjson');
    const r = await limited(kib, ['push', 'battery', '--devices', join(dir, 'b.txt'), 'idle', '--no-preflight', '--wait', '--out', out]);
    expect(r.code, r.stderr).toBe(11);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).toMatch(/could not be written; \d+ line\(s\) are missing from it \(0 of those devices were sent; \d+ are outcomes of followed actions\)/);
    expect(r.stderr).toContain('What the devices did');
    // Every device's outcome is somewhere: in the file, or on stderr.
    const inFile = readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('{"outcome":{') && l.endsWith('}')).map((l) => JSON.parse(l).outcome.id);
    const listed = r.stderr.split('\n').filter((l) => l.startsWith('{"outcome":{')).map((l) => JSON.parse(l).outcome);
    expect([...inFile, ...listed.map((o) => o.id)].sort()).toEqual(loadIds(30, 2900));
    // Those listed name where their run sent, as the ledger's do: a rerun fed from them goes there only.
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((o) => o.environment === 'test')).toBe(true);
  }, 90_000);

  it('watch on a finished run whose ledger can take no more outcomes: follows on, says so once, exit 11 where it would be 0', async () => {
    const dir = freshConfigDir();
    const out = join(dir, 'ledger.ndjson');
    writeFileSync(join(dir, 'ids.txt'), `${loadIds(10, 2940).join('\n')}\n`);
    expect((await runCli(['push', 'battery', '--devices', join(dir, 'ids.txt'), 'idle', '--no-preflight', '--out', out], { env })).code).toBe(0);
    const before = readFileSync(out, 'utf8');
    // Already past a 1 KiB limit: the first append fails.
    const r = await limited(1, ['watch', '--ledger', out]);
    expect(r.code, r.stderr).toBe(11);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr.match(/outcomes can no longer be appended to/g)).toHaveLength(1);
    expect(r.stderr).toContain('What the devices did');
    expect(readFileSync(out, 'utf8')).toBe(before);
    // With --json, the failure is the JSON error on stderr (it was silent, exit 11 with an empty stderr).
    const asJson = await limited(1, ['watch', '--ledger', out, '--json']);
    expect([asJson.code, JSON.parse(asJson.stderr.trim().split('\n').at(-1)!).error]).toEqual([11, expect.objectContaining({ code: 'OUTPUT_LOST', exitCode: 11 })]);
    // With --exit-status, a lost output outranks what the push itself met (a rejected request: 4), as a fleet's does.
    // The same run, as if its push had exited 4 (its end record says so).
    const failing = join(dir, 'failing.ndjson');
    writeFileSync(failing, before.split('\n').map((l) => (l.startsWith('{"end"') ? l.replace(/"exitCode":0/, '"exitCode":4') : l)).join('\n'));
    const ranked = await limited(1, ['watch', '--ledger', failing, '--json', '--exit-status']);
    expect([ranked.code, JSON.parse(ranked.stderr.trim().split('\n').at(-1)!).error]).toEqual([11, expect.objectContaining({ code: 'OUTPUT_LOST', exitCode: 11 })]);
    // A line an earlier append left cut (a full disk mid-line) is cut off before the next append: the ledger reads to its end.
    writeFileSync(out, `${before}{"outcome":{"id":"bat_lo`);
    for (const round of [1, 2]) {
      const again = await runCli(['watch', '--ledger', out, '--exit-status'], { env });
      expect(again.code, `${round}: ${again.stderr}`).toBe(0);
    }
    expect(readFileSync(out, 'utf8')).not.toContain('"bat_lo\n');
    expect(readFileSync(out, 'utf8').endsWith('\n')).toBe(true);
  }, 60_000);

  it('a bad row in the middle is that row\'s invalid_input; the run goes on and never claims nothing was sent', async () => {
    const ids = loadIds(201);
    const input = [...ids.slice(0, 100), '..', 'bat/evil', ...ids.slice(100)].join('\n');
    const r = await runCli(['push', 'battery', '--devices', '-', 'charge', '--json', '--concurrency', '8'], { env, input });
    expect(r.code).toBe(4);
    const lines = ledger(r.stdout);
    expect(lines).toHaveLength(203);
    const bad = lines.filter((l) => l.outcome === 'invalid_input');
    expect(bad.map((l) => l.line)).toEqual([101, 102]);
    expect(bad[0].reason).toContain('line 101');
    expect(posts().every((p) => /^\/battery\/bat_load_\d{6}$/.test(p.path))).toBe(true);
    const stopped = await runCli(['push', 'battery', '--devices', '-', 'charge', '--fail-fast', '--concurrency', '1'], { env, input: ['bat_load_000001', '..', 'bat_load_000002'].join('\n') });
    expect(stopped.code).toBe(4);
    expect(stopped.stderr).toContain('(stopped: --fail-fast)');
  });

  it('CSV is parsed as CSV: a quoted field across lines is one bad id, never a bogus path; an unclosed quote is reported', async () => {
    const csv = 'id,target\n"bat_load_\n000004",60%\nbat_load_000005,"70%"\nbat_load_000006,80%\n';
    const r = await runCli(['push', 'battery', '--devices', '-', 'charge', '--json'], { env, input: csv });
    const lines = ledger(r.stdout);
    expect(lines.map((l) => l.outcome)).toEqual(['invalid_input', 'accepted', 'accepted']);
    expect(posts().map((p) => p.path).sort()).toEqual(['/battery/bat_load_000005', '/battery/bat_load_000006']);
    // Reported on the row where the quote opens (csv-parse says where the input ended), and the run stops there.
    const unclosed = await runCli(['push', 'battery', '--devices', '-', 'charge', '--json'], { env, input: 'id,target\nbat_load_000009,70%\nbat_load_000007,"80%\nbat_load_000008,70%\nbat_load_000010,70%\n' });
    const byLine = ledger(unclosed.stdout).sort((a, b) => a.line - b.line);
    expect(byLine.map((l) => [l.line, l.outcome])).toEqual([[2, 'accepted'], [3, 'invalid_input']]);
    expect(byLine[1].reason).toBe('line 3 opens a quote that is never closed: the input from here on could not be read');
    expect(JSON.parse(unclosed.stderr.trim().split('\n').at(-1)!)).toMatchObject({ summary: { stoppedBy: 'input_broken' } });
    // Waves and --plan read the whole list before anything is sent: a usage error, one line, no ledger.
    const dir = freshConfigDir();
    writeFileSync(join(dir, 'quote.csv'), 'id,target\nbat_load_000009,70%\nbat_load_000007,"80%\nbat_load_000008,70%\n');
    for (const flags of [['--plan'], ['--waves', '50%,100%', '--out', join(dir, 'w.ndjson')]]) {
      const r = await runCli(['push', 'battery', '--devices', join(dir, 'quote.csv'), 'charge', ...flags], { env });
      expect([r.code, r.stderr.trim()], flags[0]).toEqual([2, 'amps: --devices: a quote opened in the CSV input on line 3 is never closed, so the input from there on could not be read; nothing was sent']);
    }
    expect(existsSync(join(dir, 'w.ndjson'))).toBe(false);
    // A quote still open past 64 KiB of lines (the rest of a long file): the run stops there too,
    // rather than take every later line for a bad record of its own (and hold them all), and --plan refuses it.
    const long = `id,target\nbat_load_000020,70%\nbat_load_000021,"80%\n${Array.from({ length: 8_000 }, (_, i) => `bat_load_${String(100 + i).padStart(6, '0')},70%`).join('\n')}\n`;
    writeFileSync(join(dir, 'long-quote.csv'), long);
    const open = await runCli(['push', 'battery', '--devices', join(dir, 'long-quote.csv'), 'charge', '--json', '--out', join(dir, 'long.ndjson')], { env });
    expect(ledger(readFileSync(join(dir, 'long.ndjson'), 'utf8')).sort((a, b) => a.line - b.line).map((l) => [l.line, l.outcome, l.reason])).toEqual([[2, 'accepted', null], [3, 'invalid_input', 'line 3 opens a quote that is not closed within 64 KiB: the input from here on could not be read']]);
    expect(JSON.parse(open.stderr.trim().split('\n').at(-1)!)).toMatchObject({ summary: { stoppedBy: 'input_broken' } });
    const plan = await runCli(['push', 'battery', '--devices', join(dir, 'long-quote.csv'), 'charge', '--plan'], { env });
    expect([plan.code, plan.stderr.trim()]).toEqual([2, 'amps: --devices: a quote opened in the CSV input on line 3 is not closed within 64 KiB, so the input from there on could not be read; nothing was sent']);
    // A row with more fields than the header: its own line, without csv-parse's count of lines.
    const wide = await runCli(['push', 'battery', '--devices', '-', 'charge', '--json'], { env, input: 'id,target\nbat_load_000011,70%\nbat_load_000012,70%,x\n' });
    expect(ledger(wide.stdout).find((l) => l.outcome === 'invalid_input')).toMatchObject({ line: 3, reason: 'line 3 is not a CSV record for bat_load_000012 (columns length is 2, got 3)' });
  });

  it('a row longer than 64 KiB is refused as that row; a directory is not a device list', async () => {
    const r = await runCli(['push', 'battery', '--devices', '-', 'charge', '--json'], { env, input: `bat_load_000001\n${'x'.repeat(1024 * 1024)}\nbat_load_000002\n` });
    expect(ledger(r.stdout).sort((a, b) => a.line - b.line).map((l) => l.outcome)).toEqual(['accepted', 'invalid_input', 'accepted']);
    const dir = await runCli(['push', 'battery', '--devices', '/tmp', 'charge'], { env });
    expect([dir.code, dir.stderr.trim()]).toEqual([2, 'amps: cannot read --devices /tmp: it is a directory']);
  });
});

describe('ids are ids, never paths; durations are bounded', () => {
  it.each([
    [['get', 'battery', '.']],
    [['get', 'battery', '..']],
    [['actions', 'cancel', '..']],
    [['push', 'battery', 'a/b', 'charge']],
    [['settings', 'battery', '']],
    [['get', 'battery', 'b1', '--timeout', '25d']],
  ])('%j: exit 2, nothing sent', async (args) => {
    const r = await runCli(args, { env });
    expect(r.code).toBe(2);
    expect(sandbox.requests).toHaveLength(0);
  });
});

describe('amps\'s own files', () => {
  it('a config directory amps cannot use is one line naming it (exit 2), for requests, config and sandbox reset', async () => {
    const file = join(freshConfigDir(), 'a-file');
    writeFileSync(file, 'x');
    const bad = cleanEnv({ AMPS_CONFIG_DIR: join(file, 'amps') });
    for (const args of [['get', 'battery', 'bat_voltaro_01'], ['sandbox', 'reset']]) {
      const r = await runCli(args, { env: bad });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('ENOTDIR');
      expect(r.stderr).toContain('AMPS_CONFIG_DIR');
    }
    const set = await runCli(['config', 'set', 'api-url', 'http://127.0.0.1:1'], { env: bad });
    expect(set.code).toBe(2);
    expect(set.stderr).not.toContain('This is a bug');
  });

  it('a sandbox state amps did not write is kept aside with a notice; a dead process\'s lock is broken at once; a directory lock is an error', async () => {
    const e = cleanEnv();
    const state = join(e.AMPS_CONFIG_DIR!, 'sandbox-state.json');
    writeFileSync(state, JSON.stringify({ version: 1, clockOffsetMs: 0, actionCounter: 0, devices: {}, actions: [{ junk: true }] }));
    const r = await runCli(['get', 'battery', 'bat_voltaro_01'], { env: e });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('the sandbox state file was unreadable (action 1 is not an action amps wrote)');
    expect(readdirSync(e.AMPS_CONFIG_DIR!).some((f) => f.startsWith('sandbox-state.json.unreadable-'))).toBe(true);
    // A clock that is no date (every answer would fail to print it): kept aside the same way.
    writeFileSync(state, JSON.stringify({ version: 1, clockOffsetMs: 1e16, actionCounter: 0, devices: {}, actions: [] }));
    const dateless = await runCli(['get', 'battery', 'bat_voltaro_01'], { env: e });
    expect([dateless.code, dateless.stderr]).toEqual([0, expect.stringContaining('the sandbox state file was unreadable (its clock is no date)')]);
    // A counter that is no count (the ids made of it are none), a mode that is no name: the same.
    for (const [changes, said] of [[{ actionCounter: 1e300 }, 'its counter is not a count'], [{ actionCounter: -5 }, 'its counter is not a count'], [{ eventCounter: 'abc' }, 'its counter is not a count'], [{ actionCounter: Number.MAX_SAFE_INTEGER }, 'its counter is not a count'], [{ devices: { bat_voltaro_01: { mode: 123 } } }, 'its devices\' modes or settings are not what amps writes']] as const) {
      writeFileSync(state, JSON.stringify({ ...{ version: 1, clockOffsetMs: 0, actionCounter: 0, devices: {}, actions: [] }, ...changes }));
      const pushed = await runCli(['push', 'battery', 'bat_voltaro_01', 'charge', '--json'], { env: e });
      expect([pushed.code, pushed.stderr], said).toEqual([0, expect.stringContaining(`the sandbox state file was unreadable (${said})`)]);
      expect(JSON.parse(pushed.stdout).id).toMatch(/^act_[0-9a-f]+$/);
    }
    // A lock left by a process that is gone.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(`${state}.lock`, dead);
    const started = Date.now();
    expect((await runCli(['get', 'battery', 'bat_voltaro_01'], { env: e })).code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    // A folder or a FIFO where the lock goes: an error at once, never read (a FIFO would wait).
    mkdirSync(`${state}.lock`);
    const locked = await runCli(['get', 'battery', 'bat_voltaro_01'], { env: e });
    expect([locked.code, locked.stderr.split('\n')[0]]).toEqual([2, `amps: the sandbox lock ${state}.lock is not amps's lock file`]);
    rmSync(`${state}.lock`, { recursive: true });
    execFileSync('mkfifo', [`${state}.lock`]);
    const fifo = await runCli(['sandbox', 'reset'], { env: e, timeoutMs: 20_000 });
    expect([fifo.code, fifo.stderr.split('\n')[0]]).toEqual([2, `amps: the sandbox lock ${state}.lock is not amps's lock file`]);
  });

  it('sandbox reset waits for the state\'s lock like any transaction: one held past its wait is refused, the state untouched', async () => {
    const e = cleanEnv();
    expect((await runCli(['push', 'battery', 'bat_voltaro_01', 'idle'], { env: e })).code).toBe(0);
    const state = join(e.AMPS_CONFIG_DIR!, 'sandbox-state.json');
    const before = readFileSync(state, 'utf8');
    // A live holder, named as amps names one (pid and start time).
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      writeFileSync(`${state}.lock`, JSON.stringify({ pid: holder.pid, start: processStart(holder.pid!) }));
      const reset = await runCli(['sandbox', 'reset'], { env: e, timeoutMs: 30_000 });
      expect([reset.code, reset.stderr.split('\n')[0]]).toEqual([2, `amps: the sandbox state is locked by amps process ${holder.pid} (${state}.lock)`]);
      expect(readFileSync(state, 'utf8')).toBe(before);
    } finally {
      holder.kill();
    }
  }, 30_000);
});

describe('keys and secrets', () => {
  it.each([['amps_sk_test_abc\r\nX-Evil: 1'], ['amps_sk_test_abcdefgh\u001b[2J'], ['amps_sk_test_ąęśćżźółń']])('a malformed key %j is a usage error, never sent', async (key) => {
    const r = await runCli(['get', 'battery', 'bat_voltaro_01'], { env: { ...env, AMPS_API_KEY: key } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('does not look like an Amps key, so it was not sent');
    expect(sandbox.requests).toHaveLength(0);
    // Given to be stored, it was not saved (nothing is sent by config set).
    const stored = await runCli(['config', 'set', 'api-key'], { env: cleanEnv(), input: `${key}\n` });
    expect([stored.code, stored.stderr]).toEqual([2, expect.stringContaining('does not look like an Amps key, so it was not saved')]);
  });

  it('a key file is trimmed of its line ends and spaces alone: a no-break space pasted with the key is refused, as in AMPS_API_KEY', async () => {
    const file = join(freshConfigDir(), 'key.txt');
    writeFileSync(file, 'amps_sk_test_Secret9876xyz\u00a0\n', { mode: 0o600 });
    const r = await runCli(['get', 'battery', 'bat_voltaro_01', '--api-key-file', file], { env: { ...env, AMPS_API_KEY: undefined } });
    expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, 'amps: the API key from --api-key-file does not look like an Amps key, so it was not sent']);
    expect(sandbox.requests).toHaveLength(0);
    writeFileSync(file, '  amps_sk_test_Secret9876xyz \r\n', { mode: 0o600 });
    expect((await runCli(['get', 'battery', 'bat_voltaro_01', '--api-key-file', file], { env: { ...env, AMPS_API_KEY: undefined } })).code).toBe(0);
  });

  it('an --out name holding a direction override or a zero-width space is refused, not shown (the Ledger and rerun lines would read as another file)', async () => {
    for (const mark of ['\u202e', '\u200b']) {
      const path = join(freshConfigDir(), `run${mark}txt.ndjson`);
      sandbox.requests.length = 0;
      const r = await runCli(['push', 'battery', '--devices', '-', 'idle', '--out', path], { env, input: 'bat_load_000031\n' });
      expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, 'amps: --out holds a character a terminal does not show as it is (a direction override, a zero-width space), so it is not used: amps prints the files and URLs it is given']);
      expect(r.stderr).not.toContain(mark);
      expect(sandbox.requests).toHaveLength(0);
    }
  });

  it('--out naming a socket is said as a socket, not as a FIFO no process reads', async () => {
    const { createServer } = await import('node:net');
    const path = join(freshConfigDir(), 'ledger.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const r = await runCli(['push', 'battery', '--devices', '-', 'idle', '--out', path], { env, input: 'bat_load_000001\n' });
      expect([r.code, r.stderr.trim()]).toEqual([2, `amps: --out ${path} is a socket: a ledger is written to a file, or a FIFO a process reads`]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a key of the wrong JSON type in the config is refused, not taken as live', async () => {
    const e = cleanEnv();
    writeFileSync(join(e.AMPS_CONFIG_DIR!, 'config.json'), JSON.stringify({ profiles: { default: { apiKey: ['amps_sk_live_abcdefgh'] } } }));
    const r = await runCli(['get', 'battery', 'bat_voltaro_01'], { env: e });
    expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, 'amps: the API key in profile default is not a string']);
  });

  it('warns when the key file is readable by others; redacts credentials in a printed URL; scrubs profile names', async () => {
    const dir = freshConfigDir();
    const keyFile = join(dir, 'key');
    writeFileSync(keyFile, KEY);
    chmodSync(keyFile, 0o644);
    const r = await runCli(['get', 'battery', 'bat_voltaro_01', '--api-key-file', keyFile], { env: { ...env, AMPS_API_KEY: undefined } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`warning: the key file ${keyFile} is readable by other users (mode 0644); chmod 600`);
    // The mode as ls shows it, special bits and all.
    const { looseModeWarnings } = await import('../../src/config/paths.js');
    const shared = join(freshConfigDir(), 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    expect(looseModeWarnings([{ path: shared, what: 'the folder', directory: true }])).toEqual([`warning: the folder ${shared} is writable by other users (mode 1777); chmod 700 '${shared}'`]);
    const url = sandbox.url.replace('http://', 'http://admin:secret@');
    const live = await runCli(['get', 'battery', 'bat_voltaro_01', '--verbose'], { env: { ...env, AMPS_API_URL: url, AMPS_API_KEY: 'amps_sk_live_abcdefgh1' } });
    expect(live.stderr).toContain('● LIVE');
    expect(live.stderr).not.toContain('secret');
    const e = cleanEnv();
    writeFileSync(join(e.AMPS_CONFIG_DIR!, 'config.json'), JSON.stringify({ profiles: { 'evil\u001b]0;pwned\u0007': {} } }));
    const profiles = await runCli(['config', 'profiles'], { env: e });
    expect(profiles.stdout).not.toMatch(/[\u001b\u0007]/);
    expect(existsSync(join(e.AMPS_CONFIG_DIR!, 'config.json'))).toBe(true);
  });

  it('credentials in --api-url are printed in no rerun line, refusal or proxy error', async () => {
    const url = sandbox.url.replace('http://', 'http://admin:hunter2@');
    const apiEnv = { ...env, AMPS_API_URL: undefined };
    // A conflict's rerun line, the flag given as two words and as one.
    for (const flag of [['--api-url', url], [`--api-url=${url}`]]) {
      const r = await runCli(['push', 'battery', 'bat_foxgrid_01', 'idle', ...flag], { env: apiEnv });
      expect(r.code).toBe(5);
      expect(r.stderr).toContain(`--api-url${flag.length === 1 ? '=' : ' '}${sandbox.url.replace('http://', 'http://redacted@')} --on-conflict cancel_and_replace`);
      expect(r.stdout + r.stderr).not.toContain('hunter2');
    }
    // A fleet's rerun lines.
    const dir = freshConfigDir();
    writeFileSync(join(dir, 'ids.txt'), 'bat_foxgrid_01\n');
    const fleet = await runCli(['push', 'battery', '--devices', join(dir, 'ids.txt'), 'idle', '--api-url', url, '--out', join(dir, 'run.ndjson')], { env: apiEnv });
    expect(fleet.stderr).toContain('--api-url http://redacted@');
    expect(fleet.stdout + fleet.stderr).not.toContain('hunter2');
    // The refusal of a flag given twice; a proxy written without a scheme.
    const twice = await runCli(['get', 'battery', 'bat_voltaro_01', '--api-url', url, '--api-url', sandbox.url], { env: apiEnv });
    expect([twice.code, twice.stderr]).toEqual([2, expect.not.stringContaining('hunter2')]);
    const proxy = await runCli(['get', 'battery', 'bat_voltaro_01', '--api-url', 'https://api.example.invalid'], { env: { ...apiEnv, HTTPS_PROXY: 'user:hunter2@proxy:8080' } });
    expect([proxy.code, proxy.stderr.split('\n')[0]]).toEqual([2, "amps: the proxy 'redacted@proxy:8080' (HTTPS_PROXY/HTTP_PROXY) is not a URL such as http://HOST:PORT"]);
  });

  it('a profile name that is an API key, or holds escapes, is refused where it is given or selected, and never printed as it is', async () => {
    const e = cleanEnv();
    const pasted = 'amps_sk_live_PASTEDSECRET999';
    // Given: refused before anything is stored.
    const given = await runCli(['config', 'set', 'api-url', 'http://127.0.0.1:4010', '--profile', pasted], { env: e });
    expect([given.code, given.stderr.split('\n')[0]]).toEqual([2, "amps: '[redacted key]' is not a profile name (letters, digits, _ . -, not led by -, at most 64; not an API key)"]);
    expect(existsSync(join(e.AMPS_CONFIG_DIR!, 'config.json'))).toBe(false);
    const inside = await runCli(['config', 'set', 'api-url', 'http://127.0.0.1:4010', '--profile', `prod-${pasted}`], { env: e });
    expect([inside.code, inside.stderr.split('\n')[0]]).toEqual([2, "amps: 'prod-[redacted key]' is not a profile name (letters, digits, _ . -, not led by -, at most 64; not an API key)"]);
    const twice = await runCli(['get', 'battery', 'bat_voltaro_01', '--profile', pasted, '--profile', 'x'], { env: e });
    expect([twice.code, twice.stderr]).toEqual([2, expect.not.stringContaining('PASTEDSECRET')]);
    // A name that merely starts like one is a name.
    expect((await runCli(['config', 'set', 'api-url', 'http://127.0.0.1:4010', '--profile', 'sk_live_eu'], { env: e })).code).toBe(0);
    rmSync(join(e.AMPS_CONFIG_DIR!, 'config.json'));
    // Selected from a hand-edited config: refused in one line, exit 2, nothing sent; for every command that names it.
    for (const current of [pasted, 'p\u001b[31mRED\u001b]0;title\u0007']) {
      writeFileSync(join(e.AMPS_CONFIG_DIR!, 'config.json'), JSON.stringify({ currentProfile: current, profiles: { [current]: { apiKey: 'amps_sk_live_abcdefgh12345', apiUrl: sandbox.url } } }));
      for (const args of [['get', 'battery', 'bat_voltaro_01'], ['config', 'list'], ['doctor']]) {
        const r = await runCli(args, { env: e });
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stdout + r.stderr, args.join(' ')).not.toMatch(/PASTEDSECRET|[\u001b\u0007]/);
        expect(r.stdout + r.stderr, args.join(' ')).toContain('is not a profile name');
      }
      const listed = await runCli(['config', 'profiles'], { env: e });
      expect(listed.stdout).toMatch(/\(not a usable name: letters, digits, _ \. -\)\n$/);
      expect(listed.stdout).not.toMatch(/PASTEDSECRET|[\u001b\u0007]/);
      expect((await runCli(['config', 'profiles', '--quiet'], { env: e })).stdout).toBe('');
      const json = await runCli(['config', 'profiles', '--json'], { env: e });
      expect(JSON.parse(json.stdout)).toEqual([{ name: expect.any(String), current: false, usable: false }]);
      expect(json.stdout).not.toMatch(/PASTEDSECRET|\\u001b|\\u0007/);
    }
    writeFileSync(join(e.AMPS_CONFIG_DIR!, 'config.json'), JSON.stringify({ currentProfile: 'prod', profiles: { prod: {}, staging: {} } }));
    expect(JSON.parse((await runCli(['config', 'profiles', '--json'], { env: e })).stdout)).toEqual([{ name: 'prod', current: true, usable: true }, { name: 'staging', current: false, usable: true }]);
    writeFileSync(join(e.AMPS_CONFIG_DIR!, 'config.json'), '{}');
    expect((await runCli(['config', 'profiles', '--json'], { env: e })).stdout).toBe('[]\n');
  });
});

describe('the sandbox server under bad input', () => {
  it('answers invalid percent-encoding, absurd times and clock steps with 4xx, and keeps bounded log excerpts', async () => {
    expect((await sandbox.call('GET', '/battery/%E0%A4%A')).status).toBe(400);
    const start = await sandbox.call('POST', '/battery/bat_voltaro_01', { action: { command: 'charge', start: '+99999999999999999999h' } });
    expect([start.status, start.body.error.details.reason]).toEqual([422, 'unparseable_time']);
    expect((await sandbox.call('POST', '/_sandbox/clock', { advanceSeconds: 1e300 })).status).toBe(400);
    expect((await sandbox.call('GET', '/_sandbox/clock')).status).toBe(200);
    // Step by allowed step towards the end of year 9999: refused before the clock leaves it, and it keeps answering.
    const { data: { offsetMs } } = (await sandbox.call('GET', '/_sandbox/clock')).body as { data: { offsetMs: number } };
    const stepS = 366 * 86_400;
    const steps = Math.ceil((Date.UTC(10_000, 0, 1) - Date.now() - offsetMs) / 1000 / stepS);
    const answers: number[] = [];
    for (let i = 0; i < steps + 1; i++) answers.push((await sandbox.call('POST', '/_sandbox/clock', { advanceSeconds: stepS })).status);
    expect(answers.at(-1)).toBe(400);
    expect((await sandbox.call('GET', '/_sandbox/clock')).status).toBe(200);
    // Back where it was, for the tests after this one.
    for (const _ of answers.filter((status) => status === 200)) await sandbox.call('POST', '/_sandbox/clock', { advanceSeconds: -stepS });
    expect(((await sandbox.call('GET', '/_sandbox/clock')).body as { data: { offsetMs: number } }).data.offsetMs).toBe(offsetMs);
    await sandbox.call('POST', '/battery/bat_voltaro_01', { action: { command: 'charge' }, junk: 'y'.repeat(500_000) });
    const logged = sandbox.requests.at(-1)!.body as { junk: string };
    expect(logged.junk.length).toBeLessThan(3000);
  });
});

describe('devices --all over a fleet', () => {
  it('--json lists every device, past the 10,000 items a JSON value is otherwise cut at; the table and --json agree', async () => {
    const sandboxFleet = await startTestSandbox({ fleetSize: 10_050, rateLimit: 0 });
    try {
      const e = { ...env, AMPS_API_URL: sandboxFleet.url };
      const json = await runCli(['devices', 'battery', '--all', '--json'], { env: e, timeoutMs: 120_000 });
      expect(json.code, json.stderr).toBe(0);
      const listed = JSON.parse(json.stdout);
      expect(listed.items).toHaveLength(listed.total);
      expect(listed.total).toBeGreaterThan(10_050);
      expect(listed.items.every((d: unknown) => typeof d === 'object' && d !== null && (d as { deviceType: string }).deviceType === 'battery')).toBe(true);
      const table = await runCli(['devices', 'battery', '--all'], { env: e, timeoutMs: 120_000 });
      expect(table.stdout.trim().split('\n')).toHaveLength(listed.total);
    } finally {
      await sandboxFleet.close();
    }
  });
});

describe('one abort listener per client, whatever is in flight', () => {
  it('100 concurrent requests hold one listener on the caller\'s signal, and none after close', async () => {
    const controller = new AbortController();
    const client = await ApiClient.create({ baseUrl: sandbox.url, apiKey: KEY, userAgent: 'test', timeoutMs: 10_000, signal: controller.signal, env: {}, connections: 100 });
    let most = 0;
    const requests = Array.from({ length: 100 }, () => client.request('GET', '/battery/bat_voltaro_01'));
    const sampler = setInterval(() => (most = Math.max(most, getEventListeners(controller.signal, 'abort').length)), 1);
    await Promise.all(requests);
    clearInterval(sampler);
    most = Math.max(most, getEventListeners(controller.signal, 'abort').length);
    expect(most).toBe(1);
    await client.close();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('output to a file or /dev/null (written without Node\'s stdio streams: output/stdio.ts)', () => {
  /** Runs amps with stdout and stderr on the given files (the same one for `2>&1`), as a shell's redirection does. */
  const toFiles = async (args: string[], stdoutPath: string, stderrPath: string, input = '') =>
    (await runCli(args, { env, input, redirect: { stdout: [stdoutPath, 'w'], stderr: [stderrPath, 'w'] } })).code;

  it.each([
    [['explain', '--list']],
    [['help', 'exit-codes']],
    [['get', 'battery', 'bat_voltaro_01', '--json']],
    [['config', 'list']],
    [['explain', 'NO_SUCH_CODE']],
    [['decode', '--status', '409', '-']],
  ])('%j: the same bytes and exit code into files as through pipes', async (args) => {
    const input = args[0] === 'decode' ? '{"success":false,"error":{"code":"CONFLICT","message":"x"}}' : '';
    const dir = freshConfigDir();
    const piped = await runCli(args, { env, input });
    const code = await toFiles(args, join(dir, 'out'), join(dir, 'err'), input);
    expect([code, readFileSync(join(dir, 'out'), 'utf8'), readFileSync(join(dir, 'err'), 'utf8')]).toEqual([piped.code, piped.stdout, piped.stderr]);
  });

  it('a fleet run with `> file 2>&1`: every device\'s line once, the summary after them', async () => {
    const dir = freshConfigDir();
    const ids = loadIds(200, 2000);
    const file = join(dir, 'all.txt');
    expect(await toFiles(['push', 'battery', '--devices', '-', 'idle', '--json', '--concurrency', '8', '--no-preflight'], file, file, ids.join('\n'))).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const parsed = lines.map((l) => JSON.parse(l));
    expect(ledger(lines.join('\n')).map((l) => l.id).sort()).toEqual(ids);
    expect(parsed.at(-1)).toHaveProperty('summary');
    expect(parsed.filter((l) => 'summary' in l)).toHaveLength(1);
  });

  it('stdout on /dev/null: the command runs as it would, and its errors still reach stderr', async () => {
    const dir = freshConfigDir();
    expect(await toFiles(['explain', 'SCHEDULER_ACTIVE'], '/dev/null', join(dir, 'err'))).toBe(0);
    expect(await toFiles(['explain', 'NO_SUCH_CODE'], '/dev/null', join(dir, 'err'))).toBe(2);
    expect(readFileSync(join(dir, 'err'), 'utf8')).toMatch(/^amps: unknown code 'NO_SUCH_CODE'\n  hint: /);
  });

  it('output that cannot be written (a full disk, a file-size limit) is reported on stderr and exits 11, never 0', async () => {
    const full = await runCliWithStdout(['explain', '--list'], '/dev/full');
    expect(full.code).toBe(11);
    expect(full.stderr).toBe('amps: the output could not be written to stdout: no space left on the device (ENOSPC); what it shows is incomplete\n');
    // A regular file past `ulimit -f` (SIGXFSZ ignored, as a shell does for trap ''): the kernel's EFBIG.
    const out = join(freshConfigDir(), 'out.txt');
    const child = spawn('bash', ['-c', `trap '' XFSZ; ulimit -f 1; exec '${process.execPath}' '${BIN}' explain --list > '${out}'`], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    expect(await new Promise((resolve) => child.on('close', resolve))).toBe(11);
    expect(stderr).toBe('amps: the output could not be written to stdout: file too large (EFBIG); what it shows is incomplete\n');
    expect(statSync(out).size).toBe(1024);
    // A command that found a failure (a decoded conflict, 5) keeps its code; the loss is said beside it.
    const decoded = await runCliWithStdout(['decode', '--status', '409', `${API_DOCS}examples/error-conflict-no-strategy-cookbook.json`], '/dev/full');
    expect([decoded.code, decoded.stderr]).toEqual([5, 'amps: the output could not be written to stdout: no space left on the device (ENOSPC); what it shows is incomplete\n']);
    // With --json its outcome is the data on stdout, so stderr held nothing: the loss is its one JSON object, the code still 5.
    const decodedJson = await runCliWithStdout(['decode', '--json', '--status', '409', `${API_DOCS}examples/error-conflict-no-strategy-cookbook.json`], '/dev/full');
    expect([decodedJson.code, JSON.parse(decodedJson.stderr)]).toEqual([5, { error: { code: 'OUTPUT_LOST', message: 'the output could not be written to stdout: no space left on the device (ENOSPC); what it shows is incomplete', exitCode: 5 } }]);
    // A fleet's --json lines: the run stops issuing, its ledger file has every device, and the loss is said.
    const dir = freshConfigDir();
    const fleet = await runCli(['push', 'battery', '--devices', '-', 'idle', '--json', '--no-preflight', '--out', join(dir, 'ledger.ndjson')], { env, input: loadIds(50, 2500).join('\n'), redirect: { stdout: ['/dev/full', 'w'] } });
    expect(fleet.code).toBe(11);
    expect(fleet.stderr).toContain('"stopDetail":"stdout or stderr was closed or could not be written"');
    // Its summary says why it stopped; with --json stderr stays that one object.
    expect(fleet.stderr.trim().split('\n').map((l) => Object.keys(JSON.parse(l)))).toEqual([['summary']]);
    expect(ledger(readFileSync(join(dir, 'ledger.ndjson'), 'utf8')).map((l) => l.id).sort()).toEqual(loadIds(50, 2500));
    // With --json the notice is JSON too; --version (answered before the program loads) says it alike.
    const json = await runCliWithStdout(['devices', '--json'], '/dev/full');
    expect([json.code, JSON.parse(json.stderr)]).toEqual([11, { error: { code: 'OUTPUT_LOST', message: 'the output could not be written to stdout: no space left on the device (ENOSPC); what it shows is incomplete', exitCode: 11 } }]);
    // Dry runs too: their notes for people ("dry run: nothing was sent", conversions) stay off a --json stderr.
    for (const args of [['push', 'battery', 'bat_voltaro_01', 'charge', '--power', '3kw', '--dry-run', '--json'], ['api', 'POST', '/battery/bat_voltaro_01', '-f', 'action.command=idle', '--dry-run', '--json'], ['schedule', 'set', 'battery', 'bat_voltaro_01', '--slot', '01:00/2h charge --target 100%', '--tz', 'UTC', '--dry-run', '--json']]) {
      const dry = await runCliWithStdout(args, '/dev/full');
      expect([dry.code, JSON.parse(dry.stderr).error.code], args[0]).toEqual([11, 'OUTPUT_LOST']);
      const written = await runCli(args, { env });
      expect([written.code, written.stderr], args[0]).toEqual([0, '']);
    }
    expect(await runCliWithStdout(['--version'], '/dev/full')).toEqual({ code: 11, stderr: 'amps: the output could not be written to stdout: no space left on the device (ENOSPC); what it shows is incomplete\n' });
    // stderr carries no data: a full one leaves the command's own exit code (an accepted push is 0, never 11).
    const quiet = async (args: string[]) => (await runCli(args, { env, redirect: { stderr: ['/dev/full', 'w'] } })).code;
    expect(await quiet(['push', 'battery', 'bat_load_002990', 'charge', '--power', '3kw'])).toBe(0);
    expect(await quiet(['get', 'battery', 'bat_nosuch_01'])).toBe(4);
    // A fleet whose --verbose lines fill the disk goes on: every device sent, exit 0.
    const ids = join(freshConfigDir(), 'ids.txt');
    writeFileSync(ids, `${loadIds(40, 2600).join('\n')}\n`);
    sandbox.requests.length = 0;
    expect(await quiet(['push', 'battery', '--devices', ids, 'idle', '--no-preflight', '--verbose', '--json'])).toBe(0);
    expect(posts()).toHaveLength(40);
    // stdout opened on a directory (`1<.`): Node's own stream would write nowhere and exit 0.
    const onDirectory = { code: 11, stderr: 'amps: the output could not be written to stdout: bad file descriptor (EBADF); what it shows is incomplete\n' };
    expect(await runCliWithStdout(['explain', '--list'], freshConfigDir(), 'r')).toEqual(onDirectory);
    expect(await runCliWithStdout(['--version'], freshConfigDir(), 'r')).toEqual(onDirectory);
    // An error that goes to stderr loses nothing on a full stdout.
    expect((await runCliWithStdout(['explain', 'NO_SUCH_CODE'], '/dev/full')).code).toBe(2);
  });
});

/** Runs amps with stdout on `path`, opened as `flags` says (`r`: a descriptor that cannot be written), and stderr piped. */
async function runCliWithStdout(args: string[], path: string, flags = 'w'): Promise<{ code: number | null; stderr: string }> {
  const { code, stderr } = await runCli(args, { env, redirect: { stdout: [path, flags] } });
  return { code, stderr };
}
