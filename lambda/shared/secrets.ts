/**
 * Secrets Manager, as the functions read it: a secret's string (the client loaded only when a
 * secret is used), and a value derived from it kept for a few minutes, so that a secret put
 * right takes effect without a deploy and a failed read is tried again at the next use.
 */

export type SecretReader = (secretArn: string) => Promise<string>;

/** How long a value read from a secret is kept before it is read again. */
export const SECRET_REFRESH_MS = 5 * 60_000;

export const readSecretString: SecretReader = async (secretArn) => {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({});
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!SecretString) throw new Error('The secret has no string value');
  return SecretString;
};

/** `load()`'s value, loaded again after `refreshMs`; a failed load is not kept. */
export function refreshed<T>(
  load: () => Promise<T>,
  refreshMs = SECRET_REFRESH_MS,
  now: () => number = Date.now,
): () => Promise<T> {
  let cached: { value: Promise<T>; at: number } | undefined;
  return () => {
    if (!cached || now() - cached.at > refreshMs) {
      const entry = { value: load(), at: now() };
      cached = entry;
      entry.value.catch(() => {
        if (cached === entry) cached = undefined;
      });
    }
    return cached.value;
  };
}
