/**
 * A finished call as amoCRM takes it (amocrm.ru/developers/content/crm_platform/calls-api):
 * every outcome's call_status, the employee map, a call with no customer number, and the
 * incoming lead of a number no contact has.
 */
import {
  AMO_CALL_STATUS,
  amoCallEntry,
  amoUnsortedSip,
  CALL_SOURCE,
  callResultOf,
  callStatusOf,
} from '../../lambda/crm/amocrm/mapping';
import type { CompletedCall } from '../../lambda/crm/completed-call';
import { parseUserMap } from '../../lambda/crm/config';

const call = (fields: Partial<CompletedCall> = {}): CompletedCall => ({
  SessionID: 'S-1',
  Direction: 'incoming',
  CityNumber: '74951230000',
  StartedAt: '2024-06-14T07:00:00Z',
  Outcome: 'answered',
  TalkSeconds: 125,
  Employee: '80051110001',
  CustomerNumber: '+79031000001',
  ...fields,
});
const users = { users: { '80051110001': 111, '80051110002': 222 } };

describe('call_status of every outcome', () => {
  it.each([
    ['answered', undefined, AMO_CALL_STATUS.talked],
    ['busy', '486', AMO_CALL_STATUS.busy],
    ['missed', undefined, AMO_CALL_STATUS.notAvailable],
    ['unanswered', '480', AMO_CALL_STATUS.notAvailable],
    ['declined', '603', AMO_CALL_STATUS.notAvailable],
    ['cancelled', '487', AMO_CALL_STATUS.notAvailable],
    ['failed', '404', AMO_CALL_STATUS.wrongNumber],
    ['failed', '484', AMO_CALL_STATUS.wrongNumber],
    ['unanswered', '404', AMO_CALL_STATUS.wrongNumber],
    ['failed', '503', AMO_CALL_STATUS.notReached],
    ['failed', undefined, AMO_CALL_STATUS.notReached],
  ] as const)('%s (%s) → %i', (Outcome, ResultCode, status) => {
    expect(callStatusOf({ Outcome, ResultCode })).toBe(status);
  });

  it('says the outcome in words, with the provider’s result when there is one', () => {
    expect(callResultOf({ Outcome: 'answered', ResultCode: '200' })).toBe('Answered');
    expect(callResultOf({ Outcome: 'busy', ResultCode: '486', ResultText: 'Busy here' })).toBe(
      'Busy (486 Busy here)',
    );
    expect(callResultOf({ Outcome: 'missed' })).toBe('Missed');
  });
});

describe('the call entry', () => {
  it('carries the fields of POST /api/v4/calls', () => {
    expect(amoCallEntry(call(), users)).toEqual({
      ok: true,
      value: {
        uniq: 'S-1',
        direction: 'inbound',
        phone: '+79031000001',
        duration: 125,
        source: CALL_SOURCE,
        created_at: Date.parse('2024-06-14T07:00:00Z') / 1000,
        call_status: 4,
        call_result: 'Answered',
        responsible_user_id: 111,
        created_by: 111,
      },
    });
  });

  it('maps the employee, else the default user, else leaves the user out', () => {
    const entry = (c: CompletedCall, map: Parameters<typeof amoCallEntry>[1]) => {
      const mapped = amoCallEntry(c, map);
      return mapped.ok ? [mapped.value.responsible_user_id, mapped.value.created_by] : mapped.reason;
    };
    expect(entry(call({ Employee: '80051110002' }), users)).toEqual([222, 222]);
    expect(entry(call({ Employee: '80059999999' }), { ...users, defaultUser: 9 })).toEqual([9, 9]);
    expect(entry(call({ Employee: undefined, Outcome: 'missed' }), { ...users, defaultUser: 9 })).toEqual([
      9, 9,
    ]);
    expect(entry(call({ Employee: '80059999999' }), users)).toEqual([undefined, undefined]);
  });

  it('is outbound for an outgoing call, with no talk as 0 s', () => {
    const mapped = amoCallEntry(
      call({ Direction: 'outgoing', Outcome: 'busy', ResultCode: '486', TalkSeconds: undefined }),
      users,
    );
    expect(mapped).toMatchObject({ ok: true, value: { direction: 'outbound', duration: 0, call_status: 7 } });
  });

  it.each([
    ['no customer number', undefined],
    ['a number that is not E.164 (its digits as sent)', '123'],
  ])('is none for a call with %s, saying why', (_what, CustomerNumber) => {
    expect(amoCallEntry(call({ CustomerNumber }), users)).toEqual({
      ok: false,
      reason: 'the call has no valid customer number to attach it to',
    });
  });
});

describe('the incoming lead of a number no contact has', () => {
  it('is keyed by the SessionID, with the call in its metadata', () => {
    const mapped = amoCallEntry(call({ Outcome: 'missed', TalkSeconds: 0 }), users);
    if (!mapped.ok) throw new Error(mapped.reason);
    expect(amoUnsortedSip(mapped.value, call())).toEqual({
      source_uid: 'S-1',
      source_name: CALL_SOURCE,
      created_at: mapped.value.created_at,
      metadata: {
        is_call_event_needed: true,
        uniq: 'S-1',
        duration: 0,
        service_code: CALL_SOURCE,
        phone: '+79031000001',
        called_at: mapped.value.created_at,
        from: '+79031000001',
      },
    });
  });
  it('of an outgoing call, is from the employee who called', () => {
    const c = call({ Direction: 'outgoing' });
    const mapped = amoCallEntry(c, users);
    if (!mapped.ok) throw new Error(mapped.reason);
    expect(amoUnsortedSip(mapped.value, c).metadata.from).toBe('80051110001');
  });
});

describe('the employee map of the environment', () => {
  it('reads a JSON object of positive whole user ids', () => {
    expect(parseUserMap('{"801": 5}')).toEqual({ '801': 5 });
    expect(parseUserMap(undefined)).toEqual({});
  });
  it.each([
    ['not JSON', '{801:5}', /not JSON/],
    ['an array', '[1]', /JSON object/],
    ['a user that is not a whole number', '{"801":"5"}', /"801" must be a positive whole number/],
    ['a user 0', '{"801":0}', /positive whole number/],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parseUserMap(text)).toThrow(message);
  });
});
