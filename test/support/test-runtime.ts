/**
 * The local runtime as an integration test file uses it: its own instance (in memory, a free
 * port, a temporary state dir), and what it stored, quarantined, published, delivered and gave
 * up on, read back the way an operator would.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { INGEST_ENV } from '../../lambda/config/environment';
import type { FunctionKind } from '../../lambda/config/functions';
import { TOKEN_HEADER } from '../../lambda/config/webhook';
import { HOOK_TYPES } from '../../lambda/contract/hook-types';
import type { EventEnvelope } from '../../local/eventbridge/server';
import {
  type LocalPoller,
  type LocalRuntime,
  type LocalRuntimeOptions,
  startLocalRuntime,
} from '../../local/runtime';

export interface Answer {
  status: number;
  json: Record<string, unknown>;
}

export interface FailedRecord {
  reason: string;
  /** The function whose mapping gave the record up. */
  functionName: string;
  record: DynamoDBRecord;
}

export interface TestRuntime {
  runtime: LocalRuntime;
  /** The zone the stack reads the provider's wall-clock times in: what simulated calls are written in. */
  timeZone: string;
  doc: DynamoDBDocumentClient;
  /** Every event the local bus accepted, in order, routed or not. */
  received: EventEnvelope[];
  /** The HookTypes the stack's rules route (each to its deliveries file). */
  routed: string[];
  /** POSTs a body to the webhook, with the token in X-Webhook-Token unless other headers are given. */
  post(body: string, headers?: Record<string, string>, query?: string): Promise<Answer>;
  /** The CallEvents items of a call, in key order. */
  stored(sessionId: string): Promise<Record<string, unknown>[]>;
  /** The call's record in the Calls table (read consistently), or undefined. */
  callRecord(sessionId: string): Promise<Record<string, unknown> | undefined>;
  /** Every item of a table. */
  scan(table: string): Promise<Record<string, unknown>[]>;
  /** What the stack's rule that routes this HookType delivered so far (for one call, given its SessionID). */
  deliveries(hookType: string, sessionId?: string): EventEnvelope[];
  /** The stream records the mappings gave up on (the on-failure destination). */
  failed(): FailedRecord[];
  /** The poller of the mapping from a table's stream to a function, e.g. ('callEvents', 'publish'). */
  poller(table: keyof LocalRuntime['tables'], kind: FunctionKind): LocalPoller;
  stop(): Promise<void>;
}

const lines = (file: string): unknown[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line))
    : [];

export async function startTestRuntime(options: Partial<LocalRuntimeOptions> = {}): Promise<TestRuntime> {
  const stateDir = mkdtempSync(join(tmpdir(), 'call-events-test-'));
  const received: EventEnvelope[] = [];
  const runtime = await startLocalRuntime({
    port: 0,
    inMemory: true,
    stateDir,
    ...options,
    onEvent: (event) => {
      received.push(event);
      options.onEvent?.(event);
    },
  });
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: runtime.dynamodbEndpoint,
      region: runtime.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
    // As the ingest function's client marshals (lambda/shared/dynamodb.ts).
    { marshallOptions: { removeUndefinedValues: true, allowImpreciseNumbers: true } },
  );

  const ruleFor = (hookType: string): string => {
    const rule = runtime.rules.find((r) =>
      ((r.eventPattern['detail-type'] as string[] | undefined) ?? []).includes(hookType),
    );
    if (!rule) throw new Error(`No rule of the stack routes ${hookType}`);
    return rule.name;
  };

  return {
    runtime,
    timeZone: runtime.environments.ingest[INGEST_ENV.timeZone] as string,
    doc,
    received,
    routed: runtime.rules.flatMap((r) => (r.eventPattern['detail-type'] as string[] | undefined) ?? []),
    async post(body, headers = { [TOKEN_HEADER]: runtime.token }, query = '') {
      const response = await fetch(`${runtime.webhookUrl}${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      const text = await response.text();
      return { status: response.status, json: JSON.parse(text) as Record<string, unknown> };
    },
    async stored(sessionId) {
      const { Items } = await doc.send(
        new QueryCommand({
          TableName: runtime.tables.callEvents,
          KeyConditionExpression: 'SessionID = :s',
          ExpressionAttributeValues: { ':s': sessionId },
          ConsistentRead: true,
        }),
      );
      return Items ?? [];
    },
    async callRecord(sessionId) {
      const { Item } = await doc.send(
        new GetCommand({
          TableName: runtime.tables.calls,
          Key: { SessionID: sessionId },
          ConsistentRead: true,
        }),
      );
      return Item;
    },
    async scan(table) {
      const items: Record<string, unknown>[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      return items;
    },
    deliveries: (hookType, sessionId) =>
      (lines(join(runtime.deliveriesDir, `${ruleFor(hookType)}.ndjson`)) as EventEnvelope[]).filter(
        (event) => sessionId === undefined || event.detail.SessionID === sessionId,
      ),
    failed: () => lines(runtime.failedFile) as FailedRecord[],
    poller(table, kind) {
      const found = runtime.pollers.find((p) => p.table === runtime.tables[table] && p.kind === kind);
      if (!found) throw new Error(`No stream mapping from ${table} to the ${kind} function`);
      return found;
    },
    async stop() {
      doc.destroy();
      await runtime.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** How many times each value occurs. */
export function tally(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/** A call event (a HookType) rather than a call-level event such as CallCompleted. */
export const isCallEvent = (event: EventEnvelope): boolean =>
  (HOOK_TYPES as readonly string[]).includes(event['detail-type']);

/** A call's CallCompleted as `kindOfEventId` gives it: `<SessionID>/CallCompleted`, whatever the Outcome. */
export const completedIdOf = (sessionId: string): string => `${sessionId}/CallCompleted`;

/**
 * A call-level EventId without the state it announces (`<SessionID>/CallCompleted/missed` →
 * `<SessionID>/CallCompleted`), to count the events of each kind of a call; a raw event's as it is.
 */
export const kindOfEventId = (eventId: string): string =>
  eventId.replace(
    /^([^/]+\/(?:CallCompleted|MissedCallResolved|MissedCallReopened|MissedCallNotCalledBack|CallStuck))\/.*$/,
    '$1',
  );

/** The EventId consumers de-duplicate on, of a stored item or a published event's detail. */
export const eventIdOf = (item: Record<string, unknown>): string => `${item.SessionID}/${item.EventKey}`;
