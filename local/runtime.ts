/**
 * The whole pipeline on one machine: DynamoDB Local with the stack's tables, the bundled
 * functions in their own processes with the stack's environments, the stream poller with
 * the stack's mapping settings, a local EventBridge with the stack's rules, and an HTTP
 * front door. Everything is read from the synthesized template; nothing is restated here.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, DynamoDBStreamEvent } from 'aws-lambda';
import { CRM_ENV, INGEST_ENV, PROJECT_ENV } from '../lambda/config/environment';
import { FUNCTION_KINDS, type FunctionKind } from '../lambda/config/functions';
import { SETTINGS } from '../lambda/config/settings';
import { WEBHOOK_PATH } from '../lambda/config/webhook';
import { CRMS, type CrmName, isCrmName } from '../lambda/crm/crms';
import { presentedToken, readIngestConfig, tokenMatches } from '../lambda/ingest';
import { readSetting } from '../lambda/shared/env';
import { type DynamoDbLocal, LOCAL_AWS_ENV, startDynamoDbLocal } from './dynamodb-local';
import { busesFromTemplate, type LocalRule, rulesFromTemplate } from './eventbridge/rules';
import { type EventEnvelope, type LocalEventBridge, startLocalEventBridge } from './eventbridge/server';
import { acquireInstanceLock } from './instance-lock';
import { type LocalFunction, startFunction } from './lambda-runner';
import { type LocalKeySource, localPseudonymKey } from './pseudonym-key';
import { type LocalSchedule, scheduleRateMs, startSchedule } from './schedules';
import { LocalQueue } from './sqs/local-queue';
import { type QueuePoller, queueMappingSettings, startQueuePoller } from './sqs/queue-poller';
import { type LocalConsumersServer, startLocalConsumersServer } from './sqs/server';
import { readCheckpoints, writeFileAtomic } from './state-file';
import { mappingSettings, type StreamPoller, startStreamPoller } from './stream-poller';
import { synthesizeBundledReusing } from './synth';
import { createStackTables } from './tables';
import {
  type CfnResource,
  type CfnTemplate,
  functionEnvironment,
  functionsByKind,
  localName,
  resourcesOfType,
} from './template';
import { type RequestSummary, startWebhookServer, type WebhookServer } from './webhook-server';

export interface LocalRuntimeOptions {
  /** Webhook port; 0 picks a free one. */
  port: number;
  /** The webhook's address. @default '127.0.0.1': nothing but this machine reaches it */
  host?: string;
  /** DynamoDB Local's port on 127.0.0.1. @default 0: a free one */
  dynamodbPort?: number;
  /** The local EventBridge's port on 127.0.0.1. @default 0: a free one */
  eventbridgePort?: number;
  /** The consumers' SQS and Lambda APIs' port on 127.0.0.1. @default 0: a free one */
  consumersPort?: number;
  /** @default the one kept in `<stateDir>/token` from the previous start, else a new one kept there */
  token?: string;
  inMemory: boolean;
  /** Where state, bundles, logs, deliveries and failures go. */
  stateDir?: string;
  /**
   * Told after each invocation of a function of the stack: its local name, how long its handler
   * ran, and the memory the stack gives it (what Lambda bills). The cost benchmark counts with it.
   * @default nothing
   */
  onInvocation?: (invocation: {
    functionName: string;
    durationMs: number;
    memoryMb: number;
    /** The function's LoggingConfig in the template: Lambda's log format and the level of its own lines. */
    logging: { format: string; systemLogLevel: string };
  }) => void;
  /**
   * The DynamoDB endpoint the functions use, given DynamoDB Local's: e.g. a meter in front of it
   * that counts what each request consumes. The tools and local mode's own pollers use DynamoDB
   * Local's directly. @default DynamoDB Local's
   */
  functionsDynamoDbEndpoint?: (dynamodbLocal: string) => Promise<string>;
  /** cdk.json context overrides (e.g. timeZone). */
  context?: Record<string, unknown>;
  log?: (line: string) => void;
  /**
   * The CRM secret's JSON (amoCRM `{"accessToken":"…"}`, Bitrix24 `{"clientId","clientSecret","refreshToken"}`), given to the CRM consumer in place of the
   * stack's secret. Required when the stack delivers to a CRM. @default process.env.CRM_SECRET
   */
  crmSecret?: string;
  /** Told of every webhook request once answered (`npm start` prints the request log). @default nothing */
  onRequest?: (summary: RequestSummary) => void;
  /** Every event the local EventBridge accepts onto a bus, routed or not. @default nothing */
  onEvent?: (event: EventEnvelope) => void;
  /**
   * Wait before the stream poller's n-th retry of a failed batch (tests shorten it, so that a
   * mapping's retries run out in seconds). @default the poller's (100 ms doubling, at most 2 s)
   */
  pollerBackoffMs?: (attempt: number) => number;
  /**
   * The consumers' queues' visibility timeout, in place of the stack's (tests shorten it, so that
   * a failed batch comes back, and a refused message reaches its dead-letter queue, in seconds).
   * @default each queue's own
   */
  consumerVisibilityTimeoutSeconds?: number;
  /** How often the stream poller looks for new records when idle. @default the poller's (250 ms) */
  pollerIdleMs?: number;
  /**
   * How often every scheduled rule runs its target. @default the rule's own rate, or more often
   * for the call sweep: at least twice within the stack's `stuckCallAfterMinutes`, so that a
   * threshold of seconds (`-c stuckCallAfterMinutes=0.05`) shows a stuck call in seconds
   */
  scheduleEveryMs?: number;
}

