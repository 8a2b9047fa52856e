/**
 * A batch of CallCompleted events (an SQS batch of the CRM consumer) into Bitrix24, each call
 * once, as the portal's own telephony integrations do it: `telephony.externalCall.register`,
 * its CALL_ID kept in the ledger the moment it comes back, then `telephony.externalCall.finish`.
 *
 * Every step may be sent again safely, so every one is retried here after the portal's limits,
 * its 5xx and timeouts: a register sent twice within 30 minutes with the same EXTERNAL_CALL_ID
 * (the SessionID) returns the same CALL_ID, and a retry of an attempt that got as far as register
 * finishes that CALL_ID rather than registering again. A finish whose answer was lost is found
 * out by the next one: the portal no longer knows the registration ("Call is not found"), and
 * the statistics hold the call by its CALL_ID. See docs/ARCHITECTURE.md, "Consumers and the CRM".
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
import type { CrmIds, DeliveryItem } from '../ledger';
import type { Bitrix24Client, BitrixResponse } from './client';
import { bitrixFinish, bitrixRegistration } from './mapping';

export const METHODS = {
  register: 'telephony.externalcall.register',
  finish: 'telephony.externalcall.finish',
  statistics: 'voximplant.statistic.get',
} as const;

export interface BitrixDeliverDeps extends DeliveryDeps {
  client: Bitrix24Client;
  users: UserMap;
  /** The zone a call's start is written in (CALL_START_DATE carries its offset). */
  timeZone: string;
}

/** What the portal answers a finish of a registration it no longer has (the finish page). */
const CALL_NOT_FOUND = /^call is not found/i;

/** Less time than this left in the invocation: the calls not started wait for the queue. */
const TIME_FOR_ONE_CALL_MS = 20_000;

class Stopped extends Error {
  constructor(readonly response: Extract<BitrixResponse, { kind: 'stopped' }>) {
    super(`Bitrix24 refused the application: ${response.error}`);
  }
}

type Settled = 'delivered' | 'refused' | 'skipped' | 'later';
/** An answer the delivery acts on per call: a stopping one ends the batch. */
type Answer = Exclude<BitrixResponse, { kind: 'stopped' }>;

