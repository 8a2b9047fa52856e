/**
 * A finished call (a `CallCompleted` event's detail: the call's record) as amoCRM / Kommo takes
 * it: one entry of `POST /api/v4/calls`, and, for a number no contact has, the incoming lead of
 * `POST /api/v4/leads/unsorted/sip`. Pure: the delivery (deliver.ts) sends what these return.
 * Field meanings: amocrm.ru/developers/content/crm_platform/calls-api and
 * amocrm.ru/developers/content/crm_platform/unsorted-api.
 */
import { type CompletedCall, isE164, type Mapped, type UserMap, userOf } from '../completed-call';

/** `source` of every call this product adds, as the CRM shows it in the call's note. */
export const CALL_SOURCE = 'call-events';

/** amoCRM's call statuses (`call_status`), as the calls API lists them. */
export const AMO_CALL_STATUS = {
  leftMessage: 1,
  callBackLater: 2,
  notAvailable: 3,
  talked: 4,
  wrongNumber: 5,
  notReached: 6,
  busy: 7,
} as const;

/** The ResultCodes of a number that does not exist or is incomplete (the provider's 404, 484). */
const INVALID_NUMBER_CODES = new Set(['404', '484']);

/** One entry of `POST /api/v4/calls`. */
export interface AmoCallEntry {
  uniq: string;
  direction: 'inbound' | 'outbound';
  phone: string;
  duration: number;
  source: string;
  created_at: number;
  call_status: number;
  call_result: string;
  responsible_user_id?: number;
  created_by?: number;
}

/** `call_status` of a finished call: answered 4, busy 7, an invalid number 5, not reached 3, any other failure 6. */
export function callStatusOf(call: Pick<CompletedCall, 'Outcome' | 'ResultCode'>): number {
  if (call.Outcome === 'answered') return AMO_CALL_STATUS.talked;
  if (call.Outcome === 'busy') return AMO_CALL_STATUS.busy;
  if (call.ResultCode !== undefined && INVALID_NUMBER_CODES.has(call.ResultCode))
    return AMO_CALL_STATUS.wrongNumber;
  switch (call.Outcome) {
    case 'missed':
    case 'unanswered':
    case 'declined':
    case 'cancelled':
      return AMO_CALL_STATUS.notAvailable;
    default:
      return AMO_CALL_STATUS.notReached;
  }
}

const OUTCOME_WORDS: Record<NonNullable<CompletedCall['Outcome']>, string> = {
  answered: 'Answered',
  missed: 'Missed',
  unanswered: 'Not answered',
  busy: 'Busy',
  declined: 'Declined',
  cancelled: 'Cancelled',
  failed: 'Failed',
};

/** `call_result`: the outcome in words, with the provider's result when it says more. */
export function callResultOf(call: Pick<CompletedCall, 'Outcome' | 'ResultCode' | 'ResultText'>): string {
  const words = call.Outcome ? OUTCOME_WORDS[call.Outcome] : 'Ended';
  if (call.Outcome === 'answered' || call.ResultCode === undefined) return words;
  return `${words} (${call.ResultCode}${call.ResultText ? ` ${call.ResultText}` : ''})`;
}

/** Unix seconds of an ISO-8601 instant. */
const unixSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/**
 * The call's entry, or why it has none: a call without a valid customer number cannot be
 * attached to anyone in the CRM.
 */
export function amoCallEntry(call: CompletedCall, map: UserMap): Mapped<AmoCallEntry> {
  if (!isE164(call.CustomerNumber))
    return { ok: false, reason: 'the call has no valid customer number to attach it to' };
  const user = userOf(call, map);
  return {
    ok: true,
    value: {
      uniq: call.SessionID,
      direction: call.Direction === 'incoming' ? 'inbound' : 'outbound',
      phone: call.CustomerNumber,
      duration: call.TalkSeconds ?? 0,
      source: CALL_SOURCE,
      created_at: unixSeconds(call.StartedAt),
      call_status: callStatusOf(call),
      call_result: callResultOf(call),
      ...(user === undefined ? {} : { responsible_user_id: user, created_by: user }),
    },
  };
}

/** One incoming lead of `POST /api/v4/leads/unsorted/sip`: the call from a number no contact has. */
export interface AmoUnsortedSip {
  source_uid: string;
  source_name: string;
  created_at: number;
  metadata: {
    is_call_event_needed: boolean;
    uniq: string;
    duration: number;
    service_code: string;
    phone: string;
    called_at: number;
    from: string;
  };
}

/**
 * The incoming lead for a call whose number no contact has: `source_uid` the SessionID, so that
 * the CRM and the ledger name it the same. `phone` is the customer's; `from` who called
 * (incoming: the customer; outgoing: the employee).
 */
export function amoUnsortedSip(entry: AmoCallEntry, call: CompletedCall): AmoUnsortedSip {
  return {
    source_uid: call.SessionID,
    source_name: CALL_SOURCE,
    created_at: entry.created_at,
    metadata: {
      is_call_event_needed: true,
      uniq: entry.uniq,
      duration: entry.duration,
      service_code: CALL_SOURCE,
      phone: entry.phone,
      called_at: entry.created_at,
      from: call.Direction === 'incoming' ? entry.phone : (call.Employee ?? call.CityNumber),
    },
  };
}
