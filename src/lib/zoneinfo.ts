// A zone's offset from UTC at any instant, read from the system's time zone database: the TZif files
// under /usr/share/zoneinfo (RFC 8536), as Python's zoneinfo and Go's time package read them.
//
// Why not Intl alone: the first Intl formatter a process makes costs ~12 ms (V8 builds its table of
// ICU locales), a third of what `amps push` costs on top of Node's own start (bench/startup.mjs),
// and every command that shows a time in a zone pays it. Reading and parsing one zone file costs
// ~0.1 ms. Where this cannot answer (no database: Windows, slim containers; a name without a file;
// a file it cannot read), zoneOffsetReader() gives undefined and the caller uses Intl: the same
// answers, only slower. test/zoneinfo.test.ts holds the two to agreement across every zone here.

import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Where the database lives on Linux, the BSDs and macOS (Python's zoneinfo looks in the same places). */
const DIRECTORIES = ['/usr/share/zoneinfo', '/usr/lib/zoneinfo', '/usr/share/lib/zoneinfo', '/etc/zoneinfo'];
/** Files in the database that are not zones Intl accepts (lower case: macOS's file system ignores case). */
const NOT_ZONES = new Set(['factory', 'localtime', 'posixrules']);
/** No offset in the database lies this far from UTC (the most is 15:56:56, LMT in Asia/Manila); more means a damaged file. */
const MAX_OFFSET_SECONDS = 26 * 3600;
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9][A-Za-z0-9_+-]*){0,2}$/;

/** Milliseconds east of UTC at an instant (milliseconds since the epoch). */
export type ZoneOffsetReader = (instant: number) => number;

// ── The TZ string of a TZif footer (POSIX TZ, with RFC 8536's extensions) ──────────────────────

interface TransitionDate {
  /** `Jn`: day 1-365, February 29 never counted; `n`: day 0-365, counted; `Mm.w.d`: the w-th (5: last) weekday d of month m. */
  kind: 'julian' | 'day' | 'month';
  day: number;
  month: number;
  week: number;
  /** Local time of the change, in seconds (may be negative, or past 24h). */
  seconds: number;
}

interface PosixRule {
  /** Seconds east of UTC: standard time, and daylight time when the zone has it. */
  standard: number;
  daylight?: { offset: number; start: TransitionDate; end: TransitionDate };
}

/** `[+-]hh[:mm[:ss]]` as seconds; undefined when malformed. */
function clockSeconds(text: string): number | undefined {
  const match = /^([+-]?)(\d{1,3})(?::(\d{1,2}))?(?::(\d{1,2}))?$/.exec(text);
  if (!match) return undefined;
  const seconds = Number(match[2]) * 3600 + Number(match[3] ?? 0) * 60 + Number(match[4] ?? 0);
  return match[1] === '-' ? -seconds : seconds;
}

