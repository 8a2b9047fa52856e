/**
 * Calls: CallEvents stream (INSERTs) → projector function → one record per call in the Calls
 * table, with the projector's alarms and graphs.
 */
import { Duration } from 'aws-cdk-lib';
import { GraphWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CALLS_INDEXES } from '../../lambda/calls/table';
import { PROJECT_ENV } from '../../lambda/config/environment';
import { METRICS } from '../../lambda/config/metrics';
import type { CallEventsConfig } from '../config';
import { acknowledge, cfnResourceOf } from '../nag';
import { BundledFunction, XRAY_WILDCARD_REASON } from './bundled-function';
import type { CallsIndexAccess } from './call-event-store';
import type { Monitoring } from './monitoring';
import { secureQueue } from './secure-queue';
import { type StreamMappingOptions, streamMapping } from './stream-mapping';

/**
 * `timeZone`: the zone of each record's `Day`; `defaultCountry`: the country of a number written
 * without a country code; `retentionDays`: how long a record is kept after its call's last event
 * (absent: for ever); `callbackWindowHours`: how long a missed call waits for a call-back.
 */
export type CallProjectorConfig = Pick<
  CallEventsConfig,
  'timeZone' | 'defaultCountry' | 'retentionDays' | 'callbackWindowHours'
>;

export interface CallProjectorProps extends StreamMappingOptions {
  readonly config: CallProjectorConfig;
  readonly monitoring: Monitoring;
  /** The raw events, read per call; its stream triggers the projector. */
  readonly callEvents: ITable;
  /** Where the records are written. */
  readonly calls: ITable;
  /** Which of the Calls table's indexes the function reads, and may Query (CallEventStore). */
  readonly indexes: CallsIndexAccess;
}

/**
 * Longer than the publisher's (1 s): a call's record, and CallCompleted, may follow its events by
 * a few seconds, while each batch costs an invocation, a log line and a rewrite of each record it
 * touches; raw events still reach the bus within a second (docs/BENCHMARKS.md, "What a million
 * calls cost").
 */
export const PROJECTOR_BATCHING_WINDOW = Duration.seconds(5);

export class CallProjector extends Construct {
  readonly projectFunction: BundledFunction;
  /** Pointers to stream records the projector gave up on; the events are still in CallEvents, to fold again. */
  readonly failureQueue: Queue;

  constructor(scope: Construct, id: string, props: CallProjectorProps) {
    super(scope, id);
    const { config } = props;

    const environment: Record<string, string> = {
      [PROJECT_ENV.callEventsTable]: props.callEvents.tableName,
      [PROJECT_ENV.callsTable]: props.calls.tableName,
      [PROJECT_ENV.timeZone]: config.timeZone,
      [PROJECT_ENV.defaultCountry]: config.defaultCountry,
      [PROJECT_ENV.callbackWindowHours]: String(config.callbackWindowHours),
      ...props.indexes.callsIndexEnvironment,
    };
    if (config.retentionDays !== undefined)
      environment[PROJECT_ENV.retentionDays] = String(config.retentionDays);
    this.projectFunction = new BundledFunction(this, 'ProjectFunction', {
      kind: 'project',
      entry: 'lambda/functions/project-calls.ts',
      description: 'Folds each call of new CallEvents items into its Calls record',
      // Up to 100 calls a batch, each a Get, a Query and a Put (again on a Version conflict).
      timeout: Duration.seconds(60),
      environment,
    });
    // Least privilege: Query the events, Get and Put the record, on the tables themselves (the
    // L2 grant would add indexes the projector never reads). BatchGetItem reads a customer's
    // whole records after the keys-only ByCustomerNumberV2 has named them.
    this.projectFunction.addToRolePolicy(
      new PolicyStatement({ actions: ['dynamodb:Query'], resources: [props.callEvents.tableArn] }),
    );
    this.projectFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem'],
        resources: [props.calls.tableArn],
      }),
    );
    // Settling missed calls: the customer's calls, and the customer's missed calls.
    this.projectFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: props.indexes.indexArns(['byCustomerNumber'], [CALLS_INDEXES.missedByCustomer]),
      }),
    );

    this.failureQueue = secureQueue(this, 'FailureQueue');
    acknowledge(cfnResourceOf(this.failureQueue), {
      'AwsSolutions-SQS3':
        'This queue is itself the dead-letter destination of the stream mapping: it receives only pointers to records the projector gave up on, and a further DLQ would only move them again.',
    });
    this.projectFunction.addEventSource(
      streamMapping(props.callEvents, ['INSERT'], this.failureQueue, {
        ...props,
        maxBatchingWindow: props.maxBatchingWindow ?? PROJECTOR_BATCHING_WINDOW,
      }),
    );
    acknowledge(this.projectFunction.executionRole, {
      'AwsSolutions-IAM5[Resource::*]': `${XRAY_WILDCARD_REASON}; and dynamodb:ListStreams, granted by the stream event source, cannot be scoped to a stream ARN. Reading records is scoped to the CallEvents stream.`,
    });

    this.monitor(props.monitoring);
  }

  private monitor(monitoring: Monitoring): void {
    const fn = this.projectFunction;
    monitoring.streamConsumerAlarms(this, fn, {
      failureQueue: this.failureQueue,
      failureQueueLabel: 'Projector failure queue',
      behind:
        `The call projector is more than ${monitoring.maxIteratorAge.toHumanString()} behind the CallEvents stream: Calls records (and CallCompleted events) are late. ` +
        `Check the project function's errors, duration and logs (DynamoDB throttling, Version conflicts); records older than the mapping's maximum age go to the projector's failure queue.`,
      errors:
        `The project function failed a whole batch (crash, timeout, or a record it could not identify); the mapping retries it, bisecting. ` +
        `Read the project function's log group; if it persists, records end in the projector's failure queue.`,
      gaveUp:
        `The stream mapping gave up on CallEvents records for the call projector: those calls' records may miss events. ` +
        `Fix the cause from the project function's logs; any later event of such a call folds all of its events again (docs/RELIABILITY.md), then delete the messages.`,
    });
    monitoring.alarm(
      this,
      'ProjectionFailedAlarm',
      monitoring.emf(METRICS.project.failed),
      1,
      `Calls could not be projected (their record could not be read, folded or written); their stream records are retried by the mapping. ` +
        `Read "Cannot project call" in the project function's logs (SessionID, errorName).`,
    );
    const { projected, failed } = METRICS.project;
    monitoring.addWidgets(
      new GraphWidget({
        title: 'Call projector',
        width: 8,
        left: [monitoring.emf(projected, projected), monitoring.emf(failed, failed)],
      }),
      monitoring.iteratorAgeGraph('Projector iterator age (ms)', fn),
      monitoring.functionGraph('Project function', fn),
    );
  }
}
