/**
 * Missed calls and stuck calls against DynamoDB Local with the stack's own tables and indexes:
 * the projector settles callbacks through ByCustomerNumber and PendingCallbacks, the sweep finds
 * open calls through OpenCalls, and the Calls stream carries each transition once.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { callLevelEvents } from '../../lambda/calls/call-level-events';
import { DynamoDbCallEvents, DynamoDbCallsStore } from '../../lambda/calls/dynamodb-store';
import { type ProjectDeps, projectCall } from '../../lambda/calls/project-calls';
import type { CallRecord } from '../../lambda/calls/record';
import type { StoredCall } from '../../lambda/calls/store';
import { sweepCalls } from '../../lambda/calls/sweep-calls';
import type { CallEventRecord } from '../../lambda/contract';
import { callOf, storedEvent } from '../support/call-events';
import { createLocalStack, type LocalStack } from '../support/local-stack';
import { readWholeStream } from '../support/stream';

let stack: LocalStack;
let tables: { callEvents: string; calls: string };
let store: DynamoDbCallsStore;

beforeAll(async () => {
  stack = await createLocalStack();
  tables = stack.callsTables();
  store = new DynamoDbCallsStore(stack.doc, tables.calls);
}, 60_000);

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const deps = (): ProjectDeps => ({
  calls: store,
  events: new DynamoDbCallEvents(stack.doc, tables.callEvents),
  fold: { timeZone: 'Europe/Moscow', defaultCountry: 'RU' },
  callbackWindowHours: 72,
  // The day after the calls: their call-back windows are still open.
  now: () => new Date('2021-03-02T12:00:00Z'),
  logger: quiet,
  metrics: { addMetric: () => {} },
});

const CITY = '4950665310';
let n = 0;
const id = (what: string) => `${what}-${++n}-${Date.now()}`;

async function stored(events: CallEventRecord[]): Promise<string> {
  for (const e of events) await stack.doc.send(new PutCommand({ TableName: tables.callEvents, Item: e }));
  const sessionId = events[0]?.SessionID as string;
  await projectCall(sessionId, deps());
  return sessionId;
}

const missedCall = (customer: string, start: string, end: string) => {
  const c = callOf({ SessionID: id('missed'), CityNumber: CITY, Caller: customer });
  return [
    storedEvent(c('CreateIncCall', { StartTime: start, Called: CITY })),
    storedEvent(c('MissedIncCall', { EndTime: end, Duration: 0, ResultCode: '304' })),
  ];
};
const outgoing = (customer: string, start: string, end: string, code: string) => {
  const c = callOf({ SessionID: id('out'), CityNumber: CITY, Caller: '0052002651' });
  return [
    storedEvent(c('CreateOutCall', { StartTime: start, Called: customer })),
    storedEvent(
      c('EndOutCall', {
        StartTime: start,
        EndTime: end,
        Duration: code === '200' ? 30 : 0,
        ResultCode: code,
        Called: customer,
      }),
    ),
  ];
};
const answeredIncoming = (customer: string, start: string, answer: string, end: string) => {
  const c = callOf({ SessionID: id('in'), CityNumber: CITY, Caller: customer });
  return [
    storedEvent(c('CreateIncCall', { StartTime: start, Called: CITY })),
    storedEvent(c('ChangeIncCall', { StartDuration: answer, Called: '0052002651' })),
    storedEvent(c('EndIncCall', { EndTime: end, Duration: 20, ResultCode: '200', Called: '0052002651' })),
  ];
};

/** The call-level events the Calls stream stands for, for one call. */
async function callLevelEventsOf(sessionId: string) {
  return (await readWholeStream(stack.streamArn(tables.calls)))
    .filter((r) => r.dynamodb?.Keys?.SessionID?.S === sessionId)
    .flatMap((r) =>
      callLevelEvents(
        r.dynamodb?.NewImage && (unmarshall(r.dynamodb.NewImage as never) as CallRecord),
        r.dynamodb?.OldImage && (unmarshall(r.dynamodb.OldImage as never) as CallRecord),
      ),
    );
}