function transitionDate(text: string): TransitionDate | undefined {
  const [date, time] = text.split('/');
  const seconds = time === undefined ? 7200 : clockSeconds(time);
  if (seconds === undefined || date === undefined) return undefined;
  let match = /^M(\d{1,2})\.(\d)\.(\d)$/.exec(date);
  if (match) {
    const [month, week, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    if (month < 1 || month > 12 || week < 1 || week > 5 || day > 6) return undefined;
    return { kind: 'month', month, week, day, seconds };
  }
  match = /^(J?)(\d{1,3})$/.exec(date);
  if (!match) return undefined;
  const day = Number(match[2]);
  if (match[1] ? day < 1 || day > 365 : day > 365) return undefined;
  return { kind: match[1] ? 'julian' : 'day', day, month: 0, week: 0, seconds };
}

/** The footer's rule, or undefined for anything it does not fully understand (the caller then uses Intl). */
export function parsePosixRule(text: string): PosixRule | undefined {
  // std offset [dst [offset] [,start[/time],end[/time]]]; names are letters, or <…> quoted.
  const match = /^(?:[A-Za-z]{3,}|<[A-Za-z0-9+-]{3,}>)([+-]?[\d:]+)(?:([A-Za-z]{3,}|<[A-Za-z0-9+-]{3,}>)([+-]?[\d:]+)?(?:,([^,]+),([^,]+))?)?$/.exec(text);
  if (!match) return undefined;
  const [, standardText, daylightName, daylightText, startText, endText] = match;
  const standard = clockSeconds(standardText!);
  if (standard === undefined || Math.abs(standard) > MAX_OFFSET_SECONDS) return undefined;
  // POSIX offsets count west of UTC: UTC = local + offset.
  const rule: PosixRule = { standard: 0 - standard };
  if (daylightName === undefined) return rule;
  // A zone with daylight time but no rule for it: TZif files always carry one; refuse to guess.
  if (startText === undefined || endText === undefined) return undefined;
  const daylightWest = daylightText === undefined ? standard - 3600 : clockSeconds(daylightText);
  const start = transitionDate(startText);
  const end = transitionDate(endText);
  if (daylightWest === undefined || !start || !end || Math.abs(daylightWest) > MAX_OFFSET_SECONDS) return undefined;
  rule.daylight = { offset: 0 - daylightWest, start, end };
  return rule;
}

const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** Seconds since the epoch of a transition date's local midnight in `year`, as if local time were UTC. */
function localMidnight(date: TransitionDate, year: number): number {
  const january1 = Date.UTC(year, 0, 1) / 1000;
  if (date.kind === 'julian') return january1 + (date.day - 1 + (isLeap(year) && date.day >= 60 ? 1 : 0)) * 86_400;
  if (date.kind === 'day') return january1 + date.day * 86_400;
  const firstWeekday = new Date(Date.UTC(year, date.month - 1, 1)).getUTCDay();
  let day = 1 + ((date.day - firstWeekday + 7) % 7) + (date.week - 1) * 7;
  const length = new Date(Date.UTC(year, date.month, 0)).getUTCDate();
  while (day > length) day -= 7;
  return Date.UTC(year, date.month - 1, day) / 1000;
}

/** The rule's offset (seconds east) at `seconds` since the epoch. */
export function posixRuleOffset(rule: PosixRule, seconds: number): number {
  const { daylight } = rule;
  if (!daylight) return rule.standard;
  const year = new Date((seconds + rule.standard) * 1000).getUTCFullYear();
  // The start is given in standard time, the end in daylight time (POSIX).
  const start = localMidnight(daylight.start, year) + daylight.start.seconds - rule.standard;
  const end = localMidnight(daylight.end, year) + daylight.end.seconds - daylight.offset;
  const inDaylight = start <= end ? seconds >= start && seconds < end : !(seconds >= end && seconds < start);
  return inDaylight ? daylight.offset : rule.standard;
}

// ── TZif ─────────────────────────────────────────────────────────────────────────────────────

/** A zone's offsets from a TZif file's bytes; undefined when they are not a TZif file it understands. */
export function parseTzif(data: Uint8Array): ZoneOffsetReader | undefined {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const HEADER = 44;
  const header = (at: number) => {
    if (at + HEADER > data.length || view.getUint32(at) !== 0x545a6966) return undefined; // "TZif"
    const count = (i: number) => view.getUint32(at + 20 + i * 4);
    return { version: data[at + 4]!, isut: count(0), isstd: count(1), leap: count(2), time: count(3), type: count(4), char: count(5) };
  };
  const first = header(0);
  if (!first || first.type === 0) return undefined;
  const blockLength = (h: NonNullable<ReturnType<typeof header>>, timeSize: number) =>
    h.time * timeSize + h.time + h.type * 6 + h.char + h.leap * (timeSize + 4) + h.isstd + h.isut;
  // Version 2 and later repeat the data with 64-bit times, then a footer: the rule for later times.
  let at = HEADER;
  let h = first;
  let timeSize = 4;
  if (first.version >= 0x32) {
    const second = header(HEADER + blockLength(first, 4));
    if (!second || second.type === 0) return undefined;
    at = 2 * HEADER + blockLength(first, 4);
    h = second;
    timeSize = 8;
  }
  const end = at + blockLength(h, timeSize);
  if (end > data.length) return undefined;
  const transitions: number[] = [];
  for (let i = 0; i < h.time; i++) transitions.push(timeSize === 8 ? Number(view.getBigInt64(at + i * 8)) : view.getInt32(at + i * 4));
  const typeAt = at + h.time * timeSize;
  const types: number[] = [];
  for (let i = 0; i < h.time; i++) {
    const type = data[typeAt + i]!;
    if (type >= h.type) return undefined;
    types.push(type);
  }
  const infoAt = typeAt + h.time;
  const offsets: number[] = [];
  for (let i = 0; i < h.type; i++) offsets.push(view.getInt32(infoAt + i * 6));
  // A damaged file is left to Intl: offsets past any real one, transitions out of order.
  if (offsets.some((offset) => Math.abs(offset) > MAX_OFFSET_SECONDS)) return undefined;
  if (transitions.some((time, i) => i > 0 && time <= transitions[i - 1]!)) return undefined;
  let rule: PosixRule | undefined;
  if (timeSize === 8) {
    const footer = Buffer.from(data.buffer, data.byteOffset + end, data.byteLength - end).toString('latin1');
    const text = /^\n([^\n]*)\n/.exec(footer)?.[1];
    if (text === undefined) return undefined;
    if (text !== '') {
      rule = parsePosixRule(text);
      if (!rule) return undefined;
    }
  }
  return (instant) => {
    const seconds = Math.floor(instant / 1000);
    if (transitions.length === 0 || seconds < transitions[0]!) return (rule && transitions.length === 0 ? posixRuleOffset(rule, seconds) : offsets[0]!) * 1000;
    if (rule && seconds >= transitions[transitions.length - 1]!) return posixRuleOffset(rule, seconds) * 1000;
    let low = 0;
    let high = transitions.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (transitions[mid]! <= seconds) low = mid;
      else high = mid - 1;
    }
    return offsets[types[low]!]! * 1000;
  };
}

