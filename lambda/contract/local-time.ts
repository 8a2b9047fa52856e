/**
 * The provider sends wall-clock times (`YYYY-MM-DD HH:mm:ss`) with no zone. These helpers
 * check that such a string names a real instant and convert it to UTC in a given IANA zone,
 * using only the runtime's Intl data (no time-zone library in the bundle).
 */
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

export const LOCAL_TIME_PATTERN = LOCAL_TIME.source;

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function fields(value: string): Fields | undefined {
  const m = LOCAL_TIME.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { year, month, day, hour, minute, second };
}

function wallClockMs(f: Fields): number {
  return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
}

/** True when the string has the provider's format and names a real calendar date and time. */
export function isValidLocalTime(value: string): boolean {
  const f = fields(value);
  if (!f || f.year < 1970 || f.hour > 23 || f.minute > 59 || f.second > 59) return false;
  const d = new Date(wallClockMs(f));
  return d.getUTCFullYear() === f.year && d.getUTCMonth() === f.month - 1 && d.getUTCDate() === f.day;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when the runtime knows this IANA zone name. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC, in ms, at the given instant. */
function offsetAt(instantMs: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instantMs)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const asWallClock = Date.UTC(
    parts.year ?? 0,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return asWallClock - Math.floor(instantMs / 1000) * 1000;
}

/**
 * Converts a provider time to UTC ISO-8601 (`2021-01-28T11:15:22Z`). A wall-clock time that
 * a daylight-saving change skips is read with the offset before the change (it moves
 * forward); one that occurs twice is read as the earlier instant.
 */
export function localTimeToUtcIso(value: string, timeZone: string): string {
  const f = fields(value);
  if (!f || !isValidLocalTime(value)) throw new RangeError(`Not a provider time: ${JSON.stringify(value)}`);
  const wall = wallClockMs(f);
  const before = offsetAt(wall - 86_400_000, timeZone);
  const after = offsetAt(wall + 86_400_000, timeZone);
  // Candidates: the wall-clock time read with the offset in force a day before, and a day
  // after; a candidate is real when the zone shows that wall-clock time at that instant.
  const candidates = [wall - before, wall - after].filter((t) => t + offsetAt(t, timeZone) === wall);
  const instant = candidates.length > 0 ? Math.min(...candidates) : wall - before;
  return new Date(instant).toISOString().replace('.000Z', 'Z');
}
