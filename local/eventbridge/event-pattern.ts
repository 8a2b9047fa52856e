/**
 * EventBridge event-pattern matching, as the EventBridge User Guide documents it ("Creating
 * event patterns", "Comparison operators", "Arrays", "Null values and empty strings"), so that
 * local mode routes exactly the events that the deployed rules would. Where the guide is silent,
 * it follows what EventBridge's engine (Event Ruler) documents, and says so.
 *
 * A pattern is compiled once (validating it the way PutRule would) into a plain predicate.
 * Matching follows the flattened view EventBridge itself takes of an event: a field's
 * "leaves" are its string/number/boolean/null values, with arrays flattened into their
 * elements; an object is not a leaf, so it neither matches values nor counts for `exists`.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { MAX_WILDCARD_COMPLEXITY, wildcardComplexity } from './wildcard-complexity';

/** An event pattern as written in a rule: fields → arrays of allowed values, or nested patterns. */
export type EventPattern = { readonly [field: string]: unknown };

/** Thrown for a pattern EventBridge would refuse; the message reads as InvalidEventPatternException's. */
export class InvalidEventPatternError extends Error {
  constructor(path: string, reason: string) {
    super(`Event pattern is not valid. Reason: ${path ? `${path}: ` : ''}${reason}`);
    this.name = 'InvalidEventPatternError';
  }
}

export type EventMatcher = (event: object) => boolean;

/**
 * The User Guide ("Comparison operators", `$or` matching): PutRule and TestEventPattern refuse a
 * pattern whose `$or` arrays make more than 1,000 combinations.
 */
export const MAX_OR_COMBINATIONS = 1000;

/**
 * Names that cannot be a field inside a `$or` branch (Event Ruler's
 * `RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP`): in a branch, `{"prefix": [...]}` is far more likely
 * a misplaced operator than a field, so EventBridge refuses it rather than guess.
 */
