/**
 * JSON Schemas (draft-04) of the Calls record and of the call-level events' details, from the
 * record's zod schema (record.ts): registered in the EventBridge schema registry and shown in the
 * docs. Build-time only, like the contract's (lambda/contract/json-schemas.ts).
 */
import * as z from 'zod/mini';
import { describe as d } from '../contract/describe';
import type { JsonSchema } from '../contract/json-schemas';
import { CALLBACK_STATUSES, callRecordSchema } from './record';

/**
 * JSON Schema (draft-04) of the Calls table item, from the same schema as its type: the
 * source of the call-level events' schemas in the registry.
 */
export function callRecordJsonSchema(): JsonSchema {
  return z.toJSONSchema(callRecordSchema(), { io: 'output', target: 'draft-4' }) as JsonSchema;
}

const eventId = (detailType: string) =>
  d(z.string(), `<SessionID>/${detailType}: the same on every delivery, for consumers to de-duplicate.`);

/** JSON Schema (draft-04) of a CallCompleted event's detail: the call's record and its EventId. */
export function callCompletedJsonSchema(): JsonSchema {
  const detail = z.extend(callRecordSchema(), { EventId: eventId('CallCompleted') });
  return z.toJSONSchema(detail, { io: 'output', target: 'draft-4' }) as JsonSchema;
}

/** JSON Schema (draft-04) of a CallStuck event's detail: the call's record (Status `stuck`) and its EventId. */
export function callStuckJsonSchema(): JsonSchema {
  const detail = z.extend(callRecordSchema(), { EventId: eventId('CallStuck') });
  return z.toJSONSchema(detail, { io: 'output', target: 'draft-4' }) as JsonSchema;
}

/**
 * JSON Schema (draft-04) of a MissedCallResolved event's detail: the missed call's SessionID,
 * how it was resolved (the record's callback fields, a resolution, never `pending`), its
 * CustomerNumber and the EventId.
 */
export function missedCallResolvedJsonSchema(): JsonSchema {
  const fields = z.pick(callRecordSchema(), {
    SessionID: true,
    CallbackSessionID: true,
    CallbackAfterSeconds: true,
    CustomerNumber: true,
  });
  const detail = z.extend(z.required(fields, { CallbackSessionID: true, CallbackAfterSeconds: true }), {
    CallbackStatus: d(
      z.enum(CALLBACK_STATUSES.filter((status) => status !== 'pending')),
      '`called-back` (an answered outgoing call to the customer) or `customer-called-again` (their own answered call).',
    ),
    EventId: eventId('MissedCallResolved'),
  });
  return z.toJSONSchema(detail, { io: 'output', target: 'draft-4' }) as JsonSchema;
}
