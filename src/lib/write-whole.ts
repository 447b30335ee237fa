// A file written whole or not at all: written beside itself, then renamed into place, so a reader
// never sees half of it, and a write cut short (a full disk) or a rename refused leaves no
// part-written copy behind (the sandbox state, the webhook deliveries, a compile cache entry).

import { renameSync, rmSync, writeFileSync } from 'node:fs';

/** Writes `data` to `file` atomically, with `mode` (0600 by default: these files are amps' own). Throws what the file system said. */
export function writeFileWhole(file: string, data: string | Uint8Array, mode = 0o600): void {
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(temporary, data, { mode });
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
