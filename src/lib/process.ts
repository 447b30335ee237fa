// Whether a process still runs, for the files that name their writer by pid (the sandbox state's
// lock, a resume's mark on the ledger it continues): a dead writer's file is taken over.

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
