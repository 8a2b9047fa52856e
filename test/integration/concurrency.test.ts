/**
 * Concurrent webhooks against the local runtime: the same event posted many times at once is
 * stored, published and delivered once (the conditional write decides, not timing); many calls
 * at once are each stored and published once, and each gives one CallCompleted however many
 * projectors raced on its record.
 */
import { randomUUID } from 'node:crypto';
import { freshSpecExample } from '../../lambda/contract/spec-examples';
import { acceptedEvents, type Scenario, type ScenarioName, scenarios } from '../../scripts/lib/scenarios';
import {
  completedIdOf,
  eventIdOf,
  isCallEvent,
  kindOfEventId,
  startTestRuntime,
  type TestRuntime,
  tally,
} from '../support/test-runtime';

const SAME_EVENT_TIMES = 50;
const CALLS = 20;
/** The flows whose every request is accepted (no re-delivery, no malformed body). */
const ACCEPTED_FLOWS: ScenarioName[] = [
  'parallel-answered',
  'sequential-answered',
  'missed',
  'outgoing-answered',
  'outgoing-busy',
];

let t: TestRuntime;

beforeAll(async () => {
  t = await startTestRuntime();
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

/** How many times each EventId of these calls reached the bus: call events, or call-level ones. */
const publishedIds = (sessions: ReadonlySet<string>, callEvents = true) =>
  tally(
    t.received
      .filter((e) => isCallEvent(e) === callEvents && sessions.has(String(e.detail.SessionID)))
      .map((e) => kindOfEventId(String(e.detail.EventId))),
  );

it(`the same event posted ${SAME_EVENT_TIMES} times at once: one accepted, the rest duplicates, one delivery`, async () => {
  const sessionId = randomUUID();
  const body = freshSpecExample('MissedIncCall', sessionId);

  const answers = await Promise.all(Array.from({ length: SAME_EVENT_TIMES }, () => t.post(body)));
  await t.runtime.drained();

  expect(tally(answers.map((a) => `${a.status} ${a.json.status}`))).toEqual(
    new Map([
      ['200 accepted', 1],
      ['200 duplicate', SAME_EVENT_TIMES - 1],
    ]),
  );
  // Every answer names the same event.
  expect(new Set(answers.map((a) => a.json.eventKey)).size).toBe(1);
  const items = await t.stored(sessionId);
  expect(items.map((item) => item.EventKey)).toEqual([answers[0]?.json.eventKey]);
  const [item] = items as [Record<string, unknown>];
  expect(publishedIds(new Set([sessionId]))).toEqual(new Map([[eventIdOf(item), 1]]));
  const delivered = t.deliveries('MissedIncCall', sessionId);
  expect(delivered.map((e) => e.detail.EventId)).toEqual([eventIdOf(item)]);
  // A call known only by its MissedIncCall is an ended, missed call: one CallCompleted; the spec's
  // example is of 2021, long past its call-back window, so nobody called back in time.
  expect(publishedIds(new Set([sessionId]), false)).toEqual(
    new Map([
      [completedIdOf(sessionId), 1],
      [`${sessionId}/MissedCallNotCalledBack`, 1],
    ]),
  );
}, 60_000);

it(`${CALLS} calls with all their events posted at once: each event stored once and published once`, async () => {
  const calls: Scenario[] = Array.from({ length: CALLS / ACCEPTED_FLOWS.length }, () =>
    scenarios({ timeZone: t.timeZone, names: ACCEPTED_FLOWS }),
  ).flat();
  const bodies = calls.flatMap((call) => call.requests.map((r) => r.body));
  const sessions = new Set(calls.map((call) => call.sessionId));
  const receivedBefore = t.runtime.eventBridge.stats().received;

  const answers = await Promise.all(bodies.map((body) => t.post(body)));
  await t.runtime.drained();

  expect(tally(answers.map((a) => `${a.status} ${a.json.status}`))).toEqual(
    new Map([['200 accepted', bodies.length]]),
  );
  const items = (await Promise.all(calls.map((call) => t.stored(call.sessionId)))).flat();
  for (const call of calls) {
    const stored = items.filter((item) => item.SessionID === call.sessionId);
    expect({ call: call.name, hookTypes: stored.map((item) => item.HookType) }).toEqual({
      call: call.name,
      hookTypes: acceptedEvents(call).map((e) => e.HookType),
    });
  }
  expect(items).toHaveLength(bodies.length);

  const published = publishedIds(sessions);
  expect([...published.keys()].sort()).toEqual(items.map(eventIdOf).sort());
  expect([...published.values()].filter((n) => n !== 1)).toEqual([]);
  // Every call ends: one CallCompleted each, whatever the order its events were folded in.
  const completed = publishedIds(sessions, false);
  expect([...completed.keys()].sort()).toEqual(calls.map((call) => completedIdOf(call.sessionId)).sort());
  expect([...completed.values()].filter((n) => n !== 1)).toEqual([]);
  expect(t.runtime.eventBridge.stats().received - receivedBefore).toBe(bodies.length + calls.length);
  for (const hookType of t.routed) {
    const delivered = t.deliveries(hookType).filter((e) => sessions.has(String(e.detail.SessionID)));
    // Every call ends: the StuckCalls rule delivers nothing of them.
    if (hookType === 'CallStuck') {
      expect(delivered).toEqual([]);
      continue;
    }
    const expected =
      hookType === 'CallCompleted'
        ? calls.filter((call) => call.name === 'missed').map((call) => completedIdOf(call.sessionId))
        : items.filter((item) => item.HookType === hookType).map(eventIdOf);
    expect(expected.length).toBeGreaterThan(0);
    expect(delivered.map((e) => kindOfEventId(String(e.detail.EventId))).sort()).toEqual(expected.sort());
  }
}, 60_000);