const readers = new Map<string, ZoneOffsetReader | undefined>();

/** A database's tz release (`2025b`), from its tzdata.zi (`# version 2025b`) or +VERSION; undefined when it names none. */
function databaseRelease(directory: string): string | undefined {
  for (const file of ['tzdata.zi', '+VERSION']) {
    try {
      // Its first line says it: 64 bytes, not the 100 KB of rules after it.
      const fd = openSync(join(directory, file), 'r');
      const head = Buffer.alloc(64);
      const read = readSync(fd, head, 0, 64, 0);
      closeSync(fd);
      const release = /\b(\d{4}[a-z]+)\b/.exec(head.toString('latin1', 0, read))?.[1];
      if (release) return release;
    } catch {
      // Not there: the other file, or none.
    }
  }
  return undefined;
}

/**
 * Whether a database of release `database` may answer for Intl's data of release `intl`
 * (process.versions.tz): not when it is a year or more behind, when a government's change since
 * (Node 22.23's 2026c against Debian 12's 2025b: 2,349 monthly offsets apart) would show times an
 * hour off. Within a year's releases the two are held to agree (test/zoneinfo.test.ts); a database
 * that names no release is taken as current, as one newer than Intl's is.
 */
export function databaseCurrent(database: string | undefined, intl: string | undefined): boolean {
  const year = (release: string | undefined) => Number(/^(\d{4})/.exec(release ?? '')?.[1] ?? Number.NaN);
  return !(year(database) < year(intl));
}

/** Per directory, once: whether its files may answer (databaseCurrent). */
const currentDirectories = new Map<string, boolean>();
function directoryCurrent(directory: string): boolean {
  let current = currentDirectories.get(directory);
  if (current === undefined) currentDirectories.set(directory, (current = databaseCurrent(databaseRelease(directory), process.versions.tz)));
  return current;
}

