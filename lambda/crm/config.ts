/** The CRM consumer's environment, read once at cold start (the stack sets it: lib/constructs/crm-delivery.ts). */
import { CRM_ENV } from '../config/environment';
import { SETTINGS } from '../config/settings';
import { ConfigError, required } from '../shared/env';
import type { UserMap } from './completed-call';
import { CRM_NAMES, CRMS, type CrmName, isCrmName, REQUESTS_PER_SECOND_RANGE } from './crms';

export interface CrmConfig {
  crm: CrmName;
  baseUrl: string;
  /** Bitrix24: where the application's tokens are refreshed. */
  oauthUrl: string;
  /** The IANA zone a call's start is written in for the CRM. */
  timeZone: string;
  users: UserMap;
  ledgerTable: string;
  /** Where the token comes from: the secret's ARN, or (local mode) the secret's JSON. */
  secret: { arn: string } | { json: string };
  ratePerSecond: number;
}

/** `{"<employee number>": <CRM user id>, …}`; a clear error for anything else. */
export function parseUserMap(text: string | undefined): Record<string, number> {
  if (text === undefined || text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError(`${CRM_ENV.crmUsers} is not JSON: give an object of employee number → CRM user id`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(`${CRM_ENV.crmUsers} must be a JSON object of employee number → CRM user id`);
  for (const [employee, user] of Object.entries(value))
    if (!Number.isSafeInteger(user) || (user as number) <= 0)
      throw new ConfigError(
        `${CRM_ENV.crmUsers}: the user of ${JSON.stringify(employee)} must be a positive whole number`,
      );
  return value as Record<string, number>;
}

export function readCrmConfig(env: NodeJS.ProcessEnv): CrmConfig {
  const crm = required(env, CRM_ENV.crm);
  if (!isCrmName(crm))
    throw new ConfigError(
      `${CRM_ENV.crm} must be one of ${CRM_NAMES.join(', ')}, got ${JSON.stringify(crm)}`,
    );
  const defaultUser = env[CRM_ENV.crmDefaultUser];
  const rate = Number(env[CRM_ENV.ratePerSecond] ?? CRMS[crm].requestsPerSecond);
  const { min, max } = REQUESTS_PER_SECOND_RANGE;
  if (!Number.isInteger(rate) || rate < min || rate > max)
    throw new ConfigError(`${CRM_ENV.ratePerSecond} must be a whole number from ${min} to ${max}`);
  const json = env[CRM_ENV.secretJson];
  return {
    crm,
    baseUrl: required(env, CRM_ENV.crmUrl),
    oauthUrl: env[CRM_ENV.oauthUrl] || CRMS.bitrix24.oauthUrl,
    timeZone: env[CRM_ENV.timeZone] || SETTINGS.timeZone.default,
    users: {
      users: parseUserMap(env[CRM_ENV.crmUsers]),
      ...(defaultUser ? { defaultUser: Number(defaultUser) } : {}),
    },
    ledgerTable: required(env, CRM_ENV.ledgerTable),
    secret: json ? { json } : { arn: required(env, CRM_ENV.secretArn) },
    ratePerSecond: rate,
  };
}

/** The access token of the secret's JSON `{"accessToken":"…"}`. */
export function accessTokenOf(secretJson: string): string {
  let token: unknown;
  try {
    token = (JSON.parse(secretJson) as { accessToken?: unknown }).accessToken;
  } catch {
    throw new ConfigError('The CRM secret is not JSON: it must be {"accessToken":"<long-lived token>"}');
  }
  if (typeof token !== 'string' || token.trim() === '')
    throw new ConfigError(
      'The CRM secret has no accessToken: it must be {"accessToken":"<long-lived token>"}',
    );
  return token.trim();
}
