/**
 * The keys of the event tables (CallEvents, RejectedCallEvents) and the TTL attribute every table
 * shares: the stack creates the tables with them, the functions and tools read and write with
 * them. The Calls table's keys and indexes belong to the calls layer (lambda/calls/table.ts).
 */

export const CALL_EVENTS_KEYS = { partitionKey: 'SessionID', sortKey: 'EventKey' } as const;
export const REJECTED_EVENTS_KEYS = { partitionKey: 'RejectedOn', sortKey: 'RejectedKey' } as const;
export const TTL_ATTRIBUTE = 'ExpiresAt';

/** The TTL (epoch seconds) of an item kept `days` days from `from`. */
export function expiresAt(from: Date, days: number): number {
  return Math.floor(from.getTime() / 1000) + days * 86_400;
}
