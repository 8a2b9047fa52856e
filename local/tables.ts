/**
 * The stack's tables created in DynamoDB Local from the synthesized template (keys, indexes,
 * stream, TTL), for local mode and for the benchmark's read measurements alike.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { type CfnTemplate, tableDefinitions } from './template';

export interface LocalStackTable {
  logicalId: string;
  name: string;
  /** Absent for a table without a stream. */
  streamArn?: string;
}

/**
 * Creates every table of the template; a table that already exists (kept from a previous run,
 * when data persists) is left as it is.
 */
export async function createStackTables(
  client: DynamoDBClient,
  template: CfnTemplate,
): Promise<LocalStackTable[]> {
  const tables: LocalStackTable[] = [];
  for (const table of tableDefinitions(template)) {
    const name = table.input.TableName as string;
    try {
      await client.send(new CreateTableCommand(table.input));
      if (table.ttlAttribute) {
        await client.send(
          new UpdateTimeToLiveCommand({
            TableName: name,
            TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
          }),
        );
      }
    } catch (error) {
      if ((error as Error).name !== 'ResourceInUseException') throw error;
    }
    const described = await client.send(new DescribeTableCommand({ TableName: name }));
    const streamArn = described.Table?.LatestStreamArn;
    tables.push({ logicalId: table.logicalId, name, ...(streamArn ? { streamArn } : {}) });
  }
  return tables;
}
