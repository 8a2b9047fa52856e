/**
 * The Calls table's key and indexes: the stack creates them (lib/constructs/call-event-store.ts),
 * the calls layer's read model (dynamodb-store.ts) queries them, and the record keeps the sparse
 * indexes' key attributes right (callbacks.ts `withIndexKeys`).
 */

export const CALLS_KEYS = { partitionKey: 'SessionID' } as const;

/** The Calls table's global secondary indexes: a customer's calls, a public number's calls, a day's calls, by start; a customer's missed calls, by end. */
export const CALLS_INDEXES = {
  byCustomerNumber: { indexName: 'ByCustomerNumber', partitionKey: 'CustomerNumber', sortKey: 'StartedAt' },
  byCityNumber: { indexName: 'ByCityNumber', partitionKey: 'CityNumber', sortKey: 'StartedAt' },
  /** Every call of a local day (the report's reads when no public number is chosen). */
  byDay: { indexName: 'ByDay', partitionKey: 'Day', sortKey: 'StartedAt' },
  /**
   * A customer's missed calls, by end, whatever their callback: sparse (only a missed call has
   * `MissedCustomerNumber`), where a customer's later call finds the missed calls it may resolve.
   */
  missedByCustomer: {
    indexName: 'MissedCallsByCustomer',
    partitionKey: 'MissedCustomerNumber',
    sortKey: 'EndedAt',
  },
} as const;

/**
 * The sparse indexes: an item is in one only while it has the index's key attribute, which then
 * holds `value`. The stack creates these and CALLS_INDEXES alike.
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

export type CallsIndex =
  | (typeof CALLS_INDEXES)[keyof typeof CALLS_INDEXES]
  | (typeof CALLS_SPARSE_INDEXES)[keyof typeof CALLS_SPARSE_INDEXES];
