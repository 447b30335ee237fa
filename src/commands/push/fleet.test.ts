import { describe, expect, it } from 'vitest';
import type { InputRow } from '../../batch/input.js';
import { firstRowRead } from './fleet.js';

// In-process: the wiring of Ctrl-C to the read of a fleet's first row.

describe('Ctrl-C while a fleet\'s first row is read', () => {
  for (const regularFile of [true, false]) {
    it(regularFile ? 'a regular file is read on (its rows are then recorded not_sent): the read is not stopped' : 'a stream (a FIFO, stdin) is stopped: it may never end', async () => {
      const interrupt = new AbortController();
      const stopReading = new AbortController();
      async function* rows(): AsyncGenerator<InputRow> {
        // The Ctrl-C comes while the first row is being read.
        interrupt.abort();
        yield { id: 'bat_1', line: 1 } as InputRow;
        yield { id: 'bat_2', line: 2 } as InputRow;
      }
      const read = await firstRowRead(rows(), 'devices.txt', stopReading, interrupt.signal, regularFile);
      // Until now a regular file's read was stopped too: its ledger held no device (found by helper-99).
      expect(stopReading.signal.aborted).toBe(!regularFile);
      const ids: string[] = [];
      for await (const row of read) ids.push((row as { id: string }).id);
      expect(ids).toEqual(['bat_1', 'bat_2']);
    });
  }
});
