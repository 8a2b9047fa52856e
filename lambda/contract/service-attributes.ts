/**
 * The attributes the service adds to every event, declared once: their names (the reserved
 * names whose provider fields move into `ProviderFields`), their types (the stored item's and the
 * published detail's, call-event-record.ts) and their descriptions (the detail's JSON Schema in
 * the registry, docs/CONTRACT.md). Each attribute's schema is built only when asked for
 * (synth, docs): a function needs the names alone, and pays nothing at its cold start.
 */
import * as z from 'zod/mini';
import { describe as d } from './describe';

/** The map that holds a body's own fields named like one of the service's attributes. */
export const PROVIDER_FIELDS = 'ProviderFields';

/** On every stored item, and in the published detail. */
const shared = {
  EventKey: () =>
    d(z.string(), 'Sort key: <EventTime>#<lifecycle rank>#<HookType>#<8 hex digest of the spec fields>.'),
  EventTime: () => d(z.string(), "The event's own time in UTC, ISO-8601."),
  Direction: () => d(z.enum(['incoming', 'outgoing']), 'Call direction, from the HookType.'),
  ResultText: () => d(z.optional(z.string()), 'Meaning of ResultCode when the code is a known one.'),
  ReceivedAt: () => d(z.string(), 'When the webhook was received, UTC ISO-8601 to the millisecond.'),
  StartTimeUtc: () => d(z.optional(z.string()), 'StartTime in UTC, ISO-8601.'),
  StartDurationUtc: () => d(z.optional(z.string()), 'StartDuration in UTC, ISO-8601.'),
  EndTimeUtc: () => d(z.optional(z.string()), 'EndTime in UTC, ISO-8601.'),
  CustomerNumberMasked: () =>
    d(
      z.optional(z.string()),
      "Pseudonymous mode only: the customer's number masked for people (`+7 916 ***-**-67`); the customer's field itself (incoming: Caller; outgoing: Called) holds the number's keyed pseudonym (`pn-` and 32 letters).",
    ),
  [PROVIDER_FIELDS]: () =>
    d(
      z.optional(z.record(z.string(), z.unknown())),
      "The body's own fields named like one of these attributes (or ProviderFields), as sent; " +
        "present only when the body had such a field. The service's attribute is the one above.",
    ),
};

/** On the stored item only: what the table needs, not consumers. */
const storedOnly = {
  RawBody: () => d(z.string(), 'The body exactly as received.'),
  ExpiresAt: () => d(z.optional(z.int()), 'DynamoDB TTL (epoch seconds), when a retention is configured.'),
};

/** In the published detail only. */
const publishedOnly = {
  EventId: () => d(z.string(), 'SessionID/EventKey: unique per event, for consumers to de-duplicate.'),
};

type Builders = Record<string, () => z.ZodMiniType>;
type Built<B extends Builders> = { [K in keyof B]: ReturnType<B[K]> };

function build<B extends Builders>(builders: B): Built<B> {
  return Object.fromEntries(Object.entries(builders).map(([name, schema]) => [name, schema()])) as Built<B>;
}

/** The detail's own attributes, for its JSON Schema (json-schemas.ts). */
export function publishedAttributes() {
  return build({ ...shared, ...publishedOnly });
}

/** Every name the service uses for its own attributes: a provider's field of such a name is moved aside. */
export const SERVICE_FIELDS = Object.keys({ ...shared, ...storedOnly, ...publishedOnly }) as readonly (
  | keyof typeof shared
  | keyof typeof storedOnly
  | keyof typeof publishedOnly
)[];

/** The names only on the stored item, left out of the detail (toCallEventDetail). */
export const STORED_ONLY_FIELDS = Object.keys(storedOnly) as readonly (keyof typeof storedOnly)[];

type Output<B extends Builders> = z.output<z.ZodMiniObject<Built<B>>>;
/** What the service adds to a stored CallEvents item. */
export type StoredAttributes = Output<typeof shared & typeof storedOnly>;
/** What the service adds to a published detail. */
export type PublishedAttributes = Output<typeof shared & typeof publishedOnly>;
