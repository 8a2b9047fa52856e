/**
 * JSON Schemas generated from the zod contract: what the provider may send, and the `detail`
 * of each published event (registered in the EventBridge schema registry, and the docs' field
 * tables). Build-time only: the stack and the docs generator call these, the functions never
 * do, so nothing here runs at a function's cold start or lands in its bundle.
 */
import * as z from 'zod/mini';
import { HOOK_TYPE_INFO, HOOK_TYPES, type HookType } from './hook-types';
import { ABSENT_VALUES, describe as d, hookSchemas, PROVIDER_FIELDS } from './schema';

/** Fields the service adds to every event it stores and publishes. */
const enrichment = () => ({
  EventKey: d(
    z.string(),
    'Sort key: <EventTime>#<lifecycle rank>#<HookType>#<8 hex digest of the spec fields>.',
  ),
  EventTime: d(z.string(), "The event's own time in UTC, ISO-8601."),
  Direction: d(z.enum(['incoming', 'outgoing']), 'Call direction, from the HookType.'),
  ResultText: d(z.optional(z.string()), 'Meaning of ResultCode when the code is a known one.'),
  ReceivedAt: d(z.string(), 'When the webhook was received, UTC ISO-8601 to the millisecond.'),
  StartTimeUtc: d(z.optional(z.string()), 'StartTime in UTC, ISO-8601.'),
  StartDurationUtc: d(z.optional(z.string()), 'StartDuration in UTC, ISO-8601.'),
  EndTimeUtc: d(z.optional(z.string()), 'EndTime in UTC, ISO-8601.'),
  EventId: d(z.string(), 'SessionID/EventKey: unique per event, for consumers to de-duplicate.'),
  [PROVIDER_FIELDS]: d(
    z.optional(z.record(z.string(), z.unknown())),
    "The body's own fields named like one of these attributes (or ProviderFields), as sent; " +
      "present only when the body had such a field. The service's attribute is the one above.",
  ),
});

function perHookType<R>(build: (hookType: HookType) => R): Record<HookType, R> {
  return Object.fromEntries(HOOK_TYPES.map((t) => [t, build(t)])) as Record<HookType, R>;
}

/** The part of JSON Schema (draft-04) that the contract's generated schemas use. */
export interface JsonSchema {
  $schema?: string;
  type?: string;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: unknown;
}

/** The zod schema of each published event's `detail`: the provider's fields plus the service's. */
export function publishedDetailSchemas() {
  const added = enrichment();
  return perHookType((t) => z.extend(hookSchemas[t], added));
}

/** JSON Schema (draft-04, as the EventBridge schema registry takes it) of each HookType's detail. */
export function detailJsonSchemas(): Record<HookType, JsonSchema> {
  const schemas = publishedDetailSchemas();
  return perHookType((t) => z.toJSONSchema(schemas[t], { io: 'output', target: 'draft-4' }) as JsonSchema);
}

/** A value that means "absent" in an optional field, as JSON Schema. */
const absentSchema = (value: null | ''): JsonSchema =>
  value === null ? { type: 'null' } : { type: 'string', enum: [''] };

/**
 * JSON Schema of what the provider may send for each HookType (the tolerant input): an
 * optional field may also hold what means absent (`null`, `""` for a time), and where the
 * event's time may come from more than one field, one of them is required.
 */
export function webhookJsonSchemas(): Record<HookType, JsonSchema> {
  return perHookType((t) => {
    const schema = z.toJSONSchema(hookSchemas[t], { io: 'input', target: 'draft-4' }) as JsonSchema;
    for (const [field, absent] of Object.entries(ABSENT_VALUES[t])) {
      const property = schema.properties?.[field];
      if (!property || !schema.properties) continue;
      const { description, ...type } = property;
      schema.properties[field] = {
        anyOf: [...(type.anyOf ?? [type]), ...absent.map(absentSchema)],
        ...(description === undefined ? {} : { description }),
      };
    }
    const from = HOOK_TYPE_INFO[t].eventTimeFrom;
    if (from.length > 1) schema.anyOf = from.map((field) => ({ required: [field] }));
    return schema;
  });
}
