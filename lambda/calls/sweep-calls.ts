/**
 * The scheduled sweep over the Calls table: calls that never ended, and missed calls whose
 * resolution a lookup missed. Pure: its store, clock, logger and metrics are passed in.
 *
 * - Stuck calls: open calls last heard of at least `stuckAfterMinutes` ago (index OpenCalls),
 *   each re-read consistently, checked (stuck.ts) and written `stuck` under its Version; a
 *   conflict means the call moved on, so it is left for the next sweep. The CallStuck event
 *   then comes from the Calls stream.
 * - Pending missed calls still inside their window (index PendingCallbacks) are settled again
 *   (settle-callbacks.ts): index reads are eventually consistent, so a missed call and its
 *   resolver projected at the same moment may not have seen each other.
 */
import type { CallRecord } from '../contract/call-record';
import { METRICS } from '../contract/runtime-config';
import { type CallbackStore, settleCallbacks } from './settle-callbacks';
import { isStuck, markStuck, stuckCutoff } from './stuck';

export interface SweepStore extends CallbackStore {
  /** Open calls last heard of at or before `cutoff` (index OpenCalls), oldest first. */
  openCallsBefore(cutoff: string): Promise<CallRecord[]>;
  /** Pending missed calls that ended at or after `from` (index PendingCallbacks), oldest first. */
  pendingSince(from: string): Promise<CallRecord[]>;
}

type LogAttributes = Record<string, unknown>;

export interface SweepDeps {
  store: SweepStore;
  /** Minutes (fractions allowed) with nothing received after which an open call is stuck. */
  stuckAfterMinutes: number;
  callbackWindowHours: number;
  now?: () => Date;
  logger: { info(message: string, attributes: LogAttributes): void };
  metrics: { addMetric(name: string, unit: 'Count', value: number): void };
}

export interface SweepSummary {
  /** Calls marked stuck by this sweep. */
  stuck: number;
  /** Open calls read past the threshold, stuck now or not. */
  openChecked: number;
  /** Missed calls this sweep resolved. */
  resolved: number;
  pendingChecked: number;
}

const HOUR_MS = 3_600_000;

export async function sweepCalls(deps: SweepDeps): Promise<SweepSummary> {
  const now = (deps.now ?? (() => new Date()))();
  const summary: SweepSummary = { stuck: 0, openChecked: 0, resolved: 0, pendingChecked: 0 };

  for (const candidate of await deps.store.openCallsBefore(stuckCutoff(now, deps.stuckAfterMinutes))) {
    summary.openChecked++;
    // The index may lag: the record itself decides.
    const record = await deps.store.getCall(candidate.SessionID);
    if (!record || !isStuck(record, now, deps.stuckAfterMinutes)) continue;
    const stuck = markStuck(record);
    if (stuck && (await deps.store.putCall(stuck, record.Version))) summary.stuck++;
  }

  const windowStart = new Date(now.getTime() - deps.callbackWindowHours * HOUR_MS).toISOString();
  for (const pending of await deps.store.pendingSince(windowStart)) {
    summary.pendingChecked++;
    summary.resolved += await settleCallbacks(pending, deps.store, deps.callbackWindowHours);
  }

  deps.metrics.addMetric(METRICS.sweep.stuck, 'Count', summary.stuck);
  deps.metrics.addMetric(METRICS.project.callbacksResolved, 'Count', summary.resolved);
  deps.logger.info('Swept calls', { ...summary });
  return summary;
}
