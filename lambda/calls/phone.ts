/**
 * The customer's number as one comparable string, so that an incoming `9161234567` and an
 * outgoing `89161234567` are the same customer: libphonenumber-js with its `min` metadata, which
 * tells a valid Russian number from the provider's internal ones (`0052002651`, `80052002651`,
 * `800774994086005`) exactly as `max` does, in a smaller bundle (docs/CALLS.md).
 */
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/min';

export type { CountryCode };

/**
 * E.164 (`+79582412128`) when the number is valid (a national number read as one of
 * `defaultCountry`, or an international one); otherwise its digits as sent (`0052002651`),
 * or, when it has no digits at all, the value as sent.
 */
export function customerNumber(value: string, defaultCountry: CountryCode): string {
  const parsed = parsePhoneNumberFromString(value, defaultCountry);
  if (parsed?.isValid()) return parsed.number;
  const digits = value.replace(/\D/g, '');
  return digits === '' ? value : digits;
}

/**
 * The number as people may see it without learning it: the country code, the first three digits
 * of the national number and the last two, the rest masked (`+7 916 ***-**-67`). A number that is
 * not E.164 keeps only its last two digits (`********51`).
 */
export function maskedNumber(number: string): string {
  const parsed = number.startsWith('+') ? parsePhoneNumberFromString(number) : undefined;
  if (!parsed?.isValid()) return number.replace(/\d(?=\d{2})/g, '*');
  const national = parsed.nationalNumber;
  const masked = `${national.slice(0, 3)}${'*'.repeat(Math.max(national.length - 5, 0))}${national.slice(-2)}`;
  // Grouped as Russian numbers are written (3-3-2-2); other lengths keep the groups they fill.
  const groups = [masked.slice(0, 3), masked.slice(3, 6), masked.slice(6, 8), masked.slice(8)].filter(
    Boolean,
  );
  return `+${parsed.countryCallingCode} ${groups[0]}${groups.length > 1 ? ` ${groups.slice(1).join('-')}` : ''}`;
}

/** Runs of digits that may be a phone number, with the separators people write them with. */
const PHONE_LIKE = /\+?\d(?:[\d\s().-]*\d)?/g;

/**
 * Whether `text` (a body as sent, valid JSON or not) holds the customer's number in any format
 * the provider or a person writes it in: each phone-like run read as `customerNumber` reads it.
 */
export function mentionsNumber(text: string, customer: string, defaultCountry: CountryCode): boolean {
  for (const match of text.matchAll(PHONE_LIKE)) {
    const run = match[0];
    if (run.replace(/\D/g, '').length < 5) continue;
    if (customerNumber(run, defaultCountry) === customer) return true;
    // A number written next to other digits (`… 14:15:22 89161234567`): its own digits alone.
    for (const digits of run.match(/\d{7,}/g) ?? [])
      if (digits !== run && customerNumber(digits, defaultCountry) === customer) return true;
  }
  return false;
}
