/**
 * Operations: an alarm on every failure path of the flow (docs/ARCHITECTURE.md, docs/RELIABILITY.md), the encrypted
 * SNS topic they notify (with an email subscription when an address is configured), and a
 * CloudWatch dashboard of the flow from webhook request to rule delivery.
 */
import { Aws, Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import type { RestApiBase } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type HorizontalAnnotation,
  type IMetric,
  Metric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IEventBus, IRule } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS } from '../../lambda/contract/runtime-config';
import type { CallEventRoute } from './call-event-routing';

export interface MonitoringProps {
  /** The webhook's REST API (one stage). */
  readonly restApi: RestApiBase;
  readonly ingestFunction: IFunction;
  /** The function the CallEvents stream invokes. */
  readonly publishFunction: IFunction;
  /** The stream mapping's on-failure destination. */
  readonly publishFailureQueue: IQueue;
  /** The function that folds the CallEvents stream into the Calls table. */
  readonly projectFunction: IFunction;
  /** Its stream mapping's on-failure destination. */
  readonly projectFailureQueue: IQueue;
  /** The scheduled sweep of stuck calls and missed calls. */
  readonly sweepFunction: IFunction;
  /** Where CallStuck events wait for a consumer: a message there means a call never ended. */
  readonly stuckCallsQueue: IQueue;
  /** The custom bus the routes' rules are on (their metrics carry its name). */
  readonly eventBus: IEventBus;
  /** The built-in routes, keyed by the label used in alarm ids and graph legends. */
  readonly routes: Readonly<Record<string, CallEventRoute>>;
  /** @default - no subscription: subscribe to `alarmTopic` yourself (chat, pager, another email) */
  readonly alarmEmail?: string;
  /** Quarantined webhooks per period that raise the rejections alarm. @default 1 */
  readonly rejectedThreshold?: number;
  /** Requests without a valid token per period that raise the unauthorised alarm. @default 20 */
  readonly unauthorizedThreshold?: number;
  /** Age of the oldest unpublished stream record that raises the iterator-age alarm. @default Duration.minutes(5) */
  readonly maxIteratorAge?: Duration;
  /** Period every alarm evaluates (one period, one datapoint) and the graphs aggregate. @default Duration.minutes(5) */
  readonly period?: Duration;
}

/**
 * The rule's name as its AWS/Events metrics carry it. `Ref` of a rule on a custom bus is
 * `bus|rule` (not documented), so it is taken from the documented ARN,
 * `arn:…:rule/<bus>/<rule>`, which holds the bus name for every rule not on the default bus.
 */
const ruleNameOnBus = (rule: IRule) => Fn.select(2, Fn.split('/', rule.ruleArn));

