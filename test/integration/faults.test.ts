/**
 * Fault injection against the local runtime (the real bundles, DynamoDB Local's stream, the
 * local EventBridge): EventBridge failing some entries, EventBridge down for longer than the
 * publisher's own retries, and a poison record in the stream. Whatever fails, every stored event
 * and every call-level event relayed from the Calls stream (the second outbox: CallCompleted,
 * MissedCallResolved, CallStuck) reach the bus at least once, the rules deliver what they must,
 * the records stay as they should be, and only the poison record ends at the on-failure
 * destinations.
 */
import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { EventEnvelope } from '../../local/eventbridge/server';
import {
  acceptedEvents,
  providerTime,
  runScenario,
  type Scenario,
  scenarios,
} from '../../scripts/lib/scenarios';
import { incomingBodies, outgoingBodies } from '../support/calls';
import {
  completedIdOf,
  eventIdOf,
  kindOfEventId,
  startTestRuntime,
  type TestRuntime,
  tally,
} from '../support/test-runtime';

/** Entry failures injected: fewer than it takes to fail one entry on all 3 publisher attempts. */
const FAILED_ENTRIES = 6;
/**
 * Whole PutEvents calls failed in a row: more than one publish invocation makes (3 attempts,
 * each retried by the SDK), fewer than the mapping's 1 + 8 invocations make.
 */
const FAILED_CALLS = 20;
/**
 * Entry failures aimed at one detail-type: fewer than the publisher's 3 attempts, so that no
 * entry fails on all of them even when it is the only one of its kind in its call.
 */
const FAILED_ENTRIES_OF_A_KIND = 2;
/** The sweep's threshold here, in seconds (the stack's is in minutes). */
const STUCK_SECONDS = 2;

let t: TestRuntime;

