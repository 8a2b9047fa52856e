/**
 * The five orders of webhooks that used to leave a missed call's callback wrong, through local
 * mode over HTTP as the provider sends them (each call's events in the order given, each call
 * settled before the next): the records, the bus and the MissedCallsToCallBack deliveries.
 */
import { randomUUID } from 'node:crypto';
import { providerTime } from '../../scripts/lib/scenarios';
import { callOf } from '../support/call-events';
import { incomingBodies, outgoingBodies } from '../support/calls';
import { startTestRuntime, type TestRuntime } from '../support/test-runtime';

let t: TestRuntime;

beforeAll(async () => {
  t = await startTestRuntime({ scheduleEveryMs: 3_600_000 });
}, 180_000);

afterAll(async () => {
  await t?.stop();
});

const CITY = '4950001000';
const EMPLOYEE = '80050000001';
/** Three hours ago, as the provider writes its times: each call's times are offsets from it. */
let base = 0;
beforeEach(() => {
  base = Math.floor((Date.now() - 3 * 3_600_000) / 1000) * 1000;
});
const when = (seconds: number) => providerTime(new Date(base + seconds * 1000), t.timeZone);
const customer = () => `916${String(Math.floor(Math.random() * 10_000_000)).padStart(7, '0')}`;
const ofType = (detailType: string, sessionId: string) =>
  t.received.filter((e) => e['detail-type'] === detailType && e.detail.SessionID === sessionId);

async function send(bodies: Record<string, unknown>[]) {
  for (const body of bodies) expect((await t.post(JSON.stringify(body))).status).toBe(200);
  await t.runtime.drained(60_000);
}

const missedCall = (id: string, number: string, start: number, missedAt: number) =>
  incomingBodies({
    id,
    customer: number,
    city: CITY,
    start: when(start),
    rings: [{ employee: EMPLOYEE, at: 2 }],
    missedAt,
  });
const answeredCall = (id: string, number: string, start: number, ringAt: number, at: number, talk: number) =>
  incomingBodies({
    id,
    customer: number,
    city: CITY,
    start: when(start),
    rings: [{ employee: EMPLOYEE, at: ringAt }],
    answer: { employee: EMPLOYEE, at, talk },
  });
const callBack = (id: string, number: string, start: number) =>
  outgoingBodies({
    id,
    employee: EMPLOYEE,
    customer: `8${number}`,
    city: CITY,
    start: when(start),
    ring: 5,
    talk: 60,
  });
/** Each body posted and settled before the next: the stream brings each event alone. */
async function sendEach(bodies: Record<string, unknown>[]) {
  for (const body of bodies) await send([body]);
}

/** The Create first sent last. */
const createLast = (bodies: Record<string, unknown>[]) => [
  ...bodies.slice(1),
  bodies[0] as Record<string, unknown>,
];

describe('call-backs through local mode, whatever order the calls arrive in', () => {
  it('an earlier, longer call ending after a later call-back resolves the missed call', async () => {
    const [number, m, b, a] = [customer(), randomUUID(), randomUUID(), randomUUID()];
    await send(missedCall(m, number, 0, 40)); // ends at +40
    await send(callBack(b, number, 2400));
    await send(answeredCall(a, number, 600, 2, 10, 61));
    expect(await t.callRecord(m)).toMatchObject({
      CallbackStatus: 'customer-called-again',
      CallbackSessionID: a,
      CallbackAfterSeconds: 560,
    });
    expect(ofType('MissedCallResolved', m).at(-1)?.detail).toMatchObject({
      CallbackSessionID: a,
      CallbackAfterSeconds: 560,
      PreviousCallbackSessionID: b,
    });
  }, 60_000);

  it('a resolver whose Create arrives last: the wait from its real start', async () => {
    const [number, m, r] = [customer(), randomUUID(), randomUUID()];
    await send(missedCall(m, number, 0, 40));
    await sendEach(createLast(answeredCall(r, number, 300, 15, 20, 30)));
    expect(await t.callRecord(m)).toMatchObject({ CallbackSessionID: r, CallbackAfterSeconds: 260 });
    expect(ofType('MissedCallResolved', m).at(-1)?.detail.CallbackAfterSeconds).toBe(260);
  }, 60_000);

  it('a call that started before the missed call ended does not resolve it: reopened, pending again', async () => {
    const [number, m, r] = [customer(), randomUUID(), randomUUID()];
    await send(missedCall(m, number, 0, 40));
    await sendEach(createLast(answeredCall(r, number, 38, 7, 12, 30)));
    expect(await t.callRecord(m)).toMatchObject({ CallbackStatus: 'pending', PendingCallback: 'pending' });
    expect(ofType('MissedCallReopened', m).map((e) => e.detail.PreviousCallbackSessionID)).toEqual([r]);
  }, 60_000);

  it('a call that ends busy, then missed in the same second, reaches MissedCallsToCallBack', async () => {
    const c = randomUUID();
    const ev = callOf({ SessionID: c, CityNumber: CITY, Caller: customer() });
    await sendEach([
      ev('CreateIncCall', { StartTime: when(0), Called: CITY }),
      ev('EndIncCall', { EndTime: when(30), Duration: 0, ResultCode: '486' }),
      ev('MissedIncCall', { EndTime: when(30), Duration: 0, ResultCode: '304' }),
    ]);
    expect(await t.callRecord(c)).toMatchObject({ Outcome: 'missed', CallbackStatus: 'pending' });
    expect(t.deliveries('CallCompleted', c).map((e) => [e.detail.Outcome, e.detail.PreviousOutcome])).toEqual(
      [['missed', 'busy']],
    );
  }, 60_000);

  it('a missed call later found answered tells the call-back queue so, and is resolved by nothing', async () => {
    const [number, c, b] = [customer(), randomUUID(), randomUUID()];
    const ev = callOf({ SessionID: c, CityNumber: CITY, Caller: number });
    await send([
      ev('CreateIncCall', { StartTime: when(0), Called: CITY }),
      ev('MissedIncCall', { EndTime: when(30), Duration: 0, ResultCode: '304' }),
    ]);
    await send(callBack(b, number, 1200));
    expect(await t.callRecord(c)).toMatchObject({ CallbackStatus: 'called-back', CallbackSessionID: b });
    await send([ev('EndIncCall', { EndTime: when(35), Duration: 20, ResultCode: '200', Called: EMPLOYEE })]);
    const record = await t.callRecord(c);
    expect(record).toMatchObject({ Outcome: 'answered' });
    expect(record).not.toHaveProperty('CallbackStatus');
    expect(t.deliveries('CallCompleted', c).map((e) => [e.detail.Outcome, e.detail.PreviousOutcome])).toEqual(
      [
        ['missed', undefined],
        ['answered', 'missed'],
      ],
    );
  }, 60_000);
});
