// The command a summary prints to rerun some of a run's devices. Built from what the run recorded
// (its inputs), not from the words typed: a resumed run or `amps watch` typed none of them. Times
// are the instants the run used, with their offset, so a rerun lands where the rest of the fleet
// did (`--at +30m` typed at 21:40 reruns as --at 22:10+01:00). The flags that say where requests go
// and how they are sent (--profile, --api-url, --concurrency…) come from the command line as typed.
// Also the resume that continues a stopped run, where one would be taken.

import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RunInputs } from '../../contract/ledger.js';
import { formatInZone } from '../../domain/time.js';
import { QUANTITY_FLAGS } from '../../domain/action.js';
import { printableArgv, shellQuote } from '../../output/text.js';

/** Flags carried into a rerun as typed: where requests go and how they are sent. */
const CARRIED_WITH_VALUE = ['--profile', '--api-url', '--api-key-file', '--timeout', '--concurrency', '--retry'];
const CARRIED_ALONE = ['--no-preflight', '--no-color', '--no-input', '--verbose'];
/** Given alone, or with the word after it as its value (commander takes one that is no flag). */
const CARRIED_MAYBE_VALUE = ['--fail-fast'];

/** Where a rerun line finds the key: stdin carries its devices, so a key read from stdin needs a file (KEY_FILE, said in the note); a relative path is made absolute, so the line runs from anywhere. */
function keyFileForRerun(value: string): string {
  return value === '-' ? KEY_FILE : resolve(value);
}

/**
 * The flags of `argv` that say where and how, in order; a flag given again (a run's recorded
 * `--concurrency 8`, then the one typed after it) is kept once, as given last: amps refuses a
 * value flag given twice, so a rerun line holding both would not run.
 */
function carried(argv: string[]): string[] {
  const kept = new Map<string, string[]>();
  const keep = (name: string, words: string[]) => {
    kept.delete(name);
    kept.set(name, words);
  };
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].startsWith('--') && argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i]] : [argv[i], undefined];
    if (CARRIED_ALONE.includes(name)) keep(name, [argv[i]]);
    else if (CARRIED_WITH_VALUE.includes(name)) {
      const value = inline !== undefined ? inline.slice(name.length + 1) : i + 1 < argv.length ? argv[++i] : undefined;
      if (value !== undefined) keep(name, [name, name === '--api-key-file' ? keyFileForRerun(value) : value]);
    } else if (CARRIED_MAYBE_VALUE.includes(name)) {
      if (inline !== undefined) keep(name, [inline]);
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('-')) keep(name, [name, argv[++i]]);
      else keep(name, [name]);
    }
  }
  return printableArgv([...kept.values()].flat());
}

/** How a run sent: what a rerun of its devices (or a resume) sends the same way. */
export interface SendingShape {
  concurrency?: number;
  retry?: number | null;
  timeoutMs?: number | null;
  failFast?: boolean | string | null;
  preflight?: boolean;
}

/** The flags that send as `shape` says: for a rerun line built from a ledger's record (watch, a resume), which its command line does not repeat. */
export function sendingFlags(shape: SendingShape): string[] {
  return [
    '--concurrency', String(shape.concurrency ?? 8),
    ...(typeof shape.retry === 'number' ? ['--retry', String(shape.retry)] : []),
    ...(typeof shape.timeoutMs === 'number' ? ['--timeout', `${shape.timeoutMs}ms`] : []),
    ...(shape.failFast === true ? ['--fail-fast'] : typeof shape.failFast === 'string' ? [`--fail-fast=${shape.failFast}`] : []),
    ...(shape.preflight === false ? ['--no-preflight'] : []),
  ];
}

/** The instants the run's body used (undefined: immediate), and the zone it wrote them in. */
export interface RunTimes {
  start?: number;
  end?: number;
  zone: string;
  /** The clock the rerun line is printed at: a start already past it cannot be sent again (START_IN_PAST). */
  now?: number;
  /**
   * The reruns are of actions that ran (failed when dispatched): their start has passed on the
   * API's clock, whatever this machine's says (a sandbox's clock may be stepped ahead of it).
   */
  ran?: boolean;
}

