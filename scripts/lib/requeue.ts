/**
 * Re-submitting quarantined webhooks: each RejectedCallEvents item of the chosen UTC days is
 * read again through the CURRENT contract and, when it passes, stored with the same
 * conditional PutItem the ingest function uses, so it then flows through the stream to
 * EventBridge like any new event. Quarantine items are kept unless asked otherwise.
 * `scripts/requeue-rejected.ts` is the CLI; tests import this module.
 */
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { CALL_EVENTS_KEYS, REJECTED_EVENTS_KEYS } from '../../lambda/config/tables';
import type { ContractIssue } from '../../lambda/contract';
import { DynamoDbCallEventStore, type RejectedCallEvent, storeCallEventText } from '../../lambda/ingest';

export const DEFAULT_SINCE_DAYS = 7;

export type RequeueOutcome =
  /** Stored now (or, in a dry run, would be): it goes on to EventBridge. */
  | 'accepted'
  /** The same event is already stored: nothing to do. */
  | 'duplicate'
  /** The current contract still rejects it (or DynamoDB still refuses it). */
  | 'still-invalid'
  /** Cut at the size limit, or not UTF-8 text: the original body is not there to re-submit. */
  | 'not-resubmittable'
  /** Storage failed for now; run again later. */
  | 'error';

export interface RequeueItemResult {
  RejectedOn: string;
  RejectedKey: string;
  /** Why it was quarantined at the time. */
  originalReason: string;
  outcome: RequeueOutcome;
  SessionID?: string;
  HookType?: string;
  EventKey?: string;
  /** Why it is still invalid; paths and messages of the contract, never the body. */
  issues?: ContractIssue[];
  /** For not-resubmittable and error. */
  message?: string;
  /** The quarantine item was deleted (with `deleteAccepted`, once the event is stored). */
  deleted?: boolean;
}

export interface RequeueOptions {
  doc: DynamoDBDocumentClient;
  tables: { callEvents: string; rejectedEvents: string };
  /** Quarantined at or after. @default 7 days before now */
  since?: Date;
  /** Quarantined before. @default no bound (up to today) */
  until?: Date;
  /** The ingest function's zone for the provider's wall-clock times. */
  timeZone: string;
  /** The ingest function's retention (TTL), when the stack sets one. */
  retentionDays?: number;
  /** Check each body and whether its event is stored; write and delete nothing. */
  dryRun?: boolean;
  /** Delete a quarantine item once its event is stored (accepted now, or already a duplicate). */
  deleteAccepted?: boolean;
  now?: () => Date;
  onItem?: (result: RequeueItemResult) => void;
}

export interface RequeueReport {
  /** The UTC days (RejectedOn partitions) read, oldest first. */
  days: string[];
  dryRun: boolean;
  found: number;
  counts: Record<RequeueOutcome, number>;
  deleted: number;
  items: RequeueItemResult[];
}

const day = (date: Date) => date.toISOString().slice(0, 10);

/** Every UTC day from `since`'s to `until`'s, both included. */
export function daysBetween(since: Date, until: Date): string[] {
  const days: string[] = [];
  const cursor = new Date(`${day(since)}T00:00:00Z`);
  while (cursor.getTime() <= until.getTime()) {
    days.push(day(cursor));
    cursor.setUTCDate(cursor.getUTCDate() + 1);
  }
  return days;
}

/**
 * One day's quarantine in [since, until): RejectedKey is `<received ISO, ms>#<request id>`, so
 * comparing it with the bounds' ISO strings compares receipt times.
 */
function quarantinePages(options: RequeueOptions, onDay: string, since: Date, until?: Date) {
  const { partitionKey, sortKey } = REJECTED_EVENTS_KEYS;
  return paginateQuery(
    { client: options.doc },
    {
      TableName: options.tables.rejectedEvents,
      KeyConditionExpression: until
        ? '#pk = :day AND #sk BETWEEN :since AND :until'
        : '#pk = :day AND #sk >= :since',
      ExpressionAttributeNames: { '#pk': partitionKey, '#sk': sortKey },
      ExpressionAttributeValues: {
        ':day': onDay,
        ':since': since.toISOString(),
        ...(until ? { ':until': until.toISOString() } : {}),
      },
    },
  );
}

async function isStored(options: RequeueOptions, sessionId: string, eventKey: string): Promise<boolean> {
  const { partitionKey, sortKey } = CALL_EVENTS_KEYS;
  const { Item } = await options.doc.send(
    new GetCommand({
      TableName: options.tables.callEvents,
      Key: { [partitionKey]: sessionId, [sortKey]: eventKey },
      ProjectionExpression: '#sk',
      ExpressionAttributeNames: { '#sk': sortKey },
      ConsistentRead: true,
    }),
  );
  return Item !== undefined;
}

