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

/**
 * True while the amps process `pid` (started at `start`, when known) runs: a crashed writer's pid
 * can be reused by another program, or another amps, which must not keep its file locked for ever.
 * Where /proc tells (Linux), a process that started at another time, or whose command line does
 * not name amps, is not it; elsewhere any live process with the pid counts.
 */
export function ampsRuns(pid: number, start?: string): boolean {
  if (!processRuns(pid)) return false;
  if (start !== undefined) {
    const now = processStart(pid);
    if (now !== undefined && now !== start) return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('amps');
  } catch {
    return true;
  }
}
