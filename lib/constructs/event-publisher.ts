/** The outbox relay: CallEvents stream (INSERTs) → publish function → EventBridge, with an on-failure queue. */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PUBLISH_ENV } from '../../lambda/contract/runtime-config';
import { acknowledge, cfnResourceOf } from '../nag';
import { BundledFunction, XRAY_WILDCARD_REASON } from './bundled-function';
import { secureQueue } from './secure-queue';

export interface EventPublisherProps {
  /** The table whose stream is relayed; it must have a stream. */
  readonly callEvents: ITable;
  readonly eventBus: IEventBus;
  /** `source` of every published event. */
  readonly eventSource: string;
  /** Stream records per invocation. @default 100 */
  readonly batchSize?: number;
  /** How long to gather records before invoking. @default Duration.seconds(1) */
  readonly maxBatchingWindow?: Duration;
  /** Retries of a failing batch (bisected on each) before it goes to the failure queue. @default 8 */
  readonly retryAttempts?: number;
  /** Records older than this go to the failure queue unprocessed. @default Duration.days(1) */
  readonly maxRecordAge?: Duration;
}

export class EventPublisher extends Construct {
  readonly publishFunction: BundledFunction;
  /**
   * Where Lambda sends the description (shard, sequence numbers) of records it gave up on; the
   * items are still in CallEvents and can be republished from there.
   */
  readonly failureQueue: Queue;

  constructor(scope: Construct, id: string, props: EventPublisherProps) {
    super(scope, id);

    this.publishFunction = new BundledFunction(this, 'PublishFunction', {
      entry: 'lambda/functions/publish-call-events.ts',
      description: 'Publishes new CallEvents items to the call-events bus',
      // 100 records are up to 10 PutEvents calls, each retried for what failed.
      timeout: Duration.seconds(60),
      environment: {
        [PUBLISH_ENV.eventBusName]: props.eventBus.eventBusName,
        [PUBLISH_ENV.eventSource]: props.eventSource,
      },
    });
    props.eventBus.grantPutEventsTo(this.publishFunction);

    this.failureQueue = secureQueue(this, 'FailureQueue');
    acknowledge(cfnResourceOf(this.failureQueue), {
      'AwsSolutions-SQS3':
        'This queue is itself the dead-letter destination of the stream mapping: it receives only pointers to records the publisher gave up on, and a further DLQ would only move them again.',
    });

    this.publishFunction.addEventSource(
      new DynamoEventSource(props.callEvents, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: props.batchSize ?? 100,
        maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(1),
        // Only new items are events; TTL deletions and (never expected) updates are not.
        filters: [FilterCriteria.filter({ eventName: FilterRule.isEqual('INSERT') })],
        reportBatchItemFailures: true,
        // Bisect, bounded retries and a bounded age keep one poison record from blocking the shard.
        bisectBatchOnError: true,
        retryAttempts: props.retryAttempts ?? 8,
        maxRecordAge: props.maxRecordAge ?? Duration.days(1),
        onFailure: new SqsDlq(this.failureQueue),
        // parallelizationFactor stays 1: records of one call then publish in the order stored.
      }),
    );
    acknowledge(this.publishFunction.executionRole, {
      'AwsSolutions-IAM5[Resource::*]': `${XRAY_WILDCARD_REASON}; and dynamodb:ListStreams, granted by the stream event source, cannot be scoped to a stream ARN. Reading records is scoped to the CallEvents stream.`,
    });
  }
}
