import { shownLength, type Style } from './style.js';
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
  const colWidths = options.columns === undefined ? undefined : fittedWidths(head, clean, options.columns);
  const table = new Table({
    head: head.map((h) => options.style.bold(h)),
    style: { head: [], border: [] },
    wordWrap: true,
    ...(colWidths ? { colWidths } : {}),
  });
  for (const row of clean) table.push(row);
  return `${table.toString()}\n`;
}

/**
 * Column widths that fit `columns` where cells can wrap between words, or undefined when the
 * table fits as it is: the widest column that can gives way first, never below its longest word
 * (an id cut to `bat_v…` would name no device). A frame wider than the terminal wraps every row
 * into a box no one can read; what cannot fit without cutting a word is left wider.
 */
function fittedWidths(head: string[], rows: string[][], columns: number): number[] | undefined {
  const cells = (i: number) => [head[i]!, ...rows.map((row) => row[i] ?? '')];
  // A space of padding either side of the widest line, and of the longest word.
  const widths = head.map((_, i) => Math.max(...cells(i).flatMap((cell) => cell.split('\n').map(shownLength))) + 2);
  const least = head.map((_, i) => Math.max(...cells(i).flatMap((cell) => cell.split(/\s+/).map(shownLength))) + 2);
  const frame = () => widths.reduce((sum, width) => sum + width, 0) + widths.length + 1;
  if (frame() <= columns) return undefined;
  while (frame() > columns) {
    let widest = -1;
    widths.forEach((width, i) => {
      if (width > least[i]! && (widest === -1 || width > widths[widest]!)) widest = i;
    });
    if (widest === -1) break;
    widths[widest]! -= 1;
  }
  return widths;
}
