/**
 * One call's record from its stored events: a pure fold, the same for any order of arrival, any
 * re-delivery and any replay (docs/CALLS.md tells how each field is derived). It reads only the
 * spec's fields, the service's `*Utc` times, `EventTime`, `EventKey`, `ReceivedAt` and `HookType`,
 * and compares times as instants, not as text.
 */
import { SETTINGS } from '../config/settings';
import { type CallEventRecord, canonicalJson } from '../contract/call-event-record';
import { type Direction, HOOK_TYPE_INFO, type HookType } from '../contract/hook-types';
import { type CountryCode, customerNumber } from '../shared/phone';
import { isoSeconds } from '../shared/time';
// Types only: the schema module would bring zod into the projector's bundle.
import type { CallAttempt, CallOutcome, CallRecord } from './record';

/** The record as the fold makes it; the writer adds `Version`. */
export type FoldedCall = Omit<CallRecord, 'Version'>;

export interface FoldOptions {
  /** IANA zone of the record's `Day`. @default SETTINGS.timeZone.default ('Europe/Moscow') */
  timeZone?: string;
  /** Country of a phone number written without a country code. @default SETTINGS.defaultCountry.default ('RU') */
  defaultCountry?: CountryCode;
}

/** The fields the fold reads, each possibly absent whatever the contract says of its HookType. */
interface Stored {
  readonly record: CallEventRecord;
  readonly hookType: HookType;
  readonly eventKey: string;
  /** EventTime and ReceivedAt as instants (ms). */
  readonly at: number;
  readonly receivedAt: number;
  readonly text: (field: string) => string | undefined;
  readonly number: (field: string) => number | undefined;
  /** A `*Utc` field (or EventTime) as an instant, when it is there and parses. */
  readonly instant: (field: string) => number | undefined;
}

const TERMINAL: ReadonlySet<HookType> = new Set(['EndIncCall', 'MissedIncCall', 'EndOutCall']);

/** An End event's ResultCode → Outcome; a code not listed here is `failed`. */
export const OUTCOME_OF_RESULT_CODE: Readonly<Record<string, CallOutcome>> = {
  '200': 'answered',
  '304': 'missed',
  '486': 'busy',
  '603': 'declined',
  '603-S': 'cancelled',
};

function view(record: CallEventRecord): Stored {
  const fields = record as unknown as Record<string, unknown>;
  const text = (field: string) => {
    const value = fields[field];
    return typeof value === 'string' ? value : undefined;
  };
  const instant = (field: string) => {
    const value = text(field);
    if (value === undefined) return undefined;
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  };
  return {
    record,
    hookType: record.HookType,
    eventKey: record.EventKey,
    at: instant('EventTime') ?? Number.NaN,
    receivedAt: instant('ReceivedAt') ?? Number.NaN,
    text,
    number: (field) => {
      const value = fields[field];
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
    },
    instant,
  };
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** Ascending, a missing (NaN) instant last. */
const compareInstant = (a: number, b: number) =>
  Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : Number.isNaN(b) ? -1 : a - b;

/**
 * The one order everything is read in: EventTime, then EventKey (its lifecycle rank orders
 * same-second events), then ReceivedAt, then the whole item — a total order, so nothing
 * depends on the order the events were given in.
 */
function compareEvents(a: Stored, b: Stored): number {
  return (
    compareInstant(a.at, b.at) ||
    compareText(a.eventKey, b.eventKey) ||
    compareInstant(a.receivedAt, b.receivedAt) ||
    compareText(canonicalJson(a.record), canonicalJson(b.record))
  );
}

/** `2021-01-28T11:15:22Z`; milliseconds only when there are some. */

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The local date (`YYYY-MM-DD`) of an instant in an IANA zone. */
export function localDay(ms: number, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    dayFormats.set(timeZone, format);
  }
  const parts: Record<string, string> = {};
  for (const p of format.formatToParts(ms)) parts[p.type] = p.value;
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** The stored text of the latest instant among the values (ties: the smallest text). */
function latest(values: readonly (string | undefined)[]): string | undefined {
  let best: { ms: number; value: string } | undefined;
  for (const value of values) {
    if (value === undefined) continue;
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) continue;
    if (!best || ms > best.ms || (ms === best.ms && value < best.value)) best = { ms, value };
  }
  return best?.value;
}

