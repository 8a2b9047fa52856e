/**
 * A finished call (a `CallCompleted` event's detail) as Bitrix24's telephony takes it from an
 * external PBX: the parameters of `telephony.externalCall.register`, then of
 * `telephony.externalCall.finish` with the CALL_ID register returned. Pure: the delivery
 * (deliver.ts) sends what these return. Field meanings: the b24restdocs pages
 * api-reference/telephony/telephony-external-call-register.md and -finish.md.
 */
import { RESULT_CODES } from '../../contract/result-codes';
import { type CompletedCall, isE164, type Mapped, type UserMap, userOf } from '../completed-call';

/** Register's `TYPE`: 1 outgoing, 2 incoming. */
export const BITRIX_CALL_TYPE = { outgoing: 1, incoming: 2 } as const;

export interface BitrixRegistration {
  USER_ID: number;
  PHONE_NUMBER: string;
  TYPE: number;
  CALL_START_DATE: string;
  LINE_NUMBER?: string;
  EXTERNAL_CALL_ID: string;
  /** Do not pop up the call's card for the user: the call is over. */
  SHOW: 0;
  /** A number no CRM entity has becomes a lead. */
  CRM_CREATE: 1;
}

export interface BitrixFinish {
  CALL_ID: string;
  USER_ID: number;
  DURATION: number;
  STATUS_CODE: string;
  FAILED_REASON?: string;
}

/**
 * Finish's `STATUS_CODE`: Bitrix24 speaks the provider's vocabulary (200, 304, 603, 603-S, 486,
 * 404, 484, 503, 480, 402, 403, 423), so the call's ResultCode goes as it is, `OTHER` for a
 * code outside it; a call that carries none (a MissedIncCall) is 200 when talked, else 304.
 */
export function statusCodeOf(call: Pick<CompletedCall, 'ResultCode' | 'TalkSeconds'>): string {
  if (call.ResultCode !== undefined)
    return Object.hasOwn(RESULT_CODES, call.ResultCode) ? call.ResultCode : 'OTHER';
  return (call.TalkSeconds ?? 0) > 0 ? '200' : '304';
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** An instant as ISO-8601 wall-clock time in `timeZone` with its UTC offset: `2026-12-03T10:00:00+03:00`. */
export function isoWithOffset(instant: string, timeZone: string): string {
  let format = offsetFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    });
    offsetFormats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  // "GMT+03:00", "GMT-09:30", or "GMT" for UTC itself.
  const offset = (parts.timeZoneName ?? 'GMT').replace('GMT', '') || '+00:00';
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

/**
 * The call's registration, or why it has none: a call without a valid customer number has no
 * one to attach it to, and a call with no user (neither a mapped employee nor the default) cannot
 * be registered at all.
 */
export function bitrixRegistration(
  call: CompletedCall,
  map: UserMap,
  timeZone: string,
): Mapped<BitrixRegistration> {
  if (!isE164(call.CustomerNumber))
    return { ok: false, reason: 'the call has no valid customer number to attach it to' };
  const user = userOf(call, map);
  if (user === undefined)
    return {
      ok: false,
      reason: 'the call has no Bitrix24 user: map its employee in crmUsers or set crmDefaultUser',
    };
  return {
    ok: true,
    value: {
      USER_ID: user,
      PHONE_NUMBER: call.CustomerNumber,
      TYPE: call.Direction === 'incoming' ? BITRIX_CALL_TYPE.incoming : BITRIX_CALL_TYPE.outgoing,
      CALL_START_DATE: isoWithOffset(call.StartedAt, timeZone),
      ...(call.CityNumber ? { LINE_NUMBER: call.CityNumber } : {}),
      EXTERNAL_CALL_ID: call.SessionID,
      SHOW: 0,
      CRM_CREATE: 1,
    },
  };
}

/** The call's finish, for the CALL_ID its registration returned. */
export function bitrixFinish(call: CompletedCall, callId: string, user: number): BitrixFinish {
  const status = statusCodeOf(call);
  return {
    CALL_ID: callId,
    USER_ID: user,
    DURATION: call.TalkSeconds ?? 0,
    STATUS_CODE: status,
    ...(status !== '200' && call.ResultText ? { FAILED_REASON: call.ResultText } : {}),
  };
}
