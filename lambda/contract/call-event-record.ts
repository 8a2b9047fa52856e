/**
 * From a validated event to what is stored (a CallEvents item) and what is published (an
 * EventBridge detail): the EventKey, UTC times, direction and result text. Pure: no AWS SDK,
 * and no zod at run time, so the publish function's bundle carries none (their JSON Schemas
 * are in json-schemas.ts).
 */
import { createHash } from 'node:crypto';
import { HOOK_TYPE_INFO, SPEC_FIELDS, type TimeField } from './hook-types';
import { isValidLocalTime, localTimeToUtcIso } from './local-time';
import { resultText } from './result-codes';
import { expiresAt } from './runtime-config';
import type { CallEvent } from './schema';
import type { PublishedAttributes, StoredAttributes } from './service-attributes';

const TIME_FIELDS: readonly TimeField[] = ['StartTime', 'StartDuration', 'EndTime'];

/** A CallEvents item: the event as the contract normalised it, and the service's attributes. */
export type CallEventRecord = CallEvent & StoredAttributes;

/** A published event's `detail`: the event and the service's attributes meant for consumers. */
export type CallEventDetail = CallEvent & PublishedAttributes;

/** JSON with object keys sorted at every level, so equal payloads give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The event's own time field, as sent (e.g. EndTime for EndIncCall, StartTime if EndOutCall has none). */
export function eventLocalTime(event: CallEvent): string {
  const from = HOOK_TYPE_INFO[event.HookType].eventTimeFrom;
  const fields = event as Partial<Record<TimeField, string>>;
  for (const field of from) {
    const value = fields[field];
    if (value !== undefined) return value;
  }
  // The schema requires at least one of these fields for every HookType.
  throw new Error(`${event.HookType} has none of ${from.join(', ')}`);
}

/**
 * What identifies an event: its spec fields as the contract normalised them (a `null` optional
 * field is already absent, `Duration` a number, `ResultCode` a string). Fields the spec does not
 * define (a delivery counter, a time of sending) are left out, so a re-send that differs only in
 * them is the same event.
 */
export function eventIdentity(event: CallEvent): Record<string, unknown> {
  const identity: Record<string, unknown> = {};
  const fields = event as Record<string, unknown>;
  for (const field of SPEC_FIELDS[event.HookType]) {
    if (Object.hasOwn(fields, field) && fields[field] !== undefined) identity[field] = fields[field];
  }
  return identity;
}

/**
 * `<EventTime UTC>#<rank 2 digits>#<HookType>#<8 hex of SHA-256 of the canonical identity>`.
 * Time first, then lifecycle rank for same-second events; the digest tells distinct events
 * apart and makes a re-delivery collide (eventIdentity).
 */
export function eventKey(event: CallEvent, eventTimeUtc: string): string {
  const rank = String(HOOK_TYPE_INFO[event.HookType].rank).padStart(2, '0');
  const digest = createHash('sha256')
    .update(canonicalJson(eventIdentity(event)))
    .digest('hex')
    .slice(0, 8);
  return `${eventTimeUtc}#${rank}#${event.HookType}#${digest}`;
}

export interface RecordOptions {
  /** IANA zone the provider's wall-clock times are read in. */
  timeZone: string;
  receivedAt: Date;
  rawBody: string;
  /** Days to keep the event; absent keeps it for ever. */
  retentionDays?: number;
}

