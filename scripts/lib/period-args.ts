/**
 * How every tool reads a period's `--from` and `--to`, so that one command line means the same
 * period to each: a date `YYYY-MM-DD` is a whole day in the stack's time zone (`--from` its
 * first instant, `--to` the first instant after it, so that the day is included), a time with a
 * zone (`Z` or an offset) is that instant (`--from` included, `--to` excluded). A time without a
 * zone is refused rather than read in some zone the reader did not choose.
 */
import { isLocalDate } from '../../lambda/calls';
import { localTimeToUtcIso } from '../../lambda/contract';
import { DAY_MS } from '../../lambda/shared/time';
import { UsageError } from './cli';

/** One bound as written: a local date, or an instant. */
export type PeriodBound =
  | { kind: 'date'; date: string; text: string }
  | { kind: 'instant'; at: Date; text: string };

/** A period as instants: `from` included, `to` excluded; either absent when not given. */
export interface Period {
  from?: Date;
  to?: Date;
}

/** The help section every tool with a period shows, so that the rule reads the same everywhere. */
export function periodHelp(zone: string, flags: readonly [string, string] = ['--from', '--to']): string {
  const [from, to] = flags;
  return [
    `  YYYY-MM-DD            a whole day: ${from} 2026-11-01 ${to} 2026-11-30 is all of November,`,
    `                        ${to}'s day included`,
    `  2026-11-30T12:00:00Z  that instant, or with an offset: 2026-11-30T15:00:00+03:00;`,
    `                        ${from} included, ${to} excluded`,
    `  Days are those of ${zone}.`,
    '  A time without a zone (2026-11-30T12:00:00) is refused: add Z or an offset.',
  ].join('\n');
}

const TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|z|[+-]\d{2}:?\d{2})?$/;

/** The days a period may name: the provider's times start in 1970, and the day after the last has four digits. */
const FIRST_DAY = '1970-01-01';
const LAST_DAY = '9999-12-30';
const outOfRange = (flag: string, date: string) =>
  new UsageError(`${flag}: ${date} is outside the days calls can have, ${FIRST_DAY} to ${LAST_DAY}`);

/** Reads one bound's syntax; a UsageError says what is wrong with it, naming the flag. */
export function parsePeriodBound(flag: string, text: string): PeriodBound {
  const trimmed = text.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) {
    if (!isLocalDate(trimmed)) throw new UsageError(`${flag}: there is no such day as ${trimmed}`);
    if (trimmed < FIRST_DAY || trimmed > LAST_DAY) throw outOfRange(flag, trimmed);
    return { kind: 'date', date: trimmed, text: trimmed };
  }
  const time = TIME.exec(trimmed);
  if (!time)
    throw new UsageError(
      `${flag}: not a date YYYY-MM-DD nor a time with a zone like 2026-11-30T12:00:00Z (got ${text})`,
    );
  const [, date, hh, mm, ss = '00', fraction = '', zone] = time as unknown as string[];
  if (zone === undefined)
    throw new UsageError(`${flag}: ${trimmed} has no time zone: add Z (UTC) or an offset such as +03:00`);
  if (!isLocalDate(date as string)) throw new UsageError(`${flag}: there is no such day as ${date}`);
  if ((date as string) < FIRST_DAY || (date as string) > LAST_DAY) throw outOfRange(flag, date as string);
  const offset = /^[+-]\d{4}$/.test(zone) ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone.toUpperCase();
  const ms = Date.parse(`${date}T${hh}:${mm}:${ss}${fraction.slice(0, 4)}${offset}`);
  if (Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 59 || Number.isNaN(ms))
    throw new UsageError(`${flag}: not a valid time (got ${text})`);
  return { kind: 'instant', at: new Date(ms), text: trimmed };
}

const nextDay = (date: string) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);

