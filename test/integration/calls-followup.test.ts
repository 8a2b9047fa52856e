/**
 * Missed calls, stuck calls and the report through local mode, over HTTP as the provider sends
 * them: the projector settles call-backs, the scheduled sweep (run at once here, with the
 * threshold in seconds, `stuckCallAfterMinutes` of 2/60) marks a quiet call stuck, and the
 * bus gets MissedCallResolved, CallStuck and the late CallCompleted, each once; `npm run missed`
 * and `npm run report` read what local mode wrote, as they do after `npm start`.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runtimeFileOf, writeRuntimeFile } from '../../local/runtime-file';
import { providerTime } from '../../scripts/lib/scenarios';
import { type MissedIo, main as missedCalls, type WaitingCall } from '../../scripts/missed';
import { main as report } from '../../scripts/report';
import { callOf } from '../support/call-events';
import { incomingBodies, outgoingBodies } from '../support/calls';
import { startTestRuntime, type TestRuntime } from '../support/test-runtime';

let t: TestRuntime;
let runtimeFile: string;
const STUCK_SECONDS = 2;

beforeAll(async () => {
  // The sweep's own timer is far off: each test runs it when it wants.
  t = await startTestRuntime({
    context: { stuckCallAfterMinutes: STUCK_SECONDS / 60 },
    scheduleEveryMs: 3_600_000,
  });
  // What `npm start` writes for the tools.
  runtimeFile = join(t.runtime.stateDir, 'runtime.json');
  writeRuntimeFile(runtimeFile, runtimeFileOf(t.runtime));
}, 180_000);

afterAll(async () => {
  await t?.stop();
});

const CITY = '4950001000';
/** The provider's wall-clock time `secondsAgo` before the test's start (one instant, so differences are exact). */
let start = Date.now();
beforeEach(() => {
  start = Date.now();
});
const at = (secondsAgo: number) => providerTime(new Date(start - secondsAgo * 1000), t.timeZone);
/** The same instant as the record and the events write it: UTC, whole seconds. */
const utcAt = (secondsAgo: number) =>
  new Date(Math.floor((start - secondsAgo * 1000) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const record = (sessionId: string) => t.callRecord(sessionId);
const ofType = (detailType: string, sessionId: string) =>
  t.received.filter((e) => e['detail-type'] === detailType && e.detail.SessionID === sessionId);

async function send(bodies: Record<string, unknown>[]) {
  for (const body of bodies) expect((await t.post(JSON.stringify(body))).status).toBe(200);
  await t.runtime.drained(60_000);
}

/** The sweep, as its schedule runs it, and what it sets off, drained. */
async function sweep() {
  expect(t.runtime.schedules).toHaveLength(1);
  await t.runtime.schedules[0]?.runNow();
  await t.runtime.drained(60_000);
}

/** A CLI's `main` as the process would run it against local mode: its exit code, stdout and stderr. */
async function run(main: (argv: string[], io: MissedIo) => Promise<number>, argv: string[], now?: Date) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {}, runtimeFile };
  const code = await main(argv, now === undefined ? io : { ...io, now: () => now });
  return { code, out: out.join('\n'), err };
}