/** The CallEvents item for a validated event. */
export function toCallEventRecord(event: CallEvent, options: RecordOptions): CallEventRecord {
  const utc: Partial<Record<`${TimeField}Utc`, string>> = {};
  const fields = event as Partial<Record<TimeField, unknown>>;
  const eventLocal = eventLocalTime(event);
  // The event's own time is one of its time fields: converted once (each conversion asks Intl
  // for the zone's offset several times, the larger part of building a record).
  let eventTime: string | undefined;
  for (const field of TIME_FIELDS) {
    const value = fields[field];
    // A time field the HookType does not define is an unknown field, kept as sent and not
    // validated (e.g. `StartTime: ""` on ChangeIncCall): only a real time gets its UTC twin.
    if (typeof value === 'string' && isValidLocalTime(value)) {
      const iso = localTimeToUtcIso(value, options.timeZone);
      utc[`${field}Utc`] = iso;
      if (value === eventLocal) eventTime = iso;
    }
  }
  eventTime ??= localTimeToUtcIso(eventLocal, options.timeZone);
  const code = (event as { ResultCode?: unknown }).ResultCode;
  const text = resultText(typeof code === 'string' ? code : undefined);
  const record: CallEventRecord = {
    ...event,
    ...utc,
    EventKey: eventKey(event, eventTime),
    EventTime: eventTime,
    Direction: HOOK_TYPE_INFO[event.HookType].direction,
    ReceivedAt: options.receivedAt.toISOString(),
    RawBody: options.rawBody,
  };
  if (text !== undefined) record.ResultText = text;
  if (options.retentionDays !== undefined) {
    record.ExpiresAt = expiresAt(options.receivedAt, options.retentionDays);
  }
  return record;
}

/** What a timeline needs of a stored event; read defensively, any field may be missing. */
export interface TimelineEntry {
  EventTime?: unknown;
  HookType?: unknown;
  ReceivedAt?: unknown;
  EventKey?: unknown;
}

/** A time in ms, or +Infinity when missing or unreadable (such items go last, deterministically). */
function timeOf(value: unknown): number {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

const compare = <T extends number | string>(p: T, q: T) => (p < q ? -1 : p > q ? 1 : 0);

/** The ringing phase shares one rank in a timeline: the lowest of its HookTypes'. */
const RINGING_RANK = Math.min(
  ...Object.values(HOOK_TYPE_INFO)
    .filter((info) => info.orderedByArrival)
    .map((info) => info.rank),
);

function timelineKey(entry: TimelineEntry) {
  const hookType = typeof entry.HookType === 'string' ? entry.HookType : '';
  const info = Object.hasOwn(HOOK_TYPE_INFO, hookType)
    ? HOOK_TYPE_INFO[hookType as keyof typeof HOOK_TYPE_INFO]
    : undefined;
  const ringing = info?.orderedByArrival === true;
  const time = timeOf(entry.EventTime);
  return {
    second: Number.isFinite(time) ? Math.floor(time / 1000) : time,
    rank: ringing ? RINGING_RANK : (info?.rank ?? Number.POSITIVE_INFINITY),
    arrival: ringing ? timeOf(entry.ReceivedAt) : 0,
    eventKey: typeof entry.EventKey === 'string' ? entry.EventKey : '',
  };
}

/**
 * The order of a call's events in a timeline. By EventTime; within one second, by lifecycle
 * rank, except that the ringing phase (AttemptIncCallBegin, ChangeIncCall, AttemptIncCallEnd)
 * counts as one rank ordered by arrival (ReceivedAt): in sequential ringing one employee's
 * attempt ends and the next one's begins in the same second, which the fixed ranks would show
 * the wrong way round. Then by EventKey, so that the order is total and the same on every
 * read. The EventKey itself stays deterministic (it cannot hold the arrival, or a re-delivery
 * would not collide), so a Query's order is the lifecycle order.
 */
export function compareTimeline(a: TimelineEntry, b: TimelineEntry): number {
  const x = timelineKey(a);
  const y = timelineKey(b);
  return (
    compare(x.second, y.second) ||
    compare(x.rank, y.rank) ||
    compare(x.arrival, y.arrival) ||
    compare(x.eventKey, y.eventKey)
  );
}

/**
 * The EventBridge `detail` for a stored item: everything but the stored-only attributes (named
 * here rather than read from service-attributes.ts, which would bring zod into the publisher).
 */
export function toCallEventDetail(record: CallEventRecord): CallEventDetail {
  const { RawBody: _raw, ExpiresAt: _ttl, ...detail } = record;
  return { ...detail, EventId: `${record.SessionID}/${record.EventKey}` };
}
