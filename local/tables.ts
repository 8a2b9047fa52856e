/**
 * The stack's tables created in DynamoDB Local from the synthesized template (keys, indexes,
 * stream, TTL), for local mode and for the benchmark's read measurements alike.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTableCommand,
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
 * when data persists) keeps its items and is given the template's global secondary indexes: those
 * it lacks are created (and filled from its items), those the template no longer has are deleted,
 * one at a time as DynamoDB takes them. So a local table moves to a new index layout in one start,
 * where a deployed one takes one deploy an index (lambda/calls/index-upgrade.ts).
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
      await alignIndexes(client, table.input);
    }
    const described = await client.send(new DescribeTableCommand({ TableName: name }));
    const streamArn = described.Table?.LatestStreamArn;
    tables.push({ logicalId: table.logicalId, name, ...(streamArn ? { streamArn } : {}) });
  }
  return tables;
}

/** Changes to a kept table's indexes, in the order they are made: deletions first. */
export function indexChanges(
  existing: readonly { IndexName?: string | undefined; Projection?: unknown; KeySchema?: unknown }[],
  wanted: NonNullable<CreateTableCommandInput['GlobalSecondaryIndexes']>,
): { delete: string[]; create: typeof wanted } {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const matches = (have: (typeof existing)[number], want: (typeof wanted)[number]) =>
    have.IndexName === want.IndexName &&
    same(have.KeySchema, want.KeySchema) &&
    same(
      { NonKeyAttributes: undefined, ...(have.Projection as object) },
      { NonKeyAttributes: undefined, ...want.Projection },
    );
  return {
    delete: existing
      .filter((have) => !wanted.some((want) => matches(have, want)))
      .map((have) => have.IndexName as string),
    create: wanted.filter((want) => !existing.some((have) => matches(have, want))),
  };
}

/** Gives an existing table the indexes of `input` (its CreateTable input), as createStackTables does for a kept one. */
export async function alignIndexes(client: DynamoDBClient, input: CreateTableCommandInput): Promise<void> {
  const TableName = input.TableName as string;
  const indexes = async () =>
    (await client.send(new DescribeTableCommand({ TableName }))).Table?.GlobalSecondaryIndexes ?? [];
  /** Until DynamoDB has made the change: `done` holds of the table's indexes. */
  const settled = async (done: (existing: Awaited<ReturnType<typeof indexes>>) => boolean) => {
    for (let tries = 0; !done(await indexes()); tries++) {
      if (tries === 300) throw new Error(`The indexes of ${TableName} did not settle`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const changes = indexChanges(await indexes(), input.GlobalSecondaryIndexes ?? []);
  for (const IndexName of changes.delete) {
    await client.send(
      new UpdateTableCommand({ TableName, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName } }] }),
    );
    await settled((existing) => !existing.some((index) => index.IndexName === IndexName));
  }
  for (const index of changes.create) {
    await client.send(
      new UpdateTableCommand({
        TableName,
        AttributeDefinitions: input.AttributeDefinitions,
        GlobalSecondaryIndexUpdates: [{ Create: index }],
      }),
    );
    await settled((existing) =>
      existing.some((have) => have.IndexName === index.IndexName && have.IndexStatus === 'ACTIVE'),
    );
  }
}
