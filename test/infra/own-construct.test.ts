/**
 * A construct added to the stack brings its own monitoring: one line adds it, and through the
 * facade alone its alarms notify the topic and appear on the dashboard; a route it adds through
 * `routing.addRoute` gets the queues, encryption, alarms and graph lines of the built-in ones.
 */
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type Alarm, GraphWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { buildCallEventsApp, type CallEventsApp } from '../../lib/app';
import type { CallEventRoute, CallEventRouting } from '../../lib/constructs/call-event-routing';
import type { Monitoring } from '../../lib/constructs/monitoring';
import { secureQueue } from '../../lib/constructs/secure-queue';
import {
  alarmsOnDashboard,
  alarmsWatching,
  arnOf,
  dashboardWidgets,
  graph,
  logicalId,
  queueDimensions,
  refOf,
} from './synth';

/** Work waiting for a partner system: a queue, an alarm on its backlog and one on its dead letters. */
class PartnerBacklog extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly backlogAlarm: Alarm;
  readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, { monitoring }: { monitoring: Monitoring }) {
    super(scope, id);
    this.deadLetterQueue = secureQueue(this, 'DeadLetterQueue');
    this.queue = secureQueue(this, 'Queue', {
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 3 },
    });
    this.backlogAlarm = monitoring.alarm(
      this,
      'BacklogAlarm',
      monitoring.queueDepth(this.queue),
      100,
      'More than 100 messages wait for the partner system: it is down or slow. Check its status page, then the consumer logs.',
    );
    this.deadLetterAlarm = monitoring.deadLetterAlarm(
      this,
      'DeadLetterAlarm',
      this.deadLetterQueue,
      'Partner DLQ',
      'The partner consumer failed messages repeatedly; they wait in its dead-letter queue. Fix it, then redrive them.',
    );
    monitoring.addWidgets(
      new GraphWidget({
        title: 'Partner backlog',
        width: 12,
        left: [monitoring.queueDepth(this.queue, 'Backlog')],
      }),
    );
  }
}

/** A future consumer, say a CRM: every completed call, on a route of its own. */
class CrmSync extends Construct {
  readonly route: CallEventRoute;

  constructor(
    scope: Construct,
    id: string,
    { routing, eventSource }: { routing: CallEventRouting; eventSource: string },
  ) {
    super(scope, id);
    this.route = routing.addRoute('CrmSync', {
      description: 'Every completed call, for the CRM',
      eventPattern: { source: [eventSource], detailType: ['CallCompleted'] },
    });
  }
}

let built: CallEventsApp;
let backlog: PartnerBacklog;
let crm: CrmSync;
let template: Template;

beforeAll(() => {
  built = buildCallEventsApp({ bundle: false, validate: false });
  const { stack, config } = built;
  // After the stack is built, as a construct of its own would be: one line each.
  backlog = new PartnerBacklog(stack, 'PartnerBacklog', { monitoring: stack.monitoring });
  crm = new CrmSync(stack, 'CrmSync', { routing: stack.routing, eventSource: config.eventSource });
  template = Template.fromStack(stack);
});

const topic = () => refOf(built.stack.monitoring.alarmTopic);
const alarmProperties = (id: string) => template.findResources('AWS::CloudWatch::Alarm')[id]?.Properties;

describe('a construct with its own alarms', () => {
  it.each([
    ['backlog', () => [backlog.backlogAlarm, backlog.queue, 100] as const],
    ['dead letters', () => [backlog.deadLetterAlarm, backlog.deadLetterQueue, 1] as const],
  ])('its %s alarm watches its queue and notifies the alarm topic on ALARM and on OK', (_what, parts) => {
    const [alarm, queue, threshold] = parts();
    expect(alarmProperties(logicalId(alarm))).toMatchObject({
      Namespace: 'AWS/SQS',
      Dimensions: queueDimensions(logicalId(queue)),
      Threshold: threshold,
      AlarmActions: [topic()],
      OKActions: [topic()],
    });
  });

  it("is listed on the dashboard's alarm widget, though added after the dashboard", () => {
    expect(alarmsOnDashboard(template)).toEqual(
      expect.arrayContaining([logicalId(backlog.backlogAlarm), logicalId(backlog.deadLetterAlarm)]),
    );
  });

  it('adds its graph, and its dead-letter queue to the dead-letter graph', () => {
    expect(dashboardWidgets(template).map((widget) => widget.properties.title)).toContain('Partner backlog');
    const deadLetters = JSON.stringify(graph(template, 'Dead-letter and failure queues (messages)'));
    expect(deadLetters).toContain(`{{${logicalId(backlog.deadLetterQueue)}.QueueName}}`);
  });
});

describe('a route added by another construct', () => {
  it('has its own encrypted queue with a DLQ, and a delivery DLQ on the rule target', () => {
    const { rule, queue, deadLetterQueue, deliveryDeadLetterQueue } = crm.route;
    const rules = template.findResources('AWS::Events::Rule');
    expect(rules[logicalId(rule)]?.Properties).toMatchObject({
      EventBusName: refOf(built.stack.routing.eventBus),
      EventPattern: { source: [built.config.eventSource], 'detail-type': ['CallCompleted'] },
      Targets: [{ Arn: arnOf(queue), DeadLetterConfig: { Arn: arnOf(deliveryDeadLetterQueue) } }],
    });
    const queues = template.findResources('AWS::SQS::Queue');
    expect(queues[logicalId(queue)]?.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: Duration.days(14).toSeconds(),
      RedrivePolicy: { deadLetterTargetArn: arnOf(deadLetterQueue) },
    });
  });

  it('raises an alarm on either DLQ and on failed invocations, notifying the topic and on the dashboard', () => {
    const { rule, deadLetterQueue, deliveryDeadLetterQueue } = crm.route;
    const ruleName = { 'Fn::Select': [2, { 'Fn::Split': ['/', arnOf(rule)] }] };
    const found = [
      ...alarmsWatching(
        template,
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        queueDimensions(logicalId(deadLetterQueue)),
      ),
      ...alarmsWatching(
        template,
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        queueDimensions(logicalId(deliveryDeadLetterQueue)),
      ),
      ...alarmsWatching(template, 'AWS/Events', 'FailedInvocations', [
        { Name: 'EventBusName', Value: refOf(built.stack.routing.eventBus) },
        { Name: 'RuleName', Value: ruleName },
      ]),
    ];
    expect(found).toHaveLength(3);
    for (const [, alarm] of found) {
      expect(alarm.Properties).toMatchObject({ AlarmActions: [topic()], OKActions: [topic()] });
      expect(alarm.Properties.AlarmDescription).toContain('CrmSync');
    }
    expect(alarmsOnDashboard(template)).toEqual(expect.arrayContaining(found.map(([id]) => id)));
    const deliveries = JSON.stringify(graph(template, 'Rule deliveries'));
    expect(deliveries).toContain('CrmSync Invocations');
    expect(deliveries).toContain('CrmSync FailedInvocations');
  });
});

describe('cdk-nag', () => {
  it('stays clean with both constructs added', () => {
    const violations = built.nagChecks
      .validateScope(built.app)
      .violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(violations).toEqual([]);
  });
});
