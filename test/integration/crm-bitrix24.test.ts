/**
 * Every finished call into Bitrix24, end to end through local mode as `npm start -- -c
 * crm=bitrix24 -c crmUrl=… -c crmOAuthUrl=…` runs it: webhooks → calls → CallCompleted → the CRM
 * consumer's local queue → the bundled function → a stand-in of a Bitrix24 portal and its
 * authorization server written from the REST docs (test/support/bitrix24-standin.ts). Each call
 * is registered and finished once, with the fields of the mapping, through expiring access
 * tokens and rotating refresh tokens, QUERY_LIMIT_EXCEEDED, a finish that fails after register
 * succeeded, timeouts after the portal applied a request, re-deliveries and replays; a refused
 * application stops delivery with the calls waiting; a refused call goes to the dead-letter
 * queue with the portal's words; and never more than 2 requests a second reach the portal.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { METHODS } from '../../lambda/crm/bitrix24/deliver';
import { type Bitrix24StandIn, startBitrix24StandIn } from '../support/bitrix24-standin';
import { incomingBodies, outgoingBodies } from '../support/calls';
import {
  CALL_START,
  type CrmLocal,
  crmLocal,
  dayOfCalls,
  EMPLOYEES,
  foundAnswered,
  missedCall,
  outgoingCall,
} from '../support/crm-local';
import { startTestRuntime, type TestRuntime } from '../support/test-runtime';

const APP = { clientId: 'local.6570a1b2c3d4e5.12345678', clientSecret: 'app-key-of-the-local-application' };
const FIRST_REFRESH_TOKEN = 'first-refresh-token-from-authorize';
const { first: E1, second: E2 } = EMPLOYEES;
/** Bitrix24 users: E1 → 11, E2 → 22, the default 1. */
const USERS = [1, 11, 22];
/** Numbers that have a contact in the stand-in portal. */
const KNOWN = ['+79031000001', '+79031000002', '+79031000003', '+79031000004', '+79031000005'];

// Each call waits out the mapping's batching window (2 s); faults add retries, receives and
// request timeouts (10 s).
jest.setTimeout(240_000);

let portal: Bitrix24StandIn;
let t: TestRuntime;
let local: CrmLocal;

beforeAll(async () => {
  portal = await startBitrix24StandIn({
    ...APP,
    refreshToken: FIRST_REFRESH_TOKEN,
    users: USERS,
    contacts: KNOWN,
  });
  t = await startTestRuntime({
    context: {
      crm: 'bitrix24',
      crmUrl: portal.portalUrl,
      crmOAuthUrl: portal.oauthUrl,
      crmUsers: JSON.stringify({ [E1]: 11, [E2]: 22 }),
      crmDefaultUser: '1',
    },
    crmSecret: JSON.stringify({ ...APP, refreshToken: FIRST_REFRESH_TOKEN }),
    // Longer than the longest batch here (10 calls at 2 requests a second, or a 10 s timeout and
    // its retry), as the stack's is (six times the function's timeout), so that no message comes
    // back while its call is still being delivered; short enough that the five receives of a
    // refused call before the DLQ take a minute.
    consumerVisibilityTimeoutSeconds: 20,
  });
  local = crmLocal(t, 'bitrix24', 200_000);
}, 180_000);

afterAll(async () => {
  await t?.stop();
  await portal?.close();
});

const post = (bodies: Record<string, unknown>[]) => local.post(bodies);
const settled = () => local.settled();
const ledger = (sessionId: string) => local.ledger(sessionId);
const crmTool = (...argv: string[]) => local.crmTool(...argv);
/** The portal's calls of a SessionID: one entry per registration that made a call. */
const callsOf = (sessionId: string) => portal.calls.filter((c) => c.params.EXTERNAL_CALL_ID === sessionId);
/** Each call registered once and finished once, by the CALL_ID its registration returned. */
const expectOnce = (sessionId: string) => {
  const calls = callsOf(sessionId);
  expect([sessionId, calls.length]).toEqual([sessionId, 1]);
  expect([sessionId, calls[0]?.finished === undefined]).toEqual([sessionId, false]);
  return calls[0] as NonNullable<(typeof calls)[0]>;
};

