/**
 * Calls records for `npm run calls`: one record (Get), a customer's calls (index ByCustomerNumber)
 * and a public number's calls of a local day (index ByCityNumber), and their human summaries.
 */
import { type DynamoDBDocumentClient, GetCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { CallRecord } from '../../lambda/contract/call-record';
import { isValidLocalTime, localTimeToUtcIso } from '../../lambda/contract/local-time';
import { CALLS_INDEXES, CALLS_KEYS } from '../../lambda/contract/runtime-config';

/** A Calls item as stored (the record, and its TTL when a retention is set). */
export type StoredCallRecord = CallRecord & { ExpiresAt?: number };

export interface QueryOptions {
  /** Items per page (DynamoDB's `Limit`); a whole page, 1 MB, by default. */
  pageSize?: number;
}

/** One call's record, read consistently; undefined when the call has none (yet). */
export async function getCallRecord(
  doc: DynamoDBDocumentClient,
  tableName: string,
  sessionId: string,
): Promise<StoredCallRecord | undefined> {
  const { Item } = await doc.send(
    new GetCommand({
      TableName: tableName,
      Key: { [CALLS_KEYS.partitionKey]: sessionId },
      ConsistentRead: true,
    }),
  );
  return Item as StoredCallRecord | undefined;
}

type CallsIndex = (typeof CALLS_INDEXES)[keyof typeof CALLS_INDEXES];

async function queryIndex(
  doc: DynamoDBDocumentClient,
  tableName: string,
  index: CallsIndex,
  key: string,
  options: QueryOptions & { between?: [string, string]; newestFirst?: boolean },
): Promise<StoredCallRecord[]> {
  const pages = paginateQuery(
    { client: doc, ...(options.pageSize ? { pageSize: options.pageSize } : {}) },
    {
      TableName: tableName,
      IndexName: index.indexName,
      KeyConditionExpression: options.between ? '#pk = :key AND #sk BETWEEN :from AND :to' : '#pk = :key',
      ExpressionAttributeNames: {
        '#pk': index.partitionKey,
        ...(options.between ? { '#sk': index.sortKey } : {}),
      },
      ExpressionAttributeValues: {
        ':key': key,
        ...(options.between ? { ':from': options.between[0], ':to': options.between[1] } : {}),
      },
      ScanIndexForward: !options.newestFirst,
    },
  );
  const items: StoredCallRecord[] = [];
  for await (const page of pages) items.push(...((page.Items ?? []) as StoredCallRecord[]));
  return items;
}

/** Every call of one customer (their `CustomerNumber`, E.164), newest first, over all pages. */
export function queryCustomerCalls(
  doc: DynamoDBDocumentClient,
  tableName: string,
  customerNumber: string,
  options: QueryOptions = {},
): Promise<StoredCallRecord[]> {
  return queryIndex(doc, tableName, CALLS_INDEXES.byCustomerNumber, customerNumber, {
    ...options,
    newestFirst: true,
  });
}

/** Every call to or from a public number that started in `range` ([from, to) UTC), oldest first. */
export function queryCityNumberCalls(
  doc: DynamoDBDocumentClient,
  tableName: string,
  cityNumber: string,
  range: DayRange,
  options: QueryOptions = {},
): Promise<StoredCallRecord[]> {
  return queryIndex(doc, tableName, CALLS_INDEXES.byCityNumber, cityNumber, {
    ...options,
    between: [range.from, lastSecondBefore(range.to)],
  });
}

/** A local day as UTC instants: `from` its first second, `to` the next day's first second. */
export interface DayRange {
  from: string;
  to: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The UTC [from, to) of the local day `date` (`YYYY-MM-DD`) in `timeZone`, through the contract's
 * own reading of wall-clock times, so a day with a daylight-saving change has 23 or 25 hours.
 */
export function localDayRange(date: string, timeZone: string): DayRange {
  if (!DATE.test(date) || !isValidLocalTime(`${date} 00:00:00`))
    throw new RangeError(`Not a date: ${JSON.stringify(date)} (use YYYY-MM-DD)`);
  const next = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  return {
    from: localTimeToUtcIso(`${date} 00:00:00`, timeZone),
    to: localTimeToUtcIso(`${next} 00:00:00`, timeZone),
  };
}

/**
 * The BETWEEN bound for "before `to`": the whole second before it. Stored times have whole
 * seconds (`…:59Z`); one with a fraction of that second (`…:59.5Z`) sorts below `…:59Z` as text.
 */
function lastSecondBefore(to: string): string {
  return new Date(Date.parse(to) - 1000).toISOString().replace('.000Z', 'Z');
}

const orNone = (value: string | number | undefined, unit = '') =>
  value === undefined ? '—' : `${value}${unit}`;

/** Status and outcome in one word: the Outcome once ended, else the Status. */
const stateOf = (record: StoredCallRecord) =>
  record.Status === 'ended' ? (record.Outcome ?? 'ended') : record.Status;

/** A readable summary of one record: what happened, who, when, how long, the ringing, the callback. */
export function formatRecordSummary(record: StoredCallRecord): string {
  const code =
    record.ResultCode === undefined
      ? ''
      : `  (ResultCode ${record.ResultCode}${record.ResultText ? `, ${record.ResultText}` : ''})`;
  const attempts = record.Attempts.map(
    (a) => `${a.Employee} ${a.Answered ? 'answered' : a.EndedAt ? 'not answered' : 'ringing'}`,
  );
  const callback =
    record.CallbackStatus === undefined
      ? []
      : [
          `Callback ${record.CallbackStatus}${record.CallbackSessionID ? ` by ${record.CallbackSessionID} after ${record.CallbackAfterSeconds} s` : ''}`,
        ];
  return [
    `Call ${record.SessionID}  ${record.Direction}  ${record.Status}${record.Outcome ? `  ${record.Outcome}` : ''}${code}`,
    `  Customer ${orNone(record.CustomerNumber)}  Employee ${orNone(record.Employee)}  CityNumber ${record.CityNumber}`,
    `  Started ${record.StartedAt}  Answered ${orNone(record.AnsweredAt)}  Ended ${orNone(record.EndedAt)}`,
    `  Ring ${orNone(record.RingSeconds, ' s')}  Talk ${orNone(record.TalkSeconds, ' s')}  Attempts ${attempts.length}${attempts.length ? `: ${attempts.join(', ')}` : ''}`,
    ...callback.map((line) => `  ${line}`),
    `  Version ${record.Version}  ${record.EventCount} event${record.EventCount === 1 ? '' : 's'}, the last received ${record.LastReceivedAt}`,
  ].join('\n');
}

/** One line per call, in the order given: start, direction, outcome, customer, employee, times, id. */
export function formatRecordList(records: readonly StoredCallRecord[]): string {
  const lines = records.map((r) =>
    [
      r.StartedAt.padEnd(20),
      r.Direction.padEnd(8),
      stateOf(r).padEnd(9),
      orNone(r.CustomerNumber).padEnd(15),
      `Employee ${orNone(r.Employee)}`.padEnd(24),
      `ring ${orNone(r.RingSeconds, ' s')}`.padEnd(10),
      `talk ${orNone(r.TalkSeconds, ' s')}`.padEnd(10),
      r.SessionID,
    ].join('  '),
  );
  return [`${records.length} call${records.length === 1 ? '' : 's'}`, ...lines].join('\n');
}

/** SessionID first, then the rest alphabetically: DynamoDB returns attributes in no particular order. */
export function orderedRecord(record: StoredCallRecord): Record<string, unknown> {
  const rest = Object.keys(record)
    .filter((key) => key !== CALLS_KEYS.partitionKey)
    .sort();
  const entries = [CALLS_KEYS.partitionKey, ...rest].map((key) => [
    key,
    (record as Record<string, unknown>)[key],
  ]);
  return Object.fromEntries(entries);
}