describe('missed calls to call back, through local mode', () => {
  it('missed, then called back: the missed record resolved, one MissedCallResolved', async () => {
    const missed = randomUUID();
    const back = randomUUID();
    await send([
      {
        HookType: 'CreateIncCall',
        SessionID: missed,
        StartTime: at(600),
        CityNumber: CITY,
        Caller: '9161112233',
        Called: CITY,
      },
      {
        HookType: 'MissedIncCall',
        SessionID: missed,
        EndTime: at(570),
        Duration: 0,
        ResultCode: '304',
        CityNumber: CITY,
        Caller: '9161112233',
      },
    ]);
    expect(await record(missed)).toMatchObject({ CallbackStatus: 'pending' });

    await send([
      {
        HookType: 'CreateOutCall',
        SessionID: back,
        StartTime: at(300),
        CityNumber: CITY,
        Caller: '0052002651',
        Called: '89161112233',
      },
      {
        HookType: 'EndOutCall',
        SessionID: back,
        StartTime: at(300),
        EndTime: at(240),
        Duration: 50,
        ResultCode: '200',
        CityNumber: CITY,
        Caller: '0052002651',
        Called: '89161112233',
      },
    ]);

    expect(await record(missed)).toMatchObject({
      CallbackStatus: 'called-back',
      CallbackSessionID: back,
      CallbackAfterSeconds: 270,
    });
    const resolved = ofType('MissedCallResolved', missed);
    expect(resolved).toHaveLength(1);
    expect(resolved[0]?.detail).toEqual({
      SessionID: missed,
      CallbackStatus: 'called-back',
      CallbackSessionID: back,
      CallbackAfterSeconds: 270,
      CustomerNumber: '+79161112233',
      EventId: `${missed}/MissedCallResolved/${back}/270`,
    });
  }, 120_000);

  it('missed, then the customer calls again and is answered: customer-called-again, one MissedCallResolved', async () => {
    const missed = randomUUID();
    const again = randomUUID();
    const employee = '80050000011';
    // Rung from 900 s ago, missed 870 s ago.
    await send(
      incomingBodies({
        id: missed,
        city: CITY,
        customer: '9163334455',
        start: at(900),
        rings: [{ employee, at: 1 }],
        missedAt: 30,
      }),
    );
    expect(await record(missed)).toMatchObject({ CallbackStatus: 'pending', PendingCallback: 'pending' });

    // The same customer, dialling with the trunk prefix, 500 s ago: 870 - 500 = 370 s after the
    // missed call ended; answered after 6 s, 60 s of talk.
    await send(
      incomingBodies({
        id: again,
        city: CITY,
        customer: '89163334455',
        start: at(500),
        rings: [{ employee, at: 2 }],
        answer: { employee, at: 6, talk: 60 },
      }),
    );

    const resolution = {
      SessionID: missed,
      CallbackStatus: 'customer-called-again',
      CallbackSessionID: again,
      CallbackAfterSeconds: 370,
      CustomerNumber: '+79163334455',
    };
    const missedRecord = await record(missed);
    expect(missedRecord).toMatchObject({
      Status: 'ended',
      Outcome: 'missed',
      EndedAt: utcAt(870),
      ...resolution,
    });
    expect(missedRecord).not.toHaveProperty('PendingCallback');
    // The call that resolved it is an answered call, with no callback of its own.
    const againRecord = await record(again);
    expect(againRecord).toMatchObject({
      Outcome: 'answered',
      StartedAt: utcAt(500),
      CustomerNumber: '+79163334455',
    });
    expect(againRecord).not.toHaveProperty('CallbackStatus');

    const resolved = ofType('MissedCallResolved', missed);
    expect(resolved).toHaveLength(1);
    expect(resolved[0]?.detail).toEqual({
      ...resolution,
      EventId: `${missed}/MissedCallResolved/${resolution.CallbackSessionID}/${resolution.CallbackAfterSeconds}`,
    });
    // The event's time is when the customer's new call started.
    expect(resolved[0]?.time).toBe(utcAt(500));
    expect(ofType('MissedCallResolved', again)).toEqual([]);
  }, 120_000);

  it('missed, then another customer’s call and an unanswered call-back: still pending, listed by npm run missed', async () => {
    const city = '4950004000';
    const missed = randomUUID();
    const other = randomUUID();
    const attempt = randomUUID();
    const employee = '80050000012';
    // Rung from 900 s ago, missed 870 s ago.
    await send(
      incomingBodies({
        id: missed,
        city,
        customer: '9165556677',
        start: at(900),
        rings: [{ employee, at: 1 }],
        missedAt: 30,
      }),
    );
    // Another customer's call, answered, 600 s ago; the employee's call-back 400 s ago, busy.
    await send([
      ...incomingBodies({
        id: other,
        city,
        customer: '9165556678',
        start: at(600),
        rings: [{ employee, at: 2 }],
        answer: { employee, at: 5, talk: 30 },
      }),
      ...outgoingBodies({
        id: attempt,
        city,
        employee,
        customer: '89165556677',
        start: at(400),
        ring: 20,
        talk: 0,
      }),
    ]);
    expect(await record(attempt)).toMatchObject({ Outcome: 'busy', CustomerNumber: '+79165556677' });
    // The sweep settles the pending calls of the window again: nothing resolves this one either.
    await sweep();

    const missedRecord = await record(missed);
    expect(missedRecord).toMatchObject({ CallbackStatus: 'pending', PendingCallback: 'pending' });
    expect(missedRecord).not.toHaveProperty('CallbackSessionID');
    expect(ofType('MissedCallResolved', missed)).toEqual([]);

    // `npm run missed -- --city-number <city> --json`, at the test's start: 870 s of waiting.
    const listed = await run(missedCalls, ['--city-number', city, '--json'], new Date(start));
    expect(listed.err).toEqual([]);
    expect(listed.code).toBe(0);
    const calls = JSON.parse(listed.out) as WaitingCall[];
    expect(
      calls.map((c) => [c.SessionID, c.CustomerNumber, c.CityNumber, c.EndedAt, c.WaitingSeconds]),
    ).toEqual([[missed, '+79165556677', city, utcAt(870), 870]]);
  }, 120_000);
});

