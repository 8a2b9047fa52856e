/**
 * A load run: many realistic calls POSTed to the webhook at a bounded concurrency, each call's
 * events in order, then (in local mode) a wait for the stream and EventBridge to drain and an
 * account of what was stored and published. `scripts/load.ts` is the CLI; tests import this.
 *
 * Exported API:
 * - `planCalls(events, { timeZone })`: the calls to play, `events` requests in all, ~10 a call.
 * - `runLoad(options)`: plays them against a local mode it starts (and stops) itself, or
 *   against `target`; resolves to a `LoadReport` (never throws for what the webhook answers).
 * - `formatReport(report)`: the CLI's summary.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AttributeValue,
  DynamoDBClient,
  type DynamoDBClientConfig,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { INGEST_ENV } from '../../lambda/config/environment';
import { CALL_EVENTS_KEYS } from '../../lambda/config/tables';
import { TOKEN_HEADER } from '../../lambda/config/webhook';
import { HOOK_TYPES } from '../../lambda/contract/hook-types';
import { isValidTimeZone } from '../../lambda/contract/local-time';
import type { CallEventInput } from '../../lambda/contract/schema';
import { LOCAL_AWS_ENV } from '../../local/dynamodb-local';
import type { EventEnvelope } from '../../local/eventbridge/server';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime';
import { providerTime } from './scenarios';
import { percentile } from './stats';

export const LOAD_DEFAULTS = { events: 20_000, concurrency: 32, timeoutMs: 600_000 } as const;
/** Events per call on average: a call is created, rings a few employees, is answered or missed, ends. */
const EVENTS_PER_CALL = 10;
const REQUEST_TIMEOUT_MS = 10_000;

/** The mix of calls, cycled: 4 answered, 4 missed (one of them re-delivered), 2 outgoing in every 10. */
const CALL_CYCLE = [
  'answered-parallel',
  'missed',
  'answered-sequential',
  'outgoing',
  'missed',
  'answered-parallel',
  'missed-redelivered',
  'answered-sequential',
  'outgoing',
  'missed',
] as const;

export type CallKind = (typeof CALL_CYCLE)[number];

export interface PlannedRequest {
  hookType: string;
  body: string;
  /** A fresh event is accepted; an exact re-delivery of the one before it is a duplicate. */
  expected: 'accepted' | 'duplicate';
}

export interface PlannedCall {
  sessionId: string;
  kind: CallKind;
  requests: PlannedRequest[];
}

export interface PlanOptions {
  /** IANA zone of the provider's wall-clock times: the receiving stack's. */
  timeZone: string;
  /** Calls start within the hour before this instant. @default new Date() */
  now?: Date;
  newSessionId?: () => string;
  random?: () => number;
}

// Fake numbers in the provider's formats, as in scenarios.ts.
const CITY = '4950001000';
const REDIRECTING = '84950001000';
const CALLER = '9990001234';
const OUTGOING_CALLED = '89990004321';
const employee = (n: number) => `800500${String(n).padStart(5, '0')}`;

type Clock = (offsetSeconds: number) => string;

const incoming = (Called: string) => ({ CityNumber: CITY, Caller: CALLER, Called });

/**
 * A call of exactly `size` requests (size ≥ 4, or 2–3 for an outgoing call). Answered calls of
 * odd size end with a transfer (a second ChangeIncCall); missed ones with a re-delivered
 * MissedIncCall, as when the provider retries after a timeout.
 */
