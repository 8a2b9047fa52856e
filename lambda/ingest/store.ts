/** Where ingest writes: the CallEvents table (conditional, so a re-delivery is a no-op) and the quarantine. */
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { CALL_EVENTS_KEYS } from '../config/tables';
import type { CallEventRecord, ContractIssue } from '../contract';

export type RejectionReason = 'invalid-json' | 'invalid-encoding' | 'contract' | 'too-large' | 'unstorable';

/** A RejectedCallEvents item: what was sent, why it was refused, and when and from where. */
export interface RejectedCallEvent {
  RejectedOn: string;
  RejectedKey: string;
  RequestId: string;
  ReceivedAt: string;
  SourceIp?: string;
  Reason: RejectionReason;
  Issues: ContractIssue[];
  /** The body as received, cut at the size limit when it was larger. */
  Body: string;
  BodyEncoding: 'utf8' | 'base64';
  /**
   * The bytes that reached the function. For a truncated body that is not the size sent: local
   * mode's front door stops reading at the limit + 1 byte.
   */
  BodyBytes: number;
  Truncated: boolean;
  HookType?: string;
  SessionID?: string;
  /** Pseudonymous mode: the customer's number masked, for the event a requeue stores from Body. */
  CustomerNumberMasked?: string;
  ExpiresAt?: number;
}

export interface CallEventStore {
  /** 'duplicate' when an item with the same key is already stored. */
  putCallEvent(record: CallEventRecord): Promise<'stored' | 'duplicate'>;
  putRejected(rejected: RejectedCallEvent): Promise<void>;
}

/** The store could not be reached or refused for now; the provider should retry. */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
}

/** DynamoDB refused the item itself (not the moment): retrying would not help. */
export class UnstorableEventError extends Error {
  override name = 'UnstorableEventError';
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

export class DynamoDbCallEventStore implements CallEventStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tables: { callEvents: string; rejectedEvents: string },
  ) {}

  async putCallEvent(record: CallEventRecord): Promise<'stored' | 'duplicate'> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tables.callEvents,
          Item: record,
          ConditionExpression: 'attribute_not_exists(#sk)',
          ExpressionAttributeNames: { '#sk': CALL_EVENTS_KEYS.sortKey },
        }),
      );
      return 'stored';
    } catch (error) {
      const name = errorName(error);
      if (name === 'ConditionalCheckFailedException') return 'duplicate';
      if (name === 'ValidationException')
        throw new UnstorableEventError(`DynamoDB refused the item: ${name}`, { cause: error });
      throw new StorageUnavailableError(`Writing the call event failed: ${name}`, { cause: error });
    }
  }

  async putRejected(rejected: RejectedCallEvent): Promise<void> {
    try {
      await this.client.send(new PutCommand({ TableName: this.tables.rejectedEvents, Item: rejected }));
    } catch (error) {
      throw new StorageUnavailableError(`Writing to the quarantine failed: ${errorName(error)}`, {
        cause: error,
      });
    }
  }
}
