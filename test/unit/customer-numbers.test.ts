/**
 * Pseudonymous mode at the ingest: the customer's number (incoming: Caller and a valid Redirecting;
 * outgoing: Called) replaced by its keyed pseudonym wherever and however the body holds it, the
 * rest of the body as sent; employees' and the public numbers kept.
 */
import { pseudonymizeKept, pseudonymizeText } from '../../lambda/ingest/customer-numbers';
import { customerNumber } from '../../lambda/shared/phone';
import { isPseudonym, pseudonymKeyProblem, pseudonymOf } from '../../lambda/shared/pseudonym';
import { holdsNumber } from '../support/personal-data';

const KEY = 'a-test-key-of-forty-characters-0123456789';
const OPTIONS = { key: KEY, defaultCountry: 'RU' as const };
const CUSTOMER = '+79161234567';
const P = pseudonymOf(CUSTOMER, KEY);

const incoming = (fields: Record<string, unknown>) =>
  JSON.stringify({
    SessionID: 'c0ffee00-0000-4000-8000-000000000001',
    HookType: 'CreateIncCall',
    StartTime: '2021-01-28 14:15:22',
    CityNumber: '4950665310',
    Caller: '89161234567',
    Called: '801',
    ...fields,
  });

describe('the pseudonym', () => {
  it('is pn- and 32 letters: nothing reads it back as a number', () => {
    expect(P).toMatch(/^pn-[a-p]{32}$/);
    expect(isPseudonym(P)).toBe(true);
    expect(customerNumber(P, 'RU')).toBe(P);
  });

  it('is the same for the same number under the same key, and another for another number or key', () => {
    expect(pseudonymOf(CUSTOMER, KEY)).toBe(P);
    expect(pseudonymOf('+79161234568', KEY)).not.toBe(P);
    expect(pseudonymOf(CUSTOMER, `${KEY}x`)).not.toBe(P);
  });

  it('refuses a key shorter than 32 characters', () => {
    expect(pseudonymKeyProblem('short')).toMatch(/at least 32 characters/);
    expect(pseudonymKeyProblem(KEY)).toBeUndefined();
  });
});

