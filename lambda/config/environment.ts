/**
 * The environment variables each function reads: the stack sets them (lib/constructs/), the
 * function's `config.ts` reads them once at cold start, and local mode passes the stack's own.
 * A setting's variable is the setting's (settings.ts); the rest name the resources a function uses.
 */
import { SETTINGS } from './settings';

export const INGEST_ENV = {
  callEventsTable: 'CALL_EVENTS_TABLE',
  rejectedEventsTable: 'REJECTED_EVENTS_TABLE',
  /** ARN of the Secrets Manager secret holding the webhook token (deployed default). */
  tokenSecretArn: 'WEBHOOK_TOKEN_SECRET_ARN',
  /** Hex SHA-256 of the webhook token (the no-secret alternative). */
  tokenSha256: 'WEBHOOK_TOKEN_SHA256',
  timeZone: SETTINGS.timeZone.env,
  maxBodyBytes: SETTINGS.maxBodyBytes.env,
  retentionDays: SETTINGS.retentionDays.env,
  rejectedRetentionDays: SETTINGS.rejectedRetentionDays.env,
  /** Pseudonymous mode: ARN of the secret holding the pseudonym key (deployed). */
  customerNumberKeySecretArn: 'CUSTOMER_NUMBER_KEY_SECRET_ARN',
  /** Pseudonymous mode: the pseudonym key itself (local mode and the tools only, in place of the secret). */
  customerNumberKey: 'CUSTOMER_NUMBER_KEY',
  /** Pseudonymous mode: the country a customer's number without a country code is read in. */
  defaultCountry: SETTINGS.defaultCountry.env,
} as const;

/**
 * The Calls table's indexes a function reads, by name, while an upgrade of them is under way
 * (lambda/calls/index-upgrade.ts); absent, the current ones.
 */
export const CALLS_INDEX_NAMES_ENV = 'CALLS_INDEX_NAMES';

export const PROJECT_ENV = {
  callEventsTable: INGEST_ENV.callEventsTable,
  callsTable: 'CALLS_TABLE',
  callsIndexNames: CALLS_INDEX_NAMES_ENV,
  callbackWindowHours: SETTINGS.callbackWindowHours.env,
  timeZone: SETTINGS.timeZone.env,
  defaultCountry: SETTINGS.defaultCountry.env,
  retentionDays: SETTINGS.retentionDays.env,
} as const;

export const SWEEP_ENV = {
  callsTable: PROJECT_ENV.callsTable,
  callsIndexNames: CALLS_INDEX_NAMES_ENV,
  stuckCallAfterMinutes: SETTINGS.stuckCallAfterMinutes.env,
  callbackWindowHours: SETTINGS.callbackWindowHours.env,
} as const;

export const PUBLISH_ENV = {
  eventBusName: 'EVENT_BUS_NAME',
  eventSource: SETTINGS.eventSource.env,
} as const;

/** The CRM consumer (lambda/crm/): where it delivers, as whom, and its ledger. */
export const CRM_ENV = {
  crm: 'CRM',
  crmUrl: 'CRM_URL',
  /** JSON object: PBX employee number → CRM user id. */
  crmUsers: 'CRM_USERS',
  crmDefaultUser: 'CRM_DEFAULT_USER',
  ledgerTable: 'CRM_LEDGER_TABLE',
  /** Bitrix24: the authorization server that refreshes the application's tokens. */
  oauthUrl: 'CRM_OAUTH_URL',
  /** ARN of the secret: amoCRM `{"accessToken":"…"}`, Bitrix24 `{"clientId","clientSecret","refreshToken"}`. */
  secretArn: 'CRM_SECRET_ARN',
  /** The secret's JSON itself: local mode only, in place of the secret. */
  secretJson: 'CRM_SECRET',
  ratePerSecond: 'CRM_RATE_PER_SECOND',
  /** The zone a call's start is given in (Bitrix24's CALL_START_DATE carries its offset). */
  timeZone: SETTINGS.timeZone.env,
} as const;
