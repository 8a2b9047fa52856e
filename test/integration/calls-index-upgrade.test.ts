/**
 * The upgrade of the Calls table's indexes on DynamoDB Local: a table made with the earlier
 * indexes is taken through every step (`-c callsIndexStep`), its indexes changed as the step's
 * template has them (local mode's `alignIndexes`, which fills a new index from the items as
 * DynamoDB does), and at each step the functions (reading what their environment names) and the
 * tools (reading what the table has) find the same calls, and the projector settles call-backs.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbCallEvents, DynamoDbCallsStore } from '../../lambda/calls/dynamodb-store';
import { readAtStep, stepOfIndexes, UPGRADE_STEPS } from '../../lambda/calls/index-upgrade';
import { type ProjectDeps, projectCall } from '../../lambda/calls/project-calls';
import type { CallEventRecord } from '../../lambda/contract';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb-local';
import { synthesizeTemplate } from '../../local/synth';
import { alignIndexes } from '../../local/tables';
import { tableDefinitions } from '../../local/template';
import { main as indexes } from '../../scripts/indexes';
import { callsStoreOf, indexesOfTable } from '../../scripts/lib/calls-store';
import { CITY, incomingEvents, outgoingEvents } from '../support/calls';
import { createLocalStack, type LocalStack } from '../support/local-stack';

let stack: LocalStack;
let tables: { callEvents: string; calls: string };
let ddb: DynamoDbLocal;
const sharedEndpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB;

// A DynamoDB Local of its own: the tier's shared one holds the tables of every test before this
// one, and there an index took some 20 s to create, against 0.4 s in a new one (eight steps
// would outlast the test's two minutes).
beforeAll(async () => {
  ddb = await startDynamoDbLocal({ inMemory: true });
  process.env.AWS_ENDPOINT_URL_DYNAMODB = ddb.endpoint;
  stack = await createLocalStack({ callsIndexStep: 0 });
  tables = stack.callsTables();
}, 60_000);

afterAll(async () => {
  stack.client.destroy();
  await ddb.stop();
  process.env.AWS_ENDPOINT_URL_DYNAMODB = sharedEndpoint;
});

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const deps = (step: number): ProjectDeps => ({
  calls: new DynamoDbCallsStore(stack.doc, tables.calls, { indexes: readAtStep(step) }),
  events: new DynamoDbCallEvents(stack.doc, tables.callEvents),
  fold: { timeZone: 'Europe/Moscow', defaultCountry: 'RU' },
  callbackWindowHours: 72,
  now: () => new Date('2021-03-02T12:00:00Z'),
  logger: quiet,
  metrics: { addMetric: () => {} },
});

async function project(events: CallEventRecord[], step: number): Promise<void> {
  for (const e of events) await stack.doc.send(new PutCommand({ TableName: tables.callEvents, Item: e }));
  await projectCall(events[0]?.SessionID as string, deps(step));
}

const CUSTOMER = '89161234567';
const OTHER = '89169876543';
const DAY = '2021-03-01';

/** What each read finds, by SessionID. */
async function views(store: DynamoDbCallsStore) {
  const ids = (records: { SessionID: string }[]) => records.map((r) => r.SessionID);
  return {
    history: ids(await store.customerHistory('+79161234567')),
    candidates: ids(
      await store.customerCalls('+79161234567', '2021-03-01T00:00:00Z', '2021-03-02T00:00:00Z'),
    ),
    day: ids(await store.callsOfDay(DAY)),
    city: ids(
      await store.cityNumberCalls(CITY, { from: '2021-03-01T00:00:00Z', to: '2021-03-02T00:00:00Z' }),
    ),
    open: ids(await store.openCallsBefore('2021-03-02T12:00:00Z')),
    pending: ids(await store.pendingCallbacks()),
  };
}

/** What `npm run indexes -- --aws --wait` says of the table. */
async function nextDeploy(): Promise<string> {
  const out: string[] = [];
  const io = { out: (line: string) => out.push(line), err: (line: string) => out.push(line), env: {} };
  expect(await indexes(['--aws', '--wait', '--table', tables.calls], io)).toBe(0);
  return out.join('\n');
}

describe('the Calls table taken through every step of the index upgrade', () => {
  it('keeps every read finding the same calls, for the functions and the tools, and call-backs settled', async () => {
    await project(
      incomingEvents({ id: 'missed-a', customer: CUSTOMER, start: `${DAY} 10:00:00`, missedAt: 20 }),
      0,
    );
    await project(
      incomingEvents({ id: 'missed-b', customer: OTHER, start: `${DAY} 10:05:00`, missedAt: 15 }),
      0,
    );
    await project(
      outgoingEvents({
        id: 'back-a',
        employee: '0052002651',
        customer: CUSTOMER,
        start: `${DAY} 10:30:00`,
        ring: 5,
        talk: 40,
      }),
      0,
    );
    await project(
      incomingEvents({ id: 'open-c', customer: '89160001122', start: `${DAY} 11:00:00`, rings: [] }),
      0,
    );
    const expected = {
      history: ['back-a', 'missed-a'],
      candidates: ['missed-a', 'back-a'],
      day: ['missed-a', 'missed-b', 'back-a', 'open-c'],
      city: ['missed-a', 'missed-b', 'back-a', 'open-c'],
      open: ['open-c'],
      pending: ['missed-b'],
    };
    expect(await views(new DynamoDbCallsStore(stack.doc, tables.calls, { indexes: readAtStep(0) }))).toEqual(
      expected,
    );

    for (let step = 1; step <= UPGRADE_STEPS; step++) {
      const callsId = Object.keys(stack.tables).find((id) => stack.tables[id] === tables.calls);
      const definition = tableDefinitions(synthesizeTemplate({ callsIndexStep: step })).find(
        (table) => table.logicalId === callsId,
      );
      if (!definition) throw new Error('the template has no Calls table');
      await alignIndexes(stack.client, { ...definition.input, TableName: tables.calls });
      expect(stepOfIndexes((await indexesOfTable(stack.doc, tables.calls)).map((i) => i.name))).toBe(step);
      expect(await nextDeploy()).toContain(
        step < UPGRADE_STEPS
          ? `Next: npx cdk deploy -c callsIndexStep=${step + 1}`
          : 'deploy without callsIndexStep',
      );

      if (step === 3) {
        // Mid-way, the projector reading through this step's indexes settles a call-back.
        await project(
          outgoingEvents({
            id: 'back-b',
            employee: '0052002651',
            customer: OTHER,
            start: `${DAY} 12:00:00`,
            ring: 5,
            talk: 30,
          }),
          step,
        );
        expect(await deps(step).calls.getCall('missed-b')).toMatchObject({
          CallbackStatus: 'called-back',
          CallbackSessionID: 'back-b',
        });
        expected.day.push('back-b');
        expected.city.push('back-b');
        expected.pending = [];
      }
      const functions = new DynamoDbCallsStore(stack.doc, tables.calls, { indexes: readAtStep(step) });
      expect({ step, ...(await views(functions)) }).toEqual({ step, ...expected });
      expect({ step, ...(await views(await callsStoreOf(stack.doc, tables.calls))) }).toEqual({
        step,
        ...expected,
      });
    }

    const names = (await indexesOfTable(stack.doc, tables.calls)).map((i) => i.name).sort();
    expect(names).toEqual([
      'ByCityNumberV2',
      'ByCustomerNumberV2',
      'ByDayV2',
      'MissedCallsByCustomer',
      'OpenCallsV2',
      'PendingCallbacks',
    ]);
  }, 120_000);
});
