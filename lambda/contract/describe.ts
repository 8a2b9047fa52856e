/** Gives a zod schema its description: the JSON Schema `description` and the docs' field tables. */
import * as z from 'zod/mini';

export function describe<T extends z.ZodMiniType>(schema: T, description: string): T {
  (schema as z.ZodMiniType).register(z.globalRegistry, { description });
  return schema;
}
