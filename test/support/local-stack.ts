/**
 * The stack's tables created in DynamoDB Local from the synthesized template, and the
 * functions' environments as the stack sets them, resolved to those local tables.
 */
import { createHash, randomUUID } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PROJECT_ENV } from '../../lambda/config/environment';
import { synthesizeTemplate } from '../../local/synth';
import {
  type CfnTemplate,
  functionEnvironment,
  resourcesOfType,
  tableDefinitions,
} from '../../local/template';

export interface LocalStack {
  template: CfnTemplate;
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  /** Local table name per logical id. */
  tables: Record<string, string>;
  /** The environment of the stack's function that is configured with the given variable. */
  environmentWith(variable: string): Record<string, string>;
  streamArn(tableName: string): string;
  /** The tables the projector reads and writes, by the names its environment gives them. */
  callsTables(): { callEvents: string; calls: string };
  token: string;
}

export async function createLocalStack(context: Record<string, unknown> = {}): Promise<LocalStack> {
  const token = `test-token-${randomUUID()}`;
  const template = synthesizeTemplate({
    webhookTokenSha256: createHash('sha256').update(token).digest('hex'),
    ...context,
  });
  const client = new DynamoDBClient({});
  const suffix = randomUUID().slice(0, 8);
  const tables: Record<string, string> = {};
  const streams: Record<string, string> = {};
  for (const table of tableDefinitions(template)) {
    const name = `${table.input.TableName}-${suffix}`;
    const created = await client.send(new CreateTableCommand({ ...table.input, TableName: name }));
    if (table.ttlAttribute) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
        }),
      );
    }
    tables[table.logicalId] = name;
    if (created.TableDescription?.LatestStreamArn) streams[name] = created.TableDescription.LatestStreamArn;
  }
  const functions = resourcesOfType(template, 'AWS::Lambda::Function');
  const stack: LocalStack = {
    template,
    client,
    doc: DynamoDBDocumentClient.from(client),
    tables,
    token,
    environmentWith(variable) {
      const found = functions.find(([, fn]) => {
        const env = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
          ?.Variables;
        return env !== undefined && variable in env;
      });
      if (!found) throw new Error(`No function of the stack is configured with ${variable}`);
      return functionEnvironment(template, found[0], (ref) => tables[ref]);
    },
    callsTables() {
      const env = stack.environmentWith(PROJECT_ENV.callsTable);
      return {
        callEvents: env[PROJECT_ENV.callEventsTable] as string,
        calls: env[PROJECT_ENV.callsTable] as string,
      };
    },
    streamArn(tableName) {
      const arn = streams[tableName];
      if (!arn) throw new Error(`${tableName} has no stream`);
      return arn;
    },
  };
  return stack;
}
