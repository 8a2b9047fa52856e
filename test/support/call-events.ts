/**
 * Stored CallEvents items for the calls tests, made by the product's own functions
 * (`parseCallEvent` then `toCallEventRecord`), never typed by hand.
 */
import { type CallEventRecord, parseCallEvent, toCallEventRecord } from '../../lambda/contract';

export const MOSCOW = 'Europe/Moscow';

export interface StoredOptions {
  /** @default one second after the event's own time */
  receivedAt?: Date;
  /** Zone the body's wall-clock times are read in. @default MOSCOW */
  timeZone?: string;
}

/** The CallEvents item that ingest stores for this body; throws if the contract rejects it. */
export function storedEvent(body: Record<string, unknown>, options: StoredOptions = {}): CallEventRecord {
  const result = parseCallEvent(body);
  if (!result.ok)
    throw new Error(`The contract rejects ${JSON.stringify(body)}: ${JSON.stringify(result.issues)}`);
  const timeZone = options.timeZone ?? MOSCOW;
  const draft = toCallEventRecord(result.event, { timeZone, receivedAt: new Date(0), rawBody: '' });
  const receivedAt = options.receivedAt ?? new Date(Date.parse(draft.EventTime) + 1000);
  return toCallEventRecord(result.event, { timeZone, receivedAt, rawBody: JSON.stringify(body) });
}

/** A body builder for one call: every event gets the call's SessionID, CityNumber and Caller. */
export function callOf(common: { SessionID: string; CityNumber: string; Caller: string }) {
  return (HookType: string, fields: Record<string, unknown>) => ({ ...common, HookType, ...fields });
}
