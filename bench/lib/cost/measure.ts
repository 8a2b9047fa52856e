/**
 * Counts what a stream of calls costs as it happens, through the real pipeline in local mode
 * (webhook → ingest → CallEvents → streams → projector and publisher → Calls → publisher → bus,
 * the sweep on demand): every billable unit a deployed stack would be charged for, from the
 * stand-ins that play each AWS service. Nothing here prices anything (price.ts does).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOKEN_HEADER } from '../../../lambda/config/webhook';
import type { CallEventInput } from '../../../lambda/contract/schema';
import type { EventEnvelope } from '../../../local/eventbridge/server';
import { type LocalRuntime, startLocalRuntime } from '../../../local/runtime';
import { accessLogFormatOf, accessLogLine } from './access-log';
import { type DynamoDbMeter, type DynamoDbUnits, startDynamoDbMeter } from './dynamodb-meter';
import { windowSteps } from './windows';

/** What one stretch of traffic consumed, unit by unit. */
export interface Units {
  calls: number;
  events: number;
  /** Requests, their bodies' bytes, and the bytes of their access log lines in the stack's format. */
  api: { requests: number; requestBytes: number; accessLogBytes: number };
  /** By function (local name): invocations, billed milliseconds (each rounded up), configured memory. */
  lambda: Record<
    string,
    {
      invocations: number;
      billedMs: number;
      memoryMb: number;
      /** Its LoggingConfig (Lambda's defaults when absent): what Lambda writes of its own an invocation. */
      logging?: { format: string; systemLogLevel: string };
    }
  >;
  dynamodb: DynamoDbUnits;
  bus: { entries: number; chunks: number; bytes: number };
  /** SendMessage requests of the rules' SQS targets (in 64 KB chunks). */
  sqs: { requests: number };
  logs: { functionBytes: number; invocations: number };
}

export interface PipelineMeter {
  runtime: LocalRuntime;
  /**
   * POSTs each body at its turn, as the stream would batch them: the events that arrive within
   * the shortest of the CallEvents mappings' batching windows are sent together, then everything
   * they set off goes through before the next; a mapping with a longer window is held until its
   * window has passed, then reads what came meanwhile in one batch.
   */
  play(sent: readonly { body: CallEventInput; at: number }[]): Promise<void>;
  /** Runs every scheduled target (the sweep) once and waits for what it sets off. */
  sweep(): Promise<void>;
  /** The units counted so far. */
  units(): Omit<Units, 'calls' | 'events'>;
  /** Every item of each of the stack's tables, with the table's name. */
  items(): Promise<{ table: string; items: Record<string, unknown>[] }[]>;
  stop(): Promise<void>;
}

const KB64 = 64 * 1024;

/** A PutEvents entry's size as EventBridge bills it: source, detail-type, detail, resources. */
export function entryBytes(event: EventEnvelope): number {
  const resources = (event.resources ?? []).reduce((n, r) => n + Buffer.byteLength(r), 0);
  return (
    Buffer.byteLength(event.source ?? '') +
    Buffer.byteLength(event['detail-type'] ?? '') +
    Buffer.byteLength(JSON.stringify(event.detail ?? {})) +
    resources +
    14
  );
}

const lineCount = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '').length;

