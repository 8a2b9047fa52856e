/**
 * A local EventBridge endpoint over the AWS JSON 1.1 protocol on 127.0.0.1: PutEvents, each
 * accepted event written to the bus's events file and evaluated against its bus's rules, every
 * match delivered to an NDJSON file per rule (and a hook); and the rule actions users write their
 * own rules with (rule-calls.ts). Signatures and credentials are not checked.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type BoundedAppender, createBoundedAppender } from '../bounded-file';
import {
  type AcceptedEntry,
  AwsJsonError,
  acceptEntry,
  type EventEnvelope,
  type FailedEntry,
  failed,
  isFailed,
  parsePutEventsRequest,
} from './put-events';
import { createRuleCalls, type RuleCall } from './rule-calls';
import { DEFAULT_EVENT_BUS, type LocalRule } from './rules';

export type { EventEnvelope } from './put-events';

export type DeliveryHook = (ruleName: string, event: EventEnvelope) => void;

export interface LocalEventBridgeOptions {
  /** 0 picks a free port. @default 0 */
  port?: number;
  rules: readonly LocalRule[];
  /** Buses PutEvents accepts besides `default` and the rules' own buses. @default [] */
  buses?: readonly string[];
  /**
   * Each rule's matches are appended to `<deliveriesDir>/<rule name>.ndjson`, one event per line,
   * the stack's rules and users' enabled rules with a target alike (rotated past `maxFileBytes`).
   */
  deliveriesDir: string;
  /**
   * Every event accepted onto a bus, routed or not, is appended here as one line (its envelope),
   * before its deliveries: what `npm run tail` follows. @default not written
   */
  eventsFile?: string;
  /**
   * The rules and targets users add with PutRule / PutTargets, kept across restarts (read at
   * start, written at each change). @default kept in memory only
   */
  userRulesFile?: string;
  /** The size past which the events and deliveries files are rotated. @default 16 MiB (local/bounded-file.ts) */
  maxFileBytes?: number;
  /** @default 'us-east-1' */
  region?: string;
  /**
   * Rules whose matches go to a consumer instead of their deliveries file (local mode's queues
   * that a function consumes), by rule name: given each matching event's JSON. @default none
   */
  sinks?: ReadonlyMap<string, (eventJson: string) => void>;
  /** Called after each delivery is written; local mode prints {@link formatDelivery}. @default nothing */
  onDelivery?: DeliveryHook;
  /** Called for every event accepted onto a bus, matched by a rule or not (e.g. a load test's tally). @default nothing */
  onReceive?: (event: EventEnvelope) => void;
}

export interface LocalEventBridgeStats {
  /** Entries accepted onto a bus. */
  received: number;
  /** Deliveries: (event, matching rule) pairs. */
  delivered: number;
  /** Accepted events that matched no rule of their bus. */
  unmatched: number;
  /** Entries answered with an ErrorCode, injected failures included. */
  failedEntries: number;
}

export interface LocalEventBridge {
  /** For `AWS_ENDPOINT_URL_EVENTBRIDGE` or a client's `endpoint`. */
  endpoint: string;
  port: number;
  stats(): LocalEventBridgeStats;
  close(): Promise<void>;
  /**
   * The next `n` PutEvents calls fail as a whole: HTTP 500 `InternalException`. With
   * `detailTypes`, only calls carrying an entry of one of them fail (and count).
   */
  failNextCalls(n: number, detailTypes?: readonly string[]): void;
  /**
   * The next `n` otherwise valid entries fail alone with `ThrottlingException`. With
   * `detailTypes`, only entries of one of them fail (and count).
   */
  failNextEntries(n: number, detailTypes?: readonly string[]): void;
}

/** One line per delivery, without phone numbers: rule, detail-type and the call's SessionID. */
export function formatDelivery(ruleName: string, event: EventEnvelope): string {
  const sessionId = event.detail.SessionID;
  return `→ ${ruleName} ${event['detail-type']}${typeof sessionId === 'string' ? ` ${sessionId}` : ''}`;
}

/** The AWS JSON protocol names an action `AWSEvents.<Action>` in the X-Amz-Target header. */
const TARGET_PREFIX = 'AWSEvents.';

/** Injected failures still to come, and which entries they hit (any when `detailTypes` is absent). */
interface Fault {
  left: number;
  detailTypes?: ReadonlySet<string>;
}

const fault = (n: number, detailTypes?: readonly string[]): Fault =>
  detailTypes === undefined ? { left: n } : { left: n, detailTypes: new Set(detailTypes) };

/** Whether an injected fault hits this (raw, not yet validated) entry. */
const targeted = (injected: Fault, entry: unknown): boolean =>
  injected.detailTypes === undefined ||
  injected.detailTypes.has(String((entry as { DetailType?: unknown } | null)?.DetailType));

