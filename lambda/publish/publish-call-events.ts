/**
 * The outboxes' second half: turns stream records of the two outbox tables into EventBridge
 * entries (a CallEvents INSERT → its HookType event; a Calls write → the call-level events it
 * stands for, e.g. CallCompleted), sends them in PutEvents calls of at most 10 entries and
 * 256 KB, retries only the entries that failed, and reports what still fails as batch item
 * failures so that the event source mapping's bounded retries and on-failure destination take over.
 */
import type { PutEventsRequestEntry, PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { callLevelEvents } from '../calls/call-level-events';
import type { CallRecord } from '../calls/record';
import { METRICS } from '../config/metrics';
import { type CallEventRecord, toCallEventDetail } from '../contract/call-event-record';
import { addCount, type Counts } from '../shared/counts';

/** PutEvents takes at most 10 entries a call. */
export const PUT_EVENTS_MAX_ENTRIES = 10;
/** PutEvents takes at most 256 KB a call, entries measured as EventBridge documents it. */
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;
export const DEFAULT_MAX_ATTEMPTS = 3;
/** First retry waits 50–100 ms, the second 100–200 ms: short, since the SDK retries too. */
export const BASE_BACKOFF_MS = 100;

export interface PutEventsResponseLike {
  FailedEntryCount?: number | undefined;
  Entries?: PutEventsResultEntry[] | undefined;
}

type LogAttributes = Record<string, unknown>;

export interface PublishLogger {
  /** The batch's summary: DEBUG, below the functions' level, since the EMF counts say it (Published, PublishFailed). */
  debug(message: string, attributes: LogAttributes): void;
  warn(message: string, attributes: LogAttributes): void;
  error(message: string, attributes: LogAttributes): void;
}

export interface PublishDeps {
  /** One PutEvents call; its response's `Entries[i]` answers `entries[i]`. */
  putEvents: (entries: PutEventsRequestEntry[]) => Promise<PutEventsResponseLike>;
  eventBusName: string;
  source: string;
  /** Calls per entry in all, the first included. @default 3 */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  logger: PublishLogger;
}

/** The stream handler's dependencies: the publisher's, and the metrics the handler flushes. */
export interface StreamPublishDeps extends PublishDeps {
  /** Published and PublishFailed, each written only when not zero. */
  metrics: Counts;
}

/** What may be logged about a record: identifiers only, never phone numbers or the body. */
interface RecordRef {
  /** Position in the batch, so that failures are reported in stream order. */
  index: number;
  sequenceNumber: string | undefined;
  SessionID?: string;
  HookType?: string;
  EventKey?: string;
  /** A Calls record's Version. */
  Version?: number;
}

interface Outgoing {
  ref: RecordRef;
  entry: PutEventsRequestEntry;
  errorCode?: string;
}

export type EntryConversion = { ok: true; entry: PutEventsRequestEntry } | { ok: false; reason: string };

const REQUIRED_ATTRIBUTES = ['SessionID', 'HookType', 'EventKey', 'EventTime'] as const;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Size of an entry as PutEvents counts it against its 256 KB limit. */
export function entrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time ? 14 : 0;
  for (const text of [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])]) {
    if (text) size += Buffer.byteLength(text, 'utf8');
  }
  return size;
}

/** Equal jitter: half the exponential step for sure, the other half at random. */
export function backoffMs(retry: number, random: () => number = Math.random): number {
  const step = BASE_BACKOFF_MS * 2 ** (retry - 1);
  return step / 2 + random() * (step / 2);
}

const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value !== '';

function identify(record: DynamoDBRecord, index: number, item?: Record<string, unknown>): RecordRef {
  const ref: RecordRef = { index, sequenceNumber: record.dynamodb?.SequenceNumber };
  if (isNonEmptyString(item?.SessionID)) ref.SessionID = item.SessionID;
  if (isNonEmptyString(item?.HookType)) ref.HookType = item.HookType;
  if (isNonEmptyString(item?.EventKey)) ref.EventKey = item.EventKey;
  if (typeof item?.Version === 'number') ref.Version = item.Version;
  return ref;
}

/**
 * The PutEvents entry for a stored CallEvents item (bus, source, HookType, EventTime, detail),
 * or why it cannot be one. The operator tools that re-publish stored items build theirs with it.
 */
export function toPutEventsEntry(
  item: Record<string, unknown>,
  deps: Pick<PublishDeps, 'eventBusName' | 'source'>,
): EntryConversion {
  const missing = REQUIRED_ATTRIBUTES.filter((name) => !isNonEmptyString(item[name]));
  if (missing.length > 0) return { ok: false, reason: `missing ${missing.join(', ')}` };
  const record = item as CallEventRecord;
  const time = new Date(record.EventTime);
  if (Number.isNaN(time.getTime())) return { ok: false, reason: 'EventTime is not a valid time' };
  const entry: PutEventsRequestEntry = {
    EventBusName: deps.eventBusName,
    Source: deps.source,
    DetailType: record.HookType,
    Time: time,
    Detail: JSON.stringify(toCallEventDetail(record)),
  };
  if (entrySize(entry) > PUT_EVENTS_MAX_BYTES) {
    return { ok: false, reason: `entry is over the PutEvents limit of ${PUT_EVENTS_MAX_BYTES} bytes` };
  }
  return { ok: true, entry };
}