describe('calls that never ended, through local mode', () => {
  it('stuck once by the sweep, then completed by its late end', async () => {
    const sessionId = randomUUID();
    await send([
      {
        HookType: 'CreateIncCall',
        SessionID: sessionId,
        StartTime: at(30),
        CityNumber: CITY,
        Caller: '9162223344',
        Called: CITY,
      },
    ]);
    await t.runtime.schedules[0]?.runNow();
    await t.runtime.drained(60_000);
    expect(await record(sessionId)).toMatchObject({ Status: 'open' });

    await new Promise((resolve) => setTimeout(resolve, (STUCK_SECONDS + 1) * 1000));
    await t.runtime.schedules[0]?.runNow();
    await t.runtime.schedules[0]?.runNow();
    await t.runtime.drained(60_000);
    expect(await record(sessionId)).toMatchObject({ Status: 'stuck' });
    expect(ofType('CallStuck', sessionId).map((e) => e.detail.EventId)).toEqual([`${sessionId}/CallStuck`]);
    const stuckQueue = readFileSync(join(t.runtime.deliveriesDir, 'StuckCalls.ndjson'), 'utf8');
    expect(stuckQueue).toContain(sessionId);

    await send([
      {
        HookType: 'MissedIncCall',
        SessionID: sessionId,
        EndTime: at(0),
        Duration: 0,
        ResultCode: '304',
        CityNumber: CITY,
        Caller: '9162223344',
      },
    ]);
    expect(await record(sessionId)).toMatchObject({ Status: 'ended', Outcome: 'missed' });
    expect(ofType('CallCompleted', sessionId)).toHaveLength(1);
    expect(ofType('CallStuck', sessionId)).toHaveLength(1);
  }, 120_000);
});

