/**
 * `npm run indexes -- [--wait] [--aws --table NAME]`: the Calls table's indexes, which step of the
 * upgrade to the current ones (lambda/calls/index-upgrade.ts) the table is at, and the deploy to
 * run next; with --wait, first waits until no index is being created or deleted.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { stepOfIndexes, UPGRADE_STEPS } from '../lambda/calls';
import { LOCAL_OR_AWS_TABLE, resolveCallsSource } from './lib/calls-source';
import {
  AWS_ENVIRONMENT,
  defineCli,
  errorLine,
  type RuntimeFileIo,
  requireLocalMode,
  runCli,
  runWhenMain,
} from './lib/cli';

export const CLI = defineCli({
  name: 'indexes',
  synopsis: ['npm run indexes [-- [--wait] [--aws --table NAME]]'],
  about: `The Calls table's indexes and their status, which step of the upgrade to the current indexes the
table is at (a stack deployed before 2026-12-04 has the earlier ones), and the deploy to run next:
npx cdk deploy -c callsIndexStep=N, one step a deploy, 1 to ${UPGRADE_STEPS}. CloudFormation does not wait for a new
index to be filled; run the next step once every index is ACTIVE (--wait waits for it).
Reads the running local mode (npm start) unless --aws; local mode gives a kept table the current
indexes when it starts.`,
  options: {
    wait: {
      type: 'boolean',
      default: false,
      help: 'wait until no index is being created or deleted (checked every 10 s)',
    },
    aws: { type: 'boolean', default: false, help: 'a deployed stack, with the standard AWS environment' },
    table: { type: 'string', value: 'NAME', help: 'the CallsTableName output (local mode: its own)' },
  },
  environment: [...AWS_ENVIRONMENT],
});

export interface IndexesIo extends RuntimeFileIo {
  /** @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

const WAIT_MS = 10_000;

interface IndexState {
  name: string;
  status: string;
  backfilling: boolean;
}

/** What to do next, from the table's indexes. */
export function nextStep(indexes: readonly IndexState[]): string {
  const busy = indexes.filter((i) => i.status !== 'ACTIVE');
  if (busy.length > 0)
    return `Wait: ${busy.map((i) => `${i.name} is ${i.status}${i.backfilling ? ' (being filled)' : ''}`).join(', ')}; then run npm run indexes again (--wait waits).`;
  const step = stepOfIndexes(indexes.map((i) => i.name));
  if (step === undefined)
    return 'These indexes match no step of the upgrade: compare them with lambda/calls/index-upgrade.ts before deploying.';
  if (step === UPGRADE_STEPS)
    return 'The table has the current indexes: deploy without callsIndexStep (nothing to upgrade).';
  return `At step ${step} of ${UPGRADE_STEPS}${step === 0 ? ' (the earlier indexes)' : ''}. Next: npx cdk deploy -c callsIndexStep=${step + 1}`;
}

export function main(argv: string[], io: IndexesIo): Promise<number> {
  return runCli(argv, io, CLI, async ({ values }) => {
    const runtime = values.aws ? undefined : requireLocalMode(io.runtimeFile, LOCAL_OR_AWS_TABLE);
    const source = resolveCallsSource(values, runtime, () => ({ timeZone: 'UTC', defaultCountry: 'RU' }));
    const client = new DynamoDBClient(source.client);
    const sleep = io.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    try {
      for (;;) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: source.table }));
        const indexes: IndexState[] = (Table?.GlobalSecondaryIndexes ?? []).map((index) => ({
          name: index.IndexName ?? '',
          status: index.IndexStatus ?? 'UNKNOWN',
          backfilling: index.Backfilling === true,
        }));
        if (values.wait && indexes.some((i) => i.status !== 'ACTIVE')) {
          await sleep(WAIT_MS);
          continue;
        }
        io.out(`${source.table} (${source.where}):`);
        for (const index of [...indexes].sort((a, b) => a.name.localeCompare(b.name)))
          io.out(`  ${index.name.padEnd(24)}${index.status}`);
        io.out(nextStep(indexes));
        return 0;
      }
    } catch (error) {
      io.err(`Cannot describe table ${source.table} (${source.where}): ${errorLine(error)}`);
      return 1;
    } finally {
      client.destroy();
    }
  });
}

runWhenMain(module, main);