export interface LocalRuntime {
  webhookUrl: string;
  /** The webhook's address, as asked for. */
  host: string;
  /** Whether the bundles and template of the previous start were reused (nothing they are built from changed). */
  reusedBuild: boolean;
  /** The synthesized template everything here was made from. */
  template: CfnTemplate;
  token: string;
  region: string;
  dynamodbEndpoint: string;
  eventbridgeEndpoint: string;
  /** The SQS and Lambda APIs of the consumers' queues and mappings (`AWS_ENDPOINT_URL_SQS`, `…_LAMBDA`). */
  consumersEndpoint: string;
  tables: { callEvents: string; rejectedEvents: string; calls: string };
  stateDir: string;
  deliveriesDir: string;
  /** Every event accepted onto a bus, routed or not, one JSON line each. */
  eventsFile: string;
  failedFile: string;
  eventBridge: LocalEventBridge;
  /** The stack's rules, as the local EventBridge evaluates them. */
  rules: LocalRule[];
  /** The functions' environments as the stack sets them (tables and bus resolved to local names). */
  environments: Record<FunctionKind, Record<string, string>>;
  /** One poller per event source mapping of the stack, each named by its table and function. */
  pollers: LocalPoller[];
  /**
   * One per SQS event source mapping of the stack (a consumer of the bus): its local queue (kept
   * under `<stateDir>/queues/`), that queue's dead-letter queue, and the mapping invoking its function.
   */
  consumers: LocalConsumer[];
  /** The CRM consumer, when the stack delivers to a CRM: its ledger table and consumer. */
  crm: { name: CrmName; ledgerTable: string; consumer: LocalConsumer } | undefined;
  /** Pseudonymous mode (`-c customerNumbers=pseudonymous`): where the ingest's pseudonym key comes from. */
  pseudonymKey?: LocalKeySource;
  /** One per scheduled rule's target (the call sweep); `runNow()` runs it at once. */
  schedules: LocalSchedule[];
  /** The functions by local name (`IngestFunction`, `PublishFunction`, …), e.g. to see their workers. */
  functions: Map<string, LocalFunction>;
  /** DynamoDB Local, supervised. */
  dynamodb: DynamoDbLocal;
  /**
   * Resolves, with one line naming what died and how to restart, if a part of local mode died
   * and could not be brought back; the owner then stops local mode. Never rejects.
   */
  failure: Promise<string>;
  /**
   * Resolves once everything written so far has gone through every stream and its function,
   * including what those functions wrote in turn (CallEvents → projector → Calls stream →
   * publisher → bus): all the pollers drained together, a whole round with nothing new.
   */
  drained(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const REGION = LOCAL_AWS_ENV.AWS_REGION;

/** A stream poller of local mode, with the table it reads and the function it invokes (local names). */
export interface LocalPoller extends StreamPoller {
  table: string;
  functionName: string;
  /** What the function is, by its tag (undefined for a function without one). */
  kind: FunctionKind | undefined;
  /** The mapping's batching window (MaximumBatchingWindowInSeconds; 0 when it has none). */
  batchingWindowSeconds: number;
}

/** A consumer of the bus as local mode runs it: rule → queue → mapping → function. */
export interface LocalConsumer {
  /** The queue's local name (its logical id without CDK's hash). */
  name: string;
  queue: LocalQueue;
  deadLetterQueue: LocalQueue | undefined;
  poller: QueuePoller;
  functionName: string;
}

/** Progress a poller has made: anything read, delivered, retried or given up on. */
const progressOf = (poller: StreamPoller) => {
  const s = poller.stats();
  return s.invocations + s.recordsDelivered + s.recordsFilteredOut + s.recordsGivenUp + s.retries;
};

const queueProgressOf = (poller: QueuePoller) => {
  const s = poller.stats();
  return s.invocations + s.deleted + s.failed;
};

/**
 * Until a whole round in which every poller drained and none made progress: a function invoked
 * in one round may write to another table's stream, or put events that fill a consumer's queue,
 * which the next round then reads.
 */
async function drainAll(
  pollers: readonly StreamPoller[],
  consumers: readonly QueuePoller[],
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const total = () =>
    pollers.reduce((n, p) => n + progressOf(p), 0) + consumers.reduce((n, p) => n + queueProgressOf(p), 0);
  for (;;) {
    const before = total();
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`streams and queues not drained within ${timeoutMs} ms`);
    await Promise.all([...pollers.map((p) => p.drained(left)), ...consumers.map((p) => p.drained(left))]);
    if (total() === before) return;
  }
}

/** The SQS event source mappings of the template: the queue each reads and the function it invokes. */
function queueMappings(
  template: CfnTemplate,
): { mappingId: string; queueId: string; fnId: string; mapping: CfnResource }[] {
  return resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').flatMap(([mappingId, mapping]) => {
    const queueId = referencedId(mapping.Properties?.EventSourceArn);
    const fnId = referencedId(mapping.Properties?.FunctionName);
    if (!queueId || template.Resources[queueId]?.Type !== 'AWS::SQS::Queue') return [];
    if (!fnId) throw new Error(`The event source mapping of ${queueId} names no function`);
    return [{ mappingId, queueId, fnId, mapping }];
  });
}

