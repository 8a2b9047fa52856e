/**
 * EventBridge event-pattern matching, as the EventBridge User Guide documents it ("Creating
 * event patterns", "Comparison operators", "Arrays", "Null values and empty strings"), so that
 * local mode routes exactly the events that the deployed rules would.
 *
 * A pattern is compiled once (validating it the way PutRule would) into a plain predicate.
 * Matching follows the flattened view EventBridge itself takes of an event: a field's
 * "leaves" are its string/number/boolean/null values, with arrays flattened into their
 * elements; an object is not a leaf, so it neither matches values nor counts for `exists`.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** An event pattern as written in a rule: fields → arrays of allowed values, or nested patterns. */
export type EventPattern = { readonly [field: string]: unknown };

/** Thrown for a pattern EventBridge would refuse (PutRule's "Event pattern is not valid"). */
export class InvalidEventPatternError extends Error {
  constructor(path: string, reason: string) {
    super(`Event pattern is not valid: ${path ? `${path}: ` : ''}${reason}`);
    this.name = 'InvalidEventPatternError';
  }
}

export type EventMatcher = (event: object) => boolean;

/** Validates `pattern` and returns a predicate over events; use it when one pattern meets many events. */
export function compilePattern(pattern: unknown): EventMatcher {
  return compileObject(pattern, '');
}

/** Throws {@link InvalidEventPatternError} when EventBridge would refuse `pattern` in a rule. */
export function validatePattern(pattern: unknown): asserts pattern is EventPattern {
  compilePattern(pattern);
}

/** Whether `event` matches `pattern`; throws {@link InvalidEventPatternError} for a malformed pattern. */
export function matchesPattern(event: object, pattern: object): boolean {
  return compilePattern(pattern)(event);
}

type ObjectMatcher = (value: unknown) => boolean;
/** Decides on the leaves of one event field; `exists` needs all of them at once, hence not per leaf. */
type LeavesMatcher = (leaves: readonly unknown[]) => boolean;
type LeafTest = (leaf: unknown) => boolean;

const OR = '$or';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fieldOf(value: unknown, field: string): unknown {
  return isPlainObject(value) && Object.hasOwn(value, field) ? value[field] : undefined;
}

const join = (path: string, field: string) => (path ? `${path}.${field}` : field);

// ── structure: objects, nested fields, $or ────────────────────────────────────────────────

function compileObject(pattern: unknown, path: string): ObjectMatcher {
  if (!isPlainObject(pattern)) throw new InvalidEventPatternError(path, 'a pattern must be a JSON object');
  const entries = Object.entries(pattern);
  if (entries.length === 0) {
    throw new InvalidEventPatternError(path, 'a pattern must name at least one field');
  }
  const fields = entries.map(([field, value]) => compileField(field, value, join(path, field)));
  return (value) => fields.every((matches) => matches(value));
}

function compileField(field: string, value: unknown, path: string): ObjectMatcher {
  if (field === OR) return compileOr(value, path);
  if (Array.isArray(value)) {
    const leaves = compileLeaves(value, path);
    return (parent) => leaves(leavesOf(fieldOf(parent, field)));
  }
  if (isPlainObject(value)) {
    const nested = compileObject(value, path);
    return (parent) => matchesNested(nested, fieldOf(parent, field));
  }
  throw new InvalidEventPatternError(
    path,
    `expected an array of values or a nested pattern, got ${JSON.stringify(value)}`,
  );
}

/** `$or` sits beside ordinary fields and matches when any of its sub-patterns matches the same object. */
function compileOr(value: unknown, path: string): ObjectMatcher {
  if (!Array.isArray(value) || value.length < 2) {
    throw new InvalidEventPatternError(path, '"$or" takes an array of at least two patterns');
  }
  const alternatives = value.map((alternative, i) => compileObject(alternative, `${path}[${i}]`));
  return (parent) => alternatives.some((matches) => matches(parent));
}

/**
 * A nested pattern against the event's value there. Within an array of objects, all of the
 * nested fields must match in the same element; with no object at all the nested fields are
 * absent, which still satisfies `exists: false`.
 */
function matchesNested(nested: ObjectMatcher, value: unknown): boolean {
  const objects = Array.isArray(value) ? value.flat(Number.POSITIVE_INFINITY).filter(isPlainObject) : [value];
  return objects.length === 0 ? nested(undefined) : objects.some(nested);
}

/** The field's leaf values: none when missing or an object, the flattened elements of an array. */
function leavesOf(value: unknown): readonly unknown[] {
  if (value === undefined) return [];
  const values = Array.isArray(value) ? value.flat(Number.POSITIVE_INFINITY) : [value];
  return values.filter((v) => !isPlainObject(v));
}

// ── leaves: an array of allowed values and operators, OR-ed ───────────────────────────────

function compileLeaves(values: readonly unknown[], path: string): LeavesMatcher {
  if (values.length === 0) {
    throw new InvalidEventPatternError(path, 'an array of allowed values must not be empty');
  }
  const alternatives = values.map((value, i) => compileValue(value, `${path}[${i}]`));
  return (leaves) => alternatives.some((matches) => matches(leaves));
}