function buildCall(kind: CallKind, size: number, id: string, t: Clock): CallEventInput[] | undefined {
  const create: CallEventInput = {
    SessionID: id,
    HookType: 'CreateIncCall',
    StartTime: t(0),
    ...incoming(CITY),
    Redirecting: REDIRECTING,
  };
  const begin = (at: number, n: number): CallEventInput => ({
    SessionID: id,
    HookType: 'AttemptIncCallBegin',
    StartTime: t(at),
    ...incoming(employee(n)),
  });
  const end = (at: number, n: number): CallEventInput => ({
    SessionID: id,
    HookType: 'AttemptIncCallEnd',
    EndTime: t(at),
    ...incoming(employee(n)),
  });
  const change = (at: number, called: string): CallEventInput => ({
    SessionID: id,
    HookType: 'ChangeIncCall',
    StartDuration: t(at),
    ...incoming(called),
  });
  const ended = (answeredAt: number, called: string): CallEventInput => ({
    SessionID: id,
    HookType: 'EndIncCall',
    EndTime: t(answeredAt + 47),
    ...incoming(called),
    Duration: 47,
    ResultCode: '200',
  });
  const odd = size % 2 === 1;
  switch (kind) {
    case 'answered-parallel': {
      // Create, k rung at once, one answers, the k-1 others stop ringing, [transfer], end.
      const k = (size - (odd ? 3 : 2)) / 2;
      if (k < 1) return undefined;
      const rung = Array.from({ length: k }, (_, i) => i + 1);
      return [
        create,
        ...rung.map((n) => begin(1, n)),
        change(12, employee(1)),
        ...rung.slice(1).map((n) => end(12, n)),
        ...(odd ? [change(30, employee(99))] : []),
        ended(12, odd ? employee(99) : employee(1)),
      ];
    }
    case 'answered-sequential': {
      // Create, j employees rung 20 s each in turn without answer, the next one answers, [transfer], end.
      const j = (size - (odd ? 5 : 4)) / 2;
      if (j < 0) return undefined;
      const answeredAt = 1 + 21 * j + 6;
      return [
        create,
        ...Array.from({ length: j }, (_, i) => [begin(1 + 21 * i, i + 1), end(21 + 21 * i, i + 1)]).flat(),
        begin(1 + 21 * j, j + 1),
        change(answeredAt, employee(j + 1)),
        ...(odd ? [change(answeredAt + 20, employee(99))] : []),
        ended(answeredAt, odd ? employee(99) : employee(j + 1)),
      ];
    }
    case 'missed':
    case 'missed-redelivered': {
      const k = (size - (odd ? 3 : 2)) / 2;
      if (k < 1) return undefined;
      const rung = Array.from({ length: k }, (_, i) => i + 1);
      const missed: CallEventInput = {
        SessionID: id,
        HookType: 'MissedIncCall',
        EndTime: t(31),
        ...incoming(REDIRECTING),
        Duration: 0,
        ResultCode: '304',
      };
      return [
        create,
        ...rung.map((n) => begin(1, n)),
        ...rung.map((n) => end(31, n)),
        missed,
        ...(odd ? [missed] : []),
      ];
    }
    case 'outgoing': {
      if (size !== 2 && size !== 3) return undefined;
      const parties = { CityNumber: CITY, Caller: employee(1), Called: OUTGOING_CALLED };
      const endOut: CallEventInput = {
        SessionID: id,
        HookType: 'EndOutCall',
        StartTime: t(0),
        EndTime: t(63),
        ...parties,
        Duration: 41,
        ResultCode: '200',
      };
      return [
        { SessionID: id, HookType: 'CreateOutCall', StartTime: t(0), ...parties },
        endOut,
        ...(size === 3 ? [endOut] : []),
      ];
    }
  }
}

const isOutgoing = (kind: CallKind) => kind === 'outgoing';
const MIN_SIZE = (kind: CallKind) => (isOutgoing(kind) ? 2 : 4);

/**
 * `events` requests in `round(events / 10)` calls, sizes chosen so that the total is exact: each
 * incoming call takes its share of what the outgoing ones (2 events) leave; the last call takes
 * the remainder. SessionIDs are fresh; a call's requests are in the order the provider sends them.
 */
