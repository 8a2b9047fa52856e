/**
 * Missed calls to call back, the pure half (settle-callbacks.ts does the lookups and writes):
 * which answered call resolves which missed call, and how a record keeps its callback fields and
 * sparse index keys across re-folds. The rule (docs/CALLS.md, "Missed calls to call back"): a
 * missed call is `pending` until an answered call with the same `CustomerNumber` starts within
 * [missed.EndedAt, missed.EndedAt + windowHours], both ends included (times have whole seconds,
 * so a call starting the second the missed one ended started after it); an outgoing resolver
 * makes it `called-back`, an incoming one `customer-called-again`; a call never resolves itself.
 */
// Types only from the schema's module, so that zod stays out of the projector's bundle.

import { HOUR_MS, isoSeconds } from '../shared/time';
import type { CallbackResolution, CallbackStatus, CallRecord } from './record';
import { CALLS_SPARSE_INDEXES } from './table';

const OPEN_CALL = CALLS_SPARSE_INDEXES.openCalls.value;
const PENDING_CALLBACK = CALLS_SPARSE_INDEXES.pendingCallbacks.value;
const RESOLVED: readonly (CallbackStatus | undefined)[] = [
  'called-back',
  'customer-called-again',
] satisfies CallbackResolution['CallbackStatus'][];

/** What a resolver must have; a Calls record has all of it. */
export type CallbackCandidate = Pick<
  CallRecord,
  'SessionID' | 'Direction' | 'Status' | 'Outcome' | 'CustomerNumber' | 'StartedAt'
>;
/** What a missed call must have; a Calls record has all of it. */
export type MissedCall = Pick<CallRecord, 'SessionID' | 'Status' | 'Outcome' | 'CustomerNumber' | 'EndedAt'>;

/** The callback fields a missed call gets: how it was resolved, else `pending` or `not-called-back`. */
export type CallbackFields = { CallbackStatus: 'pending' | 'not-called-back' } | CallbackResolution;

const CALLBACK_FIELDS = ['CallbackStatus', 'CallbackSessionID', 'CallbackAfterSeconds'] as const;

/** Ended with Outcome `missed` (and an EndedAt): a call to call back. */
export function isMissedCall(record: MissedCall): boolean {
  return record.Status === 'ended' && record.Outcome === 'missed' && record.EndedAt !== undefined;
}

/** Ended answered: a call that may resolve missed calls. */
export function isAnsweredCall(record: Pick<CallRecord, 'Status' | 'Outcome'>): boolean {
  return record.Status === 'ended' && record.Outcome === 'answered';
}

/** `CallbackStatus` is a resolution (not `pending` or `not-called-back`, not absent). */
export function isResolved(
  status: CallbackStatus | undefined,
): status is CallbackResolution['CallbackStatus'] {
  return RESOLVED.includes(status);
}

/**
 * How `candidate` resolves `missed`, or undefined when it does not: it ended `answered`, has the
 * same `CustomerNumber`, is not the missed call itself, and started within
 * [missed.EndedAt, missed.EndedAt + windowHours].
 */
export function resolves(
  missed: MissedCall,
  candidate: CallbackCandidate,
  windowHours: number,
): CallbackResolution | undefined {
  if (!isMissedCall(missed) || !isAnsweredCall(candidate)) return undefined;
  if (candidate.SessionID === missed.SessionID) return undefined;
  if (missed.CustomerNumber === undefined || candidate.CustomerNumber !== missed.CustomerNumber)
    return undefined;
  const endedAt = Date.parse(missed.EndedAt as string);
  const startedAt = Date.parse(candidate.StartedAt);
  if (!(startedAt >= endedAt && startedAt <= endedAt + windowHours * HOUR_MS)) return undefined;
  return {
    CallbackStatus: candidate.Direction === 'outgoing' ? 'called-back' : 'customer-called-again',
    CallbackSessionID: candidate.SessionID,
    CallbackAfterSeconds: Math.floor((startedAt - endedAt) / 1000),
  };
}

/** Earliest `StartedAt` first, then `SessionID`: the same resolver whatever order the calls come in. */
function byStart(a: CallbackCandidate, b: CallbackCandidate): number {
  const d = Date.parse(a.StartedAt) - Date.parse(b.StartedAt);
  return d !== 0 ? d : a.SessionID < b.SessionID ? -1 : a.SessionID > b.SessionID ? 1 : 0;
}

/**
 * The callback fields of `missed` from the customer's calls as stored, in any order: the
 * resolution by the earliest call that resolves it (earliest `StartedAt`, then smallest
 * `SessionID`); with none, `pending` while the window lasts and `not-called-back` once `now` is
 * past its end (a call may still start in the window's last second). Undefined when `missed` is
 * not a missed call.
 */