let n = 0;
const id = (what: string) => `b24-${what}-${++n}`;
const start = CALL_START;

describe('a day of calls', () => {
  it('each is registered and finished once, with the fields of the mapping', async () => {
    const { answered, missed, busy, bodies } = dayOfCalls(id);
    await post(bodies);
    await settled();

    const record = await t.callRecord(answered);
    const first = expectOnce(answered);
    expect(first.params).toEqual(
      expect.objectContaining({
        USER_ID: 11,
        PHONE_NUMBER: '+79031000001',
        TYPE: 2,
        // The stack's zone is Moscow: the start as it was there, with its offset.
        CALL_START_DATE: '2026-12-03T10:00:00+03:00',
        LINE_NUMBER: record?.CityNumber,
        EXTERNAL_CALL_ID: answered,
        SHOW: 0,
        CRM_CREATE: 1,
      }),
    );
    expect(first.finished?.params).toEqual(
      expect.objectContaining({ CALL_ID: first.callId, USER_ID: 11, DURATION: 125, STATUS_CODE: '200' }),
    );
    const second = expectOnce(missed);
    expect(second.params).toMatchObject({ USER_ID: 1, TYPE: 2, PHONE_NUMBER: '+79031000002' });
    expect(second.finished?.params).toMatchObject({ USER_ID: 1, DURATION: 0, STATUS_CODE: '304' });
    const third = expectOnce(busy);
    expect(third.params).toMatchObject({ USER_ID: 22, TYPE: 1, PHONE_NUMBER: '+79031000003' });
    expect(third.finished?.params).toMatchObject({ USER_ID: 22, DURATION: 0, STATUS_CODE: '486' });

    expect(await ledger(answered)).toMatchObject({
      State: 'delivered',
      CrmIds: { kind: 'call', CALL_ID: first.callId, StatisticsId: expect.anything() },
    });
    const status = await crmTool('status', answered);
    expect(status.code).toBe(0);
    expect(status.out.join('\n')).toMatch(/delivered .* as a call \(CALL_ID /);
    expect(status.out.join('\n')).not.toContain('9031000001');
  });

  it('a number the portal does not know becomes a lead with the call', async () => {
    const unknown = id('unknown');
    await post(missedCall(unknown, '9169990000'));
    await settled();
    expectOnce(unknown);
    expect(portal.leads.filter((l) => l.phone === '+79169990000')).toHaveLength(1);
    expect(await ledger(unknown)).toMatchObject({ State: 'delivered', CrmIds: { kind: 'lead' } });
  });

  it('a call without a customer number is not sent, and the ledger says why', async () => {
    const anonymous = id('anonymous');
    await post(missedCall(anonymous, 'anonymous'));
    await settled();
    expect(callsOf(anonymous)).toEqual([]);
    expect(await ledger(anonymous)).toMatchObject({
      State: 'skipped',
      Reason: expect.stringContaining('no valid customer number'),
    });
  });
});

describe('tokens', () => {
  it('an expired access token is refreshed once, even by both invocations at once, and the newest refresh token kept', async () => {
    portal.expireAccessTokens();
    const before = portal.oauthRequests.length;
    const calls = Array.from({ length: 14 }, () => id('after-expiry'));
    // 14 calls: two batches of the consumer, delivered by two invocations at once.
    await Promise.all(
      calls.map((call, i) =>
        post(
          outgoingBodies({
            id: call,
            employee: E1,
            customer: KNOWN[i % KNOWN.length] as string,
            start,
            ring: 2,
            talk: i + 1,
          }),
        ),
      ),
    );
    await settled();
    for (const call of calls) expectOnce(call);
    const refreshes = portal.oauthRequests.slice(before);
    expect(refreshes.map((r) => [r.grantType, r.status])).toEqual([['refresh_token', 200]]);
    // The rotated pair is what the ledger keeps, sealed: no token in clear.
    const item = await t.doc.send(
      new GetCommand({
        TableName: t.runtime.crm?.ledgerTable,
        Key: { SessionID: 'token#bitrix24', Crm: 'bitrix24' },
        ConsistentRead: true,
      }),
    );
    expect(item.Item?.Sealed).toEqual(expect.any(String));
    expect(JSON.stringify(item.Item)).not.toContain(portal.refreshToken);
    expect(portal.refreshToken).not.toBe(FIRST_REFRESH_TOKEN);
  });

  it('refreshes again and again, each time with the newest refresh token', async () => {
    const before = portal.oauthRequests.length;
    for (let round = 0; round < 3; round++) {
      portal.expireAccessTokens();
      const call = id('rotation');
      await post(
        outgoingBodies({ id: call, employee: E2, customer: '89031000004', start, ring: 2, talk: 9 }),
      );
      await settled();
      expectOnce(call);
    }
    expect(portal.oauthRequests.slice(before).map((r) => r.status)).toEqual([200, 200, 200]);
  });
});

describe('exactly once', () => {
  it('a replayed CallCompleted and re-sent webhooks register and finish nothing again', async () => {
    const call = id('replayed');
    const bodies = incomingBodies({
      id: call,
      customer: '9031000004',
      start,
      rings: [{ employee: E1, at: 1 }],
      answer: { employee: E1, at: 5, talk: 30 },
    });
    await post(bodies);
    await settled();
    await post(bodies);
    await local.replayCompleted(call);
    await settled();
    expectOnce(call);
    expect(portal.requests.filter((r) => r.method === METHODS.finish && r.status === 200).length).toBe(
      portal.calls.filter((c) => c.finished).length,
    );
  });

  it('QUERY_LIMIT_EXCEEDED, 500s and a reset are retried', async () => {
    const calls = [id('limited'), id('failing'), id('reset')];
    const faults = [
      () => portal.failNext(3, 'QUERY_LIMIT_EXCEEDED'),
      () => portal.failNext(1, 500, { method: METHODS.register }),
      () => portal.failNext(1, 'reset', { method: METHODS.finish }),
    ];
    for (const [i, call] of calls.entries()) {
      faults[i]?.();
      await post(outgoingCall(call, '89031000005', 40 + i));
      await settled();
    }
    for (const call of calls) expectOnce(call);
  });

  it('a finish that fails after register succeeded finishes the same CALL_ID, registering nothing again', async () => {
    const call = id('finish-fails');
    // Every try of this invocation fails: the queue brings the call back to a later one.
    portal.failNext(5, 500, { method: METHODS.finish });
    await post(outgoingCall(call, '89031000001', 50));
    await settled();
    const only = expectOnce(call);
    expect(only.finished?.params.CALL_ID).toBe(only.callId);
  });

  it('a timeout after the portal applied register, or finish, adds no second call and no second finish', async () => {
    const registerLost = id('register-lost');
    const finishLost = id('finish-lost');
    portal.failNext(1, 'timeout', { method: METHODS.register, afterApplying: true });
    await post(outgoingCall(registerLost, '89031000002', 7));
    await settled();
    portal.failNext(1, 'timeout', { method: METHODS.finish, afterApplying: true });
    await post(outgoingCall(finishLost, '89031000003', 8));
    await settled();
    expectOnce(registerLost);
    const finished = expectOnce(finishLost);
    // The lost finish was found in the statistics: the ledger has its record, nothing was finished twice.
    expect(await ledger(finishLost)).toMatchObject({
      State: 'delivered',
      CrmIds: { CALL_ID: finished.callId, StatisticsId: expect.anything() },
    });
  });

  it('a later completion (a missed call found answered) registers nothing, and the ledger keeps both', async () => {
    const call = id('corrected');
    await post(missedCall(call, '9031000002'));
    await settled();
    await post(foundAnswered(call, '9031000002'));
    await settled();
    expect(expectOnce(call).finished?.params.STATUS_CODE).toBe('304');
    expect(await ledger(call)).toMatchObject({
      State: 'delivered',
      Outcome: 'missed',
      Later: [expect.objectContaining({ Outcome: 'answered' })],
    });
    expect((await crmTool('status', call)).out.join('\n')).toMatch(/later: .*answered.*not sent/);
  });
});

describe('what the portal refuses', () => {
  it('a refused application stops delivery with the calls waiting; resume delivers them once', async () => {
    const call = id('no-scope');
    portal.failNext(1, 'insufficient_scope');
    await post(outgoingCall(call, '89031000001', 12));
    await settled();
    const { consumer } = t.runtime.crm ?? {};
    expect(consumer?.poller.paused()).toBe(true);
    expect(callsOf(call)).toEqual([]);
    expect(consumer?.queue.peek().length).toBeGreaterThan(0);
    expect(consumer?.deadLetterQueue?.peek()).toEqual([]);
    const log = readFileSync(join(t.runtime.stateDir, 'logs', 'CrmConsumerFunction.log'), 'utf8');
    expect(log).toMatch(/insufficient_scope.*telephony, crm and user/);
    const resumed = await crmTool('resume');
    expect(resumed).toMatchObject({ code: 0, err: [] });
    await settled();
    expect(consumer?.poller.paused()).toBe(false);
    expectOnce(call);
  });

  it('a refused call goes to the dead-letter queue with the portal’s words; redeliver delivers it once accepted', async () => {
    const call = id('refused');
    const other = id('accepted');
    // The portal no longer has the user, say: a refused call is tried again only when redelivered.
    portal.failNext(
      1,
      { status: 400, error: 'ERROR_CORE', description: 'User is not found or is not active' },
      {
        method: METHODS.register,
      },
    );
    await post(outgoingCall(call, '89031000001', 5));
    await settled();
    await post(outgoingCall(other, '89031000002', 6));
    await settled();
    expectOnce(other);
    expect(callsOf(call)).toEqual([]);
    const dlq = t.runtime.crm?.consumer.deadLetterQueue;
    expect(dlq?.peek().map((m) => JSON.parse(m.body).detail.SessionID)).toEqual([call]);
    expect(await ledger(call)).toMatchObject({
      State: 'refused',
      Reason: 'ERROR_CORE: User is not found or is not active',
    });
    expect((await crmTool('status', call)).out.join('\n')).toMatch(/refused by the CRM .*User is not found/);

    expect((await crmTool('redeliver')).out.join('\n')).toMatch(/Moving 1 message/);
    await settled();
    expectOnce(call);
    expect(dlq?.peek()).toEqual([]);
  });
});

describe('the portal', () => {
  it('never got more than 2 requests in any second', () => {
    const perSecond = new Map<number, number>();
    for (const { at } of portal.requests)
      perSecond.set(Math.floor(at / 1000), (perSecond.get(Math.floor(at / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(2);
    expect(portal.requests.filter((r) => r.error === 'QUERY_LIMIT_EXCEEDED' && r.status === 503).length).toBe(
      3,
    );
  });

  it('the consumer’s log holds no customer number and no token', () => {
    const log = readFileSync(join(t.runtime.stateDir, 'logs', 'CrmConsumerFunction.log'), 'utf8');
    expect(log).toContain('SessionID');
    for (const secret of [
      APP.clientSecret,
      FIRST_REFRESH_TOKEN,
      portal.refreshToken,
      ...portal.requests.flatMap((r) => (r.token ? [r.token] : [])),
      '9031000001',
      '9031000002',
      '9169990000',
      '9031000005',
    ])
      expect(log).not.toContain(secret);
  });
});