export const RESERVED_IN_OR: ReadonlySet<string> = new Set([
  'exactly',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

/** Validates `pattern` and returns a predicate over events; use it when one pattern meets many events. */
export function compilePattern(pattern: unknown): EventMatcher {
  if (!isPlainObject(pattern)) throw new InvalidEventPatternError('', 'a pattern must be a JSON object');
  const branches = expandObject(pattern, [], [new Map()], false);
  refuseComplexWildcards(branches);
  const matchers = branches.map((branch) => compileNode(treeOf(branch)));
  return (event) => {
    const view = nestDottedKeys(event);
    return matchers.some((matches) => matches(view));
  };
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

/** One field's array of values, compiled; `wildcards` feed the complexity check. */
interface CompiledField {
  leaves: LeavesMatcher;
  wildcards: string[];
}

/** One way the pattern can match: every field named by its flattened name (`detail.state`). */
type Branch = Map<string, CompiledField>;

const OR = '$or';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fieldOf(value: unknown, field: string): unknown {
  return isPlainObject(value) && Object.hasOwn(value, field) ? value[field] : undefined;
}

const join = (path: string, field: string) => (path ? `${path}.${field}` : field);

// ── structure: fields flattened by name, $or expanded into branches ───────────────────────

/**
 * Walks one pattern object in its key order, as Event Ruler's compiler does: a field is written
 * into every branch under its flattened name (the enclosing fields joined with "."), replacing
 * an earlier field of the same name, and `$or` forks each branch once per alternative. So the
 * field written last wins, in each branch: a field inside a `$or` alternative replaces the same
 * field written before the `$or`, and one written after the `$or` replaces it in every branch
 * (the User Guide: "if you include a key more than once the last reference will be the one
 * used"). Key order is JavaScript's: names that are integers come first, whatever the text said.
 */
function expandObject(
  pattern: Record<string, unknown>,
  prefix: readonly string[],
  branches: Branch[],
  insideOr: boolean,
): Branch[] {
  const path = prefix.join('.');
  const entries = Object.entries(pattern);
  if (entries.length === 0) {
    throw new InvalidEventPatternError(path, 'a pattern must name at least one field');
  }
  let current = branches;
  for (const [field, value] of entries) {
    if (field === OR) {
      current = expandOr(value, prefix, current);
      continue;
    }
    const fieldPath = join(path, field);
    if (insideOr && RESERVED_IN_OR.has(field)) {
      throw new InvalidEventPatternError(
        fieldPath,
        `"${field}" is a reserved word and cannot be a field name inside "$or"`,
      );
    }
    if (Array.isArray(value)) {
      const compiled = compileField(value, fieldPath);
      for (const branch of current) branch.set(fieldPath, compiled);
    } else if (isPlainObject(value)) {
      current = expandObject(value, [...prefix, field], current, insideOr);
    } else {
      throw new InvalidEventPatternError(
        fieldPath,
        `expected an array of values or a nested pattern, got ${JSON.stringify(value)}`,
      );
    }
  }
  return current;
}

/** `$or` sits beside ordinary fields: each alternative continues every branch built so far. */
function expandOr(value: unknown, prefix: readonly string[], branches: Branch[]): Branch[] {
  const path = join(prefix.join('.'), OR);
  if (!Array.isArray(value) || value.length < 2) {
    throw new InvalidEventPatternError(path, '"$or" takes an array of at least two patterns');
  }
  const expanded: Branch[] = [];
  value.forEach((alternative, i) => {
    if (!isPlainObject(alternative)) {
      throw new InvalidEventPatternError(`${path}[${i}]`, 'a pattern must be a JSON object');
    }
    const copies = branches.map((branch) => new Map(branch));
    expanded.push(...expandObject(alternative, prefix, copies, true));
    if (expanded.length > MAX_OR_COMBINATIONS) {
      throw new InvalidEventPatternError(
        path,
        `"$or" makes more than ${MAX_OR_COMBINATIONS} combinations (the number of alternatives of each "$or", multiplied)`,
      );
    }
  });
  return expanded;
}

/** Every wildcard a field is matched against, whichever branch names it, measured together. */
function refuseComplexWildcards(branches: readonly Branch[]): void {
  const byField = new Map<string, Set<string>>();
  for (const branch of branches) {
    for (const [name, field] of branch) {
      for (const wildcard of field.wildcards) {
        const set = byField.get(name) ?? new Set<string>();
        set.add(wildcard);
        byField.set(name, set);
      }
    }
  }
  for (const [name, wildcards] of byField) {
    const complexity = wildcardComplexity([...wildcards]);
    if (complexity > MAX_WILDCARD_COMPLEXITY) {
      throw new InvalidEventPatternError(
        name,
        `Rule is too complex: its wildcards can match a value in more than ${MAX_WILDCARD_COMPLEXITY} ways at once; use fewer "*", or fewer repeated characters after one`,
      );
    }
  }
}

/** A branch's fields as nested nodes again, one level per "." of their flattened names. */
interface Node {
  leaves?: LeavesMatcher;
  children: Map<string, Node>;
}

function treeOf(branch: Branch): Node {
  const root: Node = { children: new Map() };
  for (const [name, field] of branch) {
    let node = root;
    for (const segment of name.split('.')) {
      const child = node.children.get(segment) ?? { children: new Map() };
      node.children.set(segment, child);
      node = child;
    }
    node.leaves = field.leaves;
  }
  return root;
}

/** A name can be both a leaf field (`a`) and the parent of another (`a.b`): each must then match. */
function compileNode(node: Node): ObjectMatcher {
  const fields = [...node.children].map(([segment, child]): ObjectMatcher => {
    const nested = child.children.size > 0 ? compileNode(child) : undefined;
    const { leaves } = child;
    return (parent) => {
      const value = fieldOf(parent, segment);
      return (!leaves || leaves(leavesOf(value))) && (!nested || matchesNested(nested, value));
    };
  });
  return (value) => fields.every((matches) => matches(value));
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

// ── an event's keys with dots ─────────────────────────────────────────────────────────────

/**
 * Event Ruler joins nested names with "." and does not tell a dot in a key from one between
 * keys ("Compiled rules and JSON keys with dots" in its README): `{"state.status": "running"}`
 * and `{"state": {"status": "running"}}` are the same field to it. Patterns get that from their
 * flattened names; an event gets it here, its dotted keys nested (merged with what is already
 * there, values side by side when both are set). An event without dotted keys is used as is.
 */
function nestDottedKeys(event: object): unknown {
  return hasDottedKey(event) ? nestKeys(event) : event;
}

function hasDottedKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasDottedKey);
  if (!isPlainObject(value)) return false;
  return Object.entries(value).some(([key, child]) => key.includes('.') || hasDottedKey(child));
}

/** Built on null-prototype objects, so that a key such as `__proto__` stays an ordinary field. */
function nestKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(nestKeys);
  if (!isPlainObject(value)) return value;
  let out: unknown = Object.create(null);
  for (const [key, child] of Object.entries(value)) {
    const wrapped = key
      .split('.')
      .reduceRight<unknown>(
        (inner, segment) => Object.assign(Object.create(null), { [segment]: inner }),
        nestKeys(child),
      );
    out = mergeValues(out, wrapped);
  }
  return out;
}

function mergeValues(into: unknown, value: unknown): unknown {
  if (isPlainObject(into) && isPlainObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      into[key] = Object.hasOwn(into, key) ? mergeValues(into[key], child) : child;
    }
    return into;
  }
  const list = (v: unknown) => (Array.isArray(v) ? v : [v]);
  return [...list(into), ...list(value)];
}

