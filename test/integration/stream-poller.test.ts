/**
 * The local stand-in for Lambda's DynamoDB stream mapping, against DynamoDB Local's real
 * stream: the mapping's own settings from the template, Lambda-shaped batches, re-delivery
 * from the first reported failure, bisect, the retry bound and the on-failure file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import {
  type MappingSettings,
  mappingSettings,
  type StreamPoller,
  startStreamPoller,
} from '../../local/stream-poller';
import { resourcesOfType } from '../../local/template';
import { createLocalStack, type LocalStack } from '../support/local-stack';

let stack: LocalStack;
let table: string;
let dir: string;
let poller: StreamPoller | undefined;

beforeAll(async () => {
  stack = await createLocalStack();
  const [tableId] = Object.keys(stack.tables).filter(
    (id) => id.includes('CallEvents') && !id.includes('Rejected'),
  );
  table = stack.tables[tableId as string] as string;
}, 60_000);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'poller-'));
});

afterEach(async () => {
  await poller?.stop();
  poller = undefined;
  rmSync(dir, { recursive: true, force: true });
});

afterAll(() => stack?.client.destroy());

function stackSettings(): MappingSettings {
  const [mapping] = resourcesOfType(stack.template, 'AWS::Lambda::EventSourceMapping');
  if (!mapping) throw new Error('the stack has no event source mapping');
  return mappingSettings(mapping[1]);
}

/** Writes items of a fresh call and returns its SessionID. */
async function writeCall(count: number): Promise<string> {
  const sessionId = `poller-${Math.random().toString(36).slice(2)}`;
  for (let i = 0; i < count; i++) {
    await stack.doc.send(
      new PutCommand({
        TableName: table,
        Item: { SessionID: sessionId, EventKey: `k${String(i).padStart(3, '0')}`, n: i },
      }),
    );
  }
  return sessionId;
}

const ofCall = (records: DynamoDBRecord[], sessionId: string) =>
  records.filter((r) => r.dynamodb?.Keys?.SessionID?.S === sessionId);
const numbers = (records: DynamoDBRecord[]) => records.map((r) => Number(r.dynamodb?.NewImage?.n?.N));

function start(
  invoke: (event: DynamoDBStreamEvent) => Promise<unknown>,
  settings: Partial<MappingSettings> = {},
) {
  poller = startStreamPoller({
    streamArn: stack.streamArn(table),
    settings: { ...stackSettings(), ...settings },
    invoke,
    failedFile: join(dir, 'failed', 'stream.ndjson'),
    region: 'us-east-1',
    idlePollMs: 50,
    retryBackoffMs: () => 10,
  });
  return poller;
}

