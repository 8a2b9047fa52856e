/**
 * Instants as the stored items write them: UTC ISO-8601 with whole seconds (`…:59Z`, no `.000`),
 * which sort as text in time order; and the durations the rules are stated in.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** An ISO instant without milliseconds when it has none, like the records' own times. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/**
 * The inclusive upper bound for "before `instant`" in a key condition: the whole second before
 * it. Stored times have whole seconds (`…:59Z`); one with a fraction of that second (`…:59.5Z`)
 * sorts below `…:59Z` as text, so the bound must not carry one.
 */
export function lastSecondBefore(instant: string): string {
  return isoSeconds(Math.ceil(Date.parse(instant) / 1000) * 1000 - 1000);
}
