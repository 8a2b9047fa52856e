/**
 * From a validated event to what is stored (a CallEvents item) and what is published (an
 * EventBridge detail): the EventKey, UTC times, direction and result text. Pure: no AWS SDK.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { HOOK_TYPE_INFO, HOOK_TYPES, type HookType, type TimeField } from './hook-types';
import { localTimeToUtcIso } from './local-time';
import { resultText } from './result-codes';
import { type CallEvent, hookSchemas } from './schema';

const TIME_FIELDS: readonly TimeField[] = ['StartTime', 'StartDuration', 'EndTime'];

/** Fields the service adds to every event it stores and publishes. */
const enrichment = {
  EventKey: z
    .string()
    .describe('Sort key: <EventTime>#<lifecycle rank>#<HookType>#<8 hex digest of the payload>.'),
  EventTime: z.string().describe("The event's own time in UTC, ISO-8601."),
  Direction: z.enum(['incoming', 'outgoing']).describe('Call direction, from the HookType.'),
  ResultText: z.string().optional().describe('Meaning of ResultCode when the code is a known one.'),
  ReceivedAt: z.string().describe('When the webhook was received, UTC ISO-8601.'),
  StartTimeUtc: z.string().optional().describe('StartTime in UTC, ISO-8601.'),
  StartDurationUtc: z.string().optional().describe('StartDuration in UTC, ISO-8601.'),
  EndTimeUtc: z.string().optional().describe('EndTime in UTC, ISO-8601.'),
};

const published = {
  EventId: z.string().describe('SessionID/EventKey: unique per event, for consumers to de-duplicate.'),
};

function perHookType<R>(build: (hookType: HookType) => R): Record<HookType, R> {
  return Object.fromEntries(HOOK_TYPES.map((t) => [t, build(t)])) as Record<HookType, R>;
}

/** The `detail` of each published event, per HookType (registered in the schema registry). */
export const publishedDetailSchemas = perHookType((t) =>
  hookSchemas[t].extend({ ...enrichment, ...published }),
);

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
  const fields = event as Partial<Record<TimeField, string>>;
  for (const field of TIME_FIELDS) {
    const value = fields[field];
    if (value !== undefined) utc[`${field}Utc`] = localTimeToUtcIso(value, options.timeZone);
  }
  const eventTime = localTimeToUtcIso(eventLocalTime(event), options.timeZone);
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

/** JSON Schema (draft-04, as the EventBridge schema registry takes it) of each HookType's detail. */
export function detailJsonSchemas(): Record<HookType, Record<string, unknown>> {
  return perHookType(
    (t) =>
      z.toJSONSchema(publishedDetailSchemas[t], { io: 'output', target: 'draft-4' }) as Record<
        string,
        unknown
      >,
  );
}

/** JSON Schema of what the provider may send for each HookType (the tolerant input). */
export function webhookJsonSchemas(): Record<HookType, Record<string, unknown>> {
  return perHookType(
    (t) => z.toJSONSchema(hookSchemas[t], { io: 'input', target: 'draft-4' }) as Record<string, unknown>,
  );
}