/** A consumed queue of the template, and its dead-letter queue, as local queues kept in `dir` (or in memory). */
function localQueuesOf(
  template: CfnTemplate,
  queueId: string,
  dir: string | undefined,
  visibilityTimeoutSeconds: number | undefined,
) {
  const make = (id: string, deadLetter?: { queue: LocalQueue; maxReceiveCount: number }) => {
    const p = template.Resources[id]?.Properties ?? {};
    const name = localName(id);
    return new LocalQueue({
      name,
      region: REGION,
      visibilityTimeoutSeconds: visibilityTimeoutSeconds ?? (p.VisibilityTimeout as number | undefined) ?? 30,
      ...(dir ? { journalFile: join(dir, `${name}.ndjson`) } : {}),
      ...(deadLetter ? { deadLetter } : {}),
    });
  };
  const redrive = template.Resources[queueId]?.Properties?.RedrivePolicy as
    | { deadLetterTargetArn?: unknown; maxReceiveCount?: number }
    | undefined;
  const dlqId = referencedId(redrive?.deadLetterTargetArn);
  const deadLetterQueue = dlqId ? make(dlqId) : undefined;
  const queue = make(
    queueId,
    deadLetterQueue ? { queue: deadLetterQueue, maxReceiveCount: redrive?.maxReceiveCount ?? 5 } : undefined,
  );
  return { queue, deadLetterQueue };
}

