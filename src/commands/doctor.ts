// `amps doctor`: why amps cannot do its job, one check at a time, each a pass, a warning or a
// failure with the fix: the configuration and where each value came from, the network under the
// API (name, TCP, TLS, the proxy, a custom CA), one cheap authenticated read, the clock against the
// server's, and the embedded sandbox's state. Exit 0 when nothing failed, else the exit code of the
// most severe failure.

import { namedZone } from '../domain/time.js';
import { existsSync } from 'node:fs';
import { Command } from '@commander-js/extra-typings';
import { proxyFor } from '../api/client.js';
import { globalsOf, type GlobalOptions } from '../config/globals.js';
import { configDir, configFile, looseModeWarnings, sandboxStateFile } from '../config/paths.js';
import { maskKey, sourceText, targetsEmbedded } from '../config/resolve.js';
import { EXIT, type ExitCode } from '../contract/exit-codes.js';
import { redactKeyShapes } from '../contract/keys.js';
import { SIGNATURE_TOLERANCE_S } from '../contract/webhooks.js';
import { ApiFailure, InterruptedError, MissingKeyError, UsageError } from '../errors/failures.js';
import { redactUrl } from '../lib/values.js';
import { withExamples } from '../output/command-help.js';
import { type CommandState, type IO, type Run, writeJson, writeLine } from '../output/io.js';
import { scrub } from '../output/text.js';
import { type Session, withSession } from '../session/connect.js';

export interface Check {
  area: 'config' | 'network' | 'auth' | 'clock' | 'sandbox' | 'doctor';
  status: 'pass' | 'warn' | 'fail' | 'skip';
  detail: string;
  fix?: string;
  /** For a failure: the exit code it stands for. */
  exitCode?: ExitCode;
}

const PROBE_TIMEOUT_MS = 5000;
/** The Date header has a resolution of a second; a few more are the request's own time. */
const CLOCK_OK_S = 5;
const SEVERITY: ExitCode[] = [EXIT.credentials, EXIT.unclassified, EXIT.rejected, EXIT.usage, EXIT.conflict, EXIT.offline, EXIT.transient];

function configChecks(session: Session, io: IO): Check[] {
  const { target } = session;
  const checks: Check[] = [];
  const key = target.apiKey.value;
  const keyKind = !key ? 'no key' : `${maskKey(key)} (${target.environment}${/^amps_/.test(key) ? ', platform key' : ', short form sk_…'})`;
  checks.push({
    area: 'config', status: 'pass',
    detail: session.embedded
      ? 'nothing configured: the embedded sandbox (amps login for the real API)'
      : `profile ${target.profile.value} (${sourceText('profile', target.profile.source, target.profile.value)}); URL ${redactUrl(target.apiUrl.value!)} (${sourceText('apiUrl', target.apiUrl.source, target.profile.value)}); key ${keyKind}${target.apiKey.source === 'default' ? '' : ` (${sourceText('apiKey', target.apiKey.source, target.profile.value)})`}`,
  });
  if (session.live) checks.push({ area: 'config', status: 'warn', detail: 'a live key: every write reaches real devices', fix: 'use a test key (amps_sk_test_…) to rehearse' });
  for (const warning of looseModeWarnings([{ path: configFile(io.env), what: 'the config file' }, { path: configDir(io.env), what: 'the config directory', directory: true }])) {
    checks.push({ area: 'config', status: 'warn', detail: warning.replace(/^warning: /, '').replace(/; chmod.*$/, ''), fix: /chmod .*$/.exec(warning)?.[0] });
  }
  if (!target.appId.value) checks.push({ area: 'config', status: 'warn', detail: 'no app id: re-link errors cannot print the Link UI URL to send a user', fix: 'amps config set app-id ID (or AMPS_APP_ID)' });
  checks.push(...zoneChecks(io));
  return checks;
}

/** AMPS_TZ, when set: one that names no zone stops every push and every command that shows a time (exit 2). */
function zoneChecks(io: IO): Check[] {
  if (io.env.AMPS_TZ === undefined) return [];
  try {
    const zone = namedZone(undefined, io.env)!;
    return [{ area: 'config', status: 'pass', detail: `AMPS_TZ: times typed without a zone are read in ${zone.name}` }];
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return [{ area: 'config', status: 'fail', detail: `${error.message}: every push, and every command that shows a time, refuses to run`, fix: error.hint, exitCode: error.exitCode }];
  }
}

