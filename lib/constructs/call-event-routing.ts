/**
 * The subscriber-facing side: the call-events bus, its archive and schema registry, and its routes
 * to SQS, the built-in ones and any other construct adds with `addRoute`. Every route gets the
 * same queue, dead-letter queues, alarms and dashboard lines.
 */
import { Duration, Fn } from 'aws-cdk-lib';
import { GraphWidget, Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import { type Archive, EventBus, type EventPattern, type IRule, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { CfnRegistry, CfnSchema } from 'aws-cdk-lib/aws-eventschemas';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CALL_LEVEL_EVENTS } from '../../lambda/calls/call-level-events';
import { callLevelJsonSchemas } from '../../lambda/calls/json-schemas';
import { detailJsonSchemas, HOOK_TYPES } from '../../lambda/contract';
import type { CallEventsConfig } from '../config';
import { acknowledge, cfnResourceOf } from '../nag';
import type { Monitoring } from './monitoring';
import { secureQueue } from './secure-queue';

/**
 * A fixed, documented name: subscribers in other stacks and accounts write rules against it
 * (`EventBus.fromEventBusName(this, 'Bus', 'call-events')`). One deployment per account and region.
 */
export const EVENT_BUS_NAME = 'call-events';

/** Deliveries of a message before the consumer queue moves it to its dead-letter queue. */
const MAX_RECEIVE_COUNT = 5;

/** `eventSource`: matched by the rules and the archive; `archiveRetentionDays`: 0 keeps events indefinitely. */
export type CallEventRoutingConfig = Pick<CallEventsConfig, 'eventSource' | 'archiveRetentionDays'>;

export interface CallEventRoutingProps {
  readonly config: CallEventRoutingConfig;
  readonly monitoring: Monitoring;
  /** @default EVENT_BUS_NAME */
  readonly eventBusName?: string;
}

/** What a route carries, and from which events. */
export interface CallEventRouteOptions {
  /** What the route carries, as the rule's description begins: "Every MissedIncCall call event". */
  readonly description: string;
  /** Which events of the bus; match `source` too, so that only the app's own events are routed. */
  readonly eventPattern: EventPattern;
  /**
   * A fixed rule name, for a rule operators and subscribers refer to; names are unique on the bus.
   * @default - a name CloudFormation generates
   */
  readonly ruleName?: string;
  /** How long a consumer has a received message to itself. @default Duration.seconds(30) (SQS's) */
  readonly visibilityTimeout?: Duration;
  /** Receives before the queue moves a message to its dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;
}

/**
 * The rule's name as its AWS/Events metrics carry it. `Ref` of a rule on a custom bus is
 * `bus|rule` (not documented), so it is taken from the documented ARN,
 * `arn:…:rule/<bus>/<rule>`, which holds the bus name for every rule not on the default bus.
 */
const ruleNameOnBus = (rule: IRule) => Fn.select(2, Fn.split('/', rule.ruleArn));

/** One kind of event routed to a queue, with both places a message can end up when it is not consumed. */
export interface CallEventRoute {
  readonly rule: Rule;
  /** Where consumers read the events. */
  readonly queue: Queue;
  /** Messages consumers received `maxReceiveCount` times without deleting them. */
  readonly deadLetterQueue: Queue;
  /** Events EventBridge could not deliver to `queue` within the target's retry policy. */
  readonly deliveryDeadLetterQueue: Queue;
}

export class CallEventRouting extends Construct {
  readonly eventBus: EventBus;
  readonly archive: Archive;
  readonly schemaRegistry: CfnRegistry;
  /** Every MissedIncCall: e.g. to create a call-back task. */
  readonly missedCalls: CallEventRoute;
  /** Every EndIncCall: answered incoming calls, with their talk time. */
  readonly endedCalls: CallEventRoute;
  /** Every call that ended missed (CallCompleted, Outcome missed): one message per call to call back. */
  readonly missedCallsToCallBack: CallEventRoute;
  /** Every call that never ended (CallStuck): usually a webhook the provider never delivered. */
  readonly stuckCalls: CallEventRoute;

  private readonly monitoring: Monitoring;
  /** Every route's invocations and failed ones, each route adding its lines. */
  private readonly deliveries: GraphWidget;

  constructor(scope: Construct, id: string, props: CallEventRoutingProps) {
    super(scope, id);
    const { config } = props;
    this.monitoring = props.monitoring;
    this.deliveries = new GraphWidget({ title: 'Rule deliveries', width: 24 });
    this.monitoring.addWidgets(this.deliveries);

    this.eventBus = new EventBus(this, 'Bus', {
      eventBusName: props.eventBusName ?? EVENT_BUS_NAME,
      description: 'Call events of the cloud PBX, one detail-type per HookType',
    });
    this.archive = this.eventBus.archive('Archive', {
      description: `Every ${config.eventSource} event, for replay`,
      eventPattern: { source: [config.eventSource] },
      // 0 days is EventBridge's "indefinitely".
      retention: Duration.days(config.archiveRetentionDays),
    });

    this.schemaRegistry = new CfnRegistry(this, 'SchemaRegistry', {
      registryName: this.eventBus.eventBusName,
      description: `JSON Schemas of the detail of each ${config.eventSource} detail-type`,
    });
    const schemas = detailJsonSchemas();
    for (const hookType of HOOK_TYPES) {
      new CfnSchema(this, `${hookType}Schema`, {
        registryName: this.schemaRegistry.attrRegistryName,
        schemaName: `${config.eventSource}@${hookType}`,
        type: 'JSONSchemaDraft4',
        content: JSON.stringify(schemas[hookType]),
        description: `detail of ${config.eventSource} ${hookType} events`,
      });
    }
    const callLevel = Object.entries(callLevelJsonSchemas());
    for (const [detailType, { schema, what }] of callLevel) {
      new CfnSchema(this, `${detailType}Schema`, {
        registryName: this.schemaRegistry.attrRegistryName,
        schemaName: `${config.eventSource}@${detailType}`,
        type: 'JSONSchemaDraft4',
        content: JSON.stringify(schema),
        description: `detail of ${config.eventSource} ${detailType} events: ${what}`,
      });
    }

    const source = [config.eventSource];
    this.missedCalls = this.addRoute('MissedCalls', {
      description: 'Every MissedIncCall call event',
      eventPattern: { source, detailType: ['MissedIncCall'] },
    });
    this.endedCalls = this.addRoute('EndedCalls', {
      description: 'Every EndIncCall call event',
      eventPattern: { source, detailType: ['EndIncCall'] },
    });
    // Named: operators and subscribers refer to them.
    this.missedCallsToCallBack = this.addRoute('MissedCallsToCallBack', {
      // A call that ends missed, however it got there, and a missed call later found answered.
      description: 'Every call that ended missed, once per call, and its correction if it was not',
      eventPattern: {
        source,
        detailType: [CALL_LEVEL_EVENTS.completed],
        detail: { $or: [{ Outcome: ['missed'] }, { PreviousOutcome: ['missed'] }] },
      },
      ruleName: 'MissedCallsToCallBack',
    });
    this.stuckCalls = this.addRoute('StuckCalls', {
      description: 'Every call that never ended',
      eventPattern: { source, detailType: [CALL_LEVEL_EVENTS.stuck] },
      ruleName: 'StuckCalls',
    });
  }

  /**
   * A rule on the bus delivering to its own encrypted queue, with a dead-letter queue for what
   * consumers cannot handle and one for what EventBridge cannot deliver, an alarm on each and on
   * the rule's failed invocations, and its lines on the dashboard. `id` names the route in its
   * resources' ids, alarm texts and graph legends.
   */
  addRoute(id: string, options: CallEventRouteOptions): CallEventRoute {
    const scope = new Construct(this, id);
    const deadLetterQueue = secureQueue(scope, 'DeadLetterQueue');
    const queue = secureQueue(scope, 'Queue', {
      deadLetterQueue: {
        queue: deadLetterQueue,
        maxReceiveCount: options.maxReceiveCount ?? MAX_RECEIVE_COUNT,
      },
      ...(options.visibilityTimeout ? { visibilityTimeout: options.visibilityTimeout } : {}),
    });
    const deliveryDeadLetterQueue = secureQueue(scope, 'DeliveryDeadLetterQueue');
    acknowledge(cfnResourceOf(deliveryDeadLetterQueue), {
      'AwsSolutions-SQS3': `This queue is itself the dead-letter queue of the ${id} rule's target: it holds events EventBridge could not deliver, to redrive once the cause is fixed; a further DLQ would only move them again.`,
    });
    const rule = new Rule(scope, 'Rule', {
      eventBus: this.eventBus,
      ...(options.ruleName ? { ruleName: options.ruleName } : {}),
      description: `${options.description} to its SQS queue`,
      eventPattern: options.eventPattern,
      targets: [
        new SqsQueue(queue, {
          deadLetterQueue: deliveryDeadLetterQueue,
          retryAttempts: 8,
          maxEventAge: Duration.days(1),
        }),
      ],
    });
    const route = { rule, queue, deadLetterQueue, deliveryDeadLetterQueue };
    this.monitor(scope, id, route);
    return route;
  }

  private monitor(scope: Construct, label: string, route: CallEventRoute): void {
    const { monitoring } = this;
    monitoring.deadLetterAlarm(
      scope,
      'DeliveryDlqAlarm',
      route.deliveryDeadLetterQueue,
      `${label} delivery DLQ`,
      `EventBridge could not deliver ${label} events to their SQS queue after its retries; they wait in the rule target's dead-letter queue. ` +
        `Check the queue's policy and encryption and the messages' error attributes, then redrive them to the queue (or replay from the bus archive).`,
    );
    monitoring.deadLetterAlarm(
      scope,
      'ConsumerDlqAlarm',
      route.deadLetterQueue,
      `${label} consumer DLQ`,
      `A consumer of the ${label} queue received messages repeatedly without deleting them; they moved to its dead-letter queue. ` +
        `Fix the consumer (its logs), then redrive the dead-letter queue to the source queue from the SQS console.`,
    );
    monitoring.alarm(
      scope,
      'FailedInvocationsAlarm',
      this.ruleMetric(route.rule, 'FailedInvocations'),
      1,
      `EventBridge permanently failed to invoke the ${label} rule's target (and could not dead-letter it). ` +
        `Check that the target queue exists and its policy allows events.amazonaws.com; replay the missed window from the bus archive.`,
    );
    this.deliveries.addLeftMetric(this.ruleMetric(route.rule, 'Invocations', `${label} Invocations`));
    this.deliveries.addLeftMetric(
      this.ruleMetric(route.rule, 'FailedInvocations', `${label} FailedInvocations`),
    );
  }

  /** No label when an alarm watches it: a labelled metric makes the alarm a metric-math one. */
  private ruleMetric(rule: IRule, metricName: string, label?: string): Metric {
    return new Metric({
      namespace: 'AWS/Events',
      metricName,
      dimensionsMap: { EventBusName: this.eventBus.eventBusName, RuleName: ruleNameOnBus(rule) },
      statistic: Stats.SUM,
      period: this.monitoring.period,
      label,
    });
  }
}
