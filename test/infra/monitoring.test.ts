/** Monitoring: an alarm on every failure path, the encrypted topic they notify, the flow dashboard. */
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IRule } from 'aws-cdk-lib/aws-events';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { METRICS } from '../../lambda/contract/runtime-config';
import { buildCallEventsApp } from '../../lib/app';
import type { CallEventsStack } from '../../lib/call-events-stack';
import { Monitoring } from '../../lib/constructs/monitoring';
import { arnOf, logicalId, refOf, synthesize } from './synth';

let stack: CallEventsStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthesize());
});

const FIVE_MINUTES = 300;
const emfDimensions = [{ Name: METRICS.dimensions.service, Value: METRICS.service }];
const functionDimensions = (fn: () => IConstruct) => () => [{ Name: 'FunctionName', Value: refOf(fn()) }];
const queueDimensions = (queue: () => IQueue) => () => [
  { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(queue()), 'QueueName'] } },
];
const ruleDimensions = (rule: () => IRule) => () => [
  { Name: 'EventBusName', Value: refOf(stack.routing.eventBus) },
  // The rule's own name, as AWS/Events metrics carry it: the last part of `…:rule/<bus>/<rule>`.
  { Name: 'RuleName', Value: { 'Fn::Select': [2, { 'Fn::Split': ['/', arnOf(rule())] }] } },
];

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

  it('are exactly these, every one notifying the topic on ALARM and on OK', () => {
    expect(Object.keys(alarms())).toHaveLength(FAILURE_PATHS.length);
    for (const alarm of Object.values(alarms())) {
      expect(alarm.Properties).toMatchObject({ AlarmActions: [topicRef()], OKActions: [topicRef()] });
      // A plain metric alarm: a metric-math one (`Metrics`) would not match the checks above.
      expect(alarm.Properties.Metrics).toBeUndefined();
    }
    expect(stack.monitoring.alarms).toHaveLength(FAILURE_PATHS.length);
  });

  it('watch the EMF metrics with exactly the dimension set the functions emit', () => {
    const emf = Object.values(alarms()).filter((a) => a.Properties.Namespace === METRICS.namespace);
    expect(emf.map((a) => a.Properties.MetricName).sort()).toEqual(
      [
        METRICS.ingest.rejected,
        METRICS.ingest.error,
        METRICS.ingest.storageUnavailable,
        METRICS.ingest.unauthorized,
        METRICS.publish.failed,
        METRICS.project.failed,
      ].sort(),
    );
    for (const alarm of emf)
      expect(alarm.Properties.Dimensions).toEqual([{ Name: 'service', Value: 'call-events' }]);
  });

  it('take their thresholds and period from props', () => {
    // A second Monitoring in a stack not yet synthesized (synthesize() has already synthesized its own).
    const custom = buildCallEventsApp({ bundle: false, validate: false }).stack;
    new Monitoring(custom, 'Tuned', {
      restApi: custom.webhook.restApi,
      ingestFunction: custom.webhook.ingestFunction,
      publishFunction: custom.publisher.publishFunction,
      publishFailureQueue: custom.publisher.failureQueue,
      projectFunction: custom.projector.projectFunction,
      projectFailureQueue: custom.projector.failureQueue,
      sweepFunction: custom.sweep.sweepFunction,
      stuckCallsQueue: custom.routing.stuckCalls.queue,
      eventBus: custom.routing.eventBus,
      routes: { MissedCalls: custom.routing.missedCalls },
      rejectedThreshold: 5,
      unauthorizedThreshold: 100,
      maxIteratorAge: Duration.minutes(15),
      period: Duration.minutes(1),
    });
    const tuned = Template.fromStack(custom);
    const props = (metricName: string) =>
      Object.entries(
        tuned.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: metricName } }),
      )
        .filter(([id]) => id.startsWith('Tuned'))
        .map(([, alarm]) => alarm.Properties);
    expect(props(METRICS.ingest.rejected)).toEqual([expect.objectContaining({ Threshold: 5, Period: 60 })]);
    expect(props(METRICS.ingest.unauthorized)).toEqual([expect.objectContaining({ Threshold: 100 })]);
    expect(props('IteratorAge')).toEqual([
      expect.objectContaining({ Threshold: 900_000 }),
      expect.objectContaining({ Threshold: 900_000 }),
    ]);
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
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('subscribes alarmEmail by email when configured', () => {
    const configured = synthesize({ alarmEmail: 'ops@example.com' });
    configured.template.resourceCountIs('AWS::SNS::Subscription', 1);
    configured.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: refOf(configured.stack.monitoring.alarmTopic),
    });
  });
});

describe('dashboard', () => {
  /** The body with every token as `<token>`: the JSON text CloudWatch receives, minus resolved names. */
  const body = () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const join = dashboards[0]?.Properties.DashboardBody['Fn::Join'] as [string, unknown[]];
    return join[1].map((part) => (typeof part === 'string' ? part : '<token>')).join('');
  };

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
  ])('graphs the EMF metric %s with its service dimension', (metricName) => {
    expect(body()).toContain(`["${METRICS.namespace}","${metricName}","service","${METRICS.service}"`);
  });

  it.each([
    ['AWS/ApiGateway', 'Count'],
    ['AWS/ApiGateway', '4XXError'],
    ['AWS/ApiGateway', '5XXError'],
    ['AWS/ApiGateway', 'Latency'],
    ['AWS/Lambda', 'Duration'],
    ['AWS/Lambda', 'IteratorAge'],
    ['AWS/Lambda', 'Errors'],
    ['AWS/Events', 'Invocations'],
    ['AWS/Events', 'FailedInvocations'],
    ['AWS/SQS', 'ApproximateNumberOfMessagesVisible'],
  ])('graphs %s %s', (namespace, metricName) => {
    expect(body()).toContain(`["${namespace}","${metricName}"`);
  });

  it('shows latency and durations as p50 and p99, and every alarm', () => {
    expect(body()).toContain('"stat":"p50"');
    expect(body()).toContain('"stat":"p99"');
    expect(body().match(/"type":"alarm"/g)).toHaveLength(1);
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0];
    const referenced = [
      ...JSON.stringify(dashboard?.Properties.DashboardBody).matchAll(/"Fn::GetAtt":\["([^"]+)","Arn"\]/g),
    ].map((match) => match[1]);
    expect(Object.keys(alarms()).filter((id) => !referenced.includes(id))).toEqual([]);
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
