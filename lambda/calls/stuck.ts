/**
 * Calls that never ended, pure: a call is stuck when it is `open` and nothing has been received
 * for it for `stuckCallAfterMinutes` (usually an End the provider never delivered). The sweep
 * finds candidates in the OpenCallsV2 index, checks each record with `isStuck` and writes
 * `markStuck(record)` under its Version; CallStuck then comes from the Calls stream, and a late
 * End still ends the call (callbacks.ts `withCallbackFields`).
 */
import { MINUTE_MS } from '../shared/time';
import { withIndexKeys } from './callbacks';
import type { CallRecord } from './record';

/**
 * True when `record` is `open` and its `LastReceivedAt` is at least `stuckAfterMinutes` before
 * `now` (exactly the threshold counts).
 */
export function isStuck(
  record: Pick<CallRecord, 'Status' | 'LastReceivedAt'>,
  now: Date,
  stuckAfterMinutes: number,
): boolean {
  const last = Date.parse(record.LastReceivedAt);
  return (
    record.Status === 'open' && !Number.isNaN(last) && now.getTime() - last >= stuckAfterMinutes * MINUTE_MS
  );
}

/** The latest `LastReceivedAt` that is stuck at `now` (ISO, with milliseconds): the sweep's key condition. */
export function stuckCutoff(now: Date, stuckAfterMinutes: number): string {
  return new Date(now.getTime() - stuckAfterMinutes * MINUTE_MS).toISOString();
}

/**
 * The record to write for a stuck call: `Status` `stuck`, no `OpenCall` (it leaves the OpenCallsV2
 * index), the next Version; everything else as it was. Undefined when the record is not open.
 */
export function markStuck<T extends CallRecord>(record: T): T | undefined {
  if (record.Status !== 'open') return undefined;
  return withIndexKeys({ ...record, Status: 'stuck', Version: record.Version + 1 });
}
