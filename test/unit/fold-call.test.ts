/**
 * The call record, field by field, for the calls the provider's spec describes: incoming
 * answered (parallel and sequential ringing), missed, outgoing answered / busy / without a
 * code, partial calls, re-sent End events. Inputs are stored items built by the contract.
 */
import { foldCall } from '../../lambda/calls/fold-call';
import type { CallEventRecord } from '../../lambda/contract';
import { callOf, storedEvent } from '../support/call-events';

const CITY = '4950665310';
const CUSTOMER = '9582412128';
const EMPLOYEE_A = '80052002651';
const EMPLOYEE_B = '800774994086005';

const incoming = callOf({
  SessionID: 'ec22aab1-02f8-487d-9b40-1173f33ba242',
  CityNumber: CITY,
  Caller: CUSTOMER,
});
const outgoing = callOf({
  SessionID: '5d0c1f4e-6a55-4f7e-9c1d-2b7f0a3e9d11',
  CityNumber: CITY,
  Caller: EMPLOYEE_A,
});

const fold = (bodies: Record<string, unknown>[], options = {}) =>
  foldCall(
    bodies.map((b) => storedEvent(b)),
    options,
  );

/** Records in the order the fold reads them (EventTime, then EventKey). */
const byKey = (records: CallEventRecord[]) =>
  [...records].sort((a, b) => (a.EventKey < b.EventKey ? -1 : a.EventKey > b.EventKey ? 1 : 0));

