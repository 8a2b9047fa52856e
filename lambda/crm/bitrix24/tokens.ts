/**
 * The Bitrix24 application's tokens. The operator's secret holds the application
 * (`{"clientId","clientSecret","refreshToken"}`); the access token lives an hour, and each
 * refresh returns a new refresh token while the old one stops working (b24restdocs
 * settings/oauth/auto-renewal.md). So the newest pair is kept durably, in the ledger table's item
 * `token#bitrix24`, sealed (AES-256-GCM, with a key derived from the client secret, so that the
 * table alone gives nothing away), and refreshed by one invocation at a time: a refresh takes the
 * item's lock, sends the newest refresh token, and writes the new pair under a condition on the
 * version it read (kept in memory first, and written until DynamoDB takes it). Others wait for it
 * and use its pair; none sends a refresh token another has spent. What no store can save: a
 * refresh whose answer is lost after Bitrix24 rotated the token; the next refresh is then
 * `invalid_grant`, and the operator authorizes again.
 *
 * A refresh token in the secret that differs from the one the item was started from (the
 * operator authorized again) replaces the pair.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConfigError } from '../../shared/env';
import { isConditionalCheckFailure } from '../ledger';

export interface AppCredentials {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

const SECRET_SHAPE = '{"clientId":"local.…","clientSecret":"…","refreshToken":"…"}';

/** The application of the secret's JSON, or a clear error. */
export function appCredentialsOf(secretJson: string): AppCredentials {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(secretJson) as Record<string, unknown>;
  } catch {
    throw new ConfigError(`The CRM secret is not JSON: it must be ${SECRET_SHAPE}`);
  }
  const missing = ['clientId', 'clientSecret', 'refreshToken'].filter(
    (key) => typeof value?.[key] !== 'string' || (value[key] as string).trim() === '',
  );
  if (missing.length > 0)
    throw new ConfigError(`The CRM secret has no ${missing.join(', ')}: it must be ${SECRET_SHAPE}`);
  return {
    clientId: (value.clientId as string).trim(),
    clientSecret: (value.clientSecret as string).trim(),
    refreshToken: (value.refreshToken as string).trim(),
  };
}

/** The authorization server refused the application (its `error`): the operator must act. */
export class AuthorizationRefused extends Error {
  override name = 'AuthorizationRefused';
  constructor(
    readonly code: string,
    readonly description: string,
  ) {
    super(`the authorization server refused the application: ${code}`);
  }
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** When the access token stops working, ms. */
  expiresAt: number;
}

/** A grant's answer: the pair, and what the portal says of it. */
export interface TokenGrant extends TokenPair {
  /** The scopes granted, comma-separated (`crm,telephony,user`). */
  scope?: string;
  /** The portal's domain (`example.bitrix24.ru`). */
  domain?: string;
}

