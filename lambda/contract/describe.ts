/**
 * Gives a zod schema its words: the description (the JSON Schema `description` and the docs'
 * field tables) and, for a provider's field, how a rejected body's issues name it.
 */
import * as z from 'zod/mini';

export function describe<T extends z.ZodMiniType>(schema: T, description: string): T {
  (schema as z.ZodMiniType).register(z.globalRegistry, { description });
  return schema;
}

/** How the issues of a rejected body speak of one field. */
export interface FieldWording {
  /**
   * What the field is, as a noun phrase that follows its name in an issue ("SessionID, the call's
   * identifier") and, capitalised, opens its description: the docs and the 400 use the same words.
   */
  readonly title: string;
  /**
   * What a valid value is, where the field's type does not say it (a time's format, a tolerant
   * union): "a time as YYYY-MM-DD HH:mm:ss". Issues of type, format or union failures say this.
   */
  readonly accepts?: string;
}

/**
 * Kept apart from the global registry: the JSON Schemas carry the description alone, and the
 * wording never reaches the schema registry as an unknown keyword.
 */
const wordings = z.registry<FieldWording>();

/**
 * A provider's field, named once: its title opens the description (`note` follows it), and the
 * issue messages take the title and `accepts` from here (issues.ts), so that no second list of
 * field names and meanings exists beside the schema.
 */
export function describeField<T extends z.ZodMiniType>(
  schema: T,
  wording: FieldWording & { note?: string },
): T {
  const { note, ...words } = wording;
  const opening = `${words.title.charAt(0).toUpperCase()}${words.title.slice(1)}.`;
  (schema as z.ZodMiniType).register(wordings, words);
  return describe(schema, note ? `${opening} ${note}` : opening);
}

/** The wording of a field's schema, looking through `optional()`, which only says that it may be absent. */
export function wordingOf(schema: z.ZodMiniType | undefined): FieldWording | undefined {
  let current = schema;
  while (current) {
    const found = wordings.get(current);
    if (found) return found;
    const def = current._zod.def as { type: string; innerType?: z.ZodMiniType };
    current = def.type === 'optional' ? def.innerType : undefined;
  }
  return undefined;
}
