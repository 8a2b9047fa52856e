/**
 * The one voice of a rejected body's issues. Every kind of problem has one sentence pattern —
 * `Required: <subject>`, `Must be <what>: <subject>`, `Must not <what>: <subject>`, then what was
 * found in parentheses when that helps — and the subject names the field and says what it is
 * (`SessionID, the call's identifier`), in the words its schema was given (describe.ts). zod's
 * own wording never reaches a provider: the contract parses with `contractErrorMap`.
 */
import type * as z from 'zod/mini';
import type { FieldWording } from './describe';

/** The subject of an issue about the body as a whole (not JSON, not an object, cannot be stored…). */
export const REQUEST_BODY = 'the request body';

const sentence = (rule: string, subject: string, found?: string) =>
  found ? `${rule}: ${subject} (${found})` : `${rule}: ${subject}`;

/** The sentence patterns; the rest of the product words its own issues (ingest) with these too. */
export const issueText = {
  /** Not there. `null` in a required field reads the same, with "got null" (spec rule 10). */
  required: (subject: string, found?: string) => sentence('Required', subject, found),
  /** There, but not what the contract takes: `what` is the rule, e.g. "a string", "at most 64 characters". */
  mustBe: (what: string, subject: string, found?: string) => sentence(`Must be ${what}`, subject, found),
  /** There, and holding what the product cannot keep, e.g. "have a field named __proto__". */
  mustNot: (what: string, subject: string, found?: string) => sentence(`Must not ${what}`, subject, found),
};

/** A field named as issues name it: `Caller, the calling party`; the bare name when it has no wording. */
export function subjectOf(field: string, wording: FieldWording | undefined): string {
  return wording ? `${field}, ${wording.title}` : field;
}

/** What a mistyped value was, without quoting it: a body's strings may be phone numbers. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return Number.isFinite(value) && !Number.isInteger(value) ? 'a fraction' : 'a number';
    case 'boolean':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return `a ${typeof value}`;
  }
}

/** A rejected HookType is quoted when short: it names a kind of event, never a person. */
function hookTypeFound(value: unknown): string {
  return typeof value === 'string' && value.length <= 64
    ? `got ${JSON.stringify(value)}`
    : `got ${kindOf(value)}`;
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'a string',
  int: 'an integer',
  number: 'a number',
  object: 'a JSON object',
  array: 'an array',
  boolean: 'true or false',
};

type Issue = z.core.$ZodRawIssue;

function sizeRule(issue: Extract<Issue, { code: 'too_small' | 'too_big' }>): string {
  const small = issue.code === 'too_small';
  const bound = Number(small ? issue.minimum : issue.maximum);
  if (issue.origin === 'string') return `${small ? 'at least' : 'at most'} ${bound} characters`;
  if (issue.inclusive === false) return `${small ? 'more' : 'less'} than ${bound}`;
  return `${small ? 'at least' : 'at most'} ${bound}`;
}

/** One issue in the contract's words; `wording` is its field's, when the issue is about one field. */
function messageFor(issue: Issue, subject: string, wording: FieldWording | undefined): string {
  const input = issue.input;
  if (issue.code === 'invalid_union' && issue.discriminator !== undefined) {
    // A discriminated union reports on the whole body; the value in question is its discriminator.
    const body = input !== null && typeof input === 'object' ? (input as Record<string, unknown>) : {};
    const value = Object.hasOwn(body, issue.discriminator) ? body[issue.discriminator] : undefined;
    if (value === undefined) return issueText.required(subject);
    if (value === null) return issueText.required(subject, 'got null');
    const options = ((issue.options as readonly unknown[] | undefined) ?? []).map(String).join(', ');
    return issueText.mustBe(`one of ${options}`, subject, hookTypeFound(value));
  }
  if (input === undefined && issue.code !== 'custom') return issueText.required(subject);
  // `null` in a field is a value missing (spec rule 10); a body that is `null` is no object.
  if (input === null && wording && (issue.code === 'invalid_type' || issue.code === 'invalid_union'))
    return issueText.required(subject, 'got null');
  switch (issue.code) {
    case 'invalid_type':
      return issueText.mustBe(
        wording?.accepts ?? TYPE_WORDS[issue.expected] ?? `of type ${issue.expected}`,
        subject,
        `got ${kindOf(input)}`,
      );
    case 'too_small':
    case 'too_big':
      // A string's length is not quoted back: it would say nothing the rule does not.
      if (issue.code === 'too_small' && issue.origin === 'string' && Number(issue.minimum) === 1)
        return issueText.mustNot('be empty', subject);
      return issueText.mustBe(
        sizeRule(issue),
        subject,
        typeof input === 'number' ? `got ${input}` : undefined,
      );
    case 'invalid_format':
      return issueText.mustBe(
        wording?.accepts ?? `a string matching ${issue.pattern ?? issue.format}`,
        subject,
      );
    case 'invalid_union':
      return issueText.mustBe(
        wording?.accepts ?? 'one of the forms it takes',
        subject,
        `got ${kindOf(input)}`,
      );
    case 'invalid_value':
      return issueText.mustBe(
        `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
        subject,
        `got ${kindOf(input)}`,
      );
    case 'custom': {
      const mustBe = (issue.params as { mustBe?: unknown } | undefined)?.mustBe;
      return issueText.mustBe(typeof mustBe === 'string' ? mustBe : 'valid', subject);
    }
    default:
      return issueText.mustBe('valid', subject);
  }
}

/**
 * The error map the contract parses with: zod reports what went wrong, this says it. Per parse,
 * not global: other zod schemas in the same process keep their own wording. `wordingAt` finds a
 * top-level field's wording in the schema the body is checked against.
 */
export function contractErrorMap(
  wordingAt: (field: string) => FieldWording | undefined,
): z.core.$ZodErrorMap {
  return (issue) => {
    const path = issue.path ?? [];
    if (path.length === 0) return messageFor(issue, REQUEST_BODY, undefined);
    const wording = path.length === 1 ? wordingAt(String(path[0])) : undefined;
    return messageFor(issue, subjectOf(path.map(String).join('.'), wording), wording);
  };
}
