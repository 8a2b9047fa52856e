/**
 * Every finished call into amoCRM, end to end through local mode as `npm start -- -c crm=amocrm
 * -c crmUrl=http://127.0.0.1:<port>` runs it: webhooks → calls → CallCompleted → the CRM
 * consumer's local queue → the bundled function → a stand-in of the amoCRM API written from its
 * documentation (test/support/amocrm-standin.ts). Each call reaches it once, with the fields of
 * the mapping, through 429s, 500s, timeouts after the CRM applied the request, a refused token, a
 * refused entry, unknown numbers, duplicates, replays and a later completion; nothing is lost,
 * and the dead-letter queue holds only what the CRM refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AmoCrmStandIn, startAmoCrmStandIn } from '../support/amocrm-standin';
import { incomingBodies, utc } from '../support/calls';
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

const TOKEN = 'long-lived-token-of-the-account';
const { first: E1, second: E2 } = EMPLOYEES;
/** Numbers that have a contact in the stand-in account. */
const KNOWN = ['+79031000001', '+79031000002', '+79031000003', '+79031000004', '+79031000005'];

// Each call waits out the mapping's batching window (2 s); faults add retries and receives.
jest.setTimeout(120_000);

let crmApi: AmoCrmStandIn;
let t: TestRuntime;
let local: CrmLocal;

beforeAll(async () => {
  crmApi = await startAmoCrmStandIn({ token: TOKEN, knownPhones: KNOWN });
  t = await startTestRuntime({
    context: {
      crm: 'amocrm',
      crmUrl: crmApi.url,
      crmUsers: JSON.stringify({ [E1]: 111, [E2]: 222 }),
      crmDefaultUser: '9',
    },
    crmSecret: JSON.stringify({ accessToken: TOKEN }),
    // A failed batch comes back in a second, so the five receives before the DLQ take seconds.
    consumerVisibilityTimeoutSeconds: 1,
  });
  local = crmLocal(t, 'amocrm', 90_000);
}, 180_000);

afterAll(async () => {
  await t?.stop();
  await crmApi?.close();
});

const post = (bodies: Record<string, unknown>[]) => local.post(bodies);
const settled = () => local.settled();
const ledger = (sessionId: string) => local.ledger(sessionId);
const crmTool = (...argv: string[]) => local.crmTool(...argv);
const callsOf = (uniq: string) => crmApi.calls.filter((c) => c.entry.uniq === uniq);
const leadsOf = (uid: string) => crmApi.leads.filter((l) => l.body.source_uid === uid);

let n = 0;
const id = (what: string) => `crm-${what}-${++n}`;
const start = CALL_START;