export class Monitoring extends Construct {
  /** Every alarm notifies it, on ALARM and on OK. */
  readonly alarmTopic: Topic;
  /** Customer managed: CloudWatch cannot publish to a topic under the AWS-managed `alias/aws/sns` key. */
  readonly alarmTopicKey: Key;
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];

  private readonly period: Duration;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.period = props.period ?? Duration.minutes(5);

    this.alarmTopicKey = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the call-events alarm topic',
      enableKeyRotation: true,
      // It only protects notifications passing through the topic: nothing is left to decrypt without it.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // Without source conditions, as in AWS's documented key policy for CloudWatch and encrypted
    // topics: the key serves this one topic, and the topic policy admits only this account's alarms.
    this.alarmTopicKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToUseTheKey',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: 'Call events alarms',
      masterKey: this.alarmTopicKey,
      enforceSSL: true,
    });
    // The TLS-only topic policy replaces SNS's default one, so the alarms need their own Allow.
    this.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`,
          },
        },
      }),
    );
    if (props.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));

    this.ingestAlarms(props);
    this.publisherAlarms(props);
    this.projectorAlarms(props);
    this.sweepAlarms(props);
    this.routeAlarms(props);
    this.dashboard = this.flowDashboard(props);
  }

  /** An EMF metric of the functions, with the `service` dimension alone, as they emit it. */
  private emf(metricName: string): Metric {
    return new Metric({
      namespace: METRICS.namespace,
      metricName,
      dimensionsMap: { [METRICS.dimensions.service]: METRICS.service },
      statistic: Stats.SUM,
      period: this.period,
    });
  }

  /** No label when an alarm watches it: a labelled metric makes the alarm a metric-math one. */
  private ruleMetric(bus: IEventBus, rule: IRule, metricName: string, label?: string): Metric {
    return new Metric({
      namespace: 'AWS/Events',
      metricName,
      dimensionsMap: { EventBusName: bus.eventBusName, RuleName: ruleNameOnBus(rule) },
      statistic: Stats.SUM,
      period: this.period,
      label,
    });
  }

  private queueDepth(queue: IQueue, label?: string): Metric {
    return queue.metricApproximateNumberOfMessagesVisible({
      statistic: Stats.MAXIMUM,
      period: this.period,
      label,
    });
  }

  /**
   * One period, one datapoint; no data is healthy (EMF, EventBridge and idle SQS queues send
   * nothing when nothing happens). Notifies the topic when it fires and when it clears.
   */
  private alarm(
    id: string,
    metric: IMetric,
    threshold: number,
    alarmDescription: string,
    comparisonOperator = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  ): Alarm {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      comparisonOperator,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription,
    });
    const action = new SnsAction(this.alarmTopic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
    return alarm;
  }

  private ingestAlarms(props: MonitoringProps): void {
    const minutes = this.period.toMinutes();
    const { ingest } = METRICS;
    this.alarm(
      'RejectedAlarm',
      this.emf(ingest.rejected),
      props.rejectedThreshold ?? 1,
      `Authenticated webhooks were rejected (invalid JSON or contract, or over the size limit) and quarantined. ` +
        `Read them in the RejectedCallEvents table (partition RejectedOn = today, UTC): Reason and Issues say why. ` +
        `A provider format change needs a contract change; the stored Body can be posted again once it is accepted.`,
    );
    this.alarm(
      'IngestErrorAlarm',
      this.emf(ingest.error),
      1,
      `The ingest function failed unexpectedly and answered 500; the provider may not retry. ` +
        `Find "Unexpected ingest failure" in the ingest function's logs (requestId), fix the cause, and ask the provider to resend those calls.`,
    );
    this.alarm(
      'StorageUnavailableAlarm',
      this.emf(ingest.storageUnavailable),
      1,
      `DynamoDB refused the CallEvents write and the provider was answered 503 (it retries). ` +
        `Check the ingest function's logs ("Storage unavailable") and the table's throttling and errors; sustained, events are late or lost once the provider stops retrying.`,
    );
    this.alarm(
      'UnauthorizedAlarm',
      this.emf(ingest.unauthorized),
      props.unauthorizedThreshold ?? 20,
      `Many webhook requests in ${minutes} min came without a valid token: the provider has a wrong or old token (after a rotation?), or someone is probing the URL. ` +
        `Compare the token configured at the provider with the deployed one; look at sourceIp in the API access logs; consider the allowedSourceIps allowlist.`,
    );
    this.alarm(
      'IngestFunctionErrorsAlarm',
      props.ingestFunction.metricErrors({ period: this.period, statistic: Stats.SUM }),
      1,
      `The ingest Lambda function itself failed (cold-start configuration error, timeout or crash); API Gateway answered 5xx. ` +
        `Read the function's log group for the error; a configuration error names the environment variable to fix.`,
    );
    this.alarm(
      'IngestFunctionThrottlesAlarm',
      props.ingestFunction.metricThrottles({ period: this.period, statistic: Stats.SUM }),
      1,
      `Ingest invocations were throttled (account or reserved concurrency exhausted); the provider got 5xx for them. ` +
        `Check the account's concurrent executions and other functions' usage; raise the concurrency quota or lower the API stage throttling.`,
    );
    this.alarm(
      'Api5xxAlarm',
      props.restApi.metricServerError({ period: this.period, statistic: Stats.SUM }),
      1,
      `The webhook API answered 5xx: a 503 (storage unavailable), a 500 (ingest error) or an API Gateway/Lambda failure. ` +
        `See the other ingest alarms and the API access logs (status, integrationStatus, errorMessage) for which.`,
    );
  }

  private publisherAlarms(props: MonitoringProps): void {
    const maxAge = props.maxIteratorAge ?? Duration.minutes(5);
    this.alarm(
      'PublisherIteratorAgeAlarm',
      props.publishFunction.metric('IteratorAge', { statistic: Stats.MAXIMUM, period: this.period }),
      maxAge.toMilliseconds(),
      `The publisher is more than ${maxAge.toHumanString()} behind the CallEvents stream: stored events reach EventBridge late. ` +
        `Check the publish function's errors, duration and logs (PutEvents throttling or failures); records older than the mapping's maximum age go to the publish failure queue.`,
      ComparisonOperator.GREATER_THAN_THRESHOLD,
    );
    this.alarm(
      'PublishFunctionErrorsAlarm',
      props.publishFunction.metricErrors({ period: this.period, statistic: Stats.SUM }),
      1,
      `The publish function failed a whole batch (crash, timeout, or failures it could not report per record); the mapping retries it, bisecting. ` +
        `Read the publish function's log group; if it persists, records end in the publish failure queue.`,
    );
    this.alarm(
      'PublishFailedAlarm',
      this.emf(METRICS.publish.failed),
      1,
      `Stored call events could not be published to EventBridge (PutEvents rejected them or the record is malformed); they are retried by the stream mapping. ` +
        `Read "Giving up on publishing" / "cannot be published" in the publish function's logs (errorCode, SessionID, EventKey).`,
    );
    this.alarm(
      'PublishFailureQueueAlarm',
      this.queueDepth(props.publishFailureQueue),
      1,
      `The stream mapping gave up on CallEvents records: those events are stored but were never published. ` +
        `Fix the cause from the publish function's logs, then republish the items the messages point to (shard, sequence numbers and arrival times; the items are still in CallEvents) and delete the messages.`,
    );
  }

  private projectorAlarms(props: MonitoringProps): void {
    const maxAge = props.maxIteratorAge ?? Duration.minutes(5);
    this.alarm(
      'ProjectorIteratorAgeAlarm',
      props.projectFunction.metric('IteratorAge', { statistic: Stats.MAXIMUM, period: this.period }),
      maxAge.toMilliseconds(),
      `The call projector is more than ${maxAge.toHumanString()} behind the CallEvents stream: Calls records (and CallCompleted events) are late. ` +
        `Check the project function's errors, duration and logs (DynamoDB throttling, Version conflicts); records older than the mapping's maximum age go to the projector's failure queue.`,
      ComparisonOperator.GREATER_THAN_THRESHOLD,
    );
    this.alarm(
      'ProjectFunctionErrorsAlarm',
      props.projectFunction.metricErrors({ period: this.period, statistic: Stats.SUM }),
      1,
      `The project function failed a whole batch (crash, timeout, or a record it could not identify); the mapping retries it, bisecting. ` +
        `Read the project function's log group; if it persists, records end in the projector's failure queue.`,
    );
    this.alarm(
      'ProjectionFailedAlarm',
      this.emf(METRICS.project.failed),
      1,
      `Calls could not be projected (their record could not be read, folded or written); their stream records are retried by the mapping. ` +
        `Read "Cannot project call" in the project function's logs (SessionID, errorName).`,
    );
    this.alarm(
      'ProjectFailureQueueAlarm',
      this.queueDepth(props.projectFailureQueue),
      1,
      `The stream mapping gave up on CallEvents records for the call projector: those calls' records may miss events. ` +
        `Fix the cause from the project function's logs; any later event of such a call folds all of its events again (docs/RELIABILITY.md), then delete the messages.`,
    );
  }

  private sweepAlarms(props: MonitoringProps): void {
    this.alarm(
      'SweepFunctionErrorsAlarm',
      props.sweepFunction.metricErrors({ period: this.period, statistic: Stats.SUM }),
      1,
      `The call sweep failed: stuck calls are not being marked, and missed calls a lookup missed stay pending. ` +
        `Read the sweep function's log group; the next scheduled run tries again.`,
    );
    this.alarm(
      'StuckCallsAlarm',
      this.queueDepth(props.stuckCallsQueue),
      1,
      `A call never ended: no End, Missed or EndOut webhook arrived within stuckCallAfterMinutes (its CallStuck event waits in the StuckCalls queue). ` +
        `Usually the provider did not deliver a webhook: check the quarantine (RejectedCallEvents) and the provider's delivery log for that SessionID; a late terminal event still completes the call.`,
    );
  }

  private routeAlarms(props: MonitoringProps): void {
    for (const [label, route] of Object.entries(props.routes)) {
      this.alarm(
        `${label}DeliveryDlqAlarm`,
        this.queueDepth(route.deliveryDeadLetterQueue),
        1,
        `EventBridge could not deliver ${label} events to their SQS queue after its retries; they wait in the rule target's dead-letter queue. ` +
          `Check the queue's policy and encryption and the messages' error attributes, then redrive them to the queue (or replay from the bus archive).`,
      );
      this.alarm(
        `${label}ConsumerDlqAlarm`,
        this.queueDepth(route.deadLetterQueue),
        1,
        `A consumer of the ${label} queue received messages repeatedly without deleting them; they moved to its dead-letter queue. ` +
          `Fix the consumer (its logs), then redrive the dead-letter queue to the source queue from the SQS console.`,
      );
      this.alarm(
        `${label}FailedInvocationsAlarm`,
        this.ruleMetric(props.eventBus, route.rule, 'FailedInvocations'),
        1,
        `EventBridge permanently failed to invoke the ${label} rule's target (and could not dead-letter it). ` +
          `Check that the target queue exists and its policy allows events.amazonaws.com; replay the missed window from the bus archive.`,
      );
    }
  }

  private flowDashboard(props: MonitoringProps): Dashboard {
    const period = this.period;
    const p = (n: number) => Stats.percentile(n);
    const { ingest, publish, project } = METRICS;
    const emf = (name: string) => this.emf(name).with({ label: name });
    const routes = Object.entries(props.routes);
    const api = props.restApi;

    const dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(6) });
    dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }));
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Webhook requests',
        width: 12,
        left: [
          api.metricCount({ period, statistic: Stats.SUM, label: 'Requests' }),
          api.metricClientError({ period, statistic: Stats.SUM, label: '4XXError' }),
          api.metricServerError({ period, statistic: Stats.SUM, label: '5XXError' }),
        ],
      }),
      new GraphWidget({
        title: 'Webhook latency (ms)',
        width: 12,
        left: [
          api.metricLatency({ period, statistic: p(50), label: 'Latency p50' }),
          api.metricLatency({ period, statistic: p(99), label: 'Latency p99' }),
        ],
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Ingest outcomes',
        width: 12,
        left: [
          emf(ingest.accepted),
          emf(ingest.duplicate),
          emf(ingest.rejected),
          emf(ingest.unauthorized),
          emf(ingest.storageUnavailable),
          emf(ingest.error),
        ],
      }),
      new GraphWidget({
        title: 'Ingest function',
        width: 12,
        left: [
          props.ingestFunction.metricDuration({ period, statistic: p(50), label: 'Duration p50' }),
          props.ingestFunction.metricDuration({ period, statistic: p(99), label: 'Duration p99' }),
        ],
        right: [
          props.ingestFunction.metricErrors({ period, statistic: Stats.SUM, label: 'Errors' }),
          props.ingestFunction.metricThrottles({ period, statistic: Stats.SUM, label: 'Throttles' }),
        ],
      }),
    );
    const maxAge = props.maxIteratorAge ?? Duration.minutes(5);
    const ageAlarm: HorizontalAnnotation = { value: maxAge.toMilliseconds(), label: 'alarm' };
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Publisher',
        width: 8,
        left: [emf(publish.published), emf(publish.failed)],
      }),
      new GraphWidget({
        title: 'Stream iterator age (ms)',
        width: 8,
        left: [
          props.publishFunction.metric('IteratorAge', {
            period,
            statistic: Stats.MAXIMUM,
            label: 'IteratorAge max',
          }),
        ],
        leftAnnotations: [ageAlarm],
      }),
      new GraphWidget({
        title: 'Publish function',
        width: 8,
        left: [
          props.publishFunction.metricDuration({ period, statistic: p(50), label: 'Duration p50' }),
          props.publishFunction.metricDuration({ period, statistic: p(99), label: 'Duration p99' }),
        ],
        right: [props.publishFunction.metricErrors({ period, statistic: Stats.SUM, label: 'Errors' })],
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Call projector',
        width: 8,
        left: [emf(project.projected), emf(project.failed)],
      }),
      new GraphWidget({
        title: 'Projector iterator age (ms)',
        width: 8,
        left: [
          props.projectFunction.metric('IteratorAge', {
            period,
            statistic: Stats.MAXIMUM,
            label: 'IteratorAge max',
          }),
        ],
        leftAnnotations: [ageAlarm],
      }),
      new GraphWidget({
        title: 'Project function',
        width: 8,
        left: [
          props.projectFunction.metricDuration({ period, statistic: p(50), label: 'Duration p50' }),
          props.projectFunction.metricDuration({ period, statistic: p(99), label: 'Duration p99' }),
        ],
        right: [props.projectFunction.metricErrors({ period, statistic: Stats.SUM, label: 'Errors' })],
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Rule deliveries',
        width: 12,
        left: routes.flatMap(([label, route]) => [
          this.ruleMetric(props.eventBus, route.rule, 'Invocations', `${label} Invocations`),
          this.ruleMetric(props.eventBus, route.rule, 'FailedInvocations', `${label} FailedInvocations`),
        ]),
      }),
      new GraphWidget({
        title: 'Dead-letter and failure queues (messages)',
        width: 12,
        left: [
          this.queueDepth(props.publishFailureQueue, 'Publish failure queue'),
          this.queueDepth(props.projectFailureQueue, 'Projector failure queue'),
          ...routes.flatMap(([label, route]) => [
            this.queueDepth(route.deliveryDeadLetterQueue, `${label} delivery DLQ`),
            this.queueDepth(route.deadLetterQueue, `${label} consumer DLQ`),
          ]),
        ],
      }),
    );
    return dashboard;
  }
}