function compileValue(value: unknown, path: string): LeavesMatcher {
  if (!isPlainObject(value)) return anyLeaf(compileExact(value, path));
  const [operator, operand] = singleOperator(value, path);
  return operator === 'exists'
    ? compileExists(operand, path)
    : anyLeaf(compileOperator(operator, operand, path));
}

/** A field matches a value or operator when any of its leaves does: arrays match on intersection. */
const anyLeaf =
  (test: LeafTest): LeavesMatcher =>
  (leaves) =>
    leaves.some(test);

function singleOperator(value: Record<string, unknown>, path: string): [string, unknown] {
  const entries = Object.entries(value);
  const [first] = entries;
  if (!first || entries.length > 1) {
    throw new InvalidEventPatternError(
      path,
      `an operator object takes exactly one operator, got ${JSON.stringify(value)}`,
    );
  }
  return first;
}

/** Exact match, character by character for strings; `null` only matches a null value. */
function compileExact(value: unknown, path: string): LeafTest {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
    return (leaf) => leaf === value;
  }
  throw new InvalidEventPatternError(
    path,
    `expected a string, number, boolean, null or operator, got ${JSON.stringify(value)}`,
  );
}

/** Present means at least one leaf: `exists: false` also matches a field whose value is an object. */
function compileExists(operand: unknown, path: string): LeavesMatcher {
  if (typeof operand !== 'boolean') throw new InvalidEventPatternError(path, '"exists" takes true or false');
  return (leaves) => leaves.length > 0 === operand;
}

// ── operators ─────────────────────────────────────────────────────────────────────────────

type OperatorCompiler = (operand: unknown, path: string) => LeafTest;

const OPERATORS: Readonly<Record<string, OperatorCompiler>> = {
  prefix: (operand, path) => compileAffix(operand, path, 'prefix', (s, affix) => s.startsWith(affix)),
  suffix: (operand, path) => compileAffix(operand, path, 'suffix', (s, affix) => s.endsWith(affix)),
  'equals-ignore-case': (operand, path) => {
    const expected = requireString(operand, path, 'equals-ignore-case').toLowerCase();
    return (leaf) => typeof leaf === 'string' && leaf.toLowerCase() === expected;
  },
  wildcard: (operand, path) => {
    const regex = wildcardRegex(requireString(operand, path, 'wildcard'), path);
    return (leaf) => typeof leaf === 'string' && regex.test(leaf);
  },
  numeric: compileNumeric,
  cidr: compileCidr,
  'anything-but': compileAnythingBut,
};

function compileOperator(operator: string, operand: unknown, path: string): LeafTest {
  const compile = Object.hasOwn(OPERATORS, operator) ? OPERATORS[operator] : undefined;
  if (!compile) throw new InvalidEventPatternError(path, `unknown operator "${operator}"`);
  return compile(operand, path);
}

function requireString(operand: unknown, path: string, operator: string): string {
  if (typeof operand !== 'string') throw new InvalidEventPatternError(path, `"${operator}" takes a string`);
  return operand;
}

/** `prefix` / `suffix` with a string, or `{ "equals-ignore-case": string }` to ignore case. */
function compileAffix(
  operand: unknown,
  path: string,
  operator: string,
  test: (value: string, affix: string) => boolean,
): LeafTest {
  if (typeof operand === 'string') return (leaf) => typeof leaf === 'string' && test(leaf, operand);
  if (isPlainObject(operand)) {
    const [inner, value] = singleOperator(operand, path);
    if (inner === 'equals-ignore-case') {
      const affix = requireString(value, path, `${operator}.equals-ignore-case`).toLowerCase();
      return (leaf) => typeof leaf === 'string' && test(leaf.toLowerCase(), affix);
    }
  }
  throw new InvalidEventPatternError(
    path,
    `"${operator}" takes a string or { "equals-ignore-case": string }`,
  );
}

/**
 * `*` is any run of characters (`/` included), `\*` a literal star and `\\` a backslash;
 * EventBridge refuses consecutive stars and any other escape.
 */
