/**
 * Names and defaults that the stack sets and the functions read: environment variables,
 * table key names, the TTL attribute, limits. The stack, the handlers and local mode all
 * take them from here, so a rename cannot drift.
 */
import { isValidTimeZone } from './local-time';

/**
 * One setting that the stack gives a function through its environment: the context key and the
 * environment variable it travels under, its default, and which values are valid. `lib/config.ts`
 * validates the context with it at synth; the functions parse their environment with it at cold
 * start (`lambda/shared/env.ts`); so a value that synthesizes is a value the function accepts.
 */
interface SettingBase {
  /** The environment variable the function reads. */
  readonly env: string;
}
/** A whole number in a closed range, given as a number (cdk.json) or its digits (`-c`, the environment). */
export interface IntSetting extends SettingBase {
  readonly kind: 'int';
  readonly min: number;
  readonly max: number;
  readonly default?: number;
}
/** A string, valid when `problem` finds nothing wrong with it. */
export interface TextSetting extends SettingBase {
  readonly kind: 'text';
  readonly default?: string;
  /** Why the value is not valid (a phrase that completes "Invalid <name>: …"), or undefined. */
  readonly problem: (value: string) => string | undefined;
}
export type Setting = IntSetting | TextSetting;
export type SettingValue<S extends Setting> = S extends IntSetting ? number : string;

const EVENT_SOURCE = /^[A-Za-z0-9._-]{1,256}$/;
const DAYS = { kind: 'int', min: 1, max: 36_500 } as const;

/** Largest body limit for which an item (its fields plus RawBody) still fits DynamoDB's 400 KB. */
export const MAX_BODY_BYTES_LIMIT = 131_072;

export const SETTINGS = {
  /** IANA zone the provider's wall-clock times are read in (the numbers are Russian). */
  timeZone: {
    kind: 'text',
    env: 'CALL_TIME_ZONE',
    default: 'Europe/Moscow',
    problem: (value) =>
      isValidTimeZone(value) ? undefined : `unknown IANA time zone ${JSON.stringify(value)}`,
  },
  /** `source` of the published events; consumers' rules match on it. */
  eventSource: {
    kind: 'text',
    env: 'EVENT_SOURCE',
    default: 'telephony.call-events',
    problem: (value) =>
      !EVENT_SOURCE.test(value)
        ? 'use 1-256 letters, digits, ".", "_" or "-"'
        : value.startsWith('aws.')
          ? 'sources starting with "aws." are reserved for AWS'
          : undefined,
  },
  /** The provider's events are a few hundred bytes; anything near the default is not one of them. */
  maxBodyBytes: {
    kind: 'int',
    env: 'MAX_BODY_BYTES',
    min: 1_024,
    max: MAX_BODY_BYTES_LIMIT,
    default: 32_768,
  },
  /** Days to keep call events (DynamoDB TTL); unset keeps them for ever. */
  retentionDays: { ...DAYS, env: 'CALL_EVENTS_RETENTION_DAYS' },
  /** Days to keep quarantined bodies. */
  rejectedRetentionDays: { ...DAYS, env: 'REJECTED_RETENTION_DAYS', default: 90 },
  /** Country whose national format a phone number without a country code is read in (ISO 3166-1). */
  defaultCountry: {
    kind: 'text',
    env: 'DEFAULT_COUNTRY',
    default: 'RU',
    problem: (value) => (/^[A-Z]{2}$/.test(value) ? undefined : 'use an ISO 3166-1 alpha-2 code such as RU'),
  },
  /** Hours after a missed call's end within which an answered call with the customer resolves it. */
  callbackWindowHours: { kind: 'int', env: 'CALLBACK_WINDOW_HOURS', min: 1, max: 8_760, default: 72 },
  /** Minutes with nothing received for an open call after which the sweep marks it `stuck`. */
  stuckCallAfterMinutes: { kind: 'int', env: 'STUCK_CALL_AFTER_MINUTES', min: 1, max: 100_000, default: 240 },
} as const satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;

/**
 * Reads one setting from its raw text (`undefined` or empty: unset). The default when unset,
 * `undefined` when unset with no default, else the value; a string says why the text is invalid.
 */
export function parseSetting<S extends Setting>(
  setting: S,
  raw: string | undefined,
): { ok: true; value: SettingValue<S> | undefined } | { ok: false; problem: string } {
  if (raw === undefined || raw === '')
    return { ok: true, value: setting.default as SettingValue<S> | undefined };
  if (setting.kind === 'text') {
    const problem = setting.problem(raw);
    return problem ? { ok: false, problem } : { ok: true, value: raw as SettingValue<S> };
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n < setting.min || n > setting.max) {
    return { ok: false, problem: `must be an integer from ${setting.min} to ${setting.max}, got ${raw}` };
  }
  return { ok: true, value: n as SettingValue<S> };
}

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
} as const;

