/**
 * Re-publishing stored events: the CallEvents items whose EventTime is in [from, to), read by
 * a Query on one call's partition or by a Scan of the table, sent to EventBridge exactly as the
 * stream publisher sends them (its own `publishItems`). Safe to repeat: consumers de-duplicate
 * on `detail.EventId`. `scripts/republish.ts` is the CLI; tests import this module.
 */
import { type DynamoDBDocumentClient, paginateQuery, paginateScan } from '@aws-sdk/lib-dynamodb';
import { CALL_EVENTS_KEYS } from '../../lambda/config/tables';
import { type PublishDeps, publishItems } from '../../lambda/publish';
import { wholeSecondUtc } from './period-args';

/** UTC, to the second, as EventTime and the start of EventKey are written (`2021-01-28T11:15:22Z`). */
export interface TimeRange {
  from: string;
  to: string;
}

/**
 * The EventTime range of a period (`from` included, `to` excluded), as `npm run republish` reads
 * its `--from` and `--to` (scripts/lib/period-args.ts). A fraction of a second rounds up:
 * EventTimes are whole seconds, so [from, to) keeps the same events.
 */
export function timeRange(from: Date, to: Date): TimeRange {
  const range = { from: wholeSecondUtc(from), to: wholeSecondUtc(to) };
  if (range.from >= range.to)
    throw new RangeError(`the period ${range.from} to ${range.to} holds no whole second`);
  return range;
}

export interface RepublishOptions {
  doc: DynamoDBDocumentClient;
  table: string;
  range: TimeRange;
  /** One call only: a Query on its partition instead of a Scan of the table. */
  sessionId?: string;
  /** Count what would be re-published, publish nothing. */
  dryRun?: boolean;
  /** How to publish: PutEvents, the bus, the source (and optionally retries, logger). */
  publish: PublishDeps;
  /** Items per page read. @default DynamoDB's 1 MB page */
  pageSize?: number;
  /** After each page. */
  onProgress?: (progress: { found: number; published: number; failed: number }) => void;
}

export interface RepublishReport {
  method: 'query' | 'scan';
  range: TimeRange;
  dryRun: boolean;
  /** Items read by the Scan before its filter (a Scan reads the whole table). */
  scanned?: number;
  found: number;
  published: number;
  /** Items not re-published: not a publishable event, or rejected by EventBridge on every attempt. */
  failed: { EventId?: string; reason: string }[];
}

/**
 * The pages of items in the range. With a SessionID, a Query: EventKey starts with EventTime
 * and always goes on with `#…`, and both are fixed-width, so `EventKey BETWEEN :from AND :to`
 * is exactly `from <= EventTime < to` (no key equals `to` itself).
 */
function pages(options: RepublishOptions) {
  const { partitionKey, sortKey } = CALL_EVENTS_KEYS;
  const paging = { client: options.doc, ...(options.pageSize ? { pageSize: options.pageSize } : {}) };
  const bounds = { ':from': options.range.from, ':to': options.range.to };
  if (options.sessionId !== undefined) {
    return paginateQuery(paging, {
      TableName: options.table,
      KeyConditionExpression: '#pk = :session AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#pk': partitionKey, '#sk': sortKey },
      ExpressionAttributeValues: { ':session': options.sessionId, ...bounds },
    });
  }
  return paginateScan(paging, {
    TableName: options.table,
    FilterExpression: '#t >= :from AND #t < :to',
    ExpressionAttributeNames: { '#t': 'EventTime' },
    ExpressionAttributeValues: bounds,
  });
}

/** Re-publishes, page by page, every stored event in the range; resolves to the counts. */
export async function republish(options: RepublishOptions): Promise<RepublishReport> {
  const report: RepublishReport = {
    method: options.sessionId !== undefined ? 'query' : 'scan',
    range: options.range,
    dryRun: options.dryRun === true,
    found: 0,
    published: 0,
    failed: [],
  };
  if (report.method === 'scan') report.scanned = 0;
  for await (const page of pages(options)) {
    const items = (page.Items ?? []) as Record<string, unknown>[];
    report.found += items.length;
    if (report.scanned !== undefined) report.scanned += page.ScannedCount ?? 0;
    if (!report.dryRun && items.length > 0) {
      const result = await publishItems(items, options.publish);
      report.published += result.published;
      report.failed.push(...result.failed.map(({ index: _, ...failure }) => failure));
    }
    options.onProgress?.({ found: report.found, published: report.published, failed: report.failed.length });
  }
  return report;
}

export function formatRepublishReport(report: RepublishReport): string {
  const scanned = report.scanned !== undefined ? `, ${report.scanned} items scanned` : '';
  const lines = [
    report.dryRun
      ? `found ${report.found}${scanned} (dry run: nothing published)`
      : `found ${report.found}${scanned}, published ${report.published}, failed ${report.failed.length}`,
  ];
  for (const failure of report.failed.slice(0, 20)) {
    lines.push(`  ✗ ${failure.EventId ?? '(no SessionID/EventKey)'}: ${failure.reason}`);
  }
  if (report.failed.length > 20) lines.push(`  … and ${report.failed.length - 20} more`);
  return lines.join('\n');
}
