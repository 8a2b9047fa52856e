/**
 * End to end through local mode: `runLoad` (scripts/lib/load.ts) starts the local runtime in
 * memory with the real bundles, plays realistic calls at a bounded concurrency, waits for the
 * stream and EventBridge to drain, accounts for every event, and stops everything it started.
 */
import { type LoadReport, runLoad } from '../../scripts/lib/load';
import { onCleanup } from './processes';

export interface EndToEndSummary {
  node: string;
  events: number;
  concurrency: number;
  eventsPerSecond: number;
  latencyMs: { p50: number; p99: number };
  accepted: number;
  duplicates: number;
  stored?: number;
  publishedDistinct?: number;
  lost?: number;
  startupSeconds?: number;
  sendSeconds: number;
  drainSeconds?: number;
  /** Accepted events per second from the first request until the last was published. */
  pipelineEventsPerSecond?: number;
  ok: boolean;
  problems: string[];
}

export async function measureEndToEnd(
  options: { events: number; concurrency: number; timeoutMs: number },
  log: (line: string) => void,
): Promise<EndToEndSummary> {
  const abort = new AbortController();
  let running: Promise<LoadReport> | undefined;
  // On Ctrl-C: runLoad stops the local runtime (DynamoDB Local, function processes, servers).
  const unregister = onCleanup(async () => {
    abort.abort();
    await running?.catch(() => {});
  });
  try {
    running = runLoad({ ...options, signal: abort.signal, log: (line) => log(`  ${line.trim()}`) });
    const r = await running;
    const sendAndDrain = r.send.seconds + (r.drainSeconds ?? 0);
    return {
      node: process.version,
      events: r.sent,
      concurrency: r.concurrency,
      eventsPerSecond: r.send.eventsPerSecond,
      latencyMs: { p50: r.latencyMs.p50, p99: r.latencyMs.p99 },
      accepted: r.accepted,
      duplicates: r.duplicates,
      ...(r.stored !== undefined ? { stored: r.stored } : {}),
      ...(r.delivered ? { publishedDistinct: r.delivered.distinct } : {}),
      ...(r.lost !== undefined ? { lost: r.lost } : {}),
      ...(r.startupSeconds !== undefined ? { startupSeconds: r.startupSeconds } : {}),
      sendSeconds: r.send.seconds,
      ...(r.drainSeconds !== undefined ? { drainSeconds: r.drainSeconds } : {}),
      ...(sendAndDrain > 0 ? { pipelineEventsPerSecond: Math.round(r.accepted / sendAndDrain) } : {}),
      ok: r.ok,
      problems: r.problems,
    };
  } finally {
    unregister();
  }
}
