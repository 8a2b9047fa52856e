/**
 * The one read model of the Calls table, and the reader of a call's stored events, on DynamoDB.
 * The projector, the sweep and every tool read through it: always a GetItem or a Query on the
 * table or one of its indexes, never a Scan, every page. An index that does not project whole
 * records (table.ts) gives the tools the keys, and the records are then read by key (BatchGetItem,
 * 100 a request). It counts what it reads (Query requests, the items DynamoDB read before any
 * filter, which is what a read costs, and the records read by key), so that the tools and the bench
 * can report it.
 */
import {
  BatchGetCommand,
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
import {
  CALLS_INDEXES,
  CALLS_KEYS,
  CALLS_SPARSE_INDEXES,
  type CallsIndex,
  type CallsIndexNames,
  CURRENT_CALLS_INDEXES,
} from './table';

/** What the reads made so far cost. */
export interface ReadCount {
  /** Query requests made (one per page). */
  queries: number;
  /** Items DynamoDB read, filtered out or not (`ScannedCount`). */
  itemsRead: number;
  /** Records read by key after an index that holds only keys (BatchGetItem). */
  recordsByKey?: number;
  /** BatchGetItem requests made, retries of unprocessed keys included. */
  batchGets?: number;
}

export interface ReadOptions {
  /** Items per page (DynamoDB's `Limit`). @default a whole page, 1 MB */
  pageSize?: number;
  /**
   * The index each replaced index is read through (index-upgrade.ts): the functions' from their
   * environment, the tools' from the table itself. @default the current indexes
   */
  indexes?: CallsIndexNames;
}

/** BatchGetItem's limit of keys a request. */
const BATCH_GET_KEYS = 100;
/** Batches read at once. */
const BATCH_GETS_IN_FLIGHT = 4;
const MAX_BATCH_GET_TRIES = 8;

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
  readonly reads: ReadCount = { queries: 0, itemsRead: 0, recordsByKey: 0, batchGets: 0 };
  private readonly indexes: CallsIndexNames;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: ReadOptions = {},
  ) {
    this.indexes = options.indexes ?? CURRENT_CALLS_INDEXES;
  }

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

  /**
   * The records of one partition of an index, in its order: read from the index when it projects
   * whole records, else by key after it.
   */
  private async recordsOfIndex(
    index: CallsIndex,
    partitionValue: string,
    options: { sort?: SortCondition; newestFirst?: boolean } = {},
  ): Promise<StoredCall[]> {
    const found = await this.queryIndex<StoredCall>(index, partitionValue, options);
    return index.projection.type === 'ALL' ? found : this.recordsByKey(found.map((item) => item.SessionID));
  }

  /**
   * The records of `sessionIds`, in that order, read by key, 100 a request, a few requests at a
   * time; keys DynamoDB leaves unprocessed are asked again after a pause. A record gone since its
   * index entry was read (erased, expired) is left out. Each key is asked and returned once: an item
   * whose index sort key moved while the pages were read can be named twice, and BatchGetItem
   * refuses a request that names a key twice.
   */
  private async recordsByKey(sessionIds: readonly string[]): Promise<StoredCall[]> {
    const found = new Map<string, StoredCall>();
    const distinct = [...new Set(sessionIds)];
    const batches: string[][] = [];
    for (let i = 0; i < distinct.length; i += BATCH_GET_KEYS)
      batches.push(distinct.slice(i, i + BATCH_GET_KEYS));
    const readBatch = async (ids: string[]): Promise<void> => {
      let keys: Record<string, unknown>[] = ids.map((id) => ({ [CALLS_KEYS.partitionKey]: id }));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt === MAX_BATCH_GET_TRIES)
          throw new Error(
            `DynamoDB left ${keys.length} keys of ${this.tableName} unread after ${attempt} requests`,
          );
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
        const answer = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys } } }),
        );
        this.reads.batchGets = (this.reads.batchGets ?? 0) + 1;
        for (const item of answer.Responses?.[this.tableName] ?? [])
          found.set(item.SessionID as string, item as StoredCall);
        keys = (answer.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    };
    for (let i = 0; i < batches.length; i += BATCH_GETS_IN_FLIGHT)
      await Promise.all(batches.slice(i, i + BATCH_GETS_IN_FLIGHT).map(readBatch));
    this.reads.recordsByKey = (this.reads.recordsByKey ?? 0) + found.size;
    return distinct.flatMap((id) => {
      const record = found.get(id);
      return record ? [record] : [];
    });
  }

  /** One partition of an index as it projects it, its sort key meeting `sort` when given, optionally filtered on one attribute. */
  private queryIndex<T>(
    index: CallsIndex,
    partitionValue: string,
    options: { sort?: SortCondition; filter?: [string, string]; newestFirst?: boolean } = {},
  ): Promise<T[]> {
    const { sort, filter } = options;
    const [condition, values]: [string, Record<string, string>] =
      sort === undefined
        ? ['', {}]
        : 'between' in sort
          ? [' AND #sk BETWEEN :a AND :b', { ':a': sort.between[0], ':b': sort.between[1] }]
          : 'atMost' in sort
            ? [' AND #sk <= :a', { ':a': sort.atMost }]
            : [' AND #sk >= :a', { ':a': sort.atLeast }];
    return queryAll<T>(
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
    return this.recordsOfIndex(this.indexes.byCustomerNumber, customerNumber, {
      sort: { between: [from, to] },
    });
  }

  /** Every call of one customer (`CustomerNumber`, E.164), the newest first. */
  customerHistory(customerNumber: string): Promise<StoredCall[]> {
    return this.recordsOfIndex(this.indexes.byCustomerNumber, customerNumber, { newestFirst: true });
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

  openCallsBefore(cutoff: string): Promise<Pick<StoredCall, 'SessionID'>[]> {
    const index = this.indexes.openCalls;
    const { value } = CALLS_SPARSE_INDEXES.openCalls;
    // Only the earlier index is sorted by when a call was last heard of.
    const sort = index.sortKey === 'LastReceivedAt' ? { sort: { atMost: cutoff } } : {};
    return this.queryIndex(index, value, sort);
  }

  /** Every call to or from a public number that started within `range` ([from, to) UTC), oldest first. */
  cityNumberCalls(cityNumber: string, range: UtcRange): Promise<StoredCall[]> {
    return this.recordsOfIndex(this.indexes.byCityNumber, cityNumber, {
      sort: { between: [range.from, lastSecondBefore(range.to)] },
    });
  }

  /** Every call whose local `Day` is `date` (index ByDayV2), by start. */
  callsOfDay(date: string): Promise<StoredCall[]> {
    return this.recordsOfIndex(this.indexes.byDay, date);
  }

  /**
   * The calls that started on the local dates `from`..`to`: with a city number, one Query of
   * ByCityNumberV2 over the period's `StartedAt` range; without, one Query of ByDayV2 per date.
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
