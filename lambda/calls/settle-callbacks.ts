/**
 * Missed calls to call back, the stateful half (callbacks.ts is the pure half): after a call's
 * record is written, a pending missed call looks for a resolving call already stored, and an
 * answered call for the customer's pending missed calls it resolves; each resolution is written to
 * the missed call's record under its Version, so the Calls stream carries it and the publisher
 * turns it into MissedCallResolved. Both sides look after their own write, so of two calls
 * projected at once the later write sees the other; the sweep settles again what an eventually
 * consistent index read missed.
 */
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
import type { CallRecord } from './record';
import type { CallsStore, StoredCall } from './store';

/** What settling needs of the Calls table. */
export type CallbackStore = Pick<
  CallsStore,
  'getCall' | 'putCall' | 'customerCalls' | 'customerPendingCallbacks'
>;

const MAX_TRIES = 5;

/**
 * Writes `resolver`'s resolution of the missed call `sessionId`, reading the record again until
 * the write holds or the call no longer needs it. True when this wrote a resolution.
 */
async function resolve(
  store: CallbackStore,
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
export async function settleCallbacks(
  record: StoredCall,
  store: CallbackStore,
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
    const pending = await store.customerPendingCallbacks(record.CustomerNumber, range.from, range.to);
    let resolved = 0;
    for (const { missed } of missedCallsResolvedBy(record, pending, windowHours)) {
      if (await resolve(store, missed.SessionID, record, windowHours)) resolved++;
    }
    return resolved;
  }
  return 0;
}
