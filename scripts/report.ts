/**
 * `npm run report -- --from YYYY-MM-DD --to YYYY-MM-DD [--city-number N] [--answer-within S]
 * [--json] [--aws --table NAME]`: the call-centre report of a period, read from the Calls table
 * through its indexes (`lib/call-queries.ts`) and computed by `callCentreReport`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CALLS_INDEXES, DynamoDbCallsStore, isLocalDate } from '../lambda/calls';
import type { RuntimeFile } from '../local/runtime-file';
import { RUNTIME_FILE, readRuntimeFile } from '../local/runtime-file';
import { resolveCallsSource } from './lib/calls-source';
import { errorLine, parseFlags, type RuntimeFileIo, runCli, runWhenMain, UsageError } from './lib/cli';
import { type CallCentreReport, callCentreReport, DEFAULT_ANSWER_WITHIN_SECONDS } from './lib/report';
import { formatReport } from './lib/report-format';

const USAGE = `Usage: npm run report -- --from YYYY-MM-DD --to YYYY-MM-DD [--city-number N]
                       [--answer-within S] [--json] [--aws --table NAME]
The call-centre report of the calls that started on the local days --from to --to (both included,
in the stack's time zone): offered, answered and missed calls, missed rate, service level, ring and
talk times, outgoing and stuck calls, how missed calls were called back, and per employee. Reads the
Calls table through its indexes, never a scan: ${CALLS_INDEXES.byDay.indexName} (one query per day), or with --city-number
${CALLS_INDEXES.byCityNumber.indexName}. Every figure is defined in docs/CALLS.md ("The report").
  --city-number N    only the calls of that public number, as sent (e.g. 4950665310)
  --answer-within S  the service level counts answered calls rung at most S seconds
                     (default ${DEFAULT_ANSWER_WITHIN_SECONDS})
  --json             one JSON object (total, byCityNumber, byEmployee), figures unrounded
Defaults to the local mode (${RUNTIME_FILE}, written by \`npm start\`) and its time zone. With
--aws: the table named by --table (the CallsTableName output), the stack's timeZone (from
cdk.json), with the standard AWS environment.`;

export type ReportIo = RuntimeFileIo;

const parse = (argv: string[]) =>
  parseFlags({
    args: argv,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      'city-number': { type: 'string' },
      'answer-within': { type: 'string' },
      json: { type: 'boolean', default: false },
      aws: { type: 'boolean', default: false },
      table: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });

type Flags = ReturnType<typeof parse>['values'];

export interface ReportRequest {
  from: string;
  to: string;
  cityNumber?: string | undefined;
  answerWithinSeconds: number;
}

/** The period, city number and threshold the flags ask for; a UsageError says what is wrong. */
export function reportRequest(flags: Flags): ReportRequest {
  const { from, to } = flags;
  if (from === undefined || to === undefined)
    throw new UsageError('--from and --to are required (see --help)');
  for (const [flag, day] of [
    ['from', from],
    ['to', to],
  ])
    if (!isLocalDate(day as string)) throw new UsageError(`--${flag}: not a date YYYY-MM-DD (got ${day})`);
  if (to < from) throw new UsageError(`--to (${to}) is before --from (${from})`);
  const within = flags['answer-within'];
  if (within !== undefined && !/^\d+$/.test(within))
    throw new UsageError(`--answer-within: not a whole number of seconds (got ${within})`);
  return {
    from,
    to,
    cityNumber: flags['city-number'],
    answerWithinSeconds: within === undefined ? DEFAULT_ANSWER_WITHIN_SECONDS : Number(within),
  };
}

/** The report's title line: what was counted, and from where. */
export function reportTitle(
  request: ReportRequest,
  source: { table: string; timeZone: string; where: string },
): string {
  const days = request.from === request.to ? request.from : `${request.from} to ${request.to}`;
  const city = request.cityNumber === undefined ? '' : `, city number ${request.cityNumber}`;
  return `Calls of ${days} (${source.timeZone})${city}, service level within ${request.answerWithinSeconds} s; table ${source.table} (${source.where})`;
}

/** The CLI, minus the process: returns the exit code. */
export function main(argv: string[], io: ReportIo): Promise<number> {
  return runCli(argv, io, { usage: USAGE, parse }, async ({ values }) => {
    const request = reportRequest(values);
    const runtime = values.aws ? undefined : (readRuntimeFile(io.runtimeFile) as RuntimeFile | undefined);
    const source = resolveCallsSource(values, runtime);
    const client = new DynamoDBClient(source.client);
    let report: CallCentreReport;
    try {
      const calls = new DynamoDbCallsStore(DynamoDBDocumentClient.from(client), source.table);
      const records = await calls.callsOfPeriod({
        from: request.from,
        to: request.to,
        timeZone: source.timeZone,
        cityNumber: request.cityNumber,
      });
      report = callCentreReport(records, { ...request });
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
