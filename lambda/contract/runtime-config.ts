/**
 * Names and defaults that the stack sets and the functions read: environment variables,
 * table key names, the TTL attribute, limits. The stack, the handlers and local mode all
 * take them from here, so a rename cannot drift.
 */
export const INGEST_ENV = {
  callEventsTable: 'CALL_EVENTS_TABLE',
  rejectedEventsTable: 'REJECTED_EVENTS_TABLE',
  /** ARN of the Secrets Manager secret holding the webhook token (deployed default). */
  tokenSecretArn: 'WEBHOOK_TOKEN_SECRET_ARN',
  /** Hex SHA-256 of the webhook token (the no-secret alternative). */
  tokenSha256: 'WEBHOOK_TOKEN_SHA256',
  timeZone: 'CALL_TIME_ZONE',
  maxBodyBytes: 'MAX_BODY_BYTES',
  retentionDays: 'CALL_EVENTS_RETENTION_DAYS',
  rejectedRetentionDays: 'REJECTED_RETENTION_DAYS',
} as const;

export const PUBLISH_ENV = {
  eventBusName: 'EVENT_BUS_NAME',
  eventSource: 'EVENT_SOURCE',
} as const;

export const DEFAULTS = {
  timeZone: 'Europe/Moscow',
  eventSource: 'telephony.call-events',
  /** The provider's events are a few hundred bytes; anything near this is not one of them. */
  maxBodyBytes: 32_768,
  rejectedRetentionDays: 90,
} as const;

/** Largest body limit for which an item (its fields plus RawBody) still fits DynamoDB's 400 KB. */
export const MAX_BODY_BYTES_LIMIT = 131_072;

export const CALL_EVENTS_KEYS = { partitionKey: 'SessionID', sortKey: 'EventKey' } as const;
export const REJECTED_EVENTS_KEYS = { partitionKey: 'RejectedOn', sortKey: 'RejectedKey' } as const;
export const TTL_ATTRIBUTE = 'ExpiresAt';

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
} as const;
