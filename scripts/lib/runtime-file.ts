/**
 * `.local/runtime.json`: what `npm start` writes once the local runtime is ready (URLs,
 * token, table names) and the local tools read; written and read through this module alone.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { INGEST_ENV, PUBLISH_ENV, SETTINGS } from '../../lambda/contract/runtime-config';
// Type only: the tools that read the file must not load the local runtime.
import type { LocalRuntime } from '../../local/runtime';
import { writeFileAtomic } from '../../local/state-file';

export const RUNTIME_FILE = '.local/runtime.json';

const httpUrl = z.url({ protocol: /^https?$/ });

export const runtimeFileSchema = z.object({
  /** The local webhook, e.g. `http://127.0.0.1:3000/call-events`. */
  webhookUrl: httpUrl,
  /** The token the local webhook accepts (in `X-Webhook-Token`). */
  token: z.string().min(1),
  region: z.string().min(1),
  dynamodbEndpoint: httpUrl,
  eventbridgeEndpoint: httpUrl,
  tables: z.object({ callEvents: z.string().min(1), rejectedEvents: z.string().min(1) }),
  /** Directory of the NDJSON files, one per rule, that local EventBridge targets append to. */
  deliveriesDir: z.string().min(1),
  /** The ingest function's time zone, bus and source (absent in files written before they were added). */
  timeZone: z.string().min(1).optional(),
  eventBusName: z.string().min(1).optional(),
  eventSource: z.string().min(1).optional(),
});

export type RuntimeFile = z.infer<typeof runtimeFileSchema>;

/** The file's content for a running local runtime. */
export function runtimeFileOf(runtime: LocalRuntime): RuntimeFile {
  return {
    webhookUrl: runtime.webhookUrl,
    token: runtime.token,
    region: runtime.region,
    dynamodbEndpoint: runtime.dynamodbEndpoint,
    eventbridgeEndpoint: runtime.eventbridgeEndpoint,
    tables: runtime.tables,
    deliveriesDir: runtime.deliveriesDir,
    // What the operator tools (republish, requeue-rejected) need to act as the functions do.
    timeZone: runtime.environments.ingest[INGEST_ENV.timeZone] ?? SETTINGS.timeZone.default,
    eventBusName: runtime.environments.publish[PUBLISH_ENV.eventBusName],
    eventSource: runtime.environments.publish[PUBLISH_ENV.eventSource] ?? SETTINGS.eventSource.default,
  };
}

/** Writes the file as `npm start` does, for the tools to read: whole, or not at all. */
export function writeRuntimeFile(path: string, file: RuntimeFile): void {
  writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
}

export class RuntimeFileError extends Error {
  override name = 'RuntimeFileError';
}

/** The local runtime's description, or undefined when `npm start` is not running (no file). */
export function readRuntimeFile(path: string = RUNTIME_FILE): RuntimeFile | undefined {
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
