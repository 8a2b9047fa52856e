/**
 * The webhook's shared token: where a request may carry it, and a constant-time check
 * against the SHA-256 of the expected token. The token itself is never logged or stored.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { TOKEN_HEADER } from '../config/webhook';
import { header, type Params } from './headers';

/** The token from `X-Webhook-Token`, `Authorization: Bearer …`, or `?token=`, in that order. */
export function presentedToken(headers: Params, query: Params): string | undefined {
  const direct = header(headers, TOKEN_HEADER);
  if (direct) return direct.trim();
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header(headers, 'authorization') ?? '');
  if (bearer?.[1]) return bearer[1];
  const fromQuery = query?.token;
  return fromQuery ? fromQuery : undefined;
}

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Compares digests, so the time taken tells nothing of the token's content or length. */
export function tokenMatches(presented: string | undefined, expectedSha256: Buffer): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(sha256(presented), expectedSha256);
}

/** Reads a hex SHA-256 (64 hex characters) as the expected digest. */
export function parseSha256Hex(hex: string): Buffer {
  if (!/^[0-9a-f]{64}$/i.test(hex))
    throw new Error('A token hash must be 64 hexadecimal characters (SHA-256)');
  return Buffer.from(hex, 'hex');
}
