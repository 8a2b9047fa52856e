/**
 * Local mode's SQS queue and event source mapping: visibility, receive counts, the redrive
 * policy, the journal across restarts, and batch item failures as Lambda's documentation
 * describes them (docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
 */
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import { LocalQueue } from '../../local/sqs/local-queue';
import { keptMessages, queueMappingSettings, startQueuePoller } from '../../local/sqs/queue-poller';

const clock = () => {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
};

describe('a local queue', () => {
  it('hides a received message for the visibility timeout, then gives it again with a higher count', () => {
    const c = clock();
    const q = new LocalQueue({ name: 'q', region: 'us-east-1', visibilityTimeoutSeconds: 30, now: c.now });
    q.send('one');
    const [first] = q.receive(10);
    expect(first).toMatchObject({ body: 'one', receiveCount: 1 });
    expect(q.receive(10)).toEqual([]);
    expect(q.counts()).toEqual({ visible: 0, inFlight: 1 });
    c.advance(30_001);
    const [again] = q.receive(10);
    expect(again).toMatchObject({ messageId: first?.messageId, receiveCount: 2 });
    // The first receipt handle is stale: deleting with it does nothing.
    expect(q.delete(first?.receiptHandle ?? '')).toBe(false);
    expect(q.delete(again?.receiptHandle ?? '')).toBe(true);
    expect(q.counts()).toEqual({ visible: 0, inFlight: 0 });
  });

  it('moves a message received maxReceiveCount times to the dead-letter queue, keeping its id', () => {
    const c = clock();
    const dlq = new LocalQueue({ name: 'dlq', region: 'us-east-1', now: c.now });
    const q = new LocalQueue({
      name: 'q',
      region: 'us-east-1',
      visibilityTimeoutSeconds: 1,
      deadLetter: { queue: dlq, maxReceiveCount: 3 },
      now: c.now,
    });
    const id = q.send('poison');
    for (let i = 1; i <= 3; i++) {
      expect(q.receive(1).map((m) => m.receiveCount)).toEqual([i]);
      c.advance(1_001);
    }
    expect(q.receive(1)).toEqual([]);
    expect(dlq.peek().map((m) => [m.messageId, m.body])).toEqual([[id, 'poison']]);
    expect(q.peek()).toEqual([]);
  });

  it('keeps its messages, receive counts and visibility across a restart, in a journal compacted as it grows', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'queue-')), 'q.ndjson');
    const c = clock();
    const before = new LocalQueue({ name: 'q', region: 'us-east-1', journalFile: file, now: c.now });
    for (let i = 0; i < 600; i++) before.send(`m${i}`);
    for (const m of before.receive(599)) if (m.body !== 'm7') before.delete(m.receiptHandle ?? '');
    const after = new LocalQueue({ name: 'q', region: 'us-east-1', journalFile: file, now: c.now });
    expect(after.peek().map((m) => [m.body, m.receiveCount])).toEqual([
      ['m7', 1],
      ['m599', 0],
    ]);
    expect(after.counts()).toEqual({ visible: 1, inFlight: 1 });
    expect(readFileSync(file, 'utf8').trim().split('\n').length).toBeLessThan(10);
  });

  it('ignores a journal line cut short by a crash', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'queue-')), 'q.ndjson');
    new LocalQueue({ name: 'q', region: 'us-east-1', journalFile: file }).send('kept');
    appendFileSync(file, '{"op":"send","m":{"messageId":"x","bo');
    expect(
      new LocalQueue({ name: 'q', region: 'us-east-1', journalFile: file }).peek().map((m) => m.body),
    ).toEqual(['kept']);
  });
});

describe('batch item failures', () => {
  const batch = ['a', 'b', 'c'].map((messageId) => ({
    messageId,
    body: '',
    md5OfBody: '',
    sentTimestamp: 0,
    receiveCount: 1,
    visibleAt: 0,
  }));
  it.each([
    ['no response', undefined, []],
    ['an empty list', { batchItemFailures: [] }, []],
    ['a null list', { batchItemFailures: null }, []],
    ['one named', { batchItemFailures: [{ itemIdentifier: 'b' }] }, ['b']],
    ['an id not in the batch: all', { batchItemFailures: [{ itemIdentifier: 'z' }] }, ['a', 'b', 'c']],
    ['an empty id: all', { batchItemFailures: [{ itemIdentifier: '' }] }, ['a', 'b', 'c']],
    ['a wrong key: all', { batchItemFailures: [{ itemId: 'a' }] }, ['a', 'b', 'c']],
    ['not a list: all', { batchItemFailures: 'a' }, ['a', 'b', 'c']],
  ])('%s', (_what, response, kept) => {
    expect(keptMessages(batch, response, true).map((m) => m.messageId)).toEqual(kept);
  });
  it('are ignored by a mapping that does not report them', () => {
    expect(keptMessages(batch, { batchItemFailures: [{ itemIdentifier: 'b' }] }, false)).toEqual([]);
  });
});

