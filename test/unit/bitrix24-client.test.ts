/**
 * How the delivery's Bitrix24 client sorts the portal's answers (b24restdocs
 * _includes/system-errors.md, limits.md), against the stand-in portal: a result; the limits and
 * the portal's failures as worth sending again (OPERATION_TIME_LIMIT with the wait the answer's
 * `time` gives); `expired_token` refreshed and sent again once; the application's refusals as
 * stopping, each with what fixes it; the rest as the call's refusal, in the portal's words.
 */
import { Bitrix24Client, type BitrixResponse, STOPPING_ERRORS } from '../../lambda/crm/bitrix24/client';
import { METHODS } from '../../lambda/crm/bitrix24/deliver';
import { AuthorizationRefused, appCredentialsOf, requestTokens } from '../../lambda/crm/bitrix24/tokens';
import { type Bitrix24StandIn, startBitrix24StandIn } from '../support/bitrix24-standin';

const APP = { clientId: 'local.c.1', clientSecret: 'key' };
let portal: Bitrix24StandIn;
let access: string;
let refreshes: number;

beforeEach(async () => {
  portal = await startBitrix24StandIn({ ...APP, refreshToken: 'r0', users: [1] });
  const grant = { grant_type: 'refresh_token', client_id: APP.clientId, client_secret: APP.clientSecret };
  access = (await requestTokens(portal.oauthUrl, { ...grant, refresh_token: portal.refreshToken }))
    .accessToken;
  refreshes = 0;
});
afterEach(() => portal.close());

const client = (refuseRefresh?: AuthorizationRefused) =>
  new Bitrix24Client({
    portalUrl: portal.portalUrl,
    limiter: { take: async () => {} },
    timeoutMs: 500,
    tokens: {
      current: async () => access,
      refreshed: async () => {
        if (refuseRefresh) throw refuseRefresh;
        refreshes++;
        access = (
          await requestTokens(portal.oauthUrl, {
            grant_type: 'refresh_token',
            client_id: APP.clientId,
            client_secret: APP.clientSecret,
            refresh_token: portal.refreshToken,
          })
        ).accessToken;
        return access;
      },
    },
  });
const register = (c = client()) =>
  c.call(METHODS.register, {
    USER_ID: 1,
    PHONE_NUMBER: '+79031000001',
    TYPE: 2,
    CALL_START_DATE: '2026-12-03T10:00:00+03:00',
    EXTERNAL_CALL_ID: 'S-1',
    SHOW: 0,
    CRM_CREATE: 1,
  });
const kindOf = (response: BitrixResponse) => response.kind;

describe('the Bitrix24 client', () => {
  it('gives the result of a method', async () => {
    expect(await register()).toEqual({
      kind: 'ok',
      result: expect.objectContaining({ CALL_ID: expect.any(String) }),
    });
  });

  it('refreshes an expired access token once and sends the request again', async () => {
    portal.expireAccessTokens();
    expect(kindOf(await register())).toBe('ok');
    expect(refreshes).toBe(1);
    expect(portal.requests.map((r) => [r.method, r.status])).toEqual([
      [METHODS.register, 401],
      [METHODS.register, 200],
    ]);
  });

  it.each([
    ['QUERY_LIMIT_EXCEEDED', 503],
    [500, 500],
    ['timeout', 0],
    ['reset', 0],
  ] as const)('takes %s as worth sending again', async (failure, status) => {
    portal.failNext(1, failure);
    expect(await register()).toMatchObject({ kind: 'transient', status });
  });

  it('waits out OPERATION_TIME_LIMIT until the time the portal gives', async () => {
    const c = client();
    await register(c);
    portal.failNext(1, 'OPERATION_TIME_LIMIT');
    const response = await register(c);
    expect(response).toMatchObject({ kind: 'transient', status: 429, reason: 'OPERATION_TIME_LIMIT' });
    // The oldest minute of the method's time is let go ten minutes after its first call.
    const wait = response.kind === 'transient' ? (response.retryAfterMs ?? 0) : 0;
    expect(wait).toBeGreaterThan(9 * 60_000);
    expect(wait).toBeLessThanOrEqual(10 * 60_000);
  });

  it.each(['invalid_token', 'NO_AUTH_FOUND', 'insufficient_scope', 'WRONG_AUTH_TYPE'] as const)(
    'stops on %s, saying what fixes it',
    async (error) => {
      portal.failNext(1, error);
      expect(await register()).toEqual({ kind: 'stopped', error, fix: STOPPING_ERRORS[error] });
    },
  );

  it('stops when the refresh itself is refused', async () => {
    portal.expireAccessTokens();
    const response = await register(client(new AuthorizationRefused('invalid_grant', 'Invalid grant')));
    expect(response).toMatchObject({
      kind: 'stopped',
      error: 'invalid_grant',
      fix: expect.stringMatching(/authorize/),
    });
  });

  it('stops when the secret is not the application, saying what it must be', async () => {
    const c = new Bitrix24Client({
      portalUrl: portal.portalUrl,
      limiter: { take: async () => {} },
      tokens: {
        current: async () => appCredentialsOf('{"accessToken":"x"}').clientId,
        refreshed: async () => '',
      },
    });
    expect(await register(c)).toMatchObject({
      kind: 'stopped',
      error: 'CRM_SECRET_INVALID',
      fix: expect.stringMatching(/clientId, clientSecret, refreshToken/),
    });
  });

  it("takes ERROR_CORE as the call's refusal, in the portal's words", async () => {
    const response = await client().call(METHODS.register, {
      USER_ID: 99,
      PHONE_NUMBER: '+79031000001',
      TYPE: 2,
    });
    expect(response).toEqual({
      kind: 'refused',
      status: 400,
      error: 'ERROR_CORE',
      description: 'User is not found or is not active',
    });
  });
});
