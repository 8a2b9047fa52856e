/**
 * The cost benchmark's DynamoDB meter (bench/lib/cost/dynamodb-meter.ts) against DynamoDB Local:
 * it counts what each request consumes by table and index, as DynamoDB bills it, and the caller
 * gets the answer it would have had without the meter.
 */
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type DynamoDbMeter, itemBytes, startDynamoDbMeter } from '../../bench/lib/cost/dynamodb-meter';

const TABLE = `cost-meter-${process.pid}`;
let meter: DynamoDbMeter;
let client: DynamoDBClient;

beforeAll(async () => {
  const local = process.env.AWS_ENDPOINT_URL_DYNAMODB as string;
  meter = await startDynamoDbMeter(local);
  client = new DynamoDBClient({ endpoint: meter.endpoint });
  await new DynamoDBClient({ endpoint: local }).send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'all', AttributeType: 'S' },
        { AttributeName: 'keys', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'AllOfIt',
          KeySchema: [{ AttributeName: 'all', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: 'KeysOnly',
          KeySchema: [{ AttributeName: 'keys', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    }),
  );
});
afterAll(async () => {
  await client.send(new DeleteTableCommand({ TableName: TABLE }));
  client.destroy();
  await meter.close();
});

const big = 'x'.repeat(2500);

describe('the DynamoDB meter', () => {
  it('counts a write by table and by index, each as the item it writes there, and answers as without it', async () => {
    const put = await client.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { pk: { S: 'a' }, all: { S: '1' }, keys: { S: '2' }, big: { S: big } },
      }),
    );
    expect(put.ConsumedCapacity).toBeUndefined();
    // 2.5 KB: 3 units in the table and in the index that holds all of it, 1 in the keys-only one.
    expect(meter.units().write[TABLE]).toEqual({ table: 3, AllOfIt: 3, KeysOnly: 1 });
  });

  it('counts no index write when an update changes nothing an index holds', async () => {
    const before = meter.units().write[TABLE] ?? {};
    await client.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: { pk: { S: 'a' } },
        UpdateExpression: 'SET big = :b',
        ExpressionAttributeValues: { ':b': { S: `${big}y` } },
      }),
    );
    const after = meter.units().write[TABLE] ?? {};
    expect((after.table ?? 0) - (before.table ?? 0)).toBe(3);
    expect((after.AllOfIt ?? 0) - (before.AllOfIt ?? 0)).toBe(3);
    expect((after.KeysOnly ?? 0) - (before.KeysOnly ?? 0)).toBe(0);
  });

  it('counts reads, and keeps the capacity in the answer of a caller that asked for it', async () => {
    const get = await client.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { pk: { S: 'a' } },
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    expect(get.ConsumedCapacity?.CapacityUnits).toBe(1);
    const query = await client.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': { S: 'a' } },
      }),
    );
    expect(query.Items).toHaveLength(1);
    expect(query.ConsumedCapacity).toBeUndefined();
    expect(meter.units().read[TABLE]?.table).toBe(1.5);
    expect(meter.units().requests).toMatchObject({ PutItem: 1, UpdateItem: 1, GetItem: 1, Query: 1 });
  });

  it('counts a conditional write that fails, which DynamoDB bills, by the size of the item sent', async () => {
    const before = meter.units().write[TABLE]?.table ?? 0;
    const item = { pk: { S: 'a' }, big: { S: big } };
    await expect(
      client.send(
        new PutItemCommand({ TableName: TABLE, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      ),
    ).rejects.toThrow(expect.objectContaining({ name: 'ConditionalCheckFailedException' }));
    expect(meter.units().failedConditionalWrites).toBe(1);
    expect((meter.units().write[TABLE]?.table ?? 0) - before).toBe(Math.ceil(itemBytes(item) / 1024));
  });
});
