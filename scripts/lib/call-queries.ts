/**
 * The Calls table as the operator tools read it: always a Query on one of its indexes, never a
 * Scan, every page. Each read says how many items DynamoDB read (`ScannedCount`, before any
 * filter), which is what a read costs.
 */
import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { reportPeriod } from '../../lambda/calls/report';
import type { CallRecord } from '../../lambda/contract/call-record';
import { CALLS_INDEXES, CALLS_SPARSE_INDEXES } from '../../lambda/contract/runtime-config';

export interface CallsRead {
  records: CallRecord[];
  /** Items DynamoDB read, filtered out or not. */
  itemsRead: number;
  /** Query requests made (one per page). */
  queries: number;
}

type Query = Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>;

/** Runs the queries one after the other, every page of each, and adds up what they read. */
async function queryAll(doc: DynamoDBDocumentClient, table: string, queries: Query[]): Promise<CallsRead> {
  const read: CallsRead = { records: [], itemsRead: 0, queries: 0 };
  for (const query of queries) {
    let ExclusiveStartKey: QueryCommandInput['ExclusiveStartKey'];
    do {
      const page = await doc.send(new QueryCommand({ ...query, TableName: table, ExclusiveStartKey }));
      read.records.push(...((page.Items ?? []) as CallRecord[]));
      read.itemsRead += page.ScannedCount ?? 0;
      read.queries++;
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }
  return read;
}

/** The missed calls waiting for a callback (index PendingCallbacks), the longest-waiting first. */
export function pendingMissedCalls(
  doc: DynamoDBDocumentClient,
  table: string,
  options: { cityNumber?: string | undefined } = {},
): Promise<CallsRead> {
  const index = CALLS_SPARSE_INDEXES.pendingCallbacks;
  const city = options.cityNumber;
  return queryAll(doc, table, [
    {
      IndexName: index.indexName,
      KeyConditionExpression: '#pk = :pending',
      ScanIndexForward: true,
      ...(city === undefined
        ? {
            ExpressionAttributeNames: { '#pk': index.partitionKey },
            ExpressionAttributeValues: { ':pending': index.value },
          }
        : {
            // The index holds only the pending calls, so filtering it on the city reads few items.
            FilterExpression: '#city = :city',
            ExpressionAttributeNames: { '#pk': index.partitionKey, '#city': 'CityNumber' },
            ExpressionAttributeValues: { ':pending': index.value, ':city': city },
          }),
    },
  ]);
}

/** The local days `from`..`to` (`YYYY-MM-DD`, both included). */
export function daysOf(from: string, to: string): string[] {
  const days: string[] = [];
  for (let ms = Date.parse(`${from}T00:00:00Z`); ms <= Date.parse(`${to}T00:00:00Z`); ms += 86_400_000)
    days.push(new Date(ms).toISOString().slice(0, 10));
  return days;
}

export interface PeriodOptions {
  /** First local day, `YYYY-MM-DD`. */
  from: string;
  /** Last local day, included. */
  to: string;
  /** The zone of the records' `Day`. */
  timeZone: string;
  cityNumber?: string | undefined;
}

/**
 * The calls that started on the local days `from`..`to`: with a city number, one Query of
 * ByCityNumber over the period's `StartedAt` range; without, one Query of ByDay per day.
 * Throws a RangeError for a malformed or reversed period (`reportPeriod`).
 */
export function callsOfPeriod(
  doc: DynamoDBDocumentClient,
  table: string,
  options: PeriodOptions,
): Promise<CallsRead> {
  const period = reportPeriod(options.from, options.to, options.timeZone);
  if (options.cityNumber !== undefined) {
    const index = CALLS_INDEXES.byCityNumber;
    // StartedAt has whole seconds, so the period's exclusive end is its last second, included.
    const lastSecond = new Date(Date.parse(period.to) - 1000).toISOString().replace('.000Z', 'Z');
    return queryAll(doc, table, [
      {
        IndexName: index.indexName,
        KeyConditionExpression: '#pk = :city AND #sk BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
        ExpressionAttributeValues: { ':city': options.cityNumber, ':from': period.from, ':to': lastSecond },
      },
    ]);
  }
  const index = CALLS_INDEXES.byDay;
  return queryAll(
    doc,
    table,
    daysOf(options.from, options.to).map((day) => ({
      IndexName: index.indexName,
      KeyConditionExpression: '#pk = :day',
      ExpressionAttributeNames: { '#pk': index.partitionKey },
      ExpressionAttributeValues: { ':day': day },
    })),
  );
}
