/**
 * The call-level events the app publishes beside the raw HookType events, and when: a pure
 * comparison of a Calls record before and after a write (the Calls table's stream gives both
 * images). Zod-free, so the publisher's bundle carries no zod; the JSON Schemas of their
 * details come from call-record.ts.
 */
import type { CallRecord } from './call-record';

export const CALL_LEVEL_EVENTS = {
  /** A call first became `ended`; `detail` is the record. */
  completed: 'CallCompleted',
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

/**
 * The events a write of the Calls table stands for: `CallCompleted` when the call becomes
 * `ended` (from none, `open`, or any other status). A later write of an ended call (a late
 * event folded, a new Version) publishes nothing again.
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
      detail: {
        ...publicRecord(after),
        SessionID: after.SessionID,
        EventId: `${after.SessionID}/${CALL_LEVEL_EVENTS.completed}`,
      },
    });
  }
  return events;
}
