/**
 * Missed calls to call back: which answered call resolves which missed call (the window, the
 * customer's number, the direction), the out-of-order case, one resolver for many missed calls,
 * and how the projector's `nextCall` keeps the callback fields, `stuck` and the index keys.
 */
import {
  type CallbackFields,
  callbackOf,
  candidateStartRange,
  hasCallback,
  resolvableEndRange,
  resolves,
  settledMissedCall,
  withCallback,
  withCallbackFields,
} from '../../lambda/calls/callbacks';
import { foldCall } from '../../lambda/calls/fold-call';
import { nextCall } from '../../lambda/calls/project-calls';
import type { StoredCall } from '../../lambda/calls/store';
import { markStuck } from '../../lambda/calls/stuck';
import { SETTINGS } from '../../lambda/config/settings';
import { callOf, storedEvent } from '../support/call-events';
import { incomingEvents, outgoingEvents, recordOf, wallClock } from '../support/calls';

const WINDOW = SETTINGS.callbackWindowHours.default;
const START = '2021-01-28 14:15:22';
/** The missed call ends 30 s after it starts: 14:15:52 Moscow, 11:15:52Z. */
const missedEvents = incomingEvents({ id: 'missed-1', customer: '9161234567', start: START, missedAt: 30 });
const missed = recordOf(missedEvents);
const MISSED_END = Date.parse('2021-01-28T11:15:52Z');

/** An answered outgoing call to `customer` starting `after` seconds after the missed call ended. */
const callBack = (id: string, after: number, customer = '89161234567') =>
  recordOf(
    outgoingEvents({
      id,
      employee: '80052002651',
      customer,
      start: wallClock('2021-01-28 14:15:52', after),
      ring: 5,
      talk: 60,
    }),
  );
/** The customer's own incoming call starting `after` seconds after the missed call ended, answered or not. */
const callsAgain = (id: string, after: number, answered = true) =>
  recordOf(
    incomingEvents({
      id,
      customer: '+7 (916) 123-45-67',
      start: wallClock('2021-01-28 14:15:52', after),
      ...(answered ? { answer: { employee: '80052002651', at: 8, talk: 30 } } : { missedAt: 20 }),
    }),
  );

describe('resolves', () => {
  it('an answered outgoing call to the same customer, dialled in another format: called-back', () => {
    expect(missed.CustomerNumber).toBe('+79161234567');
    expect(resolves(missed, callBack('out-1', 600), WINDOW)).toEqual({
      CallbackStatus: 'called-back',
      CallbackSessionID: 'out-1',
      CallbackAfterSeconds: 600,
    });
  });

  it("the customer's own answered call: customer-called-again", () => {
    expect(resolves(missed, callsAgain('in-2', 3600), WINDOW)).toEqual({
      CallbackStatus: 'customer-called-again',
      CallbackSessionID: 'in-2',
      CallbackAfterSeconds: 3600,
    });
  });

  it('counts a call starting the very second the missed call ended, and one at the end of the window', () => {
    expect(resolves(missed, callBack('out-0', 0), WINDOW)?.CallbackAfterSeconds).toBe(0);
    expect(resolves(missed, callBack('out-w', WINDOW * 3600), WINDOW)?.CallbackAfterSeconds).toBe(
      WINDOW * 3600,
    );
    expect(resolves(missed, callBack('out-w', 2 * 3600), 2)?.CallbackAfterSeconds).toBe(7200);
  });

  it('not a call outside the window, before the end, unanswered, to someone else, or the missed call itself', () => {
    expect(resolves(missed, callBack('late', WINDOW * 3600 + 1), WINDOW)).toBeUndefined();
    expect(resolves(missed, callBack('early', -1), WINDOW)).toBeUndefined();
    expect(resolves(missed, callBack('out-1', 2 * 3600 + 1), 2)).toBeUndefined();
    expect(resolves(missed, callsAgain('in-missed', 60, false), WINDOW)).toBeUndefined();
    const busy = recordOf(
      outgoingEvents({
        id: 'busy',
        employee: '80052002651',
        customer: '89161234567',
        start: '2021-01-28 14:20:00',
        ring: 5,
        talk: 0,
      }),
    );
    expect(busy.Outcome).toBe('busy');
    expect(resolves(missed, busy, WINDOW)).toBeUndefined();
    expect(resolves(missed, callBack('other', 60, '89161234568'), WINDOW)).toBeUndefined();
    const itself = { ...missed, Status: 'ended' as const, Outcome: 'answered' as const };
    expect(resolves(missed, itself, WINDOW)).toBeUndefined();
  });

  it('nothing for a call that is not missed, or a resolver still open', () => {
    const answered = callsAgain('in-a', 0);
    expect(resolves(answered, callBack('out-1', 600), WINDOW)).toBeUndefined();
    const open = recordOf(
      outgoingEvents({
        id: 'o',
        employee: 'e',
        customer: '89161234567',
        start: START,
        ring: 1,
        talk: 1,
      }).slice(0, 1),
    );
    expect(open.Status).toBe('open');
    expect(resolves(missed, open, WINDOW)).toBeUndefined();
  });
});

