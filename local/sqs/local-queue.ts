/**
 * An SQS queue on one machine, as local mode's consumers see it: messages invisible for the
 * queue's visibility timeout once received, a receive count kept per message, and a message
 * received more than the redrive policy's `maxReceiveCount` times moved to the dead-letter queue
 * instead of being received again. Kept in an append-only journal (one JSON line per change, so
 * that a crash loses nothing written before it), replayed at start and compacted as it grows:
 * a restart of local mode finds every message it left, with its receive count and visibility.
 */
import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../state-file';

export interface QueueMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  /** Epoch milliseconds: when it was sent to this queue (or, moved, to the queue it came from). */
  sentTimestamp: number;
  /** How many times it has been received. */
  receiveCount: number;
  firstReceiveTimestamp?: number;
  /** Epoch milliseconds before which a receive does not return it. */
  visibleAt: number;
  /** Changes at each receive; delete and change visibility need the latest. */
  receiptHandle?: string;
}

export interface DeadLetterTarget {
  queue: LocalQueue;
  /** Receives after which the next receive moves the message to `queue` instead. */
  maxReceiveCount: number;
}

export interface LocalQueueOptions {
  /** The queue's name (its local name); its ARN is made of it. */
  name: string;
  region: string;
  /** The queue's `VisibilityTimeout`. @default 30 (SQS's default) */
  visibilityTimeoutSeconds?: number;
  /** Where the journal is kept. @default memory only (`--in-memory`) */
  journalFile?: string;
  deadLetter?: DeadLetterTarget;
  /** @default Date.now */
  now?: () => number;
}

export interface QueueCounts {
  /** Receivable now. */
  visible: number;
  /** Received and neither deleted nor visible again yet. */
  inFlight: number;
}

type JournalLine =
  | { op: 'send'; m: Pick<QueueMessage, 'messageId' | 'body' | 'md5OfBody' | 'sentTimestamp'> }
  | { op: 'receive'; id: string; count: number; first: number; visibleAt: number; handle: string }
  | { op: 'visibility'; id: string; visibleAt: number }
  | { op: 'delete'; id: string };

const LOCAL_ACCOUNT = '000000000000';
const md5 = (body: string) => createHash('md5').update(body).digest('hex');

export class LocalQueue {
  readonly name: string;
  readonly arn: string;
  readonly visibilityTimeoutSeconds: number;
  readonly deadLetter: DeadLetterTarget | undefined;
  private readonly messages = new Map<string, QueueMessage>();
  private readonly now: () => number;
  private readonly journalFile: string | undefined;
  private journalLines = 0;
  private readonly listeners = new Set<() => void>();

  constructor(options: LocalQueueOptions) {
    this.name = options.name;
    this.arn = `arn:aws:sqs:${options.region}:${LOCAL_ACCOUNT}:${options.name}`;
    this.visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 30;
    this.deadLetter = options.deadLetter;
    this.now = options.now ?? Date.now;
    this.journalFile = options.journalFile;
    if (this.journalFile) {
      mkdirSync(dirname(this.journalFile), { recursive: true });
      this.replay(this.journalFile);
      this.compact();
    }
  }

  /** Adds a message; `from` keeps the id and sent time of one moved from another queue. */
  send(body: string, from?: Pick<QueueMessage, 'messageId' | 'sentTimestamp'>): string {
    const m: QueueMessage = {
      messageId: from?.messageId ?? randomUUID(),
      body,
      md5OfBody: md5(body),
      sentTimestamp: from?.sentTimestamp ?? this.now(),
      receiveCount: 0,
      visibleAt: 0,
    };
    this.messages.set(m.messageId, m);
    this.record({
      op: 'send',
      m: { messageId: m.messageId, body, md5OfBody: m.md5OfBody, sentTimestamp: m.sentTimestamp },
    });
    for (const listener of this.listeners) listener();
    return m.messageId;
  }

  /**
   * Up to `max` visible messages, oldest first, each now invisible for `visibilityTimeoutSeconds`
   * with a new receipt handle. One already received `maxReceiveCount` times is moved to the
   * dead-letter queue instead of returned.
   */
  receive(max: number, visibilityTimeoutSeconds = this.visibilityTimeoutSeconds): QueueMessage[] {
    const now = this.now();
    const received: QueueMessage[] = [];
    for (const m of [...this.messages.values()]) {
      if (received.length >= max) break;
      if (m.visibleAt > now) continue;
      if (this.deadLetter && m.receiveCount >= this.deadLetter.maxReceiveCount) {
        this.deadLetter.queue.send(m.body, m);
        this.remove(m.messageId);
        continue;
      }
      m.receiveCount++;
      m.firstReceiveTimestamp ??= now;
      m.visibleAt = now + visibilityTimeoutSeconds * 1000;
      m.receiptHandle = `${m.messageId}#${m.receiveCount}#${randomUUID()}`;
      this.record({
        op: 'receive',
        id: m.messageId,
        count: m.receiveCount,
        first: m.firstReceiveTimestamp,
        visibleAt: m.visibleAt,
        handle: m.receiptHandle,
      });
      received.push({ ...m });
    }
    return received;
  }