export function planCalls(events: number, options: PlanOptions): PlannedCall[] {
  if (!Number.isInteger(events) || events < EVENTS_PER_CALL) {
    throw new RangeError(`events must be an integer of at least ${EVENTS_PER_CALL}, got ${events}`);
  }
  const { timeZone } = options;
  if (!isValidTimeZone(timeZone)) throw new RangeError(`Unknown IANA time zone "${timeZone}"`);
  const now = (options.now ?? new Date()).getTime();
  const newSessionId = options.newSessionId ?? randomUUID;
  const random = options.random ?? Math.random;
  const count = Math.max(1, Math.round(events / EVENTS_PER_CALL));
  const kinds = Array.from({ length: count }, (_, i) => CALL_CYCLE[i % CALL_CYCLE.length] as CallKind);

  const calls: PlannedCall[] = [];
  let remaining = events;
  for (let i = 0; i < count; i++) {
    let kind = kinds[i] as CallKind;
    const rest = kinds.slice(i + 1);
    const outgoingLeft = rest.filter(isOutgoing).length;
    const minRest = rest.reduce((n, k) => n + MIN_SIZE(k), 0);
    let size: number;
    if (i === count - 1) {
      size = remaining;
      if (isOutgoing(kind) && size > 3) kind = 'answered-parallel';
      if (!isOutgoing(kind) && size < 4) kind = 'outgoing';
    } else if (isOutgoing(kind)) {
      size = 2;
    } else {
      const share = (remaining - 2 * outgoingLeft) / (rest.length - outgoingLeft + 1);
      size = Math.round(share);
      // Missed calls are even unless re-delivered; a re-delivered one is odd.
      if (kind === 'missed' && size % 2 === 1) size += share >= size ? 1 : -1;
      if (kind === 'missed-redelivered' && size % 2 === 0) size += share >= size ? 1 : -1;
      size = Math.min(Math.max(size, 4), remaining - minRest);
    }
    const start = now - Math.floor(random() * 3_600_000) - 300_000;
    const t: Clock = (offset) => providerTime(new Date(start + offset * 1000), timeZone);
    const sessionId = newSessionId();
    const flow = buildCall(kind, size, sessionId, t);
    if (!flow) throw new Error(`cannot build a ${kind} call of ${size} events`);
    const seen = new Set<string>();
    const requests = flow.map((event): PlannedRequest => {
      const body = JSON.stringify(event);
      const expected = seen.has(body) ? 'duplicate' : 'accepted';
      seen.add(body);
      return { hookType: event.HookType, body, expected };
    });
    calls.push({ sessionId, kind, requests });
    remaining -= size;
  }
  return calls;
}

export interface LoadTarget {
  url: string;
  token: string;
}

export interface LoadOptions {
  /** @default 20000 */
  events?: number;
  /** Requests in flight at once. @default 32 */
  concurrency?: number;
  /** A deployed (or already running) webhook; absent: a local mode started, and stopped, here. */
  target?: LoadTarget;
  /** With `target`: count this run's stored items in this table (standard AWS environment). */
  storedTable?: { name: string; client?: DynamoDBClientConfig };
  /** The whole run, startup and drain included; on expiry the report so far is returned. @default 600000 */
  timeoutMs?: number;
  /** Aborting it stops the run (e.g. on SIGINT); everything started is still stopped. */
  signal?: AbortSignal;
  /** Zone of the provider's wall-clock times. @default the local runtime's, when the run starts one (required with `target`) */
  timeZone?: string;
  /** Progress lines. @default nothing */
  log?: (line: string) => void;
}

export interface RuleDeliveries {
  rule: string;
  /** The HookTypes the rule's pattern routes. */
  hookTypes: string[];
  delivered: number;
  /** Accepted events of those HookTypes. */
  expected: number;
}

