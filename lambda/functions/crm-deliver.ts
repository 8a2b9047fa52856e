/** CRM consumer queue → amoCRM / Kommo: adapts the SQS batch to `deliverBatch` and flushes its metrics. */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { AmoClient } from '../crm/amocrm/client';
import { deliverBatch } from '../crm/amocrm/deliver';
import { accessTokenOf, readCrmConfig } from '../crm/config';
import { DeliveryLedger } from '../crm/ledger';
import { slotRateLimiter } from '../crm/rate-limit';
import { documentClient } from '../shared/dynamodb';
import { logger, metrics } from '../shared/observability';
import { readSecretString, refreshed } from '../shared/secrets';

const config = readCrmConfig(process.env);
/** The token: from the secret, read again every few minutes (a secret put right takes effect without a deploy). */
const { secret } = config;
const accessToken =
  'json' in secret
    ? async () => accessTokenOf(secret.json)
    : refreshed(() => readSecretString(secret.arn).then(accessTokenOf));

const ledger = new DeliveryLedger(documentClient, config.ledgerTable, config.crm);
const client = new AmoClient({
  baseUrl: config.baseUrl,
  accessToken,
  limiter: slotRateLimiter({
    client: documentClient,
    table: config.ledgerTable,
    key: config.crm,
    perSecond: config.ratePerSecond,
  }),
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

export const handler = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
  try {
    return await deliverBatch(event, {
      ledger,
      client,
      users: config.users,
      logger,
      metrics,
      pauseDelivery,
      ...(context?.getRemainingTimeInMillis ? { remainingMs: () => context.getRemainingTimeInMillis() } : {}),
    });
  } finally {
    metrics.publishStoredMetrics();
  }
};
