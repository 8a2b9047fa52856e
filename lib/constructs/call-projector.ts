/** Calls: CallEvents stream (INSERTs) → projector function → one record per call in the Calls table. */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CALLS_INDEXES, CALLS_SPARSE_INDEXES, PROJECT_ENV } from '../../lambda/contract/runtime-config';
import { acknowledge, cfnResourceOf } from '../nag';
import { BundledFunction, XRAY_WILDCARD_REASON } from './bundled-function';
import { secureQueue } from './secure-queue';
import { type StreamMappingOptions, streamMapping } from './stream-mapping';

export interface CallProjectorProps extends StreamMappingOptions {
  /** The raw events, read per call; its stream triggers the projector. */
  readonly callEvents: ITable;
  /** Where the records are written. */
  readonly calls: ITable;
  /** IANA zone of each record's `Day`. */
  readonly timeZone: string;
  /** Country of a phone number written without a country code (ISO 3166-1 alpha-2). */
  readonly defaultCountry: string;
  /** Days to keep a record after its call's last event; absent keeps it for ever. */
  readonly retentionDays?: number;
  /** Hours after a missed call's end in which a call-back or the customer's own call resolves it. */
  readonly callbackWindowHours: number;
}

export class CallProjector extends Construct {
  readonly projectFunction: BundledFunction;
  /** Pointers to stream records the projector gave up on; the events are still in CallEvents, to fold again. */
  readonly failureQueue: Queue;

  constructor(scope: Construct, id: string, props: CallProjectorProps) {
    super(scope, id);

    const environment: Record<string, string> = {
      [PROJECT_ENV.callEventsTable]: props.callEvents.tableName,
      [PROJECT_ENV.callsTable]: props.calls.tableName,
      [PROJECT_ENV.timeZone]: props.timeZone,
      [PROJECT_ENV.defaultCountry]: props.defaultCountry,
      [PROJECT_ENV.callbackWindowHours]: String(props.callbackWindowHours),
    };
    if (props.retentionDays !== undefined)
      environment[PROJECT_ENV.retentionDays] = String(props.retentionDays);
    this.projectFunction = new BundledFunction(this, 'ProjectFunction', {
      entry: 'lambda/functions/project-calls.ts',
      description: 'Folds each call of new CallEvents items into its Calls record',
      // Up to 100 calls a batch, each a Get, a Query and a Put (again on a Version conflict).
      timeout: Duration.seconds(60),
      environment,
    });
    // Least privilege: Query the events, Get and Put the record, on the tables themselves (the
    // L2 grant would add their indexes, which the projector never reads).
    this.projectFunction.addToRolePolicy(
      new PolicyStatement({ actions: ['dynamodb:Query'], resources: [props.callEvents.tableArn] }),
    );
    this.projectFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        resources: [props.calls.tableArn],
      }),
    );
    // Settling missed calls: the customer's calls, and the pending missed calls.
    this.projectFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [CALLS_INDEXES.byCustomerNumber, CALLS_SPARSE_INDEXES.pendingCallbacks].map(
          (index) => `${props.calls.tableArn}/index/${index.indexName}`,
        ),
      }),
    );

    this.failureQueue = secureQueue(this, 'FailureQueue');
    acknowledge(cfnResourceOf(this.failureQueue), {
      'AwsSolutions-SQS3':
        'This queue is itself the dead-letter destination of the stream mapping: it receives only pointers to records the projector gave up on, and a further DLQ would only move them again.',
    });
    this.projectFunction.addEventSource(
      streamMapping(props.callEvents, ['INSERT'], this.failureQueue, props),
    );
    acknowledge(this.projectFunction.executionRole, {
      'AwsSolutions-IAM5[Resource::*]': `${XRAY_WILDCARD_REASON}; and dynamodb:ListStreams, granted by the stream event source, cannot be scoped to a stream ARN. Reading records is scoped to the CallEvents stream.`,
    });
  }
}
