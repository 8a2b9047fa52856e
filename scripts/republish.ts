/**
 * `npm run republish -- --from T --to T [--session ID] [--dry-run] [--aws --table NAME --bus NAME [--source S]]`:
 * re-publishes stored call events of a time range to EventBridge, as the stream publisher
 * would, from the local mode (`.local/runtime.json`) or a deployed stack. The engine is `lib/replay.ts`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PublishLogger } from '../lambda/publish';
import { LOCAL_AWS_ENV } from '../local/dynamodb-local';
import { RUNTIME_FILE, type RuntimeFile, readRuntimeFile } from '../local/runtime-file';
import { errorLine, parseFlags, type RuntimeFileIo, runCli, runWhenMain, UsageError } from './lib/cli';
import { formatRepublishReport, republish, timeRange } from './lib/replay';
import { stackSettings } from './lib/stack-settings';

const USAGE = `Usage: npm run republish -- --from TIME --to TIME [--session ID] [--dry-run]
                          [--aws --table NAME --bus NAME [--source S]]
Re-publishes to EventBridge the stored call events whose EventTime is in [--from, --to)
(ISO-8601 with a zone, e.g. 2021-01-28T00:00:00Z), each built and sent exactly as the stream
publisher does (PutEvents calls of 10, failed entries retried). Prints found, published, failed.
  --session ID  only that call: a Query on its partition (EventKey starts with EventTime)
  (no --session) a Scan of the WHOLE table, filtered on EventTime: it reads, and on AWS is
                billed for, every item; prefer --session when you know the call
  --dry-run     count what would be re-published, publish nothing
Safe to repeat: an event keeps its detail.EventId (SessionID/EventKey), on which consumers
de-duplicate (EventBridge is at-least-once anyway); the copies also go to the bus archive.
Defaults to the local mode (${RUNTIME_FILE}, written by \`npm start\`). With --aws: the table
(CallEventsTableName output), the bus (EventBusName, i.e. call-events) and the source
(default: the stack's eventSource, from cdk.json), with the standard AWS environment (region, credentials).`;

export type RepublishIo = RuntimeFileIo;

const parse = (argv: string[]) =>
  parseFlags({
    args: argv,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      session: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      aws: { type: 'boolean', default: false },
      table: { type: 'string' },
      bus: { type: 'string' },
      source: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });

type Flags = ReturnType<typeof parse>['values'];

/** An SDK client's endpoint, region and credentials; empty: the standard AWS environment. */
export interface ClientConfig {
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Where to read and publish: the table, the bus, the source and the clients' configuration. */
export interface Destination {
  table: string;
  bus: string;
  source: string;
  dynamodb: ClientConfig;
  eventBridge: ClientConfig;
  where: string;
}

export function resolveDestination(flags: Flags, runtime: RuntimeFile | undefined): Destination {
  if (flags.aws) {
    if (!flags.table || !flags.bus) {
      throw new UsageError(
        '--aws needs --table NAME and --bus NAME (the CallEventsTableName and EventBusName outputs)',
      );
    }
    const source = flags.source ?? stackSettings().eventSource;
    return { table: flags.table, bus: flags.bus, source, dynamodb: {}, eventBridge: {}, where: 'AWS' };
  }
  if (!runtime) {
    throw new UsageError(
      `No local runtime (${RUNTIME_FILE}): run \`npm start\` first, or pass --aws --table NAME --bus NAME`,
    );
  }
  const bus = flags.bus ?? runtime.eventBusName;
  const credentials = {
    accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID,
    secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY,
  };
  return {
    table: flags.table ?? runtime.tables.callEvents,
    bus,
    source: flags.source ?? runtime.eventSource,
    dynamodb: { endpoint: runtime.dynamodbEndpoint, region: runtime.region, credentials },
    eventBridge: { endpoint: runtime.eventbridgeEndpoint, region: runtime.region, credentials },
    where: 'local mode',
  };
}

/** The publisher's warnings, one line each on stderr; its per-call info is left out. */
function cliLogger(io: RepublishIo): PublishLogger {
  const line = (level: string) => (message: string, attributes: Record<string, unknown>) =>
    io.err(`${level}: ${message} ${JSON.stringify(attributes)}`);
  return { info: () => {}, warn: line('warning'), error: line('error') };
}

async function run(values: Flags, io: RepublishIo): Promise<number> {
  if (!values.from || !values.to) throw new UsageError('--from and --to are required (see --help)');
  let range: ReturnType<typeof timeRange>;
  try {
    range = timeRange(values.from, values.to);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const runtime = values.aws ? undefined : readRuntimeFile(io.runtimeFile);
  const to = resolveDestination(values, runtime);
  const dynamodb = new DynamoDBClient(to.dynamodb);
  const eventBridge = new EventBridgeClient(to.eventBridge);
  try {
    const how = values.session !== undefined ? `Query of SessionID ${values.session}` : 'Scan (whole table)';
    io.out(
      `Republishing [${range.from}, ${range.to}) from ${to.table} (${how}) to bus ${to.bus}, source ${to.source} (${to.where})${values['dry-run'] ? ': dry run' : ''}`,
    );
    const report = await republish({
      doc: DynamoDBDocumentClient.from(dynamodb),
      table: to.table,
      range,
      ...(values.session !== undefined ? { sessionId: values.session } : {}),
      dryRun: values['dry-run'],
      publish: {
        putEvents: (entries) => eventBridge.send(new PutEventsCommand({ Entries: entries })),
        eventBusName: to.bus,
        source: to.source,
        logger: cliLogger(io),
      },
    });
    io.out(formatRepublishReport(report));
    return report.failed.length === 0 ? 0 : 1;
  } catch (error) {
    io.err(`Republish failed (${to.where}): ${errorLine(error)}`);
    return 1;
  } finally {
    dynamodb.destroy();
    eventBridge.destroy();
  }
}

/** The CLI, minus the process: returns the exit code. */
export function main(argv: string[], io: RepublishIo): Promise<number> {
  return runCli(argv, io, { usage: USAGE, parse }, ({ values }) => run(values, io));
}

runWhenMain(module, main);
