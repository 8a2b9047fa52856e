/**
 * The call-level events the app publishes beside the raw HookType events, and when: a pure
 * comparison of a Calls record before and after a write (the Calls table's stream gives both
 * images). Zod-free, so the publisher's bundle carries no zod; the JSON Schemas of their
 * details come from call-record.ts.
 */

import { isoSeconds } from '../shared/time';
import type { CallbackStatus, CallRecord } from './record';

export const CALL_LEVEL_EVENTS = {
  /** A call first became `ended`; `detail` is the record. */
  completed: 'CallCompleted',
  /** A missed call was called back, or the customer called again and was answered; `detail` is the resolution. */
  missedCallResolved: 'MissedCallResolved',
  /** An open call with nothing received for too long was marked `stuck`; `detail` is the record. */
  stuck: 'CallStuck',
} as const;

export type CallLevelEventType = (typeof CALL_LEVEL_EVENTS)[keyof typeof CALL_LEVEL_EVENTS];

export interface CallLevelEvent {
  detailType: CallLevelEventType;
  /** The event's own time, UTC ISO-8601. */
  time: string;
  /** What consumers get: `EventId` is `<SessionID>/<detail-type>`, the same on every re-delivery. */
  detail: Record<string, unknown> & { SessionID: string; EventId: string };
}

/** The record as consumers see it: without the table's own TTL attribute. */
function publicRecord(record: CallRecord & { ExpiresAt?: number }): Record<string, unknown> {
  const { ExpiresAt: _ttl, ...rest } = record;
  return rest;
}

const isResolved = (status: CallbackStatus | undefined) =>
  status === 'called-back' || status === 'customer-called-again';

/** The record as a detail: the record, and its stable EventId. */
function recordDetail(record: CallRecord, detailType: CallLevelEventType): CallLevelEvent['detail'] {
  return {
    ...publicRecord(record),
    SessionID: record.SessionID,
    EventId: `${record.SessionID}/${detailType}`,
  };
}

/**
 * The events a write of the Calls table stands for, each on the transition only, so a later
 * write (a late event folded, a new Version) publishes nothing again:
 * - `CallCompleted` when the call becomes `ended` (from none, `open` or `stuck`); time: `EndedAt`;
 * - `MissedCallResolved` when `CallbackStatus` becomes a resolution (from none or `pending`);
 *   time: when the resolving call started (`EndedAt` + `CallbackAfterSeconds`);
 * - `CallStuck` when the call becomes `stuck`; time: `LastReceivedAt`.
 * A record that is created already missed and resolved (the resolving call was stored first)
 * gives both CallCompleted and MissedCallResolved.
 */
export function callLevelEvents(
  after: CallRecord | undefined,
  before: CallRecord | undefined,
): CallLevelEvent[] {
  const events: CallLevelEvent[] = [];
  if (after?.Status === 'ended' && before?.Status !== 'ended' && after.EndedAt !== undefined) {
    events.push({
      detailType: CALL_LEVEL_EVENTS.completed,
      time: after.EndedAt,
      detail: recordDetail(after, CALL_LEVEL_EVENTS.completed),
    });
  }
  if (
    after !== undefined &&
    isResolved(after.CallbackStatus) &&
    !isResolved(before?.CallbackStatus) &&
    after.EndedAt !== undefined &&
    after.CallbackSessionID !== undefined &&
    after.CallbackAfterSeconds !== undefined
  ) {
    const type = CALL_LEVEL_EVENTS.missedCallResolved;
    events.push({
      detailType: type,
      time: isoSeconds(Date.parse(after.EndedAt) + after.CallbackAfterSeconds * 1000),
      detail: {
        SessionID: after.SessionID,
        CallbackStatus: after.CallbackStatus,
        CallbackSessionID: after.CallbackSessionID,
        CallbackAfterSeconds: after.CallbackAfterSeconds,
        ...(after.CustomerNumber === undefined ? {} : { CustomerNumber: after.CustomerNumber }),
        EventId: `${after.SessionID}/${type}`,
      },
    });
  }
  if (after?.Status === 'stuck' && before?.Status !== 'stuck') {
    events.push({
      detailType: CALL_LEVEL_EVENTS.stuck,
      time: after.LastReceivedAt,
      detail: recordDetail(after, CALL_LEVEL_EVENTS.stuck),
    });
  }
  return events;
}
