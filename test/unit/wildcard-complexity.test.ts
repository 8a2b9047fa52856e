/**
 * The wildcard complexity measure against the values Event Ruler's own MachineComplexityEvaluatorTest
 * states for single patterns and pairs (bare patterns, without the JSON quotes the engine adds).
 */
import { MAX_WILDCARD_COMPLEXITY, wildcardComplexity } from '../../local/eventbridge/wildcard-complexity';

describe('wildcardComplexity', () => {
  it.each([
    [['*'], 1],
    [['abc'], 1],
    [['*ab'], 2],
    [['*aa'], 3],
    [['a*b'], 2],
    [['aa*'], 2],
    [['a*bbb'], 4],
    [['*ab*ad'], 4],
    [['*aba*'], 4],
    [['a*b*bb'], 5],
    [['a*b*cd'], 3],
    [['*', 'ab*c'], 3],
    [['ab*c', 'x*xx'], 3],
    [['*abc', '*abcde'], 4],
  ])('%j measures %i, as Event Ruler states', (patterns, expected) => {
    expect(wildcardComplexity(patterns, { quoted: false, cap: 100 })).toBe(expected);
  });

  it('reads \\* as a literal star, which adds no complexity', () => {
    expect(wildcardComplexity(['a\\*b\\*c'], { quoted: false })).toBe(1);
  });

  it('stops measuring past the cap', () => {
    expect(wildcardComplexity(['*:*:*:*:*:*:*:*:*:*:*:*'], { cap: 5 })).toBe(5);
    expect(wildcardComplexity(['*:*:*:*:*:event-bus/*'])).toBeGreaterThan(MAX_WILDCARD_COMPLEXITY);
  });
});
