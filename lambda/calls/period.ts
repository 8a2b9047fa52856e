/**
 * Local days as UTC ranges: a call's `Day` is the local date of its start in the configured zone,
 * so the calls of a period are those whose `StartedAt` is within the period's UTC range. Read
 * through the contract's own reading of wall-clock times, so a day with a daylight-saving change
 * has 23 or 25 hours.
 */
import { localTimeToUtcIso } from '../contract/local-time';
import { DAY_MS } from '../shared/time';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A real calendar date written `YYYY-MM-DD`. */
export function isLocalDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().startsWith(value);
}

/** The dates `from`..`to` (`YYYY-MM-DD`, both included). */
export function datesOf(from: string, to: string): string[] {
  const dates: string[] = [];
  for (let ms = Date.parse(`${from}T00:00:00Z`); ms <= Date.parse(`${to}T00:00:00Z`); ms += DAY_MS)
    dates.push(new Date(ms).toISOString().slice(0, 10));
  return dates;
}

/** A period as UTC instants: `from` its first second, `to` the first second after it (exclusive). */
export interface UtcRange {
  from: string;
  to: string;
}

/**
 * The UTC [from, to) of the local dates `from`..`to` (both included) in `timeZone`. Throws a
 * RangeError naming the problem for a malformed date or a period that ends before it starts.
 */
export function localPeriod(from: string, to: string, timeZone: string): UtcRange {
  for (const date of [from, to])
    if (!isLocalDate(date)) throw new RangeError(`Not a date: ${JSON.stringify(date)} (use YYYY-MM-DD)`);
  if (to < from) throw new RangeError(`The period ends (${to}) before it starts (${from})`);
  const dayAfter = new Date(Date.parse(`${to}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
  return {
    from: localTimeToUtcIso(`${from} 00:00:00`, timeZone),
    to: localTimeToUtcIso(`${dayAfter} 00:00:00`, timeZone),
  };
}