  /** Deletes the message the handle was last given for; false when it is gone or received again since. */
  delete(receiptHandle: string): boolean {
    const m = this.byHandle(receiptHandle);
    if (!m) return false;
    this.remove(m.messageId);
    return true;
  }

  /** Makes a received message visible after `seconds` from now (0: at once). */
  changeVisibility(receiptHandle: string, seconds: number): boolean {
    const m = this.byHandle(receiptHandle);
    if (!m) return false;
    m.visibleAt = this.now() + seconds * 1000;
    this.record({ op: 'visibility', id: m.messageId, visibleAt: m.visibleAt });
    if (seconds === 0) for (const listener of this.listeners) listener();
    return true;
  }

  /** Moves every message to `target` (a dead-letter queue redriven to its source), oldest first. */
  moveAllTo(target: LocalQueue): number {
    const all = [...this.messages.values()];
    for (const m of all) {
      target.send(m.body, m);
      this.remove(m.messageId);
    }
    return all.length;
  }

  /** Every message, oldest first, as it stands (copies). */
  peek(): QueueMessage[] {
    return [...this.messages.values()].map((m) => ({ ...m }));
  }

  counts(): QueueCounts {
    const now = this.now();
    let visible = 0;
    for (const m of this.messages.values()) if (m.visibleAt <= now) visible++;
    return { visible, inFlight: this.messages.size - visible };
  }

  /** The earliest time a message not visible now becomes visible; undefined when none is waiting. */
  nextVisibleAt(): number | undefined {
    const now = this.now();
    let next: number | undefined;
    for (const m of this.messages.values())
      if (m.visibleAt > now && (next === undefined || m.visibleAt < next)) next = m.visibleAt;
    return next;
  }

  /** Told whenever a message becomes receivable at once (sent, or its visibility set to 0). */
  onMessage(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private byHandle(receiptHandle: string): QueueMessage | undefined {
    const id = receiptHandle.split('#')[0] ?? '';
    const m = this.messages.get(id);
    return m?.receiptHandle === receiptHandle ? m : undefined;
  }

  private remove(id: string): void {
    this.messages.delete(id);
    this.record({ op: 'delete', id });
  }

  private record(line: JournalLine): void {
    if (!this.journalFile) return;
    appendFileSync(this.journalFile, `${JSON.stringify(line)}\n`);
    // Rewritten whole (atomically) once it holds far more lines than messages.
    if (++this.journalLines > 1000 + 4 * this.messages.size) this.compact();
  }

  private replay(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return;
    }
    for (const raw of text.split('\n')) {
      if (!raw) continue;
      let line: JournalLine;
      try {
        line = JSON.parse(raw) as JournalLine;
      } catch {
        continue; // the last line of a write cut short
      }
      if (line.op === 'send')
        this.messages.set(line.m.messageId, { ...line.m, receiveCount: 0, visibleAt: 0 });
      const m = 'id' in line ? this.messages.get(line.id) : undefined;
      if (!m) continue;
      if (line.op === 'receive') {
        m.receiveCount = line.count;
        m.firstReceiveTimestamp = line.first;
        m.visibleAt = line.visibleAt;
        m.receiptHandle = line.handle;
      } else if (line.op === 'visibility') m.visibleAt = line.visibleAt;
      else if (line.op === 'delete') this.messages.delete(line.id);
    }
  }

  private compact(): void {
    if (!this.journalFile) return;
    const lines: JournalLine[] = [];
    for (const m of this.messages.values()) {
      const { messageId, body, md5OfBody, sentTimestamp } = m;
      lines.push({ op: 'send', m: { messageId, body, md5OfBody, sentTimestamp } });
      if (m.receiveCount > 0 && m.firstReceiveTimestamp !== undefined && m.receiptHandle)
        lines.push({
          op: 'receive',
          id: messageId,
          count: m.receiveCount,
          first: m.firstReceiveTimestamp,
          visibleAt: m.visibleAt,
          handle: m.receiptHandle,
        });
    }
    writeFileAtomic(this.journalFile, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    this.journalLines = lines.length;
  }
}
