/** The local EventBridge through the real SDK client: PutEvents answers, rule deliveries, limits and injected faults. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { LocalRule } from '../../local/eventbridge/rules';
import {
  type EventEnvelope,
  formatDelivery,
  type LocalEventBridge,
  startLocalEventBridge,
} from '../../local/eventbridge/server';

const BUS = 'call-events-bus';
const SOURCE = 'telephony.call-events';
const REGION = 'eu-central-1';
const RULES: LocalRule[] = [
  {
    name: 'MissedCalls',
    eventBusName: BUS,
    eventPattern: { source: [SOURCE], 'detail-type': ['MissedIncCall'] },
  },
  {
    name: 'EndedCalls',
    eventBusName: BUS,
    eventPattern: { source: [SOURCE], 'detail-type': ['EndIncCall'] },
  },
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const started: { bridge: LocalEventBridge; dir: string }[] = [];

afterAll(async () => {
  for (const { bridge, dir } of started) {
    await bridge.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A fresh bridge per test, so that each test's stats and files are its own. */
async function startBridge(onDelivery?: (rule: string, event: EventEnvelope) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'local-eventbridge-'));
  const bridge = await startLocalEventBridge({
    port: 0,
    rules: RULES,
    buses: [BUS],
    deliveriesDir: dir,
    region: REGION,
    onDelivery,
  });
  started.push({ bridge, dir });
  // One attempt: an injected failure must reach the test, not be retried away by the SDK.
  const client = new EventBridgeClient({
    endpoint: bridge.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deliveries = (rule: string): EventEnvelope[] => {
    const file = join(dir, `${rule}.ndjson`);
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as EventEnvelope);
  };
  return { bridge, client, deliveries };
}

const detail = (hookType: string) => ({ HookType: hookType, SessionID: `session-${hookType}`, Duration: 42 });
const entry = (hookType: string, extra: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  Source: SOURCE,
  DetailType: hookType,
  Detail: JSON.stringify(detail(hookType)),
  EventBusName: BUS,
  ...extra,
});

