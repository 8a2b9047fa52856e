/**
 * `npm run crm -- status <SessionID> | redeliver | resume | authorize [--aws …]`: the CRM delivery as an
 * operator runs it. `status` reads the delivery ledger (whether and when the call reached the
 * CRM, with the CRM's ids, and every later completion); `redeliver` moves every call of the
 * consumer's dead-letter queue back to its queue, where the same ledger keeps each call once;
 * `resume` enables the consumer's event source mapping again after a refused token stopped it;
 * `authorize` gives a Bitrix24 application its first tokens (scripts/lib/bitrix24-authorize.ts).
 * Local mode's (`.local/runtime.json`) by default, a deployed stack's with --aws.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CRM_NAMES, CRMS, type CrmName } from '../lambda/crm/crms';
import { type DeliveryItem, DeliveryLedger } from '../lambda/crm/ledger';
import { LOCAL_AWS_ENV } from '../local/dynamodb-local';
import type { RuntimeFile } from '../local/runtime-file';
import { authorize } from './lib/bitrix24-authorize';
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

export const CLI = defineCli({
  name: 'crm',
  synopsis: [
    'npm run crm -- status SESSION_ID [--json]',
    'npm run crm -- redeliver',
    'npm run crm -- resume',
    '               [--aws --table NAME --dlq ARN --function NAME]',
    'npm run crm -- authorize --client-id ID --code CODE_OR_ADDRESS [--oauth-url URL]',
    '               [--aws --secret ARN]',
  ],
  about: `The delivery of finished calls into the CRM (crm=amocrm or crm=bitrix24).
  status     whether and when the call reached the CRM, as a call or an incoming lead, with
             the CRM's ids; why it was refused or skipped; every later completion of the call
             (its outcome corrected), which the CRM is not sent.
  redeliver  moves every message of the CRM consumer's dead-letter queue back to its queue
             (SQS StartMessageMoveTask): each call is delivered through the same ledger, so a
             call the CRM already has is not added twice.
  resume     enables the CRM consumer again after the CRM refused the token (delivery stops
             then, the calls waiting in the queue): put a valid token in the secret first.
  authorize  Bitrix24: exchanges the authorization code the portal gives the application for
             its first tokens, and prints the CRM secret for local mode or, with --aws, puts
             it into the stack's secret (README, "Bitrix24").
In the running local mode (npm start) unless --aws.`,
  positionals: true,
  options: {
    json: { type: 'boolean', default: false, help: 'status: the ledger item as JSON' },
    aws: { type: 'boolean', default: false, help: 'a deployed stack, with the standard AWS environment' },
    table: { type: 'string', value: 'NAME', help: 'the CrmLedgerTableName output' },
    dlq: {
      type: 'string',
      value: 'ARN',
      help: "the CRM consumer's dead-letter queue ARN (of CrmDeadLetterQueueUrl)",
    },
    function: { type: 'string', value: 'NAME', help: "the CRM consumer's function name" },
    'client-id': { type: 'string', value: 'ID', help: 'authorize: the application\'s client_id ("local.…")' },
    'client-secret': {
      type: 'string',
      value: 'KEY',
      help: 'authorize: the application key (client_secret); better CRM_CLIENT_SECRET',
    },
    code: {
      type: 'string',
      value: 'CODE',
      help: 'authorize: the code, or the whole address the portal redirected to',
    },
    'oauth-url': {
      type: 'string',
      value: 'URL',
      help: `authorize: the authorization server (default the address's server_domain,\nelse ${CRMS.bitrix24.oauthUrl})`,
    },
    secret: { type: 'string', value: 'ARN', help: 'authorize --aws: the CrmSecretArn output' },
  },
  environment: [
    ['CRM_CLIENT_SECRET', "authorize: the Bitrix24 application key (kept out of the shell's history)"],
    ...AWS_ENVIRONMENT,
  ],
});

type Flags = ReturnType<typeof CLI.parse>['values'];
const COMMANDS = ['status', 'redeliver', 'resume', 'authorize'] as const;

interface Target {
  /** Local mode's CRM; a deployed stack's is read from its ledger item. */
  crm: CrmName | undefined;
  /** With --aws, only when --table names it (status needs it). */
  ledgerTable: string | undefined;
  deadLetterQueueArn: string | undefined;
  functionName: string | undefined;
  /** Client settings of DynamoDB, and of SQS and Lambda (local mode: its consumers' endpoint). */
  dynamodb: Record<string, unknown>;
  consumers: Record<string, unknown>;
  where: string;
}

