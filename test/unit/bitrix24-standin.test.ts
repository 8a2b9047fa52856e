/** The Bitrix24 stand-in answers as the b24restdocs pages say (see its header for the sources). */
import { Bitrix24Client } from '../../lambda/crm/bitrix24/client';
import { requestTokens } from '../../lambda/crm/bitrix24/tokens';
import {
  type Bitrix24StandIn,
  type Bitrix24StandInOptions,
  startBitrix24StandIn,
} from '../support/bitrix24-standin';

const APP = { clientId: 'local.app.1', clientSecret: 'secret-1', refreshToken: 'refresh-0' };
const USER = 1269;
const KNOWN = '+79161234567';
const UNKNOWN = '+79990000000';
const REGISTER = 'telephony.externalcall.register';
const FINISH = 'telephony.externalcall.finish';
const STATISTICS = 'voximplant.statistic.get';

let b24: Bitrix24StandIn;
let clock: number;

async function start(options: Partial<Bitrix24StandInOptions> = {}) {
  await b24?.close();
  clock = Date.UTC(2026, 2, 10, 8, 0, 0);
  b24 = await startBitrix24StandIn({
    ...APP,
    users: [USER],
    contacts: [KNOWN],
    now: () => clock,
    ...options,
  });
}
beforeEach(() => start());
afterEach(() => b24.close());

async function oauth(grant: Record<string, string>, timeoutMs?: number) {
  const response = await fetch(`${b24.oauthUrl}/oauth/token/?${new URLSearchParams(grant)}`, {
    ...(timeoutMs ? { signal: AbortSignal.timeout(timeoutMs) } : {}),
  });
  return { status: response.status, body: JSON.parse(await response.text()) };
}
const refresh = (refreshToken: string, clientSecret = APP.clientSecret) =>
  oauth({
    grant_type: 'refresh_token',
    client_id: APP.clientId,
    client_secret: clientSecret,
    refresh_token: refreshToken,
  });

/** A working access token, from the refresh token that works now. */
async function accessToken(): Promise<string> {
  const { body } = await refresh(b24.refreshToken);
  return body.access_token;
}

