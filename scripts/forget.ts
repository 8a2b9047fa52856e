/**
 * `npm run forget -- --number <phone> [--yes]`: a customer erased from the stack's tables (152-FZ
 * art. 21, GDPR art. 17): what is stored of them shown first, then, with --yes, every call's
 * stored events, its record and every quarantined body holding their number deleted, and an
 * erasure receipt written (no number in it). The erasure itself: scripts/lib/erasure.ts.
 * Local mode's tables by default, a deployed stack's with --aws.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type CountryCode, maskedNumber } from '../lambda/calls';
import { INGEST_ENV, PROJECT_ENV } from '../lambda/config/environment';
import { localDynamoDbClient, type RuntimeFile } from '../local/runtime-file';
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
import {
  type ErasureProgress,
  type ErasureReceipt,
  type ErasureTables,
  eraseByReceipt,
  newReceipt,
  planErasure,
  receiptSaver,
  unfinishedReceipts,
} from './lib/erasure';

export const CLI = defineCli({
  name: 'forget',
  synopsis: [
    'npm run forget -- --number <phone> [--yes] [--receipts DIR]',
    '               [--aws --events-table NAME --calls-table NAME --rejected-table NAME',
    '                      [--key-secret ARN]]',
  ],
  about: `Erases one customer: finds every call of theirs (the number in any format, read as
npm run calls -- --number reads it), every quarantined body that holds their number, and
shows them; with --yes, deletes each call's stored events, its record and those bodies, and
writes an erasure receipt (JSON: when, how many items of which table, the SessionIDs; no
number), to file as the act of destruction. Nothing of another customer is touched. Running it
again changes nothing; a run stopped half-way leaves its receipt "in progress", and the next
run with --yes completes it first. What it cannot reach (the bus archive, consumers' copies,
backups) is said in its output. In pseudonymous mode the number typed is looked up by its
pseudonym (and in clear, for calls stored before the mode was set).
Local mode's tables (npm start) unless --aws.`,
  options: {
    number: { type: 'string', value: 'PHONE', help: "the customer's number, in any format" },
    yes: { type: 'boolean', default: false, help: 'delete, and write the receipt (without it: only show)' },
    receipts: {
      type: 'string',
      value: 'DIR',
      help: 'where receipts are written (default .local/erasures, with --aws ./erasures)',
    },
    aws: { type: 'boolean', default: false, help: 'a deployed stack, with the standard AWS environment' },
    'events-table': { type: 'string', value: 'NAME', help: 'with --aws: the CallEventsTableName output' },
    'calls-table': { type: 'string', value: 'NAME', help: 'with --aws: the CallsTableName output' },
    'rejected-table': {
      type: 'string',
      value: 'NAME',
      help: 'with --aws: the RejectedCallEventsTableName output',
    },
    ...KEY_SECRET_OPTION,
  },
  environment: [
    [INGEST_ENV.callEventsTable, 'with --aws: the CallEvents table, when --events-table does not name it'],
    [PROJECT_ENV.callsTable, 'with --aws: the Calls table, when --calls-table does not name it'],
    [INGEST_ENV.rejectedEventsTable, 'with --aws: the quarantine, when --rejected-table does not name it'],
    ...KEY_ENVIRONMENT,
    ...AWS_ENVIRONMENT,
  ],
});

type Values = ReturnType<typeof CLI.parse>['values'];

export type ForgetIo = RuntimeFileIo & {
  /** Told after each step of an erasure (tests stop it half-way there). */
  progress?: ErasureProgress;
  /** The stack's settings for --aws. @default those of this checkout's cdk.json */
  stackSettings?: () => { defaultCountry: string; archiveRetentionDays: number; customerNumbers: string };
  /** Reads the pseudonym key's secret for --aws. @default Secrets Manager */
  readSecret?: (secretArn: string) => Promise<string>;
};

interface Target {
  tables: ErasureTables;
  client: DynamoDBClientConfig;
  where: string;
  receipts: string;
  defaultCountry: CountryCode;
  notReached: string[];
  /** The stack's pseudonym key, when it keeps customers' numbers as pseudonyms. */
  pseudonymKey: () => Promise<string | undefined>;
}

/** What keeps copies of the calls that this tool cannot delete, wherever it runs. */
const BEYOND_THE_TABLES = [
  "consumers' copies: the CRM (amoCRM / Kommo, Bitrix24) keeps the calls on the customer's contact or lead — erase them there; your own rules' targets and queues; the consumers' dead-letter queues (14 days)",
  'point-in-time backups of the tables (35 days): a table restored from one has the calls again — run this again after a restore',
  "the Calls table's stream: the deleted records' last images, for 24 hours",
  'a call without a record (the projector has not folded it yet, or gave up on it: its failure queue): its events are found only once it has one',
];

