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
 * True while `pid` runs and may be amps: a crashed writer's pid can be reused by another program,
 * which must not keep its file locked for ever. Where /proc tells (Linux), a process whose command
 * line does not name amps is not amps; elsewhere any live process counts.
 */
export function ampsRuns(pid: number): boolean {
  if (!processRuns(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('amps');
  } catch {
    return true;
  }
}
