/**
 * Missed calls to call back, the stateful half (callbacks.ts is the pure half): a missed call's
 * callback fields are a function of all the stored calls of its customer, so whenever a call is
 * written, every missed call whose resolution that write can move is settled again: the missed
 * call itself, and the customer's missed calls that ended within the window before the call's
 * start, before and after the write (a new resolver, an earlier one, one whose start moved, one
 * that turned out not to qualify). Each is re-read and written under its Version, retried on a
 * conflict, so concurrent projectors never lose a correction; the sweep settles the pending ones
 * again, for what an eventually consistent index read let two calls miss of each other.
 */
import {
  type CallbackFields,
  callbackOf,
  candidateStartRange,
  hasCallback,
  isAnsweredCall,
  isMissedCall,
  resolvableEndRange,
  settledMissedCall,
} from './callbacks';
import type { CallsStore, StoredCall } from './store';

/** What settling needs of the Calls table. */
export type CallbackStore = Pick<CallsStore, 'getCall' | 'putCall' | 'customerCalls' | 'customerMissedCalls'>;

export interface SettleDeps {
  calls: CallbackStore;
  /** Hours after a missed call's end in which a call-back or the customer's own call resolves it. */
  windowHours: number;
  /** When the settling happens: a window that has passed makes a pending call `not-called-back`. */
  now: Date;
}

const MAX_TRIES = 5;

/**
 * The callback fields `missed` gets from its customer's calls as stored; `latest`, a record just
 * written, stands in for its copy in the index, which may not show the write yet.
 */
export async function callbackFieldsOf(
  missed: StoredCall,
  deps: SettleDeps,
  latest?: StoredCall,
): Promise<CallbackFields | undefined> {
  const range = candidateStartRange(missed, deps.windowHours);
  if (!isMissedCall(missed) || missed.CustomerNumber === undefined || !range)
    return callbackOf(missed, [], deps.windowHours, deps.now);
  let candidates = await deps.calls.customerCalls(missed.CustomerNumber, range.from, range.to);
  if (latest) {
    candidates = candidates.filter((c) => c.SessionID !== latest.SessionID);
    if (latest.CustomerNumber === missed.CustomerNumber) candidates.push(latest);
  }
  return callbackOf(missed, candidates, deps.windowHours, deps.now);
}

/**
 * Reads the missed call `sessionId` and writes the callback fields its customer's calls give it,
 * under its Version, reading again on a conflict. True when this wrote.
 */
export async function settleMissedCall(
  sessionId: string,
  deps: SettleDeps,
  latest?: StoredCall,
): Promise<boolean> {
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    const missed = await deps.calls.getCall(sessionId);
    if (!missed || !isMissedCall(missed)) return false;
    const fields = await callbackFieldsOf(missed, deps, latest);
    if (!fields || hasCallback(missed, fields)) return false;
    if (await deps.calls.putCall(settledMissedCall(missed, fields), missed.Version)) return true;
  }
  throw new Error(`the record of ${sessionId} kept changing while settling its callback`);
}

/**
 * After `after` was written over `before` (undefined: the call had no record), settles every
 * other missed call whose resolution the change can move: those of the customer (before and
 * after, should the number have changed) that ended within the window before the call's start,
 * when the call is or was answered. The count of records written.
 */
export async function settleAround(
  before: StoredCall | undefined,
  after: StoredCall,
  deps: SettleDeps,
): Promise<number> {
  // One lookup per customer and start: a write that moved neither (a late event) queries once.
  const lookups = new Map<string, { customer: string; from: string; to: string }>();
  for (const call of [before, after]) {
    if (!call || !isAnsweredCall(call) || call.CustomerNumber === undefined) continue;
    const range = resolvableEndRange(call, deps.windowHours);
    lookups.set(`${call.CustomerNumber} ${call.StartedAt}`, { customer: call.CustomerNumber, ...range });
  }
  const missedIds = new Set<string>();
  for (const { customer, from, to } of lookups.values())
    for (const missed of await deps.calls.customerMissedCalls(customer, from, to))
      if (missed.SessionID !== after.SessionID) missedIds.add(missed.SessionID);
  let written = 0;
  for (const id of [...missedIds].sort()) if (await settleMissedCall(id, deps, after)) written++;
  return written;
}
