/**
 * What every CRM's delivery shares (amocrm/deliver.ts, bitrix24/deliver.ts): reading a queue
 * message as a CallCompleted, claiming each call in the ledger (so that a re-delivered, retried
 * or replayed CallCompleted is sent at most once, and a later completion of a call is recorded,
 * never sent), and stopping the delivery when the CRM refuses the integration itself.
 */
import type { LogAttributes } from '@aws-lambda-powertools/logger/types';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { METRICS } from '../config/metrics';
import { addCount, type Counts } from '../shared/counts';
import type { CompletedCall } from './completed-call';
import type { DeliveryItem, DeliveryLedger } from './ledger';

export interface DeliverLogger {
  info(message: string, attributes: LogAttributes): void;
  warn(message: string, attributes: LogAttributes): void;
  error(message: string, attributes: LogAttributes): void;
}

/** What a CRM's delivery is given, whatever the CRM. */
export interface DeliveryDeps {
  ledger: DeliveryLedger;
  logger: DeliverLogger;
  metrics: Counts;
  /**
   * Stops the queue's event source mapping (the CRM refused the integration): no batch is taken,
   * the messages wait until someone resumes it (`npm run crm -- resume`). @default nothing
   */
  pauseDelivery?: (queueArn: string) => Promise<void>;
  /** @default the system clock */
  now?: () => Date;
  /** Tries of one request before its calls are left for the queue to bring back. @default 4 */
  maxTries?: number;
  /** Wait before the n-th retry (1-based) when the CRM said nothing of when. @default 1 s doubling */
  backoffMs?: (retry: number) => number;
  /** Milliseconds left in the invocation (Lambda's `getRemainingTimeInMillis`). @default unlimited */
  remainingMs?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export const CRM_METRICS = METRICS.crm;

/** A queue message read as a CallCompleted. */
export interface Message {
  record: SQSRecord;
  call: CompletedCall;
  eventId: string;
}

/** The CallCompleted of an SQS message, or why it is not one. */
export function completedCallOf(
  record: SQSRecord,
): { ok: true; message: Message } | { ok: false; reason: string } {
  let envelope: { 'detail-type'?: unknown; detail?: Record<string, unknown> };
  try {
    envelope = JSON.parse(record.body) as typeof envelope;
  } catch {
    return { ok: false, reason: 'the message body is not JSON' };
  }
  const detail = envelope?.detail;
  if (envelope?.['detail-type'] !== 'CallCompleted' || typeof detail !== 'object' || detail === null)
    return { ok: false, reason: 'the message is not a CallCompleted event' };
  const { SessionID, EventId, StartedAt, Direction } = detail;
  if (typeof SessionID !== 'string' || typeof EventId !== 'string' || typeof StartedAt !== 'string')
    return { ok: false, reason: 'the CallCompleted detail has no SessionID, EventId or StartedAt' };
  if (Direction !== 'incoming' && Direction !== 'outgoing')
    return { ok: false, reason: 'the CallCompleted detail has no Direction' };
  return { ok: true, message: { record, call: detail as unknown as CompletedCall, eventId: EventId } };
}

/** The defaults of {@link DeliveryDeps}, filled in. */
export function deliveryTools(deps: DeliveryDeps) {
  const now = deps.now ?? (() => new Date());
  const remaining = deps.remainingMs ?? (() => Number.POSITIVE_INFINITY);
  return {
    now,
    remaining,
    sleep: deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    maxTries: deps.maxTries ?? 4,
    backoff: deps.backoffMs ?? ((retry: number) => 1000 * 2 ** (retry - 1)),
    count: (name: string, n = 1) => addCount(deps.metrics, name, n),
    /** This invocation's claims are its own until it ends (Lambda stops it at its timeout). */
    leaseUntil: () => {
      const left = remaining();
      return new Date(now().getTime() + (Number.isFinite(left) ? left : 15 * 60_000));
    },
  };
}

export interface ClaimedBatch {
  /** Calls claimed now: nothing of them reached the CRM yet. */
  toSend: Message[];
  /**
   * Claims found `sending` and taken over: an earlier attempt ended without an answer, so the
   * CRM may hold some of it (what the item's Phase and CrmIds say it reached).
   */
  unsure: { message: Message; item: DeliveryItem }[];
  /** Messages the queue is to bring back (or, after their receives, move to the dead-letter queue). */
  failed: Set<string>;
}

/** Reads and claims each message's call: what this invocation is to deliver. */
export async function claimBatch(
  records: readonly SQSRecord[],
  deps: DeliveryDeps,
  leaseUntil: Date,
): Promise<ClaimedBatch> {
  const { now, count } = deliveryTools(deps);
  const batch: ClaimedBatch = { toSend: [], unsure: [], failed: new Set() };
  for (const record of records) {
    const parsed = completedCallOf(record);
    if (!parsed.ok) {
      deps.logger.error('Cannot read the message; it goes to the dead-letter queue after its receives', {
        messageId: record.messageId,
        reason: parsed.reason,
      });
      batch.failed.add(record.messageId);
      continue;
    }
    const { message } = parsed;
    const { SessionID } = message.call;
    const fresh = Number(record.attributes?.ApproximateReceiveCount ?? '1') <= 1;
    const claim = await deps.ledger.claim(SessionID, message.eventId, String(message.call.Outcome), now(), {
      refused: fresh,
      leaseUntil,
    });
    if (claim.claimed) {
      // A refused call claimed anew after an attempt got part of the way: from where it got to.
      if (claim.item.Phase !== undefined) batch.unsure.push({ message, item: claim.item });
      else batch.toSend.push(message);
      continue;
    }
    const { item } = claim;
    if (item.EventId !== message.eventId) {
      // Another CallCompleted of the call (its outcome corrected): recorded, never sent.
      await deps.ledger.recordLater(SessionID, {
        EventId: message.eventId,
        Outcome: String(message.call.Outcome),
        ReceivedAt: now().toISOString(),
      });
      count(CRM_METRICS.later);
      deps.logger.info('Later completion of a call already in the CRM: recorded, not sent', { SessionID });
      continue;
    }
    if (item.State === 'sending') {
      // Another attempt holds it (a duplicate message being delivered now): see it again later.
      if (await deps.ledger.takeOver(SessionID, now(), leaseUntil)) batch.unsure.push({ message, item });
      else batch.failed.add(record.messageId);
    } else if (item.State === 'refused') {
      // Refused before and received again: straight on towards the dead-letter queue.
      batch.failed.add(record.messageId);
    }
    // delivered or skipped: a re-delivery or a replay, nothing to do.
  }
  return batch;
}

/**
 * The CRM refused the integration itself (its token, its rights): the alarm's metric, the
 * operator told what to fix, and the mapping disabled, so that the calls wait in the queue.
 */
export async function stopDelivery(
  deps: DeliveryDeps,
  records: readonly SQSRecord[],
  what: { message: string; attributes: LogAttributes },
): Promise<void> {
  deliveryTools(deps).count(CRM_METRICS.unauthorized);
  deps.logger.error(what.message, what.attributes);
  const queueArn = records[0]?.eventSourceARN;
  if (queueArn && deps.pauseDelivery)
    await deps.pauseDelivery(queueArn).catch((pauseError: unknown) =>
      deps.logger.error('Cannot stop the delivery; the calls go on failing until the CRM takes them', {
        errorName: pauseError instanceof Error ? pauseError.name : 'Error',
      }),
    );
}

export const batchResponse = (failed: Iterable<string>): SQSBatchResponse => ({
  batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })),
});
