/**
 * The replay and recovery tools against a running local mode: `republish` sends a call's stored
 * events to the local EventBridge again, exactly as the publisher built them; `requeue-rejected`
 * re-submits quarantined bodies through the current contract, into the stream like new events.
 */
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { INGEST_ENV, PUBLISH_ENV } from '../../lambda/config/environment';
import type { RejectedCallEvent } from '../../lambda/ingest/store';
import { LOCAL_AWS_ENV } from '../../local/dynamodb-local';
import type { EventEnvelope } from '../../local/eventbridge/server';
import { runtimeFileOf, writeRuntimeFile } from '../../local/runtime-file';
import { localDateOf, requiredPeriod, wholeSecondUtc } from '../../scripts/lib/period-args';
import { republish, timeRange } from '../../scripts/lib/replay';
import { daysBetween, requeueRejected } from '../../scripts/lib/requeue';
import { acceptedEvents, runScenario, type Scenario, scenarios } from '../../scripts/lib/scenarios';
import { type RepublishIo, main as republishMain } from '../../scripts/republish';
import { type RequeueIo, main as requeueMain } from '../../scripts/requeue-rejected';
import { startTestRuntime, type TestRuntime } from '../support/test-runtime';

let t: TestRuntime;
let runtimeFile: string;
let eventBridge: EventBridgeClient;
let missed: Scenario;
let stored: Record<string, unknown>[];

const received = () => t.runtime.eventBridge.stats().received;

function publishDeps() {
  return {
    putEvents: (entries: NonNullable<ConstructorParameters<typeof PutEventsCommand>[0]['Entries']>) =>
      eventBridge.send(new PutEventsCommand({ Entries: entries })),
    eventBusName: t.runtime.environments.publish[PUBLISH_ENV.eventBusName] as string,
    source: t.runtime.environments.publish[PUBLISH_ENV.eventSource] as string,
    logger: { debug: () => {}, warn: () => {}, error: () => {} },
  };
}

/** An io for either CLI, reading the test's runtime file. */
function capture(): { io: RepublishIo & RequeueIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, runtimeFile }, out, err };
}

const plusSeconds = (iso: string, s: number) =>
  new Date(Date.parse(iso) + s * 1000).toISOString().replace('.000Z', 'Z');

beforeAll(async () => {
  t = await startTestRuntime();
  eventBridge = new EventBridgeClient({
    endpoint: t.runtime.eventbridgeEndpoint,
    region: t.runtime.region,
    credentials: {
      accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID,
      secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY,
    },
  });
  // What `npm start` writes, for the CLIs' defaults.
  runtimeFile = join(t.runtime.stateDir, 'runtime.json');
  writeRuntimeFile(runtimeFile, runtimeFileOf(t.runtime));

  [missed] = scenarios({ timeZone: t.timeZone, names: ['missed'] }) as [Scenario];
  const played = await runScenario(missed, { url: t.runtime.webhookUrl, token: t.runtime.token });
  if (!played.ok) throw new Error('the missed-call scenario was not answered as expected');
  await t.runtime.drained(60_000);
  stored = await t.stored(missed.sessionId);
}, 180_000);

afterAll(async () => {
  eventBridge?.destroy();
  await t?.stop();
});