/** The first value of a field: from a Create event if one has it, else from the earliest event. */
function identity(events: readonly Stored[], field: string): string | undefined {
  const isCreate = (e: Stored) => e.hookType === 'CreateIncCall' || e.hookType === 'CreateOutCall';
  for (const e of events) if (isCreate(e) && e.text(field) !== undefined) return e.text(field);
  for (const e of events) if (e.text(field) !== undefined) return e.text(field);
  return undefined;
}

/** An event's own time: its `<field>Utc`, else its EventTime. */
const timeOf = (e: Stored, field: 'StartTimeUtc' | 'StartDurationUtc' | 'EndTimeUtc') =>
  e.instant(field) ?? e.at;

function outcomeOf(terminal: Stored, direction: Direction): CallOutcome {
  if (terminal.hookType === 'MissedIncCall') return 'missed';
  const code = terminal.text('ResultCode');
  // Own keys only: a code such as "constructor" is a code like any other unknown one.
  if (code !== undefined)
    return Object.hasOwn(OUTCOME_OF_RESULT_CODE, code)
      ? (OUTCOME_OF_RESULT_CODE[code] as CallOutcome)
      : 'failed';
  if ((terminal.number('Duration') ?? 0) > 0) return 'answered';
  return direction === 'incoming' ? 'missed' : 'unanswered';
}

/**
 * Each AttemptIncCallBegin, in order, with what closed it: the first not yet used
 * AttemptIncCallEnd or ChangeIncCall of the same number that is not earlier than the begin.
 * With every event present that is the n-th begin of a number with its n-th end; an end
 * whose begin is missing is skipped rather than given to a later begin.
 */
function attempts(events: readonly Stored[]): CallAttempt[] {
  const closers = new Map<string, { e: Stored; at: number; used: boolean }[]>();
  for (const e of events) {
    if (e.hookType !== 'AttemptIncCallEnd' && e.hookType !== 'ChangeIncCall') continue;
    const called = e.text('Called') ?? '';
    const at = e.hookType === 'ChangeIncCall' ? timeOf(e, 'StartDurationUtc') : timeOf(e, 'EndTimeUtc');
    const list = closers.get(called) ?? [];
    list.push({ e, at, used: false });
    closers.set(called, list);
  }
  // Events are in EventTime order, and a closer's own time is its EventTime: lists are in time order.
  const result: CallAttempt[] = [];
  for (const e of events) {
    if (e.hookType !== 'AttemptIncCallBegin') continue;
    const employee = e.text('Called') ?? '';
    const began = timeOf(e, 'StartTimeUtc');
    const closer = closers.get(employee)?.find((c) => !c.used && !(c.at < began));
    const attempt: CallAttempt = { Employee: employee, BeganAt: isoSeconds(began), Answered: false };
    if (closer) {
      closer.used = true;
      attempt.EndedAt = isoSeconds(closer.at);
      attempt.Answered = closer.e.hookType === 'ChangeIncCall';
    }
    result.push(attempt);
  }
  return result;
}

/**
 * The call's record from its stored events (one SessionID; any subset, any order, any
 * duplicates). Throws only when there are no events or they belong to different calls.
 */
