import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeInstant, isTimeZone, namedZone } from '../src/domain/time.js';
import { UsageError } from '../src/errors/failures.js';
import { grouped } from '../src/output/text.js';
import { databaseCurrent, localZoneName, parsePosixRule, parseTzif, posixRuleOffset, zoneOffsetReader } from '../src/lib/zoneinfo.js';

// lib/zoneinfo.ts reads zone offsets from the system's database instead of asking Intl (whose first
// use costs ~12 ms). It must give the database's own answers (as zdump reads them), which are
// Intl's wherever ICU's copy has the same rules (a newer tzdata than Node's ICU differs where the
// rules changed between the two releases); .ci/run installs Debian's tzdata, a full database.

const DATABASE = '/usr/share/zoneinfo';
const DAY = 86_400_000;

function intlFormatter(zone: string): Intl.DateTimeFormat | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  } catch {
    return undefined;
  }
}

/** Intl's offset (milliseconds east) of `zone` at `instant`, whole seconds. */
function intlOffset(formatter: Intl.DateTimeFormat, instant: number): number {
  const parts = formatter.formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - Math.floor(instant / 1000) * 1000;
}

function zoneFiles(dir = DATABASE): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return ['posix', 'right'].includes(name) && dir === DATABASE ? [] : zoneFiles(path);
    return [relative(DATABASE, path)];
  });
}

/** This database's release, as its tzdata.zi names it. */
const RELEASE = /# version (\S+)/.exec(readFileSync(join(DATABASE, 'tzdata.zi'), 'latin1').slice(0, 64))?.[1];
/** Whether amps reads this database at all under this Node: not when it is a year or more behind Node's own data. */
const READ = databaseCurrent(RELEASE, process.versions.tz);

describe('which database answers', () => {
  it('the system\'s, unless it is a year or more behind the release of Node\'s own data (then Intl)', () => {
    expect(databaseCurrent('2025b', '2026c')).toBe(false);
    expect(databaseCurrent('2024a', '2025c')).toBe(false);
    for (const [database, intl] of [['2025b', '2025c'], ['2026a', '2025c'], [undefined, '2026c'], ['2025b', undefined]] as const) expect(databaseCurrent(database, intl), `${database} ${intl}`).toBe(true);
    // As it is here: a database behind by a year answers for no zone, and Intl does.
    if (!READ) for (const zone of ['Europe/London', 'America/New_York', 'UTC']) expect(zoneOffsetReader(zone), zone).toBeUndefined();
  });
});

/**
 * The database's own account of each zone's changes from `from` to `to` (years): zdump (libc-bin,
 * on every Debian), which reads the same files with the C library's code. For each change it gives
 * the last second before and the first after, each as [instant in ms, offset in ms east].
 */
