/**
 * The Calls table and a call's stored events in memory: the one stand-in of the calls layer's
 * ports (store.ts), for the unit tests and the bench, which run the product's own projector and
 * sweep over it. It keeps what the code relies on of DynamoDB: a write's condition on `Version`,
 * the sparse indexes (an item is in PendingCallbacks only while it has `PendingCallback`, in
 * OpenCallsV2 only while it has `OpenCall`, in MissedCallsByCustomer only while it has
 * `MissedCustomerNumber`), the indexes' order by their sort key, the open calls' index holding
 * keys only, and copies in and out, so that a caller never shares an object with the table. No function bundles it.
 */
import type { CallEventRecord } from '../contract/call-event-record';
import type { CallEventsSource, CallsStore, StoredCall } from './store';
import { CALLS_SPARSE_INDEXES } from './table';

const PENDING = CALLS_SPARSE_INDEXES.pendingCallbacks.value;
const OPEN = CALLS_SPARSE_INDEXES.openCalls.value;

/** By the index's sort key, then SessionID: one order whatever the order of writing. */
const by =
  (sortKey: (call: StoredCall) => string) =>
  (a: StoredCall, b: StoredCall): number => {
    const x = sortKey(a);
    const y = sortKey(b);
    return x < y ? -1 : x > y ? 1 : a.SessionID < b.SessionID ? -1 : a.SessionID > b.SessionID ? 1 : 0;
  };
const byStart = by((c) => c.StartedAt);
const byEnd = by((c) => c.EndedAt ?? '');

export class MemoryCallsStore implements CallsStore, CallEventsSource {
  /** The table: the latest record of each call. */
  readonly calls = new Map<string, StoredCall>();
  /** Every record written, in order: what the table's stream would carry. */
  readonly writes: StoredCall[] = [];
  private readonly events = new Map<string, Map<string, CallEventRecord>>();
  private readonly byCustomer = new Map<string, Set<string>>();

  /** A table that already holds these records (each the latest of its call). */
  constructor(records: Iterable<StoredCall> = []) {
    for (const record of records) this.store(record);
  }

  /** Stores events as the ingest does: one item per SessionID and EventKey. */
  addEvents(...events: readonly CallEventRecord[]): void {
    for (const event of events) {
      const ofCall = this.events.get(event.SessionID) ?? new Map<string, CallEventRecord>();
      ofCall.set(event.EventKey, structuredClone(event));
      this.events.set(event.SessionID, ofCall);
    }
  }

  async eventsOf(sessionId: string): Promise<CallEventRecord[]> {
    const ofCall = [...(this.events.get(sessionId)?.values() ?? [])];
    return ofCall.sort((a, b) => (a.EventKey < b.EventKey ? -1 : 1)).map((e) => structuredClone(e));
  }

  async getCall(sessionId: string): Promise<StoredCall | undefined> {
    const call = this.calls.get(sessionId);
    return call && structuredClone(call);
  }

  async putCall(call: StoredCall, expectedVersion: number | undefined): Promise<boolean> {
    if (this.calls.get(call.SessionID)?.Version !== expectedVersion) return false;
    this.store(call);
    this.writes.push(structuredClone(call));
    return true;
  }

  private store(call: StoredCall): void {
    const previous = this.calls.get(call.SessionID)?.CustomerNumber;
    if (previous !== undefined && previous !== call.CustomerNumber)
      this.byCustomer.get(previous)?.delete(call.SessionID);
    this.calls.set(call.SessionID, structuredClone(call));
    if (call.CustomerNumber !== undefined) {
      const ids = this.byCustomer.get(call.CustomerNumber) ?? new Set<string>();
      ids.add(call.SessionID);
      this.byCustomer.set(call.CustomerNumber, ids);
    }
  }

  private ofCustomer(customerNumber: string): StoredCall[] {
    return [...(this.byCustomer.get(customerNumber) ?? [])].map((id) => this.calls.get(id) as StoredCall);
  }

  private copies(calls: StoredCall[], order: (a: StoredCall, b: StoredCall) => number): StoredCall[] {
    return calls.sort(order).map((call) => structuredClone(call));
  }

  async customerCalls(customerNumber: string, from: string, to: string): Promise<StoredCall[]> {
    const calls = this.ofCustomer(customerNumber).filter((c) => c.StartedAt >= from && c.StartedAt <= to);
    return this.copies(calls, byStart);
  }

  async customerMissedCalls(customerNumber: string, from: string, to: string): Promise<StoredCall[]> {
    const calls = [...this.calls.values()].filter(
      (c) =>
        c.MissedCustomerNumber === customerNumber &&
        c.EndedAt !== undefined &&
        c.EndedAt >= from &&
        c.EndedAt <= to,
    );
    return this.copies(calls, byEnd);
  }

  async pendingCallbacks(options: { endedFrom?: string; cityNumber?: string } = {}): Promise<StoredCall[]> {
    const calls = [...this.calls.values()].filter(
      (c) =>
        c.PendingCallback === PENDING &&
        c.EndedAt !== undefined &&
        (options.endedFrom === undefined || c.EndedAt >= options.endedFrom) &&
        (options.cityNumber === undefined || c.CityNumber === options.cityNumber),
    );
    return this.copies(calls, byEnd);
  }

  /** Every open call's key, as the index (KEYS_ONLY, sorted by StartedAt) gives them; `cutoff` is the record's to judge. */
  async openCallsBefore(_cutoff: string): Promise<Pick<StoredCall, 'SessionID'>[]> {
    const calls = [...this.calls.values()].filter((c) => c.OpenCall === OPEN);
    return calls.sort(byStart).map((c) => ({ SessionID: c.SessionID }));
  }
}