function wildcardRegex(wildcard: string, path: string): RegExp {
  const refuse = (reason: string) => new InvalidEventPatternError(path, `"wildcard" ${reason}: ${wildcard}`);
  let source = '';
  let afterStar = false;
  for (let i = 0; i < wildcard.length; i++) {
    const char = wildcard.charAt(i);
    if (char === '*' && afterStar) throw refuse('does not allow consecutive "*"');
    afterStar = char === '*';
    if (char === '*') source += '.*';
    else if (char === '\\') {
      const escaped = wildcard.charAt(++i);
      if (escaped !== '*' && escaped !== '\\') throw refuse('only escapes "*" and "\\"');
      source += escapeRegex(escaped);
    } else source += escapeRegex(char);
  }
  return new RegExp(`^${source}$`, 's');
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

type Comparison = '=' | '<' | '<=' | '>' | '>=';
const COMPARE: Readonly<Record<Comparison, (a: number, b: number) => boolean>> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** `["=", n]`, one bound, or a lower then an upper bound: `[">", 0, "<=", 5]`. Numbers only. */
function compileNumeric(operand: unknown, path: string): LeafTest {
  const invalid = () =>
    new InvalidEventPatternError(
      path,
      `"numeric" takes ["=", n], [op, n] or [">"|">=", low, "<"|"<=", high], got ${JSON.stringify(operand)}`,
    );
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) throw invalid();
  const conditions: [Comparison, number][] = [];
  for (let i = 0; i < operand.length; i += 2) {
    const [op, bound] = [operand[i], operand[i + 1]];
    if (typeof op !== 'string' || !Object.hasOwn(COMPARE, op) || typeof bound !== 'number') throw invalid();
    conditions.push([op as Comparison, bound]);
  }
  const [lower, upper] = conditions;
  if (
    upper &&
    lower &&
    (!['>', '>='].includes(lower[0]) || !['<', '<='].includes(upper[0]) || lower[1] >= upper[1])
  ) {
    throw invalid();
  }
  return (leaf) => typeof leaf === 'number' && conditions.every(([op, bound]) => COMPARE[op](leaf, bound));
}

/**
 * Anything but the values given (strings only or numbers only), or anything but what a
 * prefix, suffix, equals-ignore-case or wildcard would match (one string or a list).
 * It only applies to a value that is there: a missing field matches no anything-but.
 */
function compileAnythingBut(operand: unknown, path: string): LeafTest {
  const excluded = isPlainObject(operand)
    ? compileExcludedForm(operand, path)
    : compileExcludedValues(operand, path);
  return (leaf) => !excluded(leaf);
}

function compileExcludedValues(operand: unknown, path: string): LeafTest {
  const values: unknown[] = Array.isArray(operand) ? operand : [operand];
  const allStrings = values.every((v) => typeof v === 'string');
  const allNumbers = values.every((v) => typeof v === 'number');
  if (values.length === 0 || !(allStrings || allNumbers)) {
    throw new InvalidEventPatternError(
      path,
      '"anything-but" takes a string, a number, or a list of only strings or only numbers',
    );
  }
  const excluded = new Set<unknown>(values);
  return (leaf) => excluded.has(leaf);
}

const ANYTHING_BUT_FORMS = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard'];

function compileExcludedForm(operand: Record<string, unknown>, path: string): LeafTest {
  const [form, value] = singleOperator(operand, path);
  if (!ANYTHING_BUT_FORMS.includes(form)) {
    throw new InvalidEventPatternError(
      path,
      `"anything-but" does not take "${form}" (only ${ANYTHING_BUT_FORMS.join(', ')})`,
    );
  }
  const values: unknown[] = Array.isArray(value) ? value : [value];
  if (values.length === 0 || !values.every((v) => typeof v === 'string' && v !== '')) {
    throw new InvalidEventPatternError(
      path,
      `"anything-but": { "${form}": ... } takes a non-empty string or a list of them`,
    );
  }
  const tests = values.map((v) => compileOperator(form, v, path));
  return (leaf) => tests.some((test) => test(leaf));
}

// ── cidr ──────────────────────────────────────────────────────────────────────────────────

interface Address {
  bits: 32 | 128;
  value: bigint;
}

/** IPv4 or IPv6 CIDR block; matches string values that are addresses of the same family inside it. */
function compileCidr(operand: unknown, path: string): LeafTest {
  const [address = '', length = '', ...rest] = requireString(operand, path, 'cidr').split('/');
  const network = parseAddress(address);
  const prefixLength = /^\d{1,3}$/.test(length) ? Number(length) : Number.NaN;
  if (!network || rest.length > 0 || !(prefixLength <= network.bits)) {
    throw new InvalidEventPatternError(
      path,
      `"cidr" takes an IPv4 or IPv6 block like 10.0.0.0/24, got ${JSON.stringify(operand)}`,
    );
  }
  const hostBits = BigInt(network.bits - prefixLength);
  const base = network.value >> hostBits;
  return (leaf) => {
    const ip = typeof leaf === 'string' ? parseAddress(leaf) : undefined;
    return ip?.bits === network.bits && ip.value >> hostBits === base;
  };
}

function parseAddress(text: string): Address | undefined {
  if (isIPv4(text)) return { bits: 32, value: bytesToBigInt(text.split('.').map(Number), 8) };
  if (!isIPv6(text)) return undefined;
  const withoutV4 = text.replace(/(\d+\.\d+\.\d+\.\d+)$/, (v4) => {
    const [a = 0, b = 0, c = 0, d = 0] = v4.split('.').map(Number);
    return `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  });
  const [head = '', tail] = withoutV4.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail ?? '').length;
  const all = [
    ...groups(head),
    ...Array<string>(tail === undefined ? 0 : missing).fill('0'),
    ...groups(tail ?? ''),
  ];
  return {
    bits: 128,
    value: bytesToBigInt(
      all.map((group) => Number.parseInt(group, 16)),
      16,
    ),
  };
}

function bytesToBigInt(parts: readonly number[], width: number): bigint {
  return parts.reduce((acc, part) => (acc << BigInt(width)) | BigInt(part), 0n);
}
