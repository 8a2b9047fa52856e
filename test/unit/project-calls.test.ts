/**
 * The call projector's logic over an in-memory store: one write per changed call, none for a
 * re-delivery, retries on a Version conflict, failures reported per call. DynamoDB's own
 * condition handling is exercised in the integration tier (calls-projector.test.ts).
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { foldCall } from '../../lambda/calls/fold-call';
import { MemoryCallsStore } from '../../lambda/calls/memory-store';
import { nextCall, type ProjectDeps, projectCalls } from '../../lambda/calls/project-calls';
import type { StoredCall } from '../../lambda/calls/store';
import type { CallEventRecord } from '../../lambda/contract';
import { callOf, storedEvent } from '../support/call-events';

const CITY = '4950665310';
const call = (n: number) => callOf({ SessionID: `session-${n}`, CityNumber: CITY, Caller: '9582412128' });

const missedCall = (n: number) => [
  storedEvent(call(n)('CreateIncCall', { StartTime: '2021-01-28 14:15:22', Called: CITY })),
  storedEvent(call(n)('MissedIncCall', { EndTime: '2021-01-28 14:15:52', Duration: 0, ResultCode: '304' })),
];

/** The shared in-memory store, with the faults a test injects: another writer first, a throttled read. */
class MemoryCalls extends MemoryCallsStore {
  /** Called before each put: lets a test change the record under the writer. */
  beforePut: (call: StoredCall) => void = () => {};
  failFor = new Set<string>();

  override async getCall(id: string) {
    if (this.failFor.has(id)) throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
    return super.getCall(id);
  }
  override async putCall(call: StoredCall, expected: number | undefined) {
    this.beforePut(call);
    return super.putCall(call, expected);
  }
}

function insert(event: CallEventRecord, n: number): DynamoDBRecord {
  return {
    eventName: 'INSERT',
    dynamodb: {
      Keys: marshall({ SessionID: event.SessionID, EventKey: event.EventKey }) as never,
      NewImage: marshall(event, { removeUndefinedValues: true }) as never,
      SequenceNumber: String(1000 + n),
    },
  };
}
const batch = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });

function setup(store = new MemoryCalls()) {
  const metric = { addMetric: jest.fn() };
  const logger = { debug: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const deps: ProjectDeps = {
    calls: store,
    events: store,
    fold: { timeZone: 'Europe/Moscow', defaultCountry: 'RU' },
    callbackWindowHours: 72,
    now: () => new Date('2021-01-29T12:00:00Z'),
    logger,
    metrics: metric,
  };
  const metricValue = (name: string) => metric.addMetric.mock.calls.findLast(([n]) => n === name)?.[2];
  return { store, deps, logger, metricValue };
}

describe('projectCalls', () => {
  it('writes one record per call, however many of its events the batch holds', async () => {
    const { store, deps, metricValue } = setup();
    const events = [...missedCall(1), ...missedCall(2)];
    store.addEvents(...events);

    const result = await projectCalls(batch(...events.map(insert)), deps);

    expect(result).toEqual({ batchItemFailures: [] });
    expect(store.writes.map((c) => [c.SessionID, c.Version, c.Status, c.Outcome])).toEqual([
      ['session-1', 1, 'ended', 'missed'],
      ['session-2', 1, 'ended', 'missed'],
    ]);
    // A missed call also waits for a callback: the fold, plus what the projector owns.
    expect(store.calls.get('session-1')).toEqual({
      ...foldCall(missedCall(1)),
      CallbackStatus: 'pending',
      PendingCallback: 'pending',
      MissedCustomerNumber: '+79582412128',
      Version: 1,
    });
    expect(metricValue('CallsProjected')).toBe(2);
  });

  it('writes nothing when a replay or re-delivery changes nothing', async () => {
    const { store, deps } = setup();
    const events = missedCall(1);
    store.addEvents(...events);
    await projectCalls(batch(...events.map(insert)), deps);

    await projectCalls(batch(...events.map(insert)), deps);

    expect(store.writes).toHaveLength(1);
    expect(store.calls.get('session-1')?.Version).toBe(1);
  });

  it('folds a later event into a new Version', async () => {
    const { store, deps } = setup();
    const [create, missed] = missedCall(1) as [CallEventRecord, CallEventRecord];
    store.addEvents(create);
    await projectCalls(batch(insert(create, 1)), deps);
    expect(store.calls.get('session-1')).toMatchObject({ Status: 'open', Version: 1 });

    store.addEvents(missed);
    await projectCalls(batch(insert(missed, 2)), deps);

    expect(store.calls.get('session-1')).toMatchObject({ Status: 'ended', Outcome: 'missed', Version: 2 });
  });

  it('reads again and retries when another writer changed the record first', async () => {
    const { store, deps } = setup();
    const events = missedCall(1);
    store.addEvents(...events);
    let raced = false;
    store.beforePut = (call) => {
      if (raced) return;
      raced = true;
      // Another projector wrote the same call between this one's read and its write.
      store.calls.set(call.SessionID, { ...call, Version: 1 });
    };

    const result = await projectCalls(batch(insert(events[1] as CallEventRecord, 1)), deps);

    expect(result).toEqual({ batchItemFailures: [] });
    // The retry saw the other writer's record, identical to its own fold: nothing more to write.
    expect(store.calls.get('session-1')?.Version).toBe(1);
    expect(store.writes).toHaveLength(0);
  });

  it('gives up after maxWrites conflicts and reports every record of that call only', async () => {
    const { store, deps, logger, metricValue } = setup();
    const one = missedCall(1);
    const two = missedCall(2);
    store.addEvents(...one, ...two);
    store.beforePut = (call) => {
      // Another writer keeps getting there first, each time with a record this fold would change.
      if (call.SessionID !== 'session-1') return;
      const stored = store.calls.get('session-1');
      store.calls.set('session-1', { ...call, Outcome: 'busy', Version: (stored?.Version ?? 0) + 1 });
    };

    const result = await projectCalls(
      batch(
        insert(one[0] as CallEventRecord, 1),
        insert(two[0] as CallEventRecord, 2),
        insert(one[1] as CallEventRecord, 3),
      ),
      {
        ...deps,
        maxWrites: 3,
      },
    );

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '1001' }, { itemIdentifier: '1003' }]);
    expect(store.calls.get('session-2')).toMatchObject({ Version: 1 });
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining('Cannot project call'),
      expect.objectContaining({ SessionID: 'session-1', errorName: 'VersionConflictError' }),
    );
    expect(metricValue('CallProjectionFailed')).toBe(1);
  });

  it('reports the records of a call whose store call failed, and projects the rest', async () => {
    const { store, deps } = setup();
    store.addEvents(...missedCall(1), ...missedCall(2));
    store.failFor.add('session-2');

    const result = await projectCalls(batch(...[...missedCall(1), ...missedCall(2)].map(insert)), deps);

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '1002' }, { itemIdentifier: '1003' }]);
    expect(store.calls.has('session-1')).toBe(true);
  });

  it('skips what is not an INSERT, and fails the whole batch for a record it cannot identify', async () => {
    const { store, deps } = setup();
    store.addEvents(...missedCall(1));
    const removed: DynamoDBRecord = {
      ...insert(missedCall(1)[0] as CallEventRecord, 1),
      eventName: 'REMOVE',
    };
    await expect(projectCalls(batch(removed), deps)).resolves.toEqual({ batchItemFailures: [] });
    expect(store.writes).toHaveLength(0);

    const anonymous: DynamoDBRecord = { eventName: 'INSERT', dynamodb: { SequenceNumber: '1' } };
    await expect(projectCalls(batch(anonymous), deps)).rejects.toThrow(/no SessionID/);
  });
});

