/**
 * `npm run missed -- [--city-number N] [--json] [--aws --table NAME]`: the missed calls still
 * waiting for a callback, the longest-waiting first, from the sparse index PendingCallbacks.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CALLS_SPARSE_INDEXES, type CallRecord, DynamoDbCallsStore } from '../lambda/calls';
import { SETTINGS } from '../lambda/config/settings';
import type { RuntimeFile } from '../local/runtime-file';
import { RUNTIME_FILE, readRuntimeFile } from '../local/runtime-file';
import { resolveCallsSource } from './lib/calls-source';
import { errorLine, parseFlags, type RuntimeFileIo, runCli, runWhenMain } from './lib/cli';
import { formatTable } from './lib/report-format';

const USAGE = `Usage: npm run missed -- [--city-number N] [--json] [--aws --table NAME]
Lists the missed calls still waiting for a callback (CallbackStatus pending), the longest-waiting
first, with how long each has waited since it ended. A missed call stays pending until an answered
call with the same customer starts within ${SETTINGS.callbackWindowHours.default} hours (callbackWindowHours) of its end, and
after that window too when none did. Reads the index ${CALLS_SPARSE_INDEXES.pendingCallbacks.indexName}, which holds only those calls.
  --city-number N  only the calls to that public number, as sent (e.g. 4950665310)
  --json           a JSON array of the records, each with WaitingSeconds (now - EndedAt)
Defaults to the local mode (${RUNTIME_FILE}, written by \`npm start\`). With --aws: the table
named by --table (the CallsTableName output), with the standard AWS environment.`;

export interface MissedIo extends RuntimeFileIo {
  now?: () => Date;
}

const parse = (argv: string[]) =>
  parseFlags({
    args: argv,
    options: {
      'city-number': { type: 'string' },
      json: { type: 'boolean', default: false },
      aws: { type: 'boolean', default: false },
      table: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });

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

/** The readable table, or a sentence when nothing waits. */
export function formatMissedCalls(calls: readonly WaitingCall[]): string {
  if (calls.length === 0) return 'No missed call is waiting for a callback.';
  const table = formatTable(
    ['Ended (UTC)', 'Waited', 'Customer', 'City number', 'SessionID', 'Caller'],
    calls.map((call) => [
      call.EndedAt ?? '',
      formatWait(call.WaitingSeconds),
      call.CustomerNumber ?? '',
      call.CityNumber,
      call.SessionID,
      call.Caller,
    ]),
  );
  return `${table}\n\n${calls.length} missed call${calls.length === 1 ? '' : 's'} waiting for a callback.`;
}

/** The CLI, minus the process: returns the exit code. */
export function main(argv: string[], io: MissedIo): Promise<number> {
  return runCli(argv, io, { usage: USAGE, parse }, async ({ values }) => {
    const runtime = values.aws ? undefined : (readRuntimeFile(io.runtimeFile) as RuntimeFile | undefined);
    const source = resolveCallsSource(values, runtime);
    const client = new DynamoDBClient(source.client);
    try {
      const store = new DynamoDbCallsStore(DynamoDBDocumentClient.from(client), source.table);
      const city = values['city-number'];
      const records = await store.pendingCallbacks(city === undefined ? {} : { cityNumber: city });
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
