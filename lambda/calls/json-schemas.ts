/**
 * JSON Schemas (draft-04) of the Calls record and of the call-level events' details, from the
 * record's zod schema (record.ts): registered in the EventBridge schema registry and shown in the
 * docs. Build-time only, like the contract's (lambda/contract/json-schemas.ts).
 */
import * as z from 'zod/mini';
import { describe as d } from '../contract/describe';
import type { JsonSchema } from '../contract/json-schemas';
import type { CallLevelEventType } from './call-level-events';
import { CALL_OUTCOMES, callRecordSchema, RESOLVED_CALLBACK_STATUSES } from './record';

/**
 * JSON Schema (draft-04) of the Calls table item, from the same schema as its type: the
 * source of the call-level events' schemas in the registry.
 */
export function callRecordJsonSchema(): JsonSchema {
  return z.toJSONSchema(callRecordSchema(), { io: 'output', target: 'draft-4' }) as JsonSchema;
}

const eventId = (format: string) =>
  d(
    z.string(),
    `${format}: names the state announced, the same on every delivery of it, for consumers to de-duplicate.`,
  );
const json = (schema: z.ZodMiniType) =>
  z.toJSONSchema(schema, { io: 'output', target: 'draft-4' }) as JsonSchema;
const previousCallback = () =>
  z.optional(d(z.string(), 'The SessionID of the call that had resolved this missed call before.'));

/** JSON Schema (draft-04) of a CallCompleted event's detail: the call's record, the Outcome it corrects, and its EventId. */
export function callCompletedJsonSchema(): JsonSchema {
  const detail = z.extend(callRecordSchema(), {
    PreviousOutcome: z.optional(
      d(
        z.enum(CALL_OUTCOMES),
        'The Outcome an earlier CallCompleted of this call announced, when this one corrects it.',
      ),
    ),
    EventId: eventId('<SessionID>/CallCompleted/<Outcome>'),
  });
  return json(detail);
}

/** JSON Schema (draft-04) of a CallStuck event's detail: the call's record (Status `stuck`) and its EventId. */
export function callStuckJsonSchema(): JsonSchema {
  return json(z.extend(callRecordSchema(), { EventId: eventId('<SessionID>/CallStuck') }));
}

/** The missed call's SessionID and CustomerNumber, as every callback event carries them. */
const missedCallFields = () => z.pick(callRecordSchema(), { SessionID: true, CustomerNumber: true });

/**
 * JSON Schema (draft-04) of a MissedCallResolved event's detail: the missed call, how it was
 * resolved (the record's callback fields), the call that had resolved it before if another did,
 * and the EventId.
 */
export function missedCallResolvedJsonSchema(): JsonSchema {
  const resolution = z.required(
    z.pick(callRecordSchema(), { CallbackSessionID: true, CallbackAfterSeconds: true }),
  );
  return json(
    z.extend(z.extend(missedCallFields(), resolution.shape), {
      CallbackStatus: d(
        z.enum(RESOLVED_CALLBACK_STATUSES),
        '`called-back` (an answered outgoing call to the customer) or `customer-called-again` (their own answered call).',
      ),
      PreviousCallbackSessionID: previousCallback(),
      EventId: eventId('<SessionID>/MissedCallResolved/<CallbackSessionID>/<CallbackAfterSeconds>'),
    }),
  );
}

/** JSON Schema (draft-04) of a MissedCallReopened event's detail: the missed call, pending again, and the call that no longer resolves it. */
export function missedCallReopenedJsonSchema(): JsonSchema {
  return json(
    z.extend(missedCallFields(), {
      CallbackStatus: d(z.literal('pending'), 'Pending again: no stored call resolves it now.'),
      PreviousCallbackSessionID: previousCallback(),
      EventId: eventId('<SessionID>/MissedCallReopened/<PreviousCallbackSessionID, or not-called-back>'),
    }),
  );
}

/** JSON Schema (draft-04) of a MissedCallNotCalledBack event's detail: the missed call whose window passed. */
export function missedCallNotCalledBackJsonSchema(): JsonSchema {
  return json(
    z.extend(missedCallFields(), {
      CallbackStatus: d(
        z.literal('not-called-back'),
        'The callback window passed without a call that resolves it.',
      ),
      PreviousCallbackSessionID: previousCallback(),
      EventId: eventId('<SessionID>/MissedCallNotCalledBack'),
    }),
  );
}

/** Every call-level event's detail schema, by detail-type, with what its detail is: the registry registers each. */
export function callLevelJsonSchemas(): Record<CallLevelEventType, { schema: JsonSchema; what: string }> {
  return {
    CallCompleted: { schema: callCompletedJsonSchema(), what: "the call's record" },
    MissedCallResolved: { schema: missedCallResolvedJsonSchema(), what: 'how a missed call was resolved' },
    MissedCallReopened: { schema: missedCallReopenedJsonSchema(), what: 'a missed call pending again' },
    MissedCallNotCalledBack: {
      schema: missedCallNotCalledBackJsonSchema(),
      what: 'a missed call nobody returned in time',
    },
    CallStuck: { schema: callStuckJsonSchema(), what: "the stuck call's record" },
  };
}