export async function startLocalEventBridge(options: LocalEventBridgeOptions): Promise<LocalEventBridge> {
  const knownBuses = new Set([
    DEFAULT_EVENT_BUS,
    ...(options.buses ?? []),
    ...options.rules.map((r) => r.eventBusName),
  ]);
  const region = options.region ?? 'us-east-1';
  const ruleCalls = createRuleCalls({
    stackRules: options.rules,
    knownBuses,
    region,
    ...(options.userRulesFile === undefined ? {} : { userRulesFile: options.userRulesFile }),
  });
  const onDelivery = options.onDelivery ?? (() => {});
  const stats: LocalEventBridgeStats = { received: 0, delivered: 0, unmatched: 0, failedEntries: 0 };
  const faults: { calls: Fault; entries: Fault } = { calls: { left: 0 }, entries: { left: 0 } };
  await mkdir(options.deliveriesDir, { recursive: true });
  const fileOptions = options.maxFileBytes === undefined ? {} : { maxBytes: options.maxFileBytes };
  const eventsFile =
    options.eventsFile === undefined ? undefined : createBoundedAppender(options.eventsFile, fileOptions);
  const deliveryFiles = new Map<string, BoundedAppender>();
  const deliveryFile = (rule: string) => {
    const existing = deliveryFiles.get(rule);
    if (existing) return existing;
    const created = createBoundedAppender(join(options.deliveriesDir, `${rule}.ndjson`), fileOptions);
    deliveryFiles.set(rule, created);
    return created;
  };

  async function deliver(accepted: AcceptedEntry): Promise<void> {
    const line = `${JSON.stringify(accepted.envelope)}\n`;
    await eventsFile?.append(line);
    const matching = ruleCalls.routes(accepted.eventBusName).filter((r) => r.matches(accepted.envelope));
    if (matching.length === 0) stats.unmatched++;
    for (const rule of matching) {
      const sink = options.sinks?.get(rule.name);
      if (sink) sink(JSON.stringify(accepted.envelope));
      else await deliveryFile(rule.name).append(line);
      stats.delivered++;
      onDelivery(rule.name, accepted.envelope);
    }
  }

  /** Entries answered in request order; deliveries are written before the response, so callers can read them at once. */
  async function putEvents(body: string): Promise<{ FailedEntryCount: number; Entries: object[] }> {
    const entries = parsePutEventsRequest(body);
    if (faults.calls.left > 0 && entries.some((entry) => targeted(faults.calls, entry))) {
      faults.calls.left--;
      throw new AwsJsonError(
        'InternalException',
        'Injected failure of the whole call (local EventBridge)',
        500,
      );
    }
    const results: (AcceptedEntry | FailedEntry)[] = entries.map((entry) => {
      const result = acceptEntry(entry, { region, knownBuses });
      if (isFailed(result) || faults.entries.left === 0 || !targeted(faults.entries, entry)) return result;
      faults.entries.left--;
      return failed('ThrottlingException', 'Rate exceeded (injected by local EventBridge)');
    });
    for (const result of results) {
      if (isFailed(result)) stats.failedEntries++;
      else {
        stats.received++;
        options.onReceive?.(result.envelope);
        await deliver(result);
      }
    }
    return {
      FailedEntryCount: results.filter(isFailed).length,
      Entries: results.map((r) => (isFailed(r) ? r : { EventId: r.envelope.id })),
    };
  }

  const actions: Actions = {
    ...ruleCalls.calls,
    PutEvents: putEvents,
  };
  const server = createServer((req, res) => {
    handle(req, res, actions).catch((error: unknown) => sendError(res, internalError(error)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stats: () => ({ ...stats }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // SDK clients keep connections alive; without this, close waits for them to time out.
        server.closeAllConnections();
      }),
    failNextCalls: (n, detailTypes) => {
      faults.calls = fault(n, detailTypes);
    },
    failNextEntries: (n, detailTypes) => {
      faults.entries = fault(n, detailTypes);
    },
  };
}

/** Each action the endpoint answers, by its name in X-Amz-Target; its body in, its answer out. */
type Actions = Readonly<Record<string, RuleCall | ((body: string) => Promise<object>)>>;

async function handle(req: IncomingMessage, res: ServerResponse, actions: Actions): Promise<void> {
  const target = req.headers['x-amz-target'];
  const body = await readBody(req);
  const action =
    typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
  const run = req.method === 'POST' && Object.hasOwn(actions, action) ? actions[action] : undefined;
  if (!run) {
    throw new AwsJsonError(
      'UnknownOperationException',
      `Operation ${String(target)} is not supported by the local EventBridge`,
    );
  }
  sendJson(res, 200, await run(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Only errors we raised on purpose carry their message; anything else is a generic InternalException. */
function internalError(error: unknown): AwsJsonError {
  if (error instanceof AwsJsonError) return error;
  console.error('local EventBridge: unexpected error', error);
  return new AwsJsonError('InternalException', 'Internal error in the local EventBridge', 500);
}

function sendError(res: ServerResponse, error: AwsJsonError): void {
  sendJson(
    res,
    error.statusCode,
    { __type: error.type, message: error.message },
    { 'x-amzn-ErrorType': error.type },
  );
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: object,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-RequestId': randomUUID(),
    ...headers,
  });
  res.end(JSON.stringify(body));
}
