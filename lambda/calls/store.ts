/** The projector's DynamoDB side: the call's events (CallEvents) and its record (Calls, Version-conditioned). */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import type { CallEventRecord } from '../contract/call-event-record';
import { CALL_EVENTS_KEYS, CALLS_KEYS } from '../contract/runtime-config';
import type { CallsStore, StoredCall } from './project-calls';

export class DynamoDbCallsStore implements CallsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tables: { callEvents: string; calls: string },
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

  async eventsOf(sessionId: string): Promise<CallEventRecord[]> {
    const events: CallEventRecord[] = [];
    let ExclusiveStartKey: QueryCommandOutput['LastEvaluatedKey'];
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tables.callEvents,
          KeyConditionExpression: '#pk = :id',
          ExpressionAttributeNames: { '#pk': CALL_EVENTS_KEYS.partitionKey },
          ExpressionAttributeValues: { ':id': sessionId },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      events.push(...((page.Items ?? []) as CallEventRecord[]));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return events;
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
