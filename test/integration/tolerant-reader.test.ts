/**
 * Real traffic over HTTP in local mode, with the stack deployed for a zone with daylight saving
 * (Europe/Berlin) and a retention: bodies a provider really sends are stored and published, never
 * quarantined for a technicality; an event's identity is its spec fields; `npm run calls` shows
 * same-second sequential ringing in order of arrival.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { specExamplePayload } from '../../lambda/contract/spec-examples';
import type { RejectedCallEvent } from '../../lambda/ingest/store';
import { runtimeFileOf, writeRuntimeFile } from '../../local/runtime-file';
import { main as callsMain } from '../../scripts/calls';
import { requeueRejected } from '../../scripts/lib/requeue';
import { isCallEvent, startTestRuntime, type TestRuntime } from '../support/test-runtime';

const RETENTION_DAYS = 30;
let t: TestRuntime;

beforeAll(async () => {
  t = await startTestRuntime({ context: { timeZone: 'Europe/Berlin', retentionDays: RETENTION_DAYS } });
}, 180_000);

afterAll(async () => {
  await t?.stop();
});

/** A spec example with its own SessionID and the given changes (undefined removes a field). */
function body(hookType: Parameters<typeof specExamplePayload>[0], changes: Record<string, unknown> = {}) {
  const event: Record<string, unknown> = {
    ...specExamplePayload(hookType),
    SessionID: randomUUID(),
    ...changes,
  };
  for (const [key, value] of Object.entries(changes)) if (value === undefined) delete event[key];
  return event;
}

/** The call events the bus received for one call, once the streams have drained (not its CallCompleted). */
async function published(sessionId: string) {
  await t.runtime.drained(60_000);
  return t.received.filter(
    (e) => isCallEvent(e) && (e.detail as { SessionID?: string }).SessionID === sessionId,
  );
}

async function quarantined(sessionId: string) {
  const { Items } = await t.doc.send(
    new QueryCommand({
      TableName: t.runtime.tables.rejectedEvents,
      KeyConditionExpression: 'RejectedOn = :d',
      ExpressionAttributeValues: { ':d': new Date().toISOString().slice(0, 10) },
    }),
  );
  return (Items ?? []).filter((item) => item.SessionID === sessionId);
}

