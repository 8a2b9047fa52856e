/**
 * `npm run missed` and `npm run report` against DynamoDB Local with the stack's own Calls table
 * and indexes, holding the records the projector writes for the report's scripted day, the days
 * around it, and a few missed calls still waiting: the tools list and count exactly what the
 * pure functions say, reading only the items of the period asked for.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { DynamoDbCallsStore } from '../../lambda/calls/dynamodb-store';
import type { StoredCall } from '../../lambda/calls/store';
import { PROJECT_ENV } from '../../lambda/config/environment';
import type { RuntimeFile } from '../../local/runtime-file';
import { writeRuntimeFile } from '../../local/runtime-file';
import { callCentreReport, type ReportOptions } from '../../scripts/lib/report';
import { main as missed, type WaitingCall } from '../../scripts/missed';
import { main as report } from '../../scripts/report';
import { MOSCOW } from '../support/call-events';
import { incomingEvents, outgoingEvents, recordOf } from '../support/calls';
import { createLocalStack, type LocalStack } from '../support/local-stack';
import { A, B, DAY, projectScript } from '../support/report-day';

let stack: LocalStack;
let table: string;
let dir: string;
let runtimeFile: string;

/** Missed calls nobody returned, on days before the scripted one, in both cities. */
const waiting = [
  incomingEvents({
    id: 'wait-b',
    city: B,
    customer: '9031112233',
    start: '2021-01-25 08:00:00',
    missedAt: 30,
  }),
  incomingEvents({
    id: 'wait-a',
    city: A,
    customer: '9034445566',
    start: '2021-01-20 12:00:00',
    missedAt: 15,
  }),
].map(recordOf);
/** Calls at the edges of the scripted day, local midnight: the first is in it, the second not. */
const edges = [
  incomingEvents({
    id: 'edge-in',
    city: A,
    customer: '9037778899',
    start: '2021-01-28 00:00:00',
    rings: [{ employee: '80052002651', at: 1 }],
    answer: { employee: '80052002651', at: 4, talk: 30 },
  }),
  outgoingEvents({
    id: 'edge-out',
    city: A,
    employee: '80052002651',
    customer: '89037778899',
    start: '2021-01-29 00:00:00',
    ring: 5,
    talk: 20,
  }),
].map(recordOf);

/** What the table holds: the latest write of each call. */
let stored: StoredCall[];

beforeAll(async () => {
  stack = await createLocalStack();
  table = stack.environmentWith(PROJECT_ENV.callsTable)[PROJECT_ENV.callsTable] as string;
  const latest = new Map((await projectScript()).map((record) => [record.SessionID, record]));
  stored = [...latest.values(), ...waiting, ...edges];
  for (const record of stored) await stack.doc.send(new PutCommand({ TableName: table, Item: record }));

  dir = mkdtempSync(join(tmpdir(), 'calls-tools-'));
  runtimeFile = join(dir, 'runtime.json');
  const runtime: RuntimeFile = {
    pid: process.pid,
    webhookUrl: 'http://127.0.0.1:3000/call-events',
    token: 'unused',
    region: 'us-east-1',
    dynamodbEndpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB as string,
    eventbridgeEndpoint: 'http://127.0.0.1:4010',
    tables: { callEvents: 'unused', rejectedEvents: 'unused', calls: table },
    deliveriesDir: dir,
    eventsFile: join(dir, 'events.ndjson'),
    timeZone: MOSCOW,
    eventBusName: 'call-events',
    eventSource: 'telephony.call-events',
    defaultCountry: 'RU',
  };
  writeRuntimeFile(runtimeFile, runtime);
}, 60_000);

afterAll(() => {
  stack?.client.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What a read through the Calls read model returned, and how many items it read. */
async function readCalls(how: (calls: DynamoDbCallsStore) => Promise<StoredCall[]>) {
  const calls = new DynamoDbCallsStore(stack.doc, table);
  const records = await how(calls);
  return { records, itemsRead: calls.reads.itemsRead };
}

function captured() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {}, runtimeFile },
    out,
    err,
  };
}

const inPeriod = (options: ReportOptions) => (record: StoredCall) =>
  (options.from === undefined || record.Day >= options.from) &&
  (options.to === undefined || record.Day <= options.to) &&
  (options.cityNumber === undefined || record.CityNumber === options.cityNumber);

