/**
 * A batch of CallCompleted events (an SQS batch of the CRM consumer) into amoCRM / Kommo, each
 * call once: claimed in the ledger, sent as calls (≤ 50 a request), a call whose number no
 * contact has sent again as an incoming lead, and the CRM's ids kept. The batch response names
 * the messages to see again: those the CRM could not take now (429, 5xx, a timeout, retried here
 * first with backoff), those it refused (400: they reach the dead-letter queue after the queue's
 * receives, the CRM's errors kept in the ledger), and all of them when the token is refused.
 *
 * A claim found `sending` is an attempt whose answer never came (a timeout, a crash): the CRM
 * may have applied it, and it does not refuse a second call with the same `uniq`. So the CRM is
 * asked first (its call notes by `uniq`, its incoming leads by `source_uid`), and the call is
 * sent again only when it is not there: see docs/ARCHITECTURE.md, "Consumers and the CRM".
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { UserMap } from '../completed-call';
import {
  batchResponse,
  CRM_METRICS,
  claimBatch,
  type DeliveryDeps,
  deliveryTools,
  type Message,
  stopDelivery,
} from '../delivery';
import type { AmoClient, AmoResponse } from './client';
import { type AmoCallEntry, amoCallEntry, amoUnsortedSip } from './mapping';

/** The most entries amoCRM takes in one request. */
export const MAX_ENTRIES_PER_REQUEST = 50;

export interface DeliverDeps extends DeliveryDeps {
  client: AmoClient;
  users: UserMap;
}

/** Entries of the CRM's answer keyed by the `request_id` they echo. */
function byRequestId(list: unknown): Map<string, Record<string, unknown>> {
  const map = new Map<string, Record<string, unknown>>();
  if (!Array.isArray(list)) return map;
  for (const item of list) {
    const id = (item as { request_id?: unknown } | null)?.request_id;
    if (id !== undefined && id !== null) map.set(String(id), item as Record<string, unknown>);
  }
  return map;
}

/** The CRM's validation errors without the values it quotes (they may be phone numbers). */
export function describeRefusal(errors: unknown): string {
  const list = Array.isArray(errors) ? errors : [errors];
  const parts = list.flatMap((e) => {
    const inner = (e as { errors?: unknown } | null)?.errors;
    const items = Array.isArray(inner) ? inner : [e];
    return items.map((item) => {
      const { code, path, detail } = (item ?? {}) as { code?: unknown; path?: unknown; detail?: unknown };
      return [code, path, detail].filter((x) => typeof x === 'string' || typeof x === 'number').join(' ');
    });
  });
  const text = parts.filter(Boolean).join('; ');
  return text === '' ? 'refused without validation errors' : text.slice(0, 1000);
}

class TokenRefused extends Error {
  constructor(readonly status: number) {
    super(`the CRM refused the token (HTTP ${status})`);
  }
}

