/**
 * The call projector: for each call a CallEvents stream batch touches, read its record, then
 * its stored events, fold them (fold-call.ts) and write the new record under a condition on
 * the `Version` it read, retrying when another writer got there first. Because the record is
 * folded from the stored events, any order, re-delivery or replay gives the same record. Pure:
 * its stores, logger and metrics are passed in.
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { METRICS } from '../config/metrics';
import { expiresAt } from '../config/tables';
import { canonicalJson } from '../contract/call-event-record';
import { addCount, type Counts } from '../shared/counts';
import { isMissedCall, withCallback, withCallbackFields } from './callbacks';
import { type FoldedCall, type FoldOptions, foldCall } from './fold-call';
import { callbackFieldsOf, type SettleDeps, settleAround, settleMissedCall } from './settle-callbacks';
import type { CallEventsSource, CallsStore, StoredCall } from './store';

type LogAttributes = Record<string, unknown>;

export interface ProjectDeps {
  /** The Calls table. */
  calls: CallsStore;
  /** The CallEvents table, read per call. */
  events: CallEventsSource;
  fold: FoldOptions;
  /** Days to keep a call's record after its last event was received (the events' own retention). */
  retentionDays?: number;
  /** Hours after a missed call's end in which a call-back or the customer's own call resolves it. */
  callbackWindowHours: number;
  logger: {
    /** The batch's summary: DEBUG, below the functions' level, since the EMF counts say it. */
    debug(message: string, attributes: LogAttributes): void;
    warn(message: string, attributes: LogAttributes): void;
    error(message: string, attributes: LogAttributes): void;
  };
  metrics: Counts;
  /** The clock: a missed call whose window has passed without a call-back is `not-called-back`. @default the system clock */
  now?: () => Date;
  /** Writes tried per call before the batch item fails (each after a conflict). @default 5 */
  maxWrites?: number;
  /** Calls projected at once. @default 8 */
  concurrency?: number;
}

export type Projection = 'written' | 'unchanged' | 'no-events';

export interface ProjectionResult {
  projection: Projection;
  /** Missed calls whose callback this projection resolved (this call's own, or the customer's earlier ones). */
  resolved: number;
}

/** Another writer kept changing the record: the mapping retries the batch item later. */
export class VersionConflictError extends Error {
  override name = 'VersionConflictError';
}

/**
 * The record to write after `current`, or undefined when the fold changes nothing (so that a
 * re-delivered or replayed event writes nothing and bumps no Version). What the fold does not
 * own (`stuck`, the callback fields) and the sparse index keys come from `withCallbackFields`.
 */
export function nextCall(
  current: StoredCall | undefined,
  folded: FoldedCall,
  retentionDays?: number,
): StoredCall | undefined {
  const next: StoredCall = withCallbackFields(current, { ...folded, Version: (current?.Version ?? 0) + 1 });
  if (retentionDays !== undefined) {
    next.ExpiresAt = expiresAt(new Date(folded.LastReceivedAt), retentionDays);
  }
  if (current && canonicalJson({ ...current, Version: 0 }) === canonicalJson({ ...next, Version: 0 })) {
    return undefined;
  }
  return next;
}

/**
 * Folds one call and writes its record, retrying on a Version conflict; a missed call is written
 * with the callback fields its customer's calls give it, and settled again once written. Then
 * settles the other missed calls whose resolution the write can move (settle-callbacks.ts),
 * written or found unchanged alike, so that a retried batch settles what a failed one did not.
 */
export async function projectCall(sessionId: string, deps: ProjectDeps): Promise<ProjectionResult> {
  const maxWrites = Math.max(1, deps.maxWrites ?? 5);
  const settle: SettleDeps = {
    calls: deps.calls,
    windowHours: deps.callbackWindowHours,
    now: (deps.now ?? (() => new Date()))(),
  };
  for (let write = 1; write <= maxWrites; write++) {
    // The record first, then the events: a record written by another projector was folded
    // from events that this consistent Query then sees too, so no write goes backwards.
    const current = await deps.calls.getCall(sessionId);
    const events = await deps.events.eventsOf(sessionId);
    if (events.length === 0) return { projection: 'no-events', resolved: 0 };
    let next = nextCall(current, foldCall(events, deps.fold), deps.retentionDays);
    if (next && isMissedCall(next)) {
      const fields = await callbackFieldsOf(next, settle);
      if (fields) next = withCallback(next, fields);
    }
    if (next && !(await deps.calls.putCall(next, current?.Version))) continue;
    let resolved = 0;
    const written = next ?? current;
    // A missed call's own callback is settled again after its write, read from the index anew:
    // a call-back whose projector read the index before this record was in it is seen now
    // (each side writes, then reads, so of two at once one sees the other). Unchanged, the
    // same re-read catches an index that lagged, a window that passed.
    if (written && isMissedCall(written) && (await settleMissedCall(sessionId, settle))) resolved++;
    if (written) resolved += await settleAround(current, written, settle);
    return { projection: next ? 'written' : 'unchanged', resolved };
  }
  throw new VersionConflictError(`the record of ${sessionId} changed under ${maxWrites} writes in a row`);
}

/** Runs `work` over the items, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/**
 * Projects every call that the batch's INSERT records belong to, once per call however many of
 * its events the batch holds, and reports every record of a call that failed.
 */
export async function projectCalls(
  event: DynamoDBStreamEvent,
  deps: ProjectDeps,
): Promise<DynamoDBBatchResponse> {
  const recordsOf = new Map<string, string[]>();
  let unidentified = 0;
  for (const record of event.Records) {
    if (record.eventName !== 'INSERT') continue;
    const sessionId = record.dynamodb?.Keys?.SessionID?.S;
    const sequenceNumber = record.dynamodb?.SequenceNumber;
    if (!sessionId || !sequenceNumber) {
      unidentified++;
      continue;
    }
    recordsOf.set(sessionId, [...(recordsOf.get(sessionId) ?? []), sequenceNumber]);
  }
  if (unidentified > 0) {
    // Nothing to fold or to report per item: fail the whole batch, which the mapping bisects.
    throw new Error(`${unidentified} stream record(s) have no SessionID key or SequenceNumber`);
  }

  const counts: Record<Projection | 'failed' | 'resolved', number> = {
    resolved: 0,
    written: 0,
    unchanged: 0,
    'no-events': 0,
    failed: 0,
  };
  const failed: string[] = [];
  await eachLimited([...recordsOf.keys()], Math.max(1, deps.concurrency ?? 8), async (sessionId) => {
    try {
      const { projection, resolved } = await projectCall(sessionId, deps);
      counts[projection]++;
      counts.resolved += resolved;
      if (projection === 'no-events')
        deps.logger.warn('No stored events for a call in the stream', { SessionID: sessionId });
    } catch (error) {
      counts.failed++;
      failed.push(...(recordsOf.get(sessionId) ?? []));
      // The error's message may quote attribute values, so only its name is logged.
      deps.logger.error('Cannot project call; reporting its records as batch item failures', {
        SessionID: sessionId,
        errorName: error instanceof Error ? error.name : 'Error',
      });
    }
  });

  addCount(deps.metrics, METRICS.project.projected, counts.written);
  addCount(deps.metrics, METRICS.project.failed, counts.failed);
  addCount(deps.metrics, METRICS.project.callbacksResolved, counts.resolved);
  deps.logger.debug('Projected calls', { records: event.Records.length, calls: recordsOf.size, ...counts });
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
}