describe('the missed calls waiting for a callback', () => {
  /** The table's pending records, by EndedAt: what the tool must list. */
  const pending = (cityNumber?: string) =>
    stored
      .filter(
        (r) => r.CallbackStatus === 'pending' && (cityNumber === undefined || r.CityNumber === cityNumber),
      )
      .sort((a, b) => (a.EndedAt as string).localeCompare(b.EndedAt as string));
  const pendingIds = (cityNumber?: string) => pending(cityNumber).map((r) => r.SessionID);

  it('are exactly the pending ones, the longest-waiting first, read from the sparse index alone', async () => {
    expect(pendingIds()).toEqual(['wait-a', 'wait-b', 'in-12']);
    const read = await readCalls((calls) => calls.pendingCallbacks());
    expect(read.records).toEqual(pending());
    // The resolved missed calls of the table (in-3, in-5, in-7, in-9) are not in the index at all.
    expect(read.itemsRead).toBe(3);
  });

  it('of one city number', async () => {
    expect(
      (await readCalls((calls) => calls.pendingCallbacks({ cityNumber: A }))).records.map((r) => r.SessionID),
    ).toEqual(pendingIds(A));
    expect(pendingIds(A)).toEqual(['wait-a', 'in-12']);
    expect(
      (await readCalls((calls) => calls.pendingCallbacks({ cityNumber: B }))).records.map((r) => r.SessionID),
    ).toEqual(['wait-b']);
  });

  it('npm run missed -- --json prints them with how long each has waited', async () => {
    const now = new Date('2021-02-01T00:00:00Z');
    const { io, out, err } = captured();
    expect(await missed(['--json', '--city-number', A, '--table', table], { ...io, now: () => now })).toBe(0);
    expect(err).toEqual([]);
    const calls = JSON.parse(out.join('\n')) as WaitingCall[];
    expect(calls.map((c) => [c.SessionID, c.CustomerNumber, c.WaitingSeconds])).toEqual(
      ['wait-a', 'in-12'].map((id) => {
        const record = stored.find((r) => r.SessionID === id) as StoredCall;
        return [id, record.CustomerNumber, (now.getTime() - Date.parse(record.EndedAt as string)) / 1000];
      }),
    );
  });

  it('npm run missed -- --city-number in any format, --from and --to on when they ended', async () => {
    const ids = async (...argv: string[]) => {
      const { io, out, err } = captured();
      expect(await missed([...argv, '--json'], io)).toBe(0);
      expect(err).toEqual([]);
      return (JSON.parse(out.join('\n')) as WaitingCall[]).map((c) => c.SessionID);
    };
    expect(await ids('--city-number', '+7 495 066 53 10')).toEqual(pendingIds(A));
    // The local days of Moscow: wait-a ended on 2021-01-20, wait-b on 2021-01-25, in-12 on the 28th.
    expect(await ids('--from', '2021-01-21', '--to', '2021-01-27')).toEqual(['wait-b']);
    expect(await ids('--from', '2021-01-25')).toEqual(['wait-b', 'in-12']);
    expect(await ids('--to', '2021-01-20')).toEqual(['wait-a']);
  });

  it('npm run missed prints them as a table, oldest first', async () => {
    const { io, out } = captured();
    expect(
      await missed(['--aws', '--table', table], { ...io, now: () => new Date('2021-01-28T16:00:50Z') }),
    ).toBe(0);
    const rows = out
      .join('\n')
      .split('\n')
      .slice(2, 5)
      .map((line) => line.split(/\s{2,}/).slice(1, 5));
    expect(rows).toEqual([
      ['8 d 7 h', '+79034445566', A, 'wait-a'],
      ['3 d 11 h', '+79031112233', B, 'wait-b'],
      ['1 h 0 min', '+79167777777', A, 'in-12'],
    ]);
  });
});