export const PROJECT_ENV = {
  callEventsTable: INGEST_ENV.callEventsTable,
  callsTable: 'CALLS_TABLE',
  callbackWindowHours: SETTINGS.callbackWindowHours.env,
  timeZone: SETTINGS.timeZone.env,
  defaultCountry: SETTINGS.defaultCountry.env,
  retentionDays: SETTINGS.retentionDays.env,
} as const;

export const SWEEP_ENV = {
  callsTable: PROJECT_ENV.callsTable,
  stuckCallAfterMinutes: SETTINGS.stuckCallAfterMinutes.env,
  /** Local mode only: the threshold in seconds, so that tests need not wait minutes. */
  stuckCallAfterSeconds: 'STUCK_CALL_AFTER_SECONDS',
  callbackWindowHours: SETTINGS.callbackWindowHours.env,
} as const;

export const PUBLISH_ENV = {
  eventBusName: 'EVENT_BUS_NAME',
  eventSource: SETTINGS.eventSource.env,
} as const;

export const CALL_EVENTS_KEYS = { partitionKey: 'SessionID', sortKey: 'EventKey' } as const;
export const CALLS_KEYS = { partitionKey: 'SessionID' } as const;
/** The Calls table's global secondary indexes: a customer's calls, a public number's calls, by start. */
export const CALLS_INDEXES = {
  byCustomerNumber: { indexName: 'ByCustomerNumber', partitionKey: 'CustomerNumber', sortKey: 'StartedAt' },
  byCityNumber: { indexName: 'ByCityNumber', partitionKey: 'CityNumber', sortKey: 'StartedAt' },
  /** Every call of a local day (the report's reads when no public number is chosen). */
  byDay: { indexName: 'ByDay', partitionKey: 'Day', sortKey: 'StartedAt' },
} as const;
/**
 * The Calls table's sparse indexes: an item is in one only while it has the index's key
 * attribute, which then holds `value` (callbacks.ts and stuck.ts keep the attributes right).
 * The stack creates these and CALLS_INDEXES alike.
 */
export const CALLS_SPARSE_INDEXES = {
  /** Missed calls waiting for a callback, oldest end first. */
  pendingCallbacks: {
    indexName: 'PendingCallbacks',
    partitionKey: 'PendingCallback',
    sortKey: 'EndedAt',
    value: 'pending',
  },
  /** Open calls, least recently heard of first: what the stuck-call sweep reads. */
  openCalls: { indexName: 'OpenCalls', partitionKey: 'OpenCall', sortKey: 'LastReceivedAt', value: 'open' },
} as const;
export const REJECTED_EVENTS_KEYS = { partitionKey: 'RejectedOn', sortKey: 'RejectedKey' } as const;
export const TTL_ATTRIBUTE = 'ExpiresAt';

/** The TTL (epoch seconds) of an item kept `days` days from `from`. */
export function expiresAt(from: Date, days: number): number {
  return Math.floor(from.getTime() / 1000) + days * 86_400;
}

/** PutEvents takes at most 10 entries a call. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

/** The webhook path, under the API's stage. */
export const WEBHOOK_PATH = 'call-events';

/** Header names (lower case) the token is accepted in, besides `?token=`. */
export const TOKEN_HEADER = 'x-webhook-token';

/**
 * The EMF metrics the functions emit (Powertools) and the alarms and dashboard watch. Every
 * metric carries the `service` dimension alone; ingest outcomes are also emitted with
 * `service` + `HookType`. An alarm must name exactly one of those dimension sets.
 */
export const METRICS = {
  namespace: 'CallEvents',
  /** Powertools' service name, which it also puts in the `service` dimension. */
  service: 'call-events',
  dimensions: { service: 'service', hookType: 'HookType' },
  ingest: {
    accepted: 'Accepted',
    duplicate: 'Duplicate',
    /** Invalid JSON or contract, and bodies over the limit: all quarantined. */
    rejected: 'Rejected',
    unauthorized: 'Unauthorized',
    /** DynamoDB refused the write; the provider was answered 503. */
    storageUnavailable: 'StorageUnavailable',
    /** An unexpected failure, answered 500. */
    error: 'IngestError',
  },
  publish: { published: 'Published', failed: 'PublishFailed' },
  /** Calls records written, and calls that could not be projected (reported for retry). */
  project: {
    projected: 'CallsProjected',
    failed: 'CallProjectionFailed',
    callbacksResolved: 'CallbacksResolved',
  },
  /** Calls the sweep marked stuck. */
  sweep: { stuck: 'CallsStuck' },
} as const;
