/** An in-memory CallEventStore with DynamoDB's conditional-put semantics, for unit tests of the ingest logic. */
import type { CallEventRecord } from '../../lambda/contract';
import type { CallEventStore, RejectedCallEvent } from '../../lambda/ingest/store';

export class MemoryStore implements CallEventStore {
  readonly events = new Map<string, CallEventRecord>();
  readonly rejected: RejectedCallEvent[] = [];

  async putCallEvent(record: CallEventRecord): Promise<'stored' | 'duplicate'> {
    const key = `${record.SessionID}\u0000${record.EventKey}`;
    if (this.events.has(key)) return 'duplicate';
    this.events.set(key, structuredClone(record));
    return 'stored';
  }

  async putRejected(rejected: RejectedCallEvent): Promise<void> {
    this.rejected.push(structuredClone(rejected));
  }
}
