/**
 * What the webhook can truthfully say of a body over the size limit. The function does not
 * always hold the body as sent: local mode's front door hands it only the first limit + 1 bytes,
 * and a size measured after API Gateway's decoding need not be the size that was sent. So a 413
 * states the limit, and a body's size only where the request declares one that can be believed.
 */
import { type ContractIssue, issueText, REQUEST_BODY } from '../contract';
import { header, type Params } from './headers';

const UNITS = ['KiB', 'MiB', 'GiB'] as const;

/** `32768 bytes (32 KiB)`: exact for a machine, readable for a person. */
export function bytesInWords(bytes: number): string {
  let value = bytes;
  let unit: string | undefined;
  for (const next of UNITS) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  if (unit === undefined) return `${bytes} bytes`;
  const rounded = Math.round(value * 10) / 10;
  return `${bytes} bytes (${rounded} ${unit})`;
}

/**
 * The body's size as the request's Content-Length declares it, when that can be believed: one
 * decimal number, not overridden by a Transfer-Encoding (which HTTP says wins), counting the
 * bytes as they are (no Content-Encoding, which would make it the compressed size), and itself
 * over the limit, as the body that was read is. Anything else is undefined: unknown, not guessed.
 */
export function declaredBodyBytes(headers: Params, limit: number): number | undefined {
  const declared = header(headers, 'content-length')?.trim();
  if (!declared || !/^\d{1,15}$/.test(declared)) return undefined;
  if (header(headers, 'transfer-encoding') !== undefined) return undefined;
  const encoding = header(headers, 'content-encoding')?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') return undefined;
  const bytes = Number(declared);
  return bytes > limit ? bytes : undefined;
}

/** The 413's message: the limit always, the declared size when there is one. */
export function tooLargeMessage(limit: number, declaredBytes: number | undefined): string {
  const over = `The body is over the limit of ${bytesInWords(limit)}`;
  return declaredBytes === undefined ? over : `${over}: its Content-Length is ${bytesInWords(declaredBytes)}`;
}

/** The same, as the issue kept with the quarantined body, in the contract's words. */
export function tooLargeIssue(limit: number, declaredBytes: number | undefined): ContractIssue {
  const found = declaredBytes === undefined ? undefined : `its Content-Length is ${declaredBytes} bytes`;
  return { path: '', message: issueText.mustBe(`at most ${bytesInWords(limit)}`, REQUEST_BODY, found) };
}
