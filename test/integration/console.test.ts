/**
 * The local table console (dynamodb-admin) against DynamoDB Local: it serves the tables as HTML on
 * 127.0.0.1, refuses every write unless --writable (the tables and items intact), follows local
 * mode when it stops and comes back elsewhere, and `npm run console` prints each table's URL,
 * Calls first.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { freePort } from '../../local/dynamodb-local';
import { type RuntimeFile, writeRuntimeFile } from '../../local/runtime-file';
import { main, type RunningConsole, startConsole } from '../../scripts/console';

const client = new DynamoDBClient({});
const suffix = randomUUID().slice(0, 8);
const tables = {
  calls: `Calls-console-${suffix}`,
  callEvents: `CallEvents-console-${suffix}`,
  rejectedEvents: `RejectedCallEvents-console-${suffix}`,
};
const table = tables.callEvents;
const running: RunningConsole[] = [];
let dir: string;

beforeAll(async () => {
  for (const name of Object.values(tables))
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'SessionID', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'SessionID', KeyType: 'HASH' }],
      }),
    );
  dir = mkdtempSync(join(tmpdir(), 'console-'));
});

beforeEach(async () => {
  await client.send(new PutItemCommand({ TableName: table, Item: { SessionID: { S: 'keep-me' } } }));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

afterAll(async () => {
  for (const name of Object.values(tables)) await client.send(new DeleteTableCommand({ TableName: name }));
  client.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function endpoint(): string {
  const value = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  if (!value) throw new Error('AWS_ENDPOINT_URL_DYNAMODB is not set: run with the integration project');
  return value;
}

async function serve(options: Partial<Parameters<typeof startConsole>[0]> = {}): Promise<RunningConsole> {
  const ui = await startConsole({ dynamodbEndpoint: endpoint(), port: 0, ...options });
  running.push(ui);
  return ui;
}

const itemOf = async (id: string) =>
  (await client.send(new GetItemCommand({ TableName: table, Key: { SessionID: { S: id } } }))).Item;
const itemKept = async () => (await itemOf('keep-me')) !== undefined;
const tableKept = async () =>
  (await client.send(new DescribeTableCommand({ TableName: table }))).Table?.TableName === table;

/** Every request of dynamodb-admin's routes that writes: create, put, delete, purge. */
// Each row has all three values: jest takes a test function with more parameters for one that calls done().
const WRITES: [string, string, object | undefined][] = [
  ['DELETE', `tables/${table}/all`, undefined],
  ['DELETE', `tables/${table}`, undefined],
  ['DELETE', `tables/${table}/items/keep-me`, undefined],
  ['PUT', `tables/${table}/items/keep-me`, { SessionID: 'keep-me', Changed: true }],
  ['PUT', `tables/${table}/add-item`, { SessionID: 'new-one' }],
  [
    'POST',
    'create-table',
    { TableDefinition: { TableName: 'Made', HashAttributeName: 'id', HashAttributeType: 'S' } },
  ],
];
/**
 * The two that act on every table, asked of a console whose endpoint answers nothing: should the
 * refusal ever fail, the test fails (no answer from DynamoDB) instead of wiping the other tests' tables.
 */
const WRITES_TO_ALL: [string, string][] = [
  ['DELETE', 'tables-purge'],
  ['DELETE', 'tables'],
];