async function networkChecks(session: Session, io: IO): Promise<{ checks: Check[]; reachable: boolean }> {
  if (session.embedded) return { checks: [{ area: 'network', status: 'skip', detail: 'the embedded sandbox runs in this process: no network' }], reachable: true };
  const probe = await import('../api/probe.js');
  const url = new URL(session.target.apiUrl.value!);
  const checks: Check[] = [];
  const ca = io.env.NODE_EXTRA_CA_CERTS;
  if (ca) {
    checks.push(existsSync(ca)
      ? { area: 'network', status: 'pass', detail: `custom CA bundle in use (NODE_EXTRA_CA_CERTS=${ca}): a proxy or corporate CA signs TLS` }
      : { area: 'network', status: 'warn', detail: `NODE_EXTRA_CA_CERTS names ${ca}, which does not exist: Node ignores it`, fix: 'point it at the CA bundle, or unset it' });
  }
  const proxy = proxyFor(url, io.env);
  let host = url.hostname.replace(/^\[|\]$/g, '');
  let port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  let via = '';
  if (proxy) {
    // A URL: the session's client refused a proxy that is not one before any check ran (a config finding).
    const proxyUrl = new URL(proxy);
    host = proxyUrl.hostname.replace(/^\[|\]$/g, '');
    port = Number(proxyUrl.port || (proxyUrl.protocol === 'https:' ? 443 : 80));
    via = ` (the proxy ${redactUrl(proxy)}, from HTTPS_PROXY/HTTP_PROXY; NO_PROXY does not exempt ${url.hostname})`;
  }
  if (!/^[\d.]+$|:/.test(host)) {
    const name = await probe.resolveName(host, PROBE_TIMEOUT_MS);
    if (!name.ok) {
      checks.push({ area: 'network', status: 'fail', detail: `DNS: ${host}${via} does not resolve (${name.error})`, fix: 'check the host name, the resolver, or the VPN', exitCode: EXIT.transient });
      return { checks, reachable: false };
    }
    checks.push({ area: 'network', status: 'pass', detail: `DNS: ${host} is ${name.address} (${name.ms} ms)` });
  }
  const tcp = await probe.openTcp(host, port, PROBE_TIMEOUT_MS);
  if (!tcp.ok) {
    checks.push({ area: 'network', status: 'fail', detail: `TCP: no connection to ${host}:${port}${via} (${tcp.error})`, fix: proxy ? 'check the proxy is running, or exempt the host with NO_PROXY' : 'check the URL and port, a firewall, or that the server is running', exitCode: EXIT.transient });
    return { checks, reachable: false };
  }
  checks.push({ area: 'network', status: tcp.ms > 1000 ? 'warn' : 'pass', detail: `TCP: connected to ${host}:${port}${via} in ${tcp.ms} ms`, ...(tcp.ms > 1000 ? { fix: 'a slow network: raise --timeout for large fleets' } : {}) });
  if (url.protocol === 'https:' && !proxy) {
    const tls = await probe.handshakeTls(host, port, PROBE_TIMEOUT_MS);
    if (!tls.ok) {
      checks.push({ area: 'network', status: 'fail', detail: `TLS: the handshake with ${host} failed (${tls.error})`, fix: /CERT|SELF_SIGNED|ISSUER/.test(tls.error) ? 'a proxy or corporate CA signs TLS here: NODE_EXTRA_CA_CERTS=/path/to/ca.pem' : 'check the host serves HTTPS on that port', exitCode: EXIT.transient });
      return { checks, reachable: false };
    }
    checks.push({ area: 'network', status: 'pass', detail: `TLS: ${tls.protocol ?? 'TLS'} with ${host}, certificate trusted (${tls.ms} ms)` });
  } else if (proxy) {
    checks.push({ area: 'network', status: 'skip', detail: 'TLS through the proxy is checked by the authenticated read below' });
  }
  return { checks, reachable: true };
}

