/**
 * Stands in for Lambda's DynamoDB stream event source mapping: reads the table's stream
 * through the DynamoDB Streams API and invokes the function with `DynamoDBStreamEvent`
 * batches shaped like Lambda's, with the mapping's own settings from the template (batch
 * size, filter, batch item failures, bisect, retry bound, record age). What it gives up on
 * is appended to an NDJSON file, the stand-in for the on-failure queue.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { matchesPattern } from './eventbridge/event-pattern';
import type { CfnResource } from './template';

export interface MappingSettings {
  batchSize: number;
  /** Lambda filter patterns (any may match); none = every record. */
  filters: object[];
  reportBatchItemFailures: boolean;
  bisectOnError: boolean;
  /** -1 = retry until the record expires. */
  maxRetryAttempts: number;
  /** -1 = no bound. */
  maxRecordAgeSeconds: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /**
   * How long Lambda gathers records before it invokes (0: at once). Local mode invokes with what
   * each poll finds; the cost benchmark plays arrivals in windows of this length.
   */
  batchingWindowSeconds: number;
}

/** Reads an `AWS::Lambda::EventSourceMapping` resource's settings, with Lambda's defaults. */
export function mappingSettings(resource: CfnResource): MappingSettings {
  const p = resource.Properties ?? {};
  const filters = ((p.FilterCriteria as { Filters?: { Pattern: string }[] } | undefined)?.Filters ?? []).map(
    (f) => JSON.parse(f.Pattern) as object,
  );
  return {
    batchSize: (p.BatchSize as number | undefined) ?? 100,
    filters,
    reportBatchItemFailures: ((p.FunctionResponseTypes as string[] | undefined) ?? []).includes(
      'ReportBatchItemFailures',
    ),
    bisectOnError: (p.BisectBatchOnFunctionError as boolean | undefined) ?? false,
    maxRetryAttempts: (p.MaximumRetryAttempts as number | undefined) ?? -1,
    maxRecordAgeSeconds: (p.MaximumRecordAgeInSeconds as number | undefined) ?? -1,
    startingPosition: (p.StartingPosition as 'TRIM_HORIZON' | 'LATEST' | undefined) ?? 'TRIM_HORIZON',
    batchingWindowSeconds: (p.MaximumBatchingWindowInSeconds as number | undefined) ?? 0,
  };
}

export interface StreamPollerOptions {
  streamArn: string;
  settings: MappingSettings;
  invoke: (event: DynamoDBStreamEvent) => Promise<unknown>;
  /** NDJSON file for records given up on. */
  failedFile: string;
  /** The function the mapping invokes, named in each line of `failedFile` (several mappings share it). */
  functionName?: string;
  region: string;
  client?: DynamoDBStreamsClient;
  idlePollMs?: number;
  retryBackoffMs?: (attempt: number) => number;
  /** Resume after these sequence numbers (by shard), e.g. from a previous run. */
  checkpoints?: Record<string, string>;
  onCheckpoint?: (shardId: string, sequenceNumber: string) => void;
  onGiveUp?: (records: DynamoDBRecord[], reason: string) => void;
  /**
   * Told once when reading the stream starts failing (the error) and once when it works again
   * (undefined). @default a process warning when it starts failing
   */
  onStreamError?: (error: Error | undefined) => void;
}

export interface PollerStats {
  invocations: number;
  recordsDelivered: number;
  recordsFilteredOut: number;
  recordsGivenUp: number;
  retries: number;
}

export interface StreamPoller {
  stats(): PollerStats;
  /** Resolves once every record written so far has been handled (delivered, filtered or given up); a held poller counts as drained. */
  drained(timeoutMs?: number): Promise<void>;
  /**
   * Holds the poller (it reads nothing, as Lambda's does inside a batching window) or lets it go
   * on: the cost benchmark plays each mapping's batching window this way in its own time.
   */
  hold(held: boolean): void;
  stop(): Promise<void>;
}

/** The record as Lambda passes it: epoch-second times, the ARN beside it. */
function toLambdaRecord(record: _Record, streamArn: string, region: string): DynamoDBRecord {
  const d = record.dynamodb ?? {};
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: {
      ApproximateCreationDateTime: d.ApproximateCreationDateTime
        ? Math.floor(new Date(d.ApproximateCreationDateTime).getTime() / 1000)
        : undefined,
      Keys: d.Keys as never,
      NewImage: d.NewImage as never,
      OldImage: d.OldImage as never,
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType,
    },
    eventSourceARN: streamArn,
  };
}

