/**
 * Every finished call into the CRM (amoCRM / Kommo, or Bitrix24): a consumer of the bus
 * (bus-consumer.ts) on CallCompleted, its delivery ledger (one item per call, written under
 * conditions: each call once; and, for Bitrix24, the application's rotating tokens), and the
 * secret the operator puts the CRM's credentials in. Only deployed when `crm` is set. What the
 * function does: lambda/crm/<crm>/deliver.ts; the design: docs/ARCHITECTURE.md.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CALL_LEVEL_EVENTS } from '../../lambda/calls/call-level-events';
import { CRM_ENV } from '../../lambda/config/environment';
import { METRICS } from '../../lambda/config/metrics';
import { CRMS, type CrmName } from '../../lambda/crm/crms';
import type { CallEventsConfig } from '../config';
import { acknowledge } from '../nag';
import { BusConsumer } from './bus-consumer';
import type { CallEventRouting } from './call-event-routing';
import type { Monitoring } from './monitoring';

export type CrmDeliveryConfig = Required<
  Pick<CallEventsConfig, 'crm' | 'crmUrl' | 'eventSource' | 'timeZone'>
> &
  Pick<CallEventsConfig, 'crmUsers' | 'crmDefaultUser' | 'crmOAuthUrl' | 'crmRequestsPerSecond'>;

/** How each CRM's function takes its calls: a batch must be delivered within the timeout at the CRM's rate. */
const BATCHING: Record<CrmName, { batchSize: number; timeout: Duration }> = {
  // Up to 50 calls a request: one batch, two requests at most (calls, then incoming leads).
  amocrm: { batchSize: 50, timeout: Duration.seconds(60) },
  // Two requests a call (register, finish) at 2 a second shared by both invocations: 10 calls
  // take 10-20 s, with room for retries after the portal's limits.
  bitrix24: { batchSize: 10, timeout: Duration.seconds(90) },
};

/** What the operator is told to put in the secret, and why the alarms fire: per CRM. */
const TEXTS: Record<
  CrmName,
  { secret: string; rotation: string; refused: string; callsRefused: string; refusedLogLine: string }
> = {
  amocrm: {
    secret: `The amoCRM / Kommo long-lived token, as ${CRMS.amocrm.secretExample}: put it with aws secretsmanager put-secret-value`,
    rotation:
      "A CRM long-lived token is issued in the CRM's own settings and cannot be rotated from AWS; it is replaced by hand when the CRM revokes or expires it.",
    refused:
      `amoCRM refused the token (401/403): no call reaches it. Put a valid long-lived token in the CRM secret ` +
      `(aws secretsmanager put-secret-value --secret-id <CrmSecretArn> --secret-string '${CRMS.amocrm.secretExample}'), then npm run crm -- resume --aws --function <the CRM consumer's function>; the calls wait in the queue.`,
    callsRefused: 'amoCRM refused calls (HTTP 400)',
    refusedLogLine: 'The CRM refused the call',
  },
  bitrix24: {
    secret: `The Bitrix24 local application, as ${CRMS.bitrix24.secretExample}: npm run crm -- authorize puts it here (README, "Bitrix24")`,
    rotation:
      "The secret holds the application's first refresh token; the function rotates the tokens itself at every refresh and keeps the newest, sealed, in the CRM ledger table.",
    refused:
      'Bitrix24 refused the application: no call reaches it. The function log\'s "Bitrix24 refused the application" line names the error and its fix: ' +
      'invalid_token, NO_AUTH_FOUND or invalid_grant: authorize again (npm run crm -- authorize); insufficient_scope: give the application telephony, crm and user, then authorize again; ' +
      "WRONG_AUTH_TYPE: the secret must be a local application, not an inbound webhook; PAYMENT_REQUIRED, ACCESS_DENIED: the plan. Then npm run crm -- resume --aws --function <the CRM consumer's function>; the calls wait in the queue.",
    callsRefused:
      "Bitrix24 refused calls (ERROR_CORE or another of the portal's errors, with its error_description)",
    refusedLogLine: 'Bitrix24 refused the call',
  },
};

export interface CrmDeliveryProps {
  readonly config: CrmDeliveryConfig;
  readonly monitoring: Monitoring;
  readonly routing: CallEventRouting;
}

export class CrmDelivery extends Construct {
  /** Which CRM it delivers to. */
  readonly crm: CrmName;
  readonly consumer: BusConsumer;
  /** One item per call delivered (or being), and the rate limiter's slots. */
  readonly ledger: Table;
  /** The CRM's credentials, put there by the operator: amoCRM's long-lived token, Bitrix24's application. */
  readonly secret: Secret;

  constructor(scope: Construct, id: string, props: CrmDeliveryProps) {
    super(scope, id);
    const { config, monitoring } = props;
    this.crm = config.crm;
    this.ledger = new Table(this, 'Ledger', {
      partitionKey: { name: 'SessionID', type: AttributeType.STRING },
      sortKey: { name: 'Crm', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'ExpiresAt',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const texts = TEXTS[config.crm];
    this.secret = new Secret(this, 'Secret', { description: texts.secret });
    acknowledge(this.secret, { 'AwsSolutions-SMG4': texts.rotation });

    this.consumer = new BusConsumer(this, 'Consumer', {
      routing: props.routing,
      monitoring,
      description: `Every finished call (CallCompleted) into ${CRMS[config.crm].title}, once`,
      eventPattern: { source: [config.eventSource], detailType: [CALL_LEVEL_EVENTS.completed] },
      entry: 'lambda/functions/crm-deliver.ts',
      ...BATCHING[config.crm],
      maxBatchingWindow: Duration.seconds(2),
      maxConcurrency: 2,
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
        [CRM_ENV.ratePerSecond]: String(config.crmRequestsPerSecond ?? CRMS[config.crm].requestsPerSecond),
        [CRM_ENV.timeZone]: config.timeZone,
        ...(config.crm === 'bitrix24'
          ? { [CRM_ENV.oauthUrl]: config.crmOAuthUrl ?? CRMS.bitrix24.oauthUrl }
          : {}),
      },
    });
    const fn = this.consumer.handler;
    // Least privilege: its own ledger's items (no Scan, no Query, no indexes), its own secret
    // (read only: Bitrix24's rotating tokens are kept in the ledger, not written back).
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [this.ledger.tableArn],
      }),
    );
    this.secret.grantRead(fn);
    // A refused token or application stops the delivery; the calls wait for `npm run crm -- resume`.
    this.consumer.allowPausing();

    monitoring.alarm(this, 'TokenRefusedAlarm', monitoring.emf(METRICS.crm.unauthorized), 1, texts.refused);
    monitoring.alarm(
      this,
      'CallsRefusedAlarm',
      monitoring.emf(METRICS.crm.refused),
      1,
      `${texts.callsRefused}: they go to the CRM consumer's dead-letter queue. Read the reason with npm run crm -- status <SessionID> ` +
        `(or "${texts.refusedLogLine}" in the function's logs), fix it, then npm run crm -- redeliver.`,
    );
  }
}