describe("callbackOf: a missed call's callback, from its customer's calls as stored", () => {
  const NOW = new Date(MISSED_END + 3600_000);
  const AFTER_WINDOW = new Date(MISSED_END + WINDOW * 3600_000 + 1000);

  it('is pending while the window lasts and no stored call resolves it', () => {
    expect(callbackOf(missed, [], WINDOW, NOW)).toEqual({ CallbackStatus: 'pending' });
    expect(
      callbackOf(missed, [callBack('late', WINDOW * 3600 + 5), callsAgain('in-x', 10, false)], WINDOW, NOW),
    ).toEqual({ CallbackStatus: 'pending' });
  });

  it('is not-called-back once the window has passed, and still resolved by a call in it that arrives late', () => {
    expect(callbackOf(missed, [], WINDOW, AFTER_WINDOW)).toEqual({ CallbackStatus: 'not-called-back' });
    // The window's very last second still counts.
    expect(callbackOf(missed, [], WINDOW, new Date(MISSED_END + WINDOW * 3600_000))).toEqual({
      CallbackStatus: 'pending',
    });
    expect(callbackOf(missed, [callBack('out-late', 3600)], WINDOW, AFTER_WINDOW)).toEqual({
      CallbackStatus: 'called-back',
      CallbackSessionID: 'out-late',
      CallbackAfterSeconds: 3600,
    });
  });

  it('is resolved by the earliest resolving call, whatever order the calls were stored or are given in', () => {
    const candidates = [callsAgain('in-b', 900), callBack('out-c', 300), callBack('out-a', 1200), missed];
    const expected = { CallbackStatus: 'called-back', CallbackSessionID: 'out-c', CallbackAfterSeconds: 300 };
    expect(callbackOf(missed, candidates, WINDOW, NOW)).toEqual(expected);
    expect(callbackOf(missed, [...candidates].reverse(), WINDOW, NOW)).toEqual(expected);
  });

  it('breaks a tie on StartedAt by the smaller SessionID', () => {
    const tie = [callBack('out-z', 300), callsAgain('in-m', 300), callBack('out-n', 300)];
    expect(callbackOf(missed, tie, WINDOW, NOW)).toMatchObject({
      CallbackSessionID: 'in-m',
      CallbackStatus: 'customer-called-again',
    });
    expect(callbackOf(missed, [...tie].reverse(), WINDOW, NOW)).toMatchObject({ CallbackSessionID: 'in-m' });
  });

  it('is nothing for a call that is not missed', () => {
    expect(callbackOf(callsAgain('in-a', 0), [callBack('out-1', 60)], WINDOW, NOW)).toBeUndefined();
  });

  it("is written as the missed call's next Version, out of the PendingCallbacks index, still in MissedCallsByCustomer", () => {
    const pending = nextCall(undefined, foldCall(missedEvents)) as StoredCall;
    expect(pending).toMatchObject({
      CallbackStatus: 'pending',
      PendingCallback: 'pending',
      MissedCustomerNumber: '+79161234567',
      Version: 1,
    });
    const fields = callbackOf(pending, [callsAgain('in-2', 120)], WINDOW, NOW) as CallbackFields;
    const written = settledMissedCall(pending, fields);
    const { PendingCallback: _key, ...rest } = pending;
    expect(written).toEqual({
      ...rest,
      CallbackStatus: 'customer-called-again',
      CallbackSessionID: 'in-2',
      CallbackAfterSeconds: 120,
      Version: 2,
    });
    expect(hasCallback(written, fields)).toBe(true);
    expect(hasCallback(pending, fields)).toBe(false);
    const expired = settledMissedCall(pending, { CallbackStatus: 'not-called-back' });
    expect(expired).not.toHaveProperty('PendingCallback');
    expect(expired.MissedCustomerNumber).toBe('+79161234567');
  });
});

