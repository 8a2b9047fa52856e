/**
 * From a validated event to what is stored (a CallEvents item) and what is published (an
 * EventBridge detail): the EventKey, UTC times, direction and result text. Pure: no AWS SDK,
 * and no zod at run time, so the publish function's bundle carries none (their JSON Schemas
 * are in json-schemas.ts).
 */
import { createHash } from 'node:crypto';
import { expiresAt } from '../config/tables';
import { HOOK_TYPE_INFO, SPEC_FIELDS, type TimeField } from './hook-types';
import { isValidLocalTime, localTimeToUtcIso } from './local-time';
import { resultText } from './result-codes';
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
  /** Pseudonymous mode: the customer's number masked for people (`+7 916 ***-**-67`). */
  customerNumberMasked?: string;
}

/** The CallEvents item for a validated event. */
export function toCallEventRecord(event: CallEvent, options: RecordOptions): CallEventRecord {
  const utc: Partial<Record<`${TimeField}Utc`, string>> = {};
  const fields = event as Partial<Record<TimeField, unknown>>;
  const eventLocal = eventLocalTime(event);
  // The event's own time is one of its time fields: converted once, not again for EventTime.
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
  if (options.customerNumberMasked !== undefined) record.CustomerNumberMasked = options.customerNumberMasked;
  if (options.retentionDays !== undefined) {
    record.ExpiresAt = expiresAt(options.receivedAt, options.retentionDays);
  }
  return record;
}

/**
 * The EventBridge `detail` for a stored item: everything but the stored-only attributes (named
 * here rather than read from service-attributes.ts, which would bring zod into the publisher).
 */
export function toCallEventDetail(record: CallEventRecord): CallEventDetail {
  const { RawBody: _raw, ExpiresAt: _ttl, ...detail } = record;
  return { ...detail, EventId: `${record.SessionID}/${record.EventKey}` };
}