/**
 * The records the function reported as failed, in batch order; undefined when none. An
 * identifier that names no record of the batch fails the whole batch, as on Lambda.
 */
function reportedFailures(batch: DynamoDBRecord[], response: unknown): DynamoDBRecord[] | undefined {
  const failures = (response as { batchItemFailures?: { itemIdentifier?: string }[] } | null)
    ?.batchItemFailures;
  if (!failures?.length) return undefined;
  const ids = new Set(failures.map((f) => f.itemIdentifier));
  const reported = batch.filter((r) => ids.has(r.dynamodb?.SequenceNumber));
  return reported.length === ids.size ? reported : batch;
}

export function startStreamPoller(options: StreamPollerOptions): StreamPoller {
  const { settings, streamArn } = options;
  const client = options.client ?? new DynamoDBStreamsClient({ region: options.region });
  const idlePollMs = options.idlePollMs ?? 250;
  const backoff = options.retryBackoffMs ?? ((attempt) => Math.min(100 * 2 ** attempt, 2000));
  const stats: PollerStats = {
    invocations: 0,
    recordsDelivered: 0,
    recordsFilteredOut: 0,
    recordsGivenUp: 0,
    retries: 0,
  };
  const checkpoints = { ...(options.checkpoints ?? {}) };
  const iterators = new Map<string, string | undefined>();
  const finished = new Set<string>();
  let stopped = false;
  let held = false;
  let idleWaiters: (() => void)[] = [];
  let wake: (() => void) | undefined;
  /** A wait that a stop cuts short. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  let failing = false;
  const onStreamError =
    options.onStreamError ??
    ((error: Error | undefined) => error && process.emitWarning(`stream poller: ${error.message}`));

  const matchesFilters = (record: DynamoDBRecord) =>
    settings.filters.length === 0 || settings.filters.some((pattern) => matchesPattern(record, pattern));

  const checkpoint = (shardId: string, record: DynamoDBRecord | undefined) => {
    const seq = record?.dynamodb?.SequenceNumber;
    if (!seq) return;
    checkpoints[shardId] = seq;
    options.onCheckpoint?.(shardId, seq);
  };

  const giveUp = (records: DynamoDBRecord[], reason: string) => {
    mkdirSync(dirname(options.failedFile), { recursive: true });
    const at = new Date().toISOString();
    appendFileSync(
      options.failedFile,
      records
        .map((record) => {
          const line = { at, reason, streamArn, functionName: options.functionName, record };
          return `${JSON.stringify(line)}\n`;
        })
        .join(''),
    );
    stats.recordsGivenUp += records.length;
    options.onGiveUp?.(records, reason);
  };

  const tooOld = (record: DynamoDBRecord) =>
    settings.maxRecordAgeSeconds >= 0 &&
    record.dynamodb?.ApproximateCreationDateTime !== undefined &&
    Date.now() / 1000 - record.dynamodb.ApproximateCreationDateTime > settings.maxRecordAgeSeconds;

  /**
   * Delivers one batch with Lambda's retry rules. True once every record is handled (delivered,
   * or given up on); false when a stop interrupted it, having checkpointed only what was handled,
   * so that the next run resumes at the first record not yet delivered.
   */
  async function deliver(shardId: string, batch: DynamoDBRecord[], attempt = 0): Promise<boolean> {
    if (batch.length === 0) return true;
    if (stopped) return false;
    const expired = batch.filter(tooOld);
    if (expired.length > 0) {
      const fresh = batch.filter((r) => !expired.includes(r));
      giveUp(expired, 'MaximumRecordAgeInSeconds exceeded');
      // Records older than the first fresh one are all handled now.
      const firstFresh = fresh[0] ? batch.indexOf(fresh[0]) : batch.length;
      checkpoint(shardId, batch[firstFresh - 1]);
      return deliver(shardId, fresh, attempt);
    }
    stats.invocations += 1;
    let failed: DynamoDBRecord[] | undefined;
    let threw: Error | undefined;
    try {
      const response = await options.invoke({ Records: batch });
      failed = settings.reportBatchItemFailures ? reportedFailures(batch, response) : undefined;
    } catch (error) {
      threw = error as Error;
      failed = batch;
    }
    if (failed === undefined) {
      stats.recordsDelivered += batch.length;
      checkpoint(shardId, batch.at(-1));
      return true;
    }
    // Lambda checkpoints before the first failed record and retries from there.
    const failedFrom = batch.indexOf(failed[0] as DynamoDBRecord);
    stats.recordsDelivered += failedFrom;
    checkpoint(shardId, batch[failedFrom - 1]);
    const rest = batch.slice(failedFrom);
    // A failure while stopping (the function being stopped too) is not the records' fault.
    if (stopped) return false;
    if (threw && settings.bisectOnError && rest.length > 1) {
      // A function error splits the batch in two; splitting does not count as a retry.
      const half = Math.ceil(rest.length / 2);
      return (
        (await deliver(shardId, rest.slice(0, half), attempt)) && deliver(shardId, rest.slice(half), attempt)
      );
    }
    if (settings.maxRetryAttempts >= 0 && attempt >= settings.maxRetryAttempts) {
      const reason = threw ? `function error: ${threw.message}` : 'reported as batch item failure';
      // What the function still reported is what goes to the on-failure destination.
      giveUp(threw ? rest : failed, `${reason}; retries exhausted after ${attempt} retries`);
      checkpoint(shardId, rest.at(-1));
      return true;
    }
    stats.retries += 1;
    await pause(backoff(attempt));
    return deliver(shardId, rest, attempt + 1);
  }

  async function iteratorFor(shard: Shard): Promise<string | undefined> {
    const id = shard.ShardId as string;
    if (iterators.has(id)) return iterators.get(id);
    const after = checkpoints[id];
    const { ShardIterator } = await client.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: id,
        ...(after
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
          : { ShardIteratorType: settings.startingPosition }),
      }),
    );
    return ShardIterator;
  }

  const readPage = (iterator: string) =>
    client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: settings.batchSize }));

  /** One pass over the shards (parents first); true when any record was read. */
  async function pollOnce(): Promise<boolean> {
    const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const shards = StreamDescription?.Shards ?? [];
    let readAny = false;
    for (const shard of shards) {
      const id = shard.ShardId as string;
      if (finished.has(id)) continue;
      if (
        shard.ParentShardId &&
        shards.some((s) => s.ShardId === shard.ParentShardId) &&
        !finished.has(shard.ParentShardId)
      ) {
        continue;
      }
      const iterator = await iteratorFor(shard);
      if (!iterator) {
        finished.add(id);
        continue;
      }
      let page: Awaited<ReturnType<typeof readPage>>;
      try {
        page = await readPage(iterator);
      } catch (error) {
        // DynamoDB Local refuses an iterator opened on a fresh shard before its first record was
        // written there: nothing was missed, so it is opened again, without a word. Past a
        // checkpoint the same error means records were trimmed unread, which is reported.
        if ((error as Error).name !== 'TrimmedDataAccessException' || checkpoints[id]) throw error;
        iterators.delete(id);
        continue;
      }
      iterators.set(id, page.NextShardIterator);
      if (!page.NextShardIterator) finished.add(id);
      const records = (page.Records ?? []).map((r) => toLambdaRecord(r, streamArn, options.region));
      if (records.length === 0) continue;
      readAny = true;
      const wanted = records.filter(matchesFilters);
      stats.recordsFilteredOut += records.length - wanted.length;
      // The page's last record (even one filtered out) once the whole page is handled; after
      // a stop, only what was handled, already checkpointed by deliver.
      if (!(await deliver(id, wanted))) break;
      checkpoint(id, records.at(-1));
    }
    return readAny;
  }

  const loop = (async () => {
    while (!stopped) {
      let readAny = false;
      try {
        readAny = held ? false : await pollOnce();
        if (failing) onStreamError(undefined);
        failing = false;
      } catch (error) {
        if (stopped) break;
        // The emulator restarting or a transient error: try again shortly, like Lambda's poller,
        // and say so once per outage rather than on every attempt.
        iterators.clear();
        if (!failing) onStreamError(error as Error);
        failing = true;
      }
      if (!readAny) {
        for (const resolve of idleWaiters) resolve();
        idleWaiters = [];
        await pause(idlePollMs);
      }
    }
  })();

  return {
    stats: () => ({ ...stats }),
    hold(value) {
      held = value;
    },
    async drained(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      // Two idle passes in a row: everything written before the call has been read and handled.
      for (let pass = 0; pass < 2; pass++) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`stream not drained within ${timeoutMs} ms`)),
            Math.max(0, deadline - Date.now()),
          );
          idleWaiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    async stop() {
      stopped = true;
      wake?.();
      for (const resolve of idleWaiters) resolve();
      await loop;
      if (!options.client) client.destroy();
    },
  };
}