describe('a local SQS event source mapping', () => {
  it('reads the settings of the template, with Lambda’s defaults', () => {
    expect(queueMappingSettings({ Type: 'AWS::Lambda::EventSourceMapping' })).toEqual({
      batchSize: 10,
      maxBatchingWindowMs: 0,
      maxConcurrency: 5,
      reportBatchItemFailures: false,
      enabled: true,
    });
    expect(
      queueMappingSettings({
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          BatchSize: 25,
          MaximumBatchingWindowInSeconds: 2,
          ScalingConfig: { MaximumConcurrency: 2 },
          FunctionResponseTypes: ['ReportBatchItemFailures'],
        },
      }),
    ).toEqual({
      batchSize: 25,
      maxBatchingWindowMs: 2000,
      maxConcurrency: 2,
      reportBatchItemFailures: true,
      enabled: true,
    });
  });

  it('invokes with real-shaped batches, at most MaximumConcurrency at once, and keeps what the function reports failed', async () => {
    const q = new LocalQueue({ name: 'calls', region: 'eu-central-1', visibilityTimeoutSeconds: 0.2 });
    let running = 0;
    let most = 0;
    const seen = new Map<string, number>();
    const events: SQSEvent[] = [];
    const poller = startQueuePoller({
      queue: q,
      functionName: 'Consumer',
      region: 'eu-central-1',
      settings: {
        batchSize: 3,
        maxBatchingWindowMs: 0,
        maxConcurrency: 2,
        reportBatchItemFailures: true,
        enabled: true,
      },
      idlePollMs: 20,
      invoke: async (event) => {
        events.push(event);
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 30));
        running--;
        // "fail-once" fails on its first delivery only.
        const failures = event.Records.filter((r) => {
          seen.set(r.body, (seen.get(r.body) ?? 0) + 1);
          return r.body === 'fail-once' && seen.get(r.body) === 1;
        }).map((r) => ({ itemIdentifier: r.messageId }));
        return { batchItemFailures: failures };
      },
    });
    for (let i = 0; i < 11; i++) q.send(i === 4 ? 'fail-once' : `m${i}`);
    await poller.drained(5_000);
    await poller.stop();
    expect(most).toBe(2);
    expect(Math.max(...events.map((e) => e.Records.length))).toBe(3);
    expect(seen.get('fail-once')).toBe(2);
    expect([...seen.values()].filter((n) => n === 1)).toHaveLength(10);
    expect(events[0]?.Records[0]).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-central-1:000000000000:calls',
      awsRegion: 'eu-central-1',
      attributes: { ApproximateReceiveCount: '1' },
    });
    const retried = events
      .flatMap((e) => e.Records)
      .find((r) => r.body === 'fail-once' && r.attributes.ApproximateReceiveCount === '2');
    expect(retried).toBeDefined();
    expect(poller.stats()).toMatchObject({ deleted: 11, failed: 1 });
  });

  it('retries a whole batch whose invocation failed, and while paused takes nothing', async () => {
    const q = new LocalQueue({ name: 'q', region: 'us-east-1', visibilityTimeoutSeconds: 0.1 });
    let calls = 0;
    const poller = startQueuePoller({
      queue: q,
      functionName: 'Consumer',
      region: 'us-east-1',
      settings: {
        batchSize: 10,
        maxBatchingWindowMs: 0,
        maxConcurrency: 2,
        reportBatchItemFailures: true,
        enabled: true,
      },
      idlePollMs: 20,
      invoke: async () => {
        if (++calls === 1) throw new Error('crashed');
        return {};
      },
    });
    poller.pause();
    q.send('a');
    q.send('b');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(calls).toBe(0);
    poller.resume();
    await poller.drained(5_000);
    await poller.stop();
    expect(calls).toBe(2);
    expect(poller.stats()).toMatchObject({ invocations: 2, deleted: 2, failed: 2 });
  });
});