/** This machine's clock against the server's Date header, read at the request's midpoint. */
function clockCheck(started: number, ended: number, serverDate: string | undefined, sandbox = false): Check {
  const serverMs = serverDate ? Date.parse(serverDate) : Number.NaN;
  if (Number.isNaN(serverMs)) {
    return { area: 'clock', status: 'skip', detail: serverDate ? `the server's Date header (${scrub(serverDate).slice(0, 60)}) is no date to compare with` : 'the server sent no Date header to compare with' };
  }
  // The Date header is whole seconds: the server's instant lies in [date, date + 1 s), ours at the request's midpoint.
  const skew = Math.round(((started + ended) / 2 - (serverMs + 500)) / 1000);
  const ahead = skew > 0 ? 'ahead of' : 'behind';
  const size = Math.abs(skew);
  if (size <= CLOCK_OK_S) return { area: 'clock', status: 'pass', detail: `this machine's clock is within ${CLOCK_OK_S} s of the server's` };
  // A sandbox's clock is moved on purpose (POST /_sandbox/clock); amps works out "in 30m" on this machine's.
  if (sandbox) return { area: 'clock', status: 'warn', detail: `the sandbox's clock is ${size} s ${skew > 0 ? 'behind' : 'ahead of'} this machine's (moved with POST /_sandbox/clock): amps reads times such as --at 30m on this machine's clock, so a push scheduled near now may be START_IN_PAST`, fix: 'amps sandbox reset puts its clock back (and its state), or give times past its clock' };
  if (size <= SIGNATURE_TOLERANCE_S) return { area: 'clock', status: 'warn', detail: `this machine's clock is ${size} s ${ahead} the server's: a push scheduled near now may be START_IN_PAST`, fix: 'sync the clock (NTP)' };
  return { area: 'clock', status: 'fail', detail: `this machine's clock is ${size} s ${ahead} the server's: webhook signatures are refused beyond ${SIGNATURE_TOLERANCE_S} s, and scheduled times drift`, fix: 'sync the clock (NTP: timedatectl set-ntp true)', exitCode: EXIT.usage };
}

/** The clock check; an amps sandbox's clock may have been moved on purpose: it says so at /_sandbox/clock (the API has no such route). */
async function clockOf(session: Session, started: number, ended: number, serverDate: string | undefined): Promise<Check> {
  const clock = clockCheck(started, ended, serverDate);
  if (clock.status === 'pass' || clock.status === 'skip' || !(await sandboxClockMoved(session))) return clock;
  return clockCheck(started, ended, serverDate, true);
}

/** Whether the target is an amps sandbox whose clock was moved (POST /_sandbox/clock); false for anything else. */
async function sandboxClockMoved(session: Session): Promise<boolean> {
  try {
    const response = await session.client.request<{ offsetMs?: unknown }>('GET', '/_sandbox/clock', { retries: 0 });
    return typeof response.data?.offsetMs === 'number' && response.data.offsetMs !== 0;
  } catch (error) {
    if (error instanceof ApiFailure) return false;
    throw error;
  }
}

async function authAndClock(session: Session): Promise<Check[]> {
  const { listDevices } = await import('../api/resources.js');
  const started = Date.now();
  try {
    const response = await listDevices(session.client, 'battery', { limit: 1 });
    const ended = Date.now();
    const requestId = typeof response.meta.requestId === 'string' ? response.meta.requestId : '(none)';
    const environment = typeof response.meta.environment === 'string' ? response.meta.environment : 'not said';
    const checks: Check[] = [{ area: 'auth', status: 'pass', detail: `GET /battery?limit=1: HTTP ${response.status} in ${ended - started} ms, request id ${scrub(requestId)}, environment ${scrub(environment)}` }];
    checks.push(await clockOf(session, started, ended, response.serverDate));
    return checks;
  } catch (error) {
    if (!(error instanceof ApiFailure)) throw error;
    const d = error.decoded;
    const fix = d.code === 'LIVE_ACCESS_DISABLED' ? 'live access is not enabled for this key\'s account: use a test key, or ask Amps to enable live access'
      : d.exitCode === EXIT.credentials ? 'check the key (amps config set api-key) and its environment (test or live)'
      : d.entry?.whatToDo ?? (d.known ? `amps explain ${d.code}` : d.shape === 'transport' ? 'the network checks passed but the request failed below HTTP: the detail says where (the proxy, or the server)' : d.requestId ? 'escalate with the request id' : 'no request id came back: this may not be the Amps API (check the API URL), else escalate with the detail above');
    const auth: Check = { area: 'auth', status: 'fail', detail: `GET /battery?limit=1: ${d.code}${d.status !== null ? ` (HTTP ${d.status})` : ''}${d.requestId ? `, request id ${scrub(d.requestId)}` : ''}: ${scrub(d.message)}`, fix, exitCode: d.exitCode };
    // A refused read still brings the server's Date: the clock is checked all the same, when the read
    // was a single attempt (after retries the midpoint says nothing of when the last answer left).
    const single = error.attempts !== undefined ? error.attempts === 1 : d.retryClass !== 'backoff' && d.retryClass !== 'once_then_escalate';
    // Not checked is said as skipped, so that no check seems to have passed by its absence.
    if (!error.serverDate) return [auth, ...skipped(['clock'], 'the read brought no Date header to compare with')];
    if (!single) return [auth, ...skipped(['clock'], 'the read was retried, so the server\'s Date says nothing of when this machine asked')];
    return [auth, await clockOf(session, started, Date.now(), error.serverDate)];
  }
}