describe('real traffic is accepted (200), stored and published', () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    [
      'null in optional fields',
      { Called: null, ResultCode: null, StartTime: null },
      ['Called', 'ResultCode', 'StartTime'],
    ],
    ['"" in an optional time', { StartTime: '' }, ['StartTime', 'StartTimeUtc']],
  ])('%s: the field is absent from the item and the detail; RawBody as sent', async (_, changes, absent) => {
    const event = body('MissedIncCall', changes);
    const text = JSON.stringify(event);
    const answer = await t.post(text);
    expect(answer).toMatchObject({ status: 200, json: { status: 'accepted' } });
    const [item] = await t.stored(event.SessionID as string);
    expect(item?.RawBody).toBe(text);
    const [envelope] = await published(event.SessionID as string);
    for (const field of absent) {
      expect(item).not.toHaveProperty(field);
      expect(envelope?.detail).not.toHaveProperty(field);
    }
  });

  it('null in a required field is still a 400 naming it, and the body is quarantined', async () => {
    const event = body('MissedIncCall', { Caller: null });
    const answer = await t.post(JSON.stringify(event));
    expect(answer.status).toBe(400);
    expect(answer.json.issues).toEqual([
      { path: 'Caller', message: 'Required: Caller, the calling party (got null)' },
    ]);
    expect(await quarantined(event.SessionID as string)).toHaveLength(1);
  });

  it('a body missing most of its fields is told each one, in the contract’s words and none of zod’s', async () => {
    const answer = await t.post(JSON.stringify({ HookType: 'EndIncCall', Duration: '26 s' }));
    expect(answer.status).toBe(400);
    expect(answer.json.issues).toEqual([
      { path: 'SessionID', message: "Required: SessionID, the call's identifier" },
      { path: 'EndTime', message: "Required: EndTime, the call's end" },
      {
        path: 'Duration',
        message: 'Must be an integer ≥ 0 or a string of digits: Duration, the conversation length in seconds',
      },
      {
        path: 'CityNumber',
        message: 'Required: CityNumber, the public multi-line number the call came to or went out from',
      },
      { path: 'Caller', message: 'Required: Caller, the calling party' },
    ]);
  });

  it('EndOutCall with EndTime and no StartTime: 200, its time EndTime; with neither: 400', async () => {
    const event = body('EndOutCall', { StartTime: undefined });
    const answer = await t.post(JSON.stringify(event));
    expect(answer).toMatchObject({ status: 200, json: { status: 'accepted' } });
    const [item] = await t.stored(event.SessionID as string);
    // 15:02:19 in Berlin in winter (CET, +1).
    expect(item).toMatchObject({ EventTime: '2021-01-28T14:02:19Z', EndTimeUtc: '2021-01-28T14:02:19Z' });
    const neither = body('EndOutCall', { StartTime: undefined, EndTime: null });
    const rejected = await t.post(JSON.stringify(neither));
    expect(rejected.status).toBe(400);
    expect(rejected.json.issues).toEqual([
      { path: 'EndTime', message: "Required: EndTime, the call's end, or StartTime, the call's start" },
    ]);
  });

  it('fields named like the service’s are kept in ProviderFields; the service’s attributes stay its own', async () => {
    const forged = {
      Direction: 'outgoing',
      EventTime: '1999-01-01T00:00:00Z',
      ExpiresAt: 1,
      EventKey: 'k',
      EventId: 'i',
    };
    const event = body('MissedIncCall', forged);
    const answer = await t.post(JSON.stringify(event));
    expect(answer).toMatchObject({ status: 200, json: { status: 'accepted' } });
    const [item] = await t.stored(event.SessionID as string);
    const receivedAt = Date.parse(item?.ReceivedAt as string);
    expect(item).toMatchObject({
      ProviderFields: forged,
      Direction: 'incoming',
      EventTime: '2021-01-28T17:34:51Z',
      EventKey: answer.json.eventKey,
      ExpiresAt: Math.floor(receivedAt / 1000) + RETENTION_DAYS * 86_400,
    });
    const [envelope] = await published(event.SessionID as string);
    expect(envelope?.detail).toMatchObject({
      ProviderFields: forged,
      Direction: 'incoming',
      EventId: `${event.SessionID}/${answer.json.eventKey}`,
    });
  });

  it('a UTF-8 byte-order mark before the JSON: 200, RawBody keeps it', async () => {
    const event = body('EndIncCall');
    const text = `\uFEFF${JSON.stringify(event)}`;
    expect(await t.post(text)).toMatchObject({ status: 200, json: { status: 'accepted' } });
    const [item] = await t.stored(event.SessionID as string);
    expect(item?.RawBody).toBe(text);
  });
});

describe('bodies an earlier version quarantined', () => {
  it('npm run requeue-rejected stores them now: a BOM, a service-named field, a null', async () => {
    const since = new Date(Date.now() - 1000);
    const bodies = [
      `\uFEFF${JSON.stringify(body('EndIncCall'))}`,
      JSON.stringify(body('EndIncCall', { Direction: 'in' })),
      JSON.stringify(body('EndIncCall', { Called: null })),
    ];
    for (const [i, text] of bodies.entries()) {
      const receivedAt = new Date();
      const item: RejectedCallEvent = {
        RejectedOn: receivedAt.toISOString().slice(0, 10),
        RejectedKey: `${receivedAt.toISOString()}#earlier-${i}`,
        RequestId: `earlier-${i}`,
        ReceivedAt: receivedAt.toISOString(),
        Reason: i === 0 ? 'invalid-json' : 'contract',
        Issues: [],
        Body: text,
        BodyEncoding: 'utf8',
        BodyBytes: Buffer.byteLength(text),
        Truncated: false,
      };
      await t.doc.send(new PutCommand({ TableName: t.runtime.tables.rejectedEvents, Item: item }));
    }
    const report = await requeueRejected({
      doc: t.doc,
      tables: t.runtime.tables,
      timeZone: 'Europe/Berlin',
      since,
    });
    const outcomes = report.items.filter((r) => r.RejectedKey.includes('#earlier-'));
    expect(outcomes.map((r) => r.outcome)).toEqual(['accepted', 'accepted', 'accepted']);
    for (const [i, text] of bodies.entries()) {
      const [stored] = await t.stored(outcomes[i]?.SessionID as string);
      expect(stored?.RawBody).toBe(text);
    }
  });
});

