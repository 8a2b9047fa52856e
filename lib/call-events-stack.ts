/** Wires the constructs together from the validated configuration and prints what an operator needs. */
import { Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { CallEventsConfig } from './config';
import { CallEventRouting } from './constructs/call-event-routing';
import { CallEventStore } from './constructs/call-event-store';
import { CallProjector } from './constructs/call-projector';
import { CallSweep } from './constructs/call-sweep';
import { EventPublisher } from './constructs/event-publisher';
import { Monitoring } from './constructs/monitoring';
import { WebhookApi } from './constructs/webhook-api';

export interface CallEventsStackProps extends StackProps {
  readonly config: CallEventsConfig;
}

/** Its constructs are public so that monitoring can put alarms on their tables, functions and queues. */
export class CallEventsStack extends Stack {
  readonly store: CallEventStore;
  readonly webhook: WebhookApi;
  readonly routing: CallEventRouting;
  readonly publisher: EventPublisher;
  readonly projector: CallProjector;
  readonly sweep: CallSweep;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: CallEventsStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.store = new CallEventStore(this, 'Store');
    this.webhook = new WebhookApi(this, 'Webhook', {
      callEvents: this.store.callEvents,
      rejectedCallEvents: this.store.rejectedCallEvents,
      timeZone: config.timeZone,
      maxBodyBytes: config.maxBodyBytes,
      retentionDays: config.retentionDays,
      rejectedRetentionDays: config.rejectedRetentionDays,
      webhookTokenSha256: config.webhookTokenSha256,
      allowedSourceIps: config.allowedSourceIps,
      throttlingRateLimit: config.throttlingRateLimit,
      throttlingBurstLimit: config.throttlingBurstLimit,
    });
    this.routing = new CallEventRouting(this, 'Routing', {
      eventSource: config.eventSource,
      archiveRetentionDays: config.archiveRetentionDays,
    });
    this.publisher = new EventPublisher(this, 'Publisher', {
      callEvents: this.store.callEvents,
      calls: this.store.calls,
      eventBus: this.routing.eventBus,
      eventSource: config.eventSource,
    });
    this.projector = new CallProjector(this, 'Projector', {
      callEvents: this.store.callEvents,
      calls: this.store.calls,
      timeZone: config.timeZone,
      defaultCountry: config.defaultCountry,
      retentionDays: config.retentionDays,
      callbackWindowHours: config.callbackWindowHours,
    });
    this.sweep = new CallSweep(this, 'Sweep', {
      calls: this.store.calls,
      stuckCallAfterMinutes: config.stuckCallAfterMinutes,
      callbackWindowHours: config.callbackWindowHours,
    });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      restApi: this.webhook.restApi,
      ingestFunction: this.webhook.ingestFunction,
      publishFunction: this.publisher.publishFunction,
      publishFailureQueue: this.publisher.failureQueue,
      eventBus: this.routing.eventBus,
      projectFunction: this.projector.projectFunction,
      projectFailureQueue: this.projector.failureQueue,
      routes: {
        MissedCalls: this.routing.missedCalls,
        EndedCalls: this.routing.endedCalls,
        MissedCallsToCallBack: this.routing.missedCallsToCallBack,
        StuckCalls: this.routing.stuckCalls,
      },
      sweepFunction: this.sweep.sweepFunction,
      stuckCallsQueue: this.routing.stuckCalls.queue,
      alarmEmail: config.alarmEmail,
    });

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
    output('EventBusName', this.routing.eventBus.eventBusName, 'Bus to write subscriber rules against');
    output('EventBusArn', this.routing.eventBus.eventBusArn, 'ARN of the call-events bus');
    output('CallEventsTableName', this.store.callEvents.tableName, 'One partition per call (SessionID)');
    output('RejectedCallEventsTableName', this.store.rejectedCallEvents.tableName, 'Quarantined webhooks');
    output(
      'CallsTableName',
      this.store.calls.tableName,
      'One record per call; indexes ByCustomerNumber, ByCityNumber, ByDay, PendingCallbacks, OpenCalls',
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
