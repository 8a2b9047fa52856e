/**
 * The ingest handler as a unit test file runs it: its environment set, DynamoDB mocked with
 * aws-sdk-client-mock (the real store behind it), and API Gateway proxy events to call it with.
 */
import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { INGEST_ENV } from '../../lambda/config/environment';

/** The tables the handler is configured with. */
export const INGEST_TABLES = { callEvents: 'CallEvents', rejectedEvents: 'RejectedCallEvents' } as const;

export interface IngestHandlerOptions {
  /** More of the function's environment (e.g. MAX_BODY_BYTES), over the defaults. */
  env?: Record<string, string>;
  /** Silence the function's logs and metrics; false for a test that reads what it logs. @default true */
  quiet?: boolean;
}

/**
 * Sets the environment, mocks the DynamoDB clients, then requires the handler: it reads the
 * environment once, at import (cold start). Jest gives each test file its own module registry,
 * so call this once per file, at its top.
 */
export function loadIngestHandler({ env = {}, quiet = true }: IngestHandlerOptions = {}) {
  const token = 'ingest-handler-token-0123456789abcdef';
  Object.assign(process.env, {
    [INGEST_ENV.callEventsTable]: INGEST_TABLES.callEvents,
    [INGEST_ENV.rejectedEventsTable]: INGEST_TABLES.rejectedEvents,
    [INGEST_ENV.tokenSha256]: createHash('sha256').update(token).digest('hex'),
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_DEV: 'false',
    ...(quiet ? { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' } : {}),
    ...env,
  });
  const ddb = mockClient(DynamoDBDocumentClient);
  mockClient(DynamoDBClient);
  const { handler } =
    require('../../lambda/functions/ingest-call-event') as typeof import('../../lambda/functions/ingest-call-event');
  return { handler, ddb, token };
}

/** A POST to /call-events as API Gateway (REST, Lambda proxy) hands it to the function. */
export function proxyEvent(
  body: string | null,
  headers: Record<string, string>,
  query?: Record<string, string> | null,
  {
    isBase64Encoded = false,
    requestId = 'api-req-1',
  }: { isBase64Encoded?: boolean; requestId?: string } = {},
): APIGatewayProxyEvent {
  return {
    body,
    headers,
    multiValueHeaders: {},
    httpMethod: 'POST',
    isBase64Encoded,
    path: '/call-events',
    pathParameters: null,
    queryStringParameters: query ?? null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    resource: '/call-events',
    requestContext: {
      requestId,
      identity: { sourceIp: '203.0.113.9' },
    } as APIGatewayProxyEvent['requestContext'],
  };
}
