/**
 * An SQS event source mapping on one machine: reads a local queue in batches and invokes the
 * function with `SQSEvent`s shaped as Lambda's, at most `MaximumConcurrency` at a time. A batch
 * the function completes is deleted; one it fails (an error, a timeout) is left to become
 * visible again after the queue's visibility timeout; with `ReportBatchItemFailures`, only the
 * messages it names stay, and a response naming a message not in the batch fails the whole
 * batch, as Lambda's documentation says. The queue's redrive policy moves a message received
 * too often to its dead-letter queue.
 */
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { CfnResource } from '../template';
import type { LocalQueue, QueueMessage } from './local-queue';

export interface QueueMappingSettings {
  /** @default 10 (Lambda's default for SQS) */
  batchSize: number;
  /** How long to gather a fuller batch. @default 0 */
  maxBatchingWindowMs: number;
  /** Batches at once. @default 5 locally when the mapping sets none (Lambda scales further) */
  maxConcurrency: number;
  reportBatchItemFailures: boolean;
  enabled: boolean;
}

/** Lambda scales an SQS mapping without `MaximumConcurrency` much further; one machine gets this many lanes. */
const LOCAL_DEFAULT_CONCURRENCY = 5;

export function queueMappingSettings(resource: CfnResource): QueueMappingSettings {
  const p = resource.Properties ?? {};
  const scaling = p.ScalingConfig as { MaximumConcurrency?: number } | undefined;
  return {
    batchSize: (p.BatchSize as number | undefined) ?? 10,
    maxBatchingWindowMs: ((p.MaximumBatchingWindowInSeconds as number | undefined) ?? 0) * 1000,
    maxConcurrency: scaling?.MaximumConcurrency ?? LOCAL_DEFAULT_CONCURRENCY,
    reportBatchItemFailures: ((p.FunctionResponseTypes as string[] | undefined) ?? []).includes(
      'ReportBatchItemFailures',
    ),
    enabled: p.Enabled !== false,
  };
}

export interface QueuePollerStats {
  invocations: number;
  /** Messages the function completed (deleted from the queue). */
  deleted: number;
  /** Messages of failed invocations, or that the function reported as failed (left to come back). */
  failed: number;
}

export interface QueuePoller {
  queue: LocalQueue;
  functionName: string;
  settings: QueueMappingSettings;
  stats(): QueuePollerStats;
  /**
   * Resolves once the queue has nothing visible and nothing in flight, and no batch is being
   * handled: every message sent so far completed or moved to the dead-letter queue. A message
   * waiting out its visibility timeout keeps it waiting; a paused mapping is drained once its
   * batches in hand are done.
   */
  drained(timeoutMs?: number): Promise<void>;
  /** Stops taking batches (the mapping disabled); the messages wait. */
  pause(): void;
  resume(): void;
  paused(): boolean;
  stop(): Promise<void>;
}

export interface QueuePollerOptions {
  queue: LocalQueue;
  settings: QueueMappingSettings;
  functionName: string;
  region: string;
  invoke: (event: SQSEvent) => Promise<unknown>;
  /** Told of each failed invocation. @default nothing */
  onError?: (error: Error) => void;
  /** How often to look again when nothing is visible. @default 200 ms */
  idlePollMs?: number;
}

/** The record as Lambda passes it. */
function toRecord(m: QueueMessage, queue: LocalQueue, region: string): SQSRecord {
  return {
    messageId: m.messageId,
    receiptHandle: m.receiptHandle ?? '',
    body: m.body,
    attributes: {
      ApproximateReceiveCount: String(m.receiveCount),
      SentTimestamp: String(m.sentTimestamp),
      SenderId: 'AIDAEVENTBRIDGELOCAL',
      ApproximateFirstReceiveTimestamp: String(m.firstReceiveTimestamp ?? m.sentTimestamp),
    },
    messageAttributes: {},
    md5OfBody: m.md5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: region,
  };
}

/**
 * The messages to keep (not delete) after a successful invocation: those the function reported,
 * or all of them when the response is not a valid report (an identifier empty, missing or not
 * of the batch), as Lambda treats such a batch as a complete failure.
 */
export function keptMessages(batch: readonly QueueMessage[], response: unknown, reportsFailures: boolean) {
  if (!reportsFailures || response === null || response === undefined) return [];
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return [];
  if (!Array.isArray(failures)) return [...batch];
  const byId = new Map(batch.map((m) => [m.messageId, m]));
  const kept = new Set<QueueMessage>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const m = typeof id === 'string' ? byId.get(id) : undefined;
    if (!m) return [...batch];
    kept.add(m);
  }
  return [...kept];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function startQueuePoller(options: QueuePollerOptions): QueuePoller {
  const { queue, settings, region } = options;
  const idlePollMs = options.idlePollMs ?? 200;
  const stats: QueuePollerStats = { invocations: 0, deleted: 0, failed: 0 };
  let stopped = false;
  let paused = !settings.enabled;
  let busy = 0;
  const waiting = new Set<() => void>();
  const wakeAll = () => {
    for (const done of [...waiting]) done();
  };
  const unsubscribe = queue.onMessage(wakeAll);

  /** Waits for a message, the next one's visibility, or the idle poll, whichever first. */
  const idle = () =>
    new Promise<void>((resolve) => {
      const next = queue.nextVisibleAt();
      const ms = Math.max(10, Math.min(idlePollMs, next === undefined ? idlePollMs : next - Date.now()));
      const done = () => {
        clearTimeout(timer);
        waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiting.add(done);
    });

  async function lane(): Promise<void> {
    while (!stopped) {
      if (paused || queue.counts().visible === 0) {
        await idle();
        continue;
      }
      if (settings.maxBatchingWindowMs > 0 && queue.counts().visible < settings.batchSize)
        await sleep(settings.maxBatchingWindowMs);
      const batch = queue.receive(settings.batchSize);
      if (batch.length === 0) continue;
      busy++;
      try {
        stats.invocations++;
        const event: SQSEvent = { Records: batch.map((m) => toRecord(m, queue, region)) };
        let kept: QueueMessage[];
        try {
          kept = keptMessages(batch, await options.invoke(event), settings.reportBatchItemFailures);
        } catch (error) {
          kept = [...batch];
          options.onError?.(error instanceof Error ? error : new Error(String(error)));
        }
        for (const m of batch) if (!kept.includes(m) && m.receiptHandle) queue.delete(m.receiptHandle);
        stats.deleted += batch.length - kept.length;
        stats.failed += kept.length;
      } finally {
        busy--;
      }
    }
  }

  const lanes = Array.from({ length: Math.max(1, settings.maxConcurrency) }, () => lane());

  return {
    queue,
    functionName: options.functionName,
    settings,
    stats: () => ({ ...stats }),
    async drained(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { visible, inFlight } = queue.counts();
        // Paused, nothing more happens until someone resumes it: as drained as it gets.
        if (busy === 0 && (paused || (visible === 0 && inFlight === 0))) return;
        if (Date.now() > deadline) throw new Error(`queue ${queue.name} not drained within ${timeoutMs} ms`);
        await sleep(20);
      }
    },
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      wakeAll();
    },
    paused: () => paused,
    async stop() {
      stopped = true;
      unsubscribe();
      wakeAll();
      await Promise.all(lanes);
    },
  };
}
