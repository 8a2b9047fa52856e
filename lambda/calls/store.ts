/**
 * The calls layer's DynamoDB side: a call's events (CallEvents), its record (Calls, written under
 * a Version condition), and the Calls indexes the callbacks and the sweep read.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import type { CallEventRecord } from '../contract/call-event-record';
import {
  CALL_EVENTS_KEYS,
  CALLS_INDEXES,
  CALLS_KEYS,
  CALLS_SPARSE_INDEXES,
} from '../contract/runtime-config';
import type { CallsStore, StoredCall } from './project-calls';

export class DynamoDbCallsStore implements CallsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    /** The events' table is needed only to read a call's events (the projector; not the sweep). */
    private readonly tables: { callEvents?: string; calls: string },
  ) {}

  async getCall(sessionId: string): Promise<StoredCall | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tables.calls,
        Key: { [CALLS_KEYS.partitionKey]: sessionId },
        ConsistentRead: true,
      }),
    );
    return Item as StoredCall | undefined;
  }

  /** Every item of a Query, all pages. */
  private async queryAll<T>(input: Omit<QueryCommandInput, 'ExclusiveStartKey'>): Promise<T[]> {
    const items: T[] = [];
    let ExclusiveStartKey: QueryCommandOutput['LastEvaluatedKey'];
    do {
      const page = await this.client.send(new QueryCommand({ ...input, ExclusiveStartKey }));
      items.push(...((page.Items ?? []) as T[]));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }

  /**
   * Every item of one partition of a Calls index whose sort key meets `sort` (all pages,
   * ascending), optionally filtered on one more attribute.
   */
  private queryIndex(
    index: { indexName: string; partitionKey: string; sortKey: string },
    partitionValue: string,
    sort: { between: [string, string] } | { atMost: string } | { atLeast: string },
    filter?: { attribute: string; value: string },
  ): Promise<StoredCall[]> {
    const [condition, values]: [string, Record<string, string>] =
      'between' in sort
        ? ['#sk BETWEEN :a AND :b', { ':a': sort.between[0], ':b': sort.between[1] }]
        : 'atMost' in sort
          ? ['#sk <= :a', { ':a': sort.atMost }]
          : ['#sk >= :a', { ':a': sort.atLeast }];
    return this.queryAll({
      TableName: this.tables.calls,
      IndexName: index.indexName,
      KeyConditionExpression: `#pk = :pk AND ${condition}`,
      ...(filter ? { FilterExpression: '#f = :f' } : {}),
      ExpressionAttributeNames: {
        '#pk': index.partitionKey,
        '#sk': index.sortKey,
        ...(filter ? { '#f': filter.attribute } : {}),
      },
      ExpressionAttributeValues: {
        ':pk': partitionValue,
        ...values,
        ...(filter ? { ':f': filter.value } : {}),
      },
    });
  }

  customerCalls(customerNumber: string, from: string, to: string): Promise<StoredCall[]> {
    return this.queryIndex(CALLS_INDEXES.byCustomerNumber, customerNumber, { between: [from, to] });
  }

  pendingMissedCalls(customerNumber: string, from: string, to: string): Promise<StoredCall[]> {
    const index = CALLS_SPARSE_INDEXES.pendingCallbacks;
    return this.queryIndex(
      index,
      index.value,
      { between: [from, to] },
      { attribute: 'CustomerNumber', value: customerNumber },
    );
  }

  /** Open calls last heard of at or before `cutoff` (index OpenCalls), oldest first. */
  openCallsBefore(cutoff: string): Promise<StoredCall[]> {
    const index = CALLS_SPARSE_INDEXES.openCalls;
    return this.queryIndex(index, index.value, { atMost: cutoff });
  }

  /** Every pending missed call that ended at or after `from` (index PendingCallbacks), oldest first. */
  pendingSince(from: string): Promise<StoredCall[]> {
    const index = CALLS_SPARSE_INDEXES.pendingCallbacks;
    return this.queryIndex(index, index.value, { atLeast: from });
  }

  eventsOf(sessionId: string): Promise<CallEventRecord[]> {
    if (!this.tables.callEvents) throw new Error('No CallEvents table to read the events of a call from');
    return this.queryAll({
      TableName: this.tables.callEvents,
      KeyConditionExpression: '#pk = :id',
      ExpressionAttributeNames: { '#pk': CALL_EVENTS_KEYS.partitionKey },
      ExpressionAttributeValues: { ':id': sessionId },
      ConsistentRead: true,
    });
  }

  async putCall(call: StoredCall, expectedVersion: number | undefined): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tables.calls,
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
}
