/**
 * Calls that never ended: the stuck-call rule, pure. A call is stuck when its `Status` is
 * `open` and nothing has been received for it for `stuckAfterMinutes` (the setting
 * `stuckCallAfterMinutes`): usually an End the provider never delivered.
 *
 * How the sweep uses this: Query the sparse index OpenCalls (`OpenCall` = `open`) for
 * `LastReceivedAt` ≤ `stuckCutoff(now, minutes)`, check each item with `isStuck` (the index's
 * text order and the record's instants may differ by milliseconds), and write
 * `markStuck(record)` under the record's Version; a conflict means the call moved on, so the
 * sweep skips it. The CallStuck event then comes from the Calls stream (call-level-events.ts).
 * A stuck call whose End arrives later is folded `ended` by the projector and gets its
 * CallCompleted (callbacks.ts `withCallbackFields`).
 */
import type { CallRecord } from '../contract/call-record';
import { withIndexKeys } from './callbacks';

const MINUTE_MS = 60_000;

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
 * The record to write for a stuck call: `Status` `stuck`, no `OpenCall` (it leaves the OpenCalls
 * index), the next Version; everything else as it was. Undefined when the record is not open.
 */
export function markStuck<T extends CallRecord>(record: T): T | undefined {
  if (record.Status !== 'open') return undefined;
  return withIndexKeys({ ...record, Status: 'stuck', Version: record.Version + 1 });
}
