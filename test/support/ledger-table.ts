/** A CRM ledger table on DynamoDB Local, keyed as the stack's (`SessionID` + `Crm`). */
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

export async function createLedgerTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [
        { AttributeName: 'SessionID', KeyType: 'HASH' },
        { AttributeName: 'Crm', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'SessionID', AttributeType: 'S' },
        { AttributeName: 'Crm', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}