export interface LoadReport {
  mode: 'local' | 'remote';
  /** The webhook URL. */
  target: string;
  concurrency: number;
  planned: { events: number; calls: number; byKind: Record<string, number>; duplicates: number };
  sent: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Non-2xx answers (400 aside) and requests that got no answer. */
  errors: number;
  /** Requests by answer, e.g. `200 accepted`, `503`, `no answer`. */
  statuses: Record<string, number>;
  /** Requests whose answer was not the one planned (accepted, or duplicate for a re-delivery). */
  unexpected: number;
  send: { seconds: number; eventsPerSecond: number };
  latencyMs: { p50: number; p99: number; max: number };
  startupSeconds?: number;
  drainSeconds?: number;
  /** Items in CallEvents (local: Scan COUNT of the run's own table; remote: Query COUNT per SessionID of the run). */
  stored?: number;
  /**
   * Local mode only: the call events the local EventBridge received and each rule of theirs
   * delivered (call-level events such as CallCompleted, and their rules, are not counted).
   */
  delivered?: { received: number; distinct: number; rules: RuleDeliveries[] };
  /** Accepted events never received by EventBridge, matched by SessionID/EventKey (local mode only). */
  lost?: number;
  /** Stream records the poller gave up on (local mode). */
  givenUp?: number;
  timedOut: boolean;
  interrupted: boolean;
  totalSeconds: number;
  /** Local mode: every process and port it started is stopped, its state directory removed. */
  cleanedUp?: boolean;
  /** Local mode: the endpoints it used (closed once the report is returned). */
  endpoints?: { webhookUrl: string; dynamodbEndpoint: string; eventbridgeEndpoint: string };
  /** Why the run is not OK; empty when it is. */
  problems: string[];
  /** What this report could not measure, and why. */
  notes: string[];
  ok: boolean;
}

interface Tally {
  sent: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  errors: number;
  unexpected: number;
  statuses: Record<string, number>;
  latencies: number[];
  /** `SessionID/EventKey` of every accepted event: its EventId as published. */
  acceptedIds: Set<string>;
  acceptedByHookType: Record<string, number>;
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/** A latency percentile (`p` in %), to a tenth of a millisecond. */
const latency = (sorted: readonly number[], p: number) => Math.round(percentile(sorted, p / 100) * 10) / 10;

function field(json: unknown, name: string): string | undefined {
  if (json === null || typeof json !== 'object') return undefined;
  const value = (json as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

async function post(
  target: LoadTarget,
  call: PlannedCall,
  request: PlannedRequest,
  signal: AbortSignal,
  tally: Tally,
): Promise<void> {
  const started = performance.now();
  let label: string;
  let ok = false;
  try {
    const response = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [TOKEN_HEADER]: target.token },
      body: request.body,
      signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
    });
    const text = await response.text();
    tally.latencies.push(performance.now() - started);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const status = field(json, 'status');
    label = `${response.status}${status ? ` ${status}` : ''}`;
    if (response.status === 200 && status === 'accepted') {
      tally.accepted++;
      tally.acceptedIds.add(`${field(json, 'sessionId') ?? call.sessionId}/${field(json, 'eventKey')}`);
      tally.acceptedByHookType[request.hookType] = (tally.acceptedByHookType[request.hookType] ?? 0) + 1;
    } else if (response.status === 200 && status === 'duplicate') tally.duplicates++;
    else if (response.status === 400) tally.rejected++;
    else tally.errors++;
    ok = response.status === 200 && status === request.expected;
  } catch {
    if (signal.aborted) return; // cut short because the run is stopping: not counted
    label = 'no answer';
    tally.errors++;
  }
  tally.sent++;
  tally.statuses[label] = (tally.statuses[label] ?? 0) + 1;
  if (!ok) tally.unexpected++;
}

/** Up to `concurrency` requests in flight; each worker plays one call at a time, its events in order. */
async function send(
  calls: readonly PlannedCall[],
  target: LoadTarget,
  concurrency: number,
  signal: AbortSignal,
  tally: Tally,
  log: (line: string) => void,
  total: number,
): Promise<void> {
  let next = 0;
  const started = Date.now();
  const progress = setInterval(() => {
    const rate = Math.round(tally.sent / ((Date.now() - started) / 1000));
    log(`  … ${tally.sent}/${total} sent (${rate} events/s)`);
  }, 5000);
  const worker = async () => {
    while (!signal.aborted) {
      const call = calls[next++];
      if (!call) return;
      for (const request of call.requests) {
        if (signal.aborted) return;
        await post(target, call, request, signal, tally);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, calls.length) }, worker));
  } finally {
    clearInterval(progress);
  }
}

/** Resolves when the signal aborts (never rejects); for racing a wait against the deadline. */
const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

async function scanCount(client: DynamoDBClient, table: string): Promise<number> {
  let count = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: table, Select: 'COUNT', ExclusiveStartKey: start, ConsistentRead: true }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

