/**
 * API Gateway (REST, Lambda proxy) → ingest: adapts the proxy event to a WebhookRequest and the
 * outcome to a response. Built once per entry (lambda/functions/ingest-call-event*.ts), which
 * decides what the ingest carries: plain mode's has no phone library, pseudonymous mode's adds its
 * rewriter.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { documentClient } from '../shared/dynamodb';
import { logger, metrics } from '../shared/observability';
import type { IngestConfig } from './config';
import { internalError, toHttpResponse, toWebhookRequest } from './http';
import { type IngestDeps, ingestCallEvent } from './ingest-call-event';
import { DynamoDbCallEventStore } from './store';
import { ingestTelemetry } from './telemetry';
import { tokenHashSource } from './token-source';

export type WebhookHandler = (
  event: APIGatewayProxyEvent,
  context?: Context,
) => Promise<APIGatewayProxyResult>;

export function webhookHandler(
  config: IngestConfig,
  pseudonymizer?: IngestDeps['pseudonymizer'],
): WebhookHandler {
  const deps: IngestDeps = {
    config,
    store: new DynamoDbCallEventStore(documentClient, config.tables),
    expectedTokenSha256: tokenHashSource(config.token),
    ...(pseudonymizer ? { pseudonymizer } : {}),
  };
  const telemetry = ingestTelemetry(logger, metrics);
  return async (event, context) => {
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
}