describe('npm run console', () => {
  it('serves the tables of DynamoDB Local as HTML on 127.0.0.1, the root listing them, then stops', async () => {
    const port = await freePort();
    const ui = await startConsole({ dynamodbEndpoint: endpoint(), port });
    expect(ui.url).toBe(`http://127.0.0.1:${port}/`);

    const response = await fetch(ui.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    for (const name of Object.values(tables)) expect(html).toContain(name);
    const calls = await fetch(`${ui.url}tables/${tables.calls}`);
    expect(calls.status).toBe(200);

    await ui.close();
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });

  it.each(WRITES)(
    'is read-only by default: %s /%s is refused with a page saying so',
    async (method, path, json) => {
      const ui = await serve();
      const response = await fetch(`${ui.url}${path}`, {
        method,
        ...(json ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) } : {}),
      });
      expect(response.status).toBe(403);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const page = await response.text();
      expect(page).toContain('Read-only console');
      expect(page).toContain('Nothing was changed.');
      expect(page).toContain('npm run console -- --writable');
      expect([await tableKept(), await itemOf('keep-me'), await itemOf('new-one')]).toEqual([
        true,
        { SessionID: { S: 'keep-me' } },
        undefined,
      ]);
      expect((await client.send(new ListTablesCommand({}))).TableNames).not.toContain('Made');
    },
  );

  it.each(WRITES_TO_ALL)('refuses %s /%s too, before DynamoDB is asked anything', async (method, path) => {
    const ui = await serve({ dynamodbEndpoint: `http://127.0.0.1:${await freePort()}` });
    const response = await fetch(`${ui.url}${path}`, { method });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('npm run console -- --writable');
  });

  it('with --writable, lets a delete through', async () => {
    const ui = await serve({ writable: true });
    const response = await fetch(`${ui.url}tables/${table}/items/keep-me`, { method: 'DELETE' });
    expect(response.status).toBe(204);
    expect(await itemKept()).toBe(false);
    expect(await tableKept()).toBe(true);
  });

  it('follows local mode: a page while it is not running, the tables again once it is back elsewhere', async () => {
    let now: string | undefined;
    const ui = await serve({ dynamodbEndpoint: () => now });
    const stopped = await fetch(ui.url);
    expect(stopped.status).toBe(503);
    expect(await stopped.text()).toContain('local mode is not running (start it with npm start)');
    // Back on a port where nothing answers yet, then where DynamoDB Local is: a new client each time.
    now = `http://127.0.0.1:${await freePort()}`;
    expect((await fetch(ui.url)).status).toBe(500);
    now = endpoint();
    const back = await fetch(ui.url);
    expect(back.status).toBe(200);
    expect(await back.text()).toContain(tables.calls);
  });

  it('says which port is taken', async () => {
    const ui = await serve();
    const port = Number(new URL(ui.url).port);
    await expect(startConsole({ dynamodbEndpoint: endpoint(), port })).rejects.toThrow(
      `Port ${port} is in use: pass --port N or set CONSOLE_PORT`,
    );
  });

  it("prints the URL of each of local mode's tables, Calls first; says when local mode is not running", async () => {
    const runtimeFile = join(dir, 'runtime.json');
    const runtime: RuntimeFile = {
      pid: process.pid,
      webhookUrl: 'http://127.0.0.1:3000/call-events',
      token: 't',
      region: 'us-east-1',
      dynamodbEndpoint: endpoint(),
      eventbridgeEndpoint: 'http://127.0.0.1:4010',
      tables,
      deliveriesDir: dir,
      eventsFile: join(dir, 'events.ndjson'),
      timeZone: 'Europe/Moscow',
      eventBusName: 'call-events',
      eventSource: 'telephony.call-events',
      defaultCountry: 'RU',
    };
    writeRuntimeFile(runtimeFile, runtime);
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      out: (l: string) => out.push(l),
      err: (l: string) => err.push(l),
      env: {},
      runtimeFile,
      onStarted: (r: RunningConsole) => running.push(r),
    };
    expect(await main(['--port', '0'], io)).toBe(0);
    expect(err).toEqual([]);
    const url = running[0]?.url as string;
    expect(out).toEqual([
      `DynamoDB console: ${url}  (local mode's DynamoDB Local; read-only (--writable to change data))`,
      `  ${url}tables/${tables.calls}`,
      `  ${url}tables/${tables.callEvents}`,
      `  ${url}tables/${tables.rejectedEvents}`,
    ]);
    expect((await fetch(`${url}tables/${tables.calls}`)).status).toBe(200);
    expect((await fetch(`${url}tables/${table}/all`, { method: 'DELETE' })).status).toBe(403);

    // Stopped: the page says so at once, and so does a new start of the console.
    writeRuntimeFile(runtimeFile, { ...runtime, stoppedAt: new Date().toISOString() });
    expect((await fetch(url)).status).toBe(503);
    const again = { ...io, err: (l: string) => err.push(l), onStarted: () => {} };
    expect(await main([], again)).toBe(1);
    expect(err).toEqual(['local mode is not running (start it with npm start)']);
  });
});
