/**
 * DynamoDB failing under the ingest handler (the real store, the client mocked): the provider
 * gets 503 with Retry-After, and nothing is ever half-written. A failed CallEvents write leaves
 * no quarantine record behind it; a failed quarantine write leaves no CallEvents item; and a
 * retry after an unacknowledged write converges on one stored event.
 */
import {
  ConditionalCheckFailedException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { PutCommand, type PutCommandInput } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { INGEST_ENV } from '../../lambda/config/environment';
import { SPEC_EXAMPLES } from '../../lambda/contract/spec-examples';
import { loadIngestHandler, proxyEvent, INGEST_TABLES as TABLES } from '../support/ingest-handler';

const { handler, ddb, token: TOKEN } = loadIngestHandler({ env: { [INGEST_ENV.maxBodyBytes]: '2048' } });

const meta = { $metadata: { httpStatusCode: 400 } };
/** What DynamoDB and the SDK throw when the table cannot take a write right now. */
const OUTAGES: [string, () => Error][] = [
  [
    'ProvisionedThroughputExceededException',
    () => new ProvisionedThroughputExceededException({ message: 'throughput exceeded', ...meta }),
  ],
  ['ThrottlingException', () => new ThrottlingException({ message: 'rate exceeded', ...meta })],
  ['RequestLimitExceeded', () => new RequestLimitExceeded({ message: 'account limit', ...meta })],
  ['InternalServerError', () => new InternalServerError({ message: 'internal', $metadata: {} })],
  ['ResourceNotFoundException', () => new ResourceNotFoundException({ message: 'no table', ...meta })],
  ['a socket reset', () => Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' })],
  ['TimeoutError', () => Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
];

/** Bodies that go to the quarantine: not JSON, against the contract, over the limit, not UTF-8. */
const QUARANTINED: [string, Partial<APIGatewayProxyEvent>][] = [
  ['invalid JSON', { body: SPEC_EXAMPLES.EndIncCall.replace(/}$/, '') }],
  ['a contract violation', { body: JSON.stringify({ HookType: 'TransferIncCall' }) }],
  ['a body over the limit', { body: JSON.stringify({ Note: 'x'.repeat(5000) }) }],
  [
    'bytes that are not UTF-8',
    { body: Buffer.from([0x7b, 0xff, 0xfe]).toString('base64'), isBase64Encoded: true },
  ],
];

function post(
  body: string,
  overrides: Partial<APIGatewayProxyEvent> = {},
): Promise<{ statusCode: number; body: string; headers?: Record<string, unknown> }> {
  return handler({ ...proxyEvent(body, { 'X-Webhook-Token': TOKEN }), ...overrides });
}

/** Every command the handler sent, in order: its class and table. */
const sent = () =>
  ddb.calls().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: PutCommandInput };
    return [command.constructor.name, command.input.TableName];
  });

const putInputs = () => ddb.commandCalls(PutCommand).map((call) => call.args[0].input);

function expectRetryLater(res: { statusCode: number; body: string; headers?: Record<string, unknown> }) {
  expect(res.statusCode).toBe(503);
  expect(res.headers?.['retry-after']).toBe('5');
  expect(JSON.parse(res.body)).toEqual({ message: 'Temporarily unavailable; retry later' });
}

beforeEach(() => ddb.reset());

describe('when the CallEvents write fails', () => {
  it.each(OUTAGES)('%s: 503, and no quarantine record instead', async (_, error) => {
    ddb.on(PutCommand, { TableName: TABLES.callEvents }).rejects(error());
    ddb.on(PutCommand, { TableName: TABLES.rejectedEvents }).resolves({});

    expectRetryLater(await post(SPEC_EXAMPLES.EndIncCall));
    expect(sent()).toEqual([['PutCommand', TABLES.callEvents]]);
    expect(putInputs()[0]).toMatchObject({
      ConditionExpression: 'attribute_not_exists(#sk)',
      Item: expect.objectContaining({ RawBody: SPEC_EXAMPLES.EndIncCall }),
    });
  });

  it('and the event is refused as an item, then the quarantine fails too: 503, nothing stored anywhere', async () => {
    ddb.on(PutCommand, { TableName: TABLES.callEvents }).rejects(
      Object.assign(new Error('Item size has exceeded the maximum allowed size'), {
        name: 'ValidationException',
      }),
    );
    ddb
      .on(PutCommand, { TableName: TABLES.rejectedEvents })
      .rejects(new ThrottlingException({ message: 'rate exceeded', ...meta }));

    expectRetryLater(await post(SPEC_EXAMPLES.MissedIncCall));
    expect(sent()).toEqual([
      ['PutCommand', TABLES.callEvents],
      ['PutCommand', TABLES.rejectedEvents],
    ]);
  });

  it('after DynamoDB stored it but the answer was lost: the retry is a duplicate of the same event', async () => {
    // The write landed, the client timed out: 503, the provider retries, the condition holds.
    ddb
      .on(PutCommand)
      .rejectsOnce(Object.assign(new Error('timed out'), { name: 'TimeoutError' }))
      .rejectsOnce(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', ...meta }),
      );

    expectRetryLater(await post(SPEC_EXAMPLES.EndIncCall));
    const retry = await post(SPEC_EXAMPLES.EndIncCall);

    expect(retry.statusCode).toBe(200);
    const [first, second] = putInputs();
    expect(JSON.parse(retry.body)).toMatchObject({ status: 'duplicate', eventKey: first?.Item?.EventKey });
    expect(second?.Item).toEqual({ ...first?.Item, ReceivedAt: second?.Item?.ReceivedAt });
    expect(sent()).toEqual([
      ['PutCommand', TABLES.callEvents],
      ['PutCommand', TABLES.callEvents],
    ]);
  });
});

describe('when the quarantine write fails', () => {
  it.each(QUARANTINED)(
    'for %s: 503 so that the provider sends it again, and no CallEvents item',
    async (_, request) => {
      ddb.on(PutCommand, { TableName: TABLES.callEvents }).resolves({});
      ddb
        .on(PutCommand, { TableName: TABLES.rejectedEvents })
        .rejects(new ThrottlingException({ message: 'rate exceeded', ...meta }));

      expectRetryLater(await post(request.body as string, request));
      expect(sent()).toEqual([['PutCommand', TABLES.rejectedEvents]]);
    },
  );

  it('the same bodies are quarantined once the table is back', async () => {
    ddb.on(PutCommand).resolves({});
    for (const [, request] of QUARANTINED) {
      const res = await post(request.body as string, request);
      expect([400, 413]).toContain(res.statusCode);
    }
    expect(sent()).toEqual(QUARANTINED.map(() => ['PutCommand', TABLES.rejectedEvents]));
  });
});

it('a request without the token sends no command at all, whatever the table would say', async () => {
  ddb.on(PutCommand).rejects(new ThrottlingException({ message: 'rate exceeded', ...meta }));
  const res = await post(SPEC_EXAMPLES.EndIncCall, { headers: { 'X-Webhook-Token': 'guess' } });

  expect(res.statusCode).toBe(401);
  expect(sent()).toEqual([]);
});
