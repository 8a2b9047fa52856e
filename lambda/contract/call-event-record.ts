/**
 * From a validated event to what is stored (a CallEvents item) and what is published (an
 * EventBridge detail): the EventKey, UTC times, direction and result text. Pure: no AWS SDK,
 * and no zod at run time, so the publish function's bundle carries none (their JSON Schemas
 * are in json-schemas.ts).
 */
import { createHash } from 'node:crypto';
import { HOOK_TYPE_INFO, type TimeField } from './hook-types';
import { isValidLocalTime, localTimeToUtcIso } from './local-time';
import { resultText } from './result-codes';
import type { CallEvent } from './schema';

const TIME_FIELDS: readonly TimeField[] = ['StartTime', 'StartDuration', 'EndTime'];

export type CallEventRecord = CallEvent & {
  EventKey: string;
  EventTime: string;
  Direction: 'incoming' | 'outgoing';
  ResultText?: string;
  ReceivedAt: string;
  StartTimeUtc?: string;
  StartDurationUtc?: string;
  EndTimeUtc?: string;
  RawBody: string;
  ExpiresAt?: number;
};

export type CallEventDetail = Omit<CallEventRecord, 'RawBody' | 'ExpiresAt'> & { EventId: string };

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
 * `<EventTime UTC>#<rank 2 digits>#<HookType>#<8 hex of SHA-256 of the canonical payload>`.
 * Time first, then lifecycle rank for same-second events; the digest tells distinct events
 * apart and makes an exact re-delivery collide.
 */
export function eventKey(event: CallEvent, eventTimeUtc: string): string {
  const rank = String(HOOK_TYPE_INFO[event.HookType].rank).padStart(2, '0');
  const digest = createHash('sha256').update(canonicalJson(event)).digest('hex').slice(0, 8);
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

const toIsoSeconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

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
    ReceivedAt: toIsoSeconds(options.receivedAt),
    RawBody: options.rawBody,
  };
  if (text !== undefined) record.ResultText = text;
  if (options.retentionDays !== undefined) {
    record.ExpiresAt = Math.floor(options.receivedAt.getTime() / 1000) + options.retentionDays * 86_400;
  }
  return record;
}

/** The EventBridge `detail` for a stored item: everything but the operational attributes. */
export function toCallEventDetail(record: CallEventRecord): CallEventDetail {
  const { RawBody: _raw, ExpiresAt: _ttl, ...detail } = record;
  return { ...detail, EventId: `${record.SessionID}/${record.EventKey}` };
}