/** The logical id that an intrinsic (`Ref` or `Fn::GetAtt`) points at, if any. */
function referencedId(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  return v.Ref ?? v['Fn::GetAtt']?.[0];
}

/** The function an API Gateway method integrates with: the one whose ARN its URI names. */
/** A function's LoggingConfig, with Lambda's defaults (text; JSON's levels default to INFO). */
function loggingOf(fn: CfnResource): { format: string; systemLogLevel: string; applicationLogLevel: string } {
  const config = (fn.Properties?.LoggingConfig ?? {}) as Record<string, string | undefined>;
  return {
    format: config.LogFormat ?? 'Text',
    systemLogLevel: config.SystemLogLevel ?? 'INFO',
    applicationLogLevel: config.ApplicationLogLevel ?? 'INFO',
  };
}

function apiFunction(template: CfnTemplate): string {
  for (const [, method] of resourcesOfType(template, 'AWS::ApiGateway::Method')) {
    const uri = JSON.stringify((method.Properties?.Integration as { Uri?: unknown } | undefined)?.Uri ?? '');
    const match = /"Fn::GetAtt":\["([^"]+)","Arn"\]/.exec(uri);
    if (match?.[1] && template.Resources[match[1]]?.Type === 'AWS::Lambda::Function') return match[1];
  }
  throw new Error('The stack has no API method integrated with a Lambda function');
}

function bundlePath(outdir: string, fn: CfnResource & { Metadata?: Record<string, unknown> }): string {
  const asset = fn.Metadata?.['aws:asset:path'];
  if (typeof asset !== 'string')
    throw new Error('A function has no bundled asset; synthesize with asset metadata');
  const file = String(fn.Properties?.Handler ?? 'index.handler').split('.')[0];
  return join(outdir, asset, `${file}.mjs`);
}

/**
 * The webhook token of the previous start, else a new one, kept (owner-only) beside the data:
 * a restart keeps the URL and token that a provider, a saved curl or a tunnel already use.
 */