export async function startPipelineMeter(context: Record<string, unknown> = {}): Promise<PipelineMeter> {
  const stateDir = mkdtempSync(join(tmpdir(), 'call-events-cost-'));
  const lambda: Units['lambda'] = {};
  const api = { requests: 0, requestBytes: 0, accessLogBytes: 0 };
  const bus = { entries: 0, chunks: 0, bytes: 0 };
  let meter: DynamoDbMeter | undefined;
  const runtime = await startLocalRuntime({
    port: 0,
    inMemory: true,
    stateDir,
    context,
    log: process.env.COST_LOG ? (line) => console.error(line) : () => {},
    // Each window of arrivals is drained before the next: look for records often.
    pollerIdleMs: 5,
    functionsDynamoDbEndpoint: async (endpoint) => {
      meter = await startDynamoDbMeter(endpoint);
      return meter.endpoint;
    },
    onInvocation: ({ functionName, durationMs, memoryMb, logging }) => {
      const f = lambda[functionName] ?? { invocations: 0, billedMs: 0, memoryMb, logging };
      f.invocations++;
      f.billedMs += Math.max(1, Math.ceil(durationMs));
      lambda[functionName] = f;
    },
    onEvent: (event) => {
      const bytes = entryBytes(event as EventEnvelope);
      bus.entries++;
      bus.chunks += Math.max(1, Math.ceil(bytes / KB64));
      bus.bytes += Buffer.byteLength(JSON.stringify(event));
    },
  });
  const logsDir = join(stateDir, 'logs');
  const accessLogFormat = accessLogFormatOf(runtime.template);
  const sqsRequests = () =>
    runtime.rules.reduce((n, rule) => {
      const file = join(runtime.deliveriesDir, `${rule.name}.ndjson`);
      let count = 0;
      try {
        count = lineCount(file);
      } catch {
        // Nothing delivered by this rule.
      }
      return n + count * (rule.queueTargets?.length ?? 0);
    }, 0);

  const post = async (bodies: readonly CallEventInput[]) => {
    for (const body of bodies) {
      const text = JSON.stringify(body);
      api.requests++;
      api.requestBytes += Buffer.byteLength(text);
      const response = await fetch(runtime.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TOKEN_HEADER]: runtime.token },
        body: text,
      });
      if (response.status !== 200)
        throw new Error(
          `The webhook answered ${response.status} to a generated event: ${await response.text()}`,
        );
      const responseBytes = (await response.arrayBuffer()).byteLength;
      api.accessLogBytes += Buffer.byteLength(
        accessLogLine(accessLogFormat, { status: response.status, responseBytes }),
      );
    }
  };

  return {
    runtime,
    async play(sent) {
      // Each mapping of the CallEvents stream reads at the end of its own batching window
      // (windows.ts); the others read as soon as the events are in.
      const windowed = runtime.pollers.filter((p) => p.table === runtime.tables.callEvents);
      const ordered = [...sent].sort((a, b) => a.at - b.at);
      const steps = windowSteps(
        ordered.map((s) => s.at),
        windowed.map((p) => p.batchingWindowSeconds * 1000),
      );
      for (const { readBefore, from, to, held } of steps) {
        if (readBefore.length > 0) {
          for (const m of readBefore) windowed[m]?.hold(false);
          await runtime.drained(120_000);
        }
        windowed.forEach((poller, m) => {
          poller.hold(held[m] === true);
        });
        await post(ordered.slice(from, to).map((s) => s.body));
        await runtime.drained(120_000);
      }
      for (const poller of windowed) poller.hold(false);
      await runtime.drained(120_000);
    },
    async sweep() {
      for (const schedule of runtime.schedules) await schedule.runNow();
      await runtime.drained(120_000);
    },
    units() {
      const functionBytes = readdirSync(logsDir)
        .filter((f) => f.endsWith('.log'))
        .reduce((n, f) => n + statSync(join(logsDir, f)).size, 0);
      return {
        api: { ...api },
        lambda: structuredClone(lambda),
        dynamodb: (meter as DynamoDbMeter).units(),
        bus: { ...bus },
        sqs: { requests: sqsRequests() },
        logs: {
          functionBytes,
          invocations: Object.values(lambda).reduce((n, f) => n + f.invocations, 0),
        },
      };
    },
    async items() {
      const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
      const { DynamoDBDocumentClient, ScanCommand } = await import('@aws-sdk/lib-dynamodb');
      const doc = DynamoDBDocumentClient.from(
        new DynamoDBClient({
          endpoint: runtime.dynamodbEndpoint,
          region: runtime.region,
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }),
      );
      const out: { table: string; items: Record<string, unknown>[] }[] = [];
      for (const table of Object.values(runtime.tables)) {
        const items: Record<string, unknown>[] = [];
        let start: Record<string, unknown> | undefined;
        do {
          const page = await doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
          items.push(...(page.Items ?? []));
          start = page.LastEvaluatedKey;
        } while (start);
        out.push({ table, items });
      }
      doc.destroy();
      return out;
    },
    async stop() {
      await runtime.stop();
      await meter?.close();
      if (process.env.COST_KEEP_LOGS) console.error(`cost state kept in ${stateDir}`);
      else rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** `after − before`, unit by unit: what one stretch of traffic consumed. */
export function unitsBetween(
  before: ReturnType<PipelineMeter['units']>,
  after: ReturnType<PipelineMeter['units']>,
): ReturnType<PipelineMeter['units']> {
  const minus = (a: Record<string, Record<string, number>>, b: Record<string, Record<string, number>>) =>
    Object.fromEntries(
      Object.entries(a).map(([table, parts]) => [
        table,
        Object.fromEntries(Object.entries(parts).map(([part, n]) => [part, n - (b[table]?.[part] ?? 0)])),
      ]),
    );
  const requests = Object.fromEntries(
    Object.entries(after.dynamodb.requests).map(([op, n]) => [op, n - (before.dynamodb.requests[op] ?? 0)]),
  );
  return {
    api: {
      requests: after.api.requests - before.api.requests,
      requestBytes: after.api.requestBytes - before.api.requestBytes,
      accessLogBytes: after.api.accessLogBytes - before.api.accessLogBytes,
    },
    lambda: Object.fromEntries(
      Object.entries(after.lambda).map(([name, f]) => [
        name,
        {
          invocations: f.invocations - (before.lambda[name]?.invocations ?? 0),
          billedMs: f.billedMs - (before.lambda[name]?.billedMs ?? 0),
          memoryMb: f.memoryMb,
          ...(f.logging ? { logging: f.logging } : {}),
        },
      ]),
    ),
    dynamodb: {
      write: minus(after.dynamodb.write, before.dynamodb.write),
      read: minus(after.dynamodb.read, before.dynamodb.read),
      requests,
      failedConditionalWrites:
        after.dynamodb.failedConditionalWrites - before.dynamodb.failedConditionalWrites,
    },
    bus: {
      entries: after.bus.entries - before.bus.entries,
      chunks: after.bus.chunks - before.bus.chunks,
      bytes: after.bus.bytes - before.bus.bytes,
    },
    sqs: { requests: after.sqs.requests - before.sqs.requests },
    logs: {
      functionBytes: after.logs.functionBytes - before.logs.functionBytes,
      invocations: after.logs.invocations - before.logs.invocations,
    },
  };
}
