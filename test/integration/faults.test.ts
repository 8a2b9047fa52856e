/**
 * Fault injection against the local runtime (the real bundles, DynamoDB Local's stream, the
 * local EventBridge): EventBridge failing some entries, EventBridge down for longer than the
 * publisher's own retries, and a poison record in the stream. Whatever fails, every stored event
 * and every ended call's CallCompleted (relayed from the Calls stream, the second outbox) reach
 * the bus at least once, the rules deliver what they must, and only the poison record ends at
 * the on-failure destinations.
 */
import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { EventEnvelope } from '../../local/eventbridge/server';
import { acceptedEvents, runScenario, type Scenario, scenarios } from '../../scripts/lib/scenarios';
import { eventIdOf, startTestRuntime, type TestRuntime, tally } from '../support/test-runtime';

/** Entry failures injected: fewer than it takes to fail one entry on all 3 publisher attempts. */
const FAILED_ENTRIES = 6;
/**
 * Whole PutEvents calls failed in a row: more than one publish invocation makes (3 attempts,
 * each retried by the SDK), fewer than the mapping's 1 + 8 invocations make.
 */
const FAILED_CALLS = 20;

let t: TestRuntime;

beforeAll(async () => {
  t = await startTestRuntime({
    // As the mapping's 1 s batching window does: a burst of webhooks reaches the publisher together.
    pollerIdleMs: 1000,
    // The mapping's 8 retries in well under a second instead of ~10 s of backoff.
    pollerBackoffMs: () => 50,
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
    const counts = tally(ofCalls(events).map((e) => String(e.detail.EventId)));
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
