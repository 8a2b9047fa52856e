/**
 * `npm run crm -- authorize`: a Bitrix24 application's authorization code exchanged for its first
 * tokens, against the stand-in authorization server (test/support/bitrix24-standin.ts), and the
 * CRM secret it prints; a late code, a wrong key, a missing scope and a missing option said plainly.
 */

import { main as crm } from '../../scripts/crm';
import { codeOf } from '../../scripts/lib/bitrix24-authorize';
import { UsageError } from '../../scripts/lib/cli';
import { type Bitrix24StandIn, startBitrix24StandIn } from '../support/bitrix24-standin';

const APP = { clientId: 'local.65a1.1', clientSecret: 'the-application-key' };
let oauth: Bitrix24StandIn;
let now = Date.parse('2026-12-03T10:00:00Z');

const start = (scopes?: string[]) =>
  startBitrix24StandIn({
    ...APP,
    refreshToken: 'r0',
    users: [1],
    now: () => now,
    ...(scopes ? { scopes } : {}),
  });
afterEach(() => oauth?.close());

const run = async (argv: string[], env: Record<string, string> = { CRM_CLIENT_SECRET: APP.clientSecret }) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await crm(argv, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env,
    runtimeFile: '/nonexistent',
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
};
const authorize = (code: string, ...more: string[]) =>
  run(['authorize', '--client-id', APP.clientId, '--code', code, '--oauth-url', oauth.oauthUrl, ...more]);

describe('the code', () => {
  it('is read as given, or from the whole address the portal redirected to', () => {
    expect(codeOf(' abc123 ')).toEqual({ code: 'abc123' });
    expect(
      codeOf(
        'https://handler.example.com/b24?code=c0de&state=&domain=example.bitrix24.ru&member_id=m&scope=crm%2Ctelephony&server_domain=oauth.bitrix.info',
      ),
    ).toEqual({ code: 'c0de', serverDomain: 'oauth.bitrix.info' });
    expect(() => codeOf('https://handler.example.com/b24?state=x')).toThrow(UsageError);
  });
});

describe('npm run crm -- authorize', () => {
  it('exchanges the code and prints the CRM secret, with the refresh token that works', async () => {
    oauth = await start();
    const result = await authorize(oauth.issueAuthorizationCode());
    expect(result.code).toBe(0);
    const secret = /CRM_SECRET='([^']+)'/.exec(result.out)?.[1];
    expect(JSON.parse(secret ?? '{}')).toEqual({ ...APP, refreshToken: oauth.refreshToken });
    expect(result.out).toMatch(/npm start -- -c crm=bitrix24 -c crmUrl=https:\/\//);
    expect(oauth.oauthRequests.map((r) => [r.grantType, r.status])).toEqual([['authorization_code', 200]]);
  });

  it('says a code older than 30 seconds is to be fetched again', async () => {
    oauth = await start();
    const code = oauth.issueAuthorizationCode();
    now += 31_000;
    const result = await authorize(code);
    expect(result).toMatchObject({ code: 1, out: '' });
    expect(result.err).toMatch(/invalid_grant.*30 seconds/);
  });

  it('says a wrong application key is wrong', async () => {
    oauth = await start();
    const result = await run(
      [
        'authorize',
        '--client-id',
        APP.clientId,
        '--code',
        oauth.issueAuthorizationCode(),
        '--oauth-url',
        oauth.oauthUrl,
      ],
      { CRM_CLIENT_SECRET: 'not-the-key' },
    );
    expect(result).toMatchObject({ code: 1, out: '' });
    expect(result.err).toMatch(/invalid_client.*client id or the application key/);
  });

  it('stores nothing for an application without the telephony scope, and says how to give it', async () => {
    oauth = await start(['crm', 'user']);
    const result = await authorize(oauth.issueAuthorizationCode());
    expect(result).toMatchObject({ code: 1, out: '' });
    expect(result.err).toMatch(/lacks the scope telephony: give it telephony, crm and user/);
  });

  it.each([
    [['authorize', '--code', 'x'], /--client-id/],
    [['authorize', '--client-id', 'local.1'], /--code/],
    [['authorize', '--client-id', 'local.1', '--code', 'x', '--aws'], /--secret ARN/],
  ])('refuses %j, saying what is missing', async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(message);
  });

  it('asks for the key when neither CRM_CLIENT_SECRET nor --client-secret gives it', async () => {
    const result = await run(['authorize', '--client-id', 'local.1', '--code', 'x'], {});
    expect(result.err).toMatch(/CRM_CLIENT_SECRET/);
  });
});
