/**
 * The scheduled sweep: every few minutes, open calls with no news past the threshold become
 * `stuck` (→ CallStuck on the Calls stream), and pending missed calls are settled again.
 * A schedule rather than one timer per call: its cost does not grow with the number of calls
 * (docs/ARCHITECTURE.md, "Stuck calls").
 */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CALLS_INDEXES, CALLS_SPARSE_INDEXES, SWEEP_ENV } from '../../lambda/contract/runtime-config';
import { acknowledge } from '../nag';
import { BundledFunction, XRAY_WILDCARD_REASON } from './bundled-function';

export interface CallSweepProps {
  readonly calls: ITable;
  readonly stuckCallAfterMinutes: number;
  readonly callbackWindowHours: number;
  /** How often the sweep runs. @default Duration.minutes(5) */
  readonly every?: Duration;
}

export class CallSweep extends Construct {
  readonly sweepFunction: BundledFunction;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: CallSweepProps) {
    super(scope, id);
    this.sweepFunction = new BundledFunction(this, 'SweepFunction', {
      entry: 'lambda/functions/sweep-calls.ts',
      description: 'Marks calls with no news stuck, and settles missed calls a lookup missed',
      timeout: Duration.minutes(2),
      environment: {
        [SWEEP_ENV.callsTable]: props.calls.tableName,
        [SWEEP_ENV.stuckCallAfterMinutes]: String(props.stuckCallAfterMinutes),
        [SWEEP_ENV.callbackWindowHours]: String(props.callbackWindowHours),
      },
    });
    // Least privilege: Get and Put records; Query the three indexes it reads, nothing else.
    const indexArn = (name: string) => `${props.calls.tableArn}/index/${name}`;
    this.sweepFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        resources: [props.calls.tableArn],
      }),
    );
    this.sweepFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [
          indexArn(CALLS_SPARSE_INDEXES.openCalls.indexName),
          indexArn(CALLS_SPARSE_INDEXES.pendingCallbacks.indexName),
          indexArn(CALLS_INDEXES.byCustomerNumber.indexName),
        ],
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
  }
}
