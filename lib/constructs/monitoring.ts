/**
 * The app's alarms and dashboard, and the one way a construct adds to them. It holds the encrypted
 * SNS topic every alarm notifies (with an email subscription when an address is configured) and
 * the CloudWatch dashboard, but knows none of the app's functions, queues or routes: it is created
 * first and handed to each construct, which adds the alarms and graphs of its own failure paths
 * through the helpers below (docs/RELIABILITY.md lists those paths). So a new construct brings its
 * monitoring with it, and the dashboard's first widget lists every alarm, whoever added it.
 */
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  ConcreteWidget,
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  Metric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS } from '../../lambda/config/metrics';
import type { CallEventsConfig } from '../config';

export interface MonitoringProps {
  /** `alarmEmail`: subscribed to the topic when set; otherwise subscribe to `alarmTopic` yourself. */
  readonly config: Pick<CallEventsConfig, 'alarmEmail'>;
  /** Period every alarm evaluates (one period, one datapoint) and the graphs aggregate. @default Duration.minutes(5) */
  readonly period?: Duration;
  /** Age of the oldest unprocessed stream record that raises a stream consumer's alarm. @default Duration.minutes(5) */
  readonly maxIteratorAge?: Duration;
}

/** The alarms every function gets: each text is the alarm's description, what it means and what to do. */
export interface FunctionAlarmDescriptions {
  /** The function itself failed (crash, timeout, configuration error). */
  readonly errors: string;
  /** Invocations were throttled; only where a caller sees it. @default - no throttles alarm */
  readonly throttles?: string;
}

/** A stream consumer's alarms: how far behind it is, its errors, and what its mapping gave up on. */
export interface StreamConsumerAlarmProps {
  /** The mapping's on-failure destination. */
  readonly failureQueue: IQueue;
  /** The failure queue's line on the dead-letter graph. */
  readonly failureQueueLabel: string;
  /** The consumer is more than `maxIteratorAge` behind its stream. */
  readonly behind: string;
  /** The function failed a whole batch. */
  readonly errors: string;
  /** The mapping gave up on records: a message waits in the failure queue. */
  readonly gaveUp: string;
}

export interface GraphOptions {
  /** In a grid 24 units wide. @default 8 */
  readonly width?: number;
}

/** CloudWatch's limit on the ARNs an alarm-status widget lists. */
const MAX_ALARMS_IN_WIDGET = 100;

/**
 * The alarm-status widget of every alarm added through the facade, built when the dashboard is
 * rendered (at synth) rather than when it is added, so that it lists the alarms of constructs
 * created after it.
 */
class EveryAlarmWidget extends ConcreteWidget {
  constructor(private readonly alarms: readonly Alarm[]) {
    super(24, 3);
  }

  override toJson(): unknown[] {
    if (this.alarms.length > MAX_ALARMS_IN_WIDGET) {
      throw new Error(
        `${this.alarms.length} alarms: an alarm-status widget lists at most ${MAX_ALARMS_IN_WIDGET}; split it`,
      );
    }
    const widget = new AlarmStatusWidget({ title: 'Alarms', alarms: [...this.alarms], width: this.width });
    widget.position(this.x ?? 0, this.y ?? 0);
    return widget.toJson();
  }
}

export class Monitoring extends Construct {
  /** Every alarm notifies it, on ALARM and on OK. */
  readonly alarmTopic: Topic;
  /** Customer managed: CloudWatch cannot publish to a topic under the AWS-managed `alias/aws/sns` key. */
  readonly alarmTopicKey: Key;
  readonly dashboard: Dashboard;
  /** What every alarm evaluates and every graph aggregates. */
  readonly period: Duration;
  /** A stream consumer's iterator-age threshold. */
  readonly maxIteratorAge: Duration;