async function rest(method: string, params: Record<string, unknown>, options: { timeoutMs?: number } = {}) {
  const response = await fetch(`${b24.portalUrl}/rest/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(params),
    ...(options.timeoutMs ? { signal: AbortSignal.timeout(options.timeoutMs) } : {}),
  });
  return { status: response.status, body: JSON.parse(await response.text()) };
}

const registration = (fields: Record<string, unknown> = {}) => ({
  USER_ID: USER,
  PHONE_NUMBER: UNKNOWN,
  TYPE: 2,
  CALL_START_DATE: '2026-03-10T11:00:00+03:00',
  LINE_NUMBER: '74951234567',
  EXTERNAL_CALL_ID: 'session-1',
  SHOW: 0,
  CRM_CREATE: 1,
  ...fields,
});

async function registered(auth: string, fields: Record<string, unknown> = {}): Promise<string> {
  const { body } = await rest(REGISTER, { ...registration(fields), auth });
  return body.result.CALL_ID;
}

describe('Bitrix24 stand-in: OAuth', () => {
  it('a refresh returns a new pair; the used refresh token is then invalid_grant, the new one works', async () => {
    const first = await refresh(APP.refreshToken);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      access_token: expect.any(String),
      client_endpoint: `${b24.portalUrl}/rest/`,
      domain: new URL(b24.oauthUrl).host,
      expires: Math.floor(clock / 1000) + 3600,
      expires_in: 3600,
      member_id: expect.any(String),
      refresh_token: expect.any(String),
      scope: 'telephony,crm,user',
      server_endpoint: `${b24.oauthUrl}/rest/`,
      status: 'L',
      user_id: USER,
    });
    expect(first.body.refresh_token).not.toBe(APP.refreshToken);
    expect(b24.refreshToken).toBe(first.body.refresh_token);

    const again = await refresh(APP.refreshToken);
    expect(again).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: expect.any(String) },
    });

    const second = await refresh(first.body.refresh_token);
    expect(second.status).toBe(200);
    expect(b24.oauthRequests.map((r) => [r.grantType, r.status, r.error])).toEqual([
      ['refresh_token', 200, undefined],
      ['refresh_token', 400, 'invalid_grant'],
      ['refresh_token', 200, undefined],
    ]);
  });

  it('refuses a wrong client_secret with invalid_client and a missing parameter with invalid_request', async () => {
    expect((await refresh(APP.refreshToken, 'wrong')).body.error).toBe('invalid_client');
    expect((await oauth({ grant_type: 'refresh_token', client_id: APP.clientId })).body.error).toBe(
      'invalid_request',
    );
    expect((await oauth({ ...APP, grant_type: 'password' })).body.error).toBe('invalid_request');
    // None of them spent the refresh token.
    expect((await refresh(APP.refreshToken)).status).toBe(200);
  });

  it('a refresh token unused for 180 days is invalid_grant', async () => {
    clock += 180 * 24 * 3_600_000;
    expect((await refresh(APP.refreshToken)).body.error).toBe('invalid_grant');
  });

  it('an authorization code gives a pair once, within 30 seconds', async () => {
    const grant = (code: string) =>
      oauth({
        grant_type: 'authorization_code',
        client_id: APP.clientId,
        client_secret: APP.clientSecret,
        code,
      });
    const code = b24.issueAuthorizationCode();
    const pair = await grant(code);
    expect(pair.status).toBe(200);
    expect(pair.body).toMatchObject({ access_token: expect.any(String), expires_in: 3600 });
    expect(pair.body).not.toHaveProperty('user_id');
    expect(b24.refreshToken).toBe(pair.body.refresh_token);
    expect((await grant(code)).body.error).toBe('invalid_grant');

    const late = b24.issueAuthorizationCode();
    clock += 30_000;
    expect((await grant(late)).body.error).toBe('invalid_grant');
  });

  it('failNextOAuth answers 500, an error of the test, or nothing', async () => {
    b24.failNextOAuth(1, 500);
    b24.failNextOAuth(1, { status: 400, error: 'PAYMENT_REQUIRED', description: 'Payment required' });
    b24.failNextOAuth(1, 'timeout');
    expect((await refresh(APP.refreshToken)).status).toBe(500);
    expect(await refresh(APP.refreshToken)).toEqual({
      status: 400,
      body: { error: 'PAYMENT_REQUIRED', error_description: 'Payment required' },
    });
    await expect(
      oauth({ ...APP, grant_type: 'refresh_token', refresh_token: APP.refreshToken }, 300),
    ).rejects.toThrow();
    expect(b24.oauthRequests.at(-1)).toMatchObject({ status: 0 });
    expect((await refresh(APP.refreshToken)).status).toBe(200);
  });
});

describe('Bitrix24 stand-in: authorization of REST calls', () => {
  it('an expired access token is 401 expired_token; a refreshed one works', async () => {
    await start({ accessTokenLifetimeMs: 60_000 });
    const auth = await accessToken();
    expect((await rest(REGISTER, { ...registration(), auth })).status).toBe(200);
    clock += 60_000;
    const expired = await rest(REGISTER, { ...registration(), auth });
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({
      error: 'expired_token',
      error_description: 'The access token provided has expired',
    });
    expect(
      (await rest(REGISTER, { ...registration({ EXTERNAL_CALL_ID: 's2' }), auth: await accessToken() }))
        .status,
    ).toBe(200);

    const before = await accessToken();
    b24.expireAccessTokens();
    expect((await rest(STATISTICS, { auth: before })).body.error).toBe('expired_token');
  });

  it('an unknown or missing token is 401 NO_AUTH_FOUND, and the request is recorded with it', async () => {
    const unknown = await rest(REGISTER, { ...registration(), auth: 'never-issued' });
    expect(unknown).toMatchObject({
      status: 401,
      body: { error: 'NO_AUTH_FOUND', error_description: 'Wrong authorization data' },
    });
    expect((await rest(REGISTER, registration())).body.error).toBe('NO_AUTH_FOUND');
    expect(b24.requests).toEqual([
      { method: REGISTER, status: 401, error: 'NO_AUTH_FOUND', at: clock, token: 'never-issued' },
      { method: REGISTER, status: 401, error: 'NO_AUTH_FOUND', at: clock },
    ]);
    expect(b24.calls).toHaveLength(0);
  });

  it('without the telephony scope the methods answer 403 insufficient_scope', async () => {
    await start({ scopes: ['crm', 'user'] });
    const answer = await rest(REGISTER, { ...registration(), auth: await accessToken() });
    expect(answer.status).toBe(403);
    expect(answer.body.error).toBe('insufficient_scope');
    expect(b24.calls).toHaveLength(0);
  });

  it('takes a form body, the method in camelCase with .json, and an unknown method is 404', async () => {
    const auth = await accessToken();
    const form = await fetch(`${b24.portalUrl}/rest/telephony.externalCall.register.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(
        Object.entries({ ...registration(), auth }).map(([key, value]): [string, string] => [
          key,
          String(value),
        ]),
      ).toString(),
    });
    expect(form.status).toBe(200);
    expect(b24.requests.at(-1)?.method).toBe(REGISTER);
    const callId = b24.calls[0]?.callId as string;
    await rest(FINISH, { CALL_ID: callId, USER_ID: USER, DURATION: 5, auth });

    const found = await fetch(`${b24.portalUrl}/rest/${STATISTICS}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `FILTER[CALL_ID]=${encodeURIComponent(callId)}&auth=${auth}`,
    }).then(async (r) => JSON.parse(await r.text()));
    expect(found.total).toBe(1);

    expect(await rest('crm.deal.list', { auth })).toMatchObject({
      status: 404,
      body: { error: 'ERROR_METHOD_NOT_FOUND' },
    });
  });
});

describe('Bitrix24 stand-in: telephony.externalCall.register', () => {
  it('creates a lead for an unknown number with CRM_CREATE=1, and every answer carries time', async () => {
    const auth = await accessToken();
    const answer = await rest(REGISTER, { ...registration(), auth });
    expect(answer.status).toBe(200);
    const lead = b24.leads[0];
    expect(b24.leads).toEqual([{ id: expect.any(Number), phone: UNKNOWN, at: clock }]);
    expect(answer.body.result).toEqual({
      CALL_ID: expect.stringMatching(/^externalCall\.[0-9a-f]{32}\.\d+$/),
      CRM_CREATED_LEAD: lead?.id,
      CRM_CREATED_ENTITIES: [{ ENTITY_TYPE: 'LEAD', ENTITY_ID: lead?.id }],
      CRM_ENTITY_TYPE: 'LEAD',
      CRM_ENTITY_ID: lead?.id,
    });
    expect(answer.body.time).toEqual({
      start: clock / 1000,
      finish: expect.any(Number),
      duration: expect.any(Number),
      processing: expect.any(Number),
      date_start: '2026-03-10T08:00:00+00:00',
      date_finish: expect.any(String),
      operating_reset_at: clock / 1000 + 600,
      operating: expect.any(Number),
    });
    expect(b24.calls).toEqual([{ callId: answer.body.result.CALL_ID, params: registration(), at: clock }]);
    // The next call from that number goes to the lead, not to a new one.
    const next = await rest(REGISTER, { ...registration({ EXTERNAL_CALL_ID: 'session-2' }), auth });
    expect(next.body.result).toMatchObject({
      CRM_CREATED_LEAD: null,
      CRM_ENTITY_TYPE: 'LEAD',
      CRM_ENTITY_ID: lead?.id,
    });
    expect(b24.leads).toHaveLength(1);
    expect((await rest(REGISTER, registration())).body.time).toBeDefined();
  });

  it("attaches a known number's call to its contact (by the last 10 digits), and creates nothing without CRM_CREATE", async () => {
    const auth = await accessToken();
    const known = await rest(REGISTER, { ...registration({ PHONE_NUMBER: '89161234567' }), auth });
    expect(known.body.result).toMatchObject({
      CRM_CREATED_LEAD: null,
      CRM_CREATED_ENTITIES: [],
      CRM_ENTITY_TYPE: 'CONTACT',
      CRM_ENTITY_ID: expect.any(Number),
    });
    const none = await rest(REGISTER, { ...registration({ CRM_CREATE: 0 }), auth });
    expect(none.body.result).toMatchObject({
      CRM_CREATED_LEAD: null,
      CRM_ENTITY_TYPE: null,
      CRM_ENTITY_ID: null,
    });
    expect(b24.leads).toHaveLength(0);
  });

  it('returns the same CALL_ID to a repeat of an unfinished call within 30 minutes, without a new entry', async () => {
    const auth = await accessToken();
    const first = await registered(auth);
    clock += 29 * 60_000;
    const repeated = await rest(REGISTER, {
      ...registration({ CALL_START_DATE: '2026-03-10T11:01:00+03:00' }),
      auth,
    });
    expect(repeated.body.result).toMatchObject({ CALL_ID: first, CRM_CREATED_LEAD: null });
    expect(b24.calls.map((c) => c.callId)).toEqual([first]);

    expect(await registered(auth, { EXTERNAL_CALL_ID: 'session-2' })).not.toBe(first);
    expect(await registered(auth, { LINE_NUMBER: undefined })).not.toBe(first);
    clock += 60_000;
    expect(await registered(auth)).not.toBe(first);
    expect(b24.calls).toHaveLength(4);
  });

  it('refuses a register without a user, with an unknown TYPE, a bad date or number, or an inactive user', async () => {
    const auth = await accessToken();
    const cases: [Record<string, unknown>, string][] = [
      [{ USER_ID: undefined }, 'USER_ID or USER_PHONE_INNER should be set'],
      [{ TYPE: 7 }, 'Unknown TYPE'],
      [{ TYPE: undefined }, 'Unknown TYPE'],
      [{ CALL_START_DATE: '10.03.2026 11:00' }, 'CALL_START_DATE should be in the ISO-8601 format'],
      [{ CALL_START_DATE: '2026-03-10T11:00:00' }, 'CALL_START_DATE should be in the ISO-8601 format'],
      [{ PHONE_NUMBER: 'anonymous' }, 'Unsupported phone number format'],
      [{ PHONE_NUMBER: undefined }, 'Unsupported phone number format'],
      [{ USER_ID: 7 }, 'User is not found or is not active'],
      [{ USER_ID: undefined, USER_PHONE_INNER: '101' }, 'User is not found or is not active'],
    ];
    for (const [fields, description] of cases) {
      const answer = await rest(REGISTER, { ...registration(fields), auth });
      expect([answer.status, answer.body.error, answer.body.error_description]).toEqual([
        400,
        'ERROR_CORE',
        description,
      ]);
    }
    expect(b24.calls).toHaveLength(0);
    expect(b24.leads).toHaveLength(0);
  });
});

describe('Bitrix24 stand-in: telephony.externalCall.finish and voximplant.statistic.get', () => {
  it('finish returns the statistics record; the call is then not found, and a new register is a new call', async () => {
    const auth = await accessToken();
    const callId = await registered(auth, { PHONE_NUMBER: KNOWN });
    const finished = await rest(FINISH, { CALL_ID: callId, USER_ID: USER, DURATION: 95, auth });
    expect(finished.status).toBe(200);
    expect(finished.body.result).toEqual({
      CALL_ID: callId,
      EXTERNAL_CALL_ID: 'session-1',
      PORTAL_USER_ID: USER,
      PHONE_NUMBER: KNOWN,
      PORTAL_NUMBER: '74951234567',
      INCOMING: '2',
      CALL_DURATION: 95,
      CALL_START_DATE: {},
      CALL_STATUS: 1,
      CALL_VOTE: null,
      COST: 0,
      COST_CURRENCY: '',
      CALL_FAILED_CODE: '200',
      CALL_FAILED_REASON: '',
      REST_APP_ID: expect.any(String),
      REST_APP_NAME: expect.any(String),
      CRM_ACTIVITY_ID: expect.any(Number),
      COMMENT: null,
      CRM_ENTITY_TYPE: 'CONTACT',
      CRM_ENTITY_ID: expect.any(Number),
      ID: expect.any(Number),
    });
    expect(b24.calls[0]?.finished).toEqual({
      params: { CALL_ID: callId, USER_ID: USER, DURATION: 95 },
      at: clock,
      statisticId: finished.body.result.ID,
    });

    const again = await rest(FINISH, { CALL_ID: callId, USER_ID: USER, DURATION: 95, auth });
    expect(again).toMatchObject({
      status: 400,
      body: {
        error: 'ERROR_CORE',
        error_description: 'Call is not found (call should be registered prior to finishing)',
      },
    });
    expect(
      (await rest(FINISH, { CALL_ID: 'externalCall.unknown', USER_ID: USER, auth })).body.error_description,
    ).toBe('Call is not found (call should be registered prior to finishing)');
    // CHOSEN: a finished call is no longer found by a register: the same keys make a new call.
    expect(await registered(auth, { PHONE_NUMBER: KNOWN })).not.toBe(callId);
    expect(b24.calls).toHaveLength(2);
  });

  it('finish defaults STATUS_CODE to 304 without DURATION, and refuses a missing CALL_ID, user or inactive user', async () => {
    const auth = await accessToken();
    const callId = await registered(auth);
    expect((await rest(FINISH, { USER_ID: USER, auth })).body).toMatchObject({
      error: 'INVALID_ARGUMENT',
      error_description: 'CALL_ID must be a string',
    });
    expect((await rest(FINISH, { CALL_ID: callId, auth })).body.error_description).toBe(
      'USER_ID or USER_PHONE_INNER should be set',
    );
    expect((await rest(FINISH, { CALL_ID: callId, USER_ID: 7, auth })).body.error_description).toBe(
      'User is not found or is not active',
    );
    const missed = await rest(FINISH, { CALL_ID: callId, USER_ID: USER, FAILED_REASON: 'No answer', auth });
    expect(missed.body.result).toMatchObject({
      CALL_DURATION: 0,
      CALL_FAILED_CODE: '304',
      CALL_FAILED_REASON: 'No answer',
      CALL_STATUS: 0,
      CRM_ENTITY_TYPE: 'LEAD',
    });
  });

  it('statistic.get finds a finished call by CALL_ID or EXTERNAL_CALL_ID, its numbers as strings', async () => {
    const auth = await accessToken();
    const callId = await registered(auth);
    const unfinished = await registered(auth, { EXTERNAL_CALL_ID: 'session-2' });
    const { body: finished } = await rest(FINISH, {
      CALL_ID: callId,
      USER_ID: USER,
      DURATION: 12,
      STATUS_CODE: '200',
      auth,
    });

    const byCallId = await rest(STATISTICS, { FILTER: { CALL_ID: callId }, auth });
    expect(byCallId.status).toBe(200);
    expect(byCallId.body).toEqual({ result: [expect.any(Object)], total: 1, time: expect.any(Object) });
    expect(byCallId.body.result[0]).toMatchObject({
      ID: String(finished.result.ID),
      CALL_ID: callId,
      EXTERNAL_CALL_ID: 'session-1',
      PORTAL_USER_ID: String(USER),
      CALL_DURATION: '12',
      CALL_START_DATE: '2026-03-10T11:00:00+03:00',
      CALL_FAILED_CODE: '200',
      CALL_TYPE: '2',
      COST: '0.0000',
      CRM_ACTIVITY_ID: String(finished.result.CRM_ACTIVITY_ID),
    });
    expect((await rest(STATISTICS, { FILTER: { '=EXTERNAL_CALL_ID': 'session-1' }, auth })).body.total).toBe(
      1,
    );
    expect((await rest(STATISTICS, { FILTER: { CALL_ID: unfinished }, auth })).body).toMatchObject({
      result: [],
      total: 0,
    });
    expect((await rest(STATISTICS, { FILTER: { '>CALL_DURATION': 1 }, auth })).body.error).toBe(
      'INVALID_ARG_VALUE',
    );
  });

  it('statistic.get pages by 50 with `next`', async () => {
    await start({ bucket: { size: 200, drainPerSecond: 2 } });
    const auth = await accessToken();
    for (let i = 0; i < 51; i++) {
      const callId = await registered(auth, { EXTERNAL_CALL_ID: `s${i}` });
      await rest(FINISH, { CALL_ID: callId, USER_ID: USER, DURATION: 1, auth });
    }
    const first = await rest(STATISTICS, { auth });
    expect([first.body.result.length, first.body.total, first.body.next]).toEqual([50, 51, 50]);
    const second = await rest(STATISTICS, { start: 50, auth });
    expect([second.body.result.length, second.body.total, second.body.next]).toEqual([1, 51, undefined]);
  });
});

describe('Bitrix24 stand-in: limits and injected failures', () => {
  it('serves a burst until the counter exceeds the bucket, then 503 QUERY_LIMIT_EXCEEDED; it drains each second', async () => {
    await start({ bucket: { size: 5, drainPerSecond: 2 } });
    const auth = await accessToken();
    const statuses = await Promise.all(Array.from({ length: 9 }, () => rest(STATISTICS, { auth }))).then(
      (answers) => answers.map((a) => a.status),
    );
    // docs: the request after the one that makes the counter exceed X is blocked.
    expect(statuses.filter((s) => s === 200)).toHaveLength(6);
    expect(statuses.filter((s) => s === 503)).toHaveLength(3);
    const limited = await rest(STATISTICS, { auth });
    expect(limited).toMatchObject({
      status: 503,
      body: {
        error: 'QUERY_LIMIT_EXCEEDED',
        error_description: 'Too many requests',
        time: expect.any(Object),
      },
    });

    // The counter is 6: a second later 4, so two more are served before it exceeds 5 again.
    clock += 1000;
    expect((await rest(STATISTICS, { auth })).status).toBe(200);
    expect((await rest(STATISTICS, { auth })).status).toBe(200);
    expect((await rest(STATISTICS, { auth })).status).toBe(503);
  });

  it('failNext answers each named failure with its documented status and code', async () => {
    const auth = await accessToken();
    const cases = [
      ['QUERY_LIMIT_EXCEEDED', 503],
      ['OPERATION_TIME_LIMIT', 429],
      ['expired_token', 401],
      ['invalid_token', 401],
      ['NO_AUTH_FOUND', 401],
      ['insufficient_scope', 403],
      ['WRONG_AUTH_TYPE', 403],
    ] as const;
    for (const [failure] of cases) b24.failNext(1, failure);
    b24.failNext(1, 500);
    b24.failNext(1, { status: 403, error: 'ACCESS_DENIED', description: 'Access denied!' });
    const answers = [];
    for (let i = 0; i < cases.length + 2; i++) answers.push(await rest(STATISTICS, { auth }));
    expect(answers.map((a) => [a.status, a.body.error])).toEqual([
      ...cases.map(([error, status]) => [status, error]),
      [500, 'INTERNAL_SERVER_ERROR'],
      [403, 'ACCESS_DENIED'],
    ]);
    expect(answers.every((a) => typeof a.body.error_description === 'string' && a.body.time)).toBe(true);
    expect((await rest(STATISTICS, { auth })).status).toBe(200);
  });

  it('failNext of a method after applying: the finish is done, its answer a failure; other methods are served', async () => {
    const auth = await accessToken();
    b24.failNext(1, 500, { method: FINISH, afterApplying: true });
    const callId = await registered(auth);
    const lost = await rest(FINISH, { CALL_ID: callId, USER_ID: USER, DURATION: 30, auth });
    expect(lost.status).toBe(500);
    expect(b24.calls[0]?.finished).toBeDefined();
    expect(
      (await rest(FINISH, { CALL_ID: callId, USER_ID: USER, DURATION: 30, auth })).body.error_description,
    ).toMatch(/^Call is not found/);
    const found = await rest(STATISTICS, { FILTER: { CALL_ID: callId }, auth });
    expect(found.body.result[0]).toMatchObject({ CALL_ID: callId, CALL_DURATION: '30' });
    expect(b24.requests.map((r) => [r.method, r.status])).toEqual([
      [REGISTER, 200],
      [FINISH, 500],
      [FINISH, 400],
      [STATISTICS, 200],
    ]);
  });

  it("'timeout' holds the socket (close() still ends promptly); 'reset' cuts it; without afterApplying nothing is done", async () => {
    const auth = await accessToken();
    b24.failNext(1, 'reset');
    await expect(rest(REGISTER, { ...registration(), auth })).rejects.toThrow();
    expect(b24.calls).toHaveLength(0);

    b24.failNext(1, 'timeout', { afterApplying: true });
    const held = fetch(`${b24.portalUrl}/rest/${REGISTER}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...registration(), auth }),
    });
    held.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(b24.calls).toHaveLength(1);
    expect(b24.requests.map((r) => r.status)).toEqual([0, 0]);

    const closing = Date.now();
    await b24.close();
    expect(Date.now() - closing).toBeLessThan(1000);
    await expect(held).rejects.toThrow();
  });
});

