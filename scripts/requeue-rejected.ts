/**
 * `npm run requeue-rejected -- [--from DATE|TIME] [--to DATE|TIME] [--dry-run] [--delete-accepted] [--aws …]`:
 * re-submits quarantined webhooks through the current contract, from the local mode
 * (`.local/runtime.json`) or a deployed stack. The engine is `lib/requeue.ts`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseSetting, SETTINGS } from '../lambda/config/settings';
import { isValidTimeZone } from '../lambda/contract/local-time';
import { localDynamoDbClient, type RuntimeFile } from '../local/runtime-file';
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
import { type PeriodArgs, parsePeriodArgs, periodHelp, resolvePeriod } from './lib/period-args';
import {
  DEFAULT_SINCE_DAYS,
  formatRequeueItem,
  formatRequeueSummary,
  type RequeueOptions,
  requeueRejected,
} from './lib/requeue';
import { stackSettings } from './lib/stack-settings';

export const CLI = defineCli({
  name: 'requeue-rejected',
  synopsis: [
    'npm run requeue-rejected -- [--from DATE|TIME] [--to DATE|TIME] [--dry-run] [--delete-accepted]',
    '                            [--time-zone ZONE] [--retention-days N]',
    '                            [--aws --table NAME --rejected-table NAME]',
  ],
  about: `Re-submits each quarantined webhook (RejectedCallEvents) received in the period through the
CURRENT contract and, when it passes, stores it with the ingest's own conditional PutItem: it then
flows through the stream to EventBridge like any new event. Prints per item: now accepted,
duplicate (already stored), still invalid (with the issues' paths) or not resubmittable (a body
cut at the size limit, or not UTF-8), then a summary. Reads the quarantine by a Query per UTC day.
Works on the running local mode (npm start) unless --aws.`,
  options: {
    from: {
      type: 'string',
      value: 'DATE|TIME',
      help: `received at or after (default ${DEFAULT_SINCE_DAYS} days ago)`,
    },
    to: { type: 'string', value: 'DATE|TIME', help: 'received before (a date: up to its end; default now)' },
    since: { type: 'string', value: 'DATE|TIME', help: 'the former name of --from' },
    until: { type: 'string', value: 'DATE|TIME', help: 'the former name of --to' },
    'dry-run': {
      type: 'boolean',
      default: false,
      help: 'check every body and whether its event is stored; write nothing',
    },
    'delete-accepted': {
      type: 'boolean',
      default: false,
      help: 'delete the quarantine item once its event is stored; by default\nquarantine items are kept (they expire with their TTL)',
    },
    'time-zone': {
      type: 'string',
      value: 'ZONE',
      help: "the zone the provider's times (and a date of --from, --to) are read in;\nlocal mode: the stack's, else the stack's timeZone (from cdk.json)",
    },
    'retention-days': {
      type: 'string',
      value: 'N',
      help: "days to keep the stored events (TTL); local mode: the stack's, else\nthe stack's retentionDays (from cdk.json), if set",
    },
    aws: { type: 'boolean', default: false, help: 'a deployed stack, with the standard AWS environment' },
    table: { type: 'string', value: 'NAME', help: 'the CallEventsTableName output (local mode: its own)' },
    'rejected-table': {
      type: 'string',
      value: 'NAME',
      help: 'the RejectedCallEventsTableName output (local mode: its own)',
    },
  },
  sections: [['Dates and times (--from, --to)', periodHelp('that time zone (--time-zone)')]],
  environment: AWS_ENVIRONMENT,
});

export interface RequeueIo extends RuntimeFileIo {
  now?: () => Date;
}

/** How to do without local mode, said after the one not-running sentence. */
const LOCAL_OR_AWS = 'or pass --aws --table NAME --rejected-table NAME';

type Flags = ReturnType<typeof CLI.parse>['values'];

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
  if (!runtime) throw localModeNotRunning(LOCAL_OR_AWS);
  return {
    tables: {
      callEvents: flags.table ?? runtime.tables.callEvents,
      rejectedEvents: flags['rejected-table'] ?? runtime.tables.rejectedEvents,
    },
    timeZone: zone(runtime.timeZone),
    retentionDays: runtime.retentionDays,
    client: localDynamoDbClient(runtime),
    where: 'local mode',
  };
}

/** --from and --to, or their former names --since and --until (one of each pair at most). */
function periodArgs(values: Flags): PeriodArgs {
  const either = (
    flag: string,
    value: string | undefined,
    former: string,
    formerValue: string | undefined,
  ) => {
    if (value !== undefined && formerValue !== undefined)
      throw new UsageError(`${former} is the former name of ${flag}: give one of them`);
    return value ?? formerValue;
  };
  return parsePeriodArgs({
    from: either('--from', values.from, '--since', values.since),
    to: either('--to', values.to, '--until', values.until),
  });
}

/** --retention-days, read as the function reads its setting; undefined when the flag is absent. */
function retentionDays(value: string | undefined): number | undefined {
  const parsed = parseSetting(SETTINGS.retentionDays, value);
  if (!parsed.ok) throw new UsageError(`--retention-days ${parsed.problem}`);
  return parsed.value;
}

async function run(values: Flags, io: RequeueIo): Promise<number> {
  const period = periodArgs(values);
  const runtime = values.aws ? undefined : requireLocalMode(io.runtimeFile, LOCAL_OR_AWS);
  const source = resolveSource(values, runtime);
  const { from: since, to: until } = resolvePeriod(period, source.timeZone);
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
  return runCli(argv, io, CLI, ({ values }) => run(values, io));
}

runWhenMain(module, main);
