/**
 * The app: one line per construct, each given its slice of the configuration, the resources it
 * builds on, and the monitoring facade it adds its own alarms and graphs to; then what an operator
 * needs to know, as outputs.
 */
import { Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { CRMS } from '../lambda/crm/crms';
import type { CallEventsConfig } from './config';
import { LOG_LEVEL_CONTEXT, TRACING_CONTEXT } from './constructs/bundled-function';
import { CallEventRouting } from './constructs/call-event-routing';
import { CallEventStore } from './constructs/call-event-store';
import { CallProjector } from './constructs/call-projector';
import { CallSweep } from './constructs/call-sweep';
import { CrmDelivery } from './constructs/crm-delivery';
import { EventPublisher } from './constructs/event-publisher';
import { Monitoring } from './constructs/monitoring';
import { WebhookApi } from './constructs/webhook-api';

export interface CallEventsStackProps extends StackProps {
  readonly config: CallEventsConfig;
}

/**
 * Its constructs are public for tests and tools to read, and for a construct added later to build
 * on (`stack.routing.addRoute`, `stack.monitoring.alarm`).
 */
export class CallEventsStack extends Stack {
  readonly monitoring: Monitoring;
  readonly store: CallEventStore;
  readonly webhook: WebhookApi;
  readonly routing: CallEventRouting;
  readonly publisher: EventPublisher;
  readonly projector: CallProjector;
  readonly sweep: CallSweep;
  /** Every finished call into the CRM; only when `crm` is configured. */
  readonly crm: CrmDelivery | undefined;

  constructor(scope: Construct, id: string, props: CallEventsStackProps) {
    super(scope, id, props);
    const { config } = props;
    // Read by every BundledFunction below it, the stack's own and any consumer's alike.
    this.node.setContext(TRACING_CONTEXT, config.tracing);
    this.node.setContext(LOG_LEVEL_CONTEXT, config.logLevel);

    // First: every construct after it adds its alarms and graphs to it.
    this.monitoring = new Monitoring(this, 'Monitoring', { config });
    // Whole: each construct's props pick the slice of the configuration it reads.
    const shared = { config, monitoring: this.monitoring };
    this.store = new CallEventStore(this, 'Store', { indexStep: config.callsIndexStep });
    const { callEvents, rejectedCallEvents, calls } = this.store;
    this.webhook = new WebhookApi(this, 'Webhook', { ...shared, callEvents, rejectedCallEvents });
    this.routing = new CallEventRouting(this, 'Routing', shared);
    const { eventBus, stuckCalls } = this.routing;
    this.publisher = new EventPublisher(this, 'Publisher', { ...shared, callEvents, calls, eventBus });
    this.projector = new CallProjector(this, 'Projector', {
      ...shared,
      callEvents,
      calls,
      indexes: this.store,
    });
    this.sweep = new CallSweep(this, 'Sweep', {
      ...shared,
      calls,
      indexes: this.store,
      stuckCallsQueue: stuckCalls.queue,
    });
    // Consumers of the bus: each one construct (lib/constructs/bus-consumer.ts), one line here.
    const { crm, crmUrl } = config;
    this.crm =
      crm && crmUrl
        ? new CrmDelivery(this, 'Crm', {
            ...shared,
            config: { ...config, crm, crmUrl },
            routing: this.routing,
          })
        : undefined;

    this.outputs();
  }

  private outputs(): void {
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });

    output('WebhookUrl', this.webhook.webhookUrl, 'Give this URL to the provider (POST, with the token)');
    const secret = this.webhook.tokenSecret;
    if (secret) {
      output('WebhookTokenSecretArn', secret.secretArn, 'Secret holding the webhook token');
      output(
        'WebhookTokenCommand',
        `aws secretsmanager get-secret-value --region ${Aws.REGION} --secret-id ${secret.secretArn} --query SecretString --output text`,
        'Prints the webhook token to configure at the provider',
      );
    }
    const key = this.webhook.customerNumberKey;
    if (key)
      output(
        'CustomerNumberKeySecretArn',
        key.secretArn,
        "Pseudonymous mode: the key of the customers' pseudonyms (give it to the tools as --key-secret)",
      );
    output('EventBusName', this.routing.eventBus.eventBusName, 'Bus to write subscriber rules against');
    output('EventBusArn', this.routing.eventBus.eventBusArn, 'ARN of the call-events bus');
    output('CallEventsTableName', this.store.callEvents.tableName, 'One partition per call (SessionID)');
    output('RejectedCallEventsTableName', this.store.rejectedCallEvents.tableName, 'Quarantined webhooks');
    output(
      'CallsTableName',
      this.store.calls.tableName,
      `One record per call; indexes ${this.store.callsIndexNames.join(', ')}`,
    );
    output('MissedCallsQueueUrl', this.routing.missedCalls.queue.queueUrl, 'Every MissedIncCall event');
    output('EndedCallsQueueUrl', this.routing.endedCalls.queue.queueUrl, 'Every EndIncCall event');
    output(
      'MissedCallsToCallBackQueueUrl',
      this.routing.missedCallsToCallBack.queue.queueUrl,
      'One CallCompleted event per missed call, to call back',
    );
    output(
      'StuckCallsQueueUrl',
      this.routing.stuckCalls.queue.queueUrl,
      'One CallStuck event per call that never ended',
    );
    output(
      'PublishFailureQueueUrl',
      this.publisher.failureQueue.queueUrl,
      'Stream records the publisher gave up on',
    );
    output(
      'ProjectFailureQueueUrl',
      this.projector.failureQueue.queueUrl,
      'Stream records the call projector gave up on',
    );
    if (this.crm) {
      const { secret, ledger, consumer } = this.crm;
      output(
        'CrmSecretArn',
        secret.secretArn,
        `Put the CRM's credentials here: ${CRMS[this.crm.crm].secretExample}`,
      );
      output('CrmLedgerTableName', ledger.tableName, 'One item per call delivered to the CRM');
      output('CrmQueueUrl', consumer.route.queue.queueUrl, 'CallCompleted events waiting for the CRM');
      output(
        'CrmDeadLetterQueueUrl',
        consumer.route.deadLetterQueue.queueUrl,
        'Calls the CRM refused (npm run crm -- redeliver)',
      );
    }
    output('AlarmTopicArn', this.monitoring.alarmTopic.topicArn, 'Every alarm notifies this SNS topic');
    const dashboardName = this.monitoring.dashboard.dashboardName;
    output('DashboardName', dashboardName, 'CloudWatch dashboard of the flow');
    output(
      'DashboardUrl',
      `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/${dashboardName}`,
      'Opens the dashboard in the CloudWatch console',
    );
  }
}
