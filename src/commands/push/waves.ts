// Rolling a push out in waves: `--waves 1%,10%,100%` sends to the first 1% of the devices, follows
// their actions to the end, then to the next 9%, and so on; `--abort-if 'rejected+unclassified>2%'`
// stops the rollout when a wave's share of failures of those classes passes the bound. Offline
// devices and conflicts count against a wave only when named.

import { EXIT_CLASSES, type ExitCode } from '../../contract/exit-codes.js';
import { UsageError } from '../../errors/failures.js';
import { own } from '../../lib/values.js';

/** Cumulative shares, strictly increasing, the last 100%. */
export function parseWaves(text: string): number[] {
  const shares = text.split(',').map((part) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(part);
    const share = match ? Number(match[1]) / 100 : Number.NaN;
    if (!(share > 0 && share <= 1)) throw new UsageError(`--waves takes cumulative percentages such as 1%,10%,100%, not '${part.trim()}'`);
    return share;
  });
  if (shares.some((share, i) => i > 0 && share <= shares[i - 1])) throw new UsageError('--waves must grow: each percentage larger than the one before, e.g. 1%,10%,100%');
  if (shares.at(-1) !== 1) shares.push(1);
  return shares;
}

/**
 * How many devices each wave ends at (cumulative), for `total` devices; every wave gets one at
 * least, and the first `firstAtLeast` (the canaries, one per model). A wave whose share the first
 * wave already covers is part of it: the ends only grow, so every later wave is still judged on
 * its own.
 */
export function waveEnds(total: number, shares: number[], firstAtLeast = 1): number[] {
  const ends: number[] = [];
  for (const share of shares) {
    const end = Math.min(total, Math.max(Math.ceil(total * share), (ends.at(-1) ?? 0) + 1));
    if (end > (ends.at(-1) ?? 0)) ends.push(end);
  }
  const first = Math.min(total, Math.max(ends[0] ?? 0, firstAtLeast));
  return [first, ...ends.slice(1).filter((end) => end > first)];
}

export interface AbortRule {
  text: string;
  classes: ExitCode[];
  /** A share of the wave (0-1), or a count of devices. */
  share?: number;
  count?: number;
}

/** `rejected+unclassified>2%`, or `credentials>0`; several separated by commas. */
export function parseAbortIf(text: string): AbortRule[] {
  return text.split(',').map((part) => {
    const match = /^\s*([a-z]+(?:\s*\+\s*[a-z]+)*)\s*>\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(part);
    if (!match) throw new UsageError(`--abort-if takes CLASS[+CLASS]>N% (or >N devices), e.g. 'rejected+unclassified>2%', not '${part.trim()}'`, `classes: ${Object.keys(EXIT_CLASSES).join(', ')}`);
    const classes = match[1].split('+').map((name) => {
      const code = own(EXIT_CLASSES, name.trim());
      if (code === undefined) throw new UsageError(`--abort-if: '${name.trim()}' is not a class`, `classes: ${Object.keys(EXIT_CLASSES).join(', ')}`);
      return code;
    });
    const value = Number(match[2]);
    if (match[3] === '%' && value > 100) throw new UsageError(`--abort-if: ${value}% is more than all of a wave`);
    return match[3] === '%' ? { text: part.trim(), classes, share: value / 100 } : { text: part.trim(), classes, count: value };
  });
}

/** The first rule a wave breaks, with what it measured; undefined when none. */
export function breach(rules: AbortRule[], devices: number, byExit: Map<ExitCode, number>): string | undefined {
  for (const rule of rules) {
    const failed = rule.classes.reduce<number>((sum, code) => sum + (byExit.get(code) ?? 0), 0);
    // Past the bound, not at it: 7 of 125 is 5.6% in decimals but 0.05599… in doubles, so a share
    // is compared with room for rounding (no count of devices comes within 1e-9 of it otherwise).
    const over = rule.share !== undefined ? devices > 0 && failed / devices > rule.share + 1e-9 : failed > rule.count!;
    if (over) return `${rule.text}: ${failed} of ${devices} device(s) (${((failed / Math.max(devices, 1)) * 100).toFixed(1)}%)`;
  }
  return undefined;
}
