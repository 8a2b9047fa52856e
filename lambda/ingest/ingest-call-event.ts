/**
 * The webhook's logic, free of API Gateway and of any AWS client: authenticate, bound the
 * body, parse, validate, normalise, store or quarantine. It returns an outcome; `http.ts`
 * turns outcomes into responses in one place.
 */

import { expiresAt } from '../config/tables';
import {
  type CallEventRecord,
  type ContractIssue,
  issueText,
  parseCallEvent,
  parseJsonBody,
  REQUEST_BODY,
  SESSION_ID_MAX_LENGTH,
  toCallEventRecord,
} from '../contract';
import { presentedToken, tokenMatches } from './auth';
import { declaredBodyBytes, tooLargeIssue } from './body-limit';
import type { IngestConfig } from './config';
import type { Params } from './headers';
import {
  type CallEventStore,
  type RejectedCallEvent,
  type RejectionReason,
  StorageUnavailableError,
  UnstorableEventError,
} from './store';
import type { TokenHashSource } from './token-source';

/** How a text body ended: stored (or already there), or why not, with what could be read of it. */
export type StoreResult =
  | { kind: 'stored' | 'duplicate'; record: CallEventRecord }
  | { kind: 'invalid-json'; issues: ContractIssue[] }
  | { kind: 'contract' | 'unstorable'; issues: ContractIssue[]; parsed: unknown };

export interface StoreTextOptions {
  /** IANA zone the provider's wall-clock times are read in. */
  timeZone: string;
  /** When the body was received: ReceivedAt, and where the retention counts from. */
  receivedAt: Date;
  /** Days to keep the event; absent keeps it for ever. */
  retentionDays?: number | undefined;
  /** Pseudonymous mode: the customer's number masked for people, kept beside the pseudonym. */
  customerNumberMasked?: string | undefined;
}

/**
 * The ingest's tail, for the webhook and for re-submitting quarantined bodies alike: parse the
 * JSON (a byte-order mark skipped), validate it against the contract, build the CallEvents item
 * and hand it to `write` (the conditional PutItem, or a dry run's check).
 */
export async function storeCallEventText(
  text: string,
  options: StoreTextOptions,
  write: (record: CallEventRecord) => Promise<'stored' | 'duplicate'>,
): Promise<StoreResult> {
  const json = parseJsonBody(text);
  if (!json.ok) return { kind: 'invalid-json', issues: json.issues };
  const parsed = json.value;
  const result = parseCallEvent(parsed);
  if (!result.ok) return { kind: 'contract', issues: result.issues, parsed };
  const record = toCallEventRecord(result.event, {
    timeZone: options.timeZone,
    receivedAt: options.receivedAt,
    rawBody: text,
    ...(options.retentionDays !== undefined ? { retentionDays: options.retentionDays } : {}),
    ...(options.customerNumberMasked !== undefined
      ? { customerNumberMasked: options.customerNumberMasked }
      : {}),
  });
  try {
    return { kind: await write(record), record };
  } catch (error) {
    if (!(error instanceof UnstorableEventError)) throw error;
    return {
      kind: 'unstorable',
      issues: [
        { path: '', message: issueText.mustBe('storable as sent', REQUEST_BODY, 'the table refused it') },
      ],
      parsed,
    };
  }
}

/** What the function needs of an HTTP request (API Gateway's proxy event, or local mode's). */
export interface WebhookRequest {
  body: string | null;
  isBase64Encoded: boolean;
  headers: Params;
  query: Params;
  requestId: string;
  sourceIp?: string;
}

export type IngestOutcome =
  | { kind: 'accepted'; sessionId: string; hookType: string; eventKey: string }
  | { kind: 'duplicate'; sessionId: string; hookType: string; eventKey: string }
  | {
      kind: 'rejected';
      reason: RejectionReason;
      issues: ContractIssue[];
      requestId: string;
      hookType?: string;
    }
  | {
      kind: 'too-large';
      /** The size limit, in bytes: what the answer states. */
      limit: number;
      /** The size the request declares, when believable (body-limit.ts); never a size measured here. */
      declaredBytes?: number;
      /** What reached the function, for the logs: locally the front door's limit + 1 bytes, not the body sent. */
      receivedBytes: number;
      requestId: string;
    }
  | { kind: 'unauthorized' }
  | { kind: 'unavailable'; cause: unknown };