function targetOf(values: Values, io: ForgetIo): Target {
  if (values.aws) {
    const table = (flag: 'events-table' | 'calls-table' | 'rejected-table', env: string) => {
      const name = values[flag] ?? io.env[env];
      if (!name) throw new UsageError(`--aws needs --${flag} NAME (or ${env})`);
      return name;
    };
    const tables = {
      callEvents: table('events-table', INGEST_ENV.callEventsTable),
      calls: table('calls-table', PROJECT_ENV.callsTable),
      rejectedEvents: table('rejected-table', INGEST_ENV.rejectedEventsTable),
    };
    const settings = io.stackSettings?.() ?? stackSettingsOfCheckout();
    const archive =
      settings.archiveRetentionDays === 0
        ? 'indefinitely'
        : `for ${settings.archiveRetentionDays} days (archiveRetentionDays)`;
    const keyFlags = { aws: true, keySecret: values['key-secret'] };
    return {
      pseudonymKey: () =>
        pseudonymKeyFor(
          keyFlags,
          undefined,
          io.env,
          () => settings.customerNumbers === 'pseudonymous',
          io.readSecret,
        ),
      tables,
      client: {},
      where: `AWS${io.env.AWS_REGION ? ` ${io.env.AWS_REGION}` : ''}`,
      receipts: resolve(values.receipts ?? 'erasures'),
      defaultCountry: settings.defaultCountry as CountryCode,
      notReached: [
        `the bus archive: every event published of these calls is kept ${archive}, and no single event can be deleted from it; a replay of it would bring the calls back`,
        ...BEYOND_THE_TABLES,
      ],
    };
  }
  const runtime: RuntimeFile = requireLocalMode(io.runtimeFile, 'or pass --aws with the tables');
  const stateDir = dirname(io.runtimeFile ?? join('.local', 'runtime.json'));
  return {
    pseudonymKey: () => pseudonymKeyFor({ aws: false }, runtime, io.env, () => false),
    tables: runtime.tables,
    client: localDynamoDbClient(runtime),
    where: 'local mode',
    receipts: resolve(values.receipts ?? join(stateDir, 'erasures')),
    defaultCountry: runtime.defaultCountry as CountryCode,
    notReached: [
      `the local bus's copies, as a deployed bus archive keeps them: ${runtime.eventsFile} and the deliveries files in ${runtime.deliveriesDir}`,
      ...BEYOND_THE_TABLES,
    ],
  };
}

function stackSettingsOfCheckout() {
  const { stackSettings } = require('./lib/stack-settings') as typeof import('./lib/stack-settings');
  return stackSettings();
}

const sameTables = (receipt: ErasureReceipt, target: Target) =>
  receipt.where === target.where &&
  [target.tables.callEvents, target.tables.calls, target.tables.rejectedEvents].every((table) =>
    receipt.deleted.some((d) => d.table === table),
  );

const deletedLine = (receipt: ErasureReceipt) =>
  receipt.deleted.map((d) => `${d.items} ${d.role} (${d.table})`).join(', ');

async function forget(values: Values, io: ForgetIo): Promise<number> {
  const given = values.number;
  if (given === undefined || given.trim() === '')
    throw new UsageError('--number needs the customer’s number');
  const target = targetOf(values, io);
  if (!/\d/.test(given)) throw new UsageError(`--number: ${JSON.stringify(given)} has no digits`);
  const customer = storedCustomer(given, target.defaultCountry, await target.pseudonymKey());
  const who = maskedNumber(customer.number);
  const client = new DynamoDBClient(target.client);
  const doc = DynamoDBDocumentClient.from(client);
  try {
    if (values.yes)
      for (const { file, receipt } of unfinishedReceipts(target.receipts)) {
        // Only an erasure of these very tables: one of another stack's is completed against it.
        if (!sameTables(receipt, target)) {
          io.out(
            `Left alone: ${file}, an unfinished erasure of other tables (${receipt.where}); complete it against them`,
          );
          continue;
        }
        const done = await eraseByReceipt(doc, target.tables, receipt, receiptSaver(file), io.progress);
        io.out(`Completed an erasure a run left unfinished: ${file} (${deletedLine(done)})`);
      }
    const plan = await planErasure(doc, target.tables, customer, target.defaultCountry);
    const events = plan.calls.reduce((sum, c) => sum + c.events, 0);
    if (plan.calls.length === 0 && plan.quarantined.length === 0) {
      io.out(`Nothing of ${who} is stored in the tables (${target.where}).`);
      return 0;
    }
    io.out(
      `${who} (${target.where}): ${plan.calls.length} call(s), ${events} stored event(s), ${plan.quarantined.length} quarantined bod${plan.quarantined.length === 1 ? 'y' : 'ies'} holding the number`,
    );
    for (const call of plan.calls) io.out(`  call ${call.sessionId}: its record and ${call.events} event(s)`);
    for (const key of plan.quarantined) io.out(`  quarantined ${key.RejectedKey}`);
    if (!values.yes) {
      io.out('Nothing deleted: run again with --yes to delete these and write the erasure receipt.');
      sayNotReached(target, io);
      return 0;
    }
    const file = join(target.receipts, `erasure-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    mkdirSync(target.receipts, { recursive: true });
    const receipt = newReceipt(plan, target.tables, target.where, target.notReached);
    const done = await eraseByReceipt(doc, target.tables, receipt, receiptSaver(file), io.progress);
    io.out(`Erased ${who}: ${deletedLine(done)}.`);
    io.out(`Receipt: ${file}`);
    sayNotReached(target, io);
    return 0;
  } catch (error) {
    io.err(`npm run forget failed (${target.where}): ${errorLine(error)}; run it again to complete it`);
    return 1;
  } finally {
    client.destroy();
  }
}

function sayNotReached(target: Target, io: ForgetIo) {
  io.out('Not reached by this tool (see README, "Personal data"):');
  for (const line of target.notReached) io.out(`  - ${line}`);
}

/** The CLI, minus the process: returns the exit code. */
export function main(argv: string[], io: ForgetIo): Promise<number> {
  return runCli(argv, io, CLI, ({ values }) => forget(values, io));
}

runWhenMain(module, main);