const LOCAL_OR_AWS = 'or pass --aws with the CrmLedgerTableName output (--table)';

function resolveTarget(flags: Flags, runtime: RuntimeFile | undefined): Target {
  if (flags.aws) {
    return {
      crm: undefined,
      ledgerTable: flags.table,
      deadLetterQueueArn: flags.dlq,
      functionName: flags.function,
      dynamodb: {},
      consumers: {},
      where: 'AWS',
    };
  }
  if (!runtime) throw new UsageError('local mode is not running');
  if (!runtime.crm)
    throw new UsageError(
      'local mode delivers to no CRM: start it with npm start -- -c crm=amocrm|bitrix24 -c crmUrl=…',
    );
  const local = {
    region: runtime.region,
    credentials: {
      accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID,
      secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY,
    },
  };
  return {
    crm: runtime.crm.name,
    ledgerTable: flags.table ?? runtime.crm.ledgerTable,
    deadLetterQueueArn: flags.dlq ?? runtime.crm.deadLetterQueueArn,
    functionName: flags.function ?? runtime.crm.functionName,
    dynamodb: { ...local, endpoint: runtime.dynamodbEndpoint },
    consumers: { ...local, endpoint: runtime.consumersEndpoint },
    where: 'local mode',
  };
}

/** The ledger item in lines a person reads; no phone number is in it. */
export function formatStatus(sessionId: string, item: DeliveryItem | undefined): string[] {
  if (!item)
    return [`${sessionId}: not in the CRM ledger (no CallCompleted of it has reached the CRM consumer yet)`];
  const { kind, ...ids } = item.CrmIds ?? { kind: undefined };
  const idText = Object.entries(ids)
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
  const lines = [`${sessionId}:`];
  switch (item.State) {
    case 'delivered':
      lines.push(
        `  delivered ${item.DeliveredAt} as ${kind === 'lead' ? 'an incoming lead' : 'a call'}${idText ? ` (${idText})` : ''}`,
      );
      break;
    case 'sending':
      lines.push(
        `  being delivered since ${item.ClaimedAt} (attempt ${item.Attempts}): the CRM has not answered yet, or was not reached`,
      );
      break;
    case 'refused':
      lines.push(
        `  refused by the CRM ${item.SettledAt}: ${item.Reason}; it waits in the dead-letter queue (npm run crm -- redeliver)`,
      );
      break;
    case 'skipped':
      lines.push(`  not sent ${item.SettledAt}: ${item.Reason}`);
      break;
  }
  lines.push(`  from ${item.EventId} (outcome ${item.Outcome}), ${item.Attempts} attempt(s)`);
  for (const later of item.Later ?? [])
    lines.push(
      `  later: ${later.EventId} (outcome ${later.Outcome}) at ${later.ReceivedAt}: recorded, not sent to the CRM`,
    );
  return lines;
}

async function status(target: Target, sessionId: string, json: boolean, io: RuntimeFileIo): Promise<number> {
  const { ledgerTable } = target;
  if (!ledgerTable) throw new UsageError('--aws status needs --table NAME (the CrmLedgerTableName output)');
  const client = new DynamoDBClient(target.dynamodb);
  try {
    const doc = DynamoDBDocumentClient.from(client);
    let item: DeliveryItem | undefined;
    // The ledger's items are keyed by the CRM too: a deployed stack's is whichever holds the call.
    for (const crm of target.crm ? [target.crm] : CRM_NAMES) {
      item = await new DeliveryLedger(doc, ledgerTable, crm).get(sessionId);
      if (item) break;
    }
    if (json) {
      const { LaterEventIds: _ids, ...rest } = item ?? ({} as DeliveryItem);
      io.out(JSON.stringify(item ? rest : null, null, 2));
    } else for (const line of formatStatus(sessionId, item)) io.out(line);
    return item ? 0 : 1;
  } finally {
    client.destroy();
  }
}

