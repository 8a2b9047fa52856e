/**
 * What the CRM tests do to local mode's CRM consumer, whichever the CRM: post a call's webhooks,
 * wait until every queue and stream is done, read the call's ledger item, run `npm run crm` as an
 * operator would, and replay a published CallCompleted onto the bus; and the calls they all play.
 */
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { CrmName } from '../../lambda/crm/crms';
import { runtimeFileOf, writeRuntimeFile } from '../../local/runtime-file';
import { main as crm } from '../../scripts/crm';
import { callOf } from './call-events';
import { CITY, incomingBodies, outgoingBodies } from './calls';
import type { TestRuntime } from './test-runtime';

export interface CrmLocal {
  post(bodies: Record<string, unknown>[]): Promise<void>;
  /** Until every queue and stream is done, including retries after the visibility timeout. */
  settled(): Promise<void>;
  /** The call's ledger item, read consistently. */
  ledger(sessionId: string): Promise<Record<string, unknown> | undefined>;
  /** `npm run crm -- …` against this local mode. */
  crmTool(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }>;
  /** The call's published CallCompleted put on the bus again, twice in one request. */
  replayCompleted(sessionId: string): Promise<void>;
}

export function crmLocal(t: TestRuntime, name: CrmName, settleMs: number): CrmLocal {
  const runtimeFile = join(t.runtime.stateDir, 'runtime.json');
  writeRuntimeFile(runtimeFile, runtimeFileOf(t.runtime));
  return {
    async post(bodies) {
      for (const body of bodies) {
        const { status } = await t.post(JSON.stringify(body));
        if (status !== 200) throw new Error(`the webhook answered ${status} to ${JSON.stringify(body)}`);
      }
    },
    settled: () => t.runtime.drained(settleMs),
    async ledger(sessionId) {
      const { Item } = await t.doc.send(
        new GetCommand({
          TableName: t.runtime.crm?.ledgerTable,
          Key: { SessionID: sessionId, Crm: name },
          ConsistentRead: true,
        }),
      );
      return Item;
    },
    async crmTool(...argv) {
      const out: string[] = [];
      const err: string[] = [];
      const code = await crm(argv, {
        out: (l) => out.push(l),
        err: (l) => err.push(l),
        env: {},
        runtimeFile,
      });
      return { code, out, err };
    },
    async replayCompleted(sessionId) {
      const completed = t.received.find(
        (e) => e['detail-type'] === 'CallCompleted' && e.detail.SessionID === sessionId,
      );
      if (!completed) throw new Error(`no CallCompleted of ${sessionId} published`);
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
      try {
        await bus.send(new PutEventsCommand({ Entries: [entry, entry] }));
      } finally {
        bus.destroy();
      }
    },
  };
}

/** The employees of the calls below: two the CRM map has, one it has not. */
export const EMPLOYEES = { first: '80051110001', second: '80051110002', unmapped: '80059999999' } as const;
/** Every call below starts then (Moscow wall clock). */
export const CALL_START = '2026-12-03 10:00:00';

/**
 * A day every CRM's test plays: an incoming call answered by the first employee (talk 125 s, from
 * 8-903-100-00-01), a missed one rung at the unmapped employee (from 903-100-00-02), and a busy
 * outgoing one by the second employee (to +7 903 100-00-03).
 */
export function dayOfCalls(id: (what: string) => string) {
  const answered = id('answered');
  const missed = id('missed');
  const busy = id('busy');
  const { first, second, unmapped } = EMPLOYEES;
  return {
    answered,
    missed,
    busy,
    bodies: [
      ...incomingBodies({
        id: answered,
        customer: '89031000001',
        start: CALL_START,
        rings: [{ employee: first, at: 2 }],
        answer: { employee: first, at: 8, talk: 125 },
      }),
      ...incomingBodies({
        id: missed,
        customer: '9031000002',
        start: CALL_START,
        rings: [{ employee: unmapped, at: 1 }],
        missedAt: 30,
      }),
      ...outgoingBodies({
        id: busy,
        employee: second,
        customer: '+7 903 100-00-03',
        start: CALL_START,
        ring: 10,
        talk: 0,
      }),
    ],
  };
}

/** An incoming call the first employee was rung for and missed (ended 20 s after its start). */
export const missedCall = (id: string, customer: string) =>
  incomingBodies({
    id,
    customer,
    start: CALL_START,
    rings: [{ employee: EMPLOYEES.first, at: 1 }],
    missedAt: 20,
  });

/** An outgoing call of the first employee: answered after 3 s of ringing when it talked. */
export const outgoingCall = (id: string, customer: string, talk: number) =>
  outgoingBodies({ id, employee: EMPLOYEES.first, customer, start: CALL_START, ring: 3, talk });

/** The missed call's later events that make it answered by the first employee: a later completion. */
export const foundAnswered = (id: string, customer: string) => {
  const ev = callOf({ SessionID: id, CityNumber: CITY, Caller: customer });
  return [
    ev('ChangeIncCall', { StartDuration: '2026-12-03 10:00:10', Called: EMPLOYEES.first }),
    ev('EndIncCall', {
      EndTime: '2026-12-03 10:01:10',
      Duration: 60,
      ResultCode: '200',
      Called: EMPLOYEES.first,
    }),
  ];
};
