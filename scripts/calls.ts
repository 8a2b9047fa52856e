/**
 * `npm run calls`: one call (its record's summary above its stored events), one call's record
 * (`--record`), a customer's calls (`--number`), a public number's calls of a local day
 * (`--city-number … --date …`); from the local tables (`.local/runtime.json`) or, with --aws,
 * from a deployed stack through the SDK's default chain (region, credentials, endpoint).
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type CountryCode, DynamoDbCallsStore, type StoredCall, type UtcRange } from '../lambda/calls';
import { INGEST_ENV, PROJECT_ENV } from '../lambda/config/environment';
import { LOCAL_AWS_ENV } from '../local/dynamodb-local';
import { type RuntimeFile, readRuntimeFile } from '../local/runtime-file';
import { formatRecordList, formatRecordSummary, orderedRecord } from './lib/call-records';
import { type CityNumber, cityNumberCallsOf, cityNumberOf } from './lib/calls-source';
import { callsStoreOf } from './lib/calls-store';
import {
  AWS_ENVIRONMENT,
  defineCli,
  errorLine,
  localModeNotRunning,
  type RuntimeFileIo,
  runCli,
  runWhenMain,
  UsageError,
} from './lib/cli';
import { KEY_ENVIRONMENT, KEY_SECRET_OPTION, pseudonymKeyFor, storedCustomer } from './lib/customer-key';
import { parsePeriodBound, resolvePeriod, wholeSecondUtc } from './lib/period-args';
import { formatJson, formatTimeline, queryCallEvents } from './lib/timeline';

export const CLI = defineCli({
  name: 'calls',
  synopsis: [
    'npm run calls -- <SessionID> [--record] [--json]',
    'npm run calls -- --number <phone> [--json]',
    'npm run calls -- --city-number <n> --date YYYY-MM-DD [--json]',
    '(each also with --aws [--table NAME] [--calls-table NAME]; --number also [--key-secret ARN])',
  ],
  about: `<SessionID>: the call, its record's summary above its events' timeline (--json: the stored
events, as a JSON array); with --record, its record alone (--json: one JSON object).
--number: a customer's calls, newest first; --city-number: a public number's calls of a local day
(both --json: an array of records).
Reads the tables of the running local mode (npm start); with --aws, or --table when local mode
is not running, a deployed stack's. --number and --city-number read the phone in any format as the
projector does (the stack's defaultCountry); --date is a day in the stack's timeZone; with --aws
both settings are this checkout's (cdk.json). When the stack keeps customers' numbers as
pseudonyms (customerNumbers=pseudonymous), --number looks the number typed up by its pseudonym.`,
  positionals: true,
  options: {
    json: { type: 'boolean', default: false, help: 'JSON instead of text (see each form above)' },
    record: { type: 'boolean', default: false, help: "the call's record alone" },
    number: { type: 'string', value: 'PHONE', help: "a customer's calls, newest first (any format)" },
    'city-number': {
      type: 'string',
      value: 'N',
      help: "a public number's calls, with --date (any format: 4950665310,\n+7 495 066-53-10)",
    },
    date: {
      type: 'string',
      value: 'YYYY-MM-DD',
      help: "the local day of --city-number, in the stack's timeZone",
    },
    aws: { type: 'boolean', default: false, help: 'a deployed stack, with the standard AWS environment' },
    table: {
      type: 'string',
      value: 'NAME',
      help: `the table the command reads: CallEventsTableName for <SessionID>, or\nCallsTableName for --record, --number and --city-number\n(else ${INGEST_ENV.callEventsTable} / ${PROJECT_ENV.callsTable})`,
    },
    'calls-table': {
      type: 'string',
      value: 'NAME',
      help: `CallsTableName, for the record's summary above the timeline\n(else ${PROJECT_ENV.callsTable}; without either, the timeline alone)`,
    },
    ...KEY_SECRET_OPTION,
  },
  environment: [
    [INGEST_ENV.callEventsTable, 'with --aws: the CallEvents table, when --table does not name it'],
    [PROJECT_ENV.callsTable, 'with --aws: the Calls table, when neither table flag names it'],
    ...KEY_ENVIRONMENT,
    ...AWS_ENVIRONMENT,
  ],
});

export type CallsIo = RuntimeFileIo & {
  /** The stack's settings for --aws. @default those of this checkout's cdk.json */
  stackSettings?: () => { timeZone: string; defaultCountry: string; customerNumbers?: string };
  /** Reads the pseudonym key's secret for --aws. @default Secrets Manager */
  readSecret?: (secretArn: string) => Promise<string>;
};