/**
 * The offsets of IANA zone `name` from the system's database; undefined when it has no such zone
 * or cannot be read, or for a name that is not a zone Intl would accept.
 */
export function zoneOffsetReader(name: string): ZoneOffsetReader | undefined {
  if (readers.has(name)) return readers.get(name);
  let reader: ZoneOffsetReader | undefined;
  if (ZONE_NAME.test(name) && !NOT_ZONES.has(name.toLowerCase()) && !/^(posix|right)\//i.test(name)) {
    for (const directory of DIRECTORIES) {
      try {
        // A database a year or more behind Node's own data leaves the zone to Intl.
        if (!directoryCurrent(directory)) continue;
        reader = parseTzif(readFileSync(join(directory, name)));
        break;
      } catch {
        // Not in this directory (or not readable): try the next.
      }
    }
  }
  readers.set(name, reader);
  return reader;
}

/**
 * `name` as the database spells it (`us/eastern`: `US/Eastern`), found by a case-blind walk of its
 * folders; undefined where there is no database, or no such zone in it.
 */
export function databaseSpelling(name: string): string | undefined {
  if (!ZONE_NAME.test(name) || NOT_ZONES.has(name.toLowerCase()) || /^(posix|right)\//i.test(name)) return undefined;
  for (const directory of DIRECTORIES) {
    let at = directory;
    const spelt: string[] = [];
    try {
      for (const part of name.split('/')) {
        const entries = readdirSync(at);
        const found = entries.find((entry) => entry === part) ?? entries.find((entry) => entry.toLowerCase() === part.toLowerCase());
        if (found === undefined) throw new Error('no such zone');
        spelt.push(found);
        at = join(at, found);
      }
      if (statSync(at).isFile()) return spelt.join('/');
    } catch {
      // Not in this directory: try the next.
    }
  }
  return undefined;
}

/** What a `TZ` names, without the leading `:` POSIX allows before a name or a path. */
export function tzNamed(tz: string | undefined): string | undefined {
  return tz?.startsWith(':') ? tz.slice(1) : tz;
}

/**
 * The zone a `TZ` that is a file's path names (`/usr/share/zoneinfo/Asia/Tokyo`, POSIX's form, which
 * Node's clock follows but Intl does not name): where the path, its links followed, lies in a zone
 * database. Undefined for a `TZ` that is no path, or a file of no database.
 */
export function zoneOfPath(tz: string | undefined): string | undefined {
  const path = tzNamed(tz);
  if (!path?.startsWith('/')) return undefined;
  try {
    return /\/zoneinfo\/(?:(?:posix|right)\/)?([A-Za-z].*)$/.exec(realpathSync(path))?.[1];
  } catch {
    return undefined;
  }
}

/** The names V8 gives the zone `UTC` (its own mapping, ahead of ICU's); not `GMT`, which Node 22 calls `+00:00`. */
const UTC_NAMES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT']);

/**
 * The name Intl gives this process's own zone, where it can be known without Intl: ICU takes it
 * from `TZ` (`tz`, the process's), else from where /etc/localtime links into the database, and
 * spells it as Intl.supportedValuesOf lists it (~1.4 ms, against ~12 ms for Intl's first formatter).
 * Undefined wherever that is not certain (a name ICU would respell, no link): the caller asks Intl.
 */
export function localZoneName(tz: string | undefined): string | undefined {
  let candidate: string | undefined;
  if (tz !== undefined) candidate = tzNamed(tz);
  else {
    try {
      candidate = /\/zoneinfo\/(.+)$/.exec(readlinkSync('/etc/localtime'))?.[1];
    } catch {
      return undefined;
    }
  }
  if (candidate === undefined || candidate === '') return undefined;
  if (UTC_NAMES.has(candidate)) return 'UTC';
  return zoneOffsetReader(candidate) && Intl.supportedValuesOf('timeZone').includes(candidate) ? candidate : undefined;
}
