/**
 * The Bitrix24 application's tokens on DynamoDB Local (whose conditions the store relies on) and
 * the stand-in authorization server (test/support/bitrix24-standin.ts), where each refresh
 * returns a new refresh token and the one it replaced stops working: many invocations refreshing
 * at once send one refresh; the newest pair outlives a cold start; a lock left by an invocation
 * that died is taken over; an operator's new refresh token replaces the pair; nothing of a token
 * is stored in clear.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { AuthorizationRefused, requestTokens, TokenStore } from '../../lambda/crm/bitrix24/tokens';
import { type Bitrix24StandIn, startBitrix24StandIn } from '../support/bitrix24-standin';
import { createLedgerTable } from '../support/ledger-table';

const client = new DynamoDBClient({});
const doc = DynamoDBDocumentClient.from(client);
const TABLE = `CrmLedgerTokens-${process.pid}`;
const APP = { clientId: 'local.tokens.1', clientSecret: 'application-key' };

let oauth: Bitrix24StandIn;
let key = 0;

beforeAll(async () => {
  await createLedgerTable(client, TABLE);
});
beforeEach(async () => {
  oauth = await startBitrix24StandIn({ ...APP, refreshToken: 'first', users: [1] });
  key++;
});
afterEach(() => oauth.close());
afterAll(() => client.destroy());

/** One invocation's store (a cold start: nothing cached), with the secret as the operator put it. */
const store = (secret = { ...APP, refreshToken: 'first' }, options: { lockMs?: number } = {}) =>
  new TokenStore({
    client: doc,
    table: TABLE,
    key: `bitrix24-${key}`,
    credentials: async () => secret,
    oauthUrl: oauth.oauthUrl,
    ...options,
  });
const item = async () =>
  (
    await doc.send(
      new GetCommand({
        TableName: TABLE,
        Key: { SessionID: `token#bitrix24-${key}`, Crm: `bitrix24-${key}` },
        ConsistentRead: true,
      }),
    )
  ).Item;
/** The operator authorizes the application again: a new pair from a new code. */
const authorizeAgain = () =>
  requestTokens(oauth.oauthUrl, {
    grant_type: 'authorization_code',
    client_id: APP.clientId,
    client_secret: APP.clientSecret,
    code: oauth.issueAuthorizationCode(),
  });
const refreshes = () => oauth.oauthRequests.filter((r) => r.grantType === 'refresh_token');

describe('the token store', () => {
  it('refreshes once for ten invocations that all find the token expired at once', async () => {
    const first = await store().current();
    oauth.expireAccessTokens();
    const stores = Array.from({ length: 10 }, () => store());
    const tokens = await Promise.all(stores.map((s) => s.refreshed(first)));
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(first);
    // The first use and the one refresh after the expiry; none refused (no refresh token sent twice).
    expect(refreshes().map((r) => r.status)).toEqual([200, 200]);
  });

  it('keeps the newest pair: a cold start uses it, and its refresh token is the one that works', async () => {
    await store().current();
    const before = refreshes().length;
    const cold = store();
    const token = await cold.current();
    expect(refreshes()).toHaveLength(before);
    oauth.expireAccessTokens();
    const next = await cold.refreshed(token);
    expect(next).not.toBe(token);
    expect(refreshes().map((r) => r.status)).toEqual([200, 200]);
  });

  it('seals what it keeps: neither token is in the item', async () => {
    const token = await store().current();
    const stored = JSON.stringify(await item());
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(oauth.refreshToken);
    expect(stored).not.toContain('first');
  });

  it('takes over the lock of an invocation that died while refreshing', async () => {
    await doc.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: { SessionID: `token#bitrix24-${key}`, Crm: `bitrix24-${key}` },
        UpdateExpression: 'SET LockUntil = :until, LockId = :id',
        ExpressionAttributeValues: { ':until': Date.now() + 1500, ':id': 'a-dead-invocation' },
      }),
    );
    const started = Date.now();
    const token = await store(undefined, { lockMs: 1500 }).current();
    expect(token).toEqual(expect.any(String));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect((await item())?.LockId).toBeUndefined();
  });

  it('starts from a new refresh token the operator put in the secret (authorized again)', async () => {
    await store().current();
    const granted = await authorizeAgain();
    const again = store({ ...APP, refreshToken: granted.refreshToken });
    await again.current();
    expect(refreshes().map((r) => r.status)).toEqual([200, 200]);
    expect(oauth.refreshToken).not.toBe(granted.refreshToken);
  });

  it('says what the authorization server refused: a wrong application key', async () => {
    await expect(store({ ...APP, clientSecret: 'wrong', refreshToken: 'first' }).current()).rejects.toEqual(
      expect.objectContaining({ name: 'AuthorizationRefused', code: 'invalid_client' }),
    );
    await expect(store({ ...APP, refreshToken: 'never-issued' }).current()).rejects.toBeInstanceOf(
      AuthorizationRefused,
    );
  });

  it('keeps a new pair whose first write failed, and writes it again: the spent refresh token is never needed', async () => {
    let failures = 1;
    const flaky = {
      send: (command: unknown) => {
        const input = (command as { input?: { UpdateExpression?: string } }).input;
        if (failures > 0 && input?.UpdateExpression?.startsWith('SET Sealed')) {
          failures--;
          return Promise.reject(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
        }
        return doc.send(command as never);
      },
    } as unknown as DynamoDBDocumentClient;
    const s = new TokenStore({
      client: flaky,
      table: TABLE,
      key: `bitrix24-${key}`,
      credentials: async () => ({ ...APP, refreshToken: 'first' }),
      oauthUrl: oauth.oauthUrl,
      sleep: async () => {},
    });
    const token = await s.current();
    expect(failures).toBe(0);
    expect(await store().current()).toBe(token);
    expect(refreshes()).toHaveLength(1);
  });

  it('drops the pair it holds once the secret holds a new refresh token (authorized again)', async () => {
    let secret = { ...APP, refreshToken: 'first' };
    const warm = new TokenStore({
      client: doc,
      table: TABLE,
      key: `bitrix24-${key}`,
      credentials: async () => secret,
      oauthUrl: oauth.oauthUrl,
    });
    const before = await warm.current();
    const granted = await authorizeAgain();
    secret = { ...APP, refreshToken: granted.refreshToken };
    const after = await warm.current();
    expect(after).not.toBe(before);
    expect(refreshes().map((r) => r.status)).toEqual([200, 200]);
  });

  it('fails, lock released, when the authorization server does not answer; the next try refreshes', async () => {
    oauth.failNextOAuth(1, 500);
    await expect(store().current()).rejects.toThrow(/authorization server failed/);
    expect((await item())?.LockId).toBeUndefined();
    await expect(store().current()).resolves.toEqual(expect.any(String));
  });
});