/** The run's own items in a shared table: a COUNT Query per SessionID, a few at a time. */
async function queryCount(client: DynamoDBClient, table: string, sessionIds: readonly string[]) {
  let count = 0;
  let next = 0;
  const worker = async () => {
    for (let id = sessionIds[next++]; id !== undefined; id = sessionIds[next++]) {
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: table,
            Select: 'COUNT',
            KeyConditionExpression: '#pk = :s',
            ExpressionAttributeNames: { '#pk': CALL_EVENTS_KEYS.partitionKey },
            ExpressionAttributeValues: { ':s': { S: id } },
            ExclusiveStartKey: start,
            ConsistentRead: true,
          }),
        );
        count += page.Count ?? 0;
        start = page.LastEvaluatedKey;
      } while (start);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return count;
}

function countLines(file: string): number {
  if (!existsSync(file)) return 0;
  let n = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) if (line.trim() !== '') n++;
  return n;
}

function byKind(calls: readonly PlannedCall[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of calls) counts[call.kind] = (counts[call.kind] ?? 0) + 1;
  return counts;
}

function newTally(): Tally {
  return {
    sent: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    errors: 0,
    unexpected: 0,
    statuses: {},
    latencies: [],
    acceptedIds: new Set(),
    acceptedByHookType: {},
  };
}

/**
 * Plays the load and accounts for it. In local mode the runtime is always stopped and its
 * temporary state removed before this resolves, whatever happened (deadline, abort, error).
 */
