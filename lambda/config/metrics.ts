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
  /** The CRM consumer: calls and incoming leads added, refusals, retries, a refused token, later completions. */
  crm: {
    delivered: 'CrmCallsDelivered',
    leads: 'CrmLeadsCreated',
    refused: 'CrmCallsRefused',
    retried: 'CrmRequestsRetried',
    unauthorized: 'CrmTokenRefused',
    later: 'CrmLaterCompletions',
  },
} as const;