function validTime(value: unknown): Date | undefined {
  const date = typeof value === 'string' ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

/** One quarantined body through the current contract and, unless a dry run, into CallEvents. */
export async function resubmit(
  item: RejectedCallEvent,
  options: RequeueOptions,
  store = new DynamoDbCallEventStore(options.doc, options.tables),
): Promise<RequeueItemResult> {
  const result: RequeueItemResult = {
    RejectedOn: item.RejectedOn,
    RejectedKey: item.RejectedKey,
    originalReason: item.Reason,
    outcome: 'still-invalid',
  };
  if (item.Truncated) {
    return { ...result, outcome: 'not-resubmittable', message: 'the body was cut at the size limit' };
  }
  if (item.BodyEncoding !== 'utf8' || typeof item.Body !== 'string') {
    return { ...result, outcome: 'not-resubmittable', message: 'the body is not UTF-8 text' };
  }
  // Received when the provider sent it, not now: ReceivedAt and the retention count from then.
  const receivedAt = validTime(item.ReceivedAt) ?? (options.now ?? (() => new Date()))();
  try {
    // Through the webhook's own tail; a dry run checks whether the event is stored instead of writing it.
    const stored = await storeCallEventText(
      item.Body,
      {
        timeZone: options.timeZone,
        receivedAt,
        retentionDays: options.retentionDays,
        // Pseudonymous mode: the body holds the pseudonym already, and the quarantine its masked form.
        customerNumberMasked: item.CustomerNumberMasked,
      },
      options.dryRun
        ? async (record) =>
            (await isStored(options, record.SessionID, record.EventKey)) ? 'duplicate' : 'stored'
        : (record) => store.putCallEvent(record),
    );
    if ('record' in stored) {
      const { record } = stored;
      const ids = { SessionID: record.SessionID, HookType: record.HookType, EventKey: record.EventKey };
      return { ...result, ...ids, outcome: stored.kind === 'stored' ? 'accepted' : 'duplicate' };
    }
    return { ...result, issues: stored.issues };
  } catch (error) {
    return { ...result, outcome: 'error', message: (error as Error).message };
  }
}

/** Reads the quarantine day by day, oldest first, and re-submits every item in [since, until). */
export async function requeueRejected(options: RequeueOptions): Promise<RequeueReport> {
  const now = (options.now ?? (() => new Date()))();
  const since = options.since ?? new Date(now.getTime() - DEFAULT_SINCE_DAYS * 86_400_000);
  const days = daysBetween(since, options.until ?? now);
  const store = new DynamoDbCallEventStore(options.doc, options.tables);
  const report: RequeueReport = {
    days,
    dryRun: options.dryRun === true,
    found: 0,
    counts: { accepted: 0, duplicate: 0, 'still-invalid': 0, 'not-resubmittable': 0, error: 0 },
    deleted: 0,
    items: [],
  };
  for (const onDay of days) {
    for await (const page of quarantinePages(options, onDay, since, options.until)) {
      for (const item of (page.Items ?? []) as RejectedCallEvent[]) {
        report.found++;
        const result = await resubmit(item, options, store);
        const stored = result.outcome === 'accepted' || result.outcome === 'duplicate';
        if (options.deleteAccepted && !options.dryRun && stored) {
          await options.doc.send(
            new DeleteCommand({
              TableName: options.tables.rejectedEvents,
              Key: {
                [REJECTED_EVENTS_KEYS.partitionKey]: item.RejectedOn,
                [REJECTED_EVENTS_KEYS.sortKey]: item.RejectedKey,
              },
            }),
          );
          result.deleted = true;
          report.deleted++;
        }
        report.counts[result.outcome]++;
        report.items.push(result);
        options.onItem?.(result);
      }
    }
  }
  return report;
}

const MARK: Record<RequeueOutcome, string> = {
  accepted: '✓ now accepted   ',
  duplicate: '= duplicate      ',
  'still-invalid': '✗ still invalid  ',
  'not-resubmittable': '– not resubmittable',
  error: '! error          ',
};

/** One line per item: outcome, quarantine key, what it is; issue paths only (bodies hold phone numbers). */
export function formatRequeueItem(result: RequeueItemResult, dryRun = false): string {
  const mark = dryRun && result.outcome === 'accepted' ? '✓ would be accepted' : MARK[result.outcome];
  const what = [result.HookType, result.SessionID].filter(Boolean).join(' ');
  const why =
    result.outcome === 'still-invalid'
      ? `issues at ${(result.issues ?? []).map((i) => i.path || '(body)').join(', ')}`
      : (result.message ?? '');
  const parts = [
    `  ${mark}`,
    `${result.RejectedOn} ${result.RejectedKey}`,
    `(was ${result.originalReason})`,
    what,
    why,
    result.deleted ? '[quarantine item deleted]' : '',
  ];
  return parts.filter((part) => part !== '').join('  ');
}

export function formatRequeueSummary(report: RequeueReport): string {
  const { counts } = report;
  const span = report.days.length > 0 ? `${report.days[0]} to ${report.days.at(-1)}` : 'no day';
  const kept = report.dryRun
    ? 'dry run: nothing written'
    : report.deleted > 0
      ? `${report.deleted} quarantine item(s) of stored events deleted, the others kept`
      : 'quarantine items kept (not deleted)';
  return (
    `${report.found} quarantined item(s), ${span} (UTC): ${counts.accepted} ${report.dryRun ? 'would be ' : 'now '}accepted, ` +
    `${counts.duplicate} duplicate, ${counts['still-invalid']} still invalid, ` +
    `${counts['not-resubmittable']} not resubmittable, ${counts.error} error; ${kept}`
  );
}
