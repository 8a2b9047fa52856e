/** One call's stored events: a Query on its partition (all pages, EventKey order) and a human timeline of them. */
import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { compareTimeline } from '../../lambda/contract/call-event-record';
import { CALL_EVENTS_KEYS } from '../../lambda/contract/runtime-config';

/** A CallEvents item as stored; read defensively, since the table may hold anything. */
export type StoredEvent = Record<string, unknown>;

export interface QueryOptions {
  /** Items per page (DynamoDB's `Limit`); a whole page, 1 MB, by default. */
  pageSize?: number;
}

/** Every event of one call, ascending by EventKey (time order, then lifecycle order), as stored. */
export async function queryCallEvents(
  doc: DynamoDBDocumentClient,
  tableName: string,
  sessionId: string,
  options: QueryOptions = {},
): Promise<StoredEvent[]> {
  const pages = paginateQuery(
    { client: doc, ...(options.pageSize ? { pageSize: options.pageSize } : {}) },
    {
      TableName: tableName,
      KeyConditionExpression: '#pk = :sessionId',
      ExpressionAttributeNames: { '#pk': CALL_EVENTS_KEYS.partitionKey },
      ExpressionAttributeValues: { ':sessionId': sessionId },
      ScanIndexForward: true,
      ConsistentRead: true,
    },
  );
  const items: StoredEvent[] = [];
  for await (const page of pages) items.push(...(page.Items ?? []));
  return items;
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
