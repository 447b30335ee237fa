// The calendar's one rule for a date and time given as fields (typed by an operator, or sent by
// the API): a moment of the calendar, in the years amps reads. Date.UTC and Date.parse would roll
// 2026-11-31 over to 1 December, and 23:59:60 to the next minute, without a word.

/** The years amps reads a time in: its clocks, the API's and a sandbox's, start in 1970. */
export const MIN_YEAR = 1970;
export const MAX_YEAR = 9999;

/**
 * Why a date and time (year, month, day, hour, minute, second) names no moment on the calendar,
 * else undefined.
 */
export function calendarProblem([year, month, day, hour, minute, second]: number[]): string | undefined {
  if (year < MIN_YEAR || year > MAX_YEAR) return `has a year outside ${MIN_YEAR}-${MAX_YEAR}`;
  if (month < 1 || month > 12 || day < 1 || new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return 'is not a valid date and time';
  return undefined;
}
