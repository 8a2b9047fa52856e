/**
 * Monitoring: an alarm on every failure path, each added by the construct that owns the path
 * through the facade, the encrypted topic they notify, and the flow dashboard.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IRule } from 'aws-cdk-lib/aws-events';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { METRICS } from '../../lambda/config/metrics';
import type { CallEventsStack } from '../../lib/call-events-stack';
import { parseConfig } from '../../lib/config';
import { CallEventStore } from '../../lib/constructs/call-event-store';
import { CallProjector } from '../../lib/constructs/call-projector';
import { Monitoring } from '../../lib/constructs/monitoring';
import { WebhookApi } from '../../lib/constructs/webhook-api';
import {
  alarmsOnDashboard,
  alarmsWatching,
  arnOf,
  dashboardWidgets,
  defined,
  getAttOf,
  graph,
  logicalId,
  queueDimensions as queueMetricDimensions,
  refOf,
  synthesize,
} from './synth';

let stack: CallEventsStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthesize());
});

const FIVE_MINUTES = 300;
const emfDimensions = [{ Name: METRICS.dimensions.service, Value: METRICS.service }];
const functionDimensions = (fn: () => IConstruct) => () => [{ Name: 'FunctionName', Value: refOf(fn()) }];
const queueDimensions = (queue: () => IQueue) => () => queueMetricDimensions(logicalId(queue()));
/** A rule's AWS/Events dimensions: its bus, and its own name, the last part of `…:rule/<bus>/<rule>`. */
const ruleMetricDimensions = (bus: unknown, ruleLogicalId: string) => [
  { Name: 'EventBusName', Value: bus },
  {
    Name: 'RuleName',
    Value: { 'Fn::Select': [2, { 'Fn::Split': ['/', { 'Fn::GetAtt': [ruleLogicalId, 'Arn'] }] }] },
  },
];
const ruleDimensions = (rule: () => IRule) => () =>
  ruleMetricDimensions(refOf(stack.routing.eventBus), logicalId(rule()));

const GTE = 'GreaterThanOrEqualToThreshold';

/** One failure path and the alarm that must watch it (5-minute period, one datapoint). */
interface FailurePath {
  path: string;
  namespace: string;
  metric: string;
  dimensions: () => unknown[];
  /** @default 'Sum' */
  statistic?: string;
  /** @default 1 */
  threshold?: number;
  /** @default 'GreaterThanOrEqualToThreshold' */
  comparison?: string;
}

const emf = (path: string, metric: string, threshold = 1): FailurePath => ({
  path,
  namespace: METRICS.namespace,
  metric,
  dimensions: () => emfDimensions,
  threshold,
});
const queueDepth = (path: string, queue: () => IQueue): FailurePath => ({
  path,
  namespace: 'AWS/SQS',
  metric: 'ApproximateNumberOfMessagesVisible',
  statistic: 'Maximum',
  dimensions: queueDimensions(queue),
});
const lambdaMetric = (path: string, metric: string, fn: () => IConstruct): FailurePath => ({
  path,
  namespace: 'AWS/Lambda',
  metric,
  dimensions: functionDimensions(fn),
});

const FAILURE_PATHS: FailurePath[] = [
  emf('rejections', METRICS.ingest.rejected),
  emf('ingest errors', METRICS.ingest.error),
  emf('storage unavailable (503)', METRICS.ingest.storageUnavailable),
  emf('unauthorised spikes', METRICS.ingest.unauthorized, 20),
  lambdaMetric('ingest function errors', 'Errors', () => stack.webhook.ingestFunction),
  lambdaMetric('ingest function throttles', 'Throttles', () => stack.webhook.ingestFunction),
  {
    path: 'API 5xx',
    namespace: 'AWS/ApiGateway',
    metric: '5XXError',
    dimensions: () => [{ Name: 'ApiName', Value: stack.resolve(stack.webhook.restApi.restApiName) }],
  },
  {
    ...lambdaMetric('publisher iterator age', 'IteratorAge', () => stack.publisher.publishFunction),
    statistic: 'Maximum',
    threshold: 300_000,
    comparison: 'GreaterThanThreshold',
  },
  lambdaMetric('publish function errors', 'Errors', () => stack.publisher.publishFunction),
  emf('publish failures', METRICS.publish.failed),
  queueDepth('publish failure queue', () => stack.publisher.failureQueue),
  {
    ...lambdaMetric('projector iterator age', 'IteratorAge', () => stack.projector.projectFunction),
    statistic: 'Maximum',
    threshold: 300_000,
    comparison: 'GreaterThanThreshold',
  },
  lambdaMetric('project function errors', 'Errors', () => stack.projector.projectFunction),
  emf('projection failures', METRICS.project.failed),
  queueDepth('projector failure queue', () => stack.projector.failureQueue),
  lambdaMetric('sweep function errors', 'Errors', () => stack.sweep.sweepFunction),
  queueDepth('a call never ended (StuckCalls queue)', () => stack.routing.stuckCalls.queue),
  ...(
    [
      ['MissedCalls', () => stack.routing.missedCalls],
      ['EndedCalls', () => stack.routing.endedCalls],
      ['MissedCallsToCallBack', () => stack.routing.missedCallsToCallBack],
      ['StuckCalls', () => stack.routing.stuckCalls],
    ] as const
  ).flatMap(([label, route]): FailurePath[] => [
    queueDepth(`${label} rule-target DLQ`, () => route().deliveryDeadLetterQueue),
    queueDepth(`${label} consumer DLQ`, () => route().deadLetterQueue),
    {
      path: `${label} rule FailedInvocations`,
      namespace: 'AWS/Events',
      metric: 'FailedInvocations',
      dimensions: ruleDimensions(() => route().rule),
    },
  ]),
];

