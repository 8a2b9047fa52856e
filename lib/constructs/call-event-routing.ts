/** The subscriber-facing side: the call-events bus, its archive and schema registry, and the built-in routes to SQS. */
import { Duration } from 'aws-cdk-lib';
import { type Archive, EventBus, type EventPattern, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { CfnRegistry, CfnSchema } from 'aws-cdk-lib/aws-eventschemas';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  callCompletedJsonSchema,
  callStuckJsonSchema,
  detailJsonSchemas,
  HOOK_TYPES,
  type JsonSchema,
  missedCallResolvedJsonSchema,
} from '../../lambda/contract';
import { CALL_LEVEL_EVENTS } from '../../lambda/contract/call-level-events';
import { acknowledge, cfnResourceOf } from '../nag';
import { secureQueue } from './secure-queue';

/**
 * A fixed, documented name: subscribers in other stacks and accounts write rules against it
 * (`EventBus.fromEventBusName(this, 'Bus', 'call-events')`). One deployment per account and region.
 */
export const EVENT_BUS_NAME = 'call-events';

/** Deliveries of a message before the consumer queue moves it to its dead-letter queue. */
const MAX_RECEIVE_COUNT = 5;

export interface CallEventRoutingProps {
  /** `source` of the published events, matched by the rules and the archive. */
  readonly eventSource: string;
  /** Days the archive keeps events for replay; 0 keeps them indefinitely. */
  readonly archiveRetentionDays: number;
  /** @default EVENT_BUS_NAME */
  readonly eventBusName?: string;
}

/** One kind of event routed to a queue, with both places a message can end up when it is not consumed. */
export interface CallEventRoute {
  readonly rule: Rule;
  /** Where consumers read the events. */
  readonly queue: Queue;
  /** Messages consumers received {@link MAX_RECEIVE_COUNT} times without deleting them. */
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

  constructor(scope: Construct, id: string, props: CallEventRoutingProps) {
    super(scope, id);

    this.eventBus = new EventBus(this, 'Bus', {
      eventBusName: props.eventBusName ?? EVENT_BUS_NAME,
      description: 'Call events of the cloud PBX, one detail-type per HookType',
    });
    this.archive = this.eventBus.archive('Archive', {
      description: `Every ${props.eventSource} event, for replay`,
      eventPattern: { source: [props.eventSource] },
      // 0 days is EventBridge's "indefinitely".
      retention: Duration.days(props.archiveRetentionDays),
    });

    this.schemaRegistry = new CfnRegistry(this, 'SchemaRegistry', {
      registryName: this.eventBus.eventBusName,
      description: `JSON Schemas of the detail of each ${props.eventSource} detail-type`,
    });
    const schemas = detailJsonSchemas();
    for (const hookType of HOOK_TYPES) {
      new CfnSchema(this, `${hookType}Schema`, {
        registryName: this.schemaRegistry.attrRegistryName,
        schemaName: `${props.eventSource}@${hookType}`,
        type: 'JSONSchemaDraft4',
        content: JSON.stringify(schemas[hookType]),
        description: `detail of ${props.eventSource} ${hookType} events`,
      });
    }
    const callLevel: [string, JsonSchema, string][] = [
      [CALL_LEVEL_EVENTS.completed, callCompletedJsonSchema(), "the call's record"],
      [
        CALL_LEVEL_EVENTS.missedCallResolved,
        missedCallResolvedJsonSchema(),
        'how a missed call was resolved',
      ],
      [CALL_LEVEL_EVENTS.stuck, callStuckJsonSchema(), "the stuck call's record"],
    ];
    for (const [detailType, schema, what] of callLevel) {
      new CfnSchema(this, `${detailType}Schema`, {
        registryName: this.schemaRegistry.attrRegistryName,
        schemaName: `${props.eventSource}@${detailType}`,
        type: 'JSONSchemaDraft4',
        content: JSON.stringify(schema),
        description: `detail of ${props.eventSource} ${detailType} events: ${what}`,
      });
    }

    const source = [props.eventSource];
    this.missedCalls = this.route('MissedCalls', 'Every MissedIncCall call event', {
      source,
      detailType: ['MissedIncCall'],
    });
    this.endedCalls = this.route('EndedCalls', 'Every EndIncCall call event', {
      source,
      detailType: ['EndIncCall'],
    });
    // Named: operators and subscribers refer to it, and rule names are unique on the fixed-name bus.
    this.missedCallsToCallBack = this.route(
      'MissedCallsToCallBack',
      'Every call that ended missed, once per call',
      { source, detailType: [CALL_LEVEL_EVENTS.completed], detail: { Outcome: ['missed'] } },
      'MissedCallsToCallBack',
    );
    this.stuckCalls = this.route(
      'StuckCalls',
      'Every call that never ended',
      { source, detailType: [CALL_LEVEL_EVENTS.stuck] },
      'StuckCalls',
    );
  }

  private route(id: string, what: string, eventPattern: EventPattern, ruleName?: string): CallEventRoute {
    const scope = new Construct(this, id);
    const deadLetterQueue = secureQueue(scope, 'DeadLetterQueue');
    const queue = secureQueue(scope, 'Queue', {
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    const deliveryDeadLetterQueue = secureQueue(scope, 'DeliveryDeadLetterQueue');
    acknowledge(cfnResourceOf(deliveryDeadLetterQueue), {
      'AwsSolutions-SQS3': `This queue is itself the dead-letter queue of the ${id} rule's target: it holds events EventBridge could not deliver, to redrive once the cause is fixed; a further DLQ would only move them again.`,
    });
    const rule = new Rule(scope, 'Rule', {
      eventBus: this.eventBus,
      ...(ruleName ? { ruleName } : {}),
      description: `${what} to its SQS queue`,
      eventPattern,
      targets: [
        new SqsQueue(queue, {
          deadLetterQueue: deliveryDeadLetterQueue,
          retryAttempts: 8,
          maxEventAge: Duration.days(1),
        }),
      ],
    });
    return { rule, queue, deadLetterQueue, deliveryDeadLetterQueue };
  }
}