beforeAll(async () => {
  t = await startTestRuntime({
    // As the mapping's 1 s batching window does: a burst of webhooks reaches the publisher together.
    pollerIdleMs: 1000,
    // The mapping's 8 retries in well under a second instead of ~10 s of backoff.
    pollerBackoffMs: () => 50,
    // A call quiet for seconds is stuck; the sweep's own timer is far off: a test runs it when it wants.
    context: { stuckCallAfterMinutes: STUCK_SECONDS / 60 },
    scheduleEveryMs: 3_600_000,
  });
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

/** The publisher's mapping on the CallEvents stream (the raw events). */
const pollerStats = () => t.poller('callEvents', 'publish').stats();
/** The publisher's mapping on the Calls stream (CallCompleted). */
const callsPollerStats = () => t.poller('calls', 'publish').stats();

const ENDS = ['EndIncCall', 'MissedIncCall', 'EndOutCall'];
/** The EventId of the CallCompleted of each call that ended, and of those that ended missed. */
function completedIds(calls: Scenario[]): { all: string[]; missed: string[] } {
  const idOf = (call: Scenario) => `${call.sessionId}/CallCompleted`;
  const ending = (call: Scenario) => acceptedEvents(call).filter((e) => ENDS.includes(e.HookType));
  const ended = calls.filter((call) => ending(call).length > 0);
  // Every scenario's missed call ends with a MissedIncCall: Outcome missed, whatever its code.
  const missed = ended.filter((call) => ending(call).some((e) => e.HookType === 'MissedIncCall'));
  return { all: ended.map(idOf), missed: missed.map(idOf) };
}

/** Every simulator scenario, the calls side by side, each call's requests in order. */
async function playCalls(calls: Scenario[] = scenarios({ timeZone: t.timeZone })): Promise<Scenario[]> {
  const target = { url: t.runtime.webhookUrl, token: t.runtime.token };
  const results = await Promise.all(calls.map((call) => runScenario(call, target)));
  expect(results.filter((r) => !r.ok).map((r) => r.scenario.name)).toEqual([]);
  return calls;
}

async function storedItems(calls: Scenario[]): Promise<Record<string, unknown>[]> {
  const items = (await Promise.all(calls.map((call) => t.stored(call.sessionId)))).flat();
  expect(items).toHaveLength(calls.reduce((n, call) => n + acceptedEvents(call).length, 0));
  return items;
}

/**
 * Each stored event of these calls, and the CallCompleted of each that ended, reached the bus
 * (once, or at least once), nothing else of theirs did, and each rule delivered exactly its own:
 * the events of its HookType, or (MissedCallsToCallBack) the CallCompleted of the missed calls.
 */
async function expectPublished(calls: Scenario[], times: 'once' | 'at least once'): Promise<void> {
  const sessions = new Set(calls.map((call) => call.sessionId));
  const ofCalls = (events: EventEnvelope[]) => events.filter((e) => sessions.has(String(e.detail.SessionID)));
  const expectDelivered = (events: EventEnvelope[], ids: string[]) => {
    const counts = tally(ofCalls(events).map((e) => kindOfEventId(String(e.detail.EventId))));
    expect([...counts.keys()].sort()).toEqual([...ids].sort());
    if (times === 'once') expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
  };

  const items = await storedItems(calls);
  const completed = completedIds(calls);
  expectDelivered(t.received, [...items.map(eventIdOf), ...completed.all]);
  expect(t.routed).toContain('CallCompleted');
  for (const hookType of t.routed) {
    // None of these calls stays open: the StuckCalls rule delivers nothing of them.
    if (hookType === 'CallStuck') {
      expectDelivered(t.deliveries(hookType), []);
      continue;
    }
    const ids =
      hookType === 'CallCompleted'
        ? completed.missed
        : items.filter((item) => item.HookType === hookType).map(eventIdOf);
    expect(ids.length).toBeGreaterThan(0);
    expectDelivered(t.deliveries(hookType), ids);
  }
}

describe('EventBridge failures', () => {
  it('some entries failing: only those are sent again, and every stored event is delivered once', async () => {
    await t.runtime.drained();
    const before = {
      bus: t.runtime.eventBridge.stats(),
      poller: pollerStats(),
      callsPoller: callsPollerStats(),
    };
    t.runtime.eventBridge.failNextEntries(FAILED_ENTRIES);

    const calls = await playCalls();
    await t.runtime.drained();

    const bus = t.runtime.eventBridge.stats();
    const stored = await storedItems(calls);
    expect(bus.failedEntries - before.bus.failedEntries).toBe(FAILED_ENTRIES);
    // Entries sent = accepted + failed: had whole calls been re-sent, the bus would have
    // accepted some events twice. Each failed entry was sent again, and accepted, once.
    expect(bus.received - before.bus.received).toBe(stored.length + completedIds(calls).all.length);
    // The publisher's own retries were enough: neither mapping retried anything.
    expect(pollerStats().retries - before.poller.retries).toBe(0);
    expect(callsPollerStats().retries - before.callsPoller.retries).toBe(0);
    await expectPublished(calls, 'once');
    expect(t.failed()).toEqual([]);
  }, 60_000);

  it('EventBridge down for longer than the publisher retries: the mapping retries, then all is delivered', async () => {
    await t.runtime.drained();
    const before = {
      bus: t.runtime.eventBridge.stats(),
      poller: pollerStats(),
      callsPoller: callsPollerStats(),
    };
    t.runtime.eventBridge.failNextCalls(FAILED_CALLS);

    const calls = await playCalls();
    await t.runtime.drained();

    // The publisher reported the batch as failed and the stream mapping took over.
    expect(pollerStats().retries - before.poller.retries).toBeGreaterThan(0);
    expect(pollerStats().recordsGivenUp - before.poller.recordsGivenUp).toBe(0);
    expect(callsPollerStats().recordsGivenUp - before.callsPoller.recordsGivenUp).toBe(0);
    const stored = await storedItems(calls);
    expect(t.runtime.eventBridge.stats().received - before.bus.received).toBeGreaterThanOrEqual(
      stored.length,
    );
    await expectPublished(calls, 'at least once');
    expect(t.failed()).toEqual([]);
  }, 60_000);
});

describe('EventBridge failures of the call-level events', () => {
  const CITY = '4950002000';
  const EMPLOYEE = '80050000009';
  const MISSED_CALL_RESOLVED = 'MissedCallResolved';
  const CALL_STUCK = 'CallStuck';
  let customers = 0;
  /** A customer that no other call of this file has, as the provider sends the number. */
  const newCustomer = () => `903${String(++customers).padStart(7, '0')}`;

  /** The calls side by side, each call's webhooks in order, every one accepted. */
  async function post(calls: Record<string, unknown>[][]): Promise<void> {
    await Promise.all(
      calls.map(async (bodies) => {
        for (const body of bodies) expect((await t.post(JSON.stringify(body))).status).toBe(200);
      }),
    );
  }

  async function callRecord(sessionId: string): Promise<Record<string, unknown>> {
    const item = await t.callRecord(sessionId);
    if (!item) throw new Error(`no Calls record for ${sessionId}`);
    return item;
  }

  /** What the bus received of these calls, by detail-type (all of them without one). */
  const receivedOf = (sessions: readonly string[], detailType?: string) =>
    t.received.filter(
      (e) =>
        sessions.includes(String(e.detail.SessionID)) &&
        (detailType === undefined || e['detail-type'] === detailType),
    );
  /** The events, de-duplicated by EventId, are exactly `ids`; with `once`, none came twice. */
  function expectIds(events: EventEnvelope[], ids: string[], times: 'once' | 'at least once'): void {
    const counts = tally(events.map((e) => kindOfEventId(String(e.detail.EventId))));
    expect([...counts.keys()].sort()).toEqual([...ids].sort());
    if (times === 'once') expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
  }

  const countersNow = () => ({
    bus: t.runtime.eventBridge.stats(),
    poller: pollerStats(),
    callsPoller: callsPollerStats(),
    failed: t.failed().length,
  });

  describe('MissedCallResolved', () => {
    interface Resolution {
      missed: string;
      resolver: string;
      /** The customer in E.164, as the record and the event carry it. */
      customer: string;
      status: 'called-back' | 'customer-called-again';
      afterSeconds: number;
      missedCall: Record<string, unknown>[];
      resolvingCall: Record<string, unknown>[];
    }

    /**
     * Five missed calls, each of its own customer, rung from 900 s ago and ended 870 s ago, and
     * the answered call that resolves each: a call-back by the employee or the customer calling
     * again (dialling with the trunk prefix, the same customer in E.164), 270, 280, 290 and
     * 300 s after the end; the fifth is called back 370 s after, and that call-back is sent
     * before the missed call itself, so that the missed call is written already resolved.
     */
    function resolutions(): Resolution[] {
      const now = Date.now();
      const at = (secondsAgo: number) => providerTime(new Date(now - secondsAgo * 1000), t.timeZone);
      return Array.from({ length: 5 }, (_, i): Resolution => {
        const number = newCustomer();
        const missed = randomUUID();
        const resolver = randomUUID();
        const afterSeconds = i === 4 ? 370 : 270 + 10 * i;
        const calledBack = i % 2 === 0;
        const start = at(870 - afterSeconds);
        return {
          missed,
          resolver,
          customer: `+7${number}`,
          status: calledBack ? 'called-back' : 'customer-called-again',
          afterSeconds,
          missedCall: incomingBodies({
            id: missed,
            city: CITY,
            customer: number,
            start: at(900),
            rings: [{ employee: EMPLOYEE, at: 1 }],
            missedAt: 30,
          }),
          resolvingCall: calledBack
            ? outgoingBodies({
                id: resolver,
                city: CITY,
                employee: EMPLOYEE,
                customer: `8${number}`,
                start,
                ring: 5,
                talk: 40,
              })
            : incomingBodies({
                id: resolver,
                city: CITY,
                customer: `8${number}`,
                start,
                rings: [{ employee: EMPLOYEE, at: 2 }],
                answer: { employee: EMPLOYEE, at: 6, talk: 40 },
              }),
        };
      });
    }

    /**
     * Sends the missed calls (and the fifth's call-back) with EventBridge healthy; then, with the
     * fault injected, the calls that resolve them (and the fifth missed call). Returns the
     * resolutions and the counters as they were when the fault was injected.
     */
    async function resolveUnder(fault: () => void) {
      const calls = resolutions();
      const early = calls.slice(0, 4);
      const last = calls[4] as Resolution;
      await post([...early.map((c) => c.missedCall), last.resolvingCall]);
      await t.runtime.drained();
      for (const c of early) expect(await callRecord(c.missed)).toMatchObject({ CallbackStatus: 'pending' });

      const sentWithFault = [...early.map((c) => c.resolvingCall), last.missedCall];
      const counters = countersNow();
      fault();
      await post(sentWithFault);
      await t.runtime.drained();
      return { calls, counters, sentWithFault };
    }

    /**
     * Every stored event of these calls, each call's CallCompleted and each missed call's
     * MissedCallResolved reached the bus, and nothing else of theirs; every copy of a resolution
     * says who resolved it, how and when; the missed calls' records say the same, and the
     * MissedCallsToCallBack rule got the CallCompleted of the missed calls alone.
     */
    async function expectResolved(calls: Resolution[], times: 'once' | 'at least once'): Promise<void> {
      const sessions = calls.flatMap((c) => [c.missed, c.resolver]);
      const items = (await Promise.all(sessions.map((s) => t.stored(s)))).flat();
      expect(items).toHaveLength(calls.reduce((n, c) => n + c.missedCall.length + c.resolvingCall.length, 0));
      expectIds(
        receivedOf(sessions),
        [
          ...items.map(eventIdOf),
          ...sessions.map(completedIdOf),
          ...calls.map((c) => `${c.missed}/${MISSED_CALL_RESOLVED}`),
        ],
        times,
      );
      expectIds(
        t.deliveries('CallCompleted').filter((e) => sessions.includes(String(e.detail.SessionID))),
        calls.map((c) => completedIdOf(c.missed)),
        times,
      );
      for (const c of calls) {
        const resolution = {
          SessionID: c.missed,
          CallbackStatus: c.status,
          CallbackSessionID: c.resolver,
          CallbackAfterSeconds: c.afterSeconds,
          CustomerNumber: c.customer,
        };
        const resolverStarted = (await callRecord(c.resolver)).StartedAt;
        for (const copy of receivedOf([c.missed], MISSED_CALL_RESOLVED)) {
          expect(copy.detail).toEqual({
            ...resolution,
            EventId: `${c.missed}/${MISSED_CALL_RESOLVED}/${c.resolver}/${c.afterSeconds}`,
          });
          expect(copy.time).toBe(resolverStarted);
        }
        const record = await callRecord(c.missed);
        expect(record).toMatchObject({ Status: 'ended', Outcome: 'missed', ...resolution });
        expect(record).not.toHaveProperty('PendingCallback');
      }
    }

    it('some entries failing: only those are sent again, and each resolution is delivered once', async () => {
      const { calls, counters, sentWithFault } = await resolveUnder(() =>
        t.runtime.eventBridge.failNextEntries(FAILED_ENTRIES_OF_A_KIND, [MISSED_CALL_RESOLVED]),
      );

      const bus = t.runtime.eventBridge.stats();
      expect(bus.failedEntries - counters.bus.failedEntries).toBe(FAILED_ENTRIES_OF_A_KIND);
      // Accepted once each, since the fault: the events sent, 5 CallCompleted (four answered
      // calls, the fifth missed one) and 5 MissedCallResolved. A re-sent whole call would show.
      expect(bus.received - counters.bus.received).toBe(sentWithFault.flat().length + 5 + 5);
      expect(pollerStats().retries - counters.poller.retries).toBe(0);
      expect(callsPollerStats().retries - counters.callsPoller.retries).toBe(0);
      await expectResolved(calls, 'once');
      expect(t.failed().slice(counters.failed)).toEqual([]);
    }, 60_000);

    it('EventBridge down for longer than the publisher retries: the Calls mapping retries, then every resolution is delivered', async () => {
      const { calls, counters } = await resolveUnder(() =>
        t.runtime.eventBridge.failNextCalls(FAILED_CALLS, [MISSED_CALL_RESOLVED]),
      );

      expect(callsPollerStats().retries - counters.callsPoller.retries).toBeGreaterThan(0);
      expect(callsPollerStats().recordsGivenUp - counters.callsPoller.recordsGivenUp).toBe(0);
      // The raw events of the same calls never failed: their mapping had nothing to retry.
      expect(pollerStats().retries - counters.poller.retries).toBe(0);
      await expectResolved(calls, 'at least once');
      expect(t.failed().slice(counters.failed)).toEqual([]);
    }, 60_000);
  });

  describe('CallStuck', () => {
    interface QuietCall {
      sessionId: string;
      /** Rung, never answered nor ended: open. */
      opened: Record<string, unknown>[];
      /** The same, then its late MissedIncCall (and the end of the ringing). */
      ended: Record<string, unknown>[];
    }

    /** Three calls rung and then heard of no more, past the sweep's threshold by the time this returns. */
    async function quietCalls(): Promise<QuietCall[]> {
      const start = providerTime(new Date(Date.now() - 60_000), t.timeZone);
      const calls = Array.from({ length: 3 }, (): QuietCall => {
        const call = {
          id: randomUUID(),
          city: CITY,
          customer: newCustomer(),
          start,
          rings: [{ employee: EMPLOYEE, at: 1 }],
        };
        return {
          sessionId: call.id,
          opened: incomingBodies(call),
          ended: incomingBodies({ ...call, missedAt: 50 }),
        };
      });
      await post(calls.map((c) => c.opened));
      const lastReceived = Date.now();
      await t.runtime.drained();
      for (const c of calls) expect(await callRecord(c.sessionId)).toMatchObject({ Status: 'open' });
      const quietFor = lastReceived + (STUCK_SECONDS + 1) * 1000 - Date.now();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, quietFor)));
      return calls;
    }

    /** The sweep, run as its schedule would run it, and what it sets off drained; twice, as every 5 minutes. */
    async function sweepTwice(): Promise<void> {
      expect(t.runtime.schedules).toHaveLength(1);
      for (let run = 0; run < 2; run++) {
        await t.runtime.schedules[0]?.runNow();
        await t.runtime.drained();
      }
    }

    /** Each call stuck, its CallStuck on the bus and in the StuckCalls rule's queue, every copy the stuck record. */
    async function expectStuck(calls: QuietCall[], times: 'once' | 'at least once'): Promise<void> {
      const sessions = calls.map((c) => c.sessionId);
      const ids = sessions.map((s) => `${s}/${CALL_STUCK}`);
      expectIds(receivedOf(sessions, CALL_STUCK), ids, times);
      expectIds(
        t.deliveries(CALL_STUCK).filter((e) => sessions.includes(String(e.detail.SessionID))),
        ids,
        times,
      );
      for (const c of calls) {
        const record = await callRecord(c.sessionId);
        expect(record).toMatchObject({ Status: 'stuck' });
        expect(record).not.toHaveProperty('OpenCall');
        for (const copy of receivedOf([c.sessionId], CALL_STUCK))
          expect(copy.detail).toEqual({ ...record, EventId: `${c.sessionId}/${CALL_STUCK}` });
      }
    }

    /** The late ends arrive: each call ends missed with one CallCompleted, and no CallStuck comes again. */
    async function expectEndedLate(calls: QuietCall[]): Promise<void> {
      const sessions = calls.map((c) => c.sessionId);
      const stuckSoFar = receivedOf(sessions, CALL_STUCK).length;
      await post(calls.map((c) => c.ended));
      await t.runtime.drained();
      for (const c of calls)
        expect(await callRecord(c.sessionId)).toMatchObject({
          Status: 'ended',
          Outcome: 'missed',
          CallbackStatus: 'pending',
        });
      expectIds(receivedOf(sessions, 'CallCompleted'), sessions.map(completedIdOf), 'once');
      expect(receivedOf(sessions, CALL_STUCK)).toHaveLength(stuckSoFar);
    }

    it('some entries failing: only those are sent again, and each CallStuck is delivered once', async () => {
      const calls = await quietCalls();
      const counters = countersNow();
      t.runtime.eventBridge.failNextEntries(FAILED_ENTRIES_OF_A_KIND, [CALL_STUCK]);
      await sweepTwice();

      const bus = t.runtime.eventBridge.stats();
      expect(bus.failedEntries - counters.bus.failedEntries).toBe(FAILED_ENTRIES_OF_A_KIND);
      // The sweep's writes made three CallStuck and nothing else; each was accepted once.
      expect(bus.received - counters.bus.received).toBe(calls.length);
      expect(callsPollerStats().retries - counters.callsPoller.retries).toBe(0);
      await expectStuck(calls, 'once');
      expect(t.failed().slice(counters.failed)).toEqual([]);
      await expectEndedLate(calls);
    }, 60_000);

    it('EventBridge down for longer than the publisher retries: the Calls mapping retries, then every CallStuck is delivered', async () => {
      const calls = await quietCalls();
      const counters = countersNow();
      t.runtime.eventBridge.failNextCalls(FAILED_CALLS, [CALL_STUCK]);
      await sweepTwice();

      expect(callsPollerStats().retries - counters.callsPoller.retries).toBeGreaterThan(0);
      expect(callsPollerStats().recordsGivenUp - counters.callsPoller.recordsGivenUp).toBe(0);
      await expectStuck(calls, 'at least once');
      expect(t.failed().slice(counters.failed)).toEqual([]);
      await expectEndedLate(calls);
    }, 60_000);
  });
});

