/**
 * The one read model of the Calls table, and the reader of a call's stored events, on DynamoDB.
 * The projector, the sweep and every tool read through it: always a GetItem or a Query on the
 * table or one of its indexes, never a Scan, every page. It counts what it reads (Query requests,
 * and the items DynamoDB read before any filter, which is what a read costs), so that the tools
 * and the bench can report it.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { CALL_EVENTS_KEYS } from '../config/tables';
import type { CallEventRecord } from '../contract/call-event-record';
import { lastSecondBefore } from '../shared/time';
import { datesOf, localPeriod, type UtcRange } from './period';
import type { CallEventsSource, CallsStore, StoredCall } from './store';
import { CALLS_INDEXES, CALLS_KEYS, CALLS_SPARSE_INDEXES, type CallsIndex } from './table';

/** What the reads made so far cost. */
export interface ReadCount {
  /** Query requests made (one per page). */
  queries: number;
  /** Items DynamoDB read, filtered out or not (`ScannedCount`). */
  itemsRead: number;
}

export interface ReadOptions {
  /** Items per page (DynamoDB's `Limit`). @default a whole page, 1 MB */
  pageSize?: number;
}

/** The sort key's condition of an index Query. */
type SortCondition = { between: [string, string] } | { atMost: string } | { atLeast: string };

/** A period of local dates, optionally of one public number: what the report reads. */
export interface PeriodQuery {
  /** First local date, `YYYY-MM-DD`. */
  from: string;
  /** Last local date, included. */
  to: string;
  /** The zone of the records' `Day`. */
  timeZone: string;
  cityNumber?: string | undefined;
}

/** Every item of a Query, all pages, counted into `reads`. */
async function queryAll<T>(
  client: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
  reads: ReadCount,
): Promise<T[]> {
  const items: T[] = [];
  let ExclusiveStartKey: QueryCommandInput['ExclusiveStartKey'];
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey }));
    items.push(...((page.Items ?? []) as T[]));
    reads.queries++;
    reads.itemsRead += page.ScannedCount ?? 0;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