const alarms = () => template.findResources('AWS::CloudWatch::Alarm');
const topicRef = () => refOf(stack.monitoring.alarmTopic);

/** Every queue where messages wait for an operator: consumer DLQs, rule-target DLQs, stream failure queues. */
function deadLetterQueues(): string[] {
  const queues = Object.values(template.findResources('AWS::SQS::Queue'));
  const rules = Object.values(template.findResources('AWS::Events::Rule'));
  const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
  const ids = [
    ...queues.map((queue) => getAttOf(queue.Properties.RedrivePolicy?.deadLetterTargetArn)),
    ...rules.flatMap((rule) =>
      (rule.Properties.Targets ?? []).map((target: { DeadLetterConfig?: { Arn: unknown } }) =>
        getAttOf(target.DeadLetterConfig?.Arn),
      ),
    ),
    ...mappings.map((mapping) => getAttOf(mapping.Properties.DestinationConfig?.OnFailure?.Destination)),
  ];
  return [...new Set(ids.filter((id): id is string => id !== undefined))];
}

describe('alarms', () => {
  it.each(FAILURE_PATHS)(
    '$path: $namespace $metric over 5 min, notifying the topic',
    ({ namespace, metric, statistic = 'Sum', dimensions, threshold = 1, comparison = GTE }) => {
      const found = template.findResources('AWS::CloudWatch::Alarm', {
        Properties: {
          Namespace: namespace,
          MetricName: metric,
          Statistic: statistic,
          Dimensions: dimensions(),
          Threshold: threshold,
          ComparisonOperator: comparison,
          Period: FIVE_MINUTES,
          EvaluationPeriods: 1,
          DatapointsToAlarm: 1,
          TreatMissingData: 'notBreaching',
          AlarmActions: [topicRef()],
          OKActions: [topicRef()],
          AlarmDescription: Match.stringLikeRegexp('.{80,}'),
        },
      });
      expect(Object.keys(found)).toHaveLength(1);
    },
  );

  it('every one notifies the topic on ALARM and on OK, watches a plain metric and says what to do', () => {
    expect(Object.keys(alarms()).length).toBeGreaterThan(0);
    for (const alarm of Object.values(alarms())) {
      expect(alarm.Properties).toMatchObject({
        AlarmActions: [topicRef()],
        OKActions: [topicRef()],
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        TreatMissingData: 'notBreaching',
      });
      // A plain metric alarm: a metric-math one (`Metrics`) would not match the checks above.
      expect(alarm.Properties.Metrics).toBeUndefined();
      expect(alarm.Properties.AlarmDescription).toMatch(/.{80,}/);
    }
  });

  it('every one was added through the facade, and is listed on the dashboard', () => {
    const added = stack.monitoring.alarms.map((alarm) => logicalId(alarm)).sort();
    expect(Object.keys(alarms()).sort()).toEqual(added);
    const listed = alarmsOnDashboard(template);
    expect(Object.keys(alarms()).filter((id) => !listed.includes(id))).toEqual([]);
  });

  it('every one on an EMF metric names exactly the dimension set the functions emit', () => {
    const emf = Object.values(alarms()).filter((a) => a.Properties.Namespace === METRICS.namespace);
    expect(emf.length).toBeGreaterThan(0);
    for (const alarm of emf) expect(alarm.Properties.Dimensions).toEqual(emfDimensions);
  });

  it('every dead-letter and failure queue raises one on any message, and is drawn on the dead-letter graph', () => {
    const queues = deadLetterQueues();
    expect(queues.length).toBeGreaterThan(0);
    const drawn = JSON.stringify(
      graph(template, 'Dead-letter and failure queues (messages)').properties.metrics,
    );
    for (const queue of queues) {
      const found = alarmsWatching(
        template,
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        queueMetricDimensions(queue),
      );
      expect(found.map(([, alarm]) => alarm.Properties)).toEqual([
        expect.objectContaining({ Statistic: 'Maximum', Threshold: 1, ComparisonOperator: GTE }),
      ]);
      expect(drawn).toContain(`{{${queue}.QueueName}}`);
    }
  });

  it('every rule with an SQS target raises one on its failed invocations, and draws its deliveries', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    const routes = Object.entries(template.findResources('AWS::Events::Rule')).filter(([, rule]) =>
      (rule.Properties.Targets ?? []).some((target: { Arn: unknown }) => queues[getAttOf(target.Arn) ?? '']),
    );
    expect(routes.length).toBeGreaterThan(0);
    const drawn = graph(template, 'Rule deliveries').properties.metrics ?? [];
    for (const [id, rule] of routes) {
      const dimensions = ruleMetricDimensions(rule.Properties.EventBusName, id);
      expect(alarmsWatching(template, 'AWS/Events', 'FailedInvocations', dimensions)).toHaveLength(1);
      // On the graph, the rule's name is a token of the body that names the rule.
      const ofRule = drawn.filter((metric) => JSON.stringify(metric).includes(`'${id}'`));
      expect(ofRule.map((metric) => metric[1]).sort()).toEqual(['FailedInvocations', 'Invocations']);
    }
  });

  it('every stream consumer raises one when it falls behind its stream', () => {
    const consumers = new Set(
      Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).map(
        (mapping) => mapping.Properties.FunctionName.Ref as string,
      ),
    );
    expect(consumers.size).toBeGreaterThan(0);
    for (const fn of consumers) {
      const found = alarmsWatching(template, 'AWS/Lambda', 'IteratorAge', [
        { Name: 'FunctionName', Value: { Ref: fn } },
      ]);
      expect(found.map(([, alarm]) => alarm.Properties)).toEqual([
        expect.objectContaining({ Statistic: 'Maximum', ComparisonOperator: 'GreaterThanThreshold' }),
      ]);
    }
  });

  it('take their period and the stream threshold from the facade, the ingest thresholds from the webhook', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const tuned = new Stack(app, 'Tuned');
    const config = parseConfig({});
    const monitoring = new Monitoring(tuned, 'Monitoring', {
      config,
      period: Duration.minutes(1),
      maxIteratorAge: Duration.minutes(15),
    });
    const store = new CallEventStore(tuned, 'Store');
    const { callEvents, rejectedCallEvents, calls } = store;
    new WebhookApi(tuned, 'Webhook', {
      config,
      monitoring,
      callEvents,
      rejectedCallEvents,
      rejectedThreshold: 5,
      unauthorizedThreshold: 100,
    });
    new CallProjector(tuned, 'Projector', { config, monitoring, callEvents, calls, indexes: store });
    const props = (metricName: string) =>
      Object.values(
        Template.fromStack(tuned).findResources('AWS::CloudWatch::Alarm', {
          Properties: { MetricName: metricName },
        }),
      ).map((alarm) => alarm.Properties);
    expect(props(METRICS.ingest.rejected)).toEqual([expect.objectContaining({ Threshold: 5, Period: 60 })]);
    expect(props(METRICS.ingest.unauthorized)).toEqual([
      expect.objectContaining({ Threshold: 100, Period: 60 }),
    ]);
    expect(props('IteratorAge')).toEqual([expect.objectContaining({ Threshold: 900_000, Period: 60 })]);
    expect(JSON.stringify(props('IteratorAge'))).toContain('more than 15 minutes behind');
  });
});