describe('republish', () => {
  it('re-publishes a call’s stored events in the range, once each, as the publisher built them', async () => {
    expect(stored).toHaveLength(acceptedEvents(missed).length);
    const times = stored.map((item) => item.EventTime as string).sort();
    const range = timeRange(new Date(times[0] as string), new Date(plusSeconds(times.at(-1) as string, 1)));
    const before = received();
    const [original] = t.deliveries('MissedIncCall', missed.sessionId);

    const report = await republish({
      doc: t.doc,
      table: t.runtime.tables.callEvents,
      range,
      sessionId: missed.sessionId,
      publish: publishDeps(),
    });

    expect(report).toMatchObject({
      method: 'query',
      found: stored.length,
      published: stored.length,
      failed: [],
    });
    expect(received()).toBe(before + stored.length);
    const again = t.deliveries('MissedIncCall', missed.sessionId);
    expect(again).toHaveLength(2);
    // Same entry as the stream publisher's: same source, detail-type, time and detail (EventId included).
    const { id: _a, ...first } = original as EventEnvelope;
    const { id: _b, ...second } = again[1] as EventEnvelope;
    expect(second).toEqual(first);
  });

  it('leaves out events at or after --to; a dry run counts and publishes nothing', async () => {
    const times = stored.map((item) => item.EventTime as string).sort();
    const last = times.at(-1) as string;
    const before = received();
    const report = await republish({
      doc: t.doc,
      table: t.runtime.tables.callEvents,
      range: timeRange(new Date(times[0] as string), new Date(last)),
      sessionId: missed.sessionId,
      dryRun: true,
      publish: publishDeps(),
    });
    expect(report.found).toBe(times.filter((t) => t < last).length);
    expect(report.found).toBeLessThan(stored.length);
    expect(report.published).toBe(0);
    expect(received()).toBe(before);
  });

  it('finds the same events with a Scan filtered on EventTime when no SessionID is given', async () => {
    const times = stored.map((item) => item.EventTime as string).sort();
    const report = await republish({
      doc: t.doc,
      table: t.runtime.tables.callEvents,
      range: timeRange(new Date(times[0] as string), new Date(plusSeconds(times.at(-1) as string, 1))),
      dryRun: true,
      publish: publishDeps(),
    });
    expect(report.method).toBe('scan');
    expect(report.found).toBe(stored.length);
    expect(report.scanned).toBeGreaterThanOrEqual(stored.length);
  });

  it('CLI: npm run republish -- --from --to --session, against the local mode of .local/runtime.json', async () => {
    const times = stored.map((item) => item.EventTime as string).sort();
    const before = received();
    const { io, out, err } = capture();
    const code = await republishMain(
      [
        '--from',
        times[0] as string,
        '--to',
        plusSeconds(times.at(-1) as string, 1),
        '--session',
        missed.sessionId,
      ],
      io,
    );
    expect({ code, err }).toEqual({ code: 0, err: [] });
    expect(out.at(-1)).toBe(`found ${stored.length}, published ${stored.length}, failed 0`);
    expect(received()).toBe(before + stored.length);
  });

  it("CLI: a date is a whole day of local mode's zone, --to's day included", async () => {
    // The call was played just now: its local days (one, unless it crossed midnight) in local mode's zone.
    const times = stored.map((item) => new Date(item.EventTime as string)).sort((a, b) => +a - +b);
    const [first, last] = [times[0] as Date, times.at(-1) as Date].map((d) => localDateOf(d, t.timeZone)) as [
      string,
      string,
    ];
    const { io, out, err } = capture();
    const argv = ['--from', first, '--to', last, '--session', missed.sessionId, '--dry-run'];
    expect(await republishMain(argv, io)).toBe(0);
    expect(err).toEqual([]);
    const period = requiredPeriod({ from: first, to: last }, t.timeZone);
    expect(out[0]).toContain(`[${wholeSecondUtc(period.from)}, ${wholeSecondUtc(period.to)})`);
    expect(out.at(-1)).toBe(`found ${stored.length} (dry run: nothing published)`);
  });

  it('CLI: refuses a time without a zone, in one line', async () => {
    const { io, err } = capture();
    expect(await republishMain(['--from', '2021-01-28T00:00:00', '--to', '2021-01-29'], io)).toBe(1);
    expect(err).toEqual([
      'npm run republish: --from: 2021-01-28T00:00:00 has no time zone: add Z (UTC) or an offset such as +03:00 (see npm run republish -- --help)',
    ]);
  });

  it('CLI: says local mode is not running once it has stopped, and how to reach AWS instead', async () => {
    const stoppedFile = join(t.runtime.stateDir, 'stopped-runtime.json');
    writeRuntimeFile(stoppedFile, { ...runtimeFileOf(t.runtime), stoppedAt: new Date().toISOString() });
    const { io, err } = capture();
    expect(
      await republishMain(['--from', '2021-01-28', '--to', '2021-01-29'], {
        ...io,
        runtimeFile: stoppedFile,
      }),
    ).toBe(1);
    expect(err).toEqual([
      'local mode is not running (start it with npm start), or pass --aws --table NAME --bus NAME',
    ]);
    const requeue = capture();
    expect(await requeueMain([], { ...requeue.io, runtimeFile: stoppedFile })).toBe(1);
    expect(requeue.err).toEqual([
      'local mode is not running (start it with npm start), or pass --aws --table NAME --rejected-table NAME',
    ]);
  });
});

