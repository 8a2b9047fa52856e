/**
 * PutEvents as the service validates it, without I/O: the request's limits (an error for the
 * whole call), each entry's checks (a failed entry, the others still accepted) and the event
 * envelope an accepted entry becomes on its bus.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_EVENT_BUS, eventBusNameOf } from './rules';

/** The account id local events carry, as other local AWS stand-ins use. */
export const LOCAL_ACCOUNT = '000000000000';
export const PUT_EVENTS_MAX_ENTRIES = 10;
/** The documented limit on the total size of one call's entries. */
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;
/** What the documented entry-size calculation counts for a `Time`. */
const TIME_BYTES = 14;

/** An event as rules see it and targets receive it. */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  /** ISO-8601 UTC to the second, e.g. `2021-01-28T11:15:22Z`. */
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** An error for the whole call, in the AWS JSON protocol's shape (`__type`, `message`). */
export class AwsJsonError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export interface FailedEntry {
  ErrorCode: string;
  ErrorMessage: string;
}

export interface AcceptedEntry {
  eventBusName: string;
  envelope: EventEnvelope;
}

export interface EntryContext {
  region: string;
  knownBuses: ReadonlySet<string>;
  now?: () => Date;
}

/** The request's entries; throws {@link AwsJsonError} where the service refuses the whole call. */
export function parsePutEventsRequest(body: string): unknown[] {
  let request: unknown;
  try {
    request = JSON.parse(body);
  } catch {
    throw new AwsJsonError('SerializationException', 'Request body is not valid JSON');
  }
  const entries = (request as { Entries?: unknown } | null)?.Entries;
  if (!Array.isArray(entries) || entries.length < 1 || entries.length > PUT_EVENTS_MAX_ENTRIES) {
    const count = Array.isArray(entries) ? entries.length : 0;
    throw new AwsJsonError(
      'ValidationException',
      `1 validation error detected: Value with ${count} entries at 'entries' failed to satisfy constraint: Member must have length between 1 and ${PUT_EVENTS_MAX_ENTRIES}`,
    );
  }
  if (entries.reduce((total: number, entry) => total + entrySize(entry), 0) > PUT_EVENTS_MAX_BYTES) {
    throw new AwsJsonError(
      'ValidationException',
      'Total size of the entries in the request is over the limit.',
    );
  }
  return entries;
}

/** An entry's size as the EventBridge User Guide computes it ("Calculating PutEvents entry size"). */
export function entrySize(entry: unknown): number {
  const e = asRecord(entry);
  const bytes = (value: unknown) => (typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0);
  const resources = Array.isArray(e.Resources)
    ? e.Resources.reduce((total: number, r) => total + bytes(r), 0)
    : 0;
  const time = e.Time === undefined ? 0 : TIME_BYTES;
  return time + bytes(e.Source) + bytes(e.DetailType) + bytes(e.Detail) + resources;
}

const REQUIRED_FIELDS = ['Source', 'DetailType', 'Detail'] as const;
type RequiredFields = Record<(typeof REQUIRED_FIELDS)[number], string>;

/** One entry checked as the service checks it, in its order: accepted onto its bus, or a failed entry. */
export function acceptEntry(entry: unknown, context: EntryContext): AcceptedEntry | FailedEntry {
  const e = asRecord(entry);
  const missing = REQUIRED_FIELDS.find((field) => typeof e[field] !== 'string' || e[field] === '');
  if (missing) {
    return failed(
      'InvalidArgument',
      `Parameter ${missing} is not valid. Reason: ${missing} is a required argument.`,
    );
  }
  const { Source: source, DetailType: detailType, Detail: detailText } = e as RequiredFields;
  if (source.startsWith('aws.')) {
    return failed('NotAuthorizedForSourceException', 'Not authorized for the source.');
  }
  const detail = parseDetail(detailText);
  if (!detail) return failed('MalformedDetail', 'Detail is malformed.');
  const resources = e.Resources ?? [];
  if (!Array.isArray(resources) || !resources.every((r) => typeof r === 'string')) {
    return failed(
      'InvalidArgument',
      'Parameter Resources is not valid. Reason: Resources must be a list of strings.',
    );
  }
  const eventBusName = eventBusNameOf(
    typeof e.EventBusName === 'string' && e.EventBusName ? e.EventBusName : DEFAULT_EVENT_BUS,
  );
  if (!context.knownBuses.has(eventBusName)) {
    return failed('ResourceNotFoundException', `Event bus ${eventBusName} does not exist.`);
  }
  const time = entryTime(e.Time) ?? context.now?.() ?? new Date();
  const envelope: EventEnvelope = {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source,
    account: LOCAL_ACCOUNT,
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: context.region,
    resources,
    detail,
  };
  return { eventBusName, envelope };
}

export const failed = (ErrorCode: string, ErrorMessage: string): FailedEntry => ({ ErrorCode, ErrorMessage });

export const isFailed = (entry: AcceptedEntry | FailedEntry): entry is FailedEntry => 'ErrorCode' in entry;

const asRecord = (value: unknown) =>
  (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;

/** Detail must be a JSON object: a string, number or array is as malformed as broken JSON. */
function parseDetail(text: string): Record<string, unknown> | undefined {
  try {
    const detail: unknown = JSON.parse(text);
    return typeof detail === 'object' && detail !== null && !Array.isArray(detail)
      ? (detail as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The SDK sends `Time` as epoch seconds (AWS JSON timestamps); an ISO string is taken too. */
function entryTime(value: unknown): Date | undefined {
  const date =
    typeof value === 'number'
      ? new Date(value * 1000)
      : typeof value === 'string'
        ? new Date(value)
        : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}