/** What stands in a rerun line for a time that has passed: no time, so the line is refused until one is put in. */
export const NEW_TIME = 'NEW_TIME';
/** What a rerun line holds where the run's key came on stdin. */
const KEY_FILE = 'KEY_FILE';

/** Said above rerun lines that hold NEW_TIME: the run's start has passed. */
/** What to change in rerun lines before running them: a start that has passed, a key that came on stdin. */
export function rerunNote(times: RunTimes, lines: string[]): string | undefined {
  const notes: string[] = [];
  if (times.start !== undefined && lines.some((line) => line.includes(` ${NEW_TIME}`))) notes.push(`the run's start, ${formatInZone(times.start, times.zone)}, has passed: put a new time in place of ${NEW_TIME}`);
  if (lines.some((line) => line.includes(`--api-key-file ${KEY_FILE}`))) notes.push(`the key came on stdin, which a rerun line feeds its devices on: put the path of a file holding it in place of ${KEY_FILE}`);
  return notes.length > 0 ? notes.join('; ') : undefined;
}

function startHasPassed(times: RunTimes): boolean {
  return times.start !== undefined && (times.ran === true || (times.now !== undefined && times.start <= times.now));
}

/** `push TYPE COMMAND [quantities] [times] [carried flags]`, without amps, --devices or --on-conflict. */
export function rerunArgs(inputs: RunInputs, times: RunTimes, argv: string[]): string[] {
  const args = ['push', inputs.type, inputs.command];
  for (const [name, text] of Object.entries(inputs.quantities)) {
    if ((QUANTITY_FLAGS as readonly string[]).includes(name)) args.push(`--${name}`, text);
    else args.push('--param', `${name}=${text}`);
  }
  return [...args, ...timeArgs(inputs.at !== undefined, times), ...carried(argv)];
}

/**
 * The time flags of a rerun: the instants the push used, with their offset (`--at +30m` typed at
 * 21:40 reruns as `--at 22:10+01:00`, not half an hour after the rerun). `at`: the push named
 * its start with --at (`--at now` stays `--at now`: immediate).
 */
export function timeArgs(at: boolean, times: RunTimes): string[] {
  // A start without an end (a --body push's) is a scheduled push, which only --at says.
  const scheduled = at || times.end === undefined;
  // Sent again, a start that has passed is refused (START_IN_PAST): the line says so by standing in for it.
  if (startHasPassed(times)) return scheduled ? ['--at', NEW_TIME] : ['--start', NEW_TIME, '--end', NEW_TIME];
  const args: string[] = [];
  const instant = (ms: number) => formatInZone(ms, times.zone);
  if (at && times.start === undefined) args.push('--at', 'now');
  else if (scheduled && times.start !== undefined) args.push('--at', instant(times.start));
  else if (times.start !== undefined) args.push('--start', instant(times.start));
  if (times.end !== undefined) args.push('--end', instant(times.end));
  return args;
}

/**
 * The resume that continues a run, as a hint: undefined where one would be refused (a ledger that
 * is no regular file: a FIFO, /dev/stdout). A run that read its devices from a stream needs them
 * given again. `where`: the flags that send it where the run went (config/resolve.ts whereFlags).
 */
export function resumeCommand(path: string, run: { devices: string; devicesDigest?: string | null }, where: string[] = []): string | undefined {
  try {
    if (!statSync(path).isFile()) return undefined;
  } catch {
    return undefined;
  }
  const again = run.devices === '-' ? ' --devices - (the same list on stdin)' : run.devicesDigest === null ? ' --devices FILE (the list the run read, again)' : '';
  // A key read from stdin needs a file where stdin carries the devices again (rerunNote says so).
  const flags = where.map((word, i) => (where[i - 1] === '--api-key-file' && run.devices === '-' ? KEY_FILE : word));
  return `amps push --resume ${shellQuote(path)}${flags.map((word) => ` ${shellQuote(word)}`).join('')}${again}`;
}
