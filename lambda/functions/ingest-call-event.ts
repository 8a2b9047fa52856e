/** API Gateway (REST, Lambda proxy) → ingest: adapts the proxy event to a WebhookRequest and the outcome to a response. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { readIngestConfig } from '../ingest/config';
import { internalError, toHttpResponse, toWebhookRequest } from '../ingest/http';
import { ingestCallEvent } from '../ingest/ingest-call-event';
import { DynamoDbCallEventStore } from '../ingest/store';
import { ingestTelemetry } from '../ingest/telemetry';
import { tokenHashSource } from '../ingest/token-source';
import { documentClient } from '../shared/dynamodb';
import { logger, metrics } from '../shared/observability';

const config = readIngestConfig(process.env);
const deps = {
  config,
  store: new DynamoDbCallEventStore(documentClient, config.tables),
  expectedTokenSha256: tokenHashSource(config.token),
};
const telemetry = ingestTelemetry(logger, metrics);

export const handler = async (
  event: APIGatewayProxyEvent,
  context?: Context,
): Promise<APIGatewayProxyResult> => {
  const request = toWebhookRequest(event, context);
  try {
    const outcome = await ingestCallEvent(request, deps);
    telemetry.outcome(outcome, request.requestId);
    return toHttpResponse(outcome);
  } catch (error) {
    telemetry.unexpected(error, request.requestId);
    return internalError();
  } finally {
    telemetry.flush();
  }
};
