/**
 * Supplies the SHA-256 of the expected webhook token: fixed when configured as a hash, or
 * read from Secrets Manager and cached (refreshed every few minutes, so a changed secret
 * takes effect without a deploy).
 */

import { readSecretString, refreshed, SECRET_REFRESH_MS, type SecretReader } from '../shared/secrets';
import { sha256 } from './auth';
import type { TokenConfig } from './config';

export type TokenHashSource = () => Promise<Buffer>;
export type { SecretReader } from '../shared/secrets';

export function tokenHashSource(
  token: TokenConfig,
  readSecret: SecretReader = readSecretString,
  now: () => number = Date.now,
): TokenHashSource {
  if ('sha256' in token) {
    const fixed = Promise.resolve(token.sha256);
    return () => fixed;
  }
  return refreshed(
    () => readSecret(token.secretArn).then((secret) => sha256(secret.trim())),
    SECRET_REFRESH_MS,
    now,
  );
}
