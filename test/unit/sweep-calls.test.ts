/** The sweep: open calls past the threshold become stuck, once; pending missed calls are settled again. */
import { foldCall } from '../../lambda/calls/fold-call';
import { MemoryCallsStore } from '../../lambda/calls/memory-store';
import { nextCall } from '../../lambda/calls/project-calls';
import type { StoredCall } from '../../lambda/calls/store';
import { sweepCalls } from '../../lambda/calls/sweep-calls';
import { callOf, storedEvent } from '../support/call-events';

const CITY = '4950665310';
const NOW = new Date('2021-01-28T20:00:00Z');

/** A record as the projector writes it, from bodies whose events were received at `receivedAt`. */
function record(
  id: string,
  bodies: [string, Record<string, unknown>][],
  receivedAt: string,
  caller = '9161234567',
) {
  const call = callOf({ SessionID: id, CityNumber: CITY, Caller: caller });
  const events = bodies.map(([hookType, fields]) =>
    storedEvent(call(hookType, fields), { receivedAt: new Date(receivedAt) }),
  );
  return nextCall(undefined, foldCall(events)) as StoredCall;
}

const deps = (store: MemoryCallsStore) => ({
  store,
  stuckAfterMinutes: 240,
  callbackWindowHours: 72,
  now: () => NOW,
  logger: { info: () => {} },
  metrics: { addMetric: jest.fn() },
});

describe('sweepCalls', () => {
  const quiet = record(
    'open-old',
    [['CreateIncCall', { StartTime: '2021-01-28 18:00:00', Called: CITY }]],
    '2021-01-28T15:00:01Z',
  );
  const recent = record(
    'open-new',
    [['CreateIncCall', { StartTime: '2021-01-28 22:00:00', Called: CITY }]],
    '2021-01-28T19:00:01Z',
  );
  const ended = record(
    'ended',
    [
      ['CreateIncCall', { StartTime: '2021-01-28 12:00:00', Called: CITY }],
      ['MissedIncCall', { EndTime: '2021-01-28 12:00:30', Duration: 0 }],
    ],
    '2021-01-28T09:00:31Z',
  );

  it('marks stuck the open calls quiet for the threshold, and only them, once', async () => {
    const store = new MemoryCallsStore([quiet, recent, ended]);
    const first = await sweepCalls(deps(store));
    // Both open calls are read; the record of the one heard of recently keeps it open.
    expect(first).toMatchObject({ stuck: 1, openChecked: 2 });
    expect(store.calls.get('open-old')).toMatchObject({ Status: 'stuck', Version: 2 });
    expect(store.calls.get('open-old')).not.toHaveProperty('OpenCall');
    expect(store.calls.get('open-new')).toMatchObject({ Status: 'open', OpenCall: 'open', Version: 1 });
    expect(store.calls.get('ended')).toMatchObject({ Status: 'ended', Version: 1 });

    expect(await sweepCalls(deps(store))).toMatchObject({ stuck: 0, openChecked: 1 });
  });

  it('settles a pending missed call whose resolver was stored without finding it', async () => {
    const back = record(
      'back',
      [
        ['CreateOutCall', { StartTime: '2021-01-28 12:10:00', Called: '89161234567' }],
        [
          'EndOutCall',
          {
            StartTime: '2021-01-28 12:10:00',
            EndTime: '2021-01-28 12:11:00',
            Duration: 50,
            ResultCode: '200',
            Called: '89161234567',
          },
        ],
      ],
      '2021-01-28T09:11:01Z',
      '0052002651',
    );
    const store = new MemoryCallsStore([ended, back]);
    expect(store.calls.get('ended')).toMatchObject({ CallbackStatus: 'pending' });
    expect(await sweepCalls(deps(store))).toMatchObject({ settled: 1, pendingChecked: 1 });
    expect(store.calls.get('ended')).toMatchObject({
      CallbackStatus: 'called-back',
      CallbackSessionID: 'back',
      CallbackAfterSeconds: 570,
    });
  });
});
