/**
 * Local mode end to end, as `npm start -- --in-memory` runs it: every simulator scenario is
 * played over HTTP, then we check what was stored, what was quarantined, and what each of
 * the stack's rules delivered once the stream has drained.
 */
import { existsSync } from 'node:fs';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  acceptedEvents,
  runScenario,
  type Scenario,
  type ScenarioResult,
  scenarios,
} from '../../scripts/lib/scenarios';
import { startTestRuntime, type TestRuntime } from '../support/test-runtime';

let t: TestRuntime;
const played = new Map<string, { scenario: Scenario; result: ScenarioResult }>();

const scenario = (name: string) => {
  const entry = played.get(name);
  if (!entry) throw new Error(`scenario ${name} was not played`);
  return entry;
};

beforeAll(async () => {
  t = await startTestRuntime();
  for (const s of scenarios({ timeZone: t.timeZone })) {
    played.set(s.name, {
      scenario: s,
      result: await runScenario(s, { url: t.runtime.webhookUrl, token: t.runtime.token }),
    });
  }
  await t.runtime.drained(60_000);
}, 180_000);

afterAll(async () => {
  await t?.stop();
});

describe('local mode, every simulator scenario', () => {
  it('answers every request as the webhook must (accepted, duplicate, 400)', () => {
    for (const { result } of played.values()) {
      expect(result.results.map((r) => [r.request.label, r.httpStatus, r.status])).toEqual(
        result.scenario.requests.map((r) => [r.label, r.expected.httpStatus, r.expected.status]),
      );
    }
  });

  it('stores each accepted event once, in the order of the call', async () => {
    for (const { scenario: s } of played.values()) {
      const items = await t.stored(s.sessionId);
      expect({ name: s.name, hookTypes: items.map((i) => i.HookType) }).toEqual({
        name: s.name,
        hookTypes: acceptedEvents(s).map((e) => e.HookType),
      });
    }
  });

  it('quarantines every malformed body, exactly as sent', async () => {
    const { scenario: s } = scenario('malformed');
    const { Items } = await t.doc.send(
      new QueryCommand({
        TableName: t.runtime.tables.rejectedEvents,
        KeyConditionExpression: 'RejectedOn = :d',
        ExpressionAttributeValues: { ':d': new Date().toISOString().slice(0, 10) },
      }),
    );
    const bodies = (Items ?? []).map((i) => i.Body);
    for (const request of s.requests) expect(bodies.filter((b) => b === request.body)).toHaveLength(1);
  });

  it('delivers a missed call once to the MissedIncCall rule and never to the EndIncCall rule', () => {
    const { scenario: s } = scenario('missed');
    expect(t.deliveries('MissedIncCall', s.sessionId)).toHaveLength(1);
    expect(t.deliveries('EndIncCall', s.sessionId)).toHaveLength(0);
  });

  it.each(['parallel-answered', 'sequential-answered'])(
    'delivers the %s call once to the EndIncCall rule',
    (name) => {
      const { scenario: s } = scenario(name);
      const delivered = t.deliveries('EndIncCall', s.sessionId);
      expect(delivered.map((e) => e.detail.HookType)).toEqual(['EndIncCall']);
      expect(t.deliveries('MissedIncCall', s.sessionId)).toHaveLength(0);
    },
  );

  it.each(['outgoing-answered', 'outgoing-busy'])('delivers the %s call to neither rule', (name) => {
    const { scenario: s } = scenario(name);
    expect(t.deliveries('EndIncCall', s.sessionId)).toHaveLength(0);
    expect(t.deliveries('MissedIncCall', s.sessionId)).toHaveLength(0);
  });

  it('stores and delivers a re-delivered call once', async () => {
    const { scenario: s } = scenario('redelivery');
    const items = await t.stored(s.sessionId);
    expect(items).toHaveLength(acceptedEvents(s).length);
    expect(t.deliveries('MissedIncCall', s.sessionId)).toHaveLength(1);
  });

  it('publishes every stored event and one CallCompleted per ended call, none given up', () => {
    const events = [...played.values()].map(({ scenario: s }) => acceptedEvents(s));
    const stored = events.reduce((n, accepted) => n + accepted.length, 0);
    const ended = events.filter((accepted) =>
      accepted.some((e) => ['EndIncCall', 'MissedIncCall', 'EndOutCall'].includes(e.HookType)),
    ).length;
    expect(ended).toBe(6);
    expect(t.runtime.eventBridge.stats().received).toBe(stored + ended);
    expect(t.runtime.pollers.reduce((n, p) => n + p.stats().recordsGivenUp, 0)).toBe(0);
    expect(existsSync(t.runtime.failedFile)).toBe(false);
  });
});
