/**
 * The call-level events the app publishes beside the raw HookType events, and when: a pure
 * comparison of a Calls record before and after a write (the Calls table's stream gives both
 * images), so the events follow the record: each change of a finished call's Outcome, and each
 * change of a missed call's callback, is published once, with an `EventId` derived from the state
 * it announces, so that a re-publication of the same state is one consumers drop and a real
 * change is not. Zod-free, so the publisher's bundle carries no zod; the JSON Schemas of their
 * details are in json-schemas.ts.
 */
import { isoSeconds } from '../shared/time';
import type { CallRecord } from './record';

export const CALL_LEVEL_EVENTS = {
  /** A call became `ended`, or an ended call's Outcome changed; `detail` is the record (and `PreviousOutcome`). */
  completed: 'CallCompleted',
  /** A missed call was called back, or the customer called again and was answered, or another call turned out to resolve it. */
  missedCallResolved: 'MissedCallResolved',
  /** A missed call is pending again: the call that resolved it turned out not to, or its window reopened. */
  missedCallReopened: 'MissedCallReopened',
  /** A missed call's callback window passed without a call that resolves it. */
  missedCallNotCalledBack: 'MissedCallNotCalledBack',
  /** An open call with nothing received for too long was marked `stuck`; `detail` is the record. */
  stuck: 'CallStuck',
} as const;

export type CallLevelEventType = (typeof CALL_LEVEL_EVENTS)[keyof typeof CALL_LEVEL_EVENTS];

export interface CallLevelEvent {
  detailType: CallLevelEventType;
  /** The event's own time, UTC ISO-8601. */
  time: string;
  /** What consumers get: `EventId` names the state announced, the same on every re-delivery of it. */
  detail: Record<string, unknown> & { SessionID: string; EventId: string };
}

/** The record as consumers see it: without the table's own TTL attribute. */
function publicRecord(record: CallRecord & { ExpiresAt?: number }): Record<string, unknown> {
  const { ExpiresAt: _ttl, ...rest } = record;
  return rest;
}

/**
 * The statuses a record must have after a write for the write to stand for any call-level event
 * (every event below needs the call ended or stuck): the publisher's mapping of the Calls stream
 * is filtered on them, so the writes of a call still open (most of them) invoke nothing.
 */
export const PUBLISHING_STATUSES = ['ended', 'stuck'] as const satisfies readonly CallRecord['Status'][];

const isEnded = (record: CallRecord | undefined): record is CallRecord => record?.Status === 'ended';
const isMissed = (record: CallRecord | undefined): record is CallRecord =>
  isEnded(record) && record.Outcome === 'missed' && record.EndedAt !== undefined;

/** The missed call's resolution, when it is missed and resolved. */
function resolutionOf(record: CallRecord | undefined) {
  if (!isMissed(record)) return undefined;
  const { CallbackStatus: status, CallbackSessionID: by, CallbackAfterSeconds: after } = record;
  if (
    (status !== 'called-back' && status !== 'customer-called-again') ||
    by === undefined ||
    after === undefined
  )
    return undefined;
  return { CallbackStatus: status, CallbackSessionID: by, CallbackAfterSeconds: after };
}

/** The fields every callback event carries, and the EventId of the state it announces. */
function callbackDetail(record: CallRecord, eventId: string, extra: Record<string, unknown>) {
  return {
    SessionID: record.SessionID,
    ...extra,
    ...(record.CustomerNumber === undefined ? {} : { CustomerNumber: record.CustomerNumber }),
    EventId: eventId,
  };
}

