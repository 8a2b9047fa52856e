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
