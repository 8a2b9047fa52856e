/**
 * The ingest handler as Lambda runs it: env read at import, the real DynamoDB store behind
 * a mocked client (fault injection only), the HTTP answer, and what reaches the logs.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createHash } from 'node:crypto';

const TOKEN = 's3cret-Token-for-tests-0123456789abcdef';
const CALLER = '9582412128';
const BODY = JSON.stringify({
  SessionID: 'ec22aab1-02f8-487d-9b40-1173f33ba242',
  HookType: 'CreateIncCall',
  StartTime: '2021-01-28 14:15:22',
  CityNumber: '4950665310',
  Caller: CALLER,
  Called: '4950665310',
  Redirecting: '84950665310',
});

Object.assign(process.env, {
  CALL_EVENTS_TABLE: 'CallEvents',
  REJECTED_EVENTS_TABLE: 'RejectedCallEvents',
  WEBHOOK_TOKEN_SHA256: createHash('sha256').update(TOKEN).digest('hex'),
  AWS_REGION: 'eu-west-1',
  POWERTOOLS_DEV: 'false',
});

const ddb = mockClient(DynamoDBDocumentClient);
mockClient(DynamoDBClient);
// Imported after the environment is set: the handler reads it once, at cold start.
const { handler } =
  require('../../lambda/functions/ingest-call-event') as typeof import('../../lambda/functions/ingest-call-event');

function proxyEvent(
  body: string | null,
  headers: Record<string, string>,
  query?: Record<string, string>,
): APIGatewayProxyEvent {
  return {
    body,
    headers,
    multiValueHeaders: {},
    httpMethod: 'POST',
    isBase64Encoded: false,
    path: '/call-events',
    pathParameters: null,
    queryStringParameters: query ?? null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    resource: '/call-events',
    requestContext: {
      requestId: 'api-req-1',
      identity: { sourceIp: '203.0.113.9' },
    } as APIGatewayProxyEvent['requestContext'],
  };
}

let logged: string;
beforeEach(() => {
  ddb.reset();
  logged = '';
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged += chunk.toString();
      return true;
    });
  }
  jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    logged += `${args.join(' ')}\n`;
  });
  for (const level of ['info', 'warn', 'error', 'debug'] as const) {
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged += `${args.join(' ')}\n`;
    });
  }
});
afterEach(() => jest.restoreAllMocks());

describe('ingest handler', () => {
  it('writes the event with a condition on the key and answers 200 accepted', async () => {
    ddb.on(PutCommand).resolves({});
    const res = await handler(proxyEvent(BODY, { 'X-Webhook-Token': TOKEN }));

    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'accepted' });
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'CallEvents',
      ConditionExpression: 'attribute_not_exists(#sk)',
      ExpressionAttributeNames: { '#sk': 'EventKey' },
      Item: expect.objectContaining({ SessionID: 'ec22aab1-02f8-487d-9b40-1173f33ba242', RawBody: BODY }),
    });
  });

  it('answers 200 duplicate when the conditional write fails', async () => {
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    const res = await handler(proxyEvent(BODY, { Authorization: `Bearer ${TOKEN}` }));

    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'duplicate' });
  });

  it.each([
    'ProvisionedThroughputExceededException',
    'ThrottlingException',
    'InternalServerError',
    'TimeoutError',
  ])('answers 503 when DynamoDB fails with %s, without leaking the error', async (name) => {
    const error = Object.assign(new Error(`${name} from DynamoDB`), { name });
    ddb.on(PutCommand).rejects(error);
    const res = await handler(proxyEvent(BODY, { 'x-webhook-token': TOKEN }));

    expect(res.statusCode).toBe(503);
    expect(res.body).not.toContain(name);
  });

  it('writes a contract violation to the quarantine table and answers 400', async () => {
    ddb.on(PutCommand).resolves({});
    const res = await handler(proxyEvent('{"HookType":"CreateIncCall"}', {}, { token: TOKEN }));

    expect(res.statusCode).toBe(400);
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'RejectedCallEvents',
      Item: expect.objectContaining({
        Reason: 'contract',
        Body: '{"HookType":"CreateIncCall"}',
        RequestId: 'api-req-1',
      }),
    });
  });

  it('answers 401 and touches no table without the token', async () => {
    const res = await handler(proxyEvent(BODY, { 'X-Webhook-Token': 'guess' }));

    expect(res.statusCode).toBe(401);
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 0);
  });

  it('never logs the token or the phone numbers, whatever the outcome', async () => {
    ddb
      .on(PutCommand)
      .resolvesOnce({})
      .rejectsOnce(Object.assign(new Error('x'), { name: 'ThrottlingException' }));
    await handler(proxyEvent(BODY, { 'X-Webhook-Token': TOKEN }));
    await handler(proxyEvent(BODY, { 'X-Webhook-Token': TOKEN }));
    await handler(proxyEvent(`{"Caller":"${CALLER}",`, {}, { token: TOKEN }));
    await handler(proxyEvent(BODY, { 'X-Webhook-Token': `${TOKEN}-wrong` }));

    expect(logged).toContain('ec22aab1-02f8-487d-9b40-1173f33ba242');
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain(CALLER);
    expect(logged).not.toContain('4950665310');
  });
});