describe('foldCall: incoming calls', () => {
  it('answered in parallel ringing: who answered, when, and every attempt', () => {
    const events = [
      incoming('CreateIncCall', {
        StartTime: '2021-01-28 14:15:22',
        Called: CITY,
        Redirecting: '84950665310',
      }),
      incoming('AttemptIncCallBegin', { StartTime: '2021-01-28 14:15:30', Called: EMPLOYEE_A }),
      incoming('AttemptIncCallBegin', { StartTime: '2021-01-28 14:15:30', Called: EMPLOYEE_B }),
      incoming('ChangeIncCall', { StartDuration: '2021-01-28 14:15:41', Called: EMPLOYEE_B }),
      incoming('AttemptIncCallEnd', { EndTime: '2021-01-28 14:15:41', Called: EMPLOYEE_A }),
      incoming('EndIncCall', {
        EndTime: '2021-01-28 14:17:01',
        Duration: '80',
        ResultCode: '200',
        Called: EMPLOYEE_B,
      }),
    ].map((b) => storedEvent(b));

    const record = foldCall(events);

    // Both begins are in the same second: their EventKeys order them.
    const begins = byKey(events.filter((e) => e.HookType === 'AttemptIncCallBegin'));
    const attemptOf: Record<string, object> = {
      [EMPLOYEE_A]: {
        Employee: EMPLOYEE_A,
        BeganAt: '2021-01-28T11:15:30Z',
        EndedAt: '2021-01-28T11:15:41Z',
        Answered: false,
      },
      [EMPLOYEE_B]: {
        Employee: EMPLOYEE_B,
        BeganAt: '2021-01-28T11:15:30Z',
        EndedAt: '2021-01-28T11:15:41Z',
        Answered: true,
      },
    };
    expect(record).toEqual({
      SessionID: 'ec22aab1-02f8-487d-9b40-1173f33ba242',
      Direction: 'incoming',
      CityNumber: CITY,
      Caller: CUSTOMER,
      Called: CITY,
      CustomerNumber: '+79582412128',
      Status: 'ended',
      Outcome: 'answered',
      ResultCode: '200',
      ResultText: 'Successful call',
      StartedAt: '2021-01-28T11:15:22Z',
      AnsweredAt: '2021-01-28T11:15:41Z',
      EndedAt: '2021-01-28T11:17:01Z',
      RingSeconds: 19,
      TalkSeconds: 80,
      Employee: EMPLOYEE_B,
      Attempts: begins.map((b) => attemptOf[(b as { Called: string }).Called]),
      Day: '2021-01-28',
      EventCount: 6,
      LastEventAt: '2021-01-28T11:17:01Z',
      LastReceivedAt: '2021-01-28T11:17:02.000Z',
    });
  });

  it('answered in sequential ringing: an employee rung twice gets two attempts, matched in turn', () => {
    const record = fold([
      incoming('CreateIncCall', { StartTime: '2021-01-28 10:00:00', Called: CITY }),
      incoming('AttemptIncCallBegin', { StartTime: '2021-01-28 10:00:02', Called: EMPLOYEE_A }),
      incoming('AttemptIncCallEnd', { EndTime: '2021-01-28 10:00:17', Called: EMPLOYEE_A }),
      incoming('AttemptIncCallBegin', { StartTime: '2021-01-28 10:00:17', Called: EMPLOYEE_B }),
      incoming('AttemptIncCallEnd', { EndTime: '2021-01-28 10:00:32', Called: EMPLOYEE_B }),
      incoming('AttemptIncCallBegin', { StartTime: '2021-01-28 10:00:32', Called: EMPLOYEE_A }),
      incoming('ChangeIncCall', { StartDuration: '2021-01-28 10:00:40', Called: EMPLOYEE_A }),
      incoming('EndIncCall', {
        EndTime: '2021-01-28 10:02:00',
        Duration: 80,
        ResultCode: '200',
        Called: EMPLOYEE_A,
      }),
    ]);

    expect(record.Attempts).toEqual([
      {
        Employee: EMPLOYEE_A,
        BeganAt: '2021-01-28T07:00:02Z',
        EndedAt: '2021-01-28T07:00:17Z',
        Answered: false,
      },
      {
        Employee: EMPLOYEE_B,
        BeganAt: '2021-01-28T07:00:17Z',
        EndedAt: '2021-01-28T07:00:32Z',
        Answered: false,
      },
      {
        Employee: EMPLOYEE_A,
        BeganAt: '2021-01-28T07:00:32Z',
        EndedAt: '2021-01-28T07:00:40Z',
        Answered: true,
      },
    ]);
    expect(record).toMatchObject({
      Outcome: 'answered',
      Employee: EMPLOYEE_A,
      StartedAt: '2021-01-28T07:00:00Z',
      AnsweredAt: '2021-01-28T07:00:40Z',
      EndedAt: '2021-01-28T07:02:00Z',
      RingSeconds: 40,
      TalkSeconds: 80,
      EventCount: 8,
    });
  });

  it('missed: nobody answered, so no Employee and no AnsweredAt; the ring lasts to the end', () => {
    const record = fold([
      incoming('CreateIncCall', { StartTime: '2021-01-28 14:15:22', Called: CITY }),
      incoming('AttemptIncCallBegin', { StartTime: '2021-01-28 14:15:30', Called: EMPLOYEE_A }),
      incoming('AttemptIncCallEnd', { EndTime: '2021-01-28 14:16:00', Called: EMPLOYEE_A }),
      incoming('MissedIncCall', { EndTime: '2021-01-28 14:16:00', Duration: '0', ResultCode: '304' }),
    ]);

    expect(record).toEqual({
      SessionID: 'ec22aab1-02f8-487d-9b40-1173f33ba242',
      Direction: 'incoming',
      CityNumber: CITY,
      Caller: CUSTOMER,
      Called: CITY,
      CustomerNumber: '+79582412128',
      Status: 'ended',
      Outcome: 'missed',
      ResultCode: '304',
      ResultText: 'Missed call',
      StartedAt: '2021-01-28T11:15:22Z',
      EndedAt: '2021-01-28T11:16:00Z',
      RingSeconds: 38,
      TalkSeconds: 0,
      Attempts: [
        {
          Employee: EMPLOYEE_A,
          BeganAt: '2021-01-28T11:15:30Z',
          EndedAt: '2021-01-28T11:16:00Z',
          Answered: false,
        },
      ],
      Day: '2021-01-28',
      EventCount: 4,
      LastEventAt: '2021-01-28T11:16:00Z',
      LastReceivedAt: '2021-01-28T11:16:01.000Z',
    });
  });

  it('MissedIncCall is missed whatever its code; an EndIncCall without a code is read from its Duration', () => {
    const missedWith200 = fold([
      incoming('MissedIncCall', { EndTime: '2021-01-28 14:16:00', Duration: 0, ResultCode: '200' }),
    ]);
    expect(missedWith200.Outcome).toBe('missed');

    const silentZero = fold([
      incoming('EndIncCall', { EndTime: '2021-01-28 14:16:00', Duration: 0, Called: EMPLOYEE_A }),
    ]);
    expect(silentZero).toMatchObject({ Outcome: 'missed', TalkSeconds: 0 });
    expect(silentZero.Employee).toBeUndefined();
    expect(silentZero.AnsweredAt).toBeUndefined();

    // Answered with no ChangeIncCall: the answer is EndedAt − Duration, the employee the End's Called.
    const silentTalk = fold([
      incoming('CreateIncCall', { StartTime: '2021-01-28 14:15:22', Called: CITY }),
      incoming('EndIncCall', { EndTime: '2021-01-28 14:16:00', Duration: 30, Called: EMPLOYEE_A }),
    ]);
    expect(silentTalk).toMatchObject({
      Outcome: 'answered',
      AnsweredAt: '2021-01-28T11:15:30Z',
      RingSeconds: 8,
      TalkSeconds: 30,
      Employee: EMPLOYEE_A,
    });
    expect(silentTalk.ResultCode).toBeUndefined();
  });
});

