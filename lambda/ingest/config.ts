/** The ingest function's configuration, read from its environment once at cold start. */
import { INGEST_ENV } from '../config/environment';
import { SETTINGS } from '../config/settings';
import { ConfigError, readSetting, required } from '../shared/env';
import { pseudonymKeyProblem } from '../shared/pseudonym';
import { parseSha256Hex } from './auth';

export type TokenConfig = { sha256: Buffer } | { secretArn: string };

/** Pseudonymous mode's key: in a secret (deployed), or given as is (local mode). */
export type PseudonymKeyConfig = { value: string } | { secretArn: string };

export interface IngestConfig {
  tables: { callEvents: string; rejectedEvents: string };
  token: TokenConfig;
  timeZone: string;
  maxBodyBytes: number;
  /** Days to keep stored events; undefined keeps them for ever. */
  retentionDays?: number;
  rejectedRetentionDays?: number;
  /** Pseudonymous mode: where its key is, and the country numbers are read in; absent in plain mode. */
  customerNumbers?: { key: PseudonymKeyConfig; defaultCountry: string };
}

export function readIngestConfig(env: NodeJS.ProcessEnv): IngestConfig {
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
  const keyArn = env[INGEST_ENV.customerNumberKeySecretArn];
  const key = env[INGEST_ENV.customerNumberKey];
  if (key !== undefined && pseudonymKeyProblem(key))
    throw new ConfigError(`${INGEST_ENV.customerNumberKey}: ${pseudonymKeyProblem(key)}`);
  const customerNumbers =
    keyArn || key
      ? {
          key: key ? { value: key } : { secretArn: keyArn as string },
          defaultCountry: readSetting(env, SETTINGS.defaultCountry),
        }
      : undefined;
  return {
    ...(customerNumbers ? { customerNumbers } : {}),
    tables: {
      callEvents: required(env, INGEST_ENV.callEventsTable),
      rejectedEvents: required(env, INGEST_ENV.rejectedEventsTable),
    },
    token,
    timeZone: readSetting(env, SETTINGS.timeZone),
    maxBodyBytes: readSetting(env, SETTINGS.maxBodyBytes),
    retentionDays: readSetting(env, SETTINGS.retentionDays),
    rejectedRetentionDays: readSetting(env, SETTINGS.rejectedRetentionDays),
  };
}