describe('pseudonymizeText, a readable body', () => {
  it.each([
    '89161234567',
    '9161234567',
    '79161234567',
    '+79161234567',
    '+7 (916) 123-45-67',
    '8 916 123 45 67',
  ])('replaces an incoming Caller %p by the one pseudonym of the number', (caller) => {
    const { text, masked } = pseudonymizeText(incoming({ Caller: caller }), OPTIONS);
    expect(JSON.parse(text).Caller).toBe(P);
    expect(masked).toBe('+7 916 ***-**-67');
    expect(holdsNumber(text, CUSTOMER)).toBe(false);
  });

  it('keeps every other field exactly as sent: the public number, the employee, the times', () => {
    const body = incoming({});
    const { text } = pseudonymizeText(body, OPTIONS);
    expect(text).toBe(body.replace('"89161234567"', JSON.stringify(P)));
  });

  it('replaces the Called of an outgoing call, and keeps its Caller (the employee)', () => {
    const body = JSON.stringify({
      SessionID: 's',
      HookType: 'EndOutCall',
      StartTime: '2021-01-28 14:15:22',
      CityNumber: '4950665310',
      Caller: '+79031112233',
      Called: '8 (916) 123-45-67',
    });
    const parsed = JSON.parse(pseudonymizeText(body, OPTIONS).text);
    expect(parsed).toMatchObject({ Caller: '+79031112233', Called: P, CityNumber: '4950665310' });
  });

  it('keeps an incoming call’s Called, a mobile employee answering', () => {
    const parsed = JSON.parse(pseudonymizeText(incoming({ Called: '+79031112233' }), OPTIONS).text);
    expect(parsed.Called).toBe('+79031112233');
  });

  it('replaces a Redirecting that is a valid number, and keeps one that is the public number or internal', () => {
    const other = pseudonymOf('+79261112233', KEY);
    expect(
      JSON.parse(pseudonymizeText(incoming({ Redirecting: '89261112233' }), OPTIONS).text).Redirecting,
    ).toBe(other);
    for (const kept of ['84950665310', '0052002651'])
      expect(JSON.parse(pseudonymizeText(incoming({ Redirecting: kept }), OPTIONS).text).Redirecting).toBe(
        kept,
      );
  });

  it('finds the number in any other field, in text, as a bare JSON number, and written with escapes', () => {
    const body = incoming({
      Comment: 'перезвонить на 8-916-123-45-67 после 14:00',
      Extra: 79161234567,
      Escaped: '\u0038\u0039161234567',
    }).replace('"Escaped":"89161234567"', '"Escaped":"\\u0038\\u0039161234567"');
    const { text } = pseudonymizeText(body, OPTIONS);
    const parsed = JSON.parse(text);
    expect(parsed.Comment).toBe(`перезвонить на ${P} после 14:00`);
    expect(parsed.Extra).toBe(P);
    expect(parsed.Escaped).toBe(P);
    expect(holdsNumber(text, CUSTOMER)).toBe(false);
  });

  it('keeps a byte-order mark, and changes nothing twice (a requeued body is already pseudonymized)', () => {
    const once = pseudonymizeText(`\uFEFF${incoming({})}`, OPTIONS).text;
    expect(once.charCodeAt(0)).toBe(0xfeff);
    expect(pseudonymizeText(once, OPTIONS).text).toBe(once);
  });

  it('replaces a customer number that is not a valid one (its digits) where it is the customer’s', () => {
    const { text, masked } = pseudonymizeText(incoming({ Caller: '80052002651' }), OPTIONS);
    expect(JSON.parse(text).Caller).toBe(pseudonymOf('80052002651', KEY));
    expect(masked).toBe('*********51');
  });

  it('leaves a Caller with no digits (anonymous) as sent, with no masked form', () => {
    const { text, masked } = pseudonymizeText(incoming({ Caller: 'anonymous' }), OPTIONS);
    expect(JSON.parse(text).Caller).toBe('anonymous');
    expect(masked).toBeUndefined();
  });
});

describe('pseudonymizeText, a body whose direction cannot be read', () => {
  it('replaces every valid number but the public one in a body that is not JSON', () => {
    const body =
      '{"HookType":"CreateIncCall","CityNumber":"4950665310","Caller":"89161234567","Called":"801",}';
    const { text, masked } = pseudonymizeText(body, OPTIONS);
    expect(text).toBe(body.replace('"89161234567"', JSON.stringify(P)));
    expect(masked).toBeUndefined();
  });

  it('does the same for an unknown HookType, keeping extensions and times', () => {
    const body = incoming({ HookType: 'TransferIncCall', Target: '+7 926 111-22-33' });
    const parsed = JSON.parse(pseudonymizeText(body, OPTIONS).text);
    expect(parsed).toMatchObject({
      Caller: P,
      Target: pseudonymOf('+79261112233', KEY),
      Called: '801',
      CityNumber: '4950665310',
      StartTime: '2021-01-28 14:15:22',
    });
  });
});

describe('pseudonymizeKept, what a quarantine keeps of a body it cannot read', () => {
  it('masks what is left of a number where a body was cut at the size limit', () => {
    const cut = '{"CityNumber":"4950665310","Note":"89161234567","Caller":"8916123';
    const kept = pseudonymizeKept(cut, 'utf8', true, OPTIONS);
    expect(kept).toBe(`{"CityNumber":"4950665310","Note":${JSON.stringify(P)},"Caller":"*******`);
  });

  it('keeps every byte of a body that is not UTF-8 but the number', () => {
    const bytes = Buffer.concat([
      Buffer.from('{"Caller":"89161234567","Name":"'),
      Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2]), // "Привет" in Windows-1251
      Buffer.from('"}'),
    ]);
    const kept = Buffer.from(pseudonymizeKept(bytes.toString('base64'), 'base64', false, OPTIONS), 'base64');
    expect(kept.equals(Buffer.from(bytes.toString('latin1').replace('89161234567', P), 'latin1'))).toBe(true);
  });
});