describe('foldCall: outgoing calls', () => {
  const create = outgoing('CreateOutCall', { StartTime: '2021-01-28 09:00:00', Called: '89161234567' });
  const end = (fields: Record<string, unknown>) =>
    outgoing('EndOutCall', {
      StartTime: '2021-01-28 09:00:00',
      EndTime: '2021-01-28 09:01:10',
      Called: '89161234567',
      ...fields,
    });

  it('answered: the customer is Called in E.164, the employee is Caller, the answer is EndedAt − Duration', () => {
    expect(fold([create, end({ Duration: 55, ResultCode: '200' })])).toEqual({
      SessionID: '5d0c1f4e-6a55-4f7e-9c1d-2b7f0a3e9d11',
      Direction: 'outgoing',
      CityNumber: CITY,
      Caller: EMPLOYEE_A,
      Called: '89161234567',
      CustomerNumber: '+79161234567',
      Status: 'ended',
      Outcome: 'answered',
      ResultCode: '200',
      ResultText: 'Successful call',
      StartedAt: '2021-01-28T06:00:00Z',
      AnsweredAt: '2021-01-28T06:00:15Z',
      EndedAt: '2021-01-28T06:01:10Z',
      RingSeconds: 15,
      TalkSeconds: 55,
      Employee: EMPLOYEE_A,
      Attempts: [],
      Day: '2021-01-28',
      EventCount: 2,
      LastEventAt: '2021-01-28T06:01:10Z',
      LastReceivedAt: '2021-01-28T06:01:11.000Z',
    });
  });

  it('busy: no answer, the whole call is ringing, and the employee who dialled is still named', () => {
    const record = fold([create, end({ Duration: 0, ResultCode: '486' })]);
    expect(record).toMatchObject({
      Outcome: 'busy',
      ResultCode: '486',
      ResultText: 'Busy',
      EndedAt: '2021-01-28T06:01:10Z',
      RingSeconds: 70,
      TalkSeconds: 0,
      Employee: EMPLOYEE_A,
    });
    expect(record.AnsweredAt).toBeUndefined();
  });

  it('no code: answered when Duration > 0, else unanswered', () => {
    expect(fold([create, end({ Duration: 12 })])).toMatchObject({ Outcome: 'answered', TalkSeconds: 12 });
    const unanswered = fold([create, end({ Duration: 0 })]);
    expect(unanswered).toMatchObject({ Outcome: 'unanswered', TalkSeconds: 0, RingSeconds: 70 });
    expect(unanswered.ResultCode).toBeUndefined();
    expect(unanswered.ResultText).toBeUndefined();
  });

  it('a code the provider documents but we do not single out is failed, kept with its text', () => {
    expect(fold([create, end({ Duration: 0, ResultCode: '404' })])).toMatchObject({
      Outcome: 'failed',
      ResultCode: '404',
      ResultText: 'Invalid number',
    });
    const unknown = fold([create, end({ Duration: 0, ResultCode: '999' })]);
    expect(unknown).toMatchObject({ Outcome: 'failed', ResultCode: '999' });
    expect(unknown.ResultText).toBeUndefined();
    // A code named like an object's own property is just another unknown code.
    for (const code of ['constructor', 'toString', '__proto__']) {
      expect(fold([create, end({ Duration: 0, ResultCode: code })]).Outcome).toBe('failed');
    }
  });
});

