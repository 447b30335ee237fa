// Every process a test file started has ended when the file does. A test that failed before its
// own clean-up (an `amps listen` waited on, a sandbox never stopped) left it running for as long as
// the machine was up, holding ports and a core; a passing test that leaves one has a bug of its own.
// Run after each file's own afterAll hooks (vitest runs after-hooks last-registered first): what is
// still running then (a child, or a child's child) is killed, and the file fails, naming it.

import { readdirSync, readFileSync } from 'node:fs';
import { afterAll } from 'vitest';

interface Child {
  pid: number;
  command: string;
}

/** The children of process `pid` (every thread's), from /proc. */
function childrenOf(pid: number | 'self'): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const task of tasks) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/)) if (child) pids.push(Number(child));
    } catch {
      // The thread ended while it was read.
    }
  }
  return pids;
}

/**
 * The worker's live descendants, from /proc (Linux; elsewhere none are known, and nothing is
 * checked): children's children too, as amps started through `bash -c` is, which killing the
 * shell alone would leave running under init.
 */
function liveChildren(): Child[] {
  const pids = new Set<number>();
  for (let next = childrenOf('self'); next.length > 0; next = next.flatMap((pid) => childrenOf(pid))) {
    for (const pid of next) pids.add(pid);
  }
  const live: Child[] = [];
  for (const pid of pids) {
    try {
      // The state follows the command's closing parenthesis; a zombie has ended, only not been reaped yet.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      live.push({ pid, command: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') });
    } catch {
      // Ended between the listing and the read.
    }
  }
  return live;
}

/** Resolves once none of `children` is alive, or false at `ms`: a child sent its signal as the file ended is given time to go. */
async function ended(children: Child[], ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    const pids = new Set(liveChildren().map((c) => c.pid));
    if (!children.some((c) => pids.has(c.pid))) return true;
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

afterAll(async () => {
  const left = liveChildren();
  if (left.length === 0 || (await ended(left, 5_000))) return;
  // All that is alive now: a child's child may have started after the first look.
  const still = liveChildren();
  for (const child of still) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  if (still.length) throw new Error(`this file left ${still.length} process(es) running, now killed:\n${still.map((c) => `  ${c.pid} ${c.command}`).join('\n')}`);
});
