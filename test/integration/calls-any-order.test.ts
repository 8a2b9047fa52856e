/**
 * Call-backs under any order, against DynamoDB Local with the stack's own tables and indexes
 * (the MissedCallsByCustomer index, the Version conditions): a customer's calls, their events
 * interleaved and duplicated at random, each stored and projected as the stream brings them,
 * give the same records as the calls posted in time order; and projectors running at once on
 * the calls of one customer lose no correction.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { DynamoDbCallEvents, DynamoDbCallsStore } from '../../lambda/calls/dynamodb-store';
import { type ProjectDeps, projectCall } from '../../lambda/calls/project-calls';
import type { StoredCall } from '../../lambda/calls/store';
import type { CallEventRecord } from '../../lambda/contract';
import { incomingEvents, outgoingEvents } from '../support/calls';
import { createLocalStack, type LocalStack } from '../support/local-stack';

let stack: LocalStack;
let tables: { callEvents: string; calls: string };

beforeAll(async () => {
  stack = await createLocalStack();
  tables = stack.callsTables();
}, 60_000);

afterAll(() => stack?.client.destroy());

const EMPLOYEE = '80052002651';
let run = 0;

/** One customer's calls, each run with its own SessionIDs and number, so that runs share the table but nothing else. */
function customerDay() {
  const n = ++run;
  const customer = `916${String(1_000_000 + n).slice(1)}${n % 10}`;
  const id = (what: string) => `${what}-${n}-${Date.now()}`;
  const missed = (what: string, start: string, missedAt: number) =>
    incomingEvents({ id: id(what), customer, start, rings: [{ employee: EMPLOYEE, at: 2 }], missedAt });
  const answered = (what: string, start: string, at: number, talk: number) =>
    incomingEvents({
      id: id(what),
      customer,
      start,
      rings: [{ employee: EMPLOYEE, at: 2 }],
      answer: { employee: EMPLOYEE, at, talk },
    });
  const callBack = (what: string, start: string, talk = 60) =>
    outgoingEvents({ id: id(what), employee: EMPLOYEE, customer: `8${customer}`, start, ring: 5, talk });
  return [
    missed('m1', '2021-01-28 10:00:00', 40),
    missed('m2', '2021-01-28 10:20:00', 30),
    answered('a1', '2021-01-28 10:00:35', 8, 20), // started before m1 ended
    callBack('b1', '2021-01-28 10:30:00'),
    answered('a2', '2021-01-28 10:25:00', 6, 40),
    callBack('busy', '2021-01-28 10:21:00', 0),
    missed('m3', '2021-01-28 11:00:00', 20),
  ];
}

const deps = (): ProjectDeps => ({
  calls: new DynamoDbCallsStore(stack.doc, tables.calls),
  events: new DynamoDbCallEvents(stack.doc, tables.callEvents),
  fold: {},
  callbackWindowHours: 72,
  now: () => new Date('2021-01-29T12:00:00Z'),
  logger: { debug() {}, warn() {}, error() {} },
  metrics: { addMetric() {} },
});

async function post(events: readonly CallEventRecord[]): Promise<void> {
  for (const event of events) {
    await stack.doc.send(new PutCommand({ TableName: tables.callEvents, Item: event }));
    await projectCall(event.SessionID, deps());
  }
}

/** The records of these calls, without Version (how many writes it took is the order's own). */
async function records(calls: CallEventRecord[][]): Promise<Record<string, unknown>[]> {
  const store = new DynamoDbCallsStore(stack.doc, tables.calls);
  const ids = calls.map((events) => events[0]?.SessionID as string);
  return Promise.all(
    ids.map(async (id) => {
      const { Version: _v, ...record } = (await store.getCall(id)) as StoredCall;
      // Each run's SessionIDs and number are its own: compare by what they stand for.
      return JSON.parse(
        JSON.stringify(record)
          .replaceAll(/-\d+-\d+/g, '')
          .replaceAll(/916\d{7}/g, 'C'),
      );
    }),
  );
}

describe('a customer’s calls in any order, against DynamoDB Local', () => {
  it('give the records of the calls posted in time order, whatever the interleaving and duplication', async () => {
    const inOrder = customerDay();
    await post(inOrder.flat());
    const expected = await records(inOrder);
    expect(expected[0]).toMatchObject({ CallbackStatus: 'customer-called-again', CallbackSessionID: 'a2' });
    expect(expected[6]).toMatchObject({ CallbackStatus: 'pending', PendingCallback: 'pending' });

    await fc.assert(
      fc.asyncProperty(
        fc.infiniteStream(fc.nat()),
        fc.array(fc.nat({ max: 40 }), { maxLength: 5 }),
        async (seeds, repeats) => {
          const calls = customerDay();
          const all = calls.flat();
          const order = all
            .map((event) => ({ event, key: seeds.next().value as number }))
            .sort((a, b) => a.key - b.key)
            .map((x) => x.event);
          await post([...order, ...repeats.map((i) => order[i % order.length] as CallEventRecord)]);
          expect(await records(calls)).toEqual(expected);
        },
      ),
      { numRuns: 12 },
    );
  }, 120_000);

  it('resolvers projected at once, each settling the same missed calls, lose no correction', async () => {
    const inOrder = customerDay();
    await post(inOrder.flat());
    const expected = await records(inOrder);

    const calls = customerDay();
    const isMissed = (events: CallEventRecord[]) => events.some((e) => e.HookType === 'MissedIncCall');
    await post(calls.filter(isMissed).flat());
    const resolvers = calls.filter((events) => !isMissed(events));
    for (const event of resolvers.flat())
      await stack.doc.send(new PutCommand({ TableName: tables.callEvents, Item: event }));
    // Every resolver projected at once, each by two projectors: their writes of the same missed
    // records race, and only the Version conditions order them.
    const ids = resolvers.map((events) => events[0]?.SessionID as string);
    await Promise.all([...ids, ...ids].map((id) => projectCall(id, deps())));
    expect(await records(calls)).toEqual(expected);
  }, 60_000);
});
