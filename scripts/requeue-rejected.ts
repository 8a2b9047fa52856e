/**
 * `npm run requeue-rejected -- [--since T] [--until T] [--dry-run] [--delete-accepted] [--aws ...]`:
 * re-submits quarantined webhooks through the current contract, from the local mode
 * (`.local/runtime.json`) or a deployed stack. The engine is `lib/requeue.ts`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseSetting, SETTINGS } from '../lambda/config/settings';
import { isValidTimeZone } from '../lambda/contract/local-time';
import { LOCAL_AWS_ENV } from '../local/dynamodb-local';
import { RUNTIME_FILE, type RuntimeFile, readRuntimeFile } from '../local/runtime-file';
import { errorLine, parseFlags, type RuntimeFileIo, runCli, runWhenMain, UsageError } from './lib/cli';
import { parseIsoTime } from './lib/replay';
import {
  DEFAULT_SINCE_DAYS,
  formatRequeueItem,
  formatRequeueSummary,
  type RequeueOptions,
  requeueRejected,
} from './lib/requeue';
import { stackSettings } from './lib/stack-settings';

const USAGE = `Usage: npm run requeue-rejected -- [--since TIME] [--until TIME] [--dry-run] [--delete-accepted]
                   [--time-zone ZONE] [--retention-days N]
                   [--aws --table NAME --rejected-table NAME]
Re-submits each quarantined webhook (RejectedCallEvents, read by a Query per UTC day from
--since, default ${DEFAULT_SINCE_DAYS} days ago, to --until, default now) through the CURRENT contract and,
when it passes, stores it with the ingest's own conditional PutItem: it then flows through the
stream to EventBridge like any new event. Prints per item: now accepted, duplicate (already
stored), still invalid (with the issues' paths) or not resubmittable (a body cut at the size
limit, or not UTF-8), then a summary. Times are ISO-8601 with a zone, or a date (UTC midnight).
  --dry-run          check every body and whether its event is stored; write nothing
  --delete-accepted  delete the quarantine item once its event is stored; by default
                     quarantine items are kept (they expire with their TTL)
  --time-zone ZONE   the zone the provider's times are read in; local mode: the stack's, else
                     the stack's timeZone (from cdk.json)
  --retention-days N days to keep the stored events (TTL); local mode: the stack's, else
                     the stack's retentionDays (from cdk.json), if set
Defaults to the local mode (${RUNTIME_FILE}, written by \`npm start\`). With --aws: the
CallEventsTableName and RejectedCallEventsTableName outputs, standard AWS environment.`;

export interface RequeueIo extends RuntimeFileIo {
  now?: () => Date;
}

const parse = (argv: string[]) =>
  parseFlags({
    args: argv,
    options: {
      since: { type: 'string' },
      until: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      'delete-accepted': { type: 'boolean', default: false },
      'time-zone': { type: 'string' },
      'retention-days': { type: 'string' },
      aws: { type: 'boolean', default: false },
      table: { type: 'string' },
      'rejected-table': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });

type Flags = ReturnType<typeof parse>['values'];

interface Source {
  tables: { callEvents: string; rejectedEvents: string };
  timeZone: string;
  /** The stack's retention of stored events, when it sets one. */
  retentionDays?: number | undefined;
  client: ConstructorParameters<typeof DynamoDBClient>[0];
  where: string;
}

export function resolveSource(flags: Flags, runtime: RuntimeFile | undefined): Source {
  const zone = (fallback: string) => {
    const timeZone = flags['time-zone'] ?? fallback;
    if (!isValidTimeZone(timeZone)) throw new UsageError(`--time-zone: unknown IANA time zone "${timeZone}"`);
    return timeZone;
  };
  if (flags.aws) {
    if (!flags.table || !flags['rejected-table']) {
      throw new UsageError(
        '--aws needs --table NAME and --rejected-table NAME (the CallEventsTableName and RejectedCallEventsTableName outputs)',
      );
    }
    return {
      tables: { callEvents: flags.table, rejectedEvents: flags['rejected-table'] },
      timeZone: zone(stackSettings().timeZone),
      retentionDays: stackSettings().retentionDays,
      client: {},
      where: 'AWS',
    };
  }
  if (!runtime) {
    throw new UsageError(
      `No local runtime (${RUNTIME_FILE}): run \`npm start\` first, or pass --aws --table NAME --rejected-table NAME`,
    );
  }
  return {
    tables: {
      callEvents: flags.table ?? runtime.tables.callEvents,
      rejectedEvents: flags['rejected-table'] ?? runtime.tables.rejectedEvents,
    },
    timeZone: zone(runtime.timeZone),
    retentionDays: runtime.retentionDays,
    client: {
      endpoint: runtime.dynamodbEndpoint,
      region: runtime.region,
      credentials: {
        accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID,
        secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY,
      },
    },
    where: 'local mode',
  };
}

function time(flag: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = parseIsoTime(value);
  if (!parsed) throw new UsageError(`--${flag}: not an ISO-8601 time with a zone, or a date (got ${value})`);
  return parsed;
}

/** --retention-days, read as the function reads its setting; undefined when the flag is absent. */
function retentionDays(value: string | undefined): number | undefined {
  const parsed = parseSetting(SETTINGS.retentionDays, value);
  if (!parsed.ok) throw new UsageError(`--retention-days ${parsed.problem}`);
  return parsed.value;
}

async function run(values: Flags, io: RequeueIo): Promise<number> {
  const since = time('since', values.since);
  const until = time('until', values.until);
  if (since && until && since >= until) throw new UsageError('--since must be before --until');
  const runtime = values.aws ? undefined : readRuntimeFile(io.runtimeFile);
  const source = resolveSource(values, runtime);
  const days = retentionDays(values['retention-days']) ?? source.retentionDays;
  const client = new DynamoDBClient(source.client ?? {});
  // As the ingest function's client marshals (lambda/shared/dynamodb.ts).
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, allowImpreciseNumbers: true },
  });
  const dryRun = values['dry-run'];
  try {
    io.out(
      `Re-submitting quarantined webhooks from ${source.tables.rejectedEvents} into ${source.tables.callEvents}, time zone ${source.timeZone} (${source.where})${dryRun ? ': dry run' : ''}`,
    );
    const options: RequeueOptions = {
      doc,
      tables: source.tables,
      timeZone: source.timeZone,
      dryRun,
      deleteAccepted: values['delete-accepted'],
      onItem: (result) => io.out(formatRequeueItem(result, dryRun)),
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
      ...(days !== undefined ? { retentionDays: days } : {}),
      ...(io.now ? { now: io.now } : {}),
    };
    const report = await requeueRejected(options);
    io.out(formatRequeueSummary(report));
    return report.counts.error === 0 ? 0 : 1;
  } catch (error) {
    io.err(`Requeue failed (${source.where}): ${errorLine(error)}`);
    return 1;
  } finally {
    client.destroy();
  }
}

/** The CLI, minus the process: returns the exit code. */
export function main(argv: string[], io: RequeueIo): Promise<number> {
  return runCli(argv, io, { usage: USAGE, parse }, ({ values }) => run(values, io));
}

runWhenMain(module, main);
