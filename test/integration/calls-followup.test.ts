/**
 * Missed calls and stuck calls through local mode, over HTTP as the provider sends them: the
 * projector settles call-backs, the scheduled sweep (run at once here, with the threshold in
 * seconds as STUCK_CALL_AFTER_SECONDS gives it) marks a quiet call stuck, and the bus gets
 * MissedCallResolved, CallStuck and the late CallCompleted, each once.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { providerTime } from '../../scripts/lib/scenarios';
import { startTestRuntime, type TestRuntime } from '../support/test-runtime';

let t: TestRuntime;
const STUCK_SECONDS = 2;

beforeAll(async () => {
  // The sweep's own timer is far off: each test runs it when it wants.
  t = await startTestRuntime({ stuckCallAfterSeconds: STUCK_SECONDS, scheduleEveryMs: 3_600_000 });
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
const record = async (sessionId: string) =>
  (await t.doc.send(new GetCommand({ TableName: t.runtime.tables.calls, Key: { SessionID: sessionId } })))
    .Item;
const ofType = (detailType: string, sessionId: string) =>
  t.received.filter((e) => e['detail-type'] === detailType && e.detail.SessionID === sessionId);

async function send(bodies: Record<string, unknown>[]) {
  for (const body of bodies) expect((await t.post(JSON.stringify(body))).status).toBe(200);
  await t.runtime.drained(60_000);
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
      EventId: `${missed}/MissedCallResolved`,
    });
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
