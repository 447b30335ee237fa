// Durations as people type them: `30s`, `2m`, `1.5h`, `500ms`, or bare seconds.

const UNITS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h|d)?\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = (match[2] ?? 's').toLowerCase();
  return Math.round(Number(match[1]) * UNITS[unit]);
}

export function formatDuration(ms: number): string {
  // A measured wait (228.849…) is said in whole milliseconds.
  ms = Math.round(ms);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  // Whole days past two are said in days, as typed (`--wait-timeout 24d`), not as 576 h.
  if (ms >= 2 * 86_400_000 && ms % 86_400_000 === 0) return `${ms / 86_400_000} days`;
  return `${(ms / 3_600_000).toFixed(1).replace(/\.0$/, '')} h`;
}
