/**
 * How complex a field's wildcard patterns are, measured as EventBridge's engine (Event Ruler,
 * `MachineComplexityEvaluator`) measures it, so that local mode refuses the patterns PutRule
 * refuses with "Rule is too complex" instead of accepting a rule that then fails to deploy.
 *
 * The measure: the largest number of wildcard-pattern prefixes that one input value can match at
 * once, i.e. the most states the patterns' automaton can be in together, each pattern counted
 * apart (two patterns sharing a prefix count it twice). It grows with the stars and with
 * character runs repeated after a star, which is what the User Guide's advice on wildcards and
 * complexity is about ("Comparison operators", wildcard matching).
 */

/**
 * The highest complexity a rule may have. EventBridge documents that the limit exists, not its
 * value: the User Guide's own example of a pattern to simplify, `*:*:*:*:*:event-bus/*`, measures
 * 11; a deployed rule whose wildcards measured 9 was accepted and the same rule at 12 refused.
 * 9 is the highest value known to be accepted, so local mode never accepts what AWS may refuse.
 */
export const MAX_WILDCARD_COMPLEXITY = 9;

/** Explored sets of states beyond which a pattern is taken as too complex rather than measured on. */
const MAX_EXPLORED = 100_000;

/** A pattern as the engine compiles it: UTF-8 bytes, the star unescaped into "any run of bytes". */
type Token = number | 'star';
const STAR = 'star';

/**
 * The engine matches JSON text, so a string value carries its quotes: they are part of the
 * pattern it measures (`"*"` and not `*`), unless `quoted` is false.
 */
function tokens(wildcard: string, quoted: boolean): Token[] {
  const out: Token[] = [];
  const literal = (text: string) => out.push(...Buffer.from(text, 'utf8'));
  if (quoted) literal('"');
  for (let i = 0; i < wildcard.length; i++) {
    const char = wildcard.charAt(i);
    if (char === '\\') literal(wildcard.charAt(++i));
    else if (char === '*') out.push(STAR);
    else literal(char);
  }
  if (quoted) literal('"');
  return out;
}

/** State `i` is "the first i tokens matched"; a star token is entered for free and loops on any byte. */
function closure(pattern: readonly Token[], states: Iterable<number>): number[] {
  const out = new Set<number>();
  for (let state of states) {
    out.add(state);
    while (pattern[state] === STAR) out.add(++state);
  }
  return [...out].sort((a, b) => a - b);
}

function step(pattern: readonly Token[], states: readonly number[], byte: number): number[] {
  const next: number[] = [];
  for (const state of states) {
    if (state > 0 && pattern[state - 1] === STAR) next.push(state);
    if (pattern[state] === byte) next.push(state + 1);
  }
  return closure(pattern, next);
}

/**
 * The complexity of the wildcard patterns one field is matched against (`wildcard` and
 * `anything-but` `wildcard` alike), capped at `cap`: the first value above the limit is enough
 * to refuse. Every reachable set of states is visited once, over the bytes the patterns name and
 * one byte they do not. `quoted: false` measures the bare patterns, as the engine's own tests
 * state their values.
 */
export function wildcardComplexity(
  wildcards: readonly string[],
  options: { cap?: number; quoted?: boolean } = {},
): number {
  const cap = options.cap ?? MAX_WILDCARD_COMPLEXITY + 1;
  const patterns = wildcards.map((wildcard) => tokens(wildcard, options.quoted ?? true));
  const alphabet = new Set<number>([-1]);
  for (const pattern of patterns) for (const token of pattern) if (token !== STAR) alphabet.add(token);
  const start = patterns.map((pattern) => closure(pattern, [0]));
  const key = (sets: readonly number[][]) => sets.map((set) => set.join(',')).join('|');
  const seen = new Set([key(start)]);
  const queue = [start];
  let max = 0;
  for (let sets = queue.shift(); sets; sets = queue.shift()) {
    for (const byte of alphabet) {
      const next = sets.map((states, i) => step(patterns[i] ?? [], states, byte));
      max = Math.max(
        max,
        next.reduce((total, states) => total + states.length, 0),
      );
      if (max >= cap) return cap;
      const k = key(next);
      if (seen.has(k)) continue;
      if (seen.size >= MAX_EXPLORED) return cap;
      seen.add(k);
      queue.push(next);
    }
  }
  return max;
}
