/**
 * The call projector against DynamoDB Local with the stack's own tables: the Version condition
 * as DynamoDB enforces it, concurrent projectors on one call, and the Calls stream that the
 * publisher turns into CallCompleted (once per call, whatever the order and repetition).
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { callLevelEvents } from '../../lambda/calls/call-level-events';
import { DynamoDbCallEvents, DynamoDbCallsStore } from '../../lambda/calls/dynamodb-store';
import { foldCall } from '../../lambda/calls/fold-call';
import { nextCall, type ProjectDeps, projectCall, projectCalls } from '../../lambda/calls/project-calls';
import type { CallRecord } from '../../lambda/calls/record';
import type { StoredCall } from '../../lambda/calls/store';
import type { CallEventRecord } from '../../lambda/contract';
import { callOf, storedEvent } from '../support/call-events';
import { createLocalStack, type LocalStack } from '../support/local-stack';
import { readWholeStream } from '../support/stream';

let stack: LocalStack;
let tables: { callEvents: string; calls: string };

beforeAll(async () => {
  stack = await createLocalStack();
  tables = stack.callsTables();
}, 60_000);

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const deps = (calls = new DynamoDbCallsStore(stack.doc, tables.calls)): ProjectDeps => ({
  calls,
  events: new DynamoDbCallEvents(stack.doc, tables.callEvents),
  fold: { timeZone: 'Europe/Moscow', defaultCountry: 'RU' },
  callbackWindowHours: 72,
  logger: quiet,
  metrics: { addMetric: () => {} },
});

let n = 0;
function answeredCall(): CallEventRecord[] {
  const id = `call-${++n}-${Date.now()}`;
  const call = callOf({ SessionID: id, CityNumber: '4950665310', Caller: '89161234567' });
  return [
    call('CreateIncCall', { StartTime: '2021-01-28 14:15:22', Called: '4950665310' }),
    call('AttemptIncCallBegin', { StartTime: '2021-01-28 14:15:23', Called: '0052002651' }),
    call('AttemptIncCallBegin', { StartTime: '2021-01-28 14:15:23', Called: '0052002652' }),
    call('ChangeIncCall', { StartDuration: '2021-01-28 14:15:31', Called: '0052002652' }),
    call('AttemptIncCallEnd', { EndTime: '2021-01-28 14:15:31', Called: '0052002651' }),
    call('EndIncCall', {
      EndTime: '2021-01-28 14:16:31',
      Duration: 60,
      ResultCode: '200',
      Called: '0052002652',
    }),
  ].map((body) => storedEvent(body));
}

const store = (event: CallEventRecord) =>
  stack.doc.send(new PutCommand({ TableName: tables.callEvents, Item: event }));

describe('DynamoDbCallsStore', () => {
  it('writes a record only under the Version it read', async () => {
    const events = answeredCall();
    const sessionId = events[0]?.SessionID as string;
    const calls = new DynamoDbCallsStore(stack.doc, tables.calls);
    const first = nextCall(undefined, foldCall(events)) as StoredCall;

    expect(await calls.putCall(first, undefined)).toBe(true);
    expect(await calls.putCall(first, undefined)).toBe(false);
    const second = { ...first, Version: 2 };
    expect(await calls.putCall(second, 5)).toBe(false);
    expect(await calls.putCall(second, 1)).toBe(true);
    expect(await calls.getCall(sessionId)).toEqual(second);
  });
});

describe('projecting calls', () => {
  it('ten projectors on one call, events arriving in any order: one record, the fold of every event', async () => {
    const events = answeredCall();
    const sessionId = events[0]?.SessionID as string;
    // The events land in a scrambled order while ten projectors run, each with its own client view.
    const order = [4, 0, 5, 2, 1, 3];
    await Promise.all([
      ...order.map(async (i, k) => {
        await new Promise((resolve) => setTimeout(resolve, k * 3));
        await store(events[i] as CallEventRecord);
      }),
      ...Array.from({ length: 10 }, async (_, k) => {
        await new Promise((resolve) => setTimeout(resolve, k * 2));
        await projectCall(sessionId, deps());
      }),
    ]);
    // The stream triggers one last projection after the last event; it sees everything.
    await projectCall(sessionId, deps());

    const record = await new DynamoDbCallsStore(stack.doc, tables.calls).getCall(sessionId);
    const { Version, ...folded } = record as StoredCall;
    expect(folded).toEqual(foldCall(events));
    expect(record).toMatchObject({
      Status: 'ended',
      Outcome: 'answered',
      Employee: '0052002652',
      EventCount: 6,
    });

    // Every write of the record is on the Calls stream; exactly one of them ended the call.
    const changes = (await readWholeStream(stack.streamArn(tables.calls)))
      .filter((r) => r.dynamodb?.Keys?.SessionID?.S === sessionId)
      .map((r) => ({
        after: r.dynamodb?.NewImage && (unmarshall(r.dynamodb.NewImage as never) as CallRecord),
        before: r.dynamodb?.OldImage && (unmarshall(r.dynamodb.OldImage as never) as CallRecord),
      }));
    expect(changes.map((c) => c.after?.Version)).toEqual(changes.map((_, i) => i + 1));
    expect(changes.at(-1)?.after?.Version).toBe(Version);
    const completed = changes.flatMap((c) => callLevelEvents(c.after, c.before));
    expect(completed.map((e) => e.detail.EventId)).toEqual([`${sessionId}/CallCompleted/answered`]);
  }, 30_000);

  it('a replay of the whole stream batch writes nothing new', async () => {
    const events = answeredCall();
    await Promise.all(events.map(store));
    const batch: DynamoDBStreamEvent = {
      Records: events.map((e, i) => ({
        eventName: 'INSERT',
        dynamodb: {
          Keys: { SessionID: { S: e.SessionID }, EventKey: { S: e.EventKey } },
          SequenceNumber: String(i + 1),
        },
      })),
    };
    await projectCalls(batch, deps());
    const before = await new DynamoDbCallsStore(stack.doc, tables.calls).getCall(
      events[0]?.SessionID as string,
    );
    await projectCalls(batch, deps());
    expect(
      await new DynamoDbCallsStore(stack.doc, tables.calls).getCall(events[0]?.SessionID as string),
    ).toEqual(before);
    expect(before?.Version).toBe(1);
  });
});