/** The authorization server's answer to a grant: the new pair, or its error. */
export async function requestTokens(
  oauthUrl: string,
  grant: Record<string, string>,
  options: { fetch?: typeof fetch; now?: () => number; timeoutMs?: number } = {},
): Promise<TokenGrant> {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const response = await doFetch(`${oauthUrl}/oauth/token/?${new URLSearchParams(grant)}`, {
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  let body: Record<string, unknown>;
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    throw new Error(`the authorization server answered HTTP ${response.status} without JSON`);
  }
  if (typeof body.error === 'string') {
    if (response.status >= 500) throw new Error(`the authorization server failed: HTTP ${response.status}`);
    throw new AuthorizationRefused(body.error, String(body.error_description ?? ''));
  }
  const { access_token, refresh_token, expires_in, scope, domain } = body;
  if (typeof access_token !== 'string' || typeof refresh_token !== 'string')
    throw new Error(`the authorization server answered HTTP ${response.status} without tokens`);
  const lifetime = typeof expires_in === 'number' ? expires_in : Number(expires_in ?? 3600);
  return {
    accessToken: access_token,
    refreshToken: refresh_token,
    expiresAt: now() + lifetime * 1000,
    ...(typeof scope === 'string' ? { scope } : {}),
    ...(typeof domain === 'string' ? { domain } : {}),
  };
}

/** Tokens this close to their end are refreshed before use, rather than wasting a request. */
const EARLY_MS = 60_000;

interface TokenItem {
  SessionID: string;
  Crm: string;
  /** The pair, sealed: `iv.tag.ciphertext`, base64. */
  Sealed?: string;
  /** SHA-256 of the secret's refresh token the pair descends from. */
  Seed?: string;
  Version?: number;
  LockUntil?: number;
  LockId?: string;
}

export interface TokenStoreOptions {
  client: DynamoDBDocumentClient;
  table: string;
  /** The CRM's name: the item is `token#<key>`. */
  key: string;
  /** The secret's application (read again every few minutes: an operator's new refresh token takes effect). */
  credentials: () => Promise<AppCredentials>;
  oauthUrl: string;
  fetch?: typeof fetch;
  /** @default Date.now */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** How long a refresh may hold the lock. @default 30 s (the request's own timeout is 10 s) */
  lockMs?: number;
}

export class TokenStore {
  private cached: (TokenPair & { seed: string }) | undefined;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly lockMs: number;

  constructor(private readonly options: TokenStoreOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.lockMs = options.lockMs ?? 30_000;
  }

  private get itemKey() {
    return { SessionID: `token#${this.options.key}`, Crm: this.options.key };
  }

  async current(): Promise<string> {
    const cached = this.cached;
    // Kept while it lives and descends from the secret's refresh token (an operator who authorized
    // again has put a new one there: the pair kept here is then the revoked one).
    if (cached && cached.expiresAt - EARLY_MS > this.now()) {
      if (cached.seed === seedOf(await this.options.credentials())) return cached.accessToken;
    }
    return this.refreshed(cached?.accessToken);
  }

  /** A usable access token other than `stale`: the stored one if someone refreshed already, else a refresh. */
  async refreshed(stale: string | undefined): Promise<string> {
    const deadline = this.now() + 2 * this.lockMs;
    let wait = 200;
    for (;;) {
      const credentials = await this.options.credentials();
      const { pair } = await this.stored(credentials);
      if (pair && pair.accessToken !== stale && pair.expiresAt - EARLY_MS > this.now()) {
        this.cached = { ...pair, seed: seedOf(credentials) };
        return pair.accessToken;
      }
      const lockId = randomUUID();
      if (await this.lock(lockId)) {
        try {
          return await this.refreshUnderLock(credentials, stale);
        } finally {
          await this.unlock(lockId);
        }
      }
      // Another invocation is refreshing: its pair will be in the item.
      if (this.now() > deadline) throw new Error('another refresh of the tokens did not end');
      await this.sleep(wait);
      wait = Math.min(wait * 2, 2000);
    }
  }

  private async refreshUnderLock(credentials: AppCredentials, stale: string | undefined): Promise<string> {
    // Read again under the lock: a refresh may have ended between the first read and the lock.
    const { pair, version, seed } = await this.stored(credentials);
    if (pair && pair.accessToken !== stale && pair.expiresAt - EARLY_MS > this.now()) {
      this.cached = { ...pair, seed: seedOf(credentials) };
      return pair.accessToken;
    }
    let fresh: TokenPair;
    try {
      fresh = await requestTokens(
        this.options.oauthUrl,
        {
          grant_type: 'refresh_token',
          client_id: credentials.clientId,
          client_secret: credentials.clientSecret,
          refresh_token: pair?.refreshToken ?? credentials.refreshToken,
        },
        { ...(this.options.fetch ? { fetch: this.options.fetch } : {}), now: this.now },
      );
    } catch (error) {
      // A refresh that outlived its lock may have spent this refresh token: its pair is the newest.
      if (!(error instanceof AuthorizationRefused && error.code === 'invalid_grant')) throw error;
      const after = await this.stored(credentials);
      if (after.pair && after.version !== version) {
        this.cached = { ...after.pair, seed: seedOf(credentials) };
        return after.pair.accessToken;
      }
      // The item descends from another refresh token than this secret's: this invocation may have
      // read the secret before the operator put a new one there. Not a refusal yet: tried again
      // once the secret is read again.
      if (seed !== undefined && seed !== seedOf(credentials))
        throw new Error(
          'the refresh token in the secret read here is not the one the kept tokens descend from, and was refused: the secret is read again shortly (if it stays so, authorize again)',
        );
      throw error;
    }
    const next = version + 1;
    // The old refresh token is spent now: the new pair is kept in memory at once, and its write is
    // tried until DynamoDB takes it, so that a failed write does not lose it.
    this.cached = { ...fresh, seed: seedOf(credentials) };
    await this.writeUntilTaken(
      new UpdateCommand({
        TableName: this.options.table,
        Key: this.itemKey,
        UpdateExpression: 'SET Sealed = :sealed, Seed = :seed, Version = :next',
        ConditionExpression: 'attribute_not_exists(Version) OR Version = :version',
        ExpressionAttributeValues: {
          ':sealed': seal(fresh, credentials.clientSecret),
          ':seed': seedOf(credentials),
          ':next': next,
          ':version': version,
        },
      }),
    );
    return fresh.accessToken;
  }

  private async writeUntilTaken(update: UpdateCommand): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.client.send(update);
        return;
      } catch (error) {
        // Another writer moved the version on: its pair is newer than ours, nothing to keep.
        if (isConditionalCheckFailure(error) || attempt >= 5) throw error;
        await this.sleep(200 * 2 ** attempt);
      }
    }
  }

  /** The stored pair, when it descends from the secret's refresh token and opens with its client secret. */
  private async stored(
    credentials: AppCredentials,
  ): Promise<{ pair?: TokenPair; version: number; seed?: string }> {
    const { Item } = await this.options.client.send(
      new GetCommand({ TableName: this.options.table, Key: this.itemKey, ConsistentRead: true }),
    );
    const item = Item as TokenItem | undefined;
    const version = item?.Version ?? 0;
    const seed = item?.Seed;
    if (!item?.Sealed || seed !== seedOf(credentials))
      return seed === undefined ? { version } : { version, seed };
    const pair = unseal(item.Sealed, credentials.clientSecret);
    return pair ? { pair, version, seed } : { version, seed };
  }

  private async lock(lockId: string): Promise<boolean> {
    try {
      await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.table,
          Key: this.itemKey,
          UpdateExpression: 'SET LockUntil = :until, LockId = :id',
          ConditionExpression: 'attribute_not_exists(LockUntil) OR LockUntil < :now',
          ExpressionAttributeValues: {
            ':until': this.now() + this.lockMs,
            ':id': lockId,
            ':now': this.now(),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  private async unlock(lockId: string): Promise<void> {
    try {
      await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.table,
          Key: this.itemKey,
          UpdateExpression: 'REMOVE LockUntil, LockId',
          ConditionExpression: 'LockId = :id',
          ExpressionAttributeValues: { ':id': lockId },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
    }
  }
}

const seedOf = (credentials: AppCredentials) =>
  createHash('sha256').update(credentials.refreshToken).digest('hex');

const keyOf = (clientSecret: string) =>
  Buffer.from(hkdfSync('sha256', clientSecret, 'call-events', 'bitrix24 tokens', 32));

function seal({ accessToken, refreshToken, expiresAt }: TokenPair, clientSecret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(clientSecret), iv);
  const text = JSON.stringify({ accessToken, refreshToken, expiresAt } satisfies TokenPair);
  const sealed = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), sealed].map((part) => part.toString('base64')).join('.');
}

/** The pair, or undefined when it was sealed with another client secret (or is damaged). */
function unseal(sealed: string, clientSecret: string): TokenPair | undefined {
  try {
    const [iv, tag, data] = sealed.split('.').map((part) => Buffer.from(part, 'base64'));
    if (!iv || !tag || !data) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', keyOf(clientSecret), iv);
    decipher.setAuthTag(tag);
    const text = Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
    return JSON.parse(text) as TokenPair;
  } catch {
    return undefined;
  }
}