export async function deliverBatch(event: SQSEvent, deps: DeliverDeps): Promise<SQSBatchResponse> {
  const { now, sleep, maxTries, backoff, remaining, count, leaseUntil } = deliveryTools(deps);

  /** The request, tried again on a transient answer while tries and time last. */
  async function send<T extends AmoResponse>(request: () => Promise<T>, idempotent = false): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const response = await request();
      if (response.kind === 'unauthorized') throw new TokenRefused(response.status);
      // Only a 429 is sure not to have been applied: after a timeout, a reset or a 5xx the CRM
      // may have added the calls, so a POST is not sent again blind; its calls are looked up
      // first when they come back from the queue (their lease released). A lookup is retried.
      if (response.kind !== 'transient' || attempt >= maxTries) return response;
      if (!idempotent && response.status !== 429) return response;
      const wait = response.retryAfterMs ?? backoff(attempt);
      // Not enough time left to wait and try again: the queue brings the calls back later.
      if (wait + 15_000 > remaining()) return response;
      count(CRM_METRICS.retried);
      deps.logger.warn('CRM request not taken; retrying', { reason: response.reason, waitMs: wait, attempt });
      await sleep(wait);
    }
  }

  /** The token refused: delivery stopped until it is put right. */
  const stop = (error: TokenRefused) =>
    stopDelivery(deps, event.Records, {
      message:
        'The CRM refused the token: delivery stopped. Put a valid long-lived token in the CRM secret, then npm run crm -- resume; the calls wait in the queue',
      attributes: { status: error.status },
    });

  // 1. What each message is, and whether its call is this one's to deliver.
  const lease = leaseUntil();
  const { toSend, unsure, failed } = await claimBatch(event.Records, deps, lease);

  // 1b. An attempt whose answer was lost may have been applied: look for the call (or its lead)
  // in the CRM, since a minute before it was claimed, before sending it again.
  try {
    for (const { message, item } of unsure) {
      const { SessionID } = message.call;
      const since = Math.floor(Date.parse(item.ClaimedAt) / 1000) - 60;
      const note = await send(() => deps.client.findCallNote(SessionID, since), true);
      if (note.kind === 'transient') {
        failed.add(message.record.messageId);
        await deps.ledger.release(SessionID, now());
        continue;
      }
      if (note.kind === 'ok' && note.note) {
        await deps.ledger.delivered(
          SessionID,
          { kind: 'call', ...crmIdsOf(note.note, ['id', 'entity_id', 'entity_type']) },
          now(),
        );
        count(CRM_METRICS.delivered);
        deps.logger.info('Call found in the CRM after a lost answer: not sent again', { SessionID });
        continue;
      }
      if (item.Phase === 'lead') {
        const lead = await send(() => deps.client.findUnsorted(SessionID), true);
        if (lead.kind === 'transient') {
          failed.add(message.record.messageId);
          await deps.ledger.release(SessionID, now());
          continue;
        }
        if (lead.kind === 'ok' && lead.lead) {
          await deps.ledger.delivered(SessionID, { kind: 'lead', ...crmIdsOf(lead.lead, ['uid']) }, now());
          count(CRM_METRICS.leads);
          deps.logger.info('Incoming lead found in the CRM after a lost answer: not sent again', {
            SessionID,
          });
          continue;
        }
      }
      toSend.push(message);
    }
  } catch (error) {
    if (!(error instanceof TokenRefused)) throw error;
    await stop(error);
    for (const message of [...unsure.map((u) => u.message), ...toSend]) {
      failed.add(message.record.messageId);
      await deps.ledger.release(message.call.SessionID, now());
    }
    return batchResponse(failed);
  }

  // 2. Entries; a call without a customer number is settled as skipped.
  const entries = new Map<string, { message: Message; entry: AmoCallEntry }>();
  for (const message of toSend) {
    const mapped = amoCallEntry(message.call, deps.users);
    if (mapped.ok) entries.set(message.call.SessionID, { message, entry: mapped.value });
    else {
      await deps.ledger.skipped(message.call.SessionID, mapped.reason, now());
      deps.logger.info('Call not sent to the CRM', {
        SessionID: message.call.SessionID,
        reason: mapped.reason,
      });
    }
  }

  const refuse = async (sessionId: string, reason: string) => {
    const pending = entries.get(sessionId);
    if (!pending) return;
    await deps.ledger.refused(sessionId, reason, now());
    failed.add(pending.message.record.messageId);
    count(CRM_METRICS.refused);
    deps.logger.error('The CRM refused the call; it goes to the dead-letter queue', {
      SessionID: sessionId,
      reason,
    });
  };
  const leaveForLater = async (sessionIds: Iterable<string>) => {
    for (const id of sessionIds) {
      const pending = entries.get(id);
      if (!pending) continue;
      failed.add(pending.message.record.messageId);
      await deps.ledger.release(id, now());
    }
  };

  try {
    /**
     * Sends the calls `ids` in requests of 50, as `request` builds them: a transient answer
     * leaves them for later, a refused request is halved until the refused entry is alone (and
     * settled refused), an accepted one goes to `accepted`.
     */
    const sendAll = async (
      ids: readonly string[],
      request: (ids: readonly string[]) => Promise<AmoResponse>,
      accepted: (ids: readonly string[], body: unknown) => Promise<void>,
    ): Promise<void> => {
      const sendPart = async (part: readonly string[]): Promise<void> => {
        const response = await send(() => request(part));
        if (response.kind === 'transient') {
          deps.logger.warn('CRM did not take the calls; the queue brings them back', {
            reason: response.reason,
            calls: part.length,
          });
          return leaveForLater(part);
        }
        if (response.kind === 'refused') {
          if (part.length === 1) return refuse(part[0] as string, describeRefusal(response.errors));
          const half = Math.ceil(part.length / 2);
          await sendPart(part.slice(0, half));
          return sendPart(part.slice(half));
        }
        if (response.kind === 'ok') return accepted(part, response.body);
      };
      for (let i = 0; i < ids.length; i += MAX_ENTRIES_PER_REQUEST)
        await sendPart(ids.slice(i, i + MAX_ENTRIES_PER_REQUEST));
    };

    // 3. Calls; one the CRM did not add (no contact has the number) goes on to step 4.
    const unknownNumbers: string[] = [];
    await sendAll(
      [...entries.keys()],
      (ids) =>
        deps.client.addCalls(
          ids.map((id) => ({ ...(entries.get(id)?.entry as AmoCallEntry), request_id: id })),
        ),
      async (ids, answer) => {
        const body = answer as { _embedded?: { calls?: unknown } } | undefined;
        const added = byRequestId(body?._embedded?.calls);
        for (const id of ids) {
          const call = added.get(id);
          // Not added, whether or not an error names it: amoCRM adds no call without a contact.
          if (!call) {
            unknownNumbers.push(id);
            continue;
          }
          await deps.ledger.delivered(
            id,
            { kind: 'call', ...crmIdsOf(call, ['id', 'entity_id', 'entity_type']) },
            now(),
          );
          count(CRM_METRICS.delivered);
        }
      },
    );

    // 4. A number no contact has: an incoming lead with the call.
    for (const id of unknownNumbers) await deps.ledger.sendingAsLead(id);
    await sendAll(
      unknownNumbers,
      (ids) =>
        deps.client.addUnsortedSip(
          ids.map((id) => {
            const { entry, message } = entries.get(id) as { entry: AmoCallEntry; message: Message };
            return { ...amoUnsortedSip(entry, message.call), request_id: id };
          }),
        ),
      async (ids, answer) => {
        const listed = (answer as { _embedded?: { unsorted?: unknown } } | undefined)?._embedded?.unsorted;
        const unsorted = Array.isArray(listed) ? (listed as Record<string, unknown>[]) : [];
        const byRequest = byRequestId(unsorted);
        for (const [index, id] of ids.entries()) {
          const lead = byRequest.get(id) ?? unsorted[index];
          await deps.ledger.delivered(
            id,
            { kind: 'lead', ...crmIdsOf(lead ?? {}, ['uid']), ...leadIdsOf(lead) },
            now(),
          );
          count(CRM_METRICS.leads);
        }
      },
    );
  } catch (error) {
    if (!(error instanceof TokenRefused)) throw error;
    await stop(error);
    // Every call of the batch not yet settled comes back.
    for (const [id, { message }] of entries) {
      const item = await deps.ledger.get(id);
      if (item?.State !== 'sending') continue;
      failed.add(message.record.messageId);
      await deps.ledger.release(id, now());
    }
  }
  return batchResponse(failed);
}

/** The named ids of a CRM answer's entry, as strings or numbers. */
function crmIdsOf(entry: Record<string, unknown>, keys: readonly string[]): Record<string, string | number> {
  const ids: Record<string, string | number> = {};
  for (const key of keys) {
    const value = entry[key];
    if (typeof value === 'string' || typeof value === 'number') ids[key] = value;
  }
  return ids;
}

/** The lead's and contact's ids of an incoming lead, when the CRM's answer gives them. */
function leadIdsOf(lead: Record<string, unknown> | undefined): Record<string, number> {
  const embedded = (lead?._embedded ?? {}) as { leads?: { id?: unknown }[]; contacts?: { id?: unknown }[] };
  const ids: Record<string, number> = {};
  const leadId = embedded.leads?.[0]?.id;
  const contactId = embedded.contacts?.[0]?.id;
  if (typeof leadId === 'number') ids.leadId = leadId;
  if (typeof contactId === 'number') ids.contactId = contactId;
  return ids;
}
