/**
 * `npm run report -- --from DATE|TIME --to DATE|TIME [--city-number N] [--answer-within S]
 * [--json] [--aws --table NAME]`: the call-centre report of a period, read from the Calls table
 * through its indexes (`DynamoDbCallsStore`) and computed by `callCentreReport`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CALLS_INDEXES, type DynamoDbCallsStore, isLocalDate, type StoredCall } from '../lambda/calls';
import {
  type CallsSource,
  type CityNumber,
  cityNumberCallsOf,
  cityNumberOf,
  LOCAL_OR_AWS_TABLE,
  resolveCallsSource,
} from './lib/calls-source';
import { callsStoreOf } from './lib/calls-store';
import {
  AWS_ENVIRONMENT,
  defineCli,
  errorLine,
  type RuntimeFileIo,
  requireLocalMode,
  runCli,
  runWhenMain,
  UsageError,
} from './lib/cli';
import {
  inPeriod,
  localDatesOf,
  type Period,
  type PeriodArgs,
  parsePeriodArgs,
  periodHelp,
  resolvePeriod,
  wholeSecondUtc,
} from './lib/period-args';
import { type CallCentreReport, callCentreReport, DEFAULT_ANSWER_WITHIN_SECONDS } from './lib/report';
import { formatReport } from './lib/report-format';

export const CLI = defineCli({
  name: 'report',
  synopsis: [
    'npm run report -- --from DATE|TIME --to DATE|TIME [--city-number N] [--answer-within S]',
    '                  [--json] [--aws --table NAME]',
  ],
  about: `The call-centre report of the calls that started in the period: offered, answered and missed
calls, missed rate, service level, ring and talk times, outgoing and stuck calls, how missed calls
were called back, and per employee. Reads the Calls table through its indexes, never a scan:
${CALLS_INDEXES.byDay.indexName} (one query per day), or with --city-number ${CALLS_INDEXES.byCityNumber.indexName} (one query per way the
number may be spelt), then the records by key (the indexes hold only keys). Every figure is defined in docs/CALLS.md ("The report").
Reads the running local mode (npm start) unless --aws.`,
  options: {
    from: { type: 'string', value: 'DATE|TIME', help: 'the first day or instant (included)' },
    to: {
      type: 'string',
      value: 'DATE|TIME',
      help: 'the last day (included) or the instant it ends (excluded)',
    },
    'city-number': {
      type: 'string',
      value: 'N',
      help: "only the calls of that public number, in any format (4950665310,\n+7 495 066-53-10), read with the stack's defaultCountry",
    },
    'answer-within': {
      type: 'string',
      value: 'S',
      help: `the service level counts answered calls rung at most S seconds, a whole\nnumber of at least 1 (default ${DEFAULT_ANSWER_WITHIN_SECONDS})`,
    },
    json: {
      type: 'boolean',
      default: false,
      help: 'one JSON object (total, byCityNumber, byEmployee), figures unrounded',
    },
    aws: {
      type: 'boolean',
      default: false,
      help: "a deployed stack, with the standard AWS environment; the stack's\ntimeZone and defaultCountry are then cdk.json's",
    },
    table: { type: 'string', value: 'NAME', help: 'the CallsTableName output (local mode: its own)' },
  },
  sections: [
    [
      'Dates and times (--from, --to)',
      periodHelp("the stack's time zone (local mode's; with --aws, cdk.json's timeZone)"),
    ],
  ],
  environment: AWS_ENVIRONMENT,
});

export type ReportIo = RuntimeFileIo;

type Flags = ReturnType<typeof CLI.parse>['values'];

export interface ReportRequest {
  /** `--from` and `--to` as given. */
  from: string;
  to: string;
  /** `--city-number` as given. */
  cityNumber?: string | undefined;
  answerWithinSeconds: number;
  /** The period as read, before the stack's time zone is known. */
  period?: PeriodArgs;
}

/** The period, city number and threshold the flags ask for; a UsageError says what is wrong. */
export function reportRequest(flags: Flags): ReportRequest {
  const period = parsePeriodArgs(flags, { required: true });
  const within = flags['answer-within'];
  if (within !== undefined && !(/^\d+$/.test(within) && Number(within) >= 1))
    throw new UsageError(`--answer-within: not a whole number of seconds of at least 1 (got ${within})`);
  const city = flags['city-number'];
  if (city !== undefined && !/\d/.test(city))
    throw new UsageError(`--city-number: not a phone number (got ${city})`);
  return {
    from: period.from?.text as string,
    to: period.to?.text as string,
    cityNumber: city,
    answerWithinSeconds: within === undefined ? DEFAULT_ANSWER_WITHIN_SECONDS : Number(within),
    period,
  };
}

/**
 * The records of the calls that started in the period, through the indexes: ByDayV2 over the local
 * days it touches, or ByCityNumberV2 under each spelling of the number; a period that starts or ends
 * within a day keeps only the calls that started inside it.
 */
async function readPeriod(
  calls: DynamoDbCallsStore,
  period: Required<Period>,
  city: CityNumber | undefined,
  source: CallsSource,
): Promise<StoredCall[]> {
  const records = city
    ? await cityNumberCallsOf(
        calls,
        city,
        { from: wholeSecondUtc(period.from), to: wholeSecondUtc(period.to) },
        source.defaultCountry,
      )
    : await calls.callsOfPeriod({ ...localDatesOf(period, source.timeZone), timeZone: source.timeZone });
  return records.filter((record) => inPeriod(record.StartedAt, period));
}

/** The report's title line: what was counted, and from where. */
export function reportTitle(
  request: ReportRequest,
  source: { table: string; timeZone: string; where: string },
): string {
  const wholeDays = isLocalDate(request.from) && isLocalDate(request.to);
  const days =
    request.from === request.to
      ? request.from
      : `${request.from} to ${request.to}${wholeDays ? '' : ' (--to excluded)'}`;
  const city = request.cityNumber === undefined ? '' : `, city number ${request.cityNumber}`;
  return `Calls of ${days} (${source.timeZone})${city}, service level within ${request.answerWithinSeconds} s; table ${source.table} (${source.where})`;
}

/** The CLI, minus the process: returns the exit code. */
export function main(argv: string[], io: ReportIo): Promise<number> {
  return runCli(argv, io, CLI, async ({ values }) => {
    const request = reportRequest(values);
    const runtime = values.aws ? undefined : requireLocalMode(io.runtimeFile, LOCAL_OR_AWS_TABLE);
    const source = resolveCallsSource(values, runtime);
    const period = resolvePeriod(request.period as PeriodArgs, source.timeZone) as Required<Period>;
    const city =
      request.cityNumber === undefined ? undefined : cityNumberOf(request.cityNumber, source.defaultCountry);
    const client = new DynamoDBClient(source.client);
    let report: CallCentreReport;
    try {
      const calls = await callsStoreOf(DynamoDBDocumentClient.from(client), source.table);
      const records = await readPeriod(calls, period, city, source);
      // Already of the period and the number: the report's own filters by Day keep them all.
      report = callCentreReport(records, {
        answerWithinSeconds: request.answerWithinSeconds,
        ...localDatesOf(period, source.timeZone),
      });
    } catch (error) {
      io.err(`Cannot read table ${source.table} (${source.where}): ${errorLine(error)}`);
      return 1;
    } finally {
      client.destroy();
    }
    io.out(
      values.json
        ? JSON.stringify(report, null, 2)
        : `${reportTitle(request, source)}\n\n${formatReport(report)}`,
    );
    return 0;
  });
}

runWhenMain(module, main);
