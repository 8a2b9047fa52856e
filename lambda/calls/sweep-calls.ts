/**
 * The scheduled sweep over the Calls table, pure (its store, clock, logger and metrics are passed
 * in): open calls quiet for the threshold become `stuck` (each re-read and written under its
 * Version; a conflict means the call moved on), and the pending missed calls still in their window
 * are settled again, for what an eventually consistent index read let two calls miss of each other.
 */
import { METRICS } from '../config/metrics';
import { addCount, type Counts } from '../shared/counts';
import { settleMissedCall } from './settle-callbacks';
import type { CallsStore } from './store';
import { isStuck, markStuck, stuckCutoff } from './stuck';

type LogAttributes = Record<string, unknown>;

export interface SweepDeps {
  store: CallsStore;
  /** Minutes (fractions allowed) with nothing received after which an open call is stuck. */
  stuckAfterMinutes: number;
  callbackWindowHours: number;
  now?: () => Date;
  logger: { info(message: string, attributes: LogAttributes): void };
  metrics: Counts;
}

export interface SweepSummary {
  /** Calls marked stuck by this sweep. */
  stuck: number;
  /** Open calls read (every open call: the index is sorted by start, and the record says when it was last heard of), stuck now or not. */
  openChecked: number;
  /** Pending missed calls whose callback this sweep changed: resolved, or not called back within the window. */
  settled: number;
  pendingChecked: number;
}

export async function sweepCalls(deps: SweepDeps): Promise<SweepSummary> {
  const now = (deps.now ?? (() => new Date()))();
  const summary: SweepSummary = { stuck: 0, openChecked: 0, settled: 0, pendingChecked: 0 };

  for (const candidate of await deps.store.openCallsBefore(stuckCutoff(now, deps.stuckAfterMinutes))) {
    summary.openChecked++;
    // The index holds keys only, and may lag: the record itself decides.
    const record = await deps.store.getCall(candidate.SessionID);
    if (!record || !isStuck(record, now, deps.stuckAfterMinutes)) continue;
    const stuck = markStuck(record);
    if (stuck && (await deps.store.putCall(stuck, record.Version))) summary.stuck++;
  }

  // Every pending missed call: those still in their window may find the call an index read
  // missed; those past it become not-called-back and leave the index.
  const settle = { calls: deps.store, windowHours: deps.callbackWindowHours, now };
  for (const pending of await deps.store.pendingCallbacks()) {
    summary.pendingChecked++;
    if (await settleMissedCall(pending.SessionID, settle)) summary.settled++;
  }

  addCount(deps.metrics, METRICS.sweep.stuck, summary.stuck);
  addCount(deps.metrics, METRICS.project.callbacksResolved, summary.settled);
  deps.logger.info('Swept calls', { ...summary });
  return summary;
}