describe('requeue-rejected', () => {
  let fixed: { SessionID: string; Body: string; ReceivedAt: string; RejectedKey: string };
  let invalidBody: string;
  let since: Date;

  beforeAll(async () => {
    since = new Date(Date.now() - 60_000);
    // Quarantined by the webhook itself: a body the contract rejects today (30 February).
    const [malformed] = scenarios({ timeZone: t.timeZone, names: ['malformed'] }) as [Scenario];
    const february30 = malformed.requests.find((r) => r.label.includes('30 February'));
    if (!february30) throw new Error('no 30 February request in the malformed scenario');
    invalidBody = february30.body;
    const response = await fetch(t.runtime.webhookUrl, {
      method: 'POST',
      headers: { 'x-webhook-token': t.runtime.token },
      body: invalidBody,
    });
    expect(response.status).toBe(400);

    // A valid body that storage refused at the time ('unstorable'): written as the ingest writes it.
    const [call] = scenarios({ timeZone: t.timeZone, names: ['outgoing-answered'] }) as [Scenario];
    const receivedAt = new Date(Date.now() - 30_000);
    const body = call.requests[0]?.body as string;
    fixed = {
      SessionID: call.sessionId,
      Body: body,
      ReceivedAt: receivedAt.toISOString(),
      RejectedKey: `${receivedAt.toISOString()}#requeue-test-unstorable`,
    };
    const item: RejectedCallEvent = {
      RejectedOn: receivedAt.toISOString().slice(0, 10),
      RejectedKey: fixed.RejectedKey,
      RequestId: 'requeue-test-unstorable',
      ReceivedAt: fixed.ReceivedAt,
      Reason: 'unstorable',
      Issues: [{ path: '', message: 'The event cannot be stored as sent' }],
      Body: body,
      BodyEncoding: 'utf8',
      BodyBytes: Buffer.byteLength(body),
      Truncated: false,
      SessionID: call.sessionId,
      HookType: 'CreateOutCall',
    };
    const truncated: RejectedCallEvent = {
      ...item,
      RejectedKey: `${receivedAt.toISOString()}#requeue-test-too-large`,
      RequestId: 'requeue-test-too-large',
      Reason: 'too-large',
      Body: body.slice(0, 20),
      Truncated: true,
    };
    for (const Item of [item, truncated]) {
      await t.doc.send(new PutCommand({ TableName: t.runtime.tables.rejectedEvents, Item }));
    }
    await t.runtime.drained(60_000);
  });

  const options = () => ({
    doc: t.doc,
    tables: t.runtime.tables,
    timeZone: t.runtime.environments.ingest[INGEST_ENV.timeZone] as string,
    since,
  });

  it('stores the body the contract accepts now; it is published once the stream drains', async () => {
    const before = received();
    const report = await requeueRejected(options());

    expect(report.counts).toEqual({
      accepted: 1,
      duplicate: 0,
      'still-invalid': 1,
      'not-resubmittable': 1,
      error: 0,
    });
    const accepted = report.items.find((r) => r.outcome === 'accepted');
    expect(accepted).toMatchObject({ originalReason: 'unstorable', SessionID: fixed.SessionID });
    const invalid = report.items.find((r) => r.outcome === 'still-invalid');
    expect(invalid?.originalReason).toBe('contract');
    expect(invalid?.issues?.map((i) => i.path)).toContain('StartTime');

    const items = await t.stored(fixed.SessionID);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ RawBody: fixed.Body, ReceivedAt: fixed.ReceivedAt });
    expect(items[0]?.EventKey).toBe(accepted?.EventKey);
    await t.runtime.drained(60_000);
    expect(received()).toBe(before + 1);
  });

  it('finds it a duplicate when run again: nothing new stored or published', async () => {
    const before = received();
    const report = await requeueRejected(options());
    expect(report.counts).toMatchObject({ accepted: 0, duplicate: 1, 'still-invalid': 1 });
    await t.runtime.drained(60_000);
    expect(received()).toBe(before);
    expect(await t.stored(fixed.SessionID)).toHaveLength(1);
  });

  it('CLI: lists each item and keeps the quarantine; --delete-accepted removes only stored ones', async () => {
    const first = capture();
    expect(await requeueMain(['--since', since.toISOString()], first.io)).toBe(0);
    expect(first.err).toEqual([]);
    expect(first.out.some((l) => l.includes('= duplicate') && l.includes(fixed.RejectedKey))).toBe(true);
    expect(first.out.some((l) => l.includes('✗ still invalid') && l.includes('StartTime'))).toBe(true);
    expect(first.out.join('\n')).not.toContain(invalidBody);
    expect(first.out.at(-1)).toMatch(
      /3 quarantined item\(s\).*1 duplicate, 1 still invalid, 1 not resubmittable.*quarantine items kept/,
    );

    // --from is --since's new name: the same period.
    const second = capture();
    expect(await requeueMain(['--from', since.toISOString(), '--delete-accepted'], second.io)).toBe(0);
    expect(second.out.at(-1)).toMatch(/1 quarantine item\(s\) of stored events deleted/);
    const keys: unknown[] = [];
    for (const day of daysBetween(since, new Date())) {
      const { Items } = await t.doc.send(
        new QueryCommand({
          TableName: t.runtime.tables.rejectedEvents,
          KeyConditionExpression: 'RejectedOn = :d',
          ExpressionAttributeValues: { ':d': day },
        }),
      );
      keys.push(...(Items ?? []).map((i) => i.RejectedKey));
    }
    expect(keys).not.toContain(fixed.RejectedKey);
    expect(keys).toHaveLength(2);
  });
});