/** Where to read: the table, the client's configuration, and a name for messages. */
export interface Source {
  table: string;
  client: DynamoDBClientConfig;
  where: string;
}

export type TableKind = 'callEvents' | 'calls';
const TABLE_ENV: Record<TableKind, string> = {
  callEvents: INGEST_ENV.callEventsTable,
  calls: PROJECT_ENV.callsTable,
};

/**
 * The table of `kind` to read (given as `flags.table`, named `flag` in messages): --aws (or a
 * table with no local runtime), the SDK's default chain; otherwise the local runtime.
 */
export function resolveSource(
  flags: { table?: string; aws?: boolean },
  env: NodeJS.ProcessEnv,
  runtime: RuntimeFile | undefined,
  kind: TableKind = 'callEvents',
  flag = '--table',
): Source {
  if (flags.aws || (flags.table !== undefined && runtime === undefined)) {
    const table = flags.table ?? env[TABLE_ENV[kind]];
    if (!table) throw new UsageError(`Pass ${flag} NAME or set ${TABLE_ENV[kind]} to read from AWS`);
    return { table, client: {}, where: 'AWS' };
  }
  if (!runtime) throw localModeNotRunning(`or pass --aws ${flag} NAME`);
  const credentials = {
    accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID,
    secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY,
  };
  return {
    table: flags.table ?? runtime.tables[kind],
    client: { endpoint: runtime.dynamodbEndpoint, region: runtime.region, credentials },
    where: runtime.dynamodbEndpoint,
  };
}

type Values = ReturnType<typeof CLI.parse>['values'];

/** What to show, from the flags; a combination that means nothing is a usage error. */
export type Command =
  | { kind: 'call'; sessionId: string }
  | { kind: 'record'; sessionId: string }
  | { kind: 'number'; phone: string }
  | { kind: 'city'; cityNumber: string; date: string };

export function commandOf(
  values: Pick<Values, 'record' | 'number' | 'city-number' | 'date'>,
  positionals: string[],
): Command {
  const cityNumber = values['city-number'];
  const lists = [values.number, cityNumber].filter((v) => v !== undefined).length;
  if (lists > 1) throw new UsageError('give --number or --city-number, not both');
  if (values.date !== undefined && cityNumber === undefined)
    throw new UsageError('--date goes with --city-number');
  if (lists === 1) {
    if (positionals.length > 0 || values.record)
      throw new UsageError('--number and --city-number take no SessionID nor --record');
    if (values.number !== undefined) {
      if (values.number.trim() === '') throw new UsageError('--number needs a phone number');
      return { kind: 'number', phone: values.number };
    }
    if (!cityNumber || values.date === undefined)
      throw new UsageError('--city-number needs a number and --date YYYY-MM-DD');
    return { kind: 'city', cityNumber, date: values.date };
  }
  const [sessionId, ...rest] = positionals;
  if (!sessionId || rest.length > 0) throw new UsageError('give exactly one SessionID');
  return { kind: values.record ? 'record' : 'call', sessionId };
}

/** The zone and country the stack reads times and numbers in: the local runtime's, else the checkout's. */
function settingsOf(
  runtime: RuntimeFile | undefined,
  io: CallsIo,
): { timeZone: string; defaultCountry: string; customerNumbers?: string } {
  if (runtime) return { timeZone: runtime.timeZone, defaultCountry: runtime.defaultCountry };
  if (io.stackSettings) return io.stackSettings();
  // Loaded only here: it synthesizes nothing but reads the CDK app's configuration.
  const { stackSettings } = require('./lib/stack-settings') as typeof import('./lib/stack-settings');
  return stackSettings();
}

/** Runs `read` with a document client for `source`; a failure is one line on stderr, exit code 1. */
async function withTable(
  source: Source,
  io: CallsIo,
  read: (doc: DynamoDBDocumentClient) => Promise<number>,
): Promise<number> {
  const client = new DynamoDBClient(source.client);
  try {
    return await read(DynamoDBDocumentClient.from(client));
  } catch (error) {
    io.err(`Cannot read table ${source.table} (${source.where}): ${errorLine(error)}`);
    return 1;
  } finally {
    client.destroy();
  }
}

const recordsJson = (records: readonly StoredCall[]) => JSON.stringify(records.map(orderedRecord), null, 2);

