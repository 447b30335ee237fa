import type { Style } from './style.js';
import { scrub } from './text.js';

// Tables: boxed by cli-table3 on a terminal, tab-separated rows without a header when piped, so
// `cut -f1` and `awk` work on them. cli-table3 is loaded only when a boxed table is drawn.

export interface TableOptions {
  tty: boolean;
  style: Style;
  /** Terminal width, to keep long cells from wrapping the frame. */
  columns?: number;
}

export async function formatTable(head: string[], rows: string[][], options: TableOptions): Promise<string> {
  const clean = rows.map((row) => row.map((cell) => scrub(cell)));
  if (!options.tty) return clean.map((row) => row.join('\t')).join('\n') + (clean.length ? '\n' : '');
  const { default: Table } = await import('cli-table3');
  const table = new Table({
    head: head.map((h) => options.style.bold(h)),
    style: { head: [], border: [] },
    wordWrap: true,
  });
  for (const row of clean) table.push(row);
  return `${table.toString()}\n`;
}
