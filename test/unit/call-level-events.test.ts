/**
 * The call-level events of a Calls write follow the record: CallCompleted when a call becomes
 * ended or its Outcome changes, MissedCallResolved / MissedCallReopened / MissedCallNotCalledBack
 * when a missed call's callback changes, CallStuck when a call is marked stuck; each with an
 * EventId naming the state it announces; published from the Calls table's stream.
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import fc from 'fast-check';
import {
  CALL_LEVEL_EVENTS,
  callLevelEvents,
  PUBLISHING_STATUSES,
} from '../../lambda/calls/call-level-events';
import { callbackOf, isMissedCall, settledMissedCall, withCallback } from '../../lambda/calls/callbacks';
import { foldCall } from '../../lambda/calls/fold-call';
import { nextCall } from '../../lambda/calls/project-calls';
import type { StoredCall } from '../../lambda/calls/store';
import { markStuck } from '../../lambda/calls/stuck';
import type { CallEventRecord } from '../../lambda/contract';
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
    logger: { debug: jest.fn(), warn: jest.fn(), error: jest.fn() },
    metrics: { addMetric: jest.fn() },
  };
  return { deps, sent };
}

describe('callLevelEvents', () => {
  it('is CallCompleted, with the record as detail and an EventId naming its Outcome, when a call becomes ended', () => {
    const [event, ...rest] = callLevelEvents(ended, open);
    expect(rest).toEqual([]);
    const { ExpiresAt: _ttl, ...record } = ended;
    expect(event).toEqual({
      detailType: 'CallCompleted',
      time: ended.EndedAt,
      detail: { ...record, EventId: 'c-1/CallCompleted/missed' },
    });
    expect(callLevelEvents(ended, undefined).map((e) => e.detailType)).toEqual(['CallCompleted']);
  });

  it('is nothing for an open call, a later Version of an ended call, or a removed record', () => {
    expect(callLevelEvents(open, undefined)).toEqual([]);
    // Whatever it was before: the publisher's mapping of the Calls stream drops such writes unseen.
    expect(PUBLISHING_STATUSES).toEqual(['ended', 'stuck']);
    expect(callLevelEvents({ ...open, Version: 3 }, ended)).toEqual([]);
    expect(callLevelEvents({ ...open, Version: 3 }, markStuck(open) as StoredCall)).toEqual([]);
    expect(endedAgain.Version).toBe(3);
    expect(callLevelEvents(endedAgain, ended)).toEqual([]);
    expect(callLevelEvents(undefined, ended)).toEqual([]);
  });
});

describe('CallCompleted again when the Outcome changes', () => {
  const answeredEnd = storedEvent(
    call('EndIncCall', {
      EndTime: '2021-01-28 14:15:59',
      Duration: 5,
      ResultCode: '200',
      Called: '80052002651',
    }),
  );
  const answered = nextCall(ended, foldCall([create, missed, answeredEnd])) as StoredCall;

  it('a missed call found answered: CallCompleted with the record as it now is and the Outcome it corrects', () => {
    expect(answered.Outcome).toBe('answered');
    const events = callLevelEvents(answered, ended);
    expect(events.map((e) => e.detailType)).toEqual(['CallCompleted']);
    expect(events[0]?.detail).toMatchObject({
      Outcome: 'answered',
      PreviousOutcome: 'missed',
      EventId: 'c-1/CallCompleted/answered',
    });
  });

  it('and back: each state has its own EventId, and the same state re-published keeps it', () => {
    const back = callLevelEvents(ended, answered);
    expect(back[0]?.detail).toMatchObject({ Outcome: 'missed', PreviousOutcome: 'answered' });
    expect(back[0]?.detail.EventId).toBe(callLevelEvents(ended, open)[0]?.detail.EventId);
  });
});

describe('MissedCallResolved', () => {
  const resolution = {
    CallbackStatus: 'called-back',
    CallbackSessionID: 'out-9',
    CallbackAfterSeconds: 610,
  } as const;
  const resolved = settledMissedCall(ended, resolution);

  it('is published when a pending missed call is resolved: the resolution as detail, timed at the resolving call', () => {
    expect(ended.CallbackStatus).toBe('pending');
    expect(callLevelEvents(resolved, ended)).toEqual([
      {
        detailType: 'MissedCallResolved',
        // EndedAt 11:15:52Z + 610 s: when the resolving call started.
        time: '2021-01-28T11:26:02Z',
        detail: {
          SessionID: 'c-1',
          CallbackStatus: 'called-back',
          CallbackSessionID: 'out-9',
          CallbackAfterSeconds: 610,
          CustomerNumber: '+79582412128',
          EventId: 'c-1/MissedCallResolved/out-9/610',
        },
      },
    ]);
  });

  it('comes with CallCompleted when the call is written ended and already resolved (its resolver was stored first)', () => {
    const first = withCallback(
      ended,
      callbackOf(
        ended,
        [{ ...ended, SessionID: 'in-2', Outcome: 'answered', StartedAt: '2021-01-28T11:20:00Z' }],
        72,
        new Date('2021-01-28T12:00:00Z'),
      ) as never,
    );
    expect(first.CallbackStatus).toBe('customer-called-again');
    expect(callLevelEvents(first, open).map((e) => [e.detailType, e.time])).toEqual([
      ['CallCompleted', '2021-01-28T11:15:52Z'],
      ['MissedCallResolved', '2021-01-28T11:20:00Z'],
    ]);
    expect(callLevelEvents(first, undefined).map((e) => e.detailType)).toEqual([
      'CallCompleted',
      'MissedCallResolved',
    ]);
  });

  it("is published again when another call turns out to resolve it, or the resolver's start moved", () => {
    const earlier = settledMissedCall(resolved, {
      CallbackStatus: 'customer-called-again',
      CallbackSessionID: 'in-3',
      CallbackAfterSeconds: 300,
    });
    expect(callLevelEvents(earlier, resolved).map((e) => e.detail)).toEqual([
      {
        SessionID: 'c-1',
        CallbackStatus: 'customer-called-again',
        CallbackSessionID: 'in-3',
        CallbackAfterSeconds: 300,
        PreviousCallbackSessionID: 'out-9',
        CustomerNumber: '+79582412128',
        EventId: 'c-1/MissedCallResolved/in-3/300',
      },
    ]);
    const moved = settledMissedCall(resolved, { ...resolution, CallbackAfterSeconds: 595 });
    const [event] = callLevelEvents(moved, resolved);
    expect(event?.detail).toMatchObject({
      CallbackAfterSeconds: 595,
      EventId: 'c-1/MissedCallResolved/out-9/595',
    });
    expect(event?.detail).not.toHaveProperty('PreviousCallbackSessionID');
  });

  it('is MissedCallReopened when no call resolves it any more, and MissedCallNotCalledBack when its window passed', () => {
    const reopened = settledMissedCall(resolved, { CallbackStatus: 'pending' });
    expect(callLevelEvents(reopened, resolved)).toEqual([
      {
        detailType: 'MissedCallReopened',
        time: ended.EndedAt,
        detail: {
          SessionID: 'c-1',
          CallbackStatus: 'pending',
          PreviousCallbackSessionID: 'out-9',
          CustomerNumber: '+79582412128',
          EventId: 'c-1/MissedCallReopened/out-9',
        },
      },
    ]);
    const expired = settledMissedCall(ended, { CallbackStatus: 'not-called-back' });
    expect(callLevelEvents(expired, ended).map((e) => [e.detailType, e.detail.EventId])).toEqual([
      ['MissedCallNotCalledBack', 'c-1/MissedCallNotCalledBack'],
    ]);
    // Resolved late after all: resolved, from not-called-back.
    expect(callLevelEvents(settledMissedCall(expired, resolution), expired).map((e) => e.detailType)).toEqual(
      ['MissedCallResolved'],
    );
  });

  it('is nothing again for a later write of a resolved call, nor for a pending one', () => {
    const later = nextCall(resolved, foldCall([create, missed, late])) as StoredCall;
    expect(later.CallbackStatus).toBe('called-back');
    expect(callLevelEvents(later, resolved)).toEqual([]);
    expect(callLevelEvents(endedAgain, ended)).toEqual([]);
  });
});

describe('CallStuck', () => {
  const stuck = markStuck(open) as StoredCall;

  it('is published when an open call is marked stuck: the record as detail, timed at its last receipt', () => {
    const { ExpiresAt: _ttl, ...record } = stuck;
    expect(callLevelEvents(stuck, open)).toEqual([
      { detailType: 'CallStuck', time: open.LastReceivedAt, detail: { ...record, EventId: 'c-1/CallStuck' } },
    ]);
  });

  it('a stuck call that ends later gets its CallCompleted, and no second CallStuck', () => {
    const endedLater = nextCall(stuck, foldCall([create, missed])) as StoredCall;
    expect(endedLater.Status).toBe('ended');
    expect(callLevelEvents(endedLater, stuck).map((e) => e.detailType)).toEqual(['CallCompleted']);
    const { Version: _v, ...same } = stuck;
    expect(callLevelEvents({ ...same, Version: 9, EventCount: 2 }, stuck)).toEqual([]);
  });
});

describe('callLevelEvents over any sequence of writes of one call', () => {
  const ev = callOf({ SessionID: 'c-1', CityNumber: CITY, Caller: '9582412128' });
  const pool: CallEventRecord[] = [
    create,
    storedEvent(ev('AttemptIncCallBegin', { StartTime: '2021-01-28 14:15:25', Called: '80052002651' })),
    late,
    missed,
    // A re-sent End saying it was answered after all: the latest End decides.
    storedEvent(
      ev('EndIncCall', {
        EndTime: '2021-01-28 14:15:59',
        Duration: 5,
        ResultCode: '200',
        Called: '80052002651',
      }),
    ),
  ];
  type Step = { fold: number } | { sweep: true } | { resolve: number } | { reopen: true } | { expire: true };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ fold: fc.integer({ min: 0, max: pool.length - 1 }) }),
    fc.constant({ sweep: true as const }),
    fc.record({ resolve: fc.integer({ min: 0, max: 3 }) }),
    fc.constant({ reopen: true as const }),
    fc.constant({ expire: true as const }),
  );

  /** Every record the Calls table holds in turn: the projector's, the sweep's and the settling's writes. */
  function writes(steps: Step[]): StoredCall[] {
    const folded = new Set<CallEventRecord>();
    const written: StoredCall[] = [];
    for (const s of steps) {
      const current = written.at(-1);
      let next: StoredCall | undefined;
      if ('fold' in s) {
        folded.add(pool[s.fold] as CallEventRecord);
        next = nextCall(current, foldCall([...folded]));
      } else if ('sweep' in s) {
        next = current && markStuck(current);
      } else if (current && isMissedCall(current)) {
        next = settledMissedCall(
          current,
          'resolve' in s
            ? {
                CallbackStatus: 'called-back',
                CallbackSessionID: `out-${s.resolve}`,
                CallbackAfterSeconds: 60 * s.resolve,
              }
            : { CallbackStatus: 'reopen' in s ? 'pending' : 'not-called-back' },
        );
      }
      if (next) written.push(next);
    }
    return written;
  }

  it('publishes every change, so that the last event a consumer kept of each kind is the record as it ends', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 16 }), (steps) => {
        const records = writes(steps);
        const published = records.map((after, i) => callLevelEvents(after, records[i - 1]));
        for (const events of published) {
          const types = events.map((e) => e.detailType);
          expect(new Set(types).size).toBe(types.length);
        }
        const final = records.at(-1);
        const last = (...types: string[]) =>
          published
            .flat()
            .filter((e) => types.includes(e.detailType))
            .at(-1);
        // What a consumer of CallCompleted last heard is the call's Outcome now.
        if (final?.Status === 'ended')
          expect(last(CALL_LEVEL_EVENTS.completed)?.detail.Outcome).toBe(final.Outcome);
        else expect(last(CALL_LEVEL_EVENTS.completed)).toBeUndefined();
        // What a consumer of the callback events last heard is the missed call's callback now.
        const callback = last(
          CALL_LEVEL_EVENTS.missedCallResolved,
          CALL_LEVEL_EVENTS.missedCallReopened,
          CALL_LEVEL_EVENTS.missedCallNotCalledBack,
        );
        if (final && isMissedCall(final) && final.CallbackStatus !== 'pending')
          expect(callback?.detail).toMatchObject({
            CallbackStatus: final.CallbackStatus,
            ...(final.CallbackSessionID ? { CallbackSessionID: final.CallbackSessionID } : {}),
          });
        if (final && isMissedCall(final) && final.CallbackStatus === 'pending' && callback)
          expect(callback.detailType).toBe(CALL_LEVEL_EVENTS.missedCallReopened);
        expect(published.flat().filter((e) => e.detailType === CALL_LEVEL_EVENTS.stuck).length).toBe(
          records.some((r) => r.Status === 'stuck') ? 1 : 0,
        );
        // The same write seen twice (a re-delivered stream record compared with itself) is nothing.
        for (const r of records) expect(callLevelEvents(r, r)).toEqual([]);
        // Every EventId is the call's and its type's, then the state it announces.
        for (const e of published.flat())
          expect(e.detail.EventId.startsWith(`c-1/${e.detailType}`)).toBe(true);
      }),
      { numRuns: 400 },
    );
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
      EventId: 'c-1/CallCompleted/missed',
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
