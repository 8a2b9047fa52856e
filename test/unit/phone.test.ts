/** The customer's number: E.164 when valid, the digits as sent otherwise (the provider's own formats); masked for people; found in a body in any format. */
import { customerNumber, maskedNumber, mentionsNumber } from '../../lambda/shared/phone';

describe('customerNumber', () => {
  it.each([
    ['9582412128', '+79582412128'],
    ['89582412128', '+79582412128'],
    ['+7 (958) 241-21-28', '+79582412128'],
    ['+79582412128', '+79582412128'],
    ['84950665310', '+74950665310'],
    ['4950665310', '+74950665310'],
    ['89161234567', '+79161234567'],
    ['9161234567', '+79161234567'],
    // A valid number of another country, written internationally, is that country's.
    ['+44 20 7946 0958', '+442079460958'],
  ])('a valid number %p is %p', (value, expected) => {
    expect(customerNumber(value, 'RU')).toBe(expected);
  });

  it.each([
    // The provider's internal (extension) numbers are not valid Russian numbers.
    ['0052002651', '0052002651'],
    ['80052002651', '80052002651'],
    ['800774994086005', '800774994086005'],
    ['005-200-2651', '0052002651'],
    ['anonymous', 'anonymous'],
    ['', ''],
  ])('%p is not a valid number: kept as its digits, %p', (value, expected) => {
    expect(customerNumber(value, 'RU')).toBe(expected);
  });

  it('reads a national number in the default country', () => {
    // A UK national number: valid read as GB, not as RU.
    expect(customerNumber('020 7946 0958', 'GB')).toBe('+442079460958');
    expect(customerNumber('020 7946 0958', 'RU')).toBe('02079460958');
  });
});

describe('maskedNumber', () => {
  it.each([
    ['+79161234567', '+7 916 ***-**-67'],
    ['+74950665310', '+7 495 ***-**-10'],
    ['+442079460958', '+44 207 ***-**-58'],
    // Not E.164 (an internal number, digits as sent): only the last two digits.
    ['0052002651', '********51'],
  ])('%s is shown as %s', (number, masked) => {
    expect(maskedNumber(number)).toBe(masked);
  });
});

describe('mentionsNumber', () => {
  const customer = '+79161234567';
  it.each([
    '{"Caller":"89161234567"}',
    '{"Caller":"9161234567","SessionID":"x"',
    '{"Called":"+7 (916) 123-45-67"}',
    'Caller=8 916 123 45 67&x=1',
    '{"StartTime":"2021-01-28 14:15:22 89161234567"}',
  ])('finds the customer in %s', (body) => {
    expect(mentionsNumber(body, customer, 'RU')).toBe(true);
  });

  it.each([
    '{"Caller":"89161234568"}',
    '{"Caller":"80051110001","CityNumber":"4950665310","StartTime":"2021-01-28 14:15:22"}',
    '{"SessionID":"79161234567-is-not-a-phone-here"}'.replace('79161234567', '7916123456'),
  ])('does not find them in %s', (body) => {
    expect(mentionsNumber(body, customer, 'RU')).toBe(false);
  });
});
