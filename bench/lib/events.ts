/**
 * Realistic events for the warm measurements, from the spec's examples: API Gateway REST
 * proxy events carrying each example body (fresh SessionIDs, the token in its header), and
 * DynamoDB stream batches of the items the ingest function stores for them, the schedule's
 * event for the call sweep. Also the
 * environment a Lambda execution environment has.
 */
import { randomUUID } from 'node:crypto';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEvent, DynamoDBRecord, DynamoDBStreamEvent, EventBridgeEvent } from 'aws-lambda';
import { INGEST_ENV } from '../../lambda/config/environment';
import { TOKEN_HEADER } from '../../lambda/config/webhook';
import { toCallEventRecord } from '../../lambda/contract/call-event-record';
import { HOOK_TYPE_INFO, HOOK_TYPES } from '../../lambda/contract/hook-types';
import { parseCallEvent } from '../../lambda/contract/schema';
import { freshSpecExample } from '../../lambda/contract/spec-examples';

export const REGION = 'eu-west-1';

/** One call flow's worth of bodies per round: each HookType's example, `rounds` times. */
export function exampleBodies(rounds: number): string[] {
  return Array.from({ length: rounds }, () => HOOK_TYPES.map((t) => freshSpecExample(t))).flat();
}

/**
 * The customers' numbers in the examples, as sent (the Caller of an incoming call, the Called of
 * an outgoing one): what the pseudonymous ingest must store none of.
 */
export function customerNumbersSent(): string[] {
  const numbers = HOOK_TYPES.map((t) => {
    const body = JSON.parse(freshSpecExample(t)) as Record<string, unknown>;
    return String(body[HOOK_TYPE_INFO[t].direction === 'incoming' ? 'Caller' : 'Called'] ?? '');
  });
  return [...new Set(numbers.filter((n) => /\d/.test(n)))];
}

export function apiGatewayEvent(body: string, token: string): APIGatewayProxyEvent {
  const requestId = randomUUID();
  const headers = {
    Host: 'abc123.execute-api.eu-west-1.amazonaws.com',
    'Content-Type': 'application/json',
    'User-Agent': 'pbx-webhooks/1.0',
    'X-Forwarded-For': '203.0.113.7',
    [TOKEN_HEADER]: token,
  };
  return {
    resource: '/call-events',
    path: '/call-events',
    httpMethod: 'POST',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    // As the API's binary media type `*/*` makes API Gateway send every body: base64, byte for byte.
    body: Buffer.from(body, 'utf8').toString('base64'),
    isBase64Encoded: true,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: 'POST',
      identity: { sourceIp: '203.0.113.7', userAgent: 'pbx-webhooks/1.0' },
      path: '/prod/call-events',
      stage: 'prod',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'res123',
      resourcePath: '/call-events',
    } as APIGatewayProxyEvent['requestContext'],
  };
}

/** The HookTypes of an answered incoming call, in the order the provider sends them. */
const ANSWERED_CALL = [
  'CreateIncCall',
  'AttemptIncCallBegin',
  'ChangeIncCall',
  'AttemptIncCallEnd',
  'EndIncCall',
] as const;

/** One answered incoming call's bodies (the spec's examples), all with one fresh SessionID. */
export function callBodies(): string[] {
  const sessionId = randomUUID();
  return ANSWERED_CALL.map((t) => freshSpecExample(t, sessionId));
}

/** A stream batch as Lambda's mapping delivers it: the stored items of `bodies`, as INSERTs. */
export function streamBatch(bodies: string[], timeZone: string): DynamoDBStreamEvent {
  const streamArn = `arn:aws:dynamodb:${REGION}:123456789012:table/CallEvents/stream/2026-01-01T00:00:00.000`;
  const Records = bodies.map((body, i): DynamoDBRecord => {
    const parsed = parseCallEvent(JSON.parse(body));
    if (!parsed.ok) throw new Error(`A spec example does not validate: ${JSON.stringify(parsed.issues)}`);
    const item = toCallEventRecord(parsed.event, { timeZone, receivedAt: new Date(), rawBody: body });
    const NewImage = marshall(item, { removeUndefinedValues: true }) as never;
    return {
      eventID: randomUUID().replace(/-/g, ''),
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: REGION,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
        Keys: marshall({ SessionID: item.SessionID, EventKey: item.EventKey }) as never,
        NewImage,
        SequenceNumber: String(1e20 + i),
        SizeBytes: JSON.stringify(NewImage).length,
        StreamViewType: 'NEW_IMAGE',
      },
      eventSourceARN: streamArn,
    };
  });
  return { Records };
}

/** What an EventBridge schedule rule sends its target (the call sweep's trigger). */
export function scheduledEvent(): EventBridgeEvent<'Scheduled Event', Record<string, never>> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: REGION,
    resources: [`arn:aws:events:${REGION}:123456789012:rule/CallSweep`],
    detail: {},
  };
}

/**
 * What a Lambda execution environment has, plus the function's own variables and the stub
 * endpoints. Nothing is inherited from the shell (a developer's AWS_PROFILE would change
 * which credential provider the SDK uses).
 */
export function lambdaEnvironment(
  name: string,
  functionEnv: Record<string, string>,
  endpoint: string,
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TZ: ':UTC',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'AKIDBENCHMARK',
    AWS_SECRET_ACCESS_KEY: 'bench-secret',
    AWS_SESSION_TOKEN: 'bench-session',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint,
    ...functionEnv,
  };
}

/**
 * The pseudonymous ingest's variables with its key given as `CUSTOMER_NUMBER_KEY` in place of
 * the secret's ARN, as local mode gives it: no Secrets Manager read at cold start. The rest
 * (DEFAULT_COUNTRY included) is the stack's.
 */
export function withPseudonymKey(functionEnv: Record<string, string>, key: string): Record<string, string> {
  const env = { ...functionEnv };
  if (!env[INGEST_ENV.customerNumberKeySecretArn] || !env[INGEST_ENV.defaultCountry])
    throw new Error(
      `The pseudonymous ingest has no ${INGEST_ENV.customerNumberKeySecretArn} or ${INGEST_ENV.defaultCountry}: not the pseudonymous stack's`,
    );
  delete env[INGEST_ENV.customerNumberKeySecretArn];
  env[INGEST_ENV.customerNumberKey] = key;
  return env;
}
