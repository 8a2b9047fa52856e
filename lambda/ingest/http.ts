/**
 * The webhook's HTTP edge, in one place: API Gateway's proxy event becomes a WebhookRequest, an
 * ingest outcome becomes a response. No internals or stack traces leave here.
 */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { tooLargeMessage } from './body-limit';
import type { IngestOutcome, WebhookRequest } from './ingest-call-event';

/** What the ingest needs of an API Gateway REST proxy event (local mode builds the same events). */
export function toWebhookRequest(event: APIGatewayProxyEvent, context?: Context): WebhookRequest {
  return {
    body: event.body,
    isBase64Encoded: event.isBase64Encoded ?? false,
    headers: event.headers,
    query: event.queryStringParameters,
    requestId: event.requestContext?.requestId ?? context?.awsRequestId ?? 'unknown',
    sourceIp: event.requestContext?.identity?.sourceIp,
  };
}

export interface WebhookResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): WebhookResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** Seconds the provider is asked to wait before retrying after a 503. */
const RETRY_AFTER_SECONDS = 5;

export function toHttpResponse(outcome: IngestOutcome): WebhookResponse {
  switch (outcome.kind) {
    case 'accepted':
    case 'duplicate':
      return json(200, { status: outcome.kind, eventKey: outcome.eventKey, sessionId: outcome.sessionId });
    case 'rejected':
      return json(400, {
        status: 'rejected',
        reason: outcome.reason,
        message:
          outcome.reason === 'contract'
            ? 'The body does not match the call-event contract'
            : outcome.reason === 'invalid-json'
              ? 'The body is not valid JSON'
              : outcome.reason === 'invalid-encoding'
                ? 'The body is not UTF-8 text'
                : 'The event cannot be stored as sent',
        issues: outcome.issues,
        requestId: outcome.requestId,
      });
    case 'too-large':
      return json(413, {
        status: 'rejected',
        reason: 'too-large',
        message: tooLargeMessage(outcome.limit, outcome.declaredBytes),
        limitBytes: outcome.limit,
        requestId: outcome.requestId,
      });
    case 'unauthorized':
      return json(401, { message: 'Unauthorized' });
    case 'unavailable':
      return json(
        503,
        { message: 'Temporarily unavailable; retry later' },
        { 'retry-after': String(RETRY_AFTER_SECONDS) },
      );
  }
}

/** For a failure nobody planned for: the provider retries, the details stay in the logs. */
export const internalError = (): WebhookResponse => json(500, { message: 'Internal error' });