/** The checks an earlier failure left nothing to check: shown as skipped, so none seems to have passed. */
function skipped(areas: Array<Check['area']>, because: string): Check[] {
  return areas.map((area) => ({ area, status: 'skip', detail: `not checked: ${because}` }));
}

/** Run before the session opens the state: opening repairs a junk one (kept aside), which this reports. */
async function sandboxChecks(io: IO): Promise<Check[]> {
  const { fileStore } = await import('../sandbox/store.js');
  const file = sandboxStateFile(io.env);
  const existed = existsSync(file);
  const notices = await fileStore(file).check();
  const checks: Check[] = [{ area: 'sandbox', status: 'pass', detail: `state ${existed ? file : `${file} (not yet written: the seeded fleet)`} readable and writable` }];
  for (const notice of notices) checks.push({ area: 'sandbox', status: 'warn', detail: notice });
  return checks;
}

export async function run(options: GlobalOptions, io: IO): Promise<ExitCode> {
  const checks: Check[] = [];
  // Ctrl-C during a check: the checks done are still shown, then the interruption (exit 130).
  let interrupted: InterruptedError | undefined;
  try {
    const sandbox = targetsEmbedded(options, io.env) ? await sandboxChecks(io) : [];
    await withSession(options, io, async (session) => {
      checks.push(...configChecks(session, io));
      const network = await networkChecks(session, io);
      checks.push(...network.checks);
      if (network.reachable) checks.push(...(await authAndClock(session)));
      else checks.push(...skipped(['auth', 'clock'], 'the network check failed'));
      checks.push(...sandbox);
    });
  } catch (error) {
    // The configuration itself keeps amps from starting: that is the finding.
    if (error instanceof MissingKeyError || error instanceof UsageError) {
      checks.push({ area: 'config', status: 'fail', detail: error.message, fix: error.hint, exitCode: error.exitCode });
      checks.push(...skipped(['network', 'auth', 'clock'], 'the configuration check failed'));
    } else if (error instanceof InterruptedError) {
      interrupted = error;
      checks.push({ area: 'doctor', status: 'skip', detail: 'interrupted: the checks not listed above were not made' });
    } else throw error;
  }
  // What a check quotes (a proxy variable, an error's message) may hold a key: never printed.
  for (const check of checks) {
    check.detail = redactKeyShapes(check.detail);
    if (check.fix !== undefined) check.fix = redactKeyShapes(check.fix);
  }
  const failed = checks.filter((c) => c.status === 'fail');
  const exitCode = SEVERITY.find((code) => failed.some((c) => c.exitCode === code)) ?? (failed.length > 0 ? EXIT.unclassified : EXIT.ok);
  if (options.json) {
    // Every check with every field, null where it has none: one shape for scripts.
    writeJson(io, { checks: checks.map((c) => ({ area: c.area, status: c.status, detail: c.detail, fix: c.fix ?? null, exitCode: c.exitCode ?? null })), exitCode: interrupted ? EXIT.interrupted : exitCode });
    if (interrupted) throw interrupted;
    return exitCode;
  }
  const mark = { pass: io.out.green('✔'), warn: io.out.yellow('!'), fail: io.out.red('✖'), skip: io.out.dim('-') };
  for (const check of checks) {
    writeLine(io.stdout, `${mark[check.status]} ${check.area.padEnd(8)} ${check.detail}`);
    if (check.fix && check.status !== 'pass') writeLine(io.stdout, `  ${' '.repeat(8)} ${io.out.dim(`fix: ${check.fix}`)}`);
  }
  if (interrupted) throw interrupted;
  const warnings = checks.filter((c) => c.status === 'warn').length;
  writeLine(io.stdout, failed.length === 0 ? io.out.green(`\nNo failures${warnings ? ` (${warnings} warning${warnings > 1 ? 's' : ''})` : ''}.`) : io.out.red(`\n${failed.length} failure${failed.length > 1 ? 's' : ''}${warnings ? `, ${warnings} warning${warnings > 1 ? 's' : ''}` : ''}: exit ${exitCode}.`));
  return exitCode;
}

export function doctorCommand(state: CommandState, runF: Run<GlobalOptions> = run) {
  const command = new Command('doctor')
    .description('Check the configuration, network, key, clock and sandbox: why amps cannot do its job, each with the fix')
    .action(async (options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), ...options }, state.io, state.argv);
    });
  return withExamples(command, ['amps doctor', 'amps doctor --profile prod --json | jq \'.checks[] | select(.status != "pass")\'']);
}
