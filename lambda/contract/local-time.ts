/**
 * The provider sends wall-clock times (`YYYY-MM-DD HH:mm:ss`) with no zone. These helpers
 * check that such a string names a real instant and convert it to UTC in a given IANA zone,
 * using only the runtime's own ICU time-zone data (zone-offsets.ts; no time-zone library in
 * the bundle).
 */
import { isoSeconds } from '../shared/time';
import { type OffsetReader, zoneReader } from './zone-offsets';

export { isValidTimeZone, ZONE_FORMAT } from './zone-offsets';

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

/** The number written by the `length` ASCII digits at `from`, or -1 if any is not a digit. */
function digitsAt(value: string, from: number, length: number): number {
  let n = 0;
  for (let i = from; i < from + length; i++) {
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number);
}

/**
 * True when the string has the provider's format and names a real calendar date and time.
 * Every time field of every event goes through this (twice on ingest), so it reads the
 * fixed-width format character by character instead of a RegExp match and a Date: faster,
 * with the same answers (LOCAL_TIME's digits, the Gregorian calendar).
 */
export function isValidLocalTime(value: string): boolean {
  if (
    value.length !== 19 ||
    value.charCodeAt(4) !== 45 || // -
    value.charCodeAt(7) !== 45 ||
    value.charCodeAt(10) !== 32 || // space
    value.charCodeAt(13) !== 58 || // :
    value.charCodeAt(16) !== 58
  ) {
    return false;
  }
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  const hour = digitsAt(value, 11, 2);
  const minute = digitsAt(value, 14, 2);
  const second = digitsAt(value, 17, 2);
  return (
    year >= 1970 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour >= 0 &&
    hour <= 23 &&
    minute >= 0 &&
    minute <= 59 &&
    second >= 0 &&
    second <= 59
  );
}

/**
 * Converts a provider time to UTC ISO-8601 (`2021-01-28T11:15:22Z`). A wall-clock time that
 * a daylight-saving change skips is read with the offset before the change (it moves
 * forward); one that occurs twice is read as the earlier instant. `offsets` is the zone's
 * reader, given only to compare one reader with another.
 */
export function localTimeToUtcIso(
  value: string,
  timeZone: string,
  offsets: OffsetReader = zoneReader(timeZone),
): string {
  const f = fields(value);
  if (!f || !isValidLocalTime(value)) throw new RangeError(`Not a provider time: ${JSON.stringify(value)}`);
  const wall = wallClockMs(f);
  return isoSeconds(wall - offsets(wall));
}
