/**
 * The ingest handler, unmodified, against DynamoDB Local with the stack's own tables:
 * conditional-write dedupe, quarantine, and what the stream carries to the publisher.
 */
import { randomUUID } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { INGEST_ENV } from '../../lambda/config/environment';
import { createLocalStack, type LocalStack } from '../support/local-stack';
import { readWholeStream } from '../support/stream';

let stack: LocalStack;
let handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
let callEvents: string;
let rejectedEvents: string;

beforeAll(async () => {
  stack = await createLocalStack();
  const env = stack.environmentWith(INGEST_ENV.callEventsTable);
  Object.assign(process.env, env);
  callEvents = env[INGEST_ENV.callEventsTable] as string;
  rejectedEvents = env[INGEST_ENV.rejectedEventsTable] as string;
  ({ handler } = require('../../lambda/functions/ingest-call-event'));
}, 60_000);

afterAll(() => stack?.client.destroy());

function post(body: string, token = stack.token): Promise<APIGatewayProxyResult> {
  return handler({
    body,
    headers: { 'X-Webhook-Token': token },
    isBase64Encoded: false,
    queryStringParameters: null,
    requestContext: { requestId: randomUUID(), identity: { sourceIp: '192.0.2.1' } },
  } as unknown as APIGatewayProxyEvent);
}

/** One answered incoming call, in the order the provider sends it. */
function answeredCall(sessionId: string) {
  const base = { SessionID: sessionId, CityNumber: '4950665310', Caller: '9582412128' };
  return [
    { ...base, HookType: 'CreateIncCall', StartTime: '2021-01-28 14:15:22', Called: '4950665310' },
    { ...base, HookType: 'AttemptIncCallBegin', StartTime: '2021-01-28 14:15:30', Called: '80052002651' },
    { ...base, HookType: 'AttemptIncCallBegin', StartTime: '2021-01-28 14:15:30', Called: '80052002652' },
    { ...base, HookType: 'ChangeIncCall', StartDuration: '2021-01-28 14:15:41', Called: '80052002651' },
    { ...base, HookType: 'AttemptIncCallEnd', EndTime: '2021-01-28 14:15:41', Called: '80052002652' },
    {
      ...base,
      HookType: 'EndIncCall',
      EndTime: '2021-01-28 14:16:07',
      Called: '80052002651',
      Duration: 26,
      ResultCode: '200',
    },
  ];
}

async function storedEvents(sessionId: string) {
  const { Items } = await stack.doc.send(
    new QueryCommand({
      TableName: callEvents,
      KeyConditionExpression: 'SessionID = :s',
      ExpressionAttributeValues: { ':s': sessionId },
    }),
  );
  return Items ?? [];
}

describe('ingest against DynamoDB Local', () => {
  it('stores a call once per event, in lifecycle order, and a re-delivery is a no-op', async () => {
    const sessionId = randomUUID();
    const events = answeredCall(sessionId);
    const first = await Promise.all(events.map((e) => post(JSON.stringify(e))));
    const again = await Promise.all(events.map((e) => post(JSON.stringify(e))));

    expect(first.map((r) => JSON.parse(r.body).status)).toEqual(Array(6).fill('accepted'));
    expect(again.map((r) => JSON.parse(r.body).status)).toEqual(Array(6).fill('duplicate'));
    const stored = await storedEvents(sessionId);
    expect(stored.map((item) => item.HookType)).toEqual(events.map((e) => e.HookType));
    // The two same-second attempts are distinct events, both kept.
    expect(stored.filter((item) => item.HookType === 'AttemptIncCallBegin').map((i) => i.Called)).toEqual(
      expect.arrayContaining(['80052002651', '80052002652']),
    );
    expect(stored.at(-1)).toMatchObject({
      Duration: 26,
      ResultCode: '200',
      ResultText: 'Successful call',
      Direction: 'incoming',
    });
  });

  it('writes exactly one stream record per new event and none for a duplicate', async () => {
    const sessionId = randomUUID();
    const events = answeredCall(sessionId);
    for (const e of events) await post(JSON.stringify(e));
    for (const e of events) await post(JSON.stringify(e, null, 1));

    const records = (await readWholeStream(stack.streamArn(callEvents))).filter(
      (r) => r.dynamodb?.Keys?.SessionID?.S === sessionId,
    );
    expect(records).toHaveLength(events.length);
    expect(records.every((r) => r.eventName === 'INSERT')).toBe(true);
    expect(records.map((r) => r.dynamodb?.NewImage?.HookType?.S)).toEqual(events.map((e) => e.HookType));
    expect(records[0]?.dynamodb?.NewImage?.RawBody?.S).toBe(JSON.stringify(events[0]));
  });

  it('quarantines an invalid body in RejectedCallEvents with the issues', async () => {
    const sessionId = randomUUID();
    const body = JSON.stringify({ SessionID: sessionId, HookType: 'MissedIncCall', EndTime: 'yesterday' });
    const res = await post(body);

    expect(res.statusCode).toBe(400);
    const { requestId } = JSON.parse(res.body) as { requestId: string };
    const { Items } = await stack.doc.send(
      new QueryCommand({
        TableName: rejectedEvents,
        KeyConditionExpression: 'RejectedOn = :d',
        FilterExpression: 'RequestId = :r',
        ExpressionAttributeValues: { ':d': new Date().toISOString().slice(0, 10), ':r': requestId },
      }),
    );
    expect(Items).toEqual([
      expect.objectContaining({
        Body: body,
        Reason: 'contract',
        SessionID: sessionId,
        HookType: 'MissedIncCall',
        Issues: expect.arrayContaining([expect.objectContaining({ path: 'EndTime' })]),
      }),
    ]);
    expect(await storedEvents(sessionId)).toHaveLength(0);
  });

  it('stores nothing for a request without the token', async () => {
    const sessionId = randomUUID();
    const res = await post(JSON.stringify(answeredCall(sessionId)[0]), 'not-the-token');

    expect(res.statusCode).toBe(401);
    expect(await storedEvents(sessionId)).toHaveLength(0);
  });
});