export function foldCall(records: readonly CallEventRecord[], options: FoldOptions = {}): FoldedCall {
  const timeZone = options.timeZone ?? SETTINGS.timeZone.default;
  const defaultCountry = options.defaultCountry ?? SETTINGS.defaultCountry.default;
  const first = records[0];
  if (first === undefined) throw new RangeError('A call needs at least one event');
  if (records.some((r) => r.SessionID !== first.SessionID)) {
    throw new RangeError('The events belong to more than one SessionID');
  }

  // Distinct events (one per EventKey: a stored item is unique by key), in the one order.
  const seen = new Set<string>();
  const events = records
    .map(view)
    .sort(compareEvents)
    .filter((e) => !seen.has(e.eventKey) && seen.add(e.eventKey));
  const create = events.find((e) => e.hookType === 'CreateIncCall' || e.hookType === 'CreateOutCall');
  const firstEvent = events[0] as Stored;
  const direction = HOOK_TYPE_INFO[(create ?? firstEvent).hookType].direction;
  // A re-sent End (e.g. with another code) is a distinct event: the latest by EventKey wins.
  const terminal = events
    .filter((e) => TERMINAL.has(e.hookType))
    .reduce<Stored | undefined>((last, e) => (!last || e.eventKey > last.eventKey ? e : last), undefined);

  const caller = identity(events, 'Caller');
  const called = identity(events, 'Called');
  const outside = direction === 'incoming' ? caller : called;

  const change = events.find((e) => e.hookType === 'ChangeIncCall');
  const outcome = terminal && outcomeOf(terminal, direction);
  const duration = terminal?.number('Duration') ?? 0;
  // An EndOutCall may carry no EndTime: it lasted at least its Duration from its StartTime.
  const endedAt =
    terminal &&
    (terminal.instant('EndTimeUtc') ?? (terminal.instant('StartTimeUtc') ?? terminal.at) + duration * 1000);
  const answered = terminal ? outcome === 'answered' : change !== undefined;
  let answeredAt: number | undefined;
  if (answered) {
    answeredAt =
      change && direction === 'incoming'
        ? timeOf(change, 'StartDurationUtc')
        : (endedAt as number) - duration * 1000;
  }

  // With no Create, the earliest time known, the derived answer time included (so that
  // StartedAt ≤ AnsweredAt ≤ EndedAt also for a call known only by its End event).
  let startedAt = create && timeOf(create, 'StartTimeUtc');
  if (startedAt === undefined) {
    startedAt = answeredAt ?? Number.POSITIVE_INFINITY;
    for (const e of events) {
      for (const t of [
        e.at,
        e.instant('StartTimeUtc'),
        e.instant('StartDurationUtc'),
        e.instant('EndTimeUtc'),
      ]) {
        if (t !== undefined && t < startedAt) startedAt = t;
      }
    }
  }

  const record: FoldedCall = {
    SessionID: first.SessionID,
    Direction: direction,
    CityNumber: identity(events, 'CityNumber') ?? '',
    Caller: caller ?? '',
    Status: terminal ? 'ended' : 'open',
    StartedAt: isoSeconds(startedAt),
    Attempts: attempts(events),
    Day: localDay(startedAt, timeZone),
    EventCount: events.length,
    LastEventAt: latest(events.map((e) => e.text('EventTime'))) ?? isoSeconds(startedAt),
    LastReceivedAt: latest(events.map((e) => e.text('ReceivedAt'))) ?? isoSeconds(startedAt),
  };
  if (called !== undefined) record.Called = called;
  if (outside !== undefined) record.CustomerNumber = customerNumber(outside, defaultCountry);
  const masked = identity(events, 'CustomerNumberMasked');
  if (masked !== undefined) record.CustomerNumberMasked = masked;
  if (terminal && endedAt !== undefined && outcome !== undefined) {
    record.Outcome = outcome;
    const code = terminal.text('ResultCode');
    const text = terminal.text('ResultText');
    if (code !== undefined) record.ResultCode = code;
    if (text !== undefined) record.ResultText = text;
    record.EndedAt = isoSeconds(endedAt);
    record.RingSeconds = Math.max(0, Math.round(((answeredAt ?? endedAt) - startedAt) / 1000));
    record.TalkSeconds = answered ? duration : 0;
  }
  if (answeredAt !== undefined) record.AnsweredAt = isoSeconds(answeredAt);
  const employee =
    direction === 'outgoing'
      ? caller
      : answered
        ? (change?.text('Called') ??
          (terminal?.hookType === 'EndIncCall' ? terminal.text('Called') : undefined))
        : undefined;
  if (employee !== undefined) record.Employee = employee;
  return record;
}