export async function runLoad(options: LoadOptions = {}): Promise<LoadReport> {
  const began = Date.now();
  const events = options.events ?? LOAD_DEFAULTS.events;
  const concurrency = options.concurrency ?? LOAD_DEFAULTS.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const timeoutMs = options.timeoutMs ?? LOAD_DEFAULTS.timeoutMs;
  const log = options.log ?? (() => {});

  const stop = new AbortController();
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    stop.abort();
  }, timeoutMs);
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stop.abort();

  const tally = newTally();
  const problems: string[] = [];
  const notes: string[] = [];
  const received = new Map<string, number>();
  const report: Partial<LoadReport> = {};
  let runtime: LocalRuntime | undefined;
  let stateDir: string | undefined;
  let sendMs = 0;
  // Planned now when the zone is given (a bad event count fails before anything starts), else
  // once the local runtime this run starts tells its own.
  let calls = options.timeZone ? planCalls(events, { timeZone: options.timeZone }) : [];

  try {
    let target = options.target;
    if (!target) {
      stateDir = mkdtempSync(join(tmpdir(), 'call-events-load-'));
      log('Starting local mode (in memory)…');
      const startedAt = Date.now();
      runtime = await startLocalRuntime({
        port: 0,
        inMemory: true,
        stateDir,
        onEvent: (event: EventEnvelope) => {
          if (!isHookType(event['detail-type'])) return;
          const id = event.detail.EventId;
          if (typeof id === 'string') received.set(id, (received.get(id) ?? 0) + 1);
        },
      });
      report.startupSeconds = seconds(Date.now() - startedAt);
      report.endpoints = {
        webhookUrl: runtime.webhookUrl,
        dynamodbEndpoint: runtime.dynamodbEndpoint,
        eventbridgeEndpoint: runtime.eventbridgeEndpoint,
      };
      target = { url: runtime.webhookUrl, token: runtime.token };
      log(`Local mode ready in ${report.startupSeconds} s`);
    }
    report.target = target.url;
    if (calls.length === 0) {
      const timeZone = runtime?.environments.ingest[INGEST_ENV.timeZone];
      if (!timeZone) throw new RangeError('timeZone is required to load a webhook this run did not start');
      calls = planCalls(events, { timeZone });
    }

    if (!stop.signal.aborted) {
      log(`Sending ${events} events in ${calls.length} calls, ${concurrency} at a time…`);
      const sendStarted = performance.now();
      await send(calls, target, concurrency, stop.signal, tally, log, events);
      sendMs = performance.now() - sendStarted;
    }

    if (runtime && !stop.signal.aborted) {
      log('Waiting for the stream and EventBridge to drain…');
      const drainStarted = Date.now();
      const remaining = Math.max(1, timeoutMs - (Date.now() - began));
      const drained = runtime.drained(remaining).then(
        () => true,
        () => false,
      );
      const done = await Promise.race([drained, aborted(stop.signal).then(() => false)]);
      report.drainSeconds = seconds(Date.now() - drainStarted);
      if (!done && !stop.signal.aborted) timedOut = true;
    }

    // Interrupted from a terminal, the local processes got the Ctrl-C too: nothing left to ask.
    if (runtime && !options.signal?.aborted) {
      const client = new DynamoDBClient({
        endpoint: runtime.dynamodbEndpoint,
        region: runtime.region,
        credentials: {
          accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID,
          secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY,
        },
      });
      try {
        report.stored = await scanCount(client, runtime.tables.callEvents);
      } finally {
        client.destroy();
      }
      const rules = runtime.rules.flatMap((rule): RuleDeliveries[] => {
        const hookTypes = (rule.eventPattern['detail-type'] as string[] | undefined) ?? [];
        // A rule of call-level events (MissedCallsToCallBack) depends on the calls' outcomes.
        if (!hookTypes.every(isHookType)) return [];
        return [
          {
            rule: rule.name,
            hookTypes,
            delivered: countLines(join(runtime?.deliveriesDir ?? '', `${rule.name}.ndjson`)),
            // The stack's rules of call events match on source and detail-type only.
            expected: hookTypes.reduce((n, t) => n + (tally.acceptedByHookType[t] ?? 0), 0),
          },
        ];
      });
      const receivedCount = [...received.values()].reduce((n, count) => n + count, 0);
      report.delivered = { received: receivedCount, distinct: received.size, rules };
      report.lost = [...tally.acceptedIds].filter((id) => !received.has(id)).length;
      report.givenUp = runtime.pollers.reduce((n, p) => n + p.stats().recordsGivenUp, 0);
    } else if (options.storedTable) {
      const client = new DynamoDBClient(options.storedTable.client ?? {});
      try {
        report.stored = await queryCount(
          client,
          options.storedTable.name,
          calls.map((c) => c.sessionId),
        );
      } finally {
        client.destroy();
      }
      notes.push(
        `stored: this run's items in ${options.storedTable.name} (a COUNT Query per SessionID), read just after sending`,
      );
    }
    if (!options.target && options.signal?.aborted) {
      notes.push('interrupted: HTTP figures only, the table and deliveries were not counted');
    } else if (!runtime) {
      notes.push(
        'remote target: HTTP figures only; the table (unless --aws --table) and EventBridge deliveries cannot be seen from here, so lost is not measured',
      );
    }
  } catch (error) {
    problems.push(`run failed: ${(error as Error).message.split('\n')[0]}`);
  } finally {
    clearTimeout(deadline);
    options.signal?.removeEventListener('abort', onAbort);
    if (runtime) {
      log('Stopping local mode…');
      await runtime.stop();
      report.cleanedUp = true;
    }
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  }

  const interrupted = options.signal?.aborted === true && !timedOut;
  const sorted = [...tally.latencies].sort((a, b) => a - b);
  const planned = calls.reduce((n, c) => n + c.requests.filter((r) => r.expected === 'duplicate').length, 0);
  const full: LoadReport = {
    mode: options.target ? 'remote' : 'local',
    target: report.target ?? options.target?.url ?? 'not started',
    concurrency,
    planned: { events, calls: calls.length, byKind: byKind(calls), duplicates: planned },
    sent: tally.sent,
    accepted: tally.accepted,
    duplicates: tally.duplicates,
    rejected: tally.rejected,
    errors: tally.errors,
    statuses: tally.statuses,
    unexpected: tally.unexpected,
    send: {
      seconds: seconds(sendMs),
      eventsPerSecond: sendMs > 0 ? Math.round(tally.sent / (sendMs / 1000)) : 0,
    },
    latencyMs: { p50: latency(sorted, 50), p99: latency(sorted, 99), max: latency(sorted, 100) },
    ...report,
    timedOut,
    interrupted,
    totalSeconds: seconds(Date.now() - began),
    problems,
    notes,
    ok: false,
  };
  if (timedOut) problems.push(`stopped at the deadline (${seconds(timeoutMs)} s)`);
  if (interrupted) problems.push('interrupted');
  if (timedOut) {
    notes.push(
      'cut short: requests in flight were abandoned (some may have been stored) and the pipeline was not drained, so stored, delivered and lost are a snapshot, not a verdict',
    );
  } else if (!interrupted) {
    if (full.sent < events) problems.push(`sent ${full.sent} of ${events}`);
    if (full.lost !== undefined && full.lost > 0) problems.push(`${full.lost} accepted event(s) lost`);
    if (full.stored !== undefined && full.stored !== full.accepted) {
      problems.push(`stored ${full.stored} ≠ accepted ${full.accepted}`);
    }
    for (const rule of full.delivered?.rules ?? []) {
      if (rule.delivered < rule.expected) {
        problems.push(`${rule.rule} delivered ${rule.delivered} of ${rule.expected} expected`);
      }
    }
  }
  if (full.unexpected > 0) problems.push(`${full.unexpected} request(s) not answered as planned`);
  if (full.givenUp) problems.push(`${full.givenUp} stream record(s) given up`);
  full.ok = problems.length === 0;
  return full;
}