describe('a poison record in the stream', () => {
  it('goes to the on-failure destination after the mapping retries, and the calls around it are delivered', async () => {
    await t.runtime.drained();
    const before = pollerStats();
    const [first, second] = scenarios({ timeZone: t.timeZone, names: ['missed', 'parallel-answered'] }) as [
      Scenario,
      Scenario,
    ];
    const poisonId = `poison-${randomUUID()}`;

    await playCalls([first]);
    // An item nobody should have written: keys, but no HookType nor EventTime to publish.
    await t.doc.send(
      new PutCommand({
        TableName: t.runtime.tables.callEvents,
        Item: { SessionID: poisonId, EventKey: 'no-HookType-no-EventTime' },
      }),
    );
    await playCalls([second]);
    await t.runtime.drained();

    await expectPublished([first, second], 'at least once');
    expect(t.received.filter((e) => e.detail.SessionID === poisonId)).toEqual([]);
    // Exactly the poison record, after the template's MaximumRetryAttempts (8) and no more, once
    // by each mapping of the CallEvents stream: the publisher (nothing to publish) and the
    // projector (nothing to fold), each to its own on-failure destination.
    const failed = t.failed();
    expect(failed.map((f) => f.functionName).sort()).toEqual(
      [t.poller('callEvents', 'publish').functionName, t.poller('callEvents', 'project').functionName].sort(),
    );
    for (const record of failed) {
      expect(record).toMatchObject({
        reason: expect.stringMatching(/batch item failure; retries exhausted after 8 retries$/),
        record: {
          eventName: 'INSERT',
          dynamodb: { Keys: { SessionID: { S: poisonId }, EventKey: { S: 'no-HookType-no-EventTime' } } },
        },
      });
    }
    const after = pollerStats();
    expect(after.retries - before.retries).toBe(8);
    expect(after.recordsGivenUp - before.recordsGivenUp).toBe(1);
  }, 60_000);
});
