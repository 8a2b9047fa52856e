/** A finished call as every CRM's delivery reads it (a CallCompleted's detail), and whose it is in the CRM. */
import type { CallRecord } from '../calls/record';

/** The call as the CRM needs it: the fields of the record that a CallCompleted carries. */
export type CompletedCall = Pick<
  CallRecord,
  | 'SessionID'
  | 'Direction'
  | 'CityNumber'
  | 'StartedAt'
  | 'Outcome'
  | 'ResultCode'
  | 'ResultText'
  | 'TalkSeconds'
  | 'Employee'
> & { CustomerNumber?: string };

export interface UserMap {
  /** PBX employee number, as the provider sends it → CRM user id. */
  users: Readonly<Record<string, number>>;
  /** The user of a call whose employee is not in `users`. @default none: the fields are left out */
  defaultUser?: number;
}

/** The CRM user of the call: its employee's, else the default, else none. */
export function userOf(call: Pick<CompletedCall, 'Employee'>, map: UserMap): number | undefined {
  const mapped = call.Employee === undefined ? undefined : map.users[call.Employee];
  return mapped ?? map.defaultUser;
}

/** A customer number the CRM can match to a contact: E.164 (the record's form of a valid number). */
export const isE164 = (number: string | undefined): number is string =>
  number !== undefined && /^\+[1-9]\d{6,14}$/.test(number);

export type Mapped<T> = { ok: true; value: T } | { ok: false; reason: string };
