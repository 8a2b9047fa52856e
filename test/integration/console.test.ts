/** The local table console (dynamodb-admin) against DynamoDB Local: serves HTML on 127.0.0.1 and closes. */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { freePort } from '../../local/dynamodb-local';
import { type RunningConsole, startConsole } from '../../scripts/console';

const client = new DynamoDBClient({});
const table = `CallEvents-console-${randomUUID().slice(0, 8)}`;
let running: RunningConsole | undefined;

beforeAll(async () => {
  await client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'SessionID', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'SessionID', KeyType: 'HASH' }],
    }),
  );
});

afterAll(async () => {
  await running?.close();
  await client.send(new DeleteTableCommand({ TableName: table }));
  client.destroy();
});

function endpoint(): string {
  const value = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  if (!value) throw new Error('AWS_ENDPOINT_URL_DYNAMODB is not set: run with the integration project');
  return value;
}

describe('npm run console', () => {
  it('serves the tables of DynamoDB Local as HTML on 127.0.0.1, then stops', async () => {
    const port = await freePort();
    running = await startConsole({ dynamodbEndpoint: endpoint(), port });
    expect(running.url).toBe(`http://127.0.0.1:${port}/`);

    const response = await fetch(running.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain(table);

    await running.close();
    running = undefined;
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });

  it('says which port is taken', async () => {
    running = await startConsole({ dynamodbEndpoint: endpoint(), port: 0 });
    const port = Number(new URL(running.url).port);
    await expect(startConsole({ dynamodbEndpoint: endpoint(), port })).rejects.toThrow(
      `Port ${port} is in use: pass --port N or set CONSOLE_PORT`,
    );
  });
});
