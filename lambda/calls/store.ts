/**
 * The calls layer's ports: the Calls table as the projector, the call-backs and the sweep use it,
 * and a call's stored events as the projector reads them. dynamodb-store.ts adapts both to
 * DynamoDB (and adds the tools' reads); memory-store.ts is the one in-memory stand-in, for the
 * tests and the bench.
 */
import type { CallEventRecord } from '../contract/call-event-record';
import type { CallRecord } from './record';

/** A Calls table item: the record, and its TTL when a retention is set. */
export type StoredCall = CallRecord & { ExpiresAt?: number };

export interface CallsStore {
  /** The call's record, read consistently; undefined when it has none yet. */
  getCall(sessionId: string): Promise<StoredCall | undefined>;
  /** Writes the record if the stored one still has `expectedVersion` (none: no record yet); false if not. */
  putCall(call: StoredCall, expectedVersion: number | undefined): Promise<boolean>;
  /** The customer's calls that started within [from, to] (index ByCustomerNumberV2, then each record by key), oldest first. */
  customerCalls(customerNumber: string, from: string, to: string): Promise<StoredCall[]>;
  /** The customer's missed calls, whatever their callback, that ended within [from, to] (index MissedCallsByCustomer), oldest first. */
  customerMissedCalls(customerNumber: string, from: string, to: string): Promise<StoredCall[]>;
  /** Every pending missed call (index PendingCallbacks), the longest-waiting first; optionally only those ended at or after `endedFrom`, or of one city number. */
  pendingCallbacks(options?: { endedFrom?: string; cityNumber?: string }): Promise<StoredCall[]>;
  /**
   * The keys of the open calls that may have been quiet since `cutoff` (index OpenCallsV2): every
   * open call, the earliest started first (the index is sorted by start, which does not move while
   * a call goes on; the record says when it was last heard of). During an upgrade from the earlier
   * index, sorted by `LastReceivedAt`, only those last heard of at or before `cutoff`.
   */
  openCallsBefore(cutoff: string): Promise<Pick<StoredCall, 'SessionID'>[]>;
}

export interface CallEventsSource {
  /** Every stored event of the call, read consistently, in key order. */
  eventsOf(sessionId: string): Promise<CallEventRecord[]>;
}