describe('the report', () => {
  it.each([
    ['the scripted day', DAY],
    ['the scripted day, one city number', { ...DAY, cityNumber: A }],
    ['the scripted day, the other city number', { ...DAY, cityNumber: B }],
    ['three days', { from: '2021-01-27', to: '2021-01-29' }],
    ['three days, one city number', { from: '2021-01-27', to: '2021-01-29', cityNumber: A }],
  ])('over %s is the pure report of the records, read through an index item by item', async (_, options) => {
    const read = await readCalls((calls) => calls.callsOfPeriod({ ...options, timeZone: MOSCOW }));
    const ofPeriod = stored.filter(inPeriod(options));
    expect(read.itemsRead).toBe(ofPeriod.length);
    expect(read.itemsRead).toBeLessThan(stored.length);
    expect(read.records.map((r) => r.SessionID).sort()).toEqual(ofPeriod.map((r) => r.SessionID).sort());
    expect(callCentreReport(read.records, options)).toStrictEqual(callCentreReport(stored, options));
  });

  it('counts a call that starts at local midnight in the day that begins then', async () => {
    const read = await readCalls((calls) => calls.callsOfPeriod({ ...DAY, cityNumber: A, timeZone: MOSCOW }));
    const ids = read.records.map((r) => r.SessionID);
    expect(ids).toContain('edge-in');
    expect(ids).not.toContain('edge-out');
    expect(ids).not.toContain('in-0');
    const next = await readCalls((calls) =>
      calls.callsOfPeriod({
        from: '2021-01-29',
        to: '2021-01-29',
        timeZone: MOSCOW,
      }),
    );
    expect(next.records.map((r) => r.SessionID).sort()).toEqual(['edge-out', 'out-8']);
  });

  it('reads and returns once a call that two pages of a keys-only index both name', async () => {
    // An entry whose index sort key changed while the pages were read can be met twice; the
    // client below repeats each page's first key in the next page, as such a move would.
    let previousFirst: Record<string, unknown> | undefined;
    const batchKeys: number[] = [];
    const doc = {
      send: async (command: { input: Record<string, unknown> } & object) => {
        const answer = (await stack.doc.send(command as never)) as Record<string, unknown>;
        if (command instanceof QueryCommand) {
          const items = (answer.Items ?? []) as Record<string, unknown>[];
          const first = items[0];
          if (previousFirst) items.unshift(previousFirst);
          previousFirst = first;
        }
        if (command instanceof BatchGetCommand)
          batchKeys.push(
            ...Object.values(
              command.input.RequestItems as Record<string, { Keys: Record<string, unknown>[] }>,
            ).map((request) => request.Keys.length),
          );
        return answer;
      },
    } as unknown as DynamoDBDocumentClient;
    const calls = new DynamoDbCallsStore(doc, table, { pageSize: 2 });
    const ids = (await calls.callsOfDay(DAY.from)).map((r) => r.SessionID);
    const expected = stored.filter(inPeriod(DAY)).map((r) => r.SessionID);
    expect(calls.reads.queries).toBeGreaterThan(2);
    expect([...ids].sort()).toEqual([...expected].sort());
    expect(batchKeys.reduce((a, b) => a + b, 0)).toBe(expected.length);
  });

  it('the scripted day has the figures worked out by hand in the unit tests, plus the midnight call', async () => {
    const { total } = callCentreReport(
      (await readCalls((calls) => calls.callsOfPeriod({ ...DAY, timeZone: MOSCOW }))).records,
      DAY,
    );
    expect([total.offered, total.answered, total.missed, total.outgoing, total.stuck]).toEqual([
      12, 5, 5, 3, 1,
    ]);
  });

  it('npm run report -- --json prints the report object; without, its tables under a title', async () => {
    const json = captured();
    expect(
      await report(
        [
          '--from',
          DAY.from,
          '--to',
          DAY.to,
          '--city-number',
          A,
          '--answer-within',
          '33',
          '--json',
          '--table',
          table,
        ],
        json.io,
      ),
    ).toBe(0);
    expect(json.err).toEqual([]);
    expect(JSON.parse(json.out.join('\n'))).toStrictEqual(
      callCentreReport(stored, { ...DAY, cityNumber: A, answerWithinSeconds: 33 }),
    );

    const text = captured();
    expect(await report(['--from', DAY.from, '--to', DAY.to, '--aws', '--table', table], text.io)).toBe(0);
    const lines = text.out.join('\n').split('\n');
    expect(lines[0]).toBe(
      `Calls of ${DAY.from} (${MOSCOW}), service level within 20 s; table ${table} (AWS)`,
    );
    expect(lines.find((l) => l.startsWith('Offered (incoming)'))?.split(/\s{2,}/)).toEqual([
      'Offered (incoming)',
      '12',
      '8',
      '4',
    ]);
  });

  it('npm run report -- --city-number takes the number in any format, as the projector reads numbers', async () => {
    const json = async (city: string) => {
      const { io, out, err } = captured();
      const code = await report(['--from', DAY.from, '--to', DAY.to, '--city-number', city, '--json'], io);
      expect({ code, err }).toEqual({ code: 0, err: [] });
      return JSON.parse(out.join('\n'));
    };
    const expected = callCentreReport(stored, { ...DAY, cityNumber: A });
    expect(expected.total.offered).toBeGreaterThan(0);
    for (const typed of [A, `8${A}`, '+7 (495) 066-53-10']) expect(await json(typed)).toStrictEqual(expected);
  });

  it('npm run report -- --from and --to as instants counts the calls that started in between, --to excluded', async () => {
    const [from, to] = ['2021-01-28T00:00:00+03:00', '2021-01-28T12:00:00+03:00'];
    const { io, out, err } = captured();
    expect(await report(['--from', from, '--to', to, '--json'], io)).toBe(0);
    expect(err).toEqual([]);
    const morning = stored.filter(
      (r) => r.StartedAt >= '2021-01-27T21:00:00Z' && r.StartedAt < '2021-01-28T09:00:00Z',
    );
    expect(morning.length).toBeGreaterThan(0);
    expect(morning.length).toBeLessThan(stored.filter(inPeriod(DAY)).length);
    expect(JSON.parse(out.join('\n'))).toStrictEqual(callCentreReport(morning));
  });

  it('says which table it could not read', async () => {
    const { io, err } = captured();
    expect(await report(['--from', DAY.from, '--to', DAY.to, '--table', 'NoSuchTable'], io)).toBe(1);
    expect(err).toEqual([
      expect.stringMatching(/^Cannot read table NoSuchTable \(local mode\): ResourceNotFoundException/),
    ]);
  });
});
