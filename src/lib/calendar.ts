// The calendar's one rule for a date and time given as fields (typed by an operator, or sent by
// the API): a moment of the calendar, in the years amps reads. Date.UTC and Date.parse would roll
// 2026-11-31 over to 1 December, and 23:59:60 to the next minute, without a word.

/** The years amps reads a typed time in. */
export const MIN_YEAR = 1970;
export const MAX_YEAR = 9999;

/**
 * Why a date and time (year, month, day, hour, minute, second) names no moment on the calendar,
 * else undefined. `minYear`: typed times start in 1970; what a server sends may be older (1).
 */
export function calendarProblem([year, month, day, hour, minute, second]: number[], minYear = MIN_YEAR): string | undefined {
  if (year < minYear || year > MAX_YEAR) return `has a year outside ${minYear}-${MAX_YEAR}`;
  // The day checked in a leap year's place when the year is one (Date.UTC reads 0-99 as 1900-1999).
  const monthLength = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeap(year) ? 1 : 0);
  if (month < 1 || month > 12 || day < 1 || day > monthLength || hour > 23 || minute > 59 || second > 59) return 'is not a valid date and time';
  return undefined;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
