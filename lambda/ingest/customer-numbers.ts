/**
 * Pseudonymous mode at the ingest (`customerNumbers=pseudonymous`): the customer's number is
 * replaced in the body's text before anything reads it, so that the stored event, its RawBody,
 * a quarantined body, the published event, the call record and every log line hold the keyed
 * pseudonym (lambda/shared/pseudonym.ts) and never the number, in any format it was sent in.
 *
 * Which party is the customer is the HookType's direction: the Caller of an incoming call (and
 * Redirecting when it is a valid number, the customer's other line), the Called of an outgoing
 * one. Each of their values is read as the calls layer reads numbers (`customerNumber`), and every
 * occurrence of that number in the body (any field, any spelling, inside longer text) is replaced.
 * A body whose direction cannot be read (not JSON, an unknown HookType, cut at the size limit, not
 * UTF-8) has every valid phone number in it replaced, except the public CityNumber: which party is
 * the customer is unknown there, and a quarantined body must not keep one. Employees' numbers
 * (extensions, and the Called of an incoming call) are kept.
 *
 * This module is the only one of the ingest that carries a phone library: only the pseudonymous
 * entry (lambda/functions/ingest-call-event-pseudonymous.ts) imports it.
 */
import { HOOK_TYPE_INFO, isHookType } from '../contract';
import { type CountryCode, customerNumber, maskedNumber, replaceNumbers } from '../shared/phone';
import { pseudonymKeyProblem, pseudonymOf } from '../shared/pseudonym';
import { readSecretString, refreshed, type SecretReader } from '../shared/secrets';
import type { IngestConfig } from './config';
import type { BodyPseudonymizer } from './ingest-call-event';

export interface CustomerNumbers {
  key: string;
  /** The country a number without a country code is read in: the stack's `defaultCountry`. */
  defaultCountry: CountryCode;
}

export interface PseudonymizedBody {
  text: string;
  /** The customer's number masked for people (`+7 916 ***-**-67`), when the body names one. */
  masked?: string;
}

const hasDigits = (value: string) => /\d/.test(value);
const asText = (value: unknown) =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;

/** A JSON string literal, or a phone-like run outside one (a bare number, or text that is not JSON). */
const TOKENS = /"(?:[^"\\]|\\.)*"|\+?\d(?:[\d\s().-]*\d)?/g;

/** What to replace: the customers' numbers as the calls layer reads them, or every valid number but some. */
type Target =
  | {
      customers: ReadonlySet<string>;
      /** The customer fields' values as sent: each is replaced whole, as the calls layer reads it whole. */
      fields: ReadonlySet<string>;
    }
  | { validExcept: ReadonlySet<string> };

/** A value that is a phone number and nothing else (`+7 (916) 123-45-67`), not text mentioning one. */
const PHONE_ONLY = /^\s*\+?[\d\s().-]+\s*$/;

function readBody(text: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return undefined;
  }
}

function field(body: unknown, name: string): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !Object.hasOwn(body, name))
    return undefined;
  return asText((body as Record<string, unknown>)[name]);
}

/** The body's customer numbers, by its direction; or, when that cannot be read, all but the CityNumber. */
function targetOf(text: string, body: unknown, country: CountryCode): { target: Target; customer?: string } {
  const hookType = field(body, 'HookType');
  if (isHookType(hookType)) {
    const incoming = HOOK_TYPE_INFO[hookType].direction === 'incoming';
    const customer = field(body, incoming ? 'Caller' : 'Called');
    const customers = new Set<string>();
    const fields = new Set<string>();
    if (customer !== undefined && hasDigits(customer)) {
      customers.add(customerNumber(customer, country));
      fields.add(customer);
    }
    const redirecting = field(body, 'Redirecting');
    if (incoming && redirecting !== undefined) {
      const number = customerNumber(redirecting, country);
      const city = field(body, 'CityNumber');
      if (number.startsWith('+') && (city === undefined || customerNumber(city, country) !== number))
        customers.add(number);
      fields.add(redirecting);
    }
    return {
      target: { customers, fields },
      ...(customer !== undefined && hasDigits(customer)
        ? { customer: customerNumber(customer, country) }
        : {}),
    };
  }
  const cities = new Set<string>();
  const city = field(body, 'CityNumber');
  if (city !== undefined) cities.add(customerNumber(city, country));
  // Not JSON: the CityNumber as written, if it can be read at all.
  for (const match of text.matchAll(/"CityNumber"\s*:\s*"([^"\\]*)"/g))
    cities.add(customerNumber(match[1] ?? '', country));
  return { target: { validExcept: cities } };
}

