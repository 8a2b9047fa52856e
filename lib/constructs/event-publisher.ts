/**
 * The outboxes' relay: the CallEvents stream (INSERTs: the raw events) and the Calls stream
 * (INSERTs and MODIFYs: the call-level events such as CallCompleted) → publish function →
 * EventBridge, with one on-failure queue, and the publisher's alarms and graphs.
 */
import { Duration } from 'aws-cdk-lib';
import { GraphWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PUBLISHING_STATUSES } from '../../lambda/calls/call-level-events';
import { PUBLISH_ENV } from '../../lambda/config/environment';
import { METRICS } from '../../lambda/config/metrics';
import type { CallEventsConfig } from '../config';
import { acknowledge, cfnResourceOf } from '../nag';
import { BundledFunction, XRAY_WILDCARD_REASON } from './bundled-function';
import type { Monitoring } from './monitoring';
import { secureQueue } from './secure-queue';
import { type StreamMappingOptions, streamMapping } from './stream-mapping';

/** `eventSource`: the `source` of every published event. */
export type EventPublisherConfig = Pick<CallEventsConfig, 'eventSource'>;

export interface EventPublisherProps extends StreamMappingOptions {
  readonly config: EventPublisherConfig;
  readonly monitoring: Monitoring;
  /** The raw events' table; it must have a stream. */
  readonly callEvents: ITable;
  /** The calls' table; its stream must carry both images. */
  readonly calls: ITable;
  readonly eventBus: IEventBus;
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
      kind: 'publish',
      entry: 'lambda/functions/publish-call-events.ts',
      description: 'Publishes new CallEvents items and call-level events to the call-events bus',
      // 100 records are up to 10 PutEvents calls, each retried for what failed.
      timeout: Duration.seconds(60),
      environment: {
        [PUBLISH_ENV.eventBusName]: props.eventBus.eventBusName,
        [PUBLISH_ENV.eventSource]: props.config.eventSource,
      },
    });
    props.eventBus.grantPutEventsTo(this.publishFunction);

    this.failureQueue = secureQueue(this, 'FailureQueue');
    acknowledge(cfnResourceOf(this.failureQueue), {
      'AwsSolutions-SQS3':
        'This queue is itself the dead-letter destination of the stream mapping: it receives only pointers to records the publisher gave up on, and a further DLQ would only move them again.',
    });

    // Only new raw events are events (TTL deletions are not); a call's record is created and
    // updated, and a change of its status is a call-level event: only a record ended or stuck can
    // stand for one, so the writes of an open call are not even delivered.
    this.publishFunction.addEventSource(
      streamMapping(props.callEvents, ['INSERT'], this.failureQueue, props),
    );
    this.publishFunction.addEventSource(
      streamMapping(props.calls, ['INSERT', 'MODIFY'], this.failureQueue, props, {
        Status: PUBLISHING_STATUSES,
      }),
    );
    acknowledge(this.publishFunction.executionRole, {
      'AwsSolutions-IAM5[Resource::*]': `${XRAY_WILDCARD_REASON}; and dynamodb:ListStreams, granted by the stream event source, cannot be scoped to a stream ARN. Reading records is scoped to the CallEvents and Calls streams.`,
    });

    this.monitor(props.monitoring);
  }

  private monitor(monitoring: Monitoring): void {
    const fn = this.publishFunction;
    monitoring.streamConsumerAlarms(this, fn, {
      failureQueue: this.failureQueue,
      failureQueueLabel: 'Publish failure queue',
      behind:
        `The publisher is more than ${monitoring.maxIteratorAge.toHumanString()} behind the CallEvents stream: stored events reach EventBridge late. ` +
        `Check the publish function's errors, duration and logs (PutEvents throttling or failures); records older than the mapping's maximum age go to the publish failure queue.`,
      errors:
        `The publish function failed a whole batch (crash, timeout, or failures it could not report per record); the mapping retries it, bisecting. ` +
        `Read the publish function's log group; if it persists, records end in the publish failure queue.`,
      gaveUp:
        `The stream mapping gave up on CallEvents records: those events are stored but were never published. ` +
        `Fix the cause from the publish function's logs, then republish the items the messages point to (shard, sequence numbers and arrival times; the items are still in CallEvents) and delete the messages.`,
    });
    monitoring.alarm(
      this,
      'PublishFailedAlarm',
      monitoring.emf(METRICS.publish.failed),
      1,
      `Stored call events could not be published to EventBridge (PutEvents rejected them or the record is malformed); they are retried by the stream mapping. ` +
        `Read "Giving up on publishing" / "cannot be published" in the publish function's logs (errorCode, SessionID, EventKey).`,
    );
    const { published, failed } = METRICS.publish;
    monitoring.addWidgets(
      new GraphWidget({
        title: 'Publisher',
        width: 8,
        left: [monitoring.emf(published, published), monitoring.emf(failed, failed)],
      }),
      monitoring.iteratorAgeGraph('Stream iterator age (ms)', fn),
      monitoring.functionGraph('Publish function', fn),
    );
  }
}