export function callbackOf(
  missed: MissedCall,
  calls: readonly CallbackCandidate[],
  windowHours: number,
  now: Date,
): CallbackFields | undefined {
  if (!isMissedCall(missed)) return undefined;
  for (const candidate of [...calls].sort(byStart)) {
    const resolution = resolves(missed, candidate, windowHours);
    if (resolution) return resolution;
  }
  const windowEnd = Date.parse(missed.EndedAt as string) + windowHours * HOUR_MS;
  return { CallbackStatus: now.getTime() > windowEnd ? 'not-called-back' : 'pending' };
}

/** The record already has exactly these callback fields. */
export function hasCallback(
  record: Partial<Pick<CallRecord, (typeof CALLBACK_FIELDS)[number]>>,
  fields: CallbackFields,
): boolean {
  const wanted = fields as Partial<Record<(typeof CALLBACK_FIELDS)[number], unknown>>;
  return CALLBACK_FIELDS.every((field) => record[field] === wanted[field]);
}

/** The StartedAt range of the calls that could resolve `missed` (for a ByCustomerNumberV2 query). */
export function candidateStartRange(
  missed: Pick<CallRecord, 'EndedAt'>,
  windowHours: number,
): { from: string; to: string } | undefined {
  if (missed.EndedAt === undefined) return undefined;
  const endedAt = Date.parse(missed.EndedAt);
  return { from: isoSeconds(endedAt), to: isoSeconds(endedAt + windowHours * HOUR_MS) };
}

/** The EndedAt range of the missed calls that a call starting at `resolver.StartedAt` could resolve (index MissedCallsByCustomer). */
export function resolvableEndRange(
  resolver: Pick<CallRecord, 'StartedAt'>,
  windowHours: number,
): { from: string; to: string } {
  const startedAt = Date.parse(resolver.StartedAt);
  return { from: isoSeconds(startedAt - windowHours * HOUR_MS), to: isoSeconds(startedAt) };
}

/** Sets the sparse index keys from `Status`, `Outcome` and `CallbackStatus`, so that they never disagree. */
export function withIndexKeys<T extends CallRecord>(record: T): T {
  const { OpenCall: _open, PendingCallback: _pending, MissedCustomerNumber: _missed, ...rest } = record;
  const customer = isMissedCall(record) ? record.CustomerNumber : undefined;
  return {
    ...rest,
    ...(record.Status === 'open' ? { OpenCall: OPEN_CALL } : {}),
    ...(record.CallbackStatus === 'pending' ? { PendingCallback: PENDING_CALLBACK } : {}),
    ...(customer !== undefined ? { MissedCustomerNumber: customer } : {}),
  } as T;
}

/** `record` with these callback fields (replacing any it had), its index keys kept consistent. */
export function withCallback<T extends CallRecord>(record: T, fields: CallbackFields): T {
  const rest: Record<string, unknown> = { ...record };
  for (const field of CALLBACK_FIELDS) delete rest[field];
  return withIndexKeys({ ...rest, ...fields } as T);
}

/** The record to write for a missed call whose callback fields become `fields`: its next Version. */
export function settledMissedCall<T extends CallRecord>(missed: T, fields: CallbackFields): T {
  return { ...withCallback(missed, fields), Version: missed.Version + 1 };
}

/**
 * What `nextCall` writes over a fresh fold (`next`), given the stored record (`current`). The
 * fold owns neither the callback fields nor `stuck`, so:
 * - a stored `stuck` call whose events still fold to `open` stays `stuck`; one that ended is `ended`;
 * - a missed call keeps the callback fields it has, and gets `pending` when it has none;
 * - a call no longer missed (a late End shows it was answered) loses them;
 * - `OpenCall` and `PendingCallback` follow `Status` and `CallbackStatus`.
 */
export function withCallbackFields<T extends CallRecord>(current: CallRecord | undefined, next: T): T {
  const status = current?.Status === 'stuck' && next.Status === 'open' ? 'stuck' : next.Status;
  const rest: Record<string, unknown> = { ...next, Status: status };
  for (const field of CALLBACK_FIELDS) delete rest[field];
  const record = rest as T;
  if (!isMissedCall(record)) return withIndexKeys(record);
  const kept: Partial<CallRecord> = {};
  for (const field of CALLBACK_FIELDS) {
    const value = current?.[field];
    if (value !== undefined) Object.assign(kept, { [field]: value });
  }
  return withIndexKeys({ ...record, CallbackStatus: 'pending', ...kept });
}
