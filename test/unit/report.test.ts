/**
 * The call-centre report over the scripted day (test/support/report-day.ts): every figure below
 * is worked out by hand from the script.
 */
import { isLocalDate, localPeriod } from '../../lambda/calls/period';
import type { StoredCall } from '../../lambda/calls/store';
import { callCentreReport } from '../../scripts/lib/report';
import { duration, formatReport } from '../../scripts/lib/report-format';
import { median, percentile } from '../../scripts/lib/stats';
import { A, B, DAY, E1, E2, E3, projectScript } from '../support/report-day';

let history: StoredCall[];
beforeAll(async () => {
  history = await projectScript();
});

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
    avgTalkSeconds: (120 + 60 + 10) / 3, // incoming only: out-4 is outgoing talk
    outgoing: 1,
    outgoingAnswered: 1,
    outgoingAvgTalkSeconds: 90, // out-4
    stuck: 1,
    callbacks: {
      within20min: 1, // in-3, 600 s
      within24h: 0,
      later: 0,
      customerCalledAgain: 1, // in-5
      notCalledBack: 0,
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
    avgTalkSeconds: 200, // in-6
    outgoing: 2, // out-10a (busy), out-10
    outgoingAnswered: 1,
    outgoingAvgTalkSeconds: 30, // out-10; the busy out-10a has no talk to average
    stuck: 0,
    callbacks: {
      within20min: 0,
      within24h: 1, // in-9, 7 200 s
      later: 1, // in-7, 93 600 s
      customerCalledAgain: 0,
      notCalledBack: 0,
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
    avgTalkSeconds: (120 + 60 + 10 + 200) / 4,
    outgoing: 3,
    outgoingAnswered: 2,
    outgoingAvgTalkSeconds: (90 + 30) / 2,
    stuck: 1,
    callbacks: {
      within20min: 1,
      within24h: 1,
      later: 1,
      customerCalledAgain: 1,
      notCalledBack: 0,
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
        // Rung twice, answered neither: no ring time to average, which is not a ring time of 0.
        [E3]: { rung: 2, answered: 0, unanswered: 2, avgRingSeconds: null, talkSeconds: 0, outgoing: 0 },
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

  it('counts a missed call nobody returned within its window as not called back, no longer pending', async () => {
    const weekLater = await projectScript(new Date('2021-02-05T00:00:00Z'));
    const { callbacks } = callCentreReport(weekLater, DAY).total;
    expect([callbacks.notCalledBack, callbacks.pending]).toEqual([1, 0]); // in-12
    // Every other figure is the same as the evening after.
    const { total } = callCentreReport(history, DAY);
    expect({ ...callbacks, notCalledBack: 0, pending: 1 }).toEqual(total.callbacks);
  });

  it('over no calls: every count 0, every rate and statistic null (no data, not a measured 0)', () => {
    const empty = callCentreReport([], DAY);
    expect(empty.byCityNumber).toEqual({});
    expect(empty.byEmployee).toEqual({});
    const { callbacks, ...line } = empty.total;
    const nulls = [
      'missedRate',
      'serviceLevel',
      'avgRingSeconds',
      'p90RingSeconds',
      'avgTalkSeconds',
      'outgoingAvgTalkSeconds',
    ];
    for (const [figure, value] of Object.entries(line))
      expect([figure, value]).toEqual([figure, nulls.includes(figure) ? null : 0]);
    expect(callbacks).toEqual({
      within20min: 0,
      within24h: 0,
      later: 0,
      customerCalledAgain: 0,
      notCalledBack: 0,
      pending: 0,
      medianSeconds: null,
    });
  });

  it('a 0 is measured: offered calls none answered in time give a service level of 0, not null', () => {
    const { total } = callCentreReport(history, { ...DAY, answerWithinSeconds: 1 });
    expect([total.serviceLevel, total.avgRingSeconds]).toEqual([0, (12 + 33 + 5 + 15) / 4]);
  });
});

describe('the report period and the statistics', () => {
  it('turns local days into the StartedAt range of the index queries', () => {
    expect(localPeriod('2021-01-28', '2021-01-28', 'Europe/Moscow')).toEqual({
      from: '2021-01-27T21:00:00Z',
      to: '2021-01-28T21:00:00Z',
    });
    expect(localPeriod('2021-01-01', '2021-01-31', 'UTC')).toEqual({
      from: '2021-01-01T00:00:00Z',
      to: '2021-02-01T00:00:00Z',
    });
    expect(() => localPeriod('2021-01-29', '2021-01-28', 'UTC')).toThrow(/ends .* before it starts/);
    expect(() => localPeriod('2021-02-30', '2021-03-01', 'UTC')).toThrow(/Not a date/);
    expect([isLocalDate('2024-02-29'), isLocalDate('2023-02-29'), isLocalDate('28.01.2021')]).toEqual([
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
  let text: string;
  beforeAll(() => {
    text = formatReport(callCentreReport(history, DAY));
  });
  const row = (label: string) =>
    text
      .split('\n')
      .find((line) => line.startsWith(label))
      ?.split(/\s{2,}/);

  it('shows the figures by city number, rates as percentages, durations a reader takes in at a glance', () => {
    expect(text.split('\n')[0]?.split(/\s+/).filter(Boolean)).toEqual(['Total', A, B]);
    expect(row('Offered (incoming)')).toEqual(['Offered (incoming)', '11', '7', '4']);
    expect(row('Missed rate')).toEqual(['Missed rate', '45.5%', '42.9%', '50.0%']);
    expect(row('Avg ring (answered)')).toEqual(['Avg ring (answered)', '16.3 s', '16.7 s', '15.0 s']);
    expect(row('Avg talk (answered)')).toEqual([
      'Avg talk (answered)',
      '1 min 38 s',
      '1 min 3 s',
      '3 min 20 s',
    ]);
    expect(row('Outgoing avg talk (answered)')).toEqual([
      'Outgoing avg talk (answered)',
      '1 min 0 s',
      '1 min 30 s',
      '30.0 s',
    ]);
    expect(row('Median wait (resolved)')).toEqual([
      'Median wait (resolved)',
      '2 h 30 min',
      '1 h 35 min',
      '14 h 0 min',
    ]);
  });

  it('groups the figures under their direction, outgoing talk not among the incoming figures', () => {
    const lines = text.split('\n').map((line) => line.trim());
    const at = (label: string) => lines.findIndex((line) => line.startsWith(label));
    expect(at('Incoming calls:')).toBeLessThan(at('Avg talk (answered)'));
    expect(at('Avg talk (answered)')).toBeLessThan(at('Missed incoming calls: call-backs:'));
    expect(at('Outgoing calls:')).toBeLessThan(at('Outgoing avg talk (answered)'));
    expect(at('Called back 20 min–24 h')).toBeGreaterThan(at('Called back ≤ 20 min'));
  });

  it('shows a figure with no data as — and a measured 0 as 0', () => {
    // City A has no busy outgoing call and B no stuck one; a day with one outgoing call only.
    const outgoingOnly = history.filter((r) => r.SessionID === 'out-4');
    const lines = formatReport(callCentreReport(outgoingOnly, DAY)).split('\n');
    const cells = (label: string) => lines.find((line) => line.startsWith(label))?.split(/\s{2,}/);
    expect(cells('Offered (incoming)')).toEqual(['Offered (incoming)', '0']);
    expect(cells('Missed rate')).toEqual(['Missed rate', '—']);
    expect(cells('Avg ring (answered)')).toEqual(['Avg ring (answered)', '—']);
    expect(cells('Outgoing avg talk (answered)')).toEqual(['Outgoing avg talk (answered)', '1 min 30 s']);
  });

  it('of one city number, one column headed by the number, not the total beside an identical column', () => {
    const lines = formatReport(callCentreReport(history, { ...DAY, cityNumber: A })).split('\n');
    expect(lines[0]?.split(/\s+/).filter(Boolean)).toEqual([A]);
    expect(lines.find((line) => line.startsWith('Offered (incoming)'))?.split(/\s{2,}/)).toEqual([
      'Offered (incoming)',
      '7',
    ]);
  });

  it('shows a row per employee, — for one who answered nothing', () => {
    expect(row(E1)).toEqual([E1, '4', '2', '2', '7.0 s', '4 min 10 s', '3']);
    expect(row(E3)).toEqual([E3, '4', '1', '3', '10.0 s', '3 min 20 s', '0']);
    const cityA = formatReport(callCentreReport(history, { ...DAY, cityNumber: A })).split('\n');
    expect(cityA.find((line) => line.startsWith(E3))?.split(/\s{2,}/)).toEqual([
      E3,
      '2',
      '0',
      '2',
      '—',
      '0.0 s',
      '0',
    ]);
    expect(formatReport(callCentreReport([]))).toMatch(/No employee was rung/);
  });

  it('durations: tenths under a minute, then minutes and seconds, then hours and minutes', () => {
    expect([
      duration(null),
      duration(0),
      duration(59.94),
      duration(59.96),
      duration(61),
      duration(3599.4),
      duration(3600),
      duration(86_430),
    ]).toEqual(['—', '0.0 s', '59.9 s', '1 min 0 s', '1 min 1 s', '59 min 59 s', '1 h 0 min', '24 h 1 min']);
  });
});