// ── leaves: an array of allowed values and operators, OR-ed ───────────────────────────────

function compileField(values: readonly unknown[], path: string): CompiledField {
  if (values.length === 0) {
    throw new InvalidEventPatternError(path, 'an array of allowed values must not be empty');
  }
  const alternatives = values.map((value, i) => compileValue(value, `${path}[${i}]`));
  return {
    leaves: (leaves) => alternatives.some((matches) => matches(leaves)),
    wildcards: values.flatMap(wildcardsOf),
  };
}

/** The wildcard strings of one (already validated) value: `wildcard` and `anything-but` `wildcard`. */
function wildcardsOf(value: unknown): string[] {
  const strings = (operand: unknown) => (Array.isArray(operand) ? operand : [operand]).map(String);
  if (!isPlainObject(value)) return [];
  if (Object.hasOwn(value, 'wildcard')) return strings(value.wildcard);
  const excluded = value['anything-but'];
  return isPlainObject(excluded) && Object.hasOwn(excluded, 'wildcard') ? strings(excluded.wildcard) : [];
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
  if (typeof value === 'number') requireDouble(value, path);
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

/**
 * Event Ruler compares numbers as IEEE 754 doubles and refuses one that is not ("Cannot compare
 * number"). JSON text such as `1e400` reaches us already turned into Infinity, which no JSON can
 * carry back out (it would be stored as `null`), so it is refused wherever a pattern has a number.
 */
function requireDouble(value: number, path: string): number {
  if (!Number.isFinite(value)) {
    throw new InvalidEventPatternError(path, `${value} is not a number a 64-bit double can hold`);
  }
  return value;
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
    conditions.push([op as Comparison, requireDouble(bound, path)]);
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
  if (allNumbers) for (const v of values) requireDouble(v as number, path);
  const excluded = new Set<unknown>(values);
  return (leaf) => excluded.has(leaf);
}

const ANYTHING_BUT_FORMS = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard'];

/**
 * Only a prefix or suffix must not be empty here (Event Ruler: "Null prefix/suffix not
 * allowed"): anything but "" ignoring case, or anything but the wildcard "", is a fine rule.
 */
const NON_EMPTY_FORMS = new Set(['prefix', 'suffix']);

function compileExcludedForm(operand: Record<string, unknown>, path: string): LeafTest {
  const [form, value] = singleOperator(operand, path);
  if (!ANYTHING_BUT_FORMS.includes(form)) {
    throw new InvalidEventPatternError(
      path,
      `"anything-but" does not take "${form}" (only ${ANYTHING_BUT_FORMS.join(', ')})`,
    );
  }
  const values: unknown[] = Array.isArray(value) ? value : [value];
  const allowed = (v: unknown) => typeof v === 'string' && (v !== '' || !NON_EMPTY_FORMS.has(form));
  if (values.length === 0 || !values.every(allowed)) {
    throw new InvalidEventPatternError(
      path,
      `"anything-but": { "${form}": ... } takes a ${NON_EMPTY_FORMS.has(form) ? 'non-empty ' : ''}string or a list of them`,
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
