/**
 * What each of the stack's functions is, as a tag on the function itself (`BundledFunction` sets
 * it): local mode and the benchmark find a function by it, never by a variable it happens to carry.
 */

/** The tag key, on every function of the stack. */
export const FUNCTION_KIND_TAG = 'call-events:function';

export const FUNCTION_KINDS = ['ingest', 'publish', 'project', 'sweep'] as const;
export type FunctionKind = (typeof FUNCTION_KINDS)[number];

export function isFunctionKind(value: unknown): value is FunctionKind {
  return typeof value === 'string' && (FUNCTION_KINDS as readonly string[]).includes(value);
}