describe('the lookups the projector makes', () => {
  it('asks for candidates starting in the window after the end, and missed calls ending in the window before the start', () => {
    expect(candidateStartRange(missed, 2)).toEqual({
      from: '2021-01-28T11:15:52Z',
      to: '2021-01-28T13:15:52Z',
    });
    expect(candidateStartRange({}, 2)).toBeUndefined();
    expect(resolvableEndRange(callBack('out-1', 600), 2)).toEqual({
      from: '2021-01-28T09:25:52Z',
      to: '2021-01-28T11:25:52Z',
    });
    expect(Date.parse(resolvableEndRange(callBack('out-1', 600), 2).to)).toBe(MISSED_END + 600_000);
  });
});

describe('nextCall keeps what the fold does not own', () => {
  const ev = callOf({ SessionID: 'missed-1', CityNumber: '4950665310', Caller: '9161234567' });
  const lateAttemptEnd = storedEvent(
    ev('AttemptIncCallEnd', { EndTime: '2021-01-28 14:15:52', Called: '80052002651' }),
  );
  const resolution = {
    CallbackStatus: 'called-back',
    CallbackSessionID: 'out-1',
    CallbackAfterSeconds: 600,
  } as const;

  it('the index keys follow Status and CallbackStatus: OpenCall while open, PendingCallback while pending', () => {
    const open = recordOf(missedEvents.slice(0, 1));
    expect(open).toMatchObject({ Status: 'open', OpenCall: 'open' });
    expect(open.PendingCallback).toBeUndefined();
    expect(missed).toMatchObject({ Status: 'ended', CallbackStatus: 'pending', PendingCallback: 'pending' });
    expect(missed.OpenCall).toBeUndefined();
    const answered = callsAgain('in-a', 0);
    expect([answered.OpenCall, answered.PendingCallback, answered.CallbackStatus]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('a resolved missed call keeps its resolution when a late event is folded', () => {
    const resolved = settledMissedCall(missed, resolution);
    const next = nextCall(resolved, foldCall([...missedEvents, lateAttemptEnd])) as StoredCall;
    expect(next).toMatchObject({ ...resolution, Version: 3, EventCount: 3 });
    expect(next.PendingCallback).toBeUndefined();
    // A replay of the same events writes nothing.
    expect(nextCall(resolved, foldCall(missedEvents))).toBeUndefined();
  });

  it('a missed call that a late End shows was answered loses its callback fields', () => {
    const resolved = settledMissedCall(missed, resolution);
    const answeredEnd = storedEvent(
      ev('EndIncCall', {
        EndTime: '2021-01-28 14:15:53',
        Duration: 40,
        ResultCode: '200',
        Called: '80052002651',
      }),
    );
    const next = nextCall(resolved, foldCall([...missedEvents, answeredEnd])) as StoredCall;
    expect(next.Outcome).toBe('answered');
    for (const field of ['CallbackStatus', 'CallbackSessionID', 'CallbackAfterSeconds', 'PendingCallback'])
      expect(next).not.toHaveProperty(field);
  });

  it('a stuck call stays stuck while its events fold open, and ends normally when its End arrives', () => {
    const open = recordOf(missedEvents.slice(0, 1));
    const stuck = markStuck(open) as StoredCall;
    expect(nextCall(stuck, foldCall(missedEvents.slice(0, 1)))).toBeUndefined();
    const attempt = storedEvent(
      ev('AttemptIncCallBegin', { StartTime: '2021-01-28 14:15:30', Called: '80052002651' }),
    );
    const stillStuck = nextCall(stuck, foldCall([...missedEvents.slice(0, 1), attempt])) as StoredCall;
    expect(stillStuck).toMatchObject({ Status: 'stuck', Version: 3, EventCount: 2 });
    expect(stillStuck.OpenCall).toBeUndefined();
    const ended = nextCall(stillStuck, foldCall([...missedEvents, attempt])) as StoredCall;
    expect(ended).toMatchObject({
      Status: 'ended',
      Outcome: 'missed',
      CallbackStatus: 'pending',
      Version: 4,
    });
    expect(ended.OpenCall).toBeUndefined();
  });

  it('withCallback replaces the callback fields and withCallbackFields gives pending to a missed call that had none', () => {
    const resolved = withCallback(missed, resolution);
    expect(withCallback(resolved, { CallbackStatus: 'pending' })).toEqual(missed);
    const { CallbackStatus: _s, PendingCallback: _p, ...bare } = missed;
    expect(withCallbackFields(undefined, bare)).toEqual(missed);
    expect(withCallbackFields(resolved, bare)).toEqual(resolved);
  });
});
