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

/** A phone-like stretch of a text and the number the calls layer reads it as. */
export interface NumberRun {
  start: number;
  end: number;
  number: string;
  /** Whether `number` is a valid number (E.164), not just digits. */
  valid: boolean;
}

/**
 * Every phone-like run of `text` (at least 5 digits) as `customerNumber` reads it, and, for a
 * run that holds other digits too (`… 14:15:22 89161234567`), each of its 7-or-more-digit parts.
 */
export function* numberRuns(text: string, defaultCountry: CountryCode): Generator<NumberRun> {
  for (const match of text.matchAll(PHONE_LIKE)) {
    const run = match[0];
    const start = match.index;
    if (run.replace(/\D/g, '').length < 5) continue;
    const number = customerNumber(run, defaultCountry);
    const whole = { start, end: start + run.length, number, valid: number.startsWith('+') };
    for (const part of run.matchAll(/\d{7,}/g)) {
      if (part[0] === run) break;
      const partNumber = customerNumber(part[0], defaultCountry);
      if (partNumber === number) continue;
      yield {
        start: start + part.index,
        end: start + part.index + part[0].length,
        number: partNumber,
        valid: partNumber.startsWith('+'),
      };
    }
    // The whole run after its parts, so that a caller replacing parts sees the whole run only
    // when none of its parts is the number it looks for (replaceNumbers).
    yield whole;
  }
}

/**
 * Whether `text` (a body as sent, valid JSON or not) holds the customer's number in any format
 * the provider or a person writes it in: each phone-like run read as `customerNumber` reads it.
 */
export function mentionsNumber(text: string, customer: string, defaultCountry: CountryCode): boolean {
  for (const run of numberRuns(text, defaultCountry)) if (run.number === customer) return true;
  return false;
}

/**
 * `text` with each phone-like run that `replace` returns a string for replaced by it: a whole
 * run when it is the number, else each of its parts that is.
 */
export function replaceNumbers(
  text: string,
  defaultCountry: CountryCode,
  replace: (run: NumberRun) => string | undefined,
): string {
  const cuts: { start: number; end: number; by: string }[] = [];
  for (const run of numberRuns(text, defaultCountry)) {
    const by = replace(run);
    if (by === undefined) continue;
    const last = cuts[cuts.length - 1];
    // A whole run follows its parts: when a part was replaced, the whole is not the number.
    if (last && run.start < last.end) continue;
    cuts.push({ start: run.start, end: run.end, by });
  }
  let out = '';
  let at = 0;
  for (const cut of cuts) {
    out += text.slice(at, cut.start) + cut.by;
    at = cut.end;
  }
  return out + text.slice(at);
}
