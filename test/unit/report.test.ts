/**
 * The call-centre report over a scripted day: two city numbers, three employees, answered,
 * missed, busy, outgoing and stuck calls, missed calls called back within 20 minutes, within
 * 24 hours and later, one whose customer called again and one still pending. The records are
 * what the projector writes (fold, nextCall, the callback functions, the sweep), every write
 * of each call; every figure below is worked out by hand from the script.
 */
import {
  becameAnswered,
  becameMissed,
  initialCallback,
  missedCallsResolvedBy,
  resolveMissedCall,
  withCallback,
} from '../../lambda/calls/callbacks';
import { foldCall } from '../../lambda/calls/fold-call';
import { nextCall, type StoredCall } from '../../lambda/calls/project-calls';
import { callCentreReport, isReportDay, median, percentile, reportPeriod } from '../../lambda/calls/report';
import { markStuck } from '../../lambda/calls/stuck';
import type { CallEventRecord } from '../../lambda/contract';
import { SETTINGS } from '../../lambda/contract/runtime-config';
import { formatReport } from '../../scripts/lib/report-format';
import { callOf, storedEvent } from '../support/call-events';
import { incomingEvents, outgoingEvents, wallClock } from '../support/calls';

const A = '4950665310';
const B = '4957778899';
const E1 = '80052002651';
const E2 = '80052002652';
const E3 = '800774994086005';

const busyIncoming = (): CallEventRecord[] => {
  const ev = callOf({ SessionID: 'in-15', CityNumber: B, Caller: '9161010101' });
  const start = '2021-01-28 21:00:00';
  return [
    ev('CreateIncCall', { StartTime: start, Called: B }),
    ev('AttemptIncCallBegin', { StartTime: wallClock(start, 2), Called: E3 }),
    ev('AttemptIncCallEnd', { EndTime: wallClock(start, 10), Called: E3 }),
    ev('EndIncCall', { EndTime: wallClock(start, 10), Duration: 0, ResultCode: '486', Called: E3 }),
  ].map((body) => storedEvent(body));
};