describe('what counts as the same event', () => {
  it('a re-send that differs only in fields the spec does not define is stored and published once', async () => {
    const event = body('MissedIncCall', { DeliveryAttempt: 1 });
    const first = await t.post(JSON.stringify(event));
    const again = await t.post(
      JSON.stringify({ ...event, DeliveryAttempt: 2, SentAt: 'now', Duration: '0', ResultCode: '603-S' }),
    );
    expect(first.json.status).toBe('accepted');
    expect(again.json).toEqual({ ...first.json, status: 'duplicate' });
    const items = await t.stored(event.SessionID as string);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ DeliveryAttempt: 1 });
    expect(await published(event.SessionID as string)).toHaveLength(1);
    expect(t.deliveries('MissedIncCall', event.SessionID as string)).toHaveLength(1);
  });
});

describe('daylight saving in Europe/Berlin', () => {
  it.each<[string, string, string]>([
    [
      'spring forward: 02:30 does not exist, read as 03:30 CEST',
      '2021-03-28 02:30:00',
      '2021-03-28T01:30:00Z',
    ],
    ['fall back: 02:30 happens twice, the earlier is taken', '2021-10-31 02:30:00', '2021-10-31T00:30:00Z'],
  ])('%s', async (_, local, utc) => {
    const event = body('CreateIncCall', { StartTime: local });
    expect((await t.post(JSON.stringify(event))).status).toBe(200);
    const [item] = await t.stored(event.SessionID as string);
    expect(item).toMatchObject({ StartTime: local, StartTimeUtc: utc, EventTime: utc });
  });
});

describe('npm run calls', () => {
  it('shows same-second sequential ringing in order of arrival: A’s attempt ends, then B’s begins', async () => {
    const sessionId = randomUUID();
    const at = '2021-01-28 14:15:40';
    const parties = { CityNumber: '4950665310', Caller: '9582412128' };
    const sent = [
      { HookType: 'CreateIncCall', StartTime: '2021-01-28 14:15:20', Called: '4950665310' },
      { HookType: 'AttemptIncCallBegin', StartTime: '2021-01-28 14:15:21', Called: '80050000001' },
      { HookType: 'AttemptIncCallEnd', EndTime: at, Called: '80050000001' },
      { HookType: 'AttemptIncCallBegin', StartTime: at, Called: '80050000002' },
      { HookType: 'ChangeIncCall', StartDuration: '2021-01-28 14:15:45', Called: '80050000002' },
    ];
    for (const event of sent) {
      const answer = await t.post(JSON.stringify({ SessionID: sessionId, ...parties, ...event }));
      expect(answer.status).toBe(200);
    }
    const stored = await t.stored(sessionId);
    // The key order (a Query's) puts B's begin first: rank 02 before 04.
    expect(stored.map((i) => `${i.HookType} ${i.Called}`).slice(2, 4)).toEqual([
      'AttemptIncCallBegin 80050000002',
      'AttemptIncCallEnd 80050000001',
    ]);

    const runtimeFile = join(mkdtempSync(join(tmpdir(), 'calls-')), 'runtime.json');
    writeRuntimeFile(runtimeFile, runtimeFileOf(t.runtime));
    const out: string[] = [];
    const io = {
      out: (s: string) => out.push(s),
      err: (s: string) => out.push(s),
      env: process.env,
      runtimeFile,
    };
    await t.runtime.drained(60_000);
    expect(await callsMain([sessionId], io)).toBe(0);
    // The record's summary (an open call, answered by B), then the timeline under its header.
    const all = out.join('\n').split('\n');
    expect(all[0]).toBe(`Call ${sessionId}  incoming  open`);
    expect(all).toContain('  Ring —  Talk —  Attempts 2: 80050000001 not answered, 80050000002 answered');
    const lines = all.slice(all.findIndex((line) => line.startsWith(`SessionID ${sessionId}`)) + 1);
    expect(lines.map((line) => line.replace(/^\S+\s+/, '').replace(/\s+/g, ' '))).toEqual(
      sent.map((e) => `${e.HookType} Called ${e.Called}`),
    );
    out.length = 0;
    expect(await callsMain([sessionId, '--json'], io)).toBe(0);
    expect((JSON.parse(out.join('\n')) as { HookType: string }[]).map((i) => i.HookType)).toEqual(
      sent.map((e) => e.HookType),
    );
  });
});
