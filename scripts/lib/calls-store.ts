/**
 * The tools' Calls store: the read model on the table as it is, so that a tool works at any step of
 * an upgrade of its indexes (lambda/calls/index-upgrade.ts): each replaced index is read through the
 * current one once it is ACTIVE, else the earlier one.
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbCallsStore, readableIndexes } from '../../lambda/calls';

/** The table's indexes, by name and status, as DynamoDB describes them. */
export async function indexesOfTable(
  doc: DynamoDBDocumentClient,
  table: string,
): Promise<{ name: string; status: string }[]> {
  const { Table } = await doc.send(new DescribeTableCommand({ TableName: table }));
  return (Table?.GlobalSecondaryIndexes ?? []).map((index) => ({
    name: index.IndexName ?? '',
    status: index.IndexStatus ?? '',
  }));
}

export async function callsStoreOf(doc: DynamoDBDocumentClient, table: string): Promise<DynamoDbCallsStore> {
  return new DynamoDbCallsStore(doc, table, { indexes: readableIndexes(await indexesOfTable(doc, table)) });
}