export async function deliverBitrixBatch(
  event: SQSEvent,
  deps: BitrixDeliverDeps,
): Promise<SQSBatchResponse> {
  const { now, sleep, maxTries, backoff, remaining, count, leaseUntil } = deliveryTools(deps);
  const { toSend, unsure, failed } = await claimBatch(event.Records, deps, leaseUntil());

  /** The request, tried again while the portal does not take it now and tries and time last. */
  async function send(method: string, params: Record<string, unknown>): Promise<Answer> {
    for (let attempt = 1; ; attempt++) {
      const response = await deps.client.call(method, params);
      if (response.kind === 'stopped') throw new Stopped(response);
      if (response.kind !== 'transient' || attempt >= maxTries) return response;
      const wait = response.retryAfterMs ?? backoff(attempt);
      if (wait + TIME_FOR_ONE_CALL_MS > remaining()) return response;
      count(CRM_METRICS.retried);
      deps.logger.warn('Bitrix24 did not take the request; retrying', {
        method,
        reason: response.reason,
        waitMs: wait,
        attempt,
      });
      await sleep(wait);
    }
  }

  const refuse = async (message: Message, response: Extract<BitrixResponse, { kind: 'refused' }>) => {
    const reason = `${response.error}: ${response.description}`.slice(0, 1000);
    await deps.ledger.refused(message.call.SessionID, reason, now());
    count(CRM_METRICS.refused);
    deps.logger.error('Bitrix24 refused the call; it goes to the dead-letter queue', {
      SessionID: message.call.SessionID,
      reason,
    });
    return 'refused' as const;
  };
  const later = (message: Message, response: Extract<BitrixResponse, { kind: 'transient' }>) => {
    deps.logger.warn('Bitrix24 did not take the call; the queue brings it back', {
      SessionID: message.call.SessionID,
      reason: response.reason,
    });
    return 'later' as const;
  };

  /** The call into the portal, from wherever an earlier attempt left it. */
  async function deliver(message: Message, item?: DeliveryItem): Promise<Settled> {
    const { call } = message;
    const { SessionID } = call;
    const registration = bitrixRegistration(call, deps.users, deps.timeZone);
    if (!registration.ok) {
      await deps.ledger.skipped(SessionID, registration.reason, now());
      deps.logger.info('Call not sent to the CRM', { SessionID, reason: registration.reason });
      return 'skipped';
    }
    const user = registration.value.USER_ID;
    let ids: CrmIds | undefined = item?.Phase === 'registered' ? item.CrmIds : undefined;
    let registeredNow = false;
    for (;;) {
      if (typeof ids?.CALL_ID !== 'string') {
        const registered = await send(METHODS.register, { ...registration.value });
        if (registered.kind === 'transient') return later(message, registered);
        if (registered.kind === 'refused') return refuse(message, registered);
        const result = (registered.result ?? {}) as Record<string, unknown>;
        if (typeof result.CALL_ID !== 'string' || result.CALL_ID === '')
          return refuse(message, {
            kind: 'refused',
            status: 200,
            error: 'NO_CALL_ID',
            description: 'register answered without a CALL_ID',
          });
        ids = registeredIds(result);
        await deps.ledger.registered(SessionID, ids);
        registeredNow = true;
      }
      const callId = ids.CALL_ID as string;
      const finished = await send(METHODS.finish, { ...bitrixFinish(call, callId, user) });
      if (finished.kind === 'ok') {
        await settle(SessionID, ids, finished.result);
        return 'delivered';
      }
      if (finished.kind === 'transient') return later(message, finished);
      if (!CALL_NOT_FOUND.test(finished.description)) return refuse(message, finished);
      // The portal has no such registration: an earlier finish was applied and its answer lost,
      // or the registration is gone. The statistics tell which.
      const statistics = await send(METHODS.statistics, { FILTER: { CALL_ID: callId } });
      if (statistics.kind === 'transient') return later(message, statistics);
      if (statistics.kind === 'refused') return refuse(message, statistics);
      const record = Array.isArray(statistics.result) ? (statistics.result[0] as unknown) : undefined;
      if (record && typeof record === 'object') {
        await settle(SessionID, ids, record);
        deps.logger.info('Call found finished in Bitrix24 after a lost answer: not sent again', {
          SessionID,
        });
        return 'delivered';
      }
      // Gone unfinished: registered anew, once.
      if (registeredNow) return refuse(message, finished);
      ids = undefined;
    }
  }

  const settle = async (sessionId: string, ids: CrmIds, record: unknown) => {
    await deps.ledger.delivered(sessionId, { ...ids, ...finishedIds(record) }, now());
    count(ids.kind === 'lead' ? CRM_METRICS.leads : CRM_METRICS.delivered);
  };

  const work = [...unsure, ...toSend.map((message) => ({ message, item: undefined }))];
  for (const [index, { message, item }] of work.entries()) {
    const { SessionID } = message.call;
    if (remaining() < TIME_FOR_ONE_CALL_MS) {
      // Too little time for another call: it and the rest wait for the queue.
      for (const rest of work.slice(index)) {
        failed.add(rest.message.record.messageId);
        await deps.ledger.release(rest.message.call.SessionID, now());
      }
      break;
    }
    try {
      const settled = await deliver(message, item);
      if (settled === 'later') {
        failed.add(message.record.messageId);
        await deps.ledger.release(SessionID, now());
      } else if (settled === 'refused') failed.add(message.record.messageId);
    } catch (error) {
      if (!(error instanceof Stopped)) throw error;
      await stopDelivery(deps, event.Records, {
        message: `Bitrix24 refused the application (${error.response.error}): delivery stopped. Fix: ${error.response.fix}; then npm run crm -- resume. The calls wait in the queue`,
        attributes: { error: error.response.error },
      });
      for (const rest of work.slice(index)) {
        failed.add(rest.message.record.messageId);
        await deps.ledger.release(rest.message.call.SessionID, now());
      }
      break;
    }
  }
  return batchResponse(failed);
}

/** What register's answer names: the CALL_ID, and the CRM entity the call went to (a new lead, when it made one). */
function registeredIds(result: Record<string, unknown>): CrmIds {
  const ids: CrmIds = {
    kind: typeof result.CRM_CREATED_LEAD === 'number' ? 'lead' : 'call',
    CALL_ID: result.CALL_ID as string,
  };
  for (const key of ['CRM_ENTITY_TYPE', 'CRM_ENTITY_ID', 'CRM_CREATED_LEAD'] as const) {
    const value = result[key];
    if (typeof value === 'string' || typeof value === 'number') ids[key] = value;
  }
  return ids;
}

/** The statistics record's id and the CRM activity of a finished call. */
function finishedIds(record: unknown): Record<string, string | number> {
  const ids: Record<string, string | number> = {};
  const fields = (record ?? {}) as Record<string, unknown>;
  for (const [from, to] of [
    ['ID', 'StatisticsId'],
    ['CRM_ACTIVITY_ID', 'CRM_ACTIVITY_ID'],
  ] as const) {
    const value = fields[from];
    if (typeof value === 'string' || typeof value === 'number') ids[to] = value;
  }
  return ids;
}
