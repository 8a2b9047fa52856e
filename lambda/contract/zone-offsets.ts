/**
 * How far a time zone's wall clock is ahead of UTC at a given wall-clock time, from the runtime's
 * own ICU zone data: what turns the provider's zone-less times into instants. Read through V8's
 * `Date` with `TZ` set to the zone for one synchronous pass per year, not `Intl.DateTimeFormat`,
 * whose first use also loads ICU's locale data, the largest cost of the ingest's cold start
 * (docs/ARCHITECTURE.md, "Decisions"; a test compares both readers over every zone).
 */
const DAY_MS = 86_400_000;

/** IANA's own names: `Europe/Moscow`, `America/Argentina/Buenos_Aires`, `Etc/GMT-3`. */
const AREA_LOCATION = /^[A-Z][A-Za-z_-]*(?:\/[A-Za-z0-9_+-]+)+$/;

/**
 * The zone's offset (ms) for a wall-clock time held as if it were UTC (`Date.UTC` of its
 * fields, whole seconds): the instant is `wallMs - offset`. Where the clock skips or repeats
 * that time, the offset before the change.
 */
export type OffsetReader = (wallMs: number) => number;

/** One year of a zone's wall clock: `offsets[i]` holds from `starts[i]` (wall ms) until the next start. */
export interface YearOffsets {
  starts: number[];
  offsets: number[];
}

/** With `TZ` set to the zone: the offset V8 (that is, ICU) gives the wall-clock time. */
function dateOffset(wallMs: number): number {
  const w = new Date(wallMs);
  const instant = new Date(
    w.getUTCFullYear(),
    w.getUTCMonth(),
    w.getUTCDate(),
    w.getUTCHours(),
    w.getUTCMinutes(),
    w.getUTCSeconds(),
  ).getTime();
  return Math.floor(wallMs / 1000) * 1000 - instant;
}

/** Runs `read` with V8's local zone set to `timeZone`, and restores the process's own. */
function inZone<T>(timeZone: string, read: () => T): T {
  const env = process.env;
  const saved = env.TZ;
  env.TZ = timeZone;
  try {
    return read();
  } finally {
    if (saved === undefined) delete env.TZ;
    else env.TZ = saved;
  }
}

/**
 * The year's offsets (its wall-clock year, from 100 on): a probe a day, and where two probes
 * differ, a binary search for the second the offset changes (zones change offset on whole
 * seconds). Two changes within one day that cancel each other would go unseen; the tz
 * database has none from 1970 to 2040 (docs/BENCHMARKS.md: Date probed every 15 minutes of
 * wall-clock time in every zone gave the same offsets as these tables).
 */
export function readYear(timeZone: string, year: number): YearOffsets {
  const start = Date.UTC(year, 0, 1);
  const last = Date.UTC(year + 1, 0, 1) - 1000;
  return inZone(timeZone, () => {
    let offset = dateOffset(start);
    const starts = [start];
    const offsets = [offset];
    let t = start;
    while (t < last) {
      const probe = Math.min(t + DAY_MS, last);
      if (dateOffset(probe) === offset) {
        t = probe;
        continue;
      }
      let before = t;
      let after = probe;
      while (after - before > 1000) {
        const mid = before + Math.floor((after - before) / 2000) * 1000;
        if (dateOffset(mid) === offset) before = mid;
        else after = mid;
      }
      offset = dateOffset(after);
      starts.push(after);
      offsets.push(offset);
      t = after;
    }
    return { starts, offsets };
  });
}

function dateReader(timeZone: string, years: Map<number, YearOffsets>): OffsetReader {
  return (wallMs) => {
    const year = new Date(wallMs).getUTCFullYear();
    let table = years.get(year);
    if (!table) {
      table = readYear(timeZone, year);
      years.set(year, table);
    }
    let i = table.starts.length - 1;
    while (i > 0 && (table.starts[i] as number) > wallMs) i--;
    return table.offsets[i] as number;
  };
}

/** How a zone's wall-clock time is read back: numeric parts, 24-hour clock. */
export const ZONE_FORMAT: Intl.DateTimeFormatOptions = {
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
};

