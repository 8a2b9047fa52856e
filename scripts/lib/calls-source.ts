/**
 * Which Calls table the calls tools (`npm run missed`, `npm run report`) read, through which
 * client, and in which time zone: local mode's (`.local/runtime.json`) by default, a deployed
 * stack's with --aws.
 */
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { LOCAL_AWS_ENV } from '../../local/dynamodb-local';
import { RUNTIME_FILE, type RuntimeFile } from '../../local/runtime-file';
import { UsageError } from './cli';
import { stackSettings } from './stack-settings';

export interface CallsSource {
  table: string;
  /** The zone of the records' `Day`: the stack's `timeZone`. */
  timeZone: string;
  client: DynamoDBClientConfig;
  where: string;
}

export function resolveCallsSource(
  flags: { aws?: boolean | undefined; table?: string | undefined },
  runtime: RuntimeFile | undefined,
): CallsSource {
  if (flags.aws) {
    if (!flags.table) throw new UsageError('--aws needs --table NAME (the CallsTableName output)');
    return { table: flags.table, timeZone: stackSettings().timeZone, client: {}, where: 'AWS' };
  }
  if (!runtime) {
    throw new UsageError(
      `No local runtime (${RUNTIME_FILE}): run \`npm start\` first, or pass --aws --table NAME`,
    );
  }
  return {
    table: flags.table ?? runtime.tables.calls,
    timeZone: runtime.timeZone,
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