export class DynamoDbCallsStore implements CallsStore {
  readonly reads: ReadCount = { queries: 0, itemsRead: 0 };

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: ReadOptions = {},
  ) {}

  async getCall(sessionId: string): Promise<StoredCall | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [CALLS_KEYS.partitionKey]: sessionId },
        ConsistentRead: true,
      }),
    );
    return Item as StoredCall | undefined;
  }

  async putCall(call: StoredCall, expectedVersion: number | undefined): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: call,
          ...(expectedVersion === undefined
            ? {
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': CALLS_KEYS.partitionKey },
              }
            : {
                ConditionExpression: '#version = :expected',
                ExpressionAttributeNames: { '#version': 'Version' },
                ExpressionAttributeValues: { ':expected': expectedVersion },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /** One partition of an index, its sort key meeting `sort` when given, optionally filtered on one attribute. */
  private queryIndex(
    index: CallsIndex,
    partitionValue: string,
    options: { sort?: SortCondition; filter?: [string, string]; newestFirst?: boolean } = {},
  ): Promise<StoredCall[]> {
    const { sort, filter } = options;
    const [condition, values]: [string, Record<string, string>] =
      sort === undefined
        ? ['', {}]
        : 'between' in sort
          ? [' AND #sk BETWEEN :a AND :b', { ':a': sort.between[0], ':b': sort.between[1] }]
          : 'atMost' in sort
            ? [' AND #sk <= :a', { ':a': sort.atMost }]
            : [' AND #sk >= :a', { ':a': sort.atLeast }];
    return queryAll<StoredCall>(
      this.client,
      {
        TableName: this.tableName,
        IndexName: index.indexName,
        KeyConditionExpression: `#pk = :pk${condition}`,
        // A filter on a sparse index reads few items: the index holds only what it is for.
        ...(filter ? { FilterExpression: '#f = :f' } : {}),
        ExpressionAttributeNames: {
          '#pk': index.partitionKey,
          ...(sort ? { '#sk': index.sortKey } : {}),
          ...(filter ? { '#f': filter[0] } : {}),
        },
        ExpressionAttributeValues: {
          ':pk': partitionValue,
          ...values,
          ...(filter ? { ':f': filter[1] } : {}),
        },
        ScanIndexForward: !options.newestFirst,
        ...(this.options.pageSize ? { Limit: this.options.pageSize } : {}),
      },
      this.reads,
    );
  }

  customerCalls(customerNumber: string, from: string, to: string): Promise<StoredCall[]> {
    return this.queryIndex(CALLS_INDEXES.byCustomerNumber, customerNumber, { sort: { between: [from, to] } });
  }

  /** Every call of one customer (`CustomerNumber`, E.164), the newest first. */
  customerHistory(customerNumber: string): Promise<StoredCall[]> {
    return this.queryIndex(CALLS_INDEXES.byCustomerNumber, customerNumber, { newestFirst: true });
  }

  customerMissedCalls(customerNumber: string, from: string, to: string): Promise<StoredCall[]> {
    return this.queryIndex(CALLS_INDEXES.missedByCustomer, customerNumber, { sort: { between: [from, to] } });
  }

  pendingCallbacks(options: { endedFrom?: string; cityNumber?: string } = {}): Promise<StoredCall[]> {
    const index = CALLS_SPARSE_INDEXES.pendingCallbacks;
    return this.queryIndex(index, index.value, {
      ...(options.endedFrom !== undefined ? { sort: { atLeast: options.endedFrom } } : {}),
      ...(options.cityNumber !== undefined ? { filter: ['CityNumber', options.cityNumber] } : {}),
    });
  }

  openCallsBefore(cutoff: string): Promise<StoredCall[]> {
    const index = CALLS_SPARSE_INDEXES.openCalls;
    return this.queryIndex(index, index.value, { sort: { atMost: cutoff } });
  }

  /** Every call to or from a public number that started within `range` ([from, to) UTC), oldest first. */
  cityNumberCalls(cityNumber: string, range: UtcRange): Promise<StoredCall[]> {
    return this.queryIndex(CALLS_INDEXES.byCityNumber, cityNumber, {
      sort: { between: [range.from, lastSecondBefore(range.to)] },
    });
  }

  /** Every call whose local `Day` is `date` (index ByDay), by start. */
  callsOfDay(date: string): Promise<StoredCall[]> {
    return this.queryIndex(CALLS_INDEXES.byDay, date);
  }

  /**
   * The calls that started on the local dates `from`..`to`: with a city number, one Query of
   * ByCityNumber over the period's `StartedAt` range; without, one Query of ByDay per date.
   * Throws a RangeError for a malformed or reversed period.
   */
  async callsOfPeriod(query: PeriodQuery): Promise<StoredCall[]> {
    const range = localPeriod(query.from, query.to, query.timeZone);
    if (query.cityNumber !== undefined) return this.cityNumberCalls(query.cityNumber, range);
    const calls: StoredCall[] = [];
    for (const date of datesOf(query.from, query.to)) calls.push(...(await this.callsOfDay(date)));
    return calls;
  }
}

/** A call's stored events from the CallEvents table, for the projector and the timeline alike. */
export class DynamoDbCallEvents implements CallEventsSource {
  readonly reads: ReadCount = { queries: 0, itemsRead: 0 };

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: ReadOptions = {},
  ) {}

  eventsOf(sessionId: string): Promise<CallEventRecord[]> {
    return queryAll(
      this.client,
      {
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :id',
        ExpressionAttributeNames: { '#pk': CALL_EVENTS_KEYS.partitionKey },
        ExpressionAttributeValues: { ':id': sessionId },
        ConsistentRead: true,
        ...(this.options.pageSize ? { Limit: this.options.pageSize } : {}),
      },
      this.reads,
    );
  }

  /** The keys alone of a call's stored events (what deleting them needs). */
  eventKeysOf(sessionId: string): Promise<Record<string, string>[]> {
    const { partitionKey, sortKey } = CALL_EVENTS_KEYS;
    return queryAll(
      this.client,
      {
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :id',
        ProjectionExpression: '#pk, #sk',
        ExpressionAttributeNames: { '#pk': partitionKey, '#sk': sortKey },
        ExpressionAttributeValues: { ':id': sessionId },
        ConsistentRead: true,
      },
      this.reads,
    );
  }
}