describe('a day of calls', () => {
  it('each reaches the CRM once, with the fields of the mapping', async () => {
    const { answered, missed, busy: outgoing, bodies } = dayOfCalls(id);
    await post(bodies);
    await settled();

    expect(callsOf(answered).map((c) => c.entry)).toEqual([
      expect.objectContaining({
        uniq: answered,
        direction: 'inbound',
        phone: '+79031000001',
        duration: 125,
        source: 'call-events',
        created_at: Date.parse(utc(start)) / 1000,
        call_status: 4,
        call_result: 'Answered',
        responsible_user_id: 111,
        created_by: 111,
      }),
    ]);
    expect(callsOf(missed).map((c) => c.entry)).toEqual([
      expect.objectContaining({
        direction: 'inbound',
        duration: 0,
        call_status: 3,
        responsible_user_id: 9,
        created_by: 9,
      }),
    ]);
    expect(callsOf(outgoing).map((c) => c.entry)).toEqual([
      expect.objectContaining({
        direction: 'outbound',
        phone: '+79031000003',
        call_status: 7,
        responsible_user_id: 222,
      }),
    ]);
    const status = await crmTool('status', answered);
    expect(status.code).toBe(0);
    expect(status.out.join('\n')).toMatch(/delivered .* as a call \(id \d+/);
    expect(status.out.join('\n')).not.toContain('9031000001');
  });

  it('a number no contact has becomes one incoming lead with the call', async () => {
    const unknown = id('unknown');
    await post(missedCall(unknown, '9169990000'));
    await settled();
    expect(callsOf(unknown)).toEqual([]);
    expect(leadsOf(unknown).map((l) => l.body)).toEqual([
      expect.objectContaining({
        source_uid: unknown,
        metadata: expect.objectContaining({
          uniq: unknown,
          phone: '+79169990000',
          from: '+79169990000',
          duration: 0,
        }),
      }),
    ]);
    expect(await ledger(unknown)).toMatchObject({ State: 'delivered', CrmIds: { kind: 'lead' } });
  });

  it('a call without a customer number is not sent, and the ledger says why', async () => {
    const anonymous = id('anonymous');
    await post(missedCall(anonymous, 'anonymous'));
    await settled();
    expect(crmApi.calls.concat().filter((c) => c.entry.uniq === anonymous)).toEqual([]);
    expect(await ledger(anonymous)).toMatchObject({
      State: 'skipped',
      Reason: expect.stringContaining('no valid customer number'),
    });
  });
});

describe('exactly once', () => {
  it('a replayed CallCompleted and re-sent webhooks add nothing', async () => {
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
    expect(callsOf(call)).toHaveLength(1);
  });

  it('429s and 500s are retried, and a timeout after the CRM applied the request adds no second call', async () => {
    const calls = [id('throttled'), id('failing'), id('timed-out')];
    crmApi.failNext(2, 429);
    await post(outgoingCall(calls[0] as string, '89031000005', 40));
    await settled();
    crmApi.failNext(1, 500);
    await post(outgoingCall(calls[1] as string, '89031000005', 41));
    await settled();
    crmApi.failNext(1, 'timeout', { afterApplying: true });
    await post(outgoingCall(calls[2] as string, '89031000005', 42));
    await settled();
    for (const call of calls) expect([call, callsOf(call).length]).toEqual([call, 1]);
  });

  it('a later completion (a missed call found answered) adds nothing, and the ledger keeps both', async () => {
    const call = id('corrected');
    await post(missedCall(call, '9031000002'));
    await settled();
    await post(foundAnswered(call, '9031000002'));
    await settled();
    expect(callsOf(call).map((c) => c.entry.call_status)).toEqual([3]);
    expect(await ledger(call)).toMatchObject({
      State: 'delivered',
      Outcome: 'missed',
      Later: [expect.objectContaining({ Outcome: 'answered' })],
    });
    expect((await crmTool('status', call)).out.join('\n')).toMatch(/later: .*answered.*not sent/);
  });
});

describe('what the CRM refuses', () => {
  it('a refused token stops delivery with the calls waiting; resume delivers them once', async () => {
    const call = id('unauthorized');
    crmApi.setToken('a-new-token-nobody-told-us-about');
    await post(outgoingCall(call, '89031000001', 12));
    await settled();
    const { consumer } = t.runtime.crm ?? {};
    expect(consumer?.poller.paused()).toBe(true);
    expect(callsOf(call)).toEqual([]);
    expect(consumer?.queue.peek().length).toBeGreaterThan(0);
    expect(consumer?.deadLetterQueue?.peek()).toEqual([]);
    crmApi.setToken(TOKEN);
    const resumed = await crmTool('resume');
    expect(resumed).toMatchObject({ code: 0, err: [] });
    await settled();
    expect(consumer?.poller.paused()).toBe(false);
    expect(callsOf(call)).toHaveLength(1);
  });

  it('a refused entry goes to the dead-letter queue with the CRM’s reason; redeliver delivers it once it is accepted', async () => {
    const call = id('refused');
    const other = id('accepted');
    crmApi.refuseUniq(call);
    await post(outgoingCall(call, '89031000001', 5));
    await post(outgoingCall(other, '89031000002', 6));
    await settled();
    expect(callsOf(other)).toHaveLength(1);
    expect(callsOf(call)).toEqual([]);
    const dlq = t.runtime.crm?.consumer.deadLetterQueue;
    expect(dlq?.peek().map((m) => JSON.parse(m.body).detail.SessionID)).toEqual([call]);
    expect(await ledger(call)).toMatchObject({ State: 'refused', Reason: expect.any(String) });
    expect((await crmTool('status', call)).out.join('\n')).toMatch(/refused by the CRM/);

    crmApi.acceptUniq(call);
    expect((await crmTool('redeliver')).out.join('\n')).toMatch(/Moving 1 message/);
    await settled();
    expect(callsOf(call)).toHaveLength(1);
    expect(dlq?.peek()).toEqual([]);
  });
});

describe('what the consumer logs', () => {
  it('holds no customer number and no token', () => {
    const log = readFileSync(join(t.runtime.stateDir, 'logs', 'CrmConsumerFunction.log'), 'utf8');
    expect(log).toContain('SessionID');
    for (const secret of [TOKEN, '9031000001', '9031000002', '9169990000', '9031000005'])
      expect(log).not.toContain(secret);
  });
});
