// Small helpers every layer may use: a leaf, beside contract/.

/** A plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The candidates closest to `input`, nearest first, within a distance that still looks like a typo. */
export function closest(input: string, candidates: readonly string[], limit = 3): string[] {
  const wanted = input.toLowerCase();
  return candidates
    .map((name) => ({ name, distance: editDistance(wanted, name.toLowerCase()) }))
    .filter((c) => c.distance <= Math.max(2, Math.floor(wanted.length / 2)))
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, limit)
    .map((c) => c.name);
}