async function printCall(
  sessionId: string,
  events: Source,
  calls: Source | undefined,
  json: boolean,
  io: CallsIo,
): Promise<number> {
  const record = calls && !json ? await readRecord(sessionId, calls, io) : undefined;
  if (record === null) return 1;
  return withTable(events, io, async (doc) => {
    const items = await queryCallEvents(doc, events.table, sessionId);
    if (items.length === 0) {
      io.err(`No events stored for SessionID ${sessionId} in table ${events.table} (${events.where})`);
      return 1;
    }
    if (json) {
      io.out(formatJson(items));
      return 0;
    }
    if (record) io.out(`${formatRecordSummary(record)}\n`);
    else if (calls)
      io.out(`(no record yet in table ${calls.table}: the projector has not folded this call)\n`);
    io.out(formatTimeline(sessionId, items));
    return 0;
  });
}

/** The record, undefined when there is none, null when the table could not be read (said on stderr). */
async function readRecord(sessionId: string, source: Source, io: CallsIo) {
  let record: StoredCall | undefined | null = null;
  await withTable(source, io, async (doc) => {
    record = await new DynamoDbCallsStore(doc, source.table).getCall(sessionId);
    return 0;
  });
  return record as StoredCall | undefined | null;
}

async function printRecord(sessionId: string, source: Source, json: boolean, io: CallsIo): Promise<number> {
  const record = await readRecord(sessionId, source, io);
  if (record === null) return 1;
  if (record === undefined) {
    io.err(`No record for SessionID ${sessionId} in table ${source.table} (${source.where})`);
    return 1;
  }
  io.out(json ? JSON.stringify(orderedRecord(record), null, 2) : formatRecordSummary(record));
  return 0;
}

/** The CLI, minus the process: returns the exit code. */
export function main(argv: string[], io: CallsIo): Promise<number> {
  return runCli(argv, io, CLI, async ({ values, positionals }) => {
    const command = commandOf(values, positionals);
    const runtime = values.aws ? undefined : readRuntimeFile(io.runtimeFile);
    const aws = values.aws;
    if (command.kind === 'call') {
      const events = resolveSource({ table: values.table, aws }, io.env, runtime);
      const callsTable =
        values['calls-table'] ?? (aws || !runtime ? io.env[PROJECT_ENV.callsTable] : undefined);
      // Against AWS with no Calls table named: the timeline alone, as before the calls layer.
      const calls =
        runtime || callsTable !== undefined
          ? resolveSource(
              { table: callsTable, aws: aws || !runtime },
              io.env,
              runtime,
              'calls',
              '--calls-table',
            )
          : undefined;
      return printCall(command.sessionId, events, calls, values.json, io);
    }
    const source = resolveSource(
      { table: values.table ?? values['calls-table'], aws },
      io.env,
      runtime,
      'calls',
    );
    if (command.kind === 'record') return printRecord(command.sessionId, source, values.json, io);
    const settings = settingsOf(runtime, io);
    // Worked out before reading, so that a bad date is a usage error, not a failed read.
    const country = settings.defaultCountry as CountryCode;
    const key =
      command.kind === 'number'
        ? await pseudonymKeyFor(
            { aws: aws || !runtime, keySecret: values['key-secret'] },
            runtime,
            io.env,
            () => settingsOf(runtime, io).customerNumbers === 'pseudonymous',
            io.readSecret,
          )
        : undefined;
    const query: { customer: string } | { city: CityNumber; day: UtcRange } =
      command.kind === 'number'
        ? { customer: storedCustomer(command.phone, country, key).key }
        : { city: cityNumberOf(command.cityNumber, country), day: dayRange(command.date, settings.timeZone) };
    return withTable(source, io, async (doc) => {
      const calls = await callsStoreOf(doc, source.table);
      const records =
        'customer' in query
          ? await calls.customerHistory(query.customer)
          : await cityNumberCallsOf(calls, query.city, query.day, country);
      io.out(values.json ? recordsJson(records) : formatRecordList(records));
      return 0;
    });
  });
}

/** --date read as every tool reads a date: a whole day in the stack's zone. */
function dayRange(date: string, timeZone: string): UtcRange {
  const day = parsePeriodBound('--date', date);
  if (day.kind !== 'date') throw new UsageError(`--date: a day YYYY-MM-DD, not a time (got ${date})`);
  const { from, to } = resolvePeriod({ from: day, to: day, flags: ['--date', '--date'] }, timeZone);
  return { from: wholeSecondUtc(from as Date), to: wholeSecondUtc(to as Date) };
}

runWhenMain(module, main);
