/**
 * `npm run crm -- authorize`: a Bitrix24 local application's first tokens. The portal hands the
 * application an authorization code (in the address it redirects to after
 * `https://<portal>/oauth/authorize/?client_id=…`), which lives 30 seconds; this exchanges it
 * for the tokens (b24restdocs settings/oauth/index.md, grant_type=authorization_code) and keeps
 * what the CRM secret needs, `{"clientId","clientSecret","refreshToken"}`: printed for local
 * mode's CRM_SECRET, or put into the deployed stack's secret (`--aws --secret <CrmSecretArn>`).
 * The delivery rotates the tokens from there on (lambda/crm/bitrix24/tokens.ts).
 */

import { AuthorizationRefused, requestTokens } from '../../lambda/crm/bitrix24/tokens';
import { CRMS } from '../../lambda/crm/crms';
import { type CliIo, UsageError } from './cli';

/** The scopes the delivery's methods need: telephony (telephony.externalcall.*, voximplant.statistic.get) and crm. */
export const REQUIRED_SCOPES = ['telephony', 'crm'] as const;

export interface AuthorizeOptions {
  clientId: string | undefined;
  clientSecret: string | undefined;
  /** The code, or the whole address the portal redirected to (its `code` and `server_domain` are read). */
  code: string | undefined;
  oauthUrl: string | undefined;
  /** With --aws: the secret to put the application in. */
  secretArn: string | undefined;
  aws: boolean;
}

/** The code and, when the address names it, the authorization server (`server_domain`). */
export function codeOf(given: string): { code: string; serverDomain?: string } {
  const text = given.trim();
  if (!/^https?:\/\//.test(text) && !text.includes('code=')) return { code: text };
  const query = text.includes('?') ? text.slice(text.indexOf('?') + 1) : text;
  const params = new URLSearchParams(query);
  const code = params.get('code');
  if (!code)
    throw new UsageError('the address has no code=… in it: paste the whole address the portal redirected to');
  const serverDomain = params.get('server_domain') ?? undefined;
  return serverDomain ? { code, serverDomain } : { code };
}

export async function authorize(options: AuthorizeOptions, io: CliIo): Promise<number> {
  const { clientId, clientSecret, code: given } = options;
  if (!clientId)
    throw new UsageError('authorize needs --client-id (the application\'s "Application ID (client_id)")');
  if (!clientSecret)
    throw new UsageError(
      'authorize needs the application key: CRM_CLIENT_SECRET=… in the environment (or --client-secret)',
    );
  if (!given)
    throw new UsageError('authorize needs --code: the code, or the whole address the portal redirected to');
  if (options.aws && !options.secretArn)
    throw new UsageError('--aws authorize needs --secret ARN (the CrmSecretArn output)');
  const { code, serverDomain } = codeOf(given);
  const oauthUrl = (
    options.oauthUrl ?? (serverDomain ? `https://${serverDomain}` : CRMS.bitrix24.oauthUrl)
  ).replace(/\/+$/, '');

  let grant: Awaited<ReturnType<typeof requestTokens>>;
  try {
    grant = await requestTokens(oauthUrl, {
      grant_type: 'authorization_code',
      client_id: clientId,
      client_secret: clientSecret,
      code,
    });
  } catch (error) {
    if (error instanceof AuthorizationRefused) {
      const hint =
        error.code === 'invalid_grant'
          ? 'the code is used or older than 30 seconds: open the authorize address again and run this within 30 s'
          : error.code === 'invalid_client'
            ? 'the client id or the application key is wrong'
            : error.description || 'see README, "Bitrix24"';
      io.err(`Bitrix24 refused the code (${error.code}): ${hint}`);
      return 1;
    }
    throw error;
  }
  const granted = (grant.scope ?? '').split(/[\s,]+/).filter(Boolean);
  const missing = REQUIRED_SCOPES.filter((scope) => !granted.includes(scope));
  if (grant.scope !== undefined && missing.length > 0) {
    io.err(
      `The application lacks the scope ${missing.join(', ')}: give it telephony, crm and user in its settings in Bitrix24 (Applications → Developer resources), save, and authorize again. Nothing was stored.`,
    );
    return 1;
  }
  const secret = JSON.stringify({ clientId, clientSecret, refreshToken: grant.refreshToken });
  const portal = grant.domain ? ` on ${grant.domain}` : '';
  if (options.aws) {
    const { SecretsManagerClient, PutSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const client = new SecretsManagerClient({});
    try {
      await client.send(new PutSecretValueCommand({ SecretId: options.secretArn, SecretString: secret }));
    } finally {
      client.destroy();
    }
    io.out(
      `The application is authorized${portal} and its first refresh token is in the CRM secret. ` +
        'The CRM consumer reads it within 5 minutes and rotates the tokens from there on; if delivery had stopped, wait those 5 minutes, then npm run crm -- resume --aws --function <its name>.',
    );
    return 0;
  }
  io.out(
    `The application is authorized${portal}. Give local mode its secret (e.g. from a file: CRM_SECRET="$(cat secret.json)"; keep it out of logs):`,
  );
  io.out(
    `  CRM_SECRET='${secret}' npm start -- -c crm=bitrix24 -c crmUrl=https://${grant.domain ?? '<portal>'} -c crmDefaultUser=<user id>`,
  );
  io.out(
    'Local mode rotates the tokens from there on and keeps the newest under .local/, so the same CRM_SECRET serves its later starts; not with --in-memory, nor a second place (one authorization each).',
  );
  return 0;
}
