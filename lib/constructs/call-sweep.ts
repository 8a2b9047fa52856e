/**
 * The scheduled sweep: every few minutes, open calls with no news past the threshold become
 * `stuck` (→ CallStuck on the Calls stream), and pending missed calls are settled again.
 * A schedule rather than one timer per call: its cost does not grow with the number of calls
 * (docs/ARCHITECTURE.md, "Stuck calls"). Its alarms: the sweep failing, and a call stuck.
 */
import { Duration } from 'aws-cdk-lib';
import { GraphWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CALLS_SPARSE_INDEXES } from '../../lambda/calls/table';
import { SWEEP_ENV } from '../../lambda/config/environment';
import { METRICS } from '../../lambda/config/metrics';
import type { CallEventsConfig } from '../config';
import { acknowledge } from '../nag';
import { BundledFunction, XRAY_WILDCARD_REASON } from './bundled-function';
import type { CallsIndexAccess } from './call-event-store';
import type { Monitoring } from './monitoring';

/**
 * `stuckCallAfterMinutes`: how long an open call may go without news before it is stuck;
 * `callbackWindowHours`: how long a missed call waits for a call-back.
 */
export type CallSweepConfig = Pick<CallEventsConfig, 'stuckCallAfterMinutes' | 'callbackWindowHours'>;

export interface CallSweepProps {
  readonly config: CallSweepConfig;
  readonly monitoring: Monitoring;
  readonly calls: ITable;
  /** Which of the Calls table's indexes the function reads, and may Query (CallEventStore). */
  readonly indexes: CallsIndexAccess;
  /** Where the CallStuck events wait for a consumer: a message there means a call never ended. */
  readonly stuckCallsQueue: IQueue;
  /** How often the sweep runs. @default Duration.minutes(5) */
  readonly every?: Duration;
}

export class CallSweep extends Construct {
  readonly sweepFunction: BundledFunction;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: CallSweepProps) {
    super(scope, id);
    this.sweepFunction = new BundledFunction(this, 'SweepFunction', {
      kind: 'sweep',
      entry: 'lambda/functions/sweep-calls.ts',
      description: 'Marks calls with no news stuck, and settles missed calls a lookup missed',
      timeout: Duration.minutes(2),
      environment: {
        [SWEEP_ENV.callsTable]: props.calls.tableName,
        [SWEEP_ENV.stuckCallAfterMinutes]: String(props.config.stuckCallAfterMinutes),
        [SWEEP_ENV.callbackWindowHours]: String(props.config.callbackWindowHours),
        ...props.indexes.callsIndexEnvironment,
      },
    });
    // Least privilege: Get records (one, or a batch by the keys a keys-only index returned) and Put
    // them; Query the three indexes it reads, nothing else.
    this.sweepFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem'],
        resources: [props.calls.tableArn],
      }),
    );
    this.sweepFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: props.indexes.indexArns(
          ['openCalls', 'byCustomerNumber'],
          [CALLS_SPARSE_INDEXES.pendingCallbacks],
        ),
      }),
    );
    this.schedule = new Rule(this, 'Schedule', {
      description: 'Runs the call sweep',
      schedule: Schedule.rate(props.every ?? Duration.minutes(5)),
      // A failed run is simply repeated by the next one.
      targets: [new LambdaFunction(this.sweepFunction, { retryAttempts: 0 })],
    });
    acknowledge(this.sweepFunction.executionRole, {
      'AwsSolutions-IAM5[Resource::*]': `${XRAY_WILDCARD_REASON}. Its DynamoDB permissions name the Calls table and three of its indexes.`,
    });

    this.monitor(props);
  }

  private monitor({ monitoring, stuckCallsQueue }: CallSweepProps): void {
    monitoring.functionAlarms(this, this.sweepFunction, {
      errors:
        `The call sweep failed: stuck calls are not being marked, and missed calls a lookup missed stay pending. ` +
        `Read the sweep function's log group; the next scheduled run tries again.`,
    });
    monitoring.alarm(
      this,
      'StuckCallsAlarm',
      monitoring.queueDepth(stuckCallsQueue),
      1,
      `A call never ended: no End, Missed or EndOut webhook arrived within stuckCallAfterMinutes (its CallStuck event waits in the StuckCalls queue). ` +
        `Usually the provider did not deliver a webhook: check the quarantine (RejectedCallEvents) and the provider's delivery log for that SessionID; a late terminal event still completes the call.`,
    );
    const { stuck } = METRICS.sweep;
    monitoring.addWidgets(
      new GraphWidget({
        title: 'Call sweep',
        width: 8,
        left: [monitoring.emf(stuck, stuck)],
        right: [monitoring.queueDepth(stuckCallsQueue, 'StuckCalls queue')],
      }),
      monitoring.functionGraph('Sweep function', this.sweepFunction),
    );
  }
}
