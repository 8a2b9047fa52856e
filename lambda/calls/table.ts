/**
 * The Calls table's key and indexes: the stack creates them (lib/constructs/call-event-store.ts),
 * the calls layer's read model (dynamodb-store.ts) queries them, and the record keeps the sparse
 * indexes' key attributes right (callbacks.ts `withIndexKeys`).
 *
 * Each index projects only what the queries that run at every event read: a record is rewritten
 * at each event, and an index that projects an attribute the write changed is written too (one
 * write unit or more each). The tools, which need whole records, read them by key after the
 * index (dynamodb-store.ts). index-upgrade.ts takes a stack deployed with the earlier indexes,
 * which projected every attribute, to these, one index a deploy.
 */

export const CALLS_KEYS = { partitionKey: 'SessionID' } as const;

/** What an index copies of the record besides the keys: everything, or nothing. */
export type CallsIndexProjection = { type: 'ALL' } | { type: 'KEYS_ONLY' };

export interface CallsIndex {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly projection: CallsIndexProjection;
}

const ALL = { type: 'ALL' } as const;
const KEYS_ONLY = { type: 'KEYS_ONLY' } as const;

/** The Calls table's global secondary indexes: a customer's calls, a public number's calls, a day's calls, by start; a customer's missed calls, by end. */
export const CALLS_INDEXES = {
  /**
   * Keys only, like the next two: read at every event only for a missed call's call-back (the
   * candidates' records are then read by key), while a copy of the call-back fields would be
   * written again when each call ends.
   */
  byCustomerNumber: {
    indexName: 'ByCustomerNumberV2',
    partitionKey: 'CustomerNumber',
    sortKey: 'StartedAt',
    projection: KEYS_ONLY,
  },
  byCityNumber: {
    indexName: 'ByCityNumberV2',
    partitionKey: 'CityNumber',
    sortKey: 'StartedAt',
    projection: KEYS_ONLY,
  },
  /** Every call of a local day (the report's reads when no public number is chosen). */
  byDay: { indexName: 'ByDayV2', partitionKey: 'Day', sortKey: 'StartedAt', projection: KEYS_ONLY },
  /**
   * A customer's missed calls, by end, whatever their callback: sparse (only a missed call has
   * `MissedCustomerNumber`), where a customer's later call finds the missed calls it may resolve.
   * Whole records: a missed call's record is rarely rewritten once it is in the index.
   */
  missedByCustomer: {
    indexName: 'MissedCallsByCustomer',
    partitionKey: 'MissedCustomerNumber',
    sortKey: 'EndedAt',
    projection: ALL,
  },
} as const satisfies Record<string, CallsIndex>;

/**
 * The sparse indexes: an item is in one only while it has the index's key attribute, which then
 * holds `value`. The stack creates these and CALLS_INDEXES alike.
 */
export const CALLS_SPARSE_INDEXES = {
  /** Missed calls waiting for a callback, oldest end first (whole records: `missed` lists them). */
  pendingCallbacks: {
    indexName: 'PendingCallbacks',
    partitionKey: 'PendingCallback',
    sortKey: 'EndedAt',
    value: 'pending',
    projection: ALL,
  },
  /**
   * Open calls, the earliest started first: what the stuck-call sweep reads, then each record.
   * Sorted by a key that does not move while the call goes on, so the index is written when the
   * call opens and when it ends, not at every event.
   */
  openCalls: {
    indexName: 'OpenCallsV2',
    partitionKey: 'OpenCall',
    sortKey: 'StartedAt',
    value: 'open',
    projection: KEYS_ONLY,
  },
} as const satisfies Record<string, CallsIndex & { value: string }>;

/** The indexes whose name the upgrade (index-upgrade.ts) moves: these four changed on 2026-12-04. */
export type ReplacedCallsIndex = 'byCustomerNumber' | 'byCityNumber' | 'byDay' | 'openCalls';

/** The indexes as a stack deployed before 2026-12-04 has them: every attribute projected. */
export const EARLIER_CALLS_INDEXES: Record<ReplacedCallsIndex, CallsIndex> = {
  byCustomerNumber: {
    indexName: 'ByCustomerNumber',
    partitionKey: 'CustomerNumber',
    sortKey: 'StartedAt',
    projection: ALL,
  },
  byCityNumber: {
    indexName: 'ByCityNumber',
    partitionKey: 'CityNumber',
    sortKey: 'StartedAt',
    projection: ALL,
  },
  byDay: { indexName: 'ByDay', partitionKey: 'Day', sortKey: 'StartedAt', projection: ALL },
  openCalls: { indexName: 'OpenCalls', partitionKey: 'OpenCall', sortKey: 'LastReceivedAt', projection: ALL },
};

/** The physical index each replaced index is read through; the current ones unless an upgrade is under way. */
export type CallsIndexNames = Record<ReplacedCallsIndex, CallsIndex>;

export const CURRENT_CALLS_INDEXES: CallsIndexNames = {
  byCustomerNumber: CALLS_INDEXES.byCustomerNumber,
  byCityNumber: CALLS_INDEXES.byCityNumber,
  byDay: CALLS_INDEXES.byDay,
  openCalls: CALLS_SPARSE_INDEXES.openCalls,
};
