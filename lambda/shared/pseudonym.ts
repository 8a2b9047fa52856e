/**
 * The keyed pseudonym that stands for a customer's number in pseudonymous mode
 * (`customerNumbers=pseudonymous`): HMAC-SHA-256 of the number as the calls layer reads it (E.164
 * when valid, else its digits), so that the same customer in any format has the same pseudonym,
 * written in letters only (`pn-` and 32 letters), so that nothing reads it back as a number: the
 * calls layer's `customerNumber` keeps it as it is, and the indexes, call-backs and lookups work on
 * it unchanged. Without the key nobody can tell whose it is, or check a guess.
 */
import { createHmac } from 'node:crypto';

export const PSEUDONYM_PREFIX = 'pn-';
const PSEUDONYM = /^pn-[a-p]{32}$/;

/** The shortest key accepted: 32 characters (the stack generates 64). */
export const PSEUDONYM_KEY_MIN_LENGTH = 32;

/** Why `key` cannot be a pseudonym key, or undefined. */
export function pseudonymKeyProblem(key: string): string | undefined {
  return key.trim().length < PSEUDONYM_KEY_MIN_LENGTH
    ? `must be at least ${PSEUDONYM_KEY_MIN_LENGTH} characters (it is ${key.trim().length})`
    : undefined;
}

/** `pn-` and the first 128 bits of HMAC-SHA-256(key, number), one letter `a`–`p` per 4 bits. */
export function pseudonymOf(number: string, key: string): string {
  const digest = createHmac('sha256', key.trim()).update(number, 'utf8').digest();
  let letters = '';
  for (const byte of digest.subarray(0, 16))
    letters += String.fromCharCode(97 + (byte >> 4), 97 + (byte & 0x0f));
  return `${PSEUDONYM_PREFIX}${letters}`;
}

export function isPseudonym(value: string): boolean {
  return PSEUDONYM.test(value);
}