describe('the call-centre report of a day sent as webhooks, through local mode', () => {
  const DAY = '2024-06-14';
  const A = '4951230000';
  const B = '4959870000';
  const E1 = '80051110001';
  const E2 = '80051110002';
  const E3 = '80051110003';
  const E4 = '80051110004';
  /** Moscow wall clock on the day (or `day`), as the provider writes it. */
  const on = (time: string, day = DAY) => `${day} ${time}`;

  /**
   * The day, call by call, in the order sent. Ring = answer − start; an employee's ring on an
   * answered attempt = answer − when they were rung.
   */
  const day: Record<string, unknown>[][] = [
    // a1, A: E1 and E2 rung at +2, E1 answers at +8 (ring 8; E1's attempt 6), 100 s talk.
    incomingBodies({
      id: 'day-a1',
      city: A,
      customer: '9031000001',
      start: on('09:00:00'),
      rings: [
        { employee: E1, at: 2 },
        { employee: E2, at: 2 },
      ],
      answer: { employee: E1, at: 8, talk: 100 },
    }),
    // a2, A: E2 rung at +1, answers at +25 (ring 25, past the 20 s of the service level; E2's attempt 24), 40 s talk.
    incomingBodies({
      id: 'day-a2',
      city: A,
      customer: '9031000002',
      start: on('09:10:00'),
      rings: [{ employee: E2, at: 1 }],
      answer: { employee: E2, at: 25, talk: 40 },
    }),
    // a3, A: E1 and E3 rung, missed, ended 10:00:30.
    incomingBodies({
      id: 'day-a3',
      city: A,
      customer: '9031000003',
      start: on('10:00:00'),
      rings: [
        { employee: E1, at: 1 },
        { employee: E3, at: 1 },
      ],
      missedAt: 30,
    }),
    // o1, A: E1 calls a3's customer back at 10:15:30, 900 s after: within 20 min; 60 s talk.
    outgoingBodies({
      id: 'day-o1',
      city: A,
      employee: E1,
      customer: '89031000003',
      start: on('10:15:30'),
      ring: 5,
      talk: 60,
    }),
    // a4, A: E2 rung, missed, ended 11:00:20.
    incomingBodies({
      id: 'day-a4',
      city: A,
      customer: '9031000004',
      start: on('11:00:00'),
      rings: [{ employee: E2, at: 2 }],
      missedAt: 20,
    }),
    // b1, B: E3 rung, missed, ended 12:00:40.
    incomingBodies({
      id: 'day-b1',
      city: B,
      customer: '9031000005',
      start: on('12:00:00'),
      rings: [{ employee: E3, at: 0 }],
      missedAt: 40,
    }),
    // o2, B: E4 tries b1's customer at 12:30:40: busy, no talk; resolves nothing.
    outgoingBodies({
      id: 'day-o2',
      city: B,
      employee: E4,
      customer: '89031000005',
      start: on('12:30:40'),
      ring: 15,
      talk: 0,
    }),
    // b5, B: a4's customer calls again (trunk prefix) at 13:00:20, 7 200 s after a4 ended; E3
    // rung at +3, answers at +10 (ring 10; E3's attempt 7), 50 s talk.
    incomingBodies({
      id: 'day-b5',
      city: B,
      customer: '89031000004',
      start: on('13:00:20'),
      rings: [{ employee: E3, at: 3 }],
      answer: { employee: E3, at: 10, talk: 50 },
    }),
    // b2, B: E3 rung, missed, ended 14:00:15; nobody calls back: not called back, its window long passed.
    incomingBodies({
      id: 'day-b2',
      city: B,
      customer: '9031000006',
      start: on('14:00:00'),
      rings: [{ employee: E3, at: 2 }],
      missedAt: 15,
    }),
    // b3, B: E3 rung, the call ends busy (486): offered, neither answered nor missed.
    ((ev) => [
      ev('CreateIncCall', { StartTime: on('15:00:00'), Called: B }),
      ev('AttemptIncCallBegin', { StartTime: on('15:00:02'), Called: E3 }),
      ev('AttemptIncCallEnd', { EndTime: on('15:00:09'), Called: E3 }),
      ev('EndIncCall', { EndTime: on('15:00:09'), Duration: 0, ResultCode: '486', Called: E3 }),
    ])(callOf({ SessionID: 'day-b3', CityNumber: B, Caller: '9031000008' })),
    // a5, A: E1 rung, missed, ended 16:00:25.
    incomingBodies({
      id: 'day-a5',
      city: A,
      customer: '9031000007',
      start: on('16:00:00'),
      rings: [{ employee: E1, at: 1 }],
      missedAt: 25,
    }),
    // b4, B: E3 and E1 rung at +1, E1 answers at +18 (ring 18; E1's attempt 17), 200 s talk.
    incomingBodies({
      id: 'day-b4',
      city: B,
      customer: '9031000010',
      start: on('17:00:00'),
      rings: [
        { employee: E3, at: 1 },
        { employee: E1, at: 1 },
      ],
      answer: { employee: E1, at: 18, talk: 200 },
    }),
    // o3, B: E4 calls b1's customer back at 18:00:40, 21 600 s after: within 24 h; 20 s talk.
    outgoingBodies({
      id: 'day-o3',
      city: B,
      employee: E4,
      customer: '89031000005',
      start: on('18:00:40'),
      ring: 5,
      talk: 20,
    }),
    // o4, A, the next day: E1 calls a5's customer back at 18:00:25, 93 600 s (26 h) after:
    // later; not a call of the day.
    outgoingBodies({
      id: 'day-o4',
      city: A,
      employee: E1,
      customer: '89031000007',
      start: on('18:00:25', '2024-06-15'),
      ring: 7,
      talk: 30,
    }),
    // a6, A: E2 rung at +3, then nothing more: the sweep finds it stuck.
    incomingBodies({
      id: 'day-a6',
      city: A,
      customer: '9031000009',
      start: on('19:00:00'),
      rings: [{ employee: E2, at: 3 }],
    }),
  ];

  it('counts every figure as worked out by hand from the calls sent', async () => {
    for (const call of day)
      for (const body of call) expect((await t.post(JSON.stringify(body))).status).toBe(200);
    const lastReceived = Date.now();
    await t.runtime.drained(60_000);
    expect(await record('day-a6')).toMatchObject({ Status: 'open' });
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, lastReceived + (STUCK_SECONDS + 1) * 1000 - Date.now())),
    );
    await sweep();
    expect(await record('day-a6')).toMatchObject({ Status: 'stuck' });

    // `npm run report -- --from 2024-06-14 --to 2024-06-14 --json` against local mode.
    const result = await run(report, ['--from', DAY, '--to', DAY, '--json']);
    expect(result.err).toEqual([]);
    expect(result.code).toBe(0);

    const cityA = {
      offered: 6, // a1, a2, a3, a4, a5, a6
      answered: 2, // a1, a2
      missed: 3, // a3, a4, a5
      missedRate: 3 / 6,
      serviceLevel: 1 / 6, // a1 (8 s); a2 rang 25 s
      avgRingSeconds: (8 + 25) / 2,
      p90RingSeconds: 25, // ⌈0.9·2⌉ = 2nd of 8, 25
      avgTalkSeconds: (100 + 40) / 2, // a1, a2
      outgoing: 1, // o1 (o4 is the next day's)
      outgoingAnswered: 1,
      outgoingAvgTalkSeconds: 60, // o1
      stuck: 1, // a6
      callbacks: {
        within20min: 1, // a3, 900 s
        within24h: 0,
        later: 1, // a5, 93 600 s
        customerCalledAgain: 1, // a4, 7 200 s
        notCalledBack: 0,
        pending: 0,
        medianSeconds: 7_200, // of 900, 7 200, 93 600
      },
    };
    const cityB = {
      offered: 5, // b1, b2, b3, b4, b5
      answered: 2, // b4, b5
      missed: 2, // b1, b2
      missedRate: 2 / 5,
      serviceLevel: 2 / 5, // b4 (18 s), b5 (10 s)
      avgRingSeconds: (18 + 10) / 2,
      p90RingSeconds: 18, // ⌈0.9·2⌉ = 2nd of 10, 18
      avgTalkSeconds: (200 + 50) / 2, // b4, b5
      outgoing: 2, // o2, o3
      outgoingAnswered: 1, // o3
      outgoingAvgTalkSeconds: 20, // o3 (o2 was busy)
      stuck: 0,
      callbacks: {
        within20min: 0,
        within24h: 1, // b1, 21 600 s
        later: 0,
        customerCalledAgain: 0,
        // b2: nobody called back, and the day is long past its window.
        notCalledBack: 1,
        pending: 0,
        medianSeconds: 21_600,
      },
    };
    const total = {
      offered: 11,
      answered: 4,
      missed: 5,
      missedRate: 5 / 11,
      serviceLevel: 3 / 11, // a1, b4, b5
      avgRingSeconds: (8 + 25 + 18 + 10) / 4,
      p90RingSeconds: 25, // ⌈0.9·4⌉ = 4th of 8, 10, 18, 25
      avgTalkSeconds: (100 + 40 + 200 + 50) / 4,
      outgoing: 3,
      outgoingAnswered: 2,
      outgoingAvgTalkSeconds: (60 + 20) / 2,
      stuck: 1,
      callbacks: {
        within20min: 1,
        within24h: 1,
        later: 1,
        customerCalledAgain: 1,
        notCalledBack: 1,
        pending: 0,
        medianSeconds: (7_200 + 21_600) / 2, // of 900, 7 200, 21 600, 93 600
      },
    };
    expect(JSON.parse(result.out)).toStrictEqual({
      total,
      byCityNumber: { [A]: cityA, [B]: cityB },
      byEmployee: {
        // Rung in a1 (answered, 6 s), a3, a5, b4 (answered, 17 s); handled a1, b4, o1.
        [E1]: {
          rung: 4,
          answered: 2,
          unanswered: 2,
          avgRingSeconds: (6 + 17) / 2,
          talkSeconds: 100 + 200 + 60,
          outgoing: 1,
        },
        // Rung in a1, a2 (answered, 24 s), a4, a6 (still ringing when it got stuck); handled a2.
        [E2]: { rung: 4, answered: 1, unanswered: 3, avgRingSeconds: 24, talkSeconds: 40, outgoing: 0 },
        // Rung in a3, b1, b2, b3, b4, b5 (answered, 7 s); handled b5.
        [E3]: { rung: 6, answered: 1, unanswered: 5, avgRingSeconds: 7, talkSeconds: 50, outgoing: 0 },
        // Never rung (so no ring time: null, not 0); dialled o2 (busy) and o3.
        [E4]: { rung: 0, answered: 0, unanswered: 0, avgRingSeconds: null, talkSeconds: 0 + 20, outgoing: 2 },
      },
    });
  }, 120_000);
});