async function redeliver(target: Target, io: RuntimeFileIo): Promise<number> {
  if (!target.deadLetterQueueArn)
    throw new UsageError('--aws redeliver needs --dlq ARN (the CRM consumer’s dead-letter queue)');
  const sqs = new SQSClient(target.consumers);
  try {
    const name = target.deadLetterQueueArn.split(':').at(-1) ?? '';
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    const waiting = Number(Attributes?.ApproximateNumberOfMessages ?? 0);
    if (waiting === 0) {
      io.out(`The CRM consumer's dead-letter queue is empty (${target.where}): nothing to redeliver`);
      return 0;
    }
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: target.deadLetterQueueArn }));
    io.out(
      `Moving ${waiting} message(s) of the dead-letter queue back to the CRM consumer's queue (${target.where}); ` +
        'each call is delivered once through the ledger (npm run crm -- status SESSION_ID to follow one)',
    );
    return 0;
  } finally {
    sqs.destroy();
  }
}

async function resume(target: Target, io: RuntimeFileIo): Promise<number> {
  if (!target.functionName)
    throw new UsageError('--aws resume needs --function NAME (the CRM consumer’s function)');
  const lambda = new LambdaClient(target.consumers);
  try {
    const { EventSourceMappings = [] } = await lambda.send(
      new ListEventSourceMappingsCommand({ FunctionName: target.functionName }),
    );
    if (EventSourceMappings.length === 0)
      throw new UsageError(`${target.functionName} has no event source mapping`);
    for (const mapping of EventSourceMappings) {
      const wasEnabled = mapping.State === 'Enabled';
      await lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, Enabled: true }));
      io.out(
        wasEnabled
          ? `The CRM consumer was delivering already (${target.where})`
          : `The CRM consumer delivers again (${target.where}): the calls waiting in its queue go to the CRM`,
      );
    }
    return 0;
  } finally {
    lambda.destroy();
  }
}

async function run(values: Flags, positionals: string[], io: RuntimeFileIo): Promise<number> {
  const [command, ...rest] = positionals;
  if (!command) throw new UsageError(`say what to do: ${COMMANDS.join(', ')}`);
  if (!(COMMANDS as readonly string[]).includes(command))
    throw new UsageError(`unknown command ${JSON.stringify(command)}: use ${COMMANDS.join(', ')}`);
  if (command === 'authorize') {
    if (rest.length > 0) throw new UsageError('authorize takes no arguments: the code goes in --code');
    try {
      return await authorize(
        {
          clientId: values['client-id'],
          clientSecret: values['client-secret'] ?? io.env.CRM_CLIENT_SECRET,
          code: values.code,
          oauthUrl: values['oauth-url'],
          secretArn: values.secret,
          aws: values.aws,
        },
        io,
      );
    } catch (error) {
      if (error instanceof UsageError) throw error;
      io.err(`npm run crm -- authorize failed: ${errorLine(error)}`);
      return 1;
    }
  }
  if (command === 'status' && rest.length !== 1) throw new UsageError('status needs one SESSION_ID');
  if (command !== 'status' && rest.length > 0) throw new UsageError(`${command} takes no arguments`);
  const runtime = values.aws ? undefined : requireLocalMode(io.runtimeFile, LOCAL_OR_AWS);
  const target = resolveTarget(values, runtime);
  try {
    if (command === 'status') return await status(target, rest[0] as string, values.json, io);
    if (command === 'redeliver') return await redeliver(target, io);
    return await resume(target, io);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    io.err(`npm run crm -- ${command} failed (${target.where}): ${errorLine(error)}`);
    return 1;
  }
}

/** The CLI, minus the process: returns the exit code. */
export function main(argv: string[], io: RuntimeFileIo): Promise<number> {
  return runCli(argv, io, CLI, ({ values, positionals }) => run(values, positionals, io));
}

runWhenMain(module, main);