/** Consecutive runs of at most 10 entries and 256 KB, in stream order. */
function chunks(outgoing: Outgoing[]): Outgoing[][] {
  const result: Outgoing[][] = [];
  let current: Outgoing[] = [];
  let bytes = 0;
  for (const item of outgoing) {
    const size = entrySize(item.entry);
    if (current.length === PUT_EVENTS_MAX_ENTRIES || bytes + size > PUT_EVENTS_MAX_BYTES) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) result.push(current);
  return result;
}

function countBy(values: (string | undefined)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) {
    const key = value ?? 'unknown';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function describeError(error: unknown): LogAttributes {
  return error instanceof Error
    ? { errorName: error.name, errorMessage: error.message }
    : { errorName: 'unknown' };
}

interface ChunkResult {
  failed: Outgoing[];
  /** The last call threw: EventBridge is unreachable or throttling us, so stop calling it. */
  unreachable: boolean;
}

/**
 * Sends one chunk, then resends only the entries that failed, up to `maxAttempts` calls.
 * A thrown call counts as every entry of that call failing.
 */
async function sendChunk(chunk: Outgoing[], deps: PublishDeps): Promise<ChunkResult> {
  const { logger: log, sleep = defaultSleep } = deps;
  const maxAttempts = Math.max(1, deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  let pending = chunk;
  for (let attempt = 1; ; attempt++) {
    let failed: Outgoing[];
    let threw = false;
    try {
      const response = await deps.putEvents(pending.map((item) => item.entry));
      failed = [];
      pending.forEach((item, i) => {
        const result = response.Entries?.[i];
        // No answer for an entry is not a success: at-least-once, so send it again.
        if (result === undefined || result.ErrorCode !== undefined) {
          item.errorCode = result?.ErrorCode ?? 'NoResultEntry';
          failed.push(item);
        }
      });
      if (failed.length > 0) {
        log.warn('PutEvents rejected entries', {
          attempt,
          entries: pending.length,
          failedEntries: failed.length,
          errorCodes: countBy(failed.map((item) => item.errorCode)),
        });
      }
    } catch (error) {
      threw = true;
      failed = pending;
      for (const item of pending) item.errorCode = error instanceof Error ? error.name : 'Error';
      log.warn('PutEvents call failed', { attempt, entries: pending.length, ...describeError(error) });
    }
    if (failed.length === 0 || attempt >= maxAttempts) return { failed, unreachable: threw };
    await sleep(backoffMs(attempt));
    pending = failed;
  }
}

/** Sends every entry, chunk by chunk in order; returns the entries given up on. */
async function sendInOrder(outgoing: Outgoing[], deps: PublishDeps): Promise<Outgoing[]> {
  const gaveUpOn: Outgoing[] = [];
  let unreachable = false;
  for (const chunk of chunks(outgoing)) {
    if (unreachable) {
      // Earlier calls kept throwing: report the rest for the mapping to retry later.
      for (const item of chunk) item.errorCode = 'NotSent';
      gaveUpOn.push(...chunk);
      continue;
    }
    const result = await sendChunk(chunk, deps);
    gaveUpOn.push(...result.failed);
    unreachable = result.unreachable;
  }
  return gaveUpOn;
}

export interface ItemsPublished {
  published: number;
  /** By position in `items`: an item that is not a publishable event, or whose entry failed on every attempt. */
  failed: { index: number; EventId?: string; reason: string }[];
}

/**
 * Publishes stored CallEvents items, as read from the table, exactly as the stream handler
 * publishes new ones: the same entries, calls of 10 entries and 256 KB in the given order,
 * only failed entries retried. For the operator tools that re-publish; emits no metrics.
 */
export async function publishItems(
  items: readonly Record<string, unknown>[],
  deps: PublishDeps,
): Promise<ItemsPublished> {
  const failed: ItemsPublished['failed'] = [];
  const outgoing: Outgoing[] = [];
  items.forEach((item, index) => {
    const ref = identify({}, index, item);
    const conversion = toPutEventsEntry(item, deps);
    if (conversion.ok) outgoing.push({ ref, entry: conversion.entry });
    else failed.push({ index, ...eventIdOf(ref), reason: conversion.reason });
  });
  const gaveUpOn = await sendInOrder(outgoing, deps);
  for (const { ref, errorCode } of gaveUpOn) {
    failed.push({ index: ref.index, ...eventIdOf(ref), reason: errorCode ?? 'failed' });
  }
  failed.sort((a, b) => a.index - b.index);
  return { published: outgoing.length - gaveUpOn.length, failed };
}

function eventIdOf(ref: RecordRef): { EventId?: string } {
  return ref.SessionID && ref.EventKey ? { EventId: `${ref.SessionID}/${ref.EventKey}` } : {};
}

/** What one stream record gives to publish: its entries (none when nothing is due), or why it cannot. */
type RecordEntries = { ok: true; entries: PutEventsRequestEntry[] } | { ok: false; reason: string };

const image = (value: unknown) => (value ? unmarshall(value as Parameters<typeof unmarshall>[0]) : undefined);

/**
 * The entries of one stream record, told apart by the table's key: a CallEvents item (keyed by
 * SessionID and EventKey) is published when it is inserted; a Calls record (keyed by SessionID
 * alone) gives the call-level events its change stands for. The mappings filter what reaches
 * here; anything else publishes nothing.
 */
function entriesOf(
  record: DynamoDBRecord,
  item: Record<string, unknown> | undefined,
  deps: Pick<PublishDeps, 'eventBusName' | 'source'>,
): RecordEntries {
  if (record.dynamodb?.Keys && 'EventKey' in record.dynamodb.Keys) {
    if (record.eventName !== 'INSERT') return { ok: true, entries: [] };
    if (!item) return { ok: false, reason: 'no NewImage' };
    const conversion = toPutEventsEntry(item, deps);
    return conversion.ok ? { ok: true, entries: [conversion.entry] } : conversion;
  }
  const before = image(record.dynamodb?.OldImage) as CallRecord | undefined;
  if (!item && !before) return { ok: false, reason: 'no NewImage' };
  if (item && !isNonEmptyString(item.SessionID)) return { ok: false, reason: 'missing SessionID' };
  const entries = callLevelEvents(item as CallRecord | undefined, before).map(
    (event): PutEventsRequestEntry => ({
      EventBusName: deps.eventBusName,
      Source: deps.source,
      DetailType: event.detailType,
      Time: new Date(event.time),
      Detail: JSON.stringify(event.detail),
    }),
  );
  const tooLarge = entries.find((entry) => entrySize(entry) > PUT_EVENTS_MAX_BYTES);
  if (tooLarge)
    return { ok: false, reason: `entry is over the PutEvents limit of ${PUT_EVENTS_MAX_BYTES} bytes` };
  return { ok: true, entries };
}

/**
 * Publishes what every record of a stream batch stands for (see `entriesOf`) and returns the
 * records that could not be published, by SequenceNumber.
 */
export async function publishCallEvents(
  event: DynamoDBStreamEvent,
  deps: StreamPublishDeps,
): Promise<DynamoDBBatchResponse> {
  const { logger: log, metrics } = deps;

  const outgoing: Outgoing[] = [];
  const poison: RecordRef[] = [];
  let skipped = 0;
  event.Records.forEach((record, index) => {
    let item: Record<string, unknown> | undefined;
    let conversion: RecordEntries;
    try {
      item = image(record.dynamodb?.NewImage);
      conversion = entriesOf(record, item, deps);
    } catch (error) {
      // The error's message may quote attribute values, so only its name is logged.
      conversion = {
        ok: false,
        reason: `cannot be converted (${error instanceof Error ? error.name : 'Error'})`,
      };
    }
    const ref = identify(record, index, item);
    if (conversion.ok) {
      if (conversion.entries.length === 0) skipped++;
      for (const entry of conversion.entries) outgoing.push({ ref, entry });
    } else {
      poison.push(ref);
      log.error('Stream record cannot be published; reporting it as a batch item failure', {
        ...refAttributes(ref),
        eventID: record.eventID,
        reason: conversion.reason,
      });
    }
  });

  const gaveUpOn = await sendInOrder(outgoing, deps);
  for (const item of gaveUpOn) {
    log.error('Giving up on publishing event; reporting it as a batch item failure', {
      ...refAttributes(item.ref),
      errorCode: item.errorCode,
    });
  }

  const published = outgoing.length - gaveUpOn.length;
  addCount(metrics, METRICS.publish.published, published);
  addCount(metrics, METRICS.publish.failed, gaveUpOn.length + poison.length);
  log.debug('Published call events', {
    records: event.Records.length,
    published,
    failed: gaveUpOn.length,
    poison: poison.length,
    skipped,
    detailTypes: countBy(outgoing.map((item) => item.entry.DetailType)),
  });

  // A record with several entries fails once, however many of them failed.
  const failures = [...new Set([...poison, ...gaveUpOn.map((item) => item.ref)])].sort(
    (a, b) => a.index - b.index,
  );
  const unidentified = failures.filter((ref) => !isNonEmptyString(ref.sequenceNumber));
  if (unidentified.length > 0) {
    // Without a SequenceNumber a failure cannot be reported per item: fail the whole batch.
    throw new Error(`${unidentified.length} failed stream record(s) have no SequenceNumber`);
  }
  return { batchItemFailures: failures.map((ref) => ({ itemIdentifier: ref.sequenceNumber as string })) };
}

function refAttributes(ref: RecordRef): LogAttributes {
  return {
    sequenceNumber: ref.sequenceNumber,
    SessionID: ref.SessionID,
    HookType: ref.HookType,
    EventKey: ref.EventKey,
    Version: ref.Version,
  };
}
