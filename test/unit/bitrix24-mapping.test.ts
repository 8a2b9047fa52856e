/**
 * A finished call as Bitrix24's telephony takes it (b24restdocs
 * api-reference/telephony/telephony-external-call-register.md and -finish.md): register's fields,
 * the start with its UTC offset, finish's STATUS_CODE for every outcome, and the calls that
 * cannot be registered.
 */
import {
  BITRIX_CALL_TYPE,
  bitrixFinish,
  bitrixRegistration,
  isoWithOffset,
  statusCodeOf,
} from '../../lambda/crm/bitrix24/mapping';
import type { CompletedCall } from '../../lambda/crm/completed-call';

const call = (fields: Partial<CompletedCall> = {}): CompletedCall => ({
  SessionID: 'S-1',
  Direction: 'incoming',
  CityNumber: '74951230000',
  StartedAt: '2024-06-14T07:00:05Z',
  Outcome: 'answered',
  ResultCode: '200',
  TalkSeconds: 125,
  Employee: '80051110001',
  CustomerNumber: '+79031000001',
  ...fields,
});
const users = { users: { '80051110001': 11, '80051110002': 22 }, defaultUser: 1 };

describe('the registration', () => {
  it('carries the fields of telephony.externalcall.register', () => {
    expect(bitrixRegistration(call(), users, 'Europe/Moscow')).toEqual({
      ok: true,
      value: {
        USER_ID: 11,
        PHONE_NUMBER: '+79031000001',
        TYPE: BITRIX_CALL_TYPE.incoming,
        CALL_START_DATE: '2024-06-14T10:00:05+03:00',
        LINE_NUMBER: '74951230000',
        EXTERNAL_CALL_ID: 'S-1',
        SHOW: 0,
        CRM_CREATE: 1,
      },
    });
  });

  it('registers an outgoing call as TYPE 1, the default user taking a call of an unmapped employee', () => {
    const registration = bitrixRegistration(
      call({ Direction: 'outgoing', Employee: '80059999999' }),
      users,
      'UTC',
    );
    expect(registration).toMatchObject({
      ok: true,
      value: { TYPE: 1, USER_ID: 1, CALL_START_DATE: '2024-06-14T07:00:05+00:00' },
    });
  });

  it('registers a missed call, which has no employee, to the default user', () => {
    const missed = call({ Outcome: 'missed', Employee: undefined, ResultCode: undefined, TalkSeconds: 0 });
    expect(bitrixRegistration(missed, users, 'Europe/Moscow')).toMatchObject({
      ok: true,
      value: { USER_ID: 1 },
    });
  });

  it('leaves LINE_NUMBER out when the call has no city number', () => {
    const registration = bitrixRegistration(call({ CityNumber: undefined }), users, 'UTC');
    expect(registration.ok && 'LINE_NUMBER' in registration.value).toBe(false);
  });

  it.each([
    ['no number', undefined],
    ['a number that is not E.164', '89031000001'],
    ['an internal number', '101'],
  ])('does not register a call with %s, and says why', (_, CustomerNumber) => {
    expect(bitrixRegistration(call({ CustomerNumber }), users, 'UTC')).toEqual({
      ok: false,
      reason: expect.stringMatching(/no valid customer number/),
    });
  });

  it('does not register a call that has no user, and says how to give it one', () => {
    expect(bitrixRegistration(call({ Employee: '8005' }), { users: {} }, 'UTC')).toEqual({
      ok: false,
      reason: expect.stringMatching(/crmUsers or set crmDefaultUser/),
    });
  });
});

describe('the start with its UTC offset', () => {
  it.each([
    ['2024-06-14T07:00:05Z', 'Europe/Moscow', '2024-06-14T10:00:05+03:00'],
    ['2024-06-14T07:00:05.250Z', 'Asia/Yekaterinburg', '2024-06-14T12:00:05+05:00'],
    ['2024-06-14T07:00:05Z', 'Asia/Kolkata', '2024-06-14T12:30:05+05:30'],
    // Summer and winter time of the same zone; a day that begins in the zone before it does in UTC.
    ['2024-07-01T12:00:00Z', 'Europe/Berlin', '2024-07-01T14:00:00+02:00'],
    ['2024-01-01T12:00:00Z', 'Europe/Berlin', '2024-01-01T13:00:00+01:00'],
    ['2024-12-31T22:30:00Z', 'Asia/Vladivostok', '2025-01-01T08:30:00+10:00'],
    ['2024-01-01T02:00:00Z', 'America/St_Johns', '2023-12-31T22:30:00-03:30'],
    ['2024-06-14T00:00:00Z', 'UTC', '2024-06-14T00:00:00+00:00'],
  ])('%s in %s is %s', (instant, zone, expected) => {
    expect(isoWithOffset(instant, zone)).toBe(expected);
    // The same instant, read back.
    expect(Date.parse(expected)).toBe(Math.floor(Date.parse(instant) / 1000) * 1000);
  });
});

describe('STATUS_CODE of every outcome', () => {
  it.each([
    ['200', 125, '200'],
    ['304', 0, '304'],
    ['603', 0, '603'],
    ['603-S', 0, '603-S'],
    ['486', 0, '486'],
    ['404', 0, '404'],
    ['484', 0, '484'],
    ['503', 0, '503'],
    ['480', 0, '480'],
    ['402', 0, '402'],
    ['403', 0, '403'],
    ['423', 0, '423'],
    // A code the provider has not documented: Bitrix24's own word for the rest.
    ['487', 0, 'OTHER'],
    // A call without a code (a MissedIncCall carries none): talked or not.
    [undefined, 0, '304'],
    [undefined, 30, '200'],
  ] as const)('ResultCode %s, %i s talked → %s', (ResultCode, TalkSeconds, status) => {
    expect(statusCodeOf({ ResultCode, TalkSeconds })).toBe(status);
  });
});

describe('the finish', () => {
  it('carries the CALL_ID register returned, the user, the talk and the status', () => {
    expect(bitrixFinish(call(), 'externalCall.1a2b', 11)).toEqual({
      CALL_ID: 'externalCall.1a2b',
      USER_ID: 11,
      DURATION: 125,
      STATUS_CODE: '200',
    });
  });

  it('says why a call failed in the provider’s words', () => {
    expect(
      bitrixFinish(call({ Outcome: 'busy', ResultCode: '486', ResultText: 'Busy', TalkSeconds: 0 }), 'c', 1),
    ).toEqual({ CALL_ID: 'c', USER_ID: 1, DURATION: 0, STATUS_CODE: '486', FAILED_REASON: 'Busy' });
  });

  it('finishes a missed call as 304 with no talk', () => {
    const missed = call({
      Outcome: 'missed',
      ResultCode: undefined,
      TalkSeconds: undefined,
      Employee: undefined,
    });
    expect(bitrixFinish(missed, 'c', 1)).toMatchObject({ DURATION: 0, STATUS_CODE: '304' });
  });
});
