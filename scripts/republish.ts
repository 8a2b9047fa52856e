/**
 * `npm run republish -- --from DATE|TIME --to DATE|TIME [--session ID] [--dry-run] [--aws …]`:
 * re-publishes stored call events of a time range to EventBridge, as the stream publisher
 * would, from the local mode (`.local/runtime.json`) or a deployed stack. The engine is `lib/replay.ts`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PublishLogger } from '../lambda/publish';
import { LOCAL_AWS_ENV } from '../local/dynamodb-local';
import type { RuntimeFile } from '../local/runtime-file';
import {
  AWS_ENVIRONMENT,
  defineCli,
  errorLine,
  localModeNotRunning,
  type RuntimeFileIo,
  requireLocalMode,
  runCli,
  runWhenMain,
  UsageError,
} from './lib/cli';
import { parsePeriodArgs, periodHelp, resolvePeriod } from './lib/period-args';
import { formatRepublishReport, republish, timeRange } from './lib/replay';
import { stackSettings } from './lib/stack-settings';

export const CLI = defineCli({
  name: 'republish',
  synopsis: [
    'npm run republish -- --from DATE|TIME --to DATE|TIME [--session ID] [--dry-run]',
    '                     [--aws --table NAME --bus NAME [--source S]]',
  ],
  about: `Re-publishes to EventBridge the stored call events whose EventTime is in the period, each
built and sent exactly as the stream publisher does (PutEvents calls of 10, failed entries
retried). Prints found, published, failed. Safe to repeat: an event keeps its detail.EventId
(SessionID/EventKey), on which consumers de-duplicate (EventBridge is at-least-once anyway); the
copies also go to the bus archive. Without --session it Scans the WHOLE table, filtered on
EventTime: it reads, and on AWS is billed for, every item; prefer --session when you know the call.
Reads and publishes in the running local mode (npm start) unless --aws.`,
  options: {
    from: { type: 'string', value: 'DATE|TIME', help: 'the first day or instant (included)' },
    to: {
      type: 'string',
      value: 'DATE|TIME',
      help: 'the last day (included) or the instant it ends (excluded)',
    },
    session: {
      type: 'string',
      value: 'ID',
      help: 'only that call: a Query on its partition instead of a Scan',
    },
    'dry-run': { type: 'boolean', default: false, help: 'count what would be re-published, publish nothing' },
    aws: { type: 'boolean', default: false, help: 'a deployed stack, with the standard AWS environment' },
    table: { type: 'string', value: 'NAME', help: 'the CallEventsTableName output (local mode: its own)' },
    bus: {
      type: 'string',
      value: 'NAME',
      help: 'the EventBusName output, i.e. call-events (local mode: its own)',
    },
    source: {
      type: 'string',
      value: 'S',
      help: "the events' source (default: the stack's eventSource; with --aws, cdk.json's)",
    },
  },
  sections: [
    [
      'Dates and times (--from, --to)',
      periodHelp("the stack's time zone (local mode's; with --aws, cdk.json's timeZone)"),
    ],
  ],
  environment: AWS_ENVIRONMENT,
});

export type RepublishIo = RuntimeFileIo;

/** How to do without local mode, said after the one not-running sentence. */
const LOCAL_OR_AWS = 'or pass --aws --table NAME --bus NAME';

type Flags = ReturnType<typeof CLI.parse>['values'];

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

/** Where to read and publish; `runtime` is needed (else the one not-running sentence) unless --aws. */
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
  if (!runtime) throw localModeNotRunning(LOCAL_OR_AWS);
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

/** The publisher's warnings, one line each on stderr; its batch summaries are left out. */
function cliLogger(io: RepublishIo): PublishLogger {
  const line = (level: string) => (message: string, attributes: Record<string, unknown>) =>
    io.err(`${level}: ${message} ${JSON.stringify(attributes)}`);
  return { debug: () => {}, warn: line('warning'), error: line('error') };
}

async function run(values: Flags, io: RepublishIo): Promise<number> {
  const period = parsePeriodArgs(values, { required: true });
  const runtime = values.aws ? undefined : requireLocalMode(io.runtimeFile, LOCAL_OR_AWS);
  const to = resolveDestination(values, runtime);
  // A date is a day of the stack's zone: local mode's own, else the one this checkout deploys.
  const { from, to: until } = resolvePeriod(period, runtime?.timeZone ?? stackSettings().timeZone);
  let range: ReturnType<typeof timeRange>;
  try {
    range = timeRange(from as Date, until as Date);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
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
  return runCli(argv, io, CLI, ({ values }) => run(values, io));
}

runWhenMain(module, main);