const n = (value: number) => value.toLocaleString('en-US');

/** The CLI's summary of a run: one figure a line. */
export function formatReport(r: LoadReport): string {
  const kinds = Object.entries(r.planned.byKind)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ');
  const lines = [
    `Load: ${n(r.planned.events)} events in ${n(r.planned.calls)} call${r.planned.calls === 1 ? '' : 's'} (${kinds}), concurrency ${r.concurrency}`,
    `  target       ${r.mode === 'local' ? `local mode, in memory (${r.target})` : r.target}`,
  ];
  if (r.startupSeconds !== undefined) lines.push(`  startup      ${r.startupSeconds} s`);
  lines.push(
    `  sent         ${n(r.sent)} in ${r.send.seconds} s: ${n(r.send.eventsPerSecond)} events/s`,
    `  latency      p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms`,
    `  accepted     ${n(r.accepted)}`,
    `  duplicates   ${n(r.duplicates)} (${n(r.planned.duplicates)} re-deliveries planned)`,
    `  rejected     ${n(r.rejected)}`,
    `  errors       ${n(r.errors)}`,
    `  answers      ${
      Object.entries(r.statuses)
        .map(([status, count]) => `${status} ×${n(count)}`)
        .join(', ') || 'none'
    }`,
  );
  if (r.drainSeconds !== undefined) lines.push(`  drained in   ${r.drainSeconds} s after the last answer`);
  if (r.stored !== undefined) lines.push(`  stored       ${n(r.stored)}`);
  if (r.delivered) {
    const again = r.delivered.received - r.delivered.distinct;
    lines.push(
      `  delivered    ${n(r.delivered.received)} call events received by the local EventBridge (${n(r.delivered.distinct)} distinct EventIds${again > 0 ? `, ${n(again)} more than once` : ''})`,
    );
    for (const rule of r.delivered.rules) {
      lines.push(
        `    ${rule.rule.padEnd(28)} ${n(rule.delivered)} delivered / ${n(rule.expected)} expected (${rule.hookTypes.join(', ')})`,
      );
    }
  }
  if (r.lost !== undefined) {
    lines.push(`  lost         ${n(r.lost)} (accepted events never received, by SessionID/EventKey)`);
  }
  if (r.givenUp !== undefined) lines.push(`  given up     ${n(r.givenUp)} stream record(s)`);
  for (const note of r.notes) lines.push(`  note: ${note}`);
  lines.push(`  total        ${r.totalSeconds} s${r.cleanedUp ? ', local mode stopped and removed' : ''}`);
  lines.push(r.ok ? 'OK' : `NOT OK: ${r.problems.join('; ')}`);
  return lines.join('\n');
}

const isHookType = (value: unknown): boolean => (HOOK_TYPES as readonly unknown[]).includes(value);