function zdumpChanges(zones: string[], from: number, to: number): Map<string, Array<[number, number]>> {
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const changes = new Map<string, Array<[number, number]>>(zones.map((zone) => [zone, []]));
  for (let i = 0; i < zones.length; i += 100) {
    const text = execFileSync('zdump', ['-v', '-c', `${from},${to}`, ...zones.slice(i, i + 100)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    for (const line of text.split('\n')) {
      const match = /^(\S+)\s+\w{3} (\w{3})\s+(\d+) (\d\d):(\d\d):(\d\d) (-?\d+) UT = .* gmtoff=(-?\d+)$/.exec(line);
      if (!match) continue;
      const [, zone, month, day, h, m, sec, year, gmtoff] = match;
      changes.get(zone)?.push([Date.UTC(Number(year), MONTHS.indexOf(month), Number(day), Number(h), Number(m), Number(sec)), Number(gmtoff) * 1000]);
    }
  }
  return changes;
}

/** The offset at `instant` by zdump's changes; undefined for a zone with none in its range (its offset never changes there). */
function offsetByChanges(changes: Array<[number, number]>, instant: number): number | undefined {
  if (changes.length === 0) return undefined;
  // The last change at or before the instant (a binary search: 400 zones, 1,000 instants each).
  let [low, high] = [0, changes.length];
  while (low < high) {
    const mid = (low + high) >> 1;
    if (changes[mid][0] <= instant) low = mid + 1;
    else high = mid;
  }
  return changes[Math.max(0, low - 1)][1];
}

/** Intl's data is ICU's copy of a release; where it is the database's own, the two agree everywhere. */
const SAME_RELEASE = RELEASE !== undefined && RELEASE === process.versions.tz;

describe(`zone offsets from the system database (${RELEASE}, Intl's ${process.versions.tz})`, () => {
  it.skipIf(!READ)('agree with the database itself (zdump) for every zone, monthly from 2000 to 2080, and with Intl wherever Intl has the same rules', () => {
    const zones: string[] = [];
    for (const zone of zoneFiles()) {
      const formatter = intlFormatter(zone);
      const reader = zoneOffsetReader(zone);
      if (!formatter) {
        expect(reader, `${zone}: Intl refuses it, so must amps`).toBeUndefined();
        continue;
      }
      expect(reader, `${zone}: a zone Intl knows, with a file`).toBeDefined();
      zones.push(zone);
    }
    expect(zones.length).toBeGreaterThan(300);
    const changes = zdumpChanges(zones, 2000, 2080);
    const fromDatabase: string[] = [];
    const fromIntl: string[] = [];
    for (const zone of zones) {
      const reader = zoneOffsetReader(zone)!;
      const formatter = intlFormatter(zone)!;
      const zoneChanges = changes.get(zone)!;
      // Not from 1970: the database here and ICU's disagree on some 1970s history (WET, EET,
      // America/Tijuana), and amps handles times within a year of now.
      for (let instant = Date.UTC(2000, 0, 1); instant < Date.UTC(2080, 0, 1); instant += 29 * DAY + 7 * 3_600_000) {
        const intl = intlOffset(formatter, instant);
        // A zone with no change in the range keeps one offset: Intl's, unless a release gave or took its daylight time.
        const database = offsetByChanges(zoneChanges, instant) ?? intl;
        if (reader(instant) !== database) fromDatabase.push(`${zone} ${new Date(instant).toISOString()}`);
        if (reader(instant) !== intl) fromIntl.push(`${zone} ${new Date(instant).toISOString()}`);
      }
    }
    expect(fromDatabase).toEqual([]);
    // A newer database differs from ICU's older copy where the rules changed between the two
    // releases (Casablanca's, Havana's): there amps follows the database, as the C library does.
    if (SAME_RELEASE) expect(fromIntl).toEqual([]);
  }, 60_000);

  it.skipIf(!READ)('change at the same second as the database says, whatever the rule (and as Intl, with the same rules)', () => {
    // Both hemispheres, half-hour and two-hour changes, negative daylight time (Dublin), changes at
    // midnight (Havana) and at 24:00 or later, explicit transitions only (Casablanca), none at all.
    const zones = ['Europe/London', 'America/New_York', 'Australia/Sydney', 'Australia/Lord_Howe', 'America/Santiago', 'Pacific/Auckland', 'Pacific/Chatham',
      'Europe/Dublin', 'America/Havana', 'Africa/Casablanca', 'Antarctica/Troll', 'America/St_Johns', 'Asia/Gaza', 'America/Asuncion', 'Europe/Chisinau',
      'America/Nuuk', 'Asia/Kolkata', 'Asia/Tehran', 'Etc/GMT+5', 'UTC'];
    const changes = zdumpChanges(zones, 2024, 2046);
    let seen = 0;
    for (const zone of zones) {
      const reader = zoneOffsetReader(zone)!;
      const formatter = intlFormatter(zone)!;
      expect(reader, zone).toBeDefined();
      // zdump gives each change as its last second before and its first second after.
      for (const [at, offset] of changes.get(zone)!) {
        seen++;
        expect(reader(at), `${zone} ${new Date(at).toISOString()}`).toBe(offset);
        if (SAME_RELEASE) expect(intlOffset(formatter, at), `${zone} ${new Date(at).toISOString()} (Intl)`).toBe(offset);
      }
    }
    expect(seen).toBeGreaterThan(600);
  });

  it('answers nothing for what is not a zone, and Intl still decides', () => {
    for (const name of ['Factory', 'posixrules', 'posix/Europe/London', 'right/UTC', '../../etc/passwd', '/etc/passwd', 'Europe/../Europe/London', 'Mars/Olympus_Mons', 'zone.tab', 'Europe', '']) {
      expect(zoneOffsetReader(name), name).toBeUndefined();
    }
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isTimeZone('Factory')).toBe(false);
    expect(zoneOffsetReader('FACTORY')).toBeUndefined();
    expect(zoneOffsetReader('Posix/Europe/London')).toBeUndefined();
    // A zone the operator types is Intl's to accept and to spell: it is printed and sent.
    expect(() => namedZone('Factory', {})).toThrow(UsageError);
    expect(() => namedZone(undefined, { AMPS_TZ: 'Mars/Olympus_Mons' })).toThrow("AMPS_TZ 'Mars/Olympus_Mons' is not a time zone");
    expect(namedZone('europe/london', {})).toEqual({ name: 'Europe/London', source: '--tz' });
    // ICU's older aliases are not put in the place of the name typed as the database spells it.
    for (const zone of ['Asia/Kolkata', 'Europe/Kyiv', 'Pacific/Kanton', 'EST5EDT']) expect(namedZone(zone, {})?.name).toBe(zone);
    expect(namedZone('utc', {})?.name).toBe('UTC');
    // Given but empty is no zone, not "unset": times would be read on another clock.
    expect(() => namedZone(undefined, { AMPS_TZ: '' })).toThrow('AMPS_TZ is set but empty');
    expect(() => namedZone(undefined, { AMPS_TZ: ' ' })).toThrow('AMPS_TZ is set but empty');
    // In another case, such a name is spelt as the database spells it, never ICU's alias nor as typed.
    for (const [typed, spelt] of [['ASIA/KOLKATA', 'Asia/Kolkata'], ['asia/kolkata', 'Asia/Kolkata'], ['america/argentina/buenos_aires', 'America/Argentina/Buenos_Aires'], ['asia/ho_chi_minh', 'Asia/Ho_Chi_Minh'], ['EUROPE/KYIV', 'Europe/Kyiv'], ['Asia/KOLKATA', 'Asia/Kolkata'], ['us/eastern', 'US/Eastern'], ['america/knox_in', 'America/Knox_IN'], ['est5edt', 'EST5EDT']]) {
      expect(namedZone(undefined, { AMPS_TZ: typed })?.name, typed).toBe(spelt);
    }
    // A name ICU knows that this database has no file for (an old alias): Intl answers.
    const alias = ['Asia/Calcutta', 'Europe/Kiev', 'America/Buenos_Aires'].find((zone) => intlFormatter(zone) && !zoneOffsetReader(zone));
    if (alias) {
      expect(isTimeZone(alias)).toBe(true);
      expect(describeInstant(Date.UTC(2026, 6, 1, 12), 'Asia/Kolkata').slice(0, 16)).toBe('2026-07-01 17:30');
      expect(describeInstant(Date.UTC(2026, 6, 1, 12), alias)).toMatch(/^2026-07-01 \d\d:\d\d /);
    }
  });

  it('refuses damaged files and footers it cannot read, so that Intl answers instead', () => {
    /** A version 1 TZif file: transitions (seconds), each one's type, the types' offsets (seconds east). */
    const tzif = (transitions: number[], types: number[], offsets: number[]) => {
      const header = Buffer.alloc(44);
      header.write('TZif', 0, 'latin1');
      [0, 0, 0, transitions.length, offsets.length, 4].forEach((count, i) => header.writeUInt32BE(count, 20 + i * 4));
      const body = Buffer.alloc(transitions.length * 5 + offsets.length * 6 + 4);
      transitions.forEach((time, i) => body.writeInt32BE(time, i * 4));
      types.forEach((type, i) => body.writeUInt8(type, transitions.length * 4 + i));
      offsets.forEach((offset, i) => body.writeInt32BE(offset, transitions.length * 5 + i * 6));
      return Buffer.concat([header, body]);
    };
    expect(parseTzif(tzif([0, 1000], [0, 1], [3600, 7200]))!(2_000_000)).toBe(7_200_000);
    expect(parseTzif(tzif([0, 1000], [0, 1], [3600, 99 * 3600]))).toBeUndefined();
    expect(parseTzif(tzif([1000, 0], [0, 1], [3600, 7200]))).toBeUndefined();
    expect(parseTzif(tzif([0, 1000], [0, 2], [3600, 7200]))).toBeUndefined();
    expect(parseTzif(new Uint8Array(0))).toBeUndefined();
    expect(parseTzif(Buffer.from('TZif2'.padEnd(60, '\0')))).toBeUndefined();
    expect(parseTzif(Buffer.from('not a zone file at all, not even close to one; not at all'))).toBeUndefined();
    for (const rule of ['', 'EST', 'EST99', 'EST5EDT', 'EST5EDT,M3.2.0', 'EST5EDT,M13.2.0,M11.1.0', 'EST5EDT,M3.6.0,M11.1.0', 'EST5EDT,J0,J365', 'EST5EDT,M3.2.0/2:99x,M11.1.0']) {
      expect(parsePosixRule(rule), rule).toBeUndefined();
    }
  });

  it('reads the footer rules TZif files carry', () => {
    const at = (rule: string, iso: string) => posixRuleOffset(parsePosixRule(rule)!, Date.parse(iso) / 1000) / 3600;
    expect(at('GMT0BST,M3.5.0/1,M10.5.0', '2030-07-01T00:00:00Z')).toBe(1);
    expect(at('GMT0BST,M3.5.0/1,M10.5.0', '2030-01-01T00:00:00Z')).toBe(0);
    // Dublin: winter is the daylight (negative) time.
    expect(at('IST-1GMT0,M10.5.0,M3.5.0/1', '2030-07-01T00:00:00Z')).toBe(1);
    expect(at('IST-1GMT0,M10.5.0,M3.5.0/1', '2030-01-01T00:00:00Z')).toBe(0);
    // Southern hemisphere, half-hour daylight time.
    expect(at('<+1030>-10:30<+11>-11,M10.1.0,M4.1.0', '2030-01-01T00:00:00Z')).toBe(11);
    expect(at('<+1030>-10:30<+11>-11,M10.1.0,M4.1.0', '2030-07-01T00:00:00Z')).toBe(10.5);
    // Daylight time all year; Julian days; no daylight time.
    expect(at('EST5EDT,0/0,J365/25', '2030-07-01T00:00:00Z')).toBe(-4);
    expect(at('EST5EDT,0/0,J365/25', '2030-12-31T23:00:00Z')).toBe(-4);
    expect(at('<-03>3', '2030-07-01T00:00:00Z')).toBe(-3);
  });
});

describe("the process's own zone without Intl", () => {
  it('is the name Intl gives it, whatever TZ says, or nothing (and Intl answers)', () => {
    const saved = process.env.TZ;
    const answered: string[] = [];
    try {
      for (const tz of [undefined, 'Europe/London', ':Europe/Paris', 'Asia/Kolkata', 'Asia/Calcutta', 'UTC', 'Etc/UTC', 'GMT', 'Etc/GMT', 'EST5EDT', 'US/Eastern', 'America/Argentina/Buenos_Aires', 'garbage', '', 'utc']) {
        // Node resets ICU's idea of the process's zone when TZ changes.
        if (tz === undefined) delete process.env.TZ;
        else process.env.TZ = tz;
        const fast = localZoneName(tz);
        if (fast === undefined) continue;
        expect(fast, `TZ=${tz}`).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
        answered.push(String(tz));
      }
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
    // Without the database (a year or more behind Node's data) only UTC's names are answered fast.
    expect(answered).toEqual(expect.arrayContaining(READ ? ['Europe/London', ':Europe/Paris', 'UTC', 'Etc/UTC'] : ['UTC', 'Etc/UTC']));
  });
});

describe('counts in reports', () => {
  it('group thousands as toLocaleString("en") does, without Intl', () => {
    for (const n of [0, 7, 999, 1000, 12_345, 999_999, 1_000_000, 123_456_789]) expect(grouped(n), String(n)).toBe(n.toLocaleString('en'));
  });
});