describe('stream poller', () => {
  it('reads the mapping of the stack: batch size, INSERT filter, failures reported, bisect, bounds, batching window', () => {
    expect(stackSettings()).toEqual({
      batchSize: 100,
      batchingWindowSeconds: 1,
      filters: [{ eventName: ['INSERT'] }],
      reportBatchItemFailures: true,
      bisectOnError: true,
      maxRetryAttempts: 8,
      maxRecordAgeSeconds: 86_400,
      startingPosition: 'TRIM_HORIZON',
    });
  });

  it('held, reads nothing and counts as drained; let go, reads what came meanwhile in one batch', async () => {
    const batches: DynamoDBRecord[][] = [];
    const p = start(async (event) => {
      batches.push(event.Records);
      return { batchItemFailures: [] };
    });
    await p.drained();
    batches.length = 0;
    p.hold(true);
    const sessionId = await writeCall(4);
    await p.drained();
    expect(batches.flatMap((b) => ofCall(b, sessionId))).toEqual([]);
    p.hold(false);
    await p.drained();
    const mine = batches.map((b) => ofCall(b, sessionId)).filter((b) => b.length > 0);
    expect(mine.map(numbers)).toEqual([[0, 1, 2, 3]]);
  });

  it('delivers Lambda-shaped batches of at most the batch size, INSERTs only', async () => {
    const sessionId = await writeCall(7);
    await stack.doc.send(
      new UpdateCommand({
        TableName: table,
        Key: { SessionID: sessionId, EventKey: 'k000' },
        UpdateExpression: 'SET n = :n',
        ExpressionAttributeValues: { ':n': 100 },
      }),
    );
    const batches: DynamoDBRecord[][] = [];
    const p = start(
      async (event) => {
        batches.push(event.Records);
        return { batchItemFailures: [] };
      },
      { batchSize: 3 },
    );
    await p.drained();

    const mine = batches.map((b) => ofCall(b, sessionId)).filter((b) => b.length > 0);
    expect(mine.every((b) => b.length <= 3)).toBe(true);
    expect(numbers(mine.flat())).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const [first] = mine.flat();
    expect(first).toMatchObject({
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      eventSourceARN: stack.streamArn(table),
      dynamodb: {
        Keys: { SessionID: { S: sessionId }, EventKey: { S: 'k000' } },
        NewImage: expect.objectContaining({ n: { N: '0' } }),
        SequenceNumber: expect.any(String),
        StreamViewType: 'NEW_IMAGE',
        ApproximateCreationDateTime: expect.any(Number),
      },
    });
    expect(p.stats().recordsFilteredOut).toBeGreaterThanOrEqual(1);
  });

  it('re-delivers from the first reported batch item failure, not the records before it', async () => {
    const sessionId = await writeCall(6);
    const seen: number[][] = [];
    let failedOnce = false;
    start(async (event) => {
      const mine = ofCall(event.Records, sessionId);
      if (mine.length) seen.push(numbers(mine));
      const third = mine.find((r) => r.dynamodb?.NewImage?.n?.N === '3');
      if (third && !failedOnce) {
        failedOnce = true;
        return { batchItemFailures: [{ itemIdentifier: third.dynamodb?.SequenceNumber }] };
      }
      return { batchItemFailures: [] };
    });
    await poller?.drained();

    expect(seen.flat().filter((n) => n < 3)).toEqual([0, 1, 2]);
    expect(seen.at(-1)).toEqual([3, 4, 5]);
  });

  it('isolates a poison record by bisecting, gives up on it after the retry bound, and delivers the rest', async () => {
    const sessionId = await writeCall(8);
    const attemptsOnPoison: number[] = [];
    const delivered = new Set<number>();
    const p = start(
      async (event) => {
        const mine = ofCall(event.Records, sessionId);
        if (mine.some((r) => r.dynamodb?.NewImage?.n?.N === '5')) {
          attemptsOnPoison.push(mine.length);
          throw new Error('poison');
        }
        for (const n of numbers(mine)) delivered.add(n);
        return { batchItemFailures: [] };
      },
      { maxRetryAttempts: 2 },
    );
    await p.drained();

    expect([...delivered].sort()).toEqual([0, 1, 2, 3, 4, 6, 7]);
    // Bisected down to the poison record alone, then tried 1 + 2 retries.
    expect(attemptsOnPoison.filter((size) => size === 1)).toHaveLength(3);
    const failed = readFileSync(join(dir, 'failed', 'stream.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      reason: expect.stringContaining('retries exhausted'),
      record: { dynamodb: { NewImage: { SessionID: { S: sessionId }, n: { N: '5' } } } },
    });
    expect(p.stats().recordsGivenUp).toBe(1);
  });

  it('gives up only on the record the function keeps reporting, after the retry bound', async () => {
    const sessionId = await writeCall(5);
    let calls = 0;
    const delivered = new Set<number>();
    const p = start(
      async (event) => {
        const mine = ofCall(event.Records, sessionId);
        if (mine.length) calls += 1;
        const poison = mine.filter((r) => r.dynamodb?.NewImage?.n?.N === '2');
        for (const n of numbers(mine.filter((r) => !poison.includes(r)))) delivered.add(n);
        return { batchItemFailures: poison.map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber })) };
      },
      { maxRetryAttempts: 3 },
    );
    await p.drained();

    expect([...delivered].sort()).toEqual([0, 1, 3, 4]);
    expect(calls).toBe(4);
    const failed = readFileSync(join(dir, 'failed', 'stream.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(failed.map((f) => f.record.dynamodb.NewImage.n.N)).toEqual(['2']);
  });

  it('a stop during the retries checkpoints only what was delivered; the next run resumes there', async () => {
    const sessionId = await writeCall(6);
    const checkpoints: Record<string, string> = {};
    let attemptsOnMine = 0;
    const failing = startStreamPoller({
      streamArn: stack.streamArn(table),
      settings: stackSettings(),
      // The function failing on this call's records (EventBridge down, say), as long as it runs.
      invoke: async (event) => {
        if (ofCall(event.Records, sessionId).length > 0) {
          attemptsOnMine += 1;
          throw new Error('EventBridge unreachable');
        }
        return { batchItemFailures: [] };
      },
      failedFile: join(dir, 'failed', 'stream.ndjson'),
      region: 'us-east-1',
      idlePollMs: 50,
      // Slow enough that the stop lands among the retries, long before they run out.
      retryBackoffMs: () => 200,
      onCheckpoint: (shard, seq) => {
        checkpoints[shard] = seq;
      },
    });
    const deadline = Date.now() + 30_000;
    while (attemptsOnMine < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await failing.stop();
    expect(attemptsOnMine).toBeGreaterThanOrEqual(4);
    expect(failing.stats().recordsGivenUp).toBe(0);

    const delivered: number[] = [];
    poller = startStreamPoller({
      streamArn: stack.streamArn(table),
      settings: stackSettings(),
      invoke: async (event) => {
        delivered.push(...numbers(ofCall(event.Records, sessionId)));
        return { batchItemFailures: [] };
      },
      failedFile: join(dir, 'failed', 'stream.ndjson'),
      region: 'us-east-1',
      idlePollMs: 50,
      checkpoints,
    });
    await poller.drained();

    expect(delivered).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('a fresh table', () => {
  it('its first read, opened before the first write, is not reported as a failure; its records arrive', async () => {
    // Fresh tables: DynamoDB Local refuses an iterator opened on a shard before its first record.
    const fresh = await createLocalStack();
    const [tableId] = Object.keys(fresh.tables).filter(
      (id) => id.includes('CallEvents') && !id.includes('Rejected'),
    );
    const freshTable = fresh.tables[tableId as string] as string;
    const errors: (Error | undefined)[] = [];
    const delivered: DynamoDBRecord[] = [];
    poller = startStreamPoller({
      streamArn: fresh.streamArn(freshTable),
      settings: stackSettings(),
      invoke: async (event) => {
        delivered.push(...event.Records);
      },
      failedFile: join(dir, 'failed', 'stream.ndjson'),
      region: 'us-east-1',
      idlePollMs: 50,
      onStreamError: (error) => errors.push(error),
    });
    // Let it open its iterators on the empty stream first.
    await poller.drained(10_000);
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 3; i++)
      await fresh.doc.send(
        new PutCommand({ TableName: freshTable, Item: { SessionID: 'fresh', EventKey: `k${i}`, n: i } }),
      );
    await poller.drained(10_000);
    expect(numbers(delivered)).toEqual([0, 1, 2]);
    expect(errors).toEqual([]);
    fresh.client.destroy();
  }, 60_000);
});