describe('Bitrix24 stand-in: as the product calls it', () => {
  it("answers the product's token request and client, through an expired_token and its refresh", async () => {
    let pair = await requestTokens(b24.oauthUrl, {
      grant_type: 'refresh_token',
      client_id: APP.clientId,
      client_secret: APP.clientSecret,
      refresh_token: APP.refreshToken,
    });
    const client = new Bitrix24Client({
      portalUrl: b24.portalUrl,
      limiter: { take: async () => undefined },
      tokens: {
        current: async () => pair.accessToken,
        refreshed: async () => {
          pair = await requestTokens(b24.oauthUrl, {
            grant_type: 'refresh_token',
            client_id: APP.clientId,
            client_secret: APP.clientSecret,
            refresh_token: pair.refreshToken,
          });
          return pair.accessToken;
        },
      },
    });
    const registeredCall = await client.call(REGISTER, registration());
    expect(registeredCall).toMatchObject({ kind: 'ok', result: { CALL_ID: expect.any(String) } });
    const callId = b24.calls[0]?.callId;

    b24.expireAccessTokens();
    const finished = await client.call(FINISH, { CALL_ID: callId, USER_ID: USER, DURATION: 10 });
    expect(finished).toMatchObject({ kind: 'ok', result: { CALL_ID: callId } });
    expect(b24.requests.map((r) => [r.method, r.status, r.error])).toEqual([
      [REGISTER, 200, undefined],
      [FINISH, 401, 'expired_token'],
      [FINISH, 200, undefined],
    ]);
    expect(await client.call(FINISH, { CALL_ID: callId, USER_ID: USER })).toMatchObject({
      kind: 'refused',
      status: 400,
      error: 'ERROR_CORE',
    });
  });
});
