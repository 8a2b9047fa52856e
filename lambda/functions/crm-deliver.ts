/**
 * CRM consumer queue → the configured CRM (amoCRM / Kommo, or Bitrix24): adapts the SQS batch
 * to that CRM's delivery and flushes its metrics.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { AmoClient } from '../crm/amocrm/client';
import { deliverBatch } from '../crm/amocrm/deliver';
import { Bitrix24Client } from '../crm/bitrix24/client';
import { deliverBitrixBatch } from '../crm/bitrix24/deliver';
import { type AppCredentials, appCredentialsOf, TokenStore } from '../crm/bitrix24/tokens';
import { accessTokenOf, readCrmConfig } from '../crm/config';
import type { DeliveryDeps } from '../crm/delivery';
import { DeliveryLedger } from '../crm/ledger';
import { slotRateLimiter } from '../crm/rate-limit';
import { documentClient } from '../shared/dynamodb';
import { flushMetrics, logger, metrics } from '../shared/observability';
import { readSecretString, refreshed } from '../shared/secrets';

const config = readCrmConfig(process.env);
const { secret } = config;
/** The secret's value: read again every few minutes (a secret put right takes effect without a deploy). */
function fromSecret<T>(parse: (json: string) => T): () => Promise<T> {
  return 'json' in secret
    ? async () => parse(secret.json)
    : refreshed(() => readSecretString(secret.arn).then(parse));
}

const ledger = new DeliveryLedger(documentClient, config.ledgerTable, config.crm);
const limiter = slotRateLimiter({
  client: documentClient,
  table: config.ledgerTable,
  key: config.crm,
  perSecond: config.ratePerSecond,
});

/** Disables this function's mapping of the queue: the messages wait, none is received again. */
async function pauseDelivery(queueArn: string): Promise<void> {
  const { LambdaClient, ListEventSourceMappingsCommand, UpdateEventSourceMappingCommand } = await import(
    '@aws-sdk/client-lambda'
  );
  const lambda = new LambdaClient({});
  const { EventSourceMappings } = await lambda.send(
    new ListEventSourceMappingsCommand({
      FunctionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      EventSourceArn: queueArn,
    }),
  );
  for (const mapping of EventSourceMappings ?? [])
    if (mapping.UUID)
      await lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, Enabled: false }));
}

type Deliver = (event: SQSEvent, deps: DeliveryDeps) => Promise<SQSBatchResponse>;

function delivery(): Deliver {
  if (config.crm === 'bitrix24') {
    const credentials: () => Promise<AppCredentials> = fromSecret(appCredentialsOf);
    const client = new Bitrix24Client({
      portalUrl: config.baseUrl,
      limiter,
      tokens: new TokenStore({
        client: documentClient,
        table: config.ledgerTable,
        key: config.crm,
        credentials,
        oauthUrl: config.oauthUrl,
      }),
    });
    return (event, deps) =>
      deliverBitrixBatch(event, { ...deps, client, users: config.users, timeZone: config.timeZone });
  }
  const client = new AmoClient({ baseUrl: config.baseUrl, accessToken: fromSecret(accessTokenOf), limiter });
  return (event, deps) => deliverBatch(event, { ...deps, client, users: config.users });
}

const deliver = delivery();

export const handler = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
  try {
    return await deliver(event, {
      ledger,
      logger,
      metrics,
      pauseDelivery,
      ...(context?.getRemainingTimeInMillis ? { remainingMs: () => context.getRemainingTimeInMillis() } : {}),
    });
  } finally {
    flushMetrics();
  }
};
