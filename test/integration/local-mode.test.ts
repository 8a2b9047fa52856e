/**
 * Local mode end to end, as `npm start -- --in-memory` runs it: every simulator scenario is
 * played over HTTP, then we check what was stored, what was quarantined, and what each of
 * the stack's rules delivered once the stream has drained.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { rulesFromTemplate } from '../../local/eventbridge/rules';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime';
import { synthesizeTemplate } from '../../local/synth';
import {
  acceptedEvents,
  runScenario,
  type Scenario,
  type ScenarioResult,
  scenarios,
} from '../../scripts/lib/scenarios';

let runtime: LocalRuntime;
let doc: DynamoDBDocumentClient;
let stateDir: string;
const played = new Map<string, { scenario: Scenario; result: ScenarioResult }>();

/** The rule (deliveries file) of the stack that routes a HookType, found by its pattern. */
function ruleFor(hookType: string): string {
  const rule = rulesFromTemplate(synthesizeTemplate()).find((r) =>
    ((r.eventPattern['detail-type'] as string[] | undefined) ?? []).includes(hookType),
  );
  if (!rule) throw new Error(`No rule of the stack routes ${hookType}`);
  return rule.name;
}

function deliveries(rule: string, sessionId: string): { detail: { SessionID: string; HookType: string } }[] {
  const file = join(runtime.deliveriesDir, `${rule}.ndjson`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line))
    .filter((event) => event.detail?.SessionID === sessionId);
}

async function stored(sessionId: string) {
  const { Items } = await doc.send(
    new QueryCommand({
      TableName: runtime.tables.callEvents,
      KeyConditionExpression: 'SessionID = :s',
      ExpressionAttributeValues: { ':s': sessionId },
    }),
  );
  return Items ?? [];
}

const scenario = (name: string) => {
  const entry = played.get(name);
  if (!entry) throw new Error(`scenario ${name} was not played`);
  return entry;
};

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'call-events-local-'));
  runtime = await startLocalRuntime({ port: 0, inMemory: true, stateDir });
  doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: runtime.dynamodbEndpoint,
      region: runtime.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  for (const s of scenarios()) {
    played.set(s.name, {
      scenario: s,
      result: await runScenario(s, { url: runtime.webhookUrl, token: runtime.token }),
    });
  }
  await runtime.drained(60_000);
}, 180_000);

afterAll(async () => {
  doc?.destroy();
  await runtime?.stop();
  rmSync(stateDir, { recursive: true, force: true });
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
      const items = await stored(s.sessionId);
      expect({ name: s.name, hookTypes: items.map((i) => i.HookType) }).toEqual({
        name: s.name,
        hookTypes: acceptedEvents(s).map((e) => e.HookType),
      });
    }
  });

  it('quarantines every malformed body, exactly as sent', async () => {
    const { scenario: s } = scenario('malformed');
    const { Items } = await doc.send(
      new QueryCommand({
        TableName: runtime.tables.rejectedEvents,
        KeyConditionExpression: 'RejectedOn = :d',
        ExpressionAttributeValues: { ':d': new Date().toISOString().slice(0, 10) },
      }),
    );
    const bodies = (Items ?? []).map((i) => i.Body);
    for (const request of s.requests) expect(bodies.filter((b) => b === request.body)).toHaveLength(1);
  });

  it('delivers a missed call once to the MissedIncCall rule and never to the EndIncCall rule', () => {
    const { scenario: s } = scenario('missed');
    expect(deliveries(ruleFor('MissedIncCall'), s.sessionId)).toHaveLength(1);
    expect(deliveries(ruleFor('EndIncCall'), s.sessionId)).toHaveLength(0);
  });

  it.each(['parallel-answered', 'sequential-answered'])(
    'delivers the %s call once to the EndIncCall rule',
    (name) => {
      const { scenario: s } = scenario(name);
      const delivered = deliveries(ruleFor('EndIncCall'), s.sessionId);
      expect(delivered.map((e) => e.detail.HookType)).toEqual(['EndIncCall']);
      expect(deliveries(ruleFor('MissedIncCall'), s.sessionId)).toHaveLength(0);
    },
  );

  it.each(['outgoing-answered', 'outgoing-busy'])('delivers the %s call to neither rule', (name) => {
    const { scenario: s } = scenario(name);
    expect(deliveries(ruleFor('EndIncCall'), s.sessionId)).toHaveLength(0);
    expect(deliveries(ruleFor('MissedIncCall'), s.sessionId)).toHaveLength(0);
  });

  it('stores and delivers a re-delivered call once', async () => {
    const { scenario: s } = scenario('redelivery');
    const items = await stored(s.sessionId);
    expect(items).toHaveLength(acceptedEvents(s).length);
    expect(deliveries(ruleFor('MissedIncCall'), s.sessionId)).toHaveLength(1);
  });

  it('publishes every stored event: the local bus received each one, none given up', () => {
    const total = [...played.values()].reduce((n, { scenario: s }) => n + acceptedEvents(s).length, 0);
    expect(runtime.eventBridge.stats().received).toBe(total);
    expect(runtime.pollers.reduce((n, p) => n + p.stats().recordsGivenUp, 0)).toBe(0);
    expect(existsSync(runtime.failedFile)).toBe(false);
  });
});
