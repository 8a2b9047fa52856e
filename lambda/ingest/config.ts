/** The ingest function's configuration, read from its environment once at cold start. */
import { isValidTimeZone } from '../contract/local-time';
import { DEFAULTS, INGEST_ENV, MAX_BODY_BYTES_LIMIT } from '../contract/runtime-config';
import { ConfigError, optionalInt, required } from '../shared/env';
import { parseSha256Hex } from './auth';

export type TokenConfig = { sha256: Buffer } | { secretArn: string };

export interface IngestConfig {
  tables: { callEvents: string; rejectedEvents: string };
  token: TokenConfig;
  timeZone: string;
  maxBodyBytes: number;
  /** Days to keep stored events; undefined keeps them for ever. */
  retentionDays?: number;
  rejectedRetentionDays?: number;
}

export function readIngestConfig(env: NodeJS.ProcessEnv): IngestConfig {
  const timeZone = env[INGEST_ENV.timeZone] || DEFAULTS.timeZone;
  if (!isValidTimeZone(timeZone))
    throw new ConfigError(`${INGEST_ENV.timeZone}: unknown IANA time zone "${timeZone}"`);
  const hash = env[INGEST_ENV.tokenSha256];
  const secretArn = env[INGEST_ENV.tokenSecretArn];
  let token: TokenConfig;
  if (hash) {
    try {
      token = { sha256: parseSha256Hex(hash) };
    } catch (error) {
      throw new ConfigError(`${INGEST_ENV.tokenSha256}: ${(error as Error).message}`);
    }
  } else if (secretArn) {
    token = { secretArn };
  } else {
    // Secure by default: with neither set there is no way in, so refuse to start at all.
    throw new ConfigError(
      `Set ${INGEST_ENV.tokenSha256} or ${INGEST_ENV.tokenSecretArn}: the webhook always requires a token`,
    );
  }
  const days = { min: 1, max: 36_500 };
  return {
    tables: {
      callEvents: required(env, INGEST_ENV.callEventsTable),
      rejectedEvents: required(env, INGEST_ENV.rejectedEventsTable),
    },
    token,
    timeZone,
    maxBodyBytes:
      optionalInt(env, INGEST_ENV.maxBodyBytes, { min: 1024, max: MAX_BODY_BYTES_LIMIT }) ??
      DEFAULTS.maxBodyBytes,
    retentionDays: optionalInt(env, INGEST_ENV.retentionDays, days),
    rejectedRetentionDays:
      optionalInt(env, INGEST_ENV.rejectedRetentionDays, days) ?? DEFAULTS.rejectedRetentionDays,
  };
}
