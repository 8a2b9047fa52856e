/**
 * The outboxes' relay: the CallEvents stream (INSERTs: the raw events) and the Calls stream
 * (INSERTs and MODIFYs: the call-level events such as CallCompleted) → publish function →
 * EventBridge, with one on-failure queue.
 */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PUBLISH_ENV } from '../../lambda/contract/runtime-config';
import { acknowledge, cfnResourceOf } from '../nag';
import { BundledFunction, XRAY_WILDCARD_REASON } from './bundled-function';
import { secureQueue } from './secure-queue';
import { type StreamMappingOptions, streamMapping } from './stream-mapping';

export interface EventPublisherProps extends StreamMappingOptions {
  /** The raw events' table; it must have a stream. */
  readonly callEvents: ITable;
  /** The calls' table; its stream must carry both images. */
  readonly calls: ITable;
  readonly eventBus: IEventBus;
  /** `source` of every published event. */
  readonly eventSource: string;
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
      description: 'Publishes new CallEvents items and call-level events to the call-events bus',
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

    // Only new raw events are events (TTL deletions are not); a call's record is created and
    // updated, and a change of its status is a call-level event.
    this.publishFunction.addEventSource(
      streamMapping(props.callEvents, ['INSERT'], this.failureQueue, props),
    );
    this.publishFunction.addEventSource(
      streamMapping(props.calls, ['INSERT', 'MODIFY'], this.failureQueue, props),
    );
    acknowledge(this.publishFunction.executionRole, {
      'AwsSolutions-IAM5[Resource::*]': `${XRAY_WILDCARD_REASON}; and dynamodb:ListStreams, granted by the stream event source, cannot be scoped to a stream ARN. Reading records is scoped to the CallEvents and Calls streams.`,
    });
  }
}
