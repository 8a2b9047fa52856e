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
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { runtimeFileOf, writeRuntimeFile } from '../../local/runtime-file';
import { main as crm } from '../../scripts/crm';
import { type AmoCrmStandIn, startAmoCrmStandIn } from '../support/amocrm-standin';
import { callOf } from '../support/call-events';
import { incomingBodies, outgoingBodies, utc } from '../support/calls';
import { startTestRuntime, type TestRuntime } from '../support/test-runtime';

const TOKEN = 'long-lived-token-of-the-account';
const E1 = '80051110001';
const E2 = '80051110002';
/** Numbers that have a contact in the stand-in account. */
const KNOWN = ['+79031000001', '+79031000002', '+79031000003', '+79031000004', '+79031000005'];

// Each call waits out the mapping's batching window (2 s); faults add retries and receives.
jest.setTimeout(120_000);

let crmApi: AmoCrmStandIn;
let t: TestRuntime;
let runtimeFile: string;

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
  runtimeFile = join(t.runtime.stateDir, 'runtime.json');
  writeRuntimeFile(runtimeFile, runtimeFileOf(t.runtime));
}, 180_000);

afterAll(async () => {
  await t?.stop();
  await crmApi?.close();
});

const post = async (bodies: Record<string, unknown>[]) => {
  for (const body of bodies) expect((await t.post(JSON.stringify(body))).status).toBe(200);
};
/** Until every queue and stream is done, including retries after the visibility timeout. */
const settled = () => t.runtime.drained(90_000);
const callsOf = (uniq: string) => crmApi.calls.filter((c) => c.entry.uniq === uniq);
const leadsOf = (uid: string) => crmApi.leads.filter((l) => l.body.source_uid === uid);
const ledger = async (sessionId: string) => {
  const { Item } = await t.doc.send(
    new GetCommand({
      TableName: t.runtime.crm?.ledgerTable,
      Key: { SessionID: sessionId, Crm: 'amocrm' },
      ConsistentRead: true,
    }),
  );
  return Item;
};
const crmTool = async (...argv: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await crm(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, runtimeFile });
  return { code, out, err };
};

let n = 0;
const id = (what: string) => `crm-${what}-${++n}`;
const start = '2026-12-03 10:00:00';

describe('a day of calls', () => {
  it('each reaches the CRM once, with the fields of the mapping', async () => {
    const answered = id('answered');
    const missed = id('missed');
    const outgoing = id('outgoing');
    await post(
      incomingBodies({
        id: answered,
        customer: '89031000001',
        start,
        rings: [{ employee: E1, at: 2 }],
        answer: { employee: E1, at: 8, talk: 125 },
      }),
    );
    await post(
      incomingBodies({
        id: missed,
        customer: '9031000002',
        start,
        rings: [{ employee: '80059999999', at: 1 }],
        missedAt: 30,
      }),
    );
    await post(
      outgoingBodies({ id: outgoing, employee: E2, customer: '+7 903 100-00-03', start, ring: 10, talk: 0 }),
    );
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
    await post(
      incomingBodies({
        id: unknown,
        customer: '9169990000',
        start,
        rings: [{ employee: E1, at: 1 }],
        missedAt: 20,
      }),
    );
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
    await post(
      incomingBodies({
        id: anonymous,
        customer: 'anonymous',
        start,
        rings: [{ employee: E1, at: 1 }],
        missedAt: 20,
      }),
    );
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
    const completed = t.received.find(
      (e) => e['detail-type'] === 'CallCompleted' && e.detail.SessionID === call,
    );
    if (!completed) throw new Error('no CallCompleted published');
    const bus = new EventBridgeClient({
      endpoint: t.runtime.eventbridgeEndpoint,
      region: t.runtime.region,
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    const entry = {
      Source: completed.source,
      DetailType: 'CallCompleted',
      Detail: JSON.stringify(completed.detail),
      EventBusName: 'call-events',
    };
    await bus.send(new PutEventsCommand({ Entries: [entry, entry] }));
    bus.destroy();
    await settled();
    expect(callsOf(call)).toHaveLength(1);
  });

  it('429s and 500s are retried, and a timeout after the CRM applied the request adds no second call', async () => {
    const calls = [id('throttled'), id('failing'), id('timed-out')];
    crmApi.failNext(2, 429);
    await post(
      outgoingBodies({
        id: calls[0] as string,
        employee: E1,
        customer: '89031000005',
        start,
        ring: 3,
        talk: 40,
      }),
    );
    await settled();
    crmApi.failNext(1, 500);
    await post(
      outgoingBodies({
        id: calls[1] as string,
        employee: E1,
        customer: '89031000005',
        start,
        ring: 3,
        talk: 41,
      }),
    );
    await settled();
    crmApi.failNext(1, 'timeout', { afterApplying: true });
    await post(
      outgoingBodies({
        id: calls[2] as string,
        employee: E1,
        customer: '89031000005',
        start,
        ring: 3,
        talk: 42,
      }),
    );
    await settled();
    for (const call of calls) expect([call, callsOf(call).length]).toEqual([call, 1]);
  });

  it('a later completion (a missed call found answered) adds nothing, and the ledger keeps both', async () => {
    const call = id('corrected');
    const ev = callOf({ SessionID: call, CityNumber: '4950665310', Caller: '9031000002' });
    await post(
      incomingBodies({
        id: call,
        customer: '9031000002',
        start,
        rings: [{ employee: E1, at: 1 }],
        missedAt: 20,
      }),
    );
    await settled();
    await post([
      ev('ChangeIncCall', { StartDuration: '2026-12-03 10:00:10', Called: E1 }),
      ev('EndIncCall', { EndTime: '2026-12-03 10:01:10', Duration: 60, ResultCode: '200', Called: E1 }),
    ]);
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
    await post(outgoingBodies({ id: call, employee: E1, customer: '89031000001', start, ring: 3, talk: 12 }));
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
    await post(outgoingBodies({ id: call, employee: E1, customer: '89031000001', start, ring: 3, talk: 5 }));
    await post(outgoingBodies({ id: other, employee: E1, customer: '89031000002', start, ring: 3, talk: 6 }));
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
