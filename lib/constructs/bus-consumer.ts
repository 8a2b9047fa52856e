/**
 * The seam every consumer of the bus plugs into: a rule on the call-events bus → its own SQS
 * queue (with a dead-letter queue, through `CallEventRouting.addRoute`) → a function invoked in
 * batches, reporting batch item failures, at most `maxConcurrency` at once; with its alarms and
 * dashboard row. One construct, one line in the stack. Local mode runs it from the synthesized
 * template (local/sqs/): the rule fills a local queue, the mapping invokes the bundled function.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { ComparisonOperator, GraphWidget, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import type { EventPattern } from 'aws-cdk-lib/aws-events';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';
import { BundledFunction, XRAY_WILDCARD_REASON } from './bundled-function';
import type { CallEventRoute, CallEventRouting } from './call-event-routing';
import type { Monitoring } from './monitoring';

export interface BusConsumerProps {
  readonly routing: CallEventRouting;
  readonly monitoring: Monitoring;
  /**
   * What it does, as a sentence's start ("Every finished call into amoCRM"): the rule's and the
   * function's descriptions, and its alarms, say it.
   */
  readonly description: string;
  /** Which events of the bus it consumes; match `source` too. */
  readonly eventPattern: EventPattern;
  /** Handler entry file relative to the repository root; it must `export const handler` (an SQS handler). */
  readonly entry: string;
  /** @default - the Powertools variables only */
  readonly environment?: Record<string, string>;
  /** Messages per invocation. @default 10 */
  readonly batchSize?: number;
  /** How long the mapping gathers a fuller batch. @default - none: a batch as soon as a message waits */
  readonly maxBatchingWindow?: Duration;
  /** Invocations at once (SQS allows 2 to 1000). @default 2: the least, for a consumer that calls a rate-limited API */
  readonly maxConcurrency?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** Receives of a message before it moves to the dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;
  /** @default 256 */
  readonly memorySize?: number;
  /** Parts of the AWS SDK left out of every bundle that this function's clients do load (bundled-function.ts). @default none */
  readonly reachedSdkModules?: readonly string[];
  /** How old the oldest waiting message may get before the consumer is alarmed as behind or stopped. @default Duration.minutes(15) */
  readonly maxMessageAge?: Duration;
}

export class BusConsumer extends Construct {
  readonly route: CallEventRoute;
  readonly handler: BundledFunction;
  readonly eventSource: SqsEventSource;

  constructor(scope: Construct, id: string, props: BusConsumerProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.seconds(30);
    const window = props.maxBatchingWindow ?? Duration.seconds(0);
    this.handler = new BundledFunction(this, 'Function', {
      entry: props.entry,
      description: props.description,
      timeout,
      ...(props.memorySize ? { memorySize: props.memorySize } : {}),
      ...(props.reachedSdkModules ? { reachedSdkModules: props.reachedSdkModules } : {}),
      ...(props.environment ? { environment: props.environment } : {}),
    });
    // Named by its place in the stack (`Crm/Consumer` → `CrmConsumer`): unique among the routes,
    // and what its queue, alarms and graphs are called.
    const scopes = this.node.scopes;
    const name = scopes
      .slice(scopes.indexOf(Stack.of(this)) + 1)
      .map((c) => c.node.id)
      .join('');
    this.route = props.routing.addRoute(name, {
      description: props.description,
      eventPattern: props.eventPattern,
      // Lambda's guidance for an SQS source: at least six times the function's timeout, plus
      // the batching window, so that a message is not received again while a retry runs.
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6 + window.toSeconds()),
      ...(props.maxReceiveCount ? { maxReceiveCount: props.maxReceiveCount } : {}),
    });
    this.eventSource = new SqsEventSource(this.route.queue, {
      batchSize: props.batchSize ?? 10,
      ...(props.maxBatchingWindow ? { maxBatchingWindow: props.maxBatchingWindow } : {}),
      maxConcurrency: props.maxConcurrency ?? 2,
      reportBatchItemFailures: true,
    });
    this.handler.addEventSource(this.eventSource);
    acknowledge(this.handler.executionRole, {
      'AwsSolutions-IAM5[Resource::*]': XRAY_WILDCARD_REASON,
    });
    this.monitor(name, props);
  }

  /**
   * Lets the function stop its own delivery (disable its event source mapping), for a consumer
   * that finds it cannot go on (a token refused): the messages then wait in the queue.
   */
  allowPausing(): void {
    const role = this.handler.executionRole;
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['lambda:ListEventSourceMappings'], resources: ['*'] }),
    );
    // A policy of its own: in the function's default policy, the mapping's ARN would make a cycle
    // (the mapping needs the function, which waits for its default policy).
    new Policy(this, 'PausePolicy', {
      roles: [role],
      statements: [
        new PolicyStatement({
          actions: ['lambda:UpdateEventSourceMapping'],
          resources: [this.eventSource.eventSourceMappingArn],
        }),
      ],
    });
    acknowledge(role, {
      'AwsSolutions-IAM5[Resource::*]': `${XRAY_WILDCARD_REASON}; and lambda:ListEventSourceMappings, which supports no resource-level permissions (it finds the function's own mapping, which only it may update).`,
    });
  }

  private monitor(label: string, props: BusConsumerProps): void {
    const { monitoring } = props;
    const fn = this.handler;
    const { queue } = this.route;
    const maxAge = props.maxMessageAge ?? Duration.minutes(15);
    monitoring.functionAlarms(this, fn, {
      errors:
        `The ${label} consumer failed whole batches (a crash, a timeout); their messages come back after the queue's visibility timeout, ` +
        `and after ${props.maxReceiveCount ?? 5} receives wait in its dead-letter queue. Read the function's log group.`,
    });
    const age = queue.metricApproximateAgeOfOldestMessage({
      statistic: Stats.MAXIMUM,
      period: monitoring.period,
    });
    monitoring.alarm(
      this,
      'BehindAlarm',
      age,
      maxAge.toSeconds(),
      `The oldest message waiting for the ${label} consumer is more than ${maxAge.toHumanString()} old: it is stopped (its event source mapping disabled, see its logs), ` +
        `failing, or too slow for the traffic. The messages wait in its queue; nothing is lost while they do (14 days).`,
      ComparisonOperator.GREATER_THAN_THRESHOLD,
    );
    monitoring.addWidgets(
      new GraphWidget({
        title: `${label} queue`,
        width: 8,
        left: [monitoring.queueDepth(queue, 'Waiting')],
        right: [
          queue.metricApproximateAgeOfOldestMessage({
            statistic: Stats.MAXIMUM,
            period: monitoring.period,
            label: 'Oldest (s)',
          }),
        ],
      }),
      monitoring.functionGraph(`${label} function`, fn),
    );
  }
}
