/**
 * The ingest handler as Lambda runs it: env read at import, the real DynamoDB store behind
 * a mocked client (fault injection only), the HTTP answer, and what reaches the logs.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import 'aws-sdk-client-mock-jest';
import { loadIngestHandler, proxyEvent } from '../support/ingest-handler';

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

// Logs left on: the last test reads what the handler writes.
const { handler, ddb, token: TOKEN } = loadIngestHandler({ quiet: false });

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

  it('writes one line for a stored event: its EMF count, by service and by HookType, with the identifiers', async () => {
    ddb.on(PutCommand).resolves({});
    await handler(proxyEvent(BODY, { 'X-Webhook-Token': TOKEN }, null, { requestId: 'api-req-7' }));

    const lines = logged.split('\n').filter((line) => line.trim() !== '');
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0] as string);
    expect(record._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'CallEvents',
        Dimensions: [['service'], ['service', 'HookType']],
        Metrics: [{ Name: 'Accepted', Unit: 'Count' }],
      },
    ]);
    expect(record).toMatchObject({
      Accepted: 1,
      service: 'call-events',
      HookType: 'CreateIncCall',
      message: 'Call event accepted',
      requestId: 'api-req-7',
      SessionID: 'ec22aab1-02f8-487d-9b40-1173f33ba242',
      EventKey: expect.stringContaining('#CreateIncCall#'),
    });
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
