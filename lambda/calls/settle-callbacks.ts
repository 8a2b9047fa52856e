/**
 * The stateful half of missed-call resolution (callbacks.ts is the pure half): after a call's
 * record is written, look for what it settles. A pending missed call looks for a resolving call
 * already stored (the out-of-order case); an answered call looks for the customer's pending
 * missed calls it resolves. Each resolution is written to the missed call's record under its
 * Version, re-read and re-checked on a conflict; the Calls stream then carries the change, and
 * the publisher turns it into MissedCallResolved.
 *
 * Both sides look after their own write, so when a missed call and its resolver are projected
 * at once, the later of the two writes sees the other. Index reads are eventually consistent;
 * the scheduled sweep settles pending missed calls again (sweep-calls.ts) for what a lookup missed.
 */
import type { CallRecord } from '../contract/call-record';
import {
  candidateStartRange,
  initialCallback,
  isAnsweredCall,
  isMissedCall,
  missedCallsResolvedBy,
  resolvableEndRange,
  resolveMissedCall,
  resolves,
} from './callbacks';

/** What settling needs of the Calls table. */
export interface CallbackStore<R extends CallRecord = CallRecord> {
  /** The call's record, read consistently. */
  getCall(sessionId: string): Promise<R | undefined>;
  /** Writes the record if the stored one still has `expectedVersion`; false if not. */
  putCall(call: R, expectedVersion: number | undefined): Promise<boolean>;
  /** The customer's calls that started within [from, to] (index ByCustomerNumber). */
  customerCalls(customerNumber: string, from: string, to: string): Promise<R[]>;
  /** The customer's pending missed calls that ended within [from, to] (index PendingCallbacks). */
  pendingMissedCalls(customerNumber: string, from: string, to: string): Promise<R[]>;
}

const MAX_TRIES = 5;

/**
 * Writes `resolver`'s resolution of the missed call `sessionId`, reading the record again until
 * the write holds or the call no longer needs it. True when this wrote a resolution.
 */
async function resolve<R extends CallRecord>(
  store: CallbackStore<R>,
  sessionId: string,
  resolver: CallRecord,
  windowHours: number,
): Promise<boolean> {
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    const missed = await store.getCall(sessionId);
    if (missed?.CallbackStatus !== 'pending') return false;
    const resolution = resolves(missed, resolver, windowHours);
    if (!resolution) return false;
    if (await store.putCall(resolveMissedCall(missed, resolution), missed.Version)) return true;
  }
  throw new Error(`the record of ${sessionId} kept changing while resolving its callback`);
}

/** Settles what `record` (just written, or found unchanged) resolves or is resolved by; the count of resolutions written. */
export async function settleCallbacks<R extends CallRecord>(
  record: R,
  store: CallbackStore<R>,
  windowHours: number,
): Promise<number> {
  if (isMissedCall(record) && record.CallbackStatus === 'pending' && record.CustomerNumber) {
    const range = candidateStartRange(record, windowHours);
    if (!range) return 0;
    const candidates = await store.customerCalls(record.CustomerNumber, range.from, range.to);
    const fields = initialCallback(record, candidates, windowHours);
    if (!fields || fields.CallbackStatus === 'pending') return 0;
    const resolver = candidates.find((c) => c.SessionID === fields.CallbackSessionID);
    return resolver && (await resolve(store, record.SessionID, resolver, windowHours)) ? 1 : 0;
  }
  if (isAnsweredCall(record) && record.CustomerNumber) {
    const range = resolvableEndRange(record, windowHours);
    const pending = await store.pendingMissedCalls(record.CustomerNumber, range.from, range.to);
    let resolved = 0;
    for (const { missed } of missedCallsResolvedBy(record, pending, windowHours)) {
      if (await resolve(store, missed.SessionID, record, windowHours)) resolved++;
    }
    return resolved;
  }
  return 0;
}