function keptToken(file: string): string {
  try {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept.length >= 16) return kept;
  } catch {
    // None yet.
  }
  const token = randomBytes(24).toString('base64url');
  writeFileAtomic(file, `${token}\n`, 0o600);
  return token;
}

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const log = options.log ?? (() => {});
  const stateDir = resolve(options.stateDir ?? '.local');
  const deliveriesDir = join(stateDir, 'deliveries');
  const eventsFile = join(stateDir, 'events.ndjson');
  const failedFile = join(stateDir, 'failed', 'stream.ndjson');
  const logsDir = join(stateDir, 'logs');
  mkdirSync(stateDir, { recursive: true });
  // Before anything is touched: a second local mode on this directory changes nothing of the first.
  const lock = acquireInstanceLock(stateDir, (holder) =>
    log(`  ! local mode (PID ${holder.pid}) ended without stopping (killed?); taking over ${stateDir}`),
  );
  const stops: (() => Promise<void>)[] = [async () => lock.release()];
  for (const dir of [logsDir, deliveriesDir]) mkdirSync(dir, { recursive: true });
  // A write a killed run was making when it died: never read, only in the way.
  for (const file of readdirSync(stateDir))
    if (file.endsWith('.tmp')) rmSync(join(stateDir, file), { force: true });
  const token = options.token ?? keptToken(join(stateDir, 'token'));
  let fail: (message: string) => void = () => {};
  const failure = new Promise<string>((resolve) => {
    let told = false;
    fail = (message) => {
      if (told) return;
      told = true;
      log(`  ✗ ${message}`);
      resolve(message);
    };
  });
  const restartHint = options.inMemory ? 'npm start -- --in-memory' : 'npm start';
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch(() => {});
  };

  try {
    const outdir = join(stateDir, 'cdk.out');
    const build = synthesizeBundledReusing(
      { ...options.context, webhookTokenSha256: createHash('sha256').update(token).digest('hex') },
      outdir,
    );
    const template = build.template;
    log(
      build.reused
        ? 'Reusing the stack and bundles of the previous start (nothing they are built from changed)'
        : 'Synthesized the stack and bundled the functions',
    );

    log('Starting DynamoDB Local…');
    const ddb: DynamoDbLocal = await startDynamoDbLocal({
      inMemory: options.inMemory,
      dataDir: join(stateDir, 'dynamodb'),
      ...(options.dynamodbPort ? { port: options.dynamodbPort } : {}),
      onNotice: (message) => log(`  ! ${message}`),
      onRestart: (message) => log(`  ! ${message}`),
      onFatal: (message) =>
        fail(`${message}: local mode cannot go on; stop it (Ctrl-C) and run ${restartHint}`),
    });
    stops.push(ddb.stop);
    const awsEnv = {
      ...LOCAL_AWS_ENV,
      AWS_ENDPOINT_URL_DYNAMODB: options.functionsDynamoDbEndpoint
        ? await options.functionsDynamoDbEndpoint(ddb.endpoint)
        : ddb.endpoint,
    };

    const local = {
      region: REGION,
      endpoint: ddb.endpoint,
      credentials: {
        accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID,
        secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY,
      },
    };
    const client = new DynamoDBClient(local);
    const streamsClient = new DynamoDBStreamsClient(local);
    stops.push(async () => {
      client.destroy();
      streamsClient.destroy();
    });
    const tableNames: Record<string, string> = {};
    const streamArns: Record<string, string> = {};
    // Tables kept from a previous run (data persists under .local/ unless --in-memory) stay as they are.
    for (const table of await createStackTables(client, template)) {
      tableNames[table.logicalId] = table.name;
      if (table.streamArn) streamArns[table.logicalId] = table.streamArn;
    }

    const busNames = busesFromTemplate(template);
    const rules = rulesFromTemplate(template, (id: string) => busNames[id]);
    // A rule's SQS target that a function of the stack consumes becomes a local queue; the
    // others keep their deliveries files.
    const mappings = queueMappings(template);
    const queuesDir = options.inMemory ? undefined : join(stateDir, 'queues');
    const localQueues = new Map(
      mappings.map(({ queueId }) => [
        queueId,
        localQueuesOf(template, queueId, queuesDir, options.consumerVisibilityTimeoutSeconds),
      ]),
    );
    // Their SQS and Lambda APIs, for the functions and the tools (redrive, pause, resume).
    const consumersApi: LocalConsumersServer = await startLocalConsumersServer({
      queues: [...localQueues.values()].flatMap(({ queue, deadLetterQueue }) =>
        deadLetterQueue ? [queue, deadLetterQueue] : [queue],
      ),
      region: REGION,
      port: options.consumersPort ?? 0,
      ...(options.inMemory ? {} : { stateFile: join(stateDir, 'event-source-mappings.json') }),
    });
    stops.push(consumersApi.close);
    const sinks = new Map<string, (eventJson: string) => void>();
    for (const rule of rules) {
      const consumed = (rule.queueTargets ?? []).flatMap((id) => localQueues.get(id)?.queue ?? []);
      if (consumed.length > 0)
        sinks.set(rule.name, (json) => {
          for (const queue of consumed) queue.send(json);
        });
    }
    const eventBridge = await startLocalEventBridge({
      port: options.eventbridgePort ?? 0,
      eventsFile,
      // Rules a user made with PutRule, kept across restarts.
      userRulesFile: join(stateDir, 'eventbridge-rules.json'),
      region: REGION,
      buses: Object.values(busNames),
      rules,
      onReceive: options.onEvent,
      deliveriesDir,
      sinks,
      onDelivery: (rule: string, event: { 'detail-type'?: string; detail?: { SessionID?: string } }) =>
        log(`  → ${rule}: ${event['detail-type']} ${event.detail?.SessionID ?? ''}`),
    });
    stops.push(eventBridge.close);

    // A secret stays in AWS: a function that reads one gets its name, and its value otherwise.
    const secretNames = Object.fromEntries(
      resourcesOfType(template, 'AWS::SecretsManager::Secret').map(([id]) => [
        id,
        `arn:aws:secretsmanager:${REGION}:000000000000:secret:${localName(id)}`,
      ]),
    );
    const resolveRef = (id: string) => tableNames[id] ?? busNames[id] ?? secretNames[id];
    const crmSecret = options.crmSecret ?? process.env[CRM_ENV.secretJson];
    const env = {
      ...awsEnv,
      AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.endpoint,
      AWS_ENDPOINT_URL_SQS: consumersApi.endpoint,
      AWS_ENDPOINT_URL_LAMBDA: consumersApi.endpoint,
    };
    const functions = new Map<string, LocalFunction>();
    const functionFor = async (logicalId: string, localEnv: Record<string, string> = {}) => {
      const existing = functions.get(localName(logicalId));
      if (existing) return existing;
      const fn = template.Resources[logicalId] as CfnResource & { Metadata?: Record<string, unknown> };
      const logging = loggingOf(fn);
      const started = await startFunction({
        name: localName(logicalId),
        bundlePath: bundlePath(outdir, fn),
        environment: {
          ...env,
          ...functionEnvironment(template, logicalId, resolveRef),
          // What Lambda sets for the JSON log format (Powertools' Logger takes its level from it).
          ...(logging.format === 'JSON'
            ? { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: logging.applicationLogLevel }
            : {}),
          ...localEnv,
        },
        timeoutMs: Number(fn.Properties?.Timeout ?? 3) * 1000,
        logFile: join(logsDir, `${localName(logicalId)}.log`),
        onWorkerExit: (message) => log(`  ! ${message}`),
        ...(options.onInvocation
          ? {
              onInvoked: (durationMs: number) =>
                options.onInvocation?.({
                  functionName: localName(logicalId),
                  durationMs,
                  memoryMb: Number(fn.Properties?.MemorySize ?? 128),
                  logging: { format: logging.format, systemLogLevel: logging.systemLogLevel },
                }),
            }
          : {}),
        onFatal: (message) => fail(`${message}: local mode cannot go on; start it again with ${restartHint}`),
      });
      functions.set(localName(logicalId), started);
      stops.push(started.stop);
      return started;
    };

    const kinds = functionsByKind(template);
    const kindOf = (logicalId: string) =>
      (Object.keys(kinds) as FunctionKind[]).find((kind) => kinds[kind] === logicalId);
    const environments = {} as Record<FunctionKind, Record<string, string>>;
    for (const kind of FUNCTION_KINDS) {
      const logicalId = kinds[kind];
      if (!logicalId) throw new Error(`The stack has no function tagged as the ${kind} function`);
      environments[kind] = functionEnvironment(template, logicalId, resolveRef);
    }

    // One poller per mapping of the template.
    const pollers: LocalPoller[] = [];
    for (const [, mapping] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
      const tableId = referencedId(mapping.Properties?.EventSourceArn);
      if (tableId && template.Resources[tableId]?.Type === 'AWS::SQS::Queue') continue;
      const fnId = referencedId(mapping.Properties?.FunctionName);
      const streamArn = tableId ? streamArns[tableId] : undefined;
      if (!fnId || !tableId || !streamArn)
        throw new Error('An event source mapping names no local stream or function');
      const fn = await functionFor(fnId);
      const table = localName(tableId);
      // Per mapping: two functions reading one stream each keep their own place in it.
      const checkpointFile = join(stateDir, `stream-checkpoints-${table}-${fn.name}.json`);
      const checkpoints = options.inMemory ? {} : readCheckpoints(checkpointFile);
      const settings = mappingSettings(mapping);
      const poller = startStreamPoller({
        streamArn,
        settings,
        invoke: (event: DynamoDBStreamEvent) => fn.invoke(event),
        failedFile,
        functionName: fn.name,
        region: REGION,
        client: streamsClient,
        checkpoints,
        onCheckpoint: (shard, seq) => {
          checkpoints[shard] = seq;
          if (!options.inMemory) writeFileAtomic(checkpointFile, JSON.stringify(checkpoints));
        },
        onGiveUp: (records, reason) =>
          log(`  ✗ ${fn.name} gave up on ${records.length} ${table} stream record(s): ${reason}`),
        onStreamError: (error) =>
          log(
            error
              ? `  ! reading the ${table} stream failed (${error.message}); retrying until it answers`
              : `  ! reading the ${table} stream works again`,
          ),
        ...(options.pollerBackoffMs ? { retryBackoffMs: options.pollerBackoffMs } : {}),
        ...(options.pollerIdleMs !== undefined ? { idlePollMs: options.pollerIdleMs } : {}),
      });
      pollers.push({
        ...poller,
        table,
        functionName: fn.name,
        kind: kindOf(fnId),
        batchingWindowSeconds: settings.batchingWindowSeconds,
      });
      stops.push(poller.stop);
    }

    // One mapping per consumer of the bus: its local queue, in batches, into its function.
    const consumers: LocalConsumer[] = [];
    let crm: LocalRuntime['crm'];
    for (const { mappingId, queueId, fnId, mapping } of mappings) {
      const fnEnv = functionEnvironment(template, fnId, resolveRef);
      const delivers = fnEnv[CRM_ENV.secretArn] !== undefined;
      if (delivers && !crmSecret) {
        const name = fnEnv[CRM_ENV.crm];
        const example = isCrmName(name) ? CRMS[name].secretExample : '{…}';
        throw new Error(
          `The stack delivers calls to a CRM: give local mode its secret as ${CRM_ENV.secretJson}='${example}' npm start -- -c crm=${name ?? '…'} …`,
        );
      }
      const fn = await functionFor(fnId, delivers && crmSecret ? { [CRM_ENV.secretJson]: crmSecret } : {});
      const { queue, deadLetterQueue } = localQueues.get(queueId) as ReturnType<typeof localQueuesOf>;
      // A UUID of its logical id: the same across restarts, as a deployed mapping's is.
      const digest = createHash('sha1').update(mappingId).digest('hex');
      const uuid = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-${digest.slice(12, 16)}-${digest.slice(16, 20)}-${digest.slice(20, 32)}`;
      const poller = startQueuePoller({
        queue,
        // Disabled before a restart (a refused token), it stays so: as a deployed mapping does.
        settings: { ...queueMappingSettings(mapping), enabled: consumersApi.keptEnabled(uuid) },
        functionName: fn.name,
        region: REGION,
        invoke: (event) => fn.invoke(event),
        onError: (error) =>
          log(
            `  ! ${fn.name} failed a batch of ${queue.name} (${error.message}); it comes back after the visibility timeout`,
          ),
        ...(options.pollerIdleMs !== undefined ? { idlePollMs: options.pollerIdleMs } : {}),
      });
      const consumer = { name: queue.name, queue, deadLetterQueue, poller, functionName: fn.name };
      consumers.push(consumer);
      const ledgerTable = fnEnv[CRM_ENV.ledgerTable];
      const crmName = fnEnv[CRM_ENV.crm];
      if (ledgerTable && isCrmName(crmName)) crm = { name: crmName, ledgerTable, consumer };
      consumersApi.addMapping({ uuid, poller, functionName: fn.name });
      stops.push(poller.stop);
    }

    // Scheduled rules (the call sweep): their target invoked on the rule's rate, as EventBridge would.
    const schedules: LocalSchedule[] = [];
    const stuckAfterMs = readSetting(environments.sweep, SETTINGS.stuckCallAfterMinutes) * 60_000;
    for (const [ruleId, rule] of resourcesOfType(template, 'AWS::Events::Rule')) {
      const expression = rule.Properties?.ScheduleExpression;
      if (typeof expression !== 'string') continue;
      const targets = (rule.Properties?.Targets ?? []) as { Arn?: unknown }[];
      for (const target of targets) {
        const fnId = referencedId(target.Arn);
        if (!fnId) throw new Error(`The scheduled rule ${ruleId} targets no local function`);
        const fn = await functionFor(fnId);
        const rate = scheduleRateMs(expression);
        const everyMs =
          options.scheduleEveryMs ??
          (fnId === kinds.sweep ? Math.min(rate, Math.max(1_000, stuckAfterMs / 2)) : rate);
        const schedule = startSchedule({
          rule: localName(ruleId),
          functionName: fn.name,
          everyMs,
          region: REGION,
          invoke: (event) => fn.invoke(event),
          onError: (error) =>
            log(`  ! ${fn.name} (scheduled) failed: ${error.message}; the next run tries again`),
        });
        schedules.push(schedule);
        stops.push(schedule.stop);
      }
    }

    if (apiFunction(template) !== kinds.ingest)
      throw new Error('The API integrates with a function that is not the ingest function');
    const ingestEnv = environments.ingest;
    // Pseudonymous mode: the key's secret stays in AWS; the ingest gets the key itself.
    const pseudonymKey = ingestEnv[INGEST_ENV.customerNumberKeySecretArn]
      ? localPseudonymKey(stateDir)
      : undefined;
    const ingest = await functionFor(
      apiFunction(template),
      pseudonymKey ? { [INGEST_ENV.customerNumberKey]: pseudonymKey.key } : {},
    );
    // The front door reads the function's own settings, so that it never holds more of a body
    // than the function would look at, nor any of a body sent without the token.
    const ingestConfig = readIngestConfig(ingestEnv);
    const expectedToken = 'sha256' in ingestConfig.token ? ingestConfig.token.sha256 : undefined;
    const server: WebhookServer = await startWebhookServer({
      port: options.port,
      ...(options.host ? { host: options.host } : {}),
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
      path: `/${WEBHOOK_PATH}`,
      invoke: (event: APIGatewayProxyEvent) => ingest.invoke<APIGatewayProxyResult>(event),
      maxBodyBytes: ingestConfig.maxBodyBytes,
      ...(expectedToken
        ? {
            authorized: (req, url) =>
              tokenMatches(
                presentedToken(req.headers as Record<string, string>, Object.fromEntries(url.searchParams)),
                expectedToken,
              ),
          }
        : {}),
    });
    stops.push(server.close);
    lock.describe(server.url);

    return {
      webhookUrl: server.url,
      host: options.host ?? '127.0.0.1',
      reusedBuild: build.reused,
      template,
      token,
      region: REGION,
      dynamodbEndpoint: ddb.endpoint,
      eventbridgeEndpoint: eventBridge.endpoint,
      consumersEndpoint: consumersApi.endpoint,
      tables: {
        callEvents: ingestEnv[INGEST_ENV.callEventsTable] as string,
        rejectedEvents: ingestEnv[INGEST_ENV.rejectedEventsTable] as string,
        calls: environments.project[PROJECT_ENV.callsTable] as string,
      },
      stateDir,
      deliveriesDir,
      eventsFile,
      failedFile,
      eventBridge,
      rules,
      environments,
      pollers,
      consumers,
      crm,
      ...(pseudonymKey ? { pseudonymKey: pseudonymKey.source } : {}),
      schedules,
      functions,
      dynamodb: ddb,
      failure,
      drained: (timeoutMs) =>
        drainAll(
          pollers,
          consumers.map((c) => c.poller),
          timeoutMs,
        ),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