function replacer(target: Target, pseudonym: (number: string) => string) {
  return 'customers' in target
    ? (number: string) => (target.customers.has(number) ? pseudonym(number) : undefined)
    : (number: string, valid: boolean) =>
        valid && !target.validExcept.has(number) ? pseudonym(number) : undefined;
}

/** `text` with the customer's number replaced by its pseudonym wherever it is. */
function rewrite(text: string, target: Target, options: CustomerNumbers, cut: boolean): string {
  const pseudonyms = new Map<string, string>();
  const pseudonym = (number: string) => {
    const known = pseudonyms.get(number);
    if (known !== undefined) return known;
    const made = pseudonymOf(number, options.key);
    pseudonyms.set(number, made);
    return made;
  };
  const replaceWith = replacer(target, pseudonym);
  const { defaultCountry } = options;
  const inText = (value: string) =>
    replaceNumbers(value, defaultCountry, (run) => replaceWith(run.number, run.valid));

  let out = text.replace(TOKENS, (token) => {
    if (!token.startsWith('"')) {
      // A bare number (`"Caller": 79161234567`) or a run in text that is not JSON: a string now.
      const number = customerNumber(token, defaultCountry);
      const by = replaceWith(number, number.startsWith('+'));
      return by === undefined ? inText(token) : JSON.stringify(by);
    }
    let value: string;
    try {
      value = JSON.parse(token) as string;
    } catch {
      // An escape JSON does not know (a body that is not JSON): read the literal as written.
      value = token.slice(1, -1);
    }
    if (!hasDigits(value)) return token;
    const whole = PHONE_ONLY.test(value) || ('fields' in target && target.fields.has(value));
    if (!whole) {
      const replaced = inText(value);
      return replaced === value ? token : JSON.stringify(replaced);
    }
    const number = customerNumber(value, defaultCountry);
    const by = replaceWith(number, number.startsWith('+'));
    if (by !== undefined) return JSON.stringify(by);
    const replaced = inText(value);
    return replaced === value ? token : JSON.stringify(replaced);
  });
  // A body cut at the size limit may end inside a number: what is left of it is no one's business.
  if (cut) out = out.replace(/\+?\d[\d\s().-]*$/, (tail) => tail.replace(/\d/g, '*'));
  return out;
}

/** A text body (what the ingest parses and stores) with the customer's number pseudonymized. */
export function pseudonymizeText(text: string, options: CustomerNumbers): PseudonymizedBody {
  const { target, customer } = targetOf(text, readBody(text), options.defaultCountry);
  return {
    text: rewrite(text, target, options, false),
    ...(customer !== undefined ? { masked: maskedNumber(customer) } : {}),
  };
}

/**
 * A body kept in quarantine that is not readable text: cut at the size limit (`cut`), or not
 * UTF-8 (`base64`). Its bytes are read as Latin-1, one character per byte, so that digits are found
 * whatever the encoding and every other byte is kept as it was.
 */
export function pseudonymizeKept(
  kept: string,
  encoding: 'utf8' | 'base64',
  cut: boolean,
  options: CustomerNumbers,
): string {
  const text = encoding === 'base64' ? Buffer.from(kept, 'base64').toString('latin1') : kept;
  const target: Target = targetOf(text, undefined, options.defaultCountry).target;
  const out = rewrite(text, target, options, cut);
  return encoding === 'base64' ? Buffer.from(out, 'latin1').toString('base64') : out;
}

/**
 * The ingest's rewriter, once its key is read: given as is, or read from its secret once per
 * container (never refreshed: another key would give every customer another pseudonym). A failed
 * read is not kept, so the next request tries again.
 */
export function customerNumberRewriter(
  config: NonNullable<IngestConfig['customerNumbers']>,
  readSecret: SecretReader = readSecretString,
): () => Promise<BodyPseudonymizer> {
  const { key, defaultCountry } = config;
  return refreshed(async () => {
    const value = 'value' in key ? key.value : await readSecret(key.secretArn);
    const problem = pseudonymKeyProblem(value);
    if (problem) throw new Error(`The pseudonym key ${problem}`);
    const options: CustomerNumbers = { key: value, defaultCountry: defaultCountry as CountryCode };
    return {
      text: (text) => pseudonymizeText(text, options),
      kept: (kept, encoding, cut) => pseudonymizeKept(kept, encoding, cut, options),
    };
  }, Number.POSITIVE_INFINITY);
}
