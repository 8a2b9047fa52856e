/**
 * `npm run calls -- <SessionID> [--json] [--table NAME] [--aws]`: one call's stored events in
 * EventKey order, from the local table (`.local/runtime.json`) or, with --aws, from a deployed
 * one through the SDK's default chain (region, credentials, endpoint).
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { INGEST_ENV } from '../lambda/contract/runtime-config';
import { LOCAL_AWS_ENV } from '../local/dynamodb-local';
import { RUNTIME_FILE, type RuntimeFile, readRuntimeFile } from '../local/runtime-file';
import { errorLine, parseFlags, type RuntimeFileIo, runCli, runWhenMain, UsageError } from './lib/cli';
import { formatJson, formatTimeline, queryCallEvents } from './lib/timeline';

const USAGE = `Usage: npm run calls -- <SessionID> [--json] [--table NAME] [--aws]
Reads the local table from ${RUNTIME_FILE} (written by \`npm start\`); with --aws, the deployed
table named by --table or ${INGEST_ENV.callEventsTable}, with the standard AWS environment.`;

export type CallsIo = RuntimeFileIo;

/** Where to read: the table, the client's configuration, and a name for messages. */
export interface Source {
  table: string;
  client: DynamoDBClientConfig;
  where: string;
}

/** --aws (or --table with no local runtime): the SDK's default chain; otherwise the local runtime. */
export function resolveSource(
  flags: { table?: string; aws?: boolean },
  env: NodeJS.ProcessEnv,
  runtime: RuntimeFile | undefined,
): Source {
  if (flags.aws || (flags.table !== undefined && runtime === undefined)) {
    const table = flags.table ?? env[INGEST_ENV.callEventsTable];
    if (!table)
      throw new UsageError(`Pass --table NAME or set ${INGEST_ENV.callEventsTable} to read from AWS`);
    return { table, client: {}, where: 'AWS' };
  }
  if (!runtime) {
    throw new UsageError(
      `No local runtime (${RUNTIME_FILE}): run \`npm start\` first, or pass --aws --table NAME`,
    );
  }
  const credentials = {
    accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID,
    secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY,
  };
  return {
    table: flags.table ?? runtime.tables.callEvents,
    client: { endpoint: runtime.dynamodbEndpoint, region: runtime.region, credentials },
    where: runtime.dynamodbEndpoint,
  };
}

const parse = (argv: string[]) =>
  parseFlags({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      table: { type: 'string' },
      aws: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });

function sessionIdOf(positionals: string[]): string {
  const [sessionId, ...rest] = positionals;
  if (!sessionId || rest.length > 0) throw new UsageError('Give exactly one SessionID (see --help)');
  return sessionId;
}

async function printCall(sessionId: string, source: Source, json: boolean, io: CallsIo): Promise<number> {
  const client = new DynamoDBClient(source.client);
  try {
    const items = await queryCallEvents(DynamoDBDocumentClient.from(client), source.table, sessionId);
    if (items.length === 0) {
      io.err(`No events stored for SessionID ${sessionId} in table ${source.table} (${source.where})`);
      return 1;
    }
    io.out(json ? formatJson(items) : formatTimeline(sessionId, items));
    return 0;
  } catch (error) {
    io.err(`Cannot read table ${source.table} (${source.where}): ${errorLine(error)}`);
    return 1;
  } finally {
    client.destroy();
  }
}

/** The CLI, minus the process: returns the exit code. */
export function main(argv: string[], io: CallsIo): Promise<number> {
  return runCli(argv, io, { usage: USAGE, parse }, ({ values, positionals }) => {
    const sessionId = sessionIdOf(positionals);
    const runtime = values.aws ? undefined : readRuntimeFile(io.runtimeFile);
    return printCall(sessionId, resolveSource(values, io.env, runtime), values.json, io);
  });
}

runWhenMain(module, main);