/** The calls, in the order their events were stored (out-4, the callback, before the call it returns). */
const script: { id: string; events: CallEventRecord[]; stuck?: true }[] = [
  // The evening before: not in the period.
  {
    id: 'in-0',
    events: incomingEvents({
      id: 'in-0',
      city: A,
      customer: '9160000000',
      start: '2021-01-27 23:59:00',
      rings: [{ employee: E1, at: 1 }],
      answer: { employee: E1, at: 3, talk: 20 },
    }),
  },
  // A: answered by E1 after 12 s in parallel ringing (E1's attempt 10 s), 120 s talk.
  {
    id: 'in-1',
    events: incomingEvents({
      id: 'in-1',
      city: A,
      customer: '9161111111',
      start: '2021-01-28 09:00:00',
      rings: [
        { employee: E1, at: 2 },
        { employee: E2, at: 2 },
      ],
      answer: { employee: E1, at: 12, talk: 120 },
    }),
  },
  // A: answered by E2 after 33 s (E2's attempt 30 s), 60 s talk.
  {
    id: 'in-2',
    events: incomingEvents({
      id: 'in-2',
      city: A,
      customer: '9162222222',
      start: '2021-01-28 09:30:00',
      rings: [{ employee: E2, at: 3 }],
      answer: { employee: E2, at: 33, talk: 60 },
    }),
  },
  // A: E1 calls C3 back 600 s after in-3 ended, stored before in-3 (out of order).
  {
    id: 'out-4',
    events: outgoingEvents({
      id: 'out-4',
      city: A,
      employee: E1,
      customer: '89163333333',
      start: '2021-01-28 10:10:40',
      ring: 10,
      talk: 90,
    }),
  },
  // A: missed, ended 10:00:40.
  {
    id: 'in-3',
    events: incomingEvents({
      id: 'in-3',
      city: A,
      customer: '9163333333',
      start: '2021-01-28 10:00:00',
      rings: [
        { employee: E1, at: 2 },
        { employee: E2, at: 2 },
      ],
      missedAt: 40,
    }),
  },
  // A: missed, ended 11:00:25; C4 calls again 3 h later (in-6).
  {
    id: 'in-5',
    events: incomingEvents({
      id: 'in-5',
      city: A,
      customer: '9164444444',
      start: '2021-01-28 11:00:00',
      rings: [{ employee: E3, at: 1 }],
      missedAt: 25,
    }),
  },
  // B: missed, ended 12:00:30; called back the next day (out-8), 26 h later.
  {
    id: 'in-7',
    events: incomingEvents({
      id: 'in-7',
      city: B,
      customer: '9165555555',
      start: '2021-01-28 12:00:00',
      rings: [{ employee: E2, at: 0 }],
      missedAt: 30,
    }),
  },
  // B: C4 again, dialling with the trunk prefix, answered by E3 after 15 s (attempt 10 s), 200 s talk.
  {
    id: 'in-6',
    events: incomingEvents({
      id: 'in-6',
      city: B,
      customer: '89164444444',
      start: '2021-01-28 14:00:25',
      rings: [{ employee: E3, at: 5 }],
      answer: { employee: E3, at: 15, talk: 200 },
    }),
  },
  // B: missed, ended 15:00:20; E1's first try busy, second answered 2 h after.
  {
    id: 'in-9',
    events: incomingEvents({
      id: 'in-9',
      city: B,
      customer: '9166666666',
      start: '2021-01-28 15:00:00',
      rings: [{ employee: E1, at: 4 }],
      missedAt: 20,
    }),
  },
  {
    id: 'out-10a',
    events: outgoingEvents({
      id: 'out-10a',
      city: B,
      employee: E1,
      customer: '89166666666',
      start: '2021-01-28 16:00:20',
      ring: 8,
      talk: 0,
    }),
  },
  {
    id: 'out-10',
    events: outgoingEvents({
      id: 'out-10',
      city: B,
      employee: E1,
      customer: '89166666666',
      start: '2021-01-28 17:00:20',
      ring: 6,
      talk: 30,
    }),
  },
  // A: missed, ended 18:00:50; nobody calls back.
  {
    id: 'in-12',
    events: incomingEvents({
      id: 'in-12',
      city: A,
      customer: '9167777777',
      start: '2021-01-28 18:00:00',
      rings: [{ employee: E3, at: 3 }],
      missedAt: 50,
    }),
  },
  // A: never ended; the sweep marks it stuck.
  {
    id: 'in-13',
    events: incomingEvents({
      id: 'in-13',
      city: A,
      customer: '9168888888',
      start: '2021-01-28 19:00:00',
      rings: [{ employee: E2, at: 2 }],
    }),
    stuck: true,
  },
  // A: answered by E1 after 5 s (attempt 4 s), 10 s talk.
  {
    id: 'in-14',
    events: incomingEvents({
      id: 'in-14',
      city: A,
      customer: '9169999999',
      start: '2021-01-28 20:00:00',
      rings: [{ employee: E1, at: 1 }],
      answer: { employee: E1, at: 5, talk: 10 },
    }),
  },
  // B: busy: offered, neither answered nor missed.
  { id: 'in-15', events: busyIncoming() },
  // B, the next day: E2 calls C5 back (in-7), 26 h after; not in the period.
  {
    id: 'out-8',
    events: outgoingEvents({
      id: 'out-8',
      city: B,
      employee: E2,
      customer: '89165555555',
      start: '2021-01-29 14:00:30',
      ring: 5,
      talk: 45,
    }),
  },
];

/** Every write of every call, as the projector, the resolver and the sweep make them. */
function project(): StoredCall[] {
  const window = SETTINGS.callbackWindowHours.default;
  const table = new Map<string, StoredCall>();
  const history: StoredCall[] = [];
  const put = (record: StoredCall) => {
    table.set(record.SessionID, record);
    history.push(record);
  };
  for (const { id, events, stuck } of script) {
    const current = table.get(id);
    let next = nextCall(current, foldCall(events)) as StoredCall;
    if (becameMissed(current, next))
      next = withCallback(
        next,
        initialCallback(next, [...table.values()], window) ?? { CallbackStatus: 'pending' },
      );
    put(next);
    if (becameAnswered(current, next))
      for (const { missed, resolution } of missedCallsResolvedBy(next, [...table.values()], window))
        put(resolveMissedCall(missed, resolution));
    if (stuck) put(markStuck(next) as StoredCall);
  }
  return history;
}

const history = project();
const DAY = { from: '2021-01-28', to: '2021-01-28' };

describe('the scripted day', () => {
  it('resolves the missed calls as the script says', () => {
    const latest = new Map(history.map((r) => [r.SessionID, r]));
    const callback = (id: string) => {
      const r = latest.get(id);
      return [r?.CallbackStatus, r?.CallbackSessionID, r?.CallbackAfterSeconds];
    };
    expect(callback('in-3')).toEqual(['called-back', 'out-4', 600]);
    expect(callback('in-5')).toEqual(['customer-called-again', 'in-6', 3 * 3600]);
    expect(callback('in-7')).toEqual(['called-back', 'out-8', 26 * 3600]);
    expect(callback('in-9')).toEqual(['called-back', 'out-10', 2 * 3600]);
    expect(callback('in-12')).toEqual(['pending', undefined, undefined]);
    expect(latest.get('in-13')?.Status).toBe('stuck');
    expect(latest.get('in-15')?.Outcome).toBe('busy');
  });
});