describe('nextCall', () => {
  const folded = foldCall(missedCall(1));

  it('counts Versions from 1 and sets the TTL from the last event received', () => {
    const first = nextCall(undefined, folded, 30);
    expect(first?.Version).toBe(1);
    expect(first?.ExpiresAt).toBe(Math.floor(Date.parse(folded.LastReceivedAt) / 1000) + 30 * 86_400);
    expect(nextCall(undefined, folded)?.ExpiresAt).toBeUndefined();
  });

  it('is undefined when the fold equals the stored record', () => {
    const stored = nextCall(undefined, folded) as StoredCall;
    expect(nextCall(stored, folded)).toBeUndefined();
    expect(nextCall({ ...stored, Outcome: 'answered' }, folded)).toMatchObject({
      Version: 2,
      Outcome: 'missed',
    });
  });
});

describe('projectCalls: settling missed calls', () => {
  const CUSTOMER_IN = '9161234567';
  const CUSTOMER_OUT = '89161234567'; // the same customer, dialled with the trunk prefix
  const missed = (id: string) => {
    const c = callOf({ SessionID: id, CityNumber: CITY, Caller: CUSTOMER_IN });
    return [
      storedEvent(c('CreateIncCall', { StartTime: '2021-01-28 10:00:00', Called: CITY })),
      storedEvent(c('MissedIncCall', { EndTime: '2021-01-28 10:00:30', Duration: 0, ResultCode: '304' })),
    ];
  };
  const calledBack = (id: string, start: string, end: string, code = '200') => {
    const c = callOf({ SessionID: id, CityNumber: CITY, Caller: '0052002651' });
    return [
      storedEvent(c('CreateOutCall', { StartTime: start, Called: CUSTOMER_OUT })),
      storedEvent(
        c('EndOutCall', {
          StartTime: start,
          EndTime: end,
          Duration: 40,
          ResultCode: code,
          Called: CUSTOMER_OUT,
        }),
      ),
    ];
  };
  const project = async (deps: ProjectDeps, events: CallEventRecord[]) => {
    (deps.calls as unknown as MemoryCalls).addEvents(...events);
    return projectCalls(batch(...events.map(insert)), deps);
  };

  it('an answered call-back after the missed call resolves it: called-back, with how long it took', async () => {
    const { store, deps, metricValue } = setup();
    await project(deps, missed('m-1'));
    expect(store.calls.get('m-1')).toMatchObject({ CallbackStatus: 'pending', PendingCallback: 'pending' });

    await project(deps, calledBack('b-1', '2021-01-28 10:05:30', '2021-01-28 10:06:10'));

    const record = store.calls.get('m-1');
    expect(record).toMatchObject({
      CallbackStatus: 'called-back',
      CallbackSessionID: 'b-1',
      CallbackAfterSeconds: 300,
      Version: 2,
    });
    expect(record).not.toHaveProperty('PendingCallback');
    expect(metricValue('CallbacksResolved')).toBe(1);
  });

  it('a resolving call stored before the missed call (out of order) resolves it too', async () => {
    const { store, deps } = setup();
    await project(deps, calledBack('b-2', '2021-01-28 11:00:00', '2021-01-28 11:00:40'));
    await project(deps, missed('m-2'));
    expect(store.calls.get('m-2')).toMatchObject({ CallbackStatus: 'called-back', CallbackSessionID: 'b-2' });
  });

  it('an unanswered call-back, or one after the window, leaves it pending', async () => {
    const { store, deps } = setup();
    await project(deps, missed('m-3'));
    await project(deps, calledBack('b-3', '2021-01-28 10:05:00', '2021-01-28 10:05:20', '486'));
    await project(deps, calledBack('b-4', '2021-02-01 10:05:00', '2021-02-01 10:05:40'));
    expect(store.calls.get('m-3')).toMatchObject({ CallbackStatus: 'pending', Version: 1 });
  });

  it('a replayed resolver resolves nothing twice', async () => {
    const { store, deps } = setup();
    await project(deps, missed('m-5'));
    const back = calledBack('b-5', '2021-01-28 10:01:00', '2021-01-28 10:02:00');
    await project(deps, back);
    await projectCalls(batch(...back.map(insert)), deps);
    expect(store.calls.get('m-5')).toMatchObject({ CallbackStatus: 'called-back', Version: 2 });
  });
});
