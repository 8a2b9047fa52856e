/**
 * The Calls table item: one record per call, folded from the call's stored events
 * (lambda/calls/fold-call.ts, docs/CALLS.md). This schema is its one source: the TypeScript
 * type, and the JSON Schema of the call-level events (json-schemas.ts). The fold imports it
 * only as a type, so zod stays out of the projector's bundle; and the schema is built on first
 * use, not at import, so a function that imports the contract's index (ingest) neither carries
 * nor builds it.
 */
import * as z from 'zod/mini';
import { describe as d } from '../contract/describe';
import { CALLS_INDEXES, CALLS_SPARSE_INDEXES } from './table';

const instant = (description: string) => d(z.string(), `${description} UTC, ISO-8601.`);
const seconds = (description: string) => d(z.int().check(z.minimum(0)), description);

export const CALL_STATUSES = ['open', 'ended', 'stuck'] as const;
export const CALLBACK_STATUSES = [
  'pending',
  'called-back',
  'customer-called-again',
  'not-called-back',
] as const;
/** The statuses of a missed call that a call resolved. */
export const RESOLVED_CALLBACK_STATUSES = ['called-back', 'customer-called-again'] as const;
export const CALL_OUTCOMES = [
  'answered',
  'missed',
  'unanswered',
  'busy',
  'declined',
  'cancelled',
  'failed',
] as const;

const buildAttemptSchema = () =>
  d(
    z.object({
      Employee: d(z.string(), 'The employee number that was rung (AttemptIncCallBegin.Called), as sent.'),
      BeganAt: instant('When the ringing began.'),
      EndedAt: z.optional(instant('When the ringing stopped: answered, or given up; absent while unknown.')),
      Answered: d(z.boolean(), 'True when this ringing was answered (a ChangeIncCall of this number).'),
    }),
    'One employee rung once (one AttemptIncCallBegin).',
  );

const buildRecordSchema = () => {
  const { pendingCallbacks, openCalls } = CALLS_SPARSE_INDEXES;
  const { missedByCustomer } = CALLS_INDEXES;
  return d(
    z.object({
      SessionID: d(z.string(), 'The call identifier: the CallEvents partition key.'),
      Direction: d(z.enum(['incoming', 'outgoing']), 'Call direction, from the HookTypes.'),
      CityNumber: d(z.string(), 'The public multi-line number, as sent.'),
      Caller: d(z.string(), 'The calling party, as sent.'),
      Called: z.optional(d(z.string(), 'The called party, as sent.')),
      CustomerNumber: z.optional(
        d(
          z.string(),
          'The outside party (incoming: Caller; outgoing: Called) in E.164 when it is a valid number, else its digits as sent; in pseudonymous mode, its keyed pseudonym (`pn-` and 32 letters).',
        ),
      ),
      CustomerNumberMasked: z.optional(
        d(
          z.string(),
          "Pseudonymous mode only: the customer's number masked for people (`+7 916 ***-**-67`), from the call's events.",
        ),
      ),
      Status: d(
        z.enum(CALL_STATUSES),
        '`open` until an EndIncCall, MissedIncCall or EndOutCall is folded, then `ended`; `stuck` when the sweep found it open with nothing received for too long (an End folded later still makes it `ended`).',
      ),
      Outcome: z.optional(d(z.enum(CALL_OUTCOMES), 'How the call ended; absent while open.')),
      ResultCode: z.optional(d(z.string(), "The ending event's ResultCode, as stored.")),
      ResultText: z.optional(d(z.string(), "The ending event's ResultText (known codes only).")),
      StartedAt: instant('When the call started.'),
      AnsweredAt: z.optional(instant('When the conversation started; absent when not answered.')),
      EndedAt: z.optional(instant('When the call ended; absent while open.')),
      RingSeconds: z.optional(
        seconds('Seconds from start to answer, or to the end when not answered; absent while open.'),
      ),
      TalkSeconds: z.optional(seconds("Conversation seconds (the End event's Duration); absent while open.")),
      Employee: z.optional(
        d(z.string(), 'Who handled the call: incoming, the number that answered; outgoing, the Caller.'),
      ),
      Attempts: d(z.array(buildAttemptSchema()), 'Every ringing of an employee, in time order.'),
      Day: d(z.string(), 'The local date of StartedAt in the configured time zone, YYYY-MM-DD.'),
      EventCount: d(z.int().check(z.minimum(1)), 'Distinct stored events folded (distinct EventKey).'),
      LastEventAt: instant('The latest EventTime folded.'),
      LastReceivedAt: instant('The latest ReceivedAt folded.'),
      CallbackStatus: z.optional(
        d(
          z.enum(CALLBACK_STATUSES),
          'Missed calls only, from all the stored calls of the customer: `called-back` or `customer-called-again` when the earliest answered call with them (outgoing: called back; incoming: they called again) started within the callback window after EndedAt (earliest StartedAt, then SessionID); else `pending` while the window lasts, `not-called-back` once it has passed.',
        ),
      ),
      CallbackSessionID: z.optional(
        d(z.string(), 'The SessionID of the call that resolved this missed call (resolved ones only).'),
      ),
      CallbackAfterSeconds: z.optional(
        seconds("Seconds from this missed call's EndedAt to the resolving call's StartedAt."),
      ),
      PendingCallback: z.optional(
        d(
          z.literal(pendingCallbacks.value),
          `Index key, not call data: \`${pendingCallbacks.value}\` only while CallbackStatus is \`pending\`; the partition key of the sparse index ${pendingCallbacks.indexName} (sorted by ${pendingCallbacks.sortKey}).`,
        ),
      ),
      MissedCustomerNumber: z.optional(
        d(
          z.string(),
          `Index key, not call data: the CustomerNumber, only while the call is missed; the partition key of the sparse index ${missedByCustomer.indexName} (sorted by ${missedByCustomer.sortKey}), where a customer's later call finds the missed calls it may resolve.`,
        ),
      ),
      OpenCall: z.optional(
        d(
          z.literal(openCalls.value),
          `Index key, not call data: \`${openCalls.value}\` only while Status is \`open\`; the partition key of the sparse index ${openCalls.indexName} (sorted by ${openCalls.sortKey}), which the stuck-call sweep reads.`,
        ),
      ),
      Version: d(
        z.int().check(z.minimum(1)),
        "Optimistic-concurrency counter: each write expects the previous one's Version.",
      ),
    }),
    'One call, folded from its stored events.',
  );
};

let recordSchema: ReturnType<typeof buildRecordSchema> | undefined;

/** The zod schema of a Calls table item (built once, on first use). */
export function callRecordSchema(): ReturnType<typeof buildRecordSchema> {
  recordSchema ??= buildRecordSchema();
  return recordSchema;
}

/** The Calls table item. */
export type CallRecord = z.output<ReturnType<typeof buildRecordSchema>>;
/** One entry of `CallRecord.Attempts`. */
export type CallAttempt = CallRecord['Attempts'][number];
export type CallOutcome = (typeof CALL_OUTCOMES)[number];
export type CallStatus = (typeof CALL_STATUSES)[number];
export type CallbackStatus = (typeof CALLBACK_STATUSES)[number];
/** How a missed call was resolved: the three callback fields of its record. */
export type CallbackResolution = Required<
  Pick<CallRecord, 'CallbackStatus' | 'CallbackSessionID' | 'CallbackAfterSeconds'>
> & { CallbackStatus: (typeof RESOLVED_CALLBACK_STATUSES)[number] };