/**
 * The same offsets through Intl: the wall-clock time read with the offset in force a day
 * before and a day after; a candidate instant is real when the zone shows that wall-clock
 * time at it; the earlier real one, or, where the clock skips the time, the one read with
 * the offset before. Throws a RangeError for a zone Intl does not know.
 */
export function intlReader(timeZone: string): OffsetReader {
  const format = new Intl.DateTimeFormat('en-US', { ...ZONE_FORMAT, timeZone });
  const offsetAtInstant = (instantMs: number) => {
    const parts: Record<string, number> = {};
    for (const p of format.formatToParts(instantMs)) {
      if (p.type !== 'literal') parts[p.type] = Number(p.value);
    }
    const wall = new Date(0);
    wall.setUTCFullYear(parts.year ?? 0, (parts.month ?? 1) - 1, parts.day ?? 1);
    wall.setUTCHours(parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0, 0);
    return wall.getTime() - Math.floor(instantMs / 1000) * 1000;
  };
  return (wallMs) => {
    const before = offsetAtInstant(wallMs - DAY_MS);
    const after = offsetAtInstant(wallMs + DAY_MS);
    const real = [wallMs - before, wallMs - after].filter((t) => t + offsetAtInstant(t) === wallMs);
    return wallMs - (real.length > 0 ? Math.min(...real) : wallMs - before);
  };
}

let dateFollowsTz: boolean | undefined;

/** Whether setting `TZ` here reaches V8's Date: two fixed zones must read as themselves. */
function dateFollowsTzHere(): boolean {
  dateFollowsTz ??=
    inZone('Etc/GMT-14', () => dateOffset(DAY_MS)) === 14 * 3_600_000 &&
    inZone('Etc/GMT+12', () => dateOffset(DAY_MS)) === -12 * 3_600_000;
  return dateFollowsTz;
}

/**
 * The zone's current UTC year as Date reads it, when Date can be trusted with the zone: an
 * IANA name, and some offset other than 0 in that year.
 */
function yearsFromDate(timeZone: string): Map<number, YearOffsets> | undefined {
  if (!AREA_LOCATION.test(timeZone) || !dateFollowsTzHere()) return undefined;
  const year = new Date().getUTCFullYear();
  const table = readYear(timeZone, year);
  return table.offsets.some((offset) => offset !== 0) ? new Map([[year, table]]) : undefined;
}

export type OffsetSource = 'date' | 'intl';

const readers = new Map<string, { source: OffsetSource; read: OffsetReader }>();

/**
 * `Date` answers with the offset ICU gives that wall-clock time, uncached, the earlier one where
 * the clock skips or repeats (the rule of local-time.ts); Date's own UTC-to-local direction is not
 * used, since V8 caches it on the assumption that offsets last weeks. Intl stays the reader, built
 * lazily, where `Date` cannot be trusted to answer for the zone:
 * - a process where setting `TZ` does not reach V8 (a sandbox with its own `process.env`);
 * - a name that is not an IANA `Area/Location` (`UTC`, `EST5EDT`, a custom `GMT+3`…): ICU
 *   resolves the process's zone from such names through libc as well, unlike Intl;
 * - a zone whose offset is 0 all the year it was checked on: an unknown name reads as UTC under
 *   `Date`, so only Intl can tell a real zero-offset zone from a typo.
 */
function readerOf(timeZone: string): { source: OffsetSource; read: OffsetReader } {
  let reader = readers.get(timeZone);
  if (!reader) {
    const years = yearsFromDate(timeZone);
    reader = years
      ? { source: 'date', read: dateReader(timeZone, years) }
      : { source: 'intl', read: intlReader(timeZone) };
    readers.set(timeZone, reader);
  }
  return reader;
}

/** The zone's reader; a RangeError for a zone the runtime does not know. */
export function zoneReader(timeZone: string): OffsetReader {
  return readerOf(timeZone).read;
}

/** True when the runtime knows this IANA zone name (the names Intl.DateTimeFormat accepts). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    readerOf(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Which reader answers for the zone in this process (for tests and the benchmark). */
export function offsetSource(timeZone: string): OffsetSource {
  return readerOf(timeZone).source;
}
