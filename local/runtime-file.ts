/**
 * `.local/runtime.json`: what `npm start` writes once the local runtime is ready (URLs,
 * token, table names) and the local tools read; written and read through this module alone.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { INGEST_ENV, PUBLISH_ENV } from '../lambda/config/environment';
import { SETTINGS } from '../lambda/config/settings';
import { CRM_NAMES } from '../lambda/crm/crms';
import { readSetting, required } from '../lambda/shared/env';
import { LOCAL_AWS_ENV } from './dynamodb-local';
// Type only: the tools that read the file must not load the local runtime.
import type { LocalRuntime } from './runtime';
import { writeFileAtomic } from './state-file';

export const RUNTIME_FILE = '.local/runtime.json';

const httpUrl = z.url({ protocol: /^https?$/ });

export const runtimeFileSchema = z.object({
  /** The `npm start` process serving it: the tools trust the file only while it runs. */
  pid: z.int().positive(),
  /** Set by `npm start` when it stops: the file then describes a local mode that is gone. */
  stoppedAt: z.iso.datetime().optional(),
  /** The local webhook, e.g. `http://127.0.0.1:3000/call-events`. */
  webhookUrl: httpUrl,
  /** The token the local webhook accepts (in `X-Webhook-Token`). */
  token: z.string().min(1),
  region: z.string().min(1),
  dynamodbEndpoint: httpUrl,
  eventbridgeEndpoint: httpUrl,
  /** The SQS and Lambda APIs of the consumers' local queues and event source mappings. */
  consumersEndpoint: httpUrl.optional(),
  /** The CRM consumer, when the stack delivers to a CRM (`-c crm=…`). */
  crm: z
    .object({
      /** Which CRM (its ledger items are keyed by it). */
      name: z.enum(CRM_NAMES),
      ledgerTable: z.string().min(1),
      functionName: z.string().min(1),
      queueArn: z.string().min(1),
      deadLetterQueueArn: z.string().min(1),
    })
    .optional(),
  tables: z.object({
    callEvents: z.string().min(1),
    rejectedEvents: z.string().min(1),
    /** The call records (the projector's table). */
    calls: z.string().min(1),
  }),
  /** Directory of the NDJSON files, one per rule, that local EventBridge targets append to. */
  deliveriesDir: z.string().min(1),
  /** Every event accepted onto a local bus, routed or not, one per line (what `npm run tail` follows). */
  eventsFile: z.string().min(1),
  /** The functions' time zone, bus and source, as the stack sets them. */
  timeZone: z.string().min(1),
  eventBusName: z.string().min(1),
  eventSource: z.string().min(1),
  /** The country a phone number without a country code is read in, as the projector reads it. */
  defaultCountry: z.string().min(1),
  /** Days the stack keeps call events (TTL), when it sets a retention. */
  retentionDays: z.int().positive().optional(),
  /** Pseudonymous mode: where local mode's pseudonym key is, for the tools to look a number up. */
  pseudonymKey: z
    .discriminatedUnion('from', [
      z.object({ from: z.literal('environment') }),
      z.object({ from: z.literal('file'), path: z.string().min(1) }),
    ])
    .optional(),
});

export type RuntimeFile = z.infer<typeof runtimeFileSchema>;

const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

function crmOf(crm: LocalRuntime['crm']): RuntimeFile['crm'] {
  const deadLetterQueue = crm?.consumer.deadLetterQueue;
  if (!crm || !deadLetterQueue) return undefined;
  return {
    name: crm.name,
    ledgerTable: crm.ledgerTable,
    functionName: crm.consumer.functionName,
    queueArn: crm.consumer.queue.arn,
    deadLetterQueueArn: deadLetterQueue.arn,
  };
}

/** The file's content for a running local runtime. */
export function runtimeFileOf(runtime: LocalRuntime): RuntimeFile {
  return {
    pid: process.pid,
    webhookUrl: runtime.webhookUrl,
    token: runtime.token,
    region: runtime.region,
    dynamodbEndpoint: runtime.dynamodbEndpoint,
    eventbridgeEndpoint: runtime.eventbridgeEndpoint,
    consumersEndpoint: runtime.consumersEndpoint,
    ...optional('crm', crmOf(runtime.crm)),
    tables: runtime.tables,
    deliveriesDir: runtime.deliveriesDir,
    eventsFile: runtime.eventsFile,
    // What the operator tools (simulate, calls, republish, requeue-rejected) need to act as the functions do.
    timeZone: required(runtime.environments.ingest, INGEST_ENV.timeZone),
    eventBusName: required(runtime.environments.publish, PUBLISH_ENV.eventBusName),
    eventSource: required(runtime.environments.publish, PUBLISH_ENV.eventSource),
    defaultCountry: readSetting(runtime.environments.project, SETTINGS.defaultCountry),
    ...optional('retentionDays', readSetting(runtime.environments.ingest, SETTINGS.retentionDays)),
    ...optional('pseudonymKey', runtime.pseudonymKey),
  };
}

/** Writes the file as `npm start` does, for the tools to read: whole, or not at all. */
export function writeRuntimeFile(path: string, file: RuntimeFile): void {
  // It holds the token: readable by its owner alone.
  writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
}

export class RuntimeFileError extends Error {
  override name = 'RuntimeFileError';
}

/** What every local tool says when it needs local mode and none is running. */
export const NOT_RUNNING = 'local mode is not running (start it with npm start)';

/** Whether a process with this pid runs (signal 0 tests without sending anything). */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The running local mode's description, or undefined when none runs: no file, a file that
 * `npm start` marked stopped when it stopped, or one whose process is gone (`kill -9`).
 */
export function readRuntimeFile(path: string = RUNTIME_FILE): RuntimeFile | undefined {
  const file = readRuntimeFileAsWritten(path);
  return file && file.stoppedAt === undefined && processRuns(file.pid) ? file : undefined;
}

/** The running local mode's description; throws {@link NOT_RUNNING} when none runs. */
export function requireRuntimeFile(path: string = RUNTIME_FILE): RuntimeFile {
  const file = readRuntimeFile(path);
  if (!file) throw new RuntimeFileError(NOT_RUNNING);
  return file;
}

/** Marks the file stopped, as `npm start` does when it stops, so that no tool takes it for running. */
export function markRuntimeFileStopped(path: string, at: Date = new Date()): void {
  const file = readRuntimeFileAsWritten(path);
  if (file) writeRuntimeFile(path, { ...file, stoppedAt: at.toISOString() });
}

/** The file as it was last written, running or not; undefined when there is none. */
export function readRuntimeFileAsWritten(path: string = RUNTIME_FILE): RuntimeFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RuntimeFileError(`${path}: cannot read it (${(error as Error).message})`);
  }
  return parseRuntimeFile(text, path);
}

/** Validates the file's text; a malformed file is an error naming the first bad field. */
export function parseRuntimeFile(text: string, path: string = RUNTIME_FILE): RuntimeFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RuntimeFileError(`${path} is not valid JSON: restart \`npm start\` to rewrite it`);
  }
  const result = runtimeFileSchema.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : 'the file';
  throw new RuntimeFileError(`${path} is malformed: ${where}: ${issue?.message ?? 'invalid'}`);
}

/** The DynamoDB client settings that reach local mode's DynamoDB Local, as every tool reaches it. */
export function localDynamoDbClient(runtime: Pick<RuntimeFile, 'dynamodbEndpoint' | 'region'>) {
  return {
    endpoint: runtime.dynamodbEndpoint,
    region: runtime.region,
    credentials: {
      accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID,
      secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY,
    },
  };
}