describe('alarm topic', () => {
  it('is encrypted with its own rotated key, which CloudWatch may use', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: arnOf(stack.monitoring.alarmTopicKey),
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  it("refuses publishing without TLS and lets this account's alarms publish", () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topicRef()],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Principal: '*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sns:Publish',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Resource: topicRef(),
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': Match.anyValue() },
            },
          }),
        ]),
      },
    });
  });

  it('has no subscription when no alarmEmail is configured', () => {
    expect(template.findResources('AWS::SNS::Subscription')).toEqual({});
  });

  it('subscribes alarmEmail, and only it, by email when configured', () => {
    const configured = synthesize({ alarmEmail: 'ops@example.com' });
    const subscriptions = Object.values(configured.template.findResources('AWS::SNS::Subscription'));
    expect(subscriptions.length).toBeGreaterThan(0);
    for (const subscription of subscriptions) {
      expect(subscription.Properties).toEqual({
        Protocol: 'email',
        Endpoint: 'ops@example.com',
        TopicArn: refOf(configured.stack.monitoring.alarmTopic),
      });
    }
  });
});

describe('dashboard', () => {
  const metrics = () => dashboardWidgets(template).flatMap((widget) => widget.properties.metrics ?? []);

  it('is named by CloudFormation', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: Match.absent() });
  });

  it.each([
    METRICS.ingest.accepted,
    METRICS.ingest.duplicate,
    METRICS.ingest.rejected,
    METRICS.ingest.unauthorized,
    METRICS.ingest.storageUnavailable,
    METRICS.ingest.error,
    METRICS.publish.published,
    METRICS.publish.failed,
    METRICS.project.projected,
    METRICS.project.failed,
    METRICS.sweep.stuck,
  ])('graphs the EMF metric %s with its service dimension', (metricName) => {
    expect(metrics().map((m) => m.slice(0, 4))).toContainEqual([
      METRICS.namespace,
      metricName,
      METRICS.dimensions.service,
      METRICS.service,
    ]);
  });

  it.each([
    ['AWS/ApiGateway', 'Count'],
    ['AWS/ApiGateway', '4XXError'],
    ['AWS/ApiGateway', '5XXError'],
    ['AWS/ApiGateway', 'Latency'],
    ['AWS/Lambda', 'Duration'],
    ['AWS/Lambda', 'IteratorAge'],
    ['AWS/Lambda', 'Errors'],
    ['AWS/Lambda', 'Throttles'],
    ['AWS/Events', 'Invocations'],
    ['AWS/Events', 'FailedInvocations'],
    ['AWS/SQS', 'ApproximateNumberOfMessagesVisible'],
  ])('graphs %s %s', (namespace, metricName) => {
    expect(metrics().some((m) => m[0] === namespace && m[1] === metricName)).toBe(true);
  });

  it.each([
    ['ingest', () => stack.webhook.ingestFunction],
    ['publish', () => stack.publisher.publishFunction],
    ['project', () => stack.projector.projectFunction],
    ['sweep', () => stack.sweep.sweepFunction],
  ])("graphs the %s function's duration as p50 and p99, and its errors", (_kind, fn) => {
    const ofFn = metrics().filter((m) => m[0] === 'AWS/Lambda' && m[3] === `{{Ref:${logicalId(fn())}}}`);
    const stats = (name: string) =>
      ofFn.filter((m) => m[1] === name).map((m) => (m[4] as { stat: string }).stat);
    expect(stats('Duration').sort()).toEqual(['p50', 'p99']);
    expect(stats('Errors')).toEqual(['Sum']);
  });

  it('shows the webhook latency as p50 and p99, and every alarm', () => {
    const latency = metrics().filter((m) => m[0] === 'AWS/ApiGateway' && m[1] === 'Latency');
    expect(latency.map((m) => (m[m.length - 1] as { stat: string }).stat).sort()).toEqual(['p50', 'p99']);
    const listed = alarmsOnDashboard(template);
    expect(Object.keys(alarms()).filter((id) => !listed.includes(id))).toEqual([]);
    expect(listed.filter((id) => !(id in alarms()))).toEqual([]);
  });

  it('opens with the alarms, across the whole width', () => {
    const [first] = dashboardWidgets(template);
    expect(defined(first)).toMatchObject({ type: 'alarm', x: 0, y: 0, width: 24 });
  });
});

describe('outputs', () => {
  it('print the alarm topic and the dashboard', () => {
    const outputs = template.findOutputs('*');
    expect(outputs.AlarmTopicArn?.Value).toEqual(topicRef());
    expect(outputs.DashboardName?.Value).toEqual(refOf(stack.monitoring.dashboard));
    expect(JSON.stringify(outputs.DashboardUrl?.Value)).toContain('#dashboards/dashboard/');
  });
});
