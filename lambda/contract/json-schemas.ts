/**
 * JSON Schemas generated from the zod contract: what the provider may send, and the `detail`
 * of each published event (registered in the EventBridge schema registry, and the docs' field
 * tables). Build-time only: the stack and the docs generator call these, the functions never
 * do, so nothing here runs at a function's cold start or lands in its bundle.
 */
import * as z from 'zod/mini';
import { HOOK_TYPES, type HookType } from './hook-types';
import { describe as d, hookSchemas } from './schema';

/** Fields the service adds to every event it stores and publishes. */
const enrichment = () => ({
  EventKey: d(z.string(), 'Sort key: <EventTime>#<lifecycle rank>#<HookType>#<8 hex digest of the payload>.'),
  EventTime: d(z.string(), "The event's own time in UTC, ISO-8601."),
  Direction: d(z.enum(['incoming', 'outgoing']), 'Call direction, from the HookType.'),
  ResultText: d(z.optional(z.string()), 'Meaning of ResultCode when the code is a known one.'),
  ReceivedAt: d(z.string(), 'When the webhook was received, UTC ISO-8601.'),
  StartTimeUtc: d(z.optional(z.string()), 'StartTime in UTC, ISO-8601.'),
  StartDurationUtc: d(z.optional(z.string()), 'StartDuration in UTC, ISO-8601.'),
  EndTimeUtc: d(z.optional(z.string()), 'EndTime in UTC, ISO-8601.'),
  EventId: d(z.string(), 'SessionID/EventKey: unique per event, for consumers to de-duplicate.'),
});

function perHookType<R>(build: (hookType: HookType) => R): Record<HookType, R> {
  return Object.fromEntries(HOOK_TYPES.map((t) => [t, build(t)])) as Record<HookType, R>;
}

/** The zod schema of each published event's `detail`: the provider's fields plus the service's. */
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

export function publishedDetailSchemas() {
  const added = enrichment();
  return perHookType((t) => z.extend(hookSchemas[t], added));
}

/** JSON Schema (draft-04, as the EventBridge schema registry takes it) of each HookType's detail. */
export function detailJsonSchemas(): Record<HookType, JsonSchema> {
  const schemas = publishedDetailSchemas();
  return perHookType((t) => z.toJSONSchema(schemas[t], { io: 'output', target: 'draft-4' }) as JsonSchema);
}

/** JSON Schema of what the provider may send for each HookType (the tolerant input). */
export function webhookJsonSchemas(): Record<HookType, JsonSchema> {
  return perHookType((t) => z.toJSONSchema(hookSchemas[t], { io: 'input', target: 'draft-4' }) as JsonSchema);
}