/**
 * Pseudonymous mode (customer-numbers.ts): rewrites a body before anything reads it, so that the
 * customer's number reaches no table, log or event. Absent in plain mode, whose bundle carries no
 * phone library.
 */
export interface BodyPseudonymizer {
  /** A text body: what is parsed, stored and quarantined; and the customer's masked number. */
  text(text: string): { text: string; masked?: string };
  /** What a quarantine keeps of a body cut at the size limit (`cut`), or of one that is not UTF-8. */
  kept(kept: string, encoding: 'utf8' | 'base64', cut: boolean): string;
}

export interface IngestDeps {
  config: Pick<IngestConfig, 'timeZone' | 'maxBodyBytes' | 'retentionDays' | 'rejectedRetentionDays'>;
  store: CallEventStore;
  expectedTokenSha256: TokenHashSource;
  /** Pseudonymous mode's rewriter, once its key is read; absent in plain mode. */
  pseudonymizer?: () => Promise<BodyPseudonymizer>;
  now?: () => Date;
}

type Body =
  | { kind: 'text'; text: string; bytes: number }
  | { kind: 'too-large'; kept: string; encoding: 'utf8' | 'base64'; bytes: number }
  | { kind: 'binary'; base64: string; bytes: number };

// ignoreBOM keeps a byte-order mark in the text (RawBody is the body as sent); parseJsonBody skips it.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Sizes the body before decoding or parsing it, and cuts it at the limit when larger. */
function readBody(request: WebhookRequest, limit: number): Body {
  const raw = request.body ?? '';
  if (request.isBase64Encoded) {
    const bytes = Buffer.byteLength(raw, 'base64');
    if (bytes > limit) {
      return { kind: 'too-large', kept: raw.slice(0, Math.ceil(limit / 3) * 4), encoding: 'base64', bytes };
    }
    const buffer = Buffer.from(raw, 'base64');
    try {
      return { kind: 'text', text: strictUtf8.decode(buffer), bytes };
    } catch {
      return { kind: 'binary', base64: raw, bytes };
    }
  }
  const bytes = Buffer.byteLength(raw, 'utf8');
  if (bytes > limit) {
    const buffer = Buffer.from(raw, 'utf8');
    // Cut before the character the limit falls inside, so that what is kept is a prefix of the
    // body (a split character would decode to U+FFFD, which the provider never sent).
    let end = limit;
    while (end > 0 && ((buffer[end] ?? 0) & 0xc0) === 0x80) end--;
    return { kind: 'too-large', kept: buffer.subarray(0, end).toString('utf8'), encoding: 'utf8', bytes };
  }
  return { kind: 'text', text: raw, bytes };
}

/** A short string field of a rejected body, kept to make the quarantine searchable. */
function searchableField(value: unknown, field: string, maxLength: number): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = Object.hasOwn(value, field) ? (value as Record<string, unknown>)[field] : undefined;
  return typeof v === 'string' && v.length > 0 && v.length <= maxLength ? v : undefined;
}