/** The instant a bound stands for: a date's first instant (`--from`) or the first after it (`--to`). */
export function boundInstant(bound: PeriodBound, side: 'from' | 'to', timeZone: string): Date {
  if (bound.kind === 'instant') return bound.at;
  const day = side === 'from' ? bound.date : nextDay(bound.date);
  // Through the contract's own reading of wall-clock times: a day with a DST change has 23 or 25 hours.
  return new Date(localTimeToUtcIso(`${day} 00:00:00`, timeZone));
}

/** The bounds as written, each checked alone; and, when both are of one kind, that the period is not empty. */
export interface PeriodArgs {
  from?: PeriodBound;
  to?: PeriodBound;
  /** The flags' names, for messages. */
  flags: readonly [string, string];
}

const empty = (args: PeriodArgs) =>
  new UsageError(
    `the period is empty: ${args.flags[1]} (${args.to?.text}) is not after ${args.flags[0]} (${args.from?.text})`,
  );

/**
 * Reads `--from` and `--to` (or the flags named), before anything else is known: a mistake in
 * them is a usage error even when the stack's time zone cannot be found yet.
 */
export function parsePeriodArgs(
  values: { from?: string | undefined; to?: string | undefined },
  options: { required?: boolean; flags?: readonly [string, string] } = {},
): PeriodArgs {
  const flags = options.flags ?? (['--from', '--to'] as const);
  if (options.required && (values.from === undefined || values.to === undefined))
    throw new UsageError(`${flags[0]} and ${flags[1]} are required`);
  const args: PeriodArgs = { flags };
  if (values.from !== undefined) args.from = parsePeriodBound(flags[0], values.from);
  if (values.to !== undefined) args.to = parsePeriodBound(flags[1], values.to);
  const { from, to } = args;
  if (from?.kind === 'date' && to?.kind === 'date' && to.date < from.date) throw empty(args);
  if (from?.kind === 'instant' && to?.kind === 'instant' && to.at <= from.at) throw empty(args);
  return args;
}

/** The period's instants in the stack's zone; a UsageError when it holds no instant at all. */
export function resolvePeriod(args: PeriodArgs, timeZone: string): Period {
  const period: Period = {};
  if (args.from) period.from = boundInstant(args.from, 'from', timeZone);
  if (args.to) period.to = boundInstant(args.to, 'to', timeZone);
  if (period.from && period.to && period.to <= period.from) throw empty(args);
  return period;
}

/** Reads and resolves a period whose two bounds are required. */
export function requiredPeriod(
  values: { from?: string | undefined; to?: string | undefined },
  timeZone: string,
): Required<Period> {
  return resolvePeriod(parsePeriodArgs(values, { required: true }), timeZone) as Required<Period>;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** The local date (`YYYY-MM-DD`) that a wall clock in `timeZone` shows at `instant`. */
export function localDateOf(instant: Date, timeZone: string): string {
  let format = dateFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    dateFormats.set(timeZone, format);
  }
  const part = (type: string) => format.formatToParts(instant).find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** The first and last local dates a period touches: what a read by the records' `Day` must cover. */
export function localDatesOf(period: Required<Period>, timeZone: string): { from: string; to: string } {
  return {
    from: localDateOf(period.from, timeZone),
    to: localDateOf(new Date(period.to.getTime() - 1), timeZone),
  };
}

/** Whether an ISO instant (a record's `StartedAt`, `EndedAt`) is in the period. */
export function inPeriod(iso: string | undefined, period: Period): boolean {
  if (iso === undefined) return false;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return false;
  return (!period.from || ms >= period.from.getTime()) && (!period.to || ms < period.to.getTime());
}

/**
 * An instant as the tables write theirs, whole seconds in UTC (`2026-11-30T12:00:00Z`), rounded
 * up: the stored times are whole seconds, so `>= from` and `< to` keep the same items.
 */
export function wholeSecondUtc(instant: Date): string {
  return new Date(Math.ceil(instant.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Both bounds are dates: the period is whole local days, and a title can say them as days. */
export const isWholeDays = (args: PeriodArgs): boolean =>
  args.from?.kind === 'date' && args.to?.kind === 'date';
