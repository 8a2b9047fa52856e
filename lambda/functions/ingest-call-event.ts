/**
 * API Gateway (REST, Lambda proxy) → ingest. Adapts the proxy event to a WebhookRequest,
 * runs the pure ingest, logs and counts the outcome, and answers.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { isHookType } from '../contract/hook-types';
import { METRICS } from '../contract/runtime-config';
import { readIngestConfig } from '../ingest/config';
import { internalError, toHttpResponse } from '../ingest/http';
import { type IngestOutcome, ingestCallEvent } from '../ingest/ingest-call-event';
import { DynamoDbCallEventStore } from '../ingest/store';
import { tokenHashSource } from '../ingest/token-source';
import { documentClient } from '../shared/dynamodb';
import { logger, metrics } from '../shared/observability';

const config = readIngestConfig(process.env);
const deps = {
  config,
  store: new DynamoDbCallEventStore(documentClient, config.tables),
  expectedTokenSha256: tokenHashSource(config.token),
};

const METRIC: Record<IngestOutcome['kind'], string> = {
  accepted: METRICS.ingest.accepted,
  duplicate: METRICS.ingest.duplicate,
  rejected: METRICS.ingest.rejected,
  'too-large': METRICS.ingest.rejected,
  unauthorized: METRICS.ingest.unauthorized,
  unavailable: METRICS.ingest.storageUnavailable,
};

/**
 * Emits the per-HookType count at once, in its own EMF document. Made once: `singleMetric()`
 * builds a new Metrics (and Console) on every call, ~90 µs of each invocation's CPU; a
 * single-metric instance clears its dimensions after each flush, so reusing it is the same.
 */
const hookTypeMetric = metrics.singleMetric();

/** Logs and counts an outcome: identifiers and reasons only, never the body, numbers or token. */
function record(outcome: IngestOutcome, requestId: string): void {
  const hookType = 'hookType' in outcome ? outcome.hookType : undefined;
  const name = METRIC[outcome.kind];
  metrics.addMetric(name, MetricUnit.Count, 1);
  if (isHookType(hookType)) {
    hookTypeMetric.addDimension(METRICS.dimensions.hookType, hookType).addMetric(name, MetricUnit.Count, 1);
  }
  switch (outcome.kind) {
    case 'accepted':
    case 'duplicate':
      logger.info(`Call event ${outcome.kind}`, {
        requestId,
        SessionID: outcome.sessionId,
        HookType: outcome.hookType,
        EventKey: outcome.eventKey,
      });
      return;
    case 'rejected':
      logger.warn('Call event rejected and quarantined', {
        requestId,
        reason: outcome.reason,
        HookType: hookType,
        // Paths only: a JSON parser's message may quote the body.
        issuePaths: outcome.issues.map((issue) => issue.path),
      });
      return;
    case 'too-large':
      logger.warn('Call event over the size limit, quarantined truncated', {
        requestId,
        bytes: outcome.bytes,
      });
      return;
    case 'unauthorized':
      logger.warn('Webhook request without a valid token', { requestId });
      return;
    case 'unavailable':
      logger.error('Storage unavailable; asked the provider to retry', {
        requestId,
        error: outcome.cause as Error,
      });
      return;
  }
}

export const handler = async (
  event: APIGatewayProxyEvent,
  context?: Context,
): Promise<APIGatewayProxyResult> => {
  const requestId = event.requestContext?.requestId ?? context?.awsRequestId ?? 'unknown';
  try {
    const outcome = await ingestCallEvent(
      {
        body: event.body,
        isBase64Encoded: event.isBase64Encoded ?? false,
        headers: event.headers,
        query: event.queryStringParameters,
        requestId,
        sourceIp: event.requestContext?.identity?.sourceIp,
      },
      deps,
    );
    record(outcome, requestId);
    return toHttpResponse(outcome);
  } catch (error) {
    metrics.addMetric(METRICS.ingest.error, MetricUnit.Count, 1);
    logger.error('Unexpected ingest failure', { requestId, error: error as Error });
    return internalError();
  } finally {
    metrics.publishStoredMetrics();
  }
};