describe('foldCall: partial calls and re-sent events', () => {
  it('only a Create: open, with no end, ring or talk', () => {
    const record = fold([incoming('CreateIncCall', { StartTime: '2021-01-28 14:15:22', Called: CITY })]);
    expect(record).toEqual({
      SessionID: 'ec22aab1-02f8-487d-9b40-1173f33ba242',
      Direction: 'incoming',
      CityNumber: CITY,
      Caller: CUSTOMER,
      Called: CITY,
      CustomerNumber: '+79582412128',
      Status: 'open',
      StartedAt: '2021-01-28T11:15:22Z',
      Attempts: [],
      Day: '2021-01-28',
      EventCount: 1,
      LastEventAt: '2021-01-28T11:15:22Z',
      LastReceivedAt: '2021-01-28T11:15:23.000Z',
    });
  });

  it('only attempts: open, started at the first ringing, attempts without an end yet', () => {
    const record = fold([
      incoming('AttemptIncCallBegin', { StartTime: '2021-01-28 14:15:31', Called: EMPLOYEE_B }),
      incoming('AttemptIncCallBegin', { StartTime: '2021-01-28 14:15:30', Called: EMPLOYEE_A }),
    ]);
    expect(record).toMatchObject({
      Status: 'open',
      StartedAt: '2021-01-28T11:15:30Z',
      // No Create: Called from the earliest event that has one.
      Called: EMPLOYEE_A,
      Attempts: [
        { Employee: EMPLOYEE_A, BeganAt: '2021-01-28T11:15:30Z', Answered: false },
        { Employee: EMPLOYEE_B, BeganAt: '2021-01-28T11:15:31Z', Answered: false },
      ],
    });
    expect(record.Attempts[0]).not.toHaveProperty('EndedAt');
    expect(record.Outcome).toBeUndefined();
    expect(record.RingSeconds).toBeUndefined();
  });

  it('answered but not ended yet: AnsweredAt and Employee are known, the seconds are not', () => {
    const record = fold([
      incoming('CreateIncCall', { StartTime: '2021-01-28 14:15:22', Called: CITY }),
      incoming('ChangeIncCall', { StartDuration: '2021-01-28 14:15:41', Called: EMPLOYEE_B }),
    ]);
    expect(record).toMatchObject({
      Status: 'open',
      AnsweredAt: '2021-01-28T11:15:41Z',
      Employee: EMPLOYEE_B,
    });
    expect(record.TalkSeconds).toBeUndefined();
    expect(record.RingSeconds).toBeUndefined();
  });

  it("only an End with no StartTime (the spec's example): started no later than it was answered", () => {
    const record = fold([
      incoming('EndIncCall', {
        EndTime: '2021-01-28 14:17:01',
        Duration: '80',
        ResultCode: '200',
        Called: EMPLOYEE_B,
      }),
    ]);
    expect(record).toMatchObject({
      Status: 'ended',
      Outcome: 'answered',
      StartedAt: '2021-01-28T11:15:41Z',
      AnsweredAt: '2021-01-28T11:15:41Z',
      EndedAt: '2021-01-28T11:17:01Z',
      RingSeconds: 0,
      TalkSeconds: 80,
      Employee: EMPLOYEE_B,
      CustomerNumber: '+79582412128',
    });
  });

  it('the StartTime of an End event counts when there is no Create', () => {
    const record = fold([
      incoming('MissedIncCall', {
        StartTime: '2021-01-28 14:15:00',
        EndTime: '2021-01-28 14:16:00',
        Duration: 0,
      }),
    ]);
    expect(record).toMatchObject({ StartedAt: '2021-01-28T11:15:00Z', RingSeconds: 60, Outcome: 'missed' });
  });

  it('a re-sent End with another code: the latest by EventKey decides', () => {
    const record = fold([
      outgoing('CreateOutCall', { StartTime: '2021-01-28 09:00:00', Called: '89161234567' }),
      outgoing('EndOutCall', {
        StartTime: '2021-01-28 09:00:00',
        EndTime: '2021-01-28 09:01:10',
        Duration: 0,
        ResultCode: '486',
      }),
      outgoing('EndOutCall', {
        StartTime: '2021-01-28 09:00:00',
        EndTime: '2021-01-28 09:01:12',
        Duration: 0,
        ResultCode: '603',
      }),
    ]);
    expect(record).toMatchObject({
      Outcome: 'declined',
      ResultCode: '603',
      EndedAt: '2021-01-28T06:01:12Z',
      EventCount: 3,
    });
  });

  it('the same stored event twice counts once', () => {
    const create = storedEvent(incoming('CreateIncCall', { StartTime: '2021-01-28 14:15:22', Called: CITY }));
    expect(foldCall([create, create, { ...create }]).EventCount).toBe(1);
  });

  it('an empty list, or events of two calls, is a mistake of the caller', () => {
    expect(() => foldCall([])).toThrow(RangeError);
    const a = storedEvent(incoming('CreateIncCall', { StartTime: '2021-01-28 14:15:22', Called: CITY }));
    const b = storedEvent(
      outgoing('CreateOutCall', { StartTime: '2021-01-28 09:00:00', Called: '89161234567' }),
    );
    expect(() => foldCall([a, b])).toThrow(/more than one SessionID/);
  });
});