describe('callCentreReport', () => {
  const cityA = {
    offered: 7, // in-1, in-2, in-3, in-5, in-12, in-13, in-14
    answered: 3, // in-1, in-2, in-14
    missed: 3, // in-3, in-5, in-12
    missedRate: 3 / 7,
    serviceLevel: 2 / 7, // rung 12 and 5 s; in-2 33 s
    avgRingSeconds: (12 + 33 + 5) / 3,
    p90RingSeconds: 33, // ⌈0.9·3⌉ = 3rd of 5, 12, 33
    avgTalkSeconds: (120 + 60 + 10 + 90) / 4, // with out-4
    outgoing: 1,
    outgoingAnswered: 1,
    stuck: 1,
    callbacks: {
      within20min: 1, // in-3, 600 s
      within24h: 0,
      later: 0,
      customerCalledAgain: 1, // in-5
      pending: 1, // in-12
      medianSeconds: (600 + 10_800) / 2,
    },
  };
  const cityB = {
    offered: 4, // in-6, in-7, in-9, in-15
    answered: 1, // in-6
    missed: 2, // in-7, in-9
    missedRate: 2 / 4,
    serviceLevel: 1 / 4, // in-6, 15 s
    avgRingSeconds: 15,
    p90RingSeconds: 15,
    avgTalkSeconds: (200 + 30) / 2, // with out-10
    outgoing: 2, // out-10a (busy), out-10
    outgoingAnswered: 1,
    stuck: 0,
    callbacks: {
      within20min: 0,
      within24h: 1, // in-9, 7 200 s
      later: 1, // in-7, 93 600 s
      customerCalledAgain: 0,
      pending: 0,
      medianSeconds: (7_200 + 93_600) / 2,
    },
  };
  const total = {
    offered: 11,
    answered: 4,
    missed: 5,
    missedRate: 5 / 11,
    serviceLevel: 3 / 11,
    avgRingSeconds: (12 + 33 + 5 + 15) / 4,
    p90RingSeconds: 33, // ⌈0.9·4⌉ = 4th of 5, 12, 15, 33
    avgTalkSeconds: (120 + 60 + 10 + 90 + 200 + 30) / 6,
    outgoing: 3,
    outgoingAnswered: 2,
    stuck: 1,
    callbacks: {
      within20min: 1,
      within24h: 1,
      later: 1,
      customerCalledAgain: 1,
      pending: 1,
      medianSeconds: (7_200 + 10_800) / 2, // of 600, 7 200, 10 800, 93 600
    },
  };

  it('gives every figure of the day, in total, by city number and by employee', () => {
    expect(callCentreReport(history, DAY)).toStrictEqual({
      total,
      byCityNumber: { [A]: cityA, [B]: cityB },
      byEmployee: {
        // in-1 (answered, 10 s), in-3, in-9, in-14 (answered, 4 s); talk in-1, out-4, out-10a, out-10, in-14.
        [E1]: {
          rung: 4,
          answered: 2,
          unanswered: 2,
          avgRingSeconds: 7,
          talkSeconds: 120 + 90 + 0 + 30 + 10,
          outgoing: 3,
        },
        // in-1, in-2 (answered, 30 s), in-3, in-7, in-13 (still ringing when it got stuck).
        [E2]: { rung: 5, answered: 1, unanswered: 4, avgRingSeconds: 30, talkSeconds: 60, outgoing: 0 },
        // in-5, in-6 (answered, 10 s), in-12, in-15.
        [E3]: { rung: 4, answered: 1, unanswered: 3, avgRingSeconds: 10, talkSeconds: 200, outgoing: 0 },
      },
    });
  });

  it('for one city number: only its calls, attempts and employees', () => {
    expect(callCentreReport(history, { ...DAY, cityNumber: A })).toStrictEqual({
      total: cityA,
      byCityNumber: { [A]: cityA },
      byEmployee: {
        [E1]: {
          rung: 3,
          answered: 2,
          unanswered: 1,
          avgRingSeconds: 7,
          talkSeconds: 120 + 90 + 10,
          outgoing: 1,
        },
        [E2]: { rung: 4, answered: 1, unanswered: 3, avgRingSeconds: 30, talkSeconds: 60, outgoing: 0 },
        [E3]: { rung: 2, answered: 0, unanswered: 2, avgRingSeconds: 0, talkSeconds: 0, outgoing: 0 },
      },
    });
    expect(callCentreReport(history, { ...DAY, cityNumber: '4950000000' }).byCityNumber).toEqual({});
  });

  it('moves the service level with --answer-within, its bound included', () => {
    expect(callCentreReport(history, { ...DAY, answerWithinSeconds: 33 }).total.serviceLevel).toBe(4 / 11);
    expect(callCentreReport(history, { ...DAY, answerWithinSeconds: 5 }).total.serviceLevel).toBe(1 / 11);
    expect(callCentreReport(history, { ...DAY, answerWithinSeconds: 4 }).total.serviceLevel).toBe(0);
  });

  it('counts the calls of the period only, the latest write of each once', () => {
    const latest = [...new Map(history.map((r) => [r.SessionID, r])).values()];
    const ofTheDay = latest.filter((r) => r.SessionID !== 'in-0' && r.SessionID !== 'out-8');
    expect(callCentreReport(ofTheDay)).toStrictEqual(callCentreReport(history, DAY));
    expect(callCentreReport([...history].reverse(), DAY)).toStrictEqual(callCentreReport(history, DAY));
    // Two days: in-0 (answered by E1 in 3 s) and out-8 (E2, 45 s talk) join.
    const twoDays = callCentreReport(history, { from: '2021-01-27', to: '2021-01-29' });
    expect([twoDays.total.offered, twoDays.total.outgoing, twoDays.byEmployee[E2]?.outgoing]).toEqual([
      12, 4, 1,
    ]);
  });

  it('is all zeros over no calls', () => {
    const empty = callCentreReport([], DAY);
    expect(empty.byCityNumber).toEqual({});
    expect(empty.byEmployee).toEqual({});
    expect(Object.values(empty.total).filter((v) => typeof v === 'number' && v !== 0)).toEqual([]);
    expect(Object.values(empty.total.callbacks).filter((v) => v !== 0)).toEqual([]);
  });
});

