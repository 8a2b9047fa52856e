/**
 * Supplies the SHA-256 of the expected webhook token: fixed when configured as a hash, or
 * read from Secrets Manager and cached (refreshed every few minutes, so a changed secret
 * takes effect without a deploy).
 */
import { sha256 } from './auth';
import type { TokenConfig } from './config';

export type TokenHashSource = () => Promise<Buffer>;
export type SecretReader = (secretArn: string) => Promise<string>;

const REFRESH_MS = 5 * 60_000;

/** Reads a secret's string with the Secrets Manager client, loaded only when a secret is used. */
export const readSecretString: SecretReader = async (secretArn) => {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({});
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!SecretString) throw new Error('The webhook token secret has no string value');
  return SecretString;
};

export function tokenHashSource(
  token: TokenConfig,
  readSecret: SecretReader = readSecretString,
  now: () => number = Date.now,
): TokenHashSource {
  if ('sha256' in token) {
    const fixed = Promise.resolve(token.sha256);
    return () => fixed;
  }
  let cached: { hash: Promise<Buffer>; at: number } | undefined;
  return () => {
    if (!cached || now() - cached.at > REFRESH_MS) {
      const hash = readSecret(token.secretArn).then((secret) => sha256(secret.trim()));
      const entry = { hash, at: now() };
      cached = entry;
      // A failed read must not be cached: the next request tries again.
      hash.catch(() => {
        if (cached === entry) cached = undefined;
      });
    }
    return cached.hash;
  };
}
