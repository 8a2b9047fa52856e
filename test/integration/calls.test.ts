/** The call viewer against DynamoDB Local: one call's events in EventKey order, over all pages, as text and JSON. */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { CALL_EVENTS_KEYS } from '../../lambda/config/tables';
import { type CallEventRecord, parseCallEvent, toCallEventRecord } from '../../lambda/contract';
import { type CallsIo, main } from '../../scripts/calls';
import { acceptedEvents, type Scenario, scenarios } from '../../scripts/lib/scenarios';
import { queryCallEvents } from '../../scripts/lib/timeline';

const client = new DynamoDBClient({});
const doc = DynamoDBDocumentClient.from(client);
const table = `CallEvents-calls-${randomUUID().slice(0, 8)}`;
let parallel: Scenario;
let outgoing: Scenario;
let stored: CallEventRecord[];

/** The records the ingest would store for a scenario's accepted events, arriving 1 ms apart. */
function records(scenario: Scenario): CallEventRecord[] {
  const start = Date.now();
  return acceptedEvents(scenario).map((event, i) => {
    const parsed = parseCallEvent(event);
    if (!parsed.ok) throw new Error(`invalid event in ${scenario.name}`);
    return toCallEventRecord(parsed.event, {
      timeZone: 'Europe/Moscow',
      receivedAt: new Date(start + i),
      rawBody: JSON.stringify(event),
    });
  });
}

beforeAll(async () => {
  const { partitionKey, sortKey } = CALL_EVENTS_KEYS;
  await client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: partitionKey, AttributeType: 'S' },
        { AttributeName: sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: sortKey, KeyType: 'RANGE' },
      ],
    }),
  );
  [parallel, outgoing] = scenarios({
    timeZone: 'Europe/Moscow',
    names: ['parallel-answered', 'outgoing-busy'],
  }) as [Scenario, Scenario];
  stored = records(parallel);
  // Written last event first, with another call in between: the Query must put them back in order.
  for (const item of [...stored].reverse().concat(records(outgoing))) {
    await doc.send(new PutCommand({ TableName: table, Item: item }));
  }
}, 30_000);

afterAll(async () => {
  await client.send(new DeleteTableCommand({ TableName: table }));
  client.destroy();
});

function capture(): { io: CallsIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t) => out.push(t), err: (l) => err.push(l), env: process.env }, out, err };
}

describe('npm run calls against DynamoDB Local', () => {
  it('returns one call’s events in EventKey order, across pages', async () => {
    const items = await queryCallEvents(doc, table, parallel.sessionId, { pageSize: 3 });
    expect(items.map((item) => item.EventKey)).toEqual(stored.map((r) => r.EventKey).sort());
    expect(items.map((item) => item.HookType)).toEqual(parallel.requests.map((r) => r.label));
    expect(new Set(items.map((item) => item.SessionID))).toEqual(new Set([parallel.sessionId]));
  });

  it('prints the stored items as a JSON array with --json, RawBody included', async () => {
    const { io, out, err } = capture();
    expect(await main([parallel.sessionId, '--json', '--aws', '--table', table], io)).toBe(0);
    expect(err).toEqual([]);
    const printed = JSON.parse(out.join('\n')) as CallEventRecord[];
    // In timeline order: same-second attempts to different employees in order of arrival, as sent.
    expect(printed).toEqual(stored);
    expect(printed.map((item) => item.RawBody)).toEqual(parallel.requests.map((r) => r.body));
  });

  it('prints a timeline, one line per event, with the result of the call last', async () => {
    const { io, out } = capture();
    expect(await main([outgoing.sessionId, '--aws', '--table', table], io)).toBe(0);
    const lines = out.join('\n').split('\n');
    expect(lines[0]).toBe(
      `SessionID ${outgoing.sessionId}  outgoing call  Caller 80050000001  CityNumber 4950001000  (2 events)`,
    );
    expect(lines[1]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z {2}CreateOutCall {8}Called 89990004321$/);
    expect(lines[2]).toMatch(/EndOutCall {11}Called 89990004321 {2}Duration 0 s {2}ResultCode 486 \(Busy\)$/);
  });

  it('says so and exits 1 when no such call is stored', async () => {
    const { io, out, err } = capture();
    expect(await main(['no-such-call', '--aws', '--table', table], io)).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual([`No events stored for SessionID no-such-call in table ${table} (AWS)`]);
  });

  it('names the table it cannot read', async () => {
    const { io, err } = capture();
    expect(await main(['x', '--aws', '--table', 'NoSuchTable'], io)).toBe(1);
    expect(err[0]).toMatch(/^Cannot read table NoSuchTable \(AWS\): ResourceNotFoundException: /);
  });
});
