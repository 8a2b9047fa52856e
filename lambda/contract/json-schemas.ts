/**
 * JSON Schemas generated from the zod contract: what the provider may send, and the `detail`
 * of each published HookType event (registered in the EventBridge schema registry, and the docs'
 * field tables; the call-level events' are in lambda/calls/json-schemas.ts). Build-time only: the stack and the docs generator call these, the functions never
 * do, so nothing here runs at a function's cold start or lands in its bundle.
 */
import * as z from 'zod/mini';
import { HOOK_TYPE_INFO, HOOK_TYPES, type HookType } from './hook-types';
import { absentValuesOf, hookSchema } from './schema';
import { publishedAttributes } from './service-attributes';

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
  items?: JsonSchema;
}

/** The zod schema of each published event's `detail`: the provider's fields plus the service's. */
export function publishedDetailSchemas() {
  const attributes = publishedAttributes();
  return perHookType((t) => z.extend(hookSchema(t), attributes));
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
    const schema = z.toJSONSchema(hookSchema(t), { io: 'input', target: 'draft-4' }) as JsonSchema;
    for (const [field, absent] of Object.entries(absentValuesOf(t))) {
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
