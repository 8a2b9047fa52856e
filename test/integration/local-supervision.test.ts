/**
 * Local mode under faults, as a hostile operator would try it: a function's worker killed, the
 * ingest's worker killed, DynamoDB Local killed, a stop while the mapping is retrying a batch.
 * Each child that dies is replaced (or local mode says it cannot go on), each such event is
 * printed once, nothing stored is lost, and a restart resumes where the stream was left.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshSpecExample } from '../../lambda/contract/spec-examples';
import { startDynamoDbLocal } from '../../local/dynamodb-local';
import type { EventEnvelope } from '../../local/eventbridge/server';
import type { LocalFunction } from '../../local/lambda-runner';
import { eventIdOf, startTestRuntime, type TestRuntime, tally } from '../support/test-runtime';

let stateDir: string;
let t: TestRuntime;
const lines: string[] = [];

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'call-events-supervision-'));
  // Data kept on disk, as `npm start` keeps it: DynamoDB Local can then be restarted on it.
  t = await startTestRuntime({ inMemory: false, stateDir, log: (line) => lines.push(line) });
}, 120_000);

afterAll(async () => {
  await t?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

const functionNamed = (runtime: TestRuntime['runtime'], part: string): LocalFunction => {
  const found = [...runtime.functions.entries()].find(([name]) => name.includes(part));
  if (!found) throw new Error(`no local function named like ${part}`);
  return found[1];
};

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** POSTs fresh MissedIncCall events (a routed HookType), `concurrency` at a time; their EventIds. */
async function sendMissedCalls(runtime: TestRuntime, count: number, concurrency = 16): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next += 1;
        const answer = await runtime.post(freshSpecExample('MissedIncCall'));
        expect(answer.status).toBe(200);
        ids.push(`${answer.json.sessionId}/${answer.json.eventKey}`);
      }
    }),
  );
  return ids;
}

const deliveredIds = (events: EventEnvelope[]) => events.map((e) => String(e.detail.EventId));

describe('a function worker that dies', () => {
  it('the publish worker killed mid-stream: replaced at once, said once, every event delivered, none given up', async () => {
    const publish = functionNamed(t.runtime, 'Publish');
    const before = { restarts: publish.restarts(), pid: publish.pid() };
    const sending = sendMissedCalls(t, 200);
    await until('some published', () => t.received.length >= 20);
    process.kill(before.pid as number, 'SIGKILL');
    const sent = await sending;
    await t.runtime.drained();

    expect(publish.restarts()).toBe(before.restarts + 1);
    expect(publish.pid()).not.toBe(before.pid);
    expect(lines.filter((l) => l.includes(`(pid ${before.pid}) died (SIGKILL)`))).toHaveLength(1);
    const counts = tally(deliveredIds(t.deliveries('MissedIncCall')));
    expect(sent.filter((id) => !counts.has(id))).toEqual([]);
    // The batch in flight at the kill was retried like any failed invocation; nothing was given up.
    expect(t.failed()).toEqual([]);
  }, 120_000);

  it('the ingest worker killed: the next webhook is answered by its replacement', async () => {
    const ingest = functionNamed(t.runtime, 'Ingest');
    const pid = ingest.pid() as number;
    process.kill(pid, 'SIGKILL');
    await until('ingest replaced', () => ingest.pid() !== pid);

    const answer = await t.post(freshSpecExample('EndIncCall'));
    expect(answer).toMatchObject({ status: 200, json: { status: 'accepted' } });
    expect(lines.filter((l) => l.includes(`(pid ${pid}) died (SIGKILL)`))).toHaveLength(1);
  }, 60_000);
});

describe('DynamoDB Local that dies', () => {
  it('is restarted on the same data: what was stored stays, new webhooks are stored and published', async () => {
    const before = await t.post(freshSpecExample('MissedIncCall'));
    expect(before.status).toBe(200);
    await t.runtime.drained();
    const pid = t.runtime.dynamodb.process().pid as number;
    process.kill(pid, 'SIGKILL');
    await until('DynamoDB Local restarted', () =>
      lines.some((l) => l.includes(`DynamoDB Local (pid ${pid}) died`)),
    );

    expect(await t.stored(String(before.json.sessionId))).toHaveLength(1);
    const after = await t.post(freshSpecExample('MissedIncCall'));
    expect(after).toMatchObject({ status: 200, json: { status: 'accepted' } });
    await t.runtime.drained();
    const [item] = await t.stored(String(after.json.sessionId));
    expect(deliveredIds(t.deliveries('MissedIncCall'))).toContain(eventIdOf(item as Record<string, unknown>));
    expect(lines.filter((l) => l.includes(`DynamoDB Local (pid ${pid}) died`))).toHaveLength(1);
  }, 120_000);

  it('in memory, cannot be restarted without its tables: the owner is told, in one line', async () => {
    const fatal: string[] = [];
    const ddb = await startDynamoDbLocal({ inMemory: true, onFatal: (m) => fatal.push(m) });
    try {
      const pid = ddb.process().pid;
      ddb.process().kill('SIGKILL');
      await until('told', () => fatal.length > 0);
      expect(fatal).toEqual([`DynamoDB Local (pid ${pid}) died (SIGKILL); its in-memory tables are gone`]);
    } finally {
      await ddb.stop();
    }
  }, 60_000);
});

describe('a stop while the mapping retries a batch', () => {
  it('checkpoints only what was delivered: the restart publishes the rest, nothing is given up', async () => {
    await t.runtime.drained();
    // EventBridge refusing every call: the publisher reports its batches failed, the mapping retries.
    t.runtime.eventBridge.failNextCalls(1_000_000);
    const poller = t.poller('callEvents', 'publish');
    const retriesBefore = poller.stats().retries;
    const sent = await sendMissedCalls(t, 40);
    await until('the mapping retrying', () => poller.stats().retries > retriesBefore);
    await t.stop();
    expect(t.failed()).toEqual([]);

    // The same data, a new run: it resumes at the first record not yet delivered.
    t = await startTestRuntime({ inMemory: false, stateDir, log: (line) => lines.push(line) });
    await t.runtime.drained();
    const counts = tally(deliveredIds(t.deliveries('MissedIncCall')));
    expect(sent.filter((id) => !counts.has(id))).toEqual([]);
    expect(t.failed()).toEqual([]);
  }, 180_000);
});
