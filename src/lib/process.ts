// Whether a process still runs, for the files that name their writer by pid (the sandbox state's
// lock, a resume's mark on the ledger it continues, a ledger's writer): a dead writer's file is
// taken over.

import { readFileSync } from 'node:fs';

/** True while `pid` runs (as any user: EPERM says it exists); false for a pid that is none. */
export function processRuns(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * When `pid` started, where /proc tells (Linux: clock ticks since boot, field 22 of its stat);
 * undefined elsewhere. With the pid it names one process: a pid is reused, a start is not.
 */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name in parentheses may hold spaces: the fields count from after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

let own: { start: string | undefined } | undefined;

/**
 * When this process started (processStart of its own pid), read from /proc once: the ledger's
 * writer, a resume's mark and every lock the embedded sandbox takes name this process with it.
 */
export function ownStart(): string | undefined {
  own ??= { start: processStart(process.pid) };
  return own.start;
}

/**
 * True while the writer `pid`, started at `start` (when known), runs. A crashed writer's pid can be
 * reused (by any program, another amps, or, in a container, this very process): where /proc tells
 * (Linux), a process that started at another time is not the writer; elsewhere a live pid counts.
 */
export function writerRuns(pid: number, start?: string): boolean {
  if (pid === process.pid || !processRuns(pid)) return false;
  if (start === undefined) return true;
  const now = processStart(pid);
  return now === undefined || now === start;
}
