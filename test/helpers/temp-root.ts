// The suite's one temporary folder. Every test, and every amps, sandbox and shell a test starts,
// makes its temporary files under it (TMPDIR, which os.tmpdir() and mktemp read), and the whole
// folder goes when the run ends: a run of the suite leaves nothing behind in the machine's /tmp.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'amps-tests-'));
  // Set before the workers start, so they and everything they spawn inherit it.
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true, maxRetries: 3 });
}