describe('missed calls to call back', () => {
  it('missed, then called back in another format: called-back, MissedCallResolved once', async () => {
    const missed = await stored(missedCall('9161230001', '2021-03-01 10:00:00', '2021-03-01 10:00:40'));
    expect(await store.getCall(missed)).toMatchObject({
      CallbackStatus: 'pending',
      PendingCallback: 'pending',
    });

    const back = await stored(outgoing('89161230001', '2021-03-01 10:20:40', '2021-03-01 10:21:40', '200'));

    expect(await store.getCall(missed)).toMatchObject({
      CallbackStatus: 'called-back',
      CallbackSessionID: back,
      CallbackAfterSeconds: 1200,
    });
    const events = await callLevelEventsOf(missed);
    expect(events.map((e) => e.detailType)).toEqual(['CallCompleted', 'MissedCallResolved']);
    expect(events[1]?.detail).toEqual({
      SessionID: missed,
      CallbackStatus: 'called-back',
      CallbackSessionID: back,
      CallbackAfterSeconds: 1200,
      CustomerNumber: '+79161230001',
      EventId: `${missed}/MissedCallResolved/${back}/1200`,
    });
  });

  it('missed, then the customer calls again and is answered: customer-called-again', async () => {
    const missed = await stored(missedCall('9161230002', '2021-03-01 11:00:00', '2021-03-01 11:00:30'));
    const again = await stored(
      answeredIncoming(
        '+7 916 123-00-02',
        '2021-03-01 12:00:30',
        '2021-03-01 12:00:40',
        '2021-03-01 12:01:00',
      ),
    );
    expect(await store.getCall(missed)).toMatchObject({
      CallbackStatus: 'customer-called-again',
      CallbackSessionID: again,
      CallbackAfterSeconds: 3600,
    });
  });

  it('missed, then an unrelated or unanswered call: still pending', async () => {
    const missed = await stored(missedCall('9161230003', '2021-03-01 13:00:00', '2021-03-01 13:00:30'));
    await stored(outgoing('9161239999', '2021-03-01 13:05:00', '2021-03-01 13:06:00', '200'));
    await stored(outgoing('9161230003', '2021-03-01 13:07:00', '2021-03-01 13:07:20', '486'));
    expect(await store.getCall(missed)).toMatchObject({ CallbackStatus: 'pending', Version: 1 });
  });

  it('the call-back stored before the missed call (out of order) resolves it', async () => {
    const back = await stored(outgoing('9161230004', '2021-03-01 14:10:00', '2021-03-01 14:11:00', '200'));
    const missed = await stored(missedCall('9161230004', '2021-03-01 14:00:00', '2021-03-01 14:00:30'));
    expect(await store.getCall(missed)).toMatchObject({
      CallbackStatus: 'called-back',
      CallbackSessionID: back,
    });
  });
});

describe('calls that never ended', () => {
  it('stuck once after the threshold, then completed by a late end', async () => {
    const c = callOf({ SessionID: id('stuck'), CityNumber: CITY, Caller: '9161230005' });
    const create = storedEvent(c('CreateIncCall', { StartTime: '2021-03-01 15:00:00', Called: CITY }), {
      receivedAt: new Date('2021-03-01T12:00:01Z'),
    });
    const sessionId = await stored([create]);
    const sweep = (now: string) =>
      sweepCalls({
        store,
        stuckAfterMinutes: 240,
        callbackWindowHours: 72,
        now: () => new Date(now),
        logger: quiet,
        metrics: { addMetric: () => {} },
      });

    await sweep('2021-03-01T15:59:00Z');
    expect(await store.getCall(sessionId)).toMatchObject({ Status: 'open' });
    await sweep('2021-03-01T16:00:01Z');
    await sweep('2021-03-01T16:30:00Z');
    expect(await store.getCall(sessionId)).toMatchObject({ Status: 'stuck', Version: 2 });

    await stored([create, storedEvent(c('MissedIncCall', { EndTime: '2021-03-01 15:00:40', Duration: 0 }))]);
    expect((await store.getCall(sessionId)) as StoredCall).toMatchObject({
      Status: 'ended',
      Outcome: 'missed',
    });
    const events = await callLevelEventsOf(sessionId);
    expect(events.map((e) => e.detailType)).toEqual(['CallStuck', 'CallCompleted']);
    expect(events[0]?.detail.EventId).toBe(`${sessionId}/CallStuck`);
  });
});
