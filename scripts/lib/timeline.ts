/** One call's stored events: a Query on its partition (all pages, EventKey order) and a human timeline of them. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbCallEvents, type ReadOptions } from '../../lambda/calls';
import { CALL_EVENTS_KEYS } from '../../lambda/config/tables';
import { HOOK_TYPE_INFO } from '../../lambda/contract/hook-types';

/** A CallEvents item as stored; read defensively, since the table may hold anything. */
export type StoredEvent = Record<string, unknown>;

/** Every event of one call, ascending by EventKey (time order, then lifecycle order), as stored, read consistently. */
export async function queryCallEvents(
  doc: DynamoDBDocumentClient,
  tableName: string,
  sessionId: string,
  options: ReadOptions = {},
): Promise<StoredEvent[]> {
  const events = await new DynamoDbCallEvents(doc, tableName, options).eventsOf(sessionId);
  return events as unknown as StoredEvent[];
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

/** A field shown as text, when it is a string or a number. */
function text(item: StoredEvent, name: string): string | undefined {
  const value = item[name];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

function directionOf(items: readonly StoredEvent[]): string {
  const directions = [...new Set(items.map((item) => text(item, 'Direction') ?? 'unknown'))];
  return directions.length === 1 ? `${directions[0]} call` : `mixed directions (${directions.join(', ')})`;
}

function header(sessionId: string, items: readonly StoredEvent[]): string {
  const first = items[0] ?? {};
  const parties = [
    `Caller ${text(first, 'Caller') ?? '?'}`,
    `CityNumber ${text(first, 'CityNumber') ?? '?'}`,
  ];
  const count = `${items.length} event${items.length === 1 ? '' : 's'}`;
  return `SessionID ${sessionId}  ${directionOf(items)}  ${parties.join('  ')}  (${count})`;
}

/** The interesting fields of one event: who, how long, how it ended. */
function details(item: StoredEvent): string {
  const called = text(item, 'Called');
  const duration = text(item, 'Duration');
  const code = text(item, 'ResultCode');
  const meaning = text(item, 'ResultText');
  return [
    called !== undefined ? `Called ${called}` : undefined,
    duration !== undefined ? `Duration ${duration} s` : undefined,
    code !== undefined ? `ResultCode ${code}${meaning ? ` (${meaning})` : ''}` : undefined,
  ]
    .filter((part) => part !== undefined)
    .join('  ');
}

export function formatEventLine(item: StoredEvent): string {
  const time = (text(item, 'EventTime') ?? '?').padEnd(20);
  const hookType = (text(item, 'HookType') ?? '?').padEnd(19);
  return `${time}  ${hookType}  ${details(item)}`.trimEnd();
}

/**
 * The events in timeline order (compareTimeline): by time, then lifecycle, with the same-second
 * ringing phase in order of arrival, which the EventKey order of a Query cannot show.
 */
export function inTimelineOrder(items: readonly StoredEvent[]): StoredEvent[] {
  return [...items].sort(compareTimeline);
}

/** The human timeline: a header line, then one line per event (UTC time, HookType, details), in timeline order. */
export function formatTimeline(sessionId: string, items: readonly StoredEvent[]): string {
  return [header(sessionId, items), ...inTimelineOrder(items).map(formatEventLine)].join('\n');
}

const LEADING_KEYS = [CALL_EVENTS_KEYS.partitionKey, CALL_EVENTS_KEYS.sortKey, 'HookType', 'EventTime'];

/** The keys first, then the rest alphabetically: DynamoDB returns attributes in no particular order. */
function orderedKeys(item: StoredEvent): StoredEvent {
  const rest = Object.keys(item)
    .filter((key) => !LEADING_KEYS.includes(key))
    .sort();
  const keys = [...LEADING_KEYS.filter((key) => Object.hasOwn(item, key)), ...rest];
  return Object.fromEntries(keys.map((key) => [key, item[key]]));
}

/** The stored items, RawBody included, as a JSON array in timeline order. */
export function formatJson(items: readonly StoredEvent[]): string {
  return JSON.stringify(inTimelineOrder(items).map(orderedKeys), null, 2);
}
