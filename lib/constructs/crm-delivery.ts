/**
 * Every finished call into the CRM (amoCRM / Kommo): a consumer of the bus (bus-consumer.ts) on
 * CallCompleted, its delivery ledger (one item per call, written under conditions: each call
 * once), and the secret holding the CRM's long-lived token. Only deployed when `crm` is set.
 * What the function does: lambda/crm/amocrm/deliver.ts; the design: docs/ARCHITECTURE.md.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CALL_LEVEL_EVENTS } from '../../lambda/calls/call-level-events';
import { CRM_ENV } from '../../lambda/config/environment';
import { METRICS } from '../../lambda/config/metrics';
import type { CallEventsConfig } from '../config';
import { acknowledge } from '../nag';
import { BusConsumer } from './bus-consumer';
import type { CallEventRouting } from './call-event-routing';
import type { Monitoring } from './monitoring';

/** amoCRM's limit for an integration: 7 requests a second (amocrm.ru/developers/content/api/recommendations). */
export const AMOCRM_REQUESTS_PER_SECOND = 7;

export type CrmDeliveryConfig = Required<Pick<CallEventsConfig, 'crm' | 'crmUrl' | 'eventSource'>> &
  Pick<CallEventsConfig, 'crmUsers' | 'crmDefaultUser'>;

export interface CrmDeliveryProps {
  readonly config: CrmDeliveryConfig;
  readonly monitoring: Monitoring;
  readonly routing: CallEventRouting;
}

export class CrmDelivery extends Construct {
  readonly consumer: BusConsumer;
  /** One item per call delivered (or being), and the rate limiter's slots. */
  readonly ledger: Table;
  /** `{"accessToken":"…"}`: the CRM's long-lived token, put there by the operator. */
  readonly secret: Secret;

  constructor(scope: Construct, id: string, props: CrmDeliveryProps) {
    super(scope, id);
    const { config, monitoring } = props;
    this.ledger = new Table(this, 'Ledger', {
      partitionKey: { name: 'SessionID', type: AttributeType.STRING },
      sortKey: { name: 'Crm', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'ExpiresAt',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.secret = new Secret(this, 'Secret', {
      description: `The ${config.crm} long-lived token, as {"accessToken":"…"}: put it with aws secretsmanager put-secret-value`,
    });
    acknowledge(this.secret, {
      'AwsSolutions-SMG4':
        "A CRM long-lived token is issued in the CRM's own settings and cannot be rotated from AWS; it is replaced by hand when the CRM revokes or expires it.",
    });

    this.consumer = new BusConsumer(this, 'Consumer', {
      routing: props.routing,
      monitoring,
      description: `Every finished call (CallCompleted) into ${config.crm}, once`,
      eventPattern: { source: [config.eventSource], detailType: [CALL_LEVEL_EVENTS.completed] },
      entry: 'lambda/functions/crm-deliver.ts',
      // Up to 50 calls a request: one batch, two requests at most (calls, then incoming leads).
      batchSize: 50,
      maxBatchingWindow: Duration.seconds(2),
      maxConcurrency: 2,
      timeout: Duration.seconds(60),
      // The Lambda client (to stop its own delivery) loads the event-stream serde.
      reachedSdkModules: ['@smithy/core/event-streams'],
      environment: {
        [CRM_ENV.crm]: config.crm,
        [CRM_ENV.crmUrl]: config.crmUrl,
        [CRM_ENV.crmUsers]: JSON.stringify(config.crmUsers ?? {}),
        ...(config.crmDefaultUser === undefined
          ? {}
          : { [CRM_ENV.crmDefaultUser]: String(config.crmDefaultUser) }),
        [CRM_ENV.ledgerTable]: this.ledger.tableName,
        [CRM_ENV.secretArn]: this.secret.secretArn,
        [CRM_ENV.ratePerSecond]: String(AMOCRM_REQUESTS_PER_SECOND),
      },
    });
    const fn = this.consumer.handler;
    // Least privilege: its own ledger's items (no Scan, no Query, no indexes), its own secret.
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [this.ledger.tableArn],
      }),
    );
    this.secret.grantRead(fn);
    // A refused token stops the delivery; the calls wait for `npm run crm -- resume`.
    this.consumer.allowPausing();

    monitoring.alarm(
      this,
      'TokenRefusedAlarm',
      monitoring.emf(METRICS.crm.unauthorized),
      1,
      `${config.crm} refused the token (401/403): no call reaches it. Put a valid long-lived token in the CRM secret ` +
        `(aws secretsmanager put-secret-value --secret-id <CrmSecretArn> --secret-string '{"accessToken":"…"}'); the calls wait in the queue and are delivered once it is right.`,
    );
    monitoring.alarm(
      this,
      'CallsRefusedAlarm',
      monitoring.emf(METRICS.crm.refused),
      1,
      `${config.crm} refused calls (HTTP 400): they go to the CRM consumer's dead-letter queue. Read the reason with npm run crm -- status <SessionID> ` +
        `(or "The CRM refused the call" in the function's logs), fix it, then npm run crm -- redeliver.`,
    );
  }
}