  private readonly added: Alarm[] = [];
  /** One graph of every queue where messages wait for an operator, each construct adding its own. */
  private readonly deadLetters: GraphWidget;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.period = props.period ?? Duration.minutes(5);
    this.maxIteratorAge = props.maxIteratorAge ?? Duration.minutes(5);

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
    if (props.config.alarmEmail)
      this.alarmTopic.addSubscription(new EmailSubscription(props.config.alarmEmail));

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(6) });
    this.dashboard.addWidgets(new EveryAlarmWidget(this.added));
    this.deadLetters = new GraphWidget({ title: 'Dead-letter and failure queues (messages)', width: 24 });
    this.dashboard.addWidgets(this.deadLetters);
  }

  /** Every alarm added through the facade, in the order added. */
  get alarms(): readonly Alarm[] {
    return this.added;
  }

  /**
   * An alarm in `scope` that notifies the topic when it fires and when it clears. One period, one
   * datapoint; no data is healthy (EMF, EventBridge and idle SQS queues send nothing when nothing
   * happens). Give it a metric without a label: a labelled one makes it a metric-math alarm.
   */
  alarm(
    scope: Construct,
    id: string,
    metric: IMetric,
    threshold: number,
    description: string,
    comparison = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  ): Alarm {
    const alarm = new Alarm(scope, id, {
      metric,
      threshold,
      comparisonOperator: comparison,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    const action = new SnsAction(this.alarmTopic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.added.push(alarm);
    return alarm;
  }

  /** An EMF metric of the functions, summed, with the `service` dimension alone, as they emit it. */
  emf(metricName: string, label?: string): Metric {
    return new Metric({
      namespace: METRICS.namespace,
      metricName,
      dimensionsMap: { [METRICS.dimensions.service]: METRICS.service },
      statistic: Stats.SUM,
      period: this.period,
      label,
    });
  }

  /** The most messages waiting in `queue` during a period. */
  queueDepth(queue: IQueue, label?: string): Metric {
    return queue.metricApproximateNumberOfMessagesVisible({
      statistic: Stats.MAXIMUM,
      period: this.period,
      label,
    });
  }

  /** An alarm on any message in a dead-letter or failure queue, which is also drawn on the dead-letter graph. */
  deadLetterAlarm(scope: Construct, id: string, queue: IQueue, label: string, description: string): Alarm {
    this.deadLetters.addLeftMetric(this.queueDepth(queue, label));
    return this.alarm(scope, id, this.queueDepth(queue), 1, description);
  }

  /** `<function id>ErrorsAlarm` on any error, and `<function id>ThrottlesAlarm` when described. */
  functionAlarms(scope: Construct, fn: IFunction, descriptions: FunctionAlarmDescriptions): Alarm[] {
    const sum = { period: this.period, statistic: Stats.SUM };
    const alarms = [
      this.alarm(scope, `${fn.node.id}ErrorsAlarm`, fn.metricErrors(sum), 1, descriptions.errors),
    ];
    if (descriptions.throttles !== undefined) {
      alarms.push(
        this.alarm(scope, `${fn.node.id}ThrottlesAlarm`, fn.metricThrottles(sum), 1, descriptions.throttles),
      );
    }
    return alarms;
  }

  /**
   * A stream consumer's alarms: `<function id>IteratorAgeAlarm` past `maxIteratorAge`, its errors,
   * and `<queue id>Alarm` on its failure queue (drawn on the dead-letter graph).
   */
  streamConsumerAlarms(scope: Construct, fn: IFunction, props: StreamConsumerAlarmProps): Alarm[] {
    return [
      this.alarm(
        scope,
        `${fn.node.id}IteratorAgeAlarm`,
        fn.metric('IteratorAge', { statistic: Stats.MAXIMUM, period: this.period }),
        this.maxIteratorAge.toMilliseconds(),
        props.behind,
        ComparisonOperator.GREATER_THAN_THRESHOLD,
      ),
      ...this.functionAlarms(scope, fn, { errors: props.errors }),
      this.deadLetterAlarm(
        scope,
        `${props.failureQueue.node.id}Alarm`,
        props.failureQueue,
        props.failureQueueLabel,
        props.gaveUp,
      ),
    ];
  }

  /** Adds one row of widgets to the dashboard, below the rows added before. */
  addWidgets(...widgets: IWidget[]): void {
    this.dashboard.addWidgets(...widgets);
  }

  /** A function's duration (p50, p99) and, on the right, its errors and, if asked, its throttles. */
  functionGraph(
    title: string,
    fn: IFunction,
    options: GraphOptions & { throttles?: boolean } = {},
  ): GraphWidget {
    const period = this.period;
    return new GraphWidget({
      title,
      width: options.width ?? 8,
      left: [
        fn.metricDuration({ period, statistic: Stats.percentile(50), label: 'Duration p50' }),
        fn.metricDuration({ period, statistic: Stats.percentile(99), label: 'Duration p99' }),
      ],
      right: [
        fn.metricErrors({ period, statistic: Stats.SUM, label: 'Errors' }),
        ...(options.throttles
          ? [fn.metricThrottles({ period, statistic: Stats.SUM, label: 'Throttles' })]
          : []),
      ],
    });
  }

  /** A stream consumer's iterator age, with its alarm's threshold drawn. */
  iteratorAgeGraph(title: string, fn: IFunction, options: GraphOptions = {}): GraphWidget {
    return new GraphWidget({
      title,
      width: options.width ?? 8,
      left: [
        fn.metric('IteratorAge', { period: this.period, statistic: Stats.MAXIMUM, label: 'IteratorAge max' }),
      ],
      leftAnnotations: [{ value: this.maxIteratorAge.toMilliseconds(), label: 'alarm' }],
    });
  }
}