/**
 * The events a write of the Calls table stands for, each on its change only, so a later write
 * that changes none of these (a late event folded, a new Version) publishes nothing again:
 * - `CallCompleted` when the call becomes `ended` (from none, `open` or `stuck`) or its Outcome
 *   changes; time `EndedAt`; `EventId` `<SessionID>/CallCompleted/<Outcome>`; `PreviousOutcome`
 *   when it corrects an earlier one;
 * - `MissedCallResolved` when a missed call's resolution appears or changes (another resolver, or
 *   the same one whose start moved); time the resolver's start; `EventId`
 *   `<SessionID>/MissedCallResolved/<CallbackSessionID>/<CallbackAfterSeconds>`;
 *   `PreviousCallbackSessionID` when another call had resolved it;
 * - `MissedCallReopened` when a resolved or not-called-back missed call is pending again (its
 *   resolver turned out not to qualify, or its end moved later); time `EndedAt`; `EventId`
 *   `<SessionID>/MissedCallReopened/<PreviousCallbackSessionID, or not-called-back>`;
 * - `MissedCallNotCalledBack` when it becomes `not-called-back`; time `EndedAt`; `EventId`
 *   `<SessionID>/MissedCallNotCalledBack`;
 * - `CallStuck` when the call becomes `stuck`; time `LastReceivedAt`; `EventId` `<SessionID>/CallStuck`.
 * A missed call written already resolved gives CallCompleted and MissedCallResolved; a missed
 * call that turns out answered gives CallCompleted with Outcome `answered` and PreviousOutcome `missed`.
 */
export function callLevelEvents(
  after: CallRecord | undefined,
  before: CallRecord | undefined,
): CallLevelEvent[] {
  const events: CallLevelEvent[] = [];
  if (!after || !(PUBLISHING_STATUSES as readonly string[]).includes(after.Status)) return events;
  const id = after.SessionID;
  const { completed, missedCallResolved, missedCallReopened, missedCallNotCalledBack, stuck } =
    CALL_LEVEL_EVENTS;

  if (
    isEnded(after) &&
    after.EndedAt !== undefined &&
    (!isEnded(before) || before.Outcome !== after.Outcome)
  ) {
    const corrected =
      isEnded(before) && before.Outcome !== undefined ? { PreviousOutcome: before.Outcome } : {};
    events.push({
      detailType: completed,
      time: after.EndedAt,
      detail: {
        ...publicRecord(after),
        ...corrected,
        SessionID: id,
        EventId: `${id}/${completed}/${after.Outcome ?? 'ended'}`,
      },
    });
  }

  const now = resolutionOf(after);
  const was = resolutionOf(before);
  const endedAt = after.EndedAt as string;
  if (
    now &&
    (!was ||
      was.CallbackSessionID !== now.CallbackSessionID ||
      was.CallbackAfterSeconds !== now.CallbackAfterSeconds)
  ) {
    const replaced =
      was && was.CallbackSessionID !== now.CallbackSessionID
        ? { PreviousCallbackSessionID: was.CallbackSessionID }
        : {};
    events.push({
      detailType: missedCallResolved,
      time: isoSeconds(Date.parse(endedAt) + now.CallbackAfterSeconds * 1000),
      detail: callbackDetail(
        after,
        `${id}/${missedCallResolved}/${now.CallbackSessionID}/${now.CallbackAfterSeconds}`,
        { ...now, ...replaced },
      ),
    });
  }
  const wasSettled =
    isMissed(before) && before.CallbackStatus !== undefined && before.CallbackStatus !== 'pending';
  if (isMissed(after) && after.CallbackStatus === 'pending' && wasSettled) {
    const from = was ? was.CallbackSessionID : 'not-called-back';
    events.push({
      detailType: missedCallReopened,
      time: endedAt,
      detail: callbackDetail(after, `${id}/${missedCallReopened}/${from}`, {
        CallbackStatus: 'pending',
        ...(was ? { PreviousCallbackSessionID: was.CallbackSessionID } : {}),
      }),
    });
  }
  if (
    isMissed(after) &&
    after.CallbackStatus === 'not-called-back' &&
    !(isMissed(before) && before.CallbackStatus === 'not-called-back')
  ) {
    events.push({
      detailType: missedCallNotCalledBack,
      time: endedAt,
      detail: callbackDetail(after, `${id}/${missedCallNotCalledBack}`, {
        CallbackStatus: 'not-called-back',
        ...(was ? { PreviousCallbackSessionID: was.CallbackSessionID } : {}),
      }),
    });
  }

  if (after.Status === 'stuck' && before?.Status !== 'stuck') {
    events.push({
      detailType: stuck,
      time: after.LastReceivedAt,
      detail: { ...publicRecord(after), SessionID: id, EventId: `${id}/${stuck}` },
    });
  }
  return events;
}