export async function ingestCallEvent(request: WebhookRequest, deps: IngestDeps): Promise<IngestOutcome> {
  const { config, store } = deps;
  const receivedAt = (deps.now ?? (() => new Date()))();

  let expected: Buffer;
  try {
    expected = await deps.expectedTokenSha256();
  } catch (cause) {
    return { kind: 'unavailable', cause };
  }
  if (!tokenMatches(presentedToken(request.headers, request.query), expected))
    return { kind: 'unauthorized' };
  let pseudonymizer: BodyPseudonymizer | undefined;
  try {
    pseudonymizer = await deps.pseudonymizer?.();
  } catch (cause) {
    return { kind: 'unavailable', cause };
  }

  const quarantine = async (
    reason: RejectionReason,
    issues: ContractIssue[],
    body: { text: string; encoding: 'utf8' | 'base64'; bytes: number; truncated: boolean },
    parsed?: unknown,
    masked?: string,
  ): Promise<void> => {
    const item: RejectedCallEvent = {
      RejectedOn: receivedAt.toISOString().slice(0, 10),
      RejectedKey: `${receivedAt.toISOString()}#${request.requestId}`,
      RequestId: request.requestId,
      ReceivedAt: receivedAt.toISOString(),
      Reason: reason,
      Issues: issues,
      Body: body.text,
      BodyEncoding: body.encoding,
      BodyBytes: body.bytes,
      Truncated: body.truncated,
    };
    if (request.sourceIp) item.SourceIp = request.sourceIp;
    const hookType = searchableField(parsed, 'HookType', 64);
    const sessionId = searchableField(parsed, 'SessionID', SESSION_ID_MAX_LENGTH);
    if (hookType) item.HookType = hookType;
    if (sessionId) item.SessionID = sessionId;
    if (masked) item.CustomerNumberMasked = masked;
    if (config.rejectedRetentionDays !== undefined) {
      item.ExpiresAt = expiresAt(receivedAt, config.rejectedRetentionDays);
    }
    await store.putRejected(item);
  };

  const reject = async (
    reason: RejectionReason,
    issues: ContractIssue[],
    body: { text: string; encoding: 'utf8' | 'base64'; bytes: number },
    parsed?: unknown,
    masked?: string,
  ): Promise<IngestOutcome> => {
    await quarantine(reason, issues, { ...body, truncated: false }, parsed, masked);
    const hookType = searchableField(parsed, 'HookType', 64);
    return {
      kind: 'rejected',
      reason,
      issues,
      requestId: request.requestId,
      ...(hookType ? { hookType } : {}),
    };
  };

  try {
    const body = readBody(request, config.maxBodyBytes);
    if (body.kind === 'too-large') {
      const limit = config.maxBodyBytes;
      const declaredBytes = declaredBodyBytes(request.headers, limit);
      await quarantine('too-large', [tooLargeIssue(limit, declaredBytes)], {
        text: pseudonymizer ? pseudonymizer.kept(body.kept, body.encoding, true) : body.kept,
        encoding: body.encoding,
        bytes: body.bytes,
        truncated: true,
      });
      return {
        kind: 'too-large',
        limit,
        ...(declaredBytes === undefined ? {} : { declaredBytes }),
        receivedBytes: body.bytes,
        requestId: request.requestId,
      };
    }
    if (body.kind === 'binary') {
      const issue = { path: '', message: issueText.mustBe('UTF-8 text', REQUEST_BODY) };
      return await reject('invalid-encoding', [issue], {
        text: pseudonymizer ? pseudonymizer.kept(body.base64, 'base64', false) : body.base64,
        encoding: 'base64',
        bytes: body.bytes,
      });
    }

    // Pseudonymous mode: from here on, the body is the one with the customer's number replaced.
    const { text: bodyText, masked } = pseudonymizer ? pseudonymizer.text(body.text) : { text: body.text };
    const text = { text: bodyText, encoding: 'utf8' as const, bytes: body.bytes };
    const stored = await storeCallEventText(
      bodyText,
      {
        timeZone: config.timeZone,
        receivedAt,
        retentionDays: config.retentionDays,
        customerNumberMasked: masked,
      },
      (record) => store.putCallEvent(record),
    );
    switch (stored.kind) {
      case 'stored':
      case 'duplicate': {
        const { record } = stored;
        const ids = { sessionId: record.SessionID, hookType: record.HookType, eventKey: record.EventKey };
        return { kind: stored.kind === 'stored' ? 'accepted' : 'duplicate', ...ids };
      }
      case 'invalid-json':
        return await reject('invalid-json', stored.issues, text);
      case 'contract':
      case 'unstorable':
        return await reject(stored.kind, stored.issues, text, stored.parsed, masked);
    }
  } catch (error) {
    if (error instanceof StorageUnavailableError) return { kind: 'unavailable', cause: error };
    throw error;
  }
}