describe('foldCall: times', () => {
  const lateEvening = incoming('CreateIncCall', { StartTime: '2021-01-28 00:30:00', Called: CITY });

  it('Day is the local date of StartedAt in the configured zone', () => {
    expect(fold([lateEvening])).toMatchObject({ StartedAt: '2021-01-27T21:30:00Z', Day: '2021-01-28' });
    expect(fold([lateEvening], { timeZone: 'UTC' }).Day).toBe('2021-01-27');
    expect(fold([lateEvening], { timeZone: 'Asia/Vladivostok' }).Day).toBe('2021-01-28');
  });

  it('compares times as instants, so a ReceivedAt with milliseconds is ordered right', () => {
    const create = storedEvent(lateEvening);
    const end = storedEvent(incoming('MissedIncCall', { EndTime: '2021-01-28 00:31:00', Duration: 0 }));
    // A later ReceivedAt whose text sorts first ('.' < 'Z').
    const record = foldCall([
      { ...create, ReceivedAt: '2021-01-27T21:31:05.250Z' },
      { ...end, ReceivedAt: '2021-01-27T21:31:05Z' },
    ]);
    expect(record.LastReceivedAt).toBe('2021-01-27T21:31:05.250Z');
    expect(record.LastEventAt).toBe('2021-01-27T21:31:00Z');
  });
});
