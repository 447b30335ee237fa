// Shared by the benchmark scripts: timing whole processes, medians, peak RSS.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Removes `dirs` when the script ends, however it ends: done, failed, or stopped by Ctrl-C or
 * SIGTERM (a signal ends a process without its exit handlers, so it is turned into an exit).
 */
export function removedAtExit(...dirs) {
  process.on('exit', () => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
  return dirs[0];
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Wall time of one run of a command, in milliseconds. */
export function timeOnce(command, args, options = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'ignore'], ...options });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0 && !options.allowFailure) throw new Error(`${command} ${args.join(' ')} exited ${result.status}`);
  return ms;
}

/** A case's arguments for run number `run`: `args` may be a function of it (a fresh device each time). */
export function argsOf(c, run = 0) {
  return typeof c.args === 'function' ? c.args(run) : c.args;
}

/**
 * Interleaved rounds of `measure(command, args, options)`, so drift in machine load hits every case
 * alike; returns the median of each. cases: [{ name, command, args, options }].
 */
function samplesOf(cases, rounds, runs, measure) {
  const samples = new Map(cases.map((c) => [c.name, []]));
  let run = 0;
  for (let round = 0; round < rounds; round++) {
    for (const c of cases) {
      for (let i = 0; i < runs; i++) samples.get(c.name).push(measure(c.command, argsOf(c, run++), c.options));
    }
  }
  return samples;
}

function medians(cases, rounds, runs, measure) {
  const samples = samplesOf(cases, rounds, runs, measure);
  return cases.map((c) => ({ name: c.name, value: median(samples.get(c.name)) }));
}

/** Median wall time (ms) of each case: `rounds` rounds of `runs` runs each. */
export function compare(cases, { rounds = 3, runs = 10 } = {}) {
  return medians(cases, rounds, runs, timeOnce);
}

/**
 * V8's functions that pick each process's hash seed: a search for primes from a random start, 2 to
 * 9 M instructions, different in every process (Node 20.20). The rest of a run's count moves by
 * about 0.3% between runs of one build.
 */
const SEED_SEARCH = /HashSeed::InitializeRoots|detail::sprp/;

/**
 * Instructions one run of a command executes, in millions, counted by valgrind's cachegrind (all
 * threads): unlike wall time, barely moved by other load on a shared machine. `total` is all of
 * them; `seedSearch` is what V8's random hash-seed search took of it (SEED_SEARCH). Throws when the
 * run fails (as timeOnce does, unless `allowFailure`) or valgrind gives no count.
 */
export function instructionsOnce(command, args, options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'amps-bench-cg-'));
  try {
    const out = join(dir, 'cachegrind.out');
    const result = spawnSync('valgrind', ['--tool=cachegrind', '--cache-sim=no', `--cachegrind-out-file=${out}`, command, ...args], { ...options, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (result.error) throw result.error;
    if (result.status !== 0 && !options.allowFailure) throw new Error(`valgrind ${command} ${args.join(' ')} exited ${result.status}`);
    const refs = /I\s+refs:\s+([\d,]+)/.exec(result.stderr ?? '');
    if (!refs) throw new Error(`valgrind gave no instruction count for ${command} ${args.join(' ')}:\n${result.stderr}`);
    // cachegrind's file: `fn=NAME`, then one `LINE COUNT` line per source line of that function.
    let seedSearch = 0;
    let inSearch = false;
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      if (line.startsWith('fn=')) inSearch = SEED_SEARCH.test(line);
      else if (inSearch && /^\d/.test(line)) seedSearch += Number(line.split(' ')[1] ?? 0);
    }
    return { total: Number(refs[1].replaceAll(',', '')) / 1e6, seedSearch: seedSearch / 1e6 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether valgrind can be run here. */
export function valgrindAvailable() {
  return !spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).error;
}

/**
 * Median instruction counts (millions) of each case over `runs`, interleaved one run at a time:
 * `value`, all of them; `steady`, less V8's hash-seed search, which alone moves a count by several
 * million from run to run: what tells two builds apart.
 */
export function compareInstructions(cases, { runs = 3 } = {}) {
  const samples = samplesOf(cases, runs, 1, instructionsOnce);
  return cases.map((c) => {
    const counts = samples.get(c.name);
    return { name: c.name, value: median(counts.map((n) => n.total)), steady: median(counts.map((n) => n.total - n.seedSearch)) };
  });
}

/** Each row's value (ms, or millions of instructions: `unit`) and its ratio to `baseline`. */
export function printTable(rows, baseline, unit = 'ms') {
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const row of rows) {
    const ratio = baseline ? ` ${(row.value / baseline).toFixed(2)}x` : '';
    console.log(`${row.name.padEnd(width)}  ${row.value.toFixed(1).padStart(7)} ${unit}${ratio}`);
  }
}

/** The peak resident memory (VmHWM) of a live process, in MB. Linux only. */
export function peakRssMb(pid) {
  return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
}

/** Polls a child's peak memory while it runs; the returned function stops polling and gives the peak in MB. */
export function trackPeakRss(child) {
  let peakMb = 0;
  const poll = setInterval(() => {
    try {
      peakMb = Math.max(peakMb, peakRssMb(child.pid));
    } catch {
      // The process has just exited.
    }
  }, 20);
  return () => {
    clearInterval(poll);
    return peakMb;
  };
}