describe('local EventBridge', () => {
  it('accepts valid entries, fails the malformed one, and delivers each match to its rule', async () => {
    const { bridge, client, deliveries } = await startBridge();
    const time = new Date('2021-01-28T11:15:22.567Z');

    const response = await client.send(
      new PutEventsCommand({
        Entries: [
          entry('MissedIncCall', { Time: time }),
          entry('EndIncCall', { Time: time }),
          entry('CreateIncCall'),
          entry('MissedIncCall', { Detail: 'not json' }),
        ],
      }),
    );

    expect(response.FailedEntryCount).toBe(1);
    const [missed, ended, created, malformed] = response.Entries ?? [];
    for (const accepted of [missed, ended, created]) expect(accepted?.EventId).toMatch(UUID);
    expect(malformed).toEqual({ ErrorCode: 'MalformedDetail', ErrorMessage: expect.any(String) });

    const envelope = (id: string | undefined, hookType: string) => ({
      version: '0',
      id,
      'detail-type': hookType,
      source: SOURCE,
      account: '000000000000',
      time: '2021-01-28T11:15:22Z',
      region: REGION,
      resources: [],
      detail: detail(hookType),
    });
    expect(deliveries('MissedCalls')).toEqual([envelope(missed?.EventId, 'MissedIncCall')]);
    expect(deliveries('EndedCalls')).toEqual([envelope(ended?.EventId, 'EndIncCall')]);
    expect(bridge.stats()).toEqual({ received: 3, delivered: 2, unmatched: 1, failedEntries: 1 });
  });

  it('stamps an entry without Time with the current second', async () => {
    const { client, deliveries } = await startBridge();
    const before = Math.floor(Date.now() / 1000) * 1000;

    await client.send(new PutEventsCommand({ Entries: [entry('MissedIncCall')] }));

    const [delivered] = deliveries('MissedCalls');
    expect(delivered?.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Date.parse(delivered?.time ?? '')).toBeGreaterThanOrEqual(before);
  });

  it('fails entries the service would refuse, one by one', async () => {
    const { bridge, client } = await startBridge();

    const response = await client.send(
      new PutEventsCommand({
        Entries: [
          entry('MissedIncCall', { EventBusName: 'no-such-bus' }),
          entry('MissedIncCall', { Source: undefined }),
          entry('MissedIncCall', { Detail: '[1, 2]' }),
          entry('MissedIncCall', { EventBusName: `arn:aws:events:${REGION}:000000000000:event-bus/${BUS}` }),
        ],
      }),
    );

    expect(response.FailedEntryCount).toBe(3);
    expect(response.Entries?.map((e) => e.ErrorCode ?? 'accepted')).toEqual([
      'ResourceNotFoundException',
      'InvalidArgument',
      'MalformedDetail',
      'accepted',
    ]);
    expect(bridge.stats()).toMatchObject({ received: 1, delivered: 1, failedEntries: 3 });
  });

  it('refuses a call of more than 10 entries as a whole, with ValidationException', async () => {
    const { bridge, client } = await startBridge();
    const eleven = Array.from({ length: 11 }, () => entry('MissedIncCall'));

    await expect(client.send(new PutEventsCommand({ Entries: eleven }))).rejects.toMatchObject({
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
    });
    expect(bridge.stats()).toEqual({ received: 0, delivered: 0, unmatched: 0, failedEntries: 0 });
  });

  it('failNextCalls makes the next call fail with InternalException, then recovers', async () => {
    const { bridge, client, deliveries } = await startBridge();
    bridge.failNextCalls(1);

    await expect(
      client.send(new PutEventsCommand({ Entries: [entry('MissedIncCall')] })),
    ).rejects.toMatchObject({
      name: 'InternalException',
      $metadata: { httpStatusCode: 500 },
    });
    const retried = await client.send(new PutEventsCommand({ Entries: [entry('MissedIncCall')] }));

    expect(retried.FailedEntryCount).toBe(0);
    expect(deliveries('MissedCalls')).toHaveLength(1);
  });

  it('failNextEntries throttles the next valid entries only', async () => {
    const { bridge, client, deliveries } = await startBridge();
    bridge.failNextEntries(1);

    const response = await client.send(
      new PutEventsCommand({
        Entries: [entry('MissedIncCall', { Detail: '{' }), entry('MissedIncCall'), entry('EndIncCall')],
      }),
    );

    expect(response.Entries?.map((e) => e.ErrorCode ?? 'accepted')).toEqual([
      'MalformedDetail',
      'ThrottlingException',
      'accepted',
    ]);
    expect(deliveries('MissedCalls')).toEqual([]);
    expect(deliveries('EndedCalls')).toHaveLength(1);
  });

  it('with detail-types, fails only the entries, and the calls, that carry one of them', async () => {
    const { bridge, client, deliveries } = await startBridge();
    bridge.failNextEntries(2, ['EndIncCall']);
    const send = (hookTypes: string[]) =>
      client.send(new PutEventsCommand({ Entries: hookTypes.map((hookType) => entry(hookType)) }));
    const codes = async (hookTypes: string[]) =>
      ((await send(hookTypes)).Entries ?? []).map((e) => e.ErrorCode ?? 'accepted');

    expect(await codes(['MissedIncCall', 'EndIncCall', 'MissedIncCall', 'EndIncCall', 'EndIncCall'])).toEqual(
      ['accepted', 'ThrottlingException', 'accepted', 'ThrottlingException', 'accepted'],
    );
    expect(bridge.stats().failedEntries).toBe(2);

    bridge.failNextCalls(1, ['EndIncCall']);
    expect(await codes(['MissedIncCall'])).toEqual(['accepted']);
    await expect(send(['MissedIncCall', 'EndIncCall'])).rejects.toMatchObject({ name: 'InternalException' });
    expect(await codes(['MissedIncCall', 'EndIncCall'])).toEqual(['accepted', 'accepted']);
    expect(deliveries('MissedCalls')).toHaveLength(4);
    expect(deliveries('EndedCalls')).toHaveLength(2);
  });

  it('calls onDelivery once per delivery; its line names rule, detail-type and SessionID only', async () => {
    const calls: [string, EventEnvelope][] = [];
    const { client } = await startBridge((rule, event) => calls.push([rule, event]));

    await client.send(new PutEventsCommand({ Entries: [entry('MissedIncCall'), entry('CreateIncCall')] }));

    expect(calls.map(([rule, event]) => formatDelivery(rule, event))).toEqual([
      '→ MissedCalls MissedIncCall session-MissedIncCall',
    ]);
  });

  it('answers any other operation with UnknownOperationException', async () => {
    const { bridge } = await startBridge();

    const response = await fetch(bridge.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.CreateEventBus' },
      body: '{}',
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(await response.json()).toEqual({
      __type: 'UnknownOperationException',
      message: expect.any(String),
    });
  });
});

describe('local EventBridge: the events file', () => {
  async function startWithEventsFile(maxFileBytes?: number) {
    const dir = mkdtempSync(join(tmpdir(), 'local-eventbridge-events-'));
    const bridge = await startLocalEventBridge({
      port: 0,
      rules: RULES,
      buses: [BUS],
      deliveriesDir: join(dir, 'deliveries'),
      eventsFile: join(dir, 'events.ndjson'),
      region: REGION,
      ...(maxFileBytes === undefined ? {} : { maxFileBytes }),
    });
    started.push({ bridge, dir });
    const client = new EventBridgeClient({
      endpoint: bridge.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const lines = (file: string): EventEnvelope[] =>
      existsSync(join(dir, file))
        ? readFileSync(join(dir, file), 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as EventEnvelope)
        : [];
    return { client, lines };
  }

  it('holds every accepted event, routed or not, in order; a failed entry is not an event', async () => {
    const { client, lines } = await startWithEventsFile();

    const response = await client.send(
      new PutEventsCommand({
        Entries: [entry('CreateIncCall'), entry('MissedIncCall'), entry('EndIncCall', { Detail: 'nope' })],
      }),
    );

    const ids = (response.Entries ?? []).slice(0, 2).map((e) => e.EventId);
    expect(lines('events.ndjson').map((e) => [e.id, e['detail-type']])).toEqual([
      [ids[0], 'CreateIncCall'],
      [ids[1], 'MissedIncCall'],
    ]);
    expect(lines('deliveries/MissedCalls.ndjson').map((e) => e.id)).toEqual([ids[1]]);
  });

  it('rotates the events and deliveries files past maxFileBytes, keeping whole lines', async () => {
    const size = Buffer.byteLength(`${JSON.stringify({ ...detail('MissedIncCall') })}\n`) + 300;
    const { client, lines } = await startWithEventsFile(2 * size);

    for (let i = 0; i < 5; i++)
      await client.send(new PutEventsCommand({ Entries: [entry('MissedIncCall')] }));

    const all = [...lines('events.ndjson.1'), ...lines('events.ndjson')];
    expect(lines('events.ndjson.1').length).toBeGreaterThan(0);
    expect(all.length).toBeLessThan(5);
    expect(all.every((e) => e['detail-type'] === 'MissedIncCall')).toBe(true);
    expect(lines('deliveries/MissedCalls.ndjson.1').length).toBeGreaterThan(0);
  });
});
