/** CallCompleted: published once when a call first becomes ended, from the Calls table's stream. */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { foldCall } from '../../lambda/calls/fold-call';
import { nextCall, type StoredCall } from '../../lambda/calls/project-calls';
import { callLevelEvents } from '../../lambda/contract/call-level-events';
import { publishCallEvents, type StreamPublishDeps } from '../../lambda/publish/publish-call-events';
import { callOf, storedEvent } from '../support/call-events';

const CITY = '4950665310';
const call = callOf({ SessionID: 'c-1', CityNumber: CITY, Caller: '9582412128' });
const create = storedEvent(call('CreateIncCall', { StartTime: '2021-01-28 14:15:22', Called: CITY }));
const missed = storedEvent(
  call('MissedIncCall', { EndTime: '2021-01-28 14:15:52', Duration: 0, ResultCode: '304' }),
);
const late = storedEvent(
  call('AttemptIncCallEnd', { EndTime: '2021-01-28 14:15:52', Called: '80052002651' }),
);

const open = nextCall(undefined, foldCall([create])) as StoredCall;
const ended = nextCall(open, foldCall([create, missed]), 30) as StoredCall;
const endedAgain = nextCall(ended, foldCall([create, missed, late]), 30) as StoredCall;

function change(after?: StoredCall, before?: StoredCall, n = 1): DynamoDBRecord {
  return {
    eventName: before ? (after ? 'MODIFY' : 'REMOVE') : 'INSERT',
    dynamodb: {
      Keys: marshall({ SessionID: 'c-1' }) as never,
      ...(after ? { NewImage: marshall(after, { removeUndefinedValues: true }) as never } : {}),
      ...(before ? { OldImage: marshall(before, { removeUndefinedValues: true }) as never } : {}),
      SequenceNumber: String(500 + n),
    },
  };
}

function setup(fail = false) {
  const sent: PutEventsRequestEntry[][] = [];
  const deps: StreamPublishDeps = {
    eventBusName: 'call-events',
    source: 'telephony.call-events',
    putEvents: async (entries) => {
      sent.push(entries);
      return fail
        ? { FailedEntryCount: entries.length, Entries: entries.map(() => ({ ErrorCode: 'InternalFailure' })) }
        : { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `e${i}` })) };
    },
    sleep: async () => undefined,
    logger: { info: jest.fn(), warn: jest.fn(), error: jest.fn() },
    metrics: { addMetric: jest.fn() },
  };
  return { deps, sent };
}

describe('callLevelEvents', () => {
  it('is CallCompleted, with the record as detail and a stable EventId, when a call becomes ended', () => {
    const [event, ...rest] = callLevelEvents(ended, open);
    expect(rest).toEqual([]);
    const { ExpiresAt: _ttl, ...record } = ended;
    expect(event).toEqual({
      detailType: 'CallCompleted',
      time: ended.EndedAt,
      detail: { ...record, EventId: 'c-1/CallCompleted' },
    });
    expect(callLevelEvents(ended, undefined).map((e) => e.detailType)).toEqual(['CallCompleted']);
  });

  it('is nothing for an open call, a later Version of an ended call, or a removed record', () => {
    expect(callLevelEvents(open, undefined)).toEqual([]);
    expect(endedAgain.Version).toBe(3);
    expect(callLevelEvents(endedAgain, ended)).toEqual([]);
    expect(callLevelEvents(undefined, ended)).toEqual([]);
  });
});

describe('publishing the Calls stream', () => {
  it('sends one CallCompleted entry for the write that ended the call, and nothing for the others', async () => {
    const { deps, sent } = setup();
    const result = await publishCallEvents(
      {
        Records: [
          change(open, undefined, 1),
          change(ended, open, 2),
          change(endedAgain, ended, 3),
          change(undefined, endedAgain, 4),
        ],
      },
      deps,
    );
    expect(result).toEqual({ batchItemFailures: [] });
    const entries = sent.flat();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      DetailType: 'CallCompleted',
      Source: 'telephony.call-events',
      Time: new Date(ended.EndedAt as string),
    });
    expect(JSON.parse(entries[0]?.Detail as string)).toMatchObject({
      SessionID: 'c-1',
      EventId: 'c-1/CallCompleted',
      Outcome: 'missed',
      Version: 2,
    });
  });

  it('reports the record for retry when EventBridge keeps failing: never lost', async () => {
    const { deps, sent } = setup(true);
    const result = await publishCallEvents({ Records: [change(ended, open, 7)] }, deps);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '507' }] });
    expect(sent.length).toBeGreaterThan(1);
  });
});