describe('the report period and the statistics', () => {
  it('turns local days into the StartedAt range of the index queries', () => {
    expect(reportPeriod('2021-01-28', '2021-01-28', 'Europe/Moscow')).toEqual({
      from: '2021-01-27T21:00:00Z',
      to: '2021-01-28T21:00:00Z',
    });
    expect(reportPeriod('2021-01-01', '2021-01-31', 'UTC')).toEqual({
      from: '2021-01-01T00:00:00Z',
      to: '2021-02-01T00:00:00Z',
    });
    expect(() => reportPeriod('2021-01-29', '2021-01-28', 'UTC')).toThrow(/ends .* before it starts/);
    expect(() => reportPeriod('2021-02-30', '2021-03-01', 'UTC')).toThrow(/Not a day/);
    expect([isReportDay('2024-02-29'), isReportDay('2023-02-29'), isReportDay('28.01.2021')]).toEqual([
      true,
      false,
      false,
    ]);
  });

  it('p90 by nearest rank, the median of an even count as the mean of the middle two', () => {
    expect(percentile([5, 1, 4, 2, 3, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(percentile([5, 1, 4, 2, 3, 6, 7, 8, 9, 10, 11], 0.9)).toBe(10);
    expect(percentile([7], 0.9)).toBe(7);
    expect(percentile([], 0.9)).toBe(0);
    expect([median([3, 1, 2]), median([4, 1, 3, 2]), median([])]).toEqual([2, 2.5, 0]);
  });
});

describe('formatReport', () => {
  const text = formatReport(callCentreReport(history, DAY));
  const row = (label: string) =>
    text
      .split('\n')
      .find((line) => line.startsWith(label))
      ?.split(/\s{2,}/);

  it('shows the figures by city number, rates as percentages and averages to one decimal', () => {
    expect(text.split('\n')[0]?.split(/\s+/).filter(Boolean)).toEqual(['Total', A, B]);
    expect(row('Offered (incoming)')).toEqual(['Offered (incoming)', '11', '7', '4']);
    expect(row('Missed rate')).toEqual(['Missed rate', '45.5%', '42.9%', '50.0%']);
    expect(row('Avg ring (answered)')).toEqual(['Avg ring (answered)', '16.3 s', '16.7 s', '15.0 s']);
    expect(row('Median callback wait')).toEqual([
      'Median callback wait',
      '9000.0 s',
      '5700.0 s',
      '50400.0 s',
    ]);
  });

  it('shows a row per employee', () => {
    expect(row(E1)).toEqual([E1, '4', '2', '2', '7.0 s', '250.0 s', '3']);
    expect(row(E3)).toEqual([E3, '4', '1', '3', '10.0 s', '200.0 s', '0']);
    expect(formatReport(callCentreReport([]))).toMatch(/No employee was rung/);
  });
});
