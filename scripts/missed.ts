/**
 * `npm run missed -- [--from DATE|TIME] [--to DATE|TIME] [--city-number N] [--number PHONE] [--json] [--aws --table NAME]`:
 * the missed calls still waiting for a callback, the longest-waiting first, from the sparse index
 * PendingCallbacks.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CALLS_SPARSE_INDEXES, type CallRecord } from '../lambda/calls';
import { SETTINGS } from '../lambda/config/settings';
import { customerShown } from './lib/call-records';
import { cityNumberOf, isCityNumber, LOCAL_OR_AWS_TABLE, resolveCallsSource } from './lib/calls-source';
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
import { KEY_ENVIRONMENT, KEY_SECRET_OPTION, pseudonymKeyFor, storedCustomer } from './lib/customer-key';
import { inPeriod, parsePeriodArgs, periodHelp, resolvePeriod, wholeSecondUtc } from './lib/period-args';
import { formatTable } from './lib/report-format';

export const CLI = defineCli({
  name: 'missed',
  synopsis: [
    'npm run missed [-- [--from DATE|TIME] [--to DATE|TIME] [--city-number N] [--number PHONE]',
    '                   [--json] [--aws --table NAME [--key-secret ARN]]]',
  ],
  about: `Lists the missed calls still waiting for a callback (CallbackStatus pending), the longest-waiting
first, with how long each has waited since it ended. A missed call stays pending until an answered
call with the same customer starts within ${SETTINGS.callbackWindowHours.default} hours (callbackWindowHours) of its end; when
none did, the sweep marks it not-called-back once that window has passed, and it leaves the list. Reads the index ${CALLS_SPARSE_INDEXES.pendingCallbacks.indexName}, which holds only those calls.
Reads the running local mode (npm start) unless --aws.`,
  options: {
    from: { type: 'string', value: 'DATE|TIME', help: 'only the calls that ended then or later' },
    to: {
      type: 'string',
      value: 'DATE|TIME',
      help: 'only the calls that ended before (a date: up to the end of that day)',
    },
    'city-number': {
      type: 'string',
      value: 'N',
      help: "only the calls to that public number, in any format (4950665310,\n+7 495 066-53-10), read with the stack's defaultCountry",
    },
    number: {
      type: 'string',
      value: 'PHONE',
      help: 'only the calls of that customer, in any format (looked up by its\npseudonym when the stack keeps numbers as pseudonyms)',
    },
    json: {
      type: 'boolean',
      default: false,
      help: 'a JSON array of the records, each with WaitingSeconds (now - EndedAt)',
    },
    aws: {
      type: 'boolean',
      default: false,
      help: "a deployed stack, with the standard AWS environment; the stack's\ntimeZone and defaultCountry are then cdk.json's",
    },
    table: { type: 'string', value: 'NAME', help: 'the CallsTableName output (local mode: its own)' },
    ...KEY_SECRET_OPTION,
  },
  sections: [
    [
      'Dates and times (--from, --to)',
      periodHelp("the stack's time zone (local mode's; with --aws, cdk.json's timeZone)"),
    ],
  ],
  environment: [...KEY_ENVIRONMENT, ...AWS_ENVIRONMENT],
});

export interface MissedIo extends RuntimeFileIo {
  now?: () => Date;
  /** Reads the pseudonym key's secret for --aws. @default Secrets Manager */
  readSecret?: (secretArn: string) => Promise<string>;
}

export type WaitingCall = CallRecord & { WaitingSeconds: number };

/** Each record with the whole seconds since it ended (0 for an end in the future: clock skew). */
export function withWaiting(records: readonly CallRecord[], now: Date): WaitingCall[] {
  return records.map((record) => ({
    ...record,
    WaitingSeconds: Math.max(0, Math.floor((now.getTime() - Date.parse(record.EndedAt ?? '')) / 1000)),
  }));
}

/** A wait as people say it: `45 s`, `12 min`, `3 h 12 min`, `2 d 5 h`. */
export function formatWait(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  if (minutes === 0) return `${seconds} s`;
  if (hours === 0) return `${minutes} min`;
  if (days === 0) return `${hours} h ${minutes % 60} min`;
  return `${days} d ${hours % 24} h`;
}

/** This checkout's stack settings, for --aws; loaded only then (it reads the CDK app's configuration). */
function checkoutSettings() {
  const { stackSettings } = require('./lib/stack-settings') as typeof import('./lib/stack-settings');
  return stackSettings();
}

/** The readable table, or a sentence when nothing waits. */
export function formatMissedCalls(calls: readonly WaitingCall[]): string {
  if (calls.length === 0) return 'No missed call is waiting for a callback.';
  const table = formatTable(
    ['Ended (UTC)', 'Waited', 'Customer', 'City number', 'SessionID', 'Caller'],
    calls.map((call) => [
      call.EndedAt ?? '',
      formatWait(call.WaitingSeconds),
      customerShown(call) ?? '',
      call.CityNumber,
      call.SessionID,
      call.Caller,
    ]),
  );
  return `${table}\n\n${calls.length} missed call${calls.length === 1 ? '' : 's'} waiting for a callback.`;
}

/** The CLI, minus the process: returns the exit code. */
export function main(argv: string[], io: MissedIo): Promise<number> {
  return runCli(argv, io, CLI, async ({ values }) => {
    const periodArgs = parsePeriodArgs(values);
    const given = values['city-number'];
    if (given !== undefined && !/\d/.test(given))
      throw new UsageError(`--city-number: not a phone number (got ${given})`);
    const runtime = values.aws ? undefined : requireLocalMode(io.runtimeFile, LOCAL_OR_AWS_TABLE);
    const source = resolveCallsSource(values, runtime);
    const period = resolvePeriod(periodArgs, source.timeZone);
    const city = given === undefined ? undefined : cityNumberOf(given, source.defaultCountry);
    const typed = values.number;
    if (typed !== undefined && !/\d/.test(typed))
      throw new UsageError(`--number: not a phone number (got ${typed})`);
    const customer =
      typed === undefined
        ? undefined
        : storedCustomer(
            typed,
            source.defaultCountry,
            await pseudonymKeyFor(
              { aws: values.aws, keySecret: values['key-secret'] },
              runtime,
              io.env,
              () => checkoutSettings().customerNumbers === 'pseudonymous',
              io.readSecret,
            ),
          ).key;
    const client = new DynamoDBClient(source.client);
    try {
      const store = await callsStoreOf(DynamoDBDocumentClient.from(client), source.table);
      // The index holds only the pending calls: few enough to match the number as the calls layer reads it.
      const records = (
        await store.pendingCallbacks(period.from ? { endedFrom: wholeSecondUtc(period.from) } : {})
      ).filter(
        (record) =>
          inPeriod(record.EndedAt, period) &&
          (!city || isCityNumber(record, city, source.defaultCountry)) &&
          (customer === undefined || record.CustomerNumber === customer),
      );
      const calls = withWaiting(records, io.now?.() ?? new Date());
      io.out(values.json ? JSON.stringify(calls, null, 2) : formatMissedCalls(calls));
      return 0;
    } catch (error) {
      io.err(`Cannot read table ${source.table} (${source.where}): ${errorLine(error)}`);
      return 1;
    } finally {
      client.destroy();
    }
  });
}

runWhenMain(module, main);
