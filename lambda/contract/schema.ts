/**
 * The provider's webhook contract: one zod schema per HookType, combined on `HookType`,
 * with the tolerant-reader rules of the provider's spec. Types, validation, JSON Schemas
 * and the docs' field tables all come from here.
 */
// zod/mini, a namespace import: esbuild keeps only the functions used. `import { z } from 'zod'`
// puts all of zod in the ingest bundle (every locale), and the classic API's methods keep much
// of it even when imported narrowly (the sizes are in docs/BENCHMARKS.md).
import { en } from 'zod/locales';
import * as z from 'zod/mini';

// zod/mini sets no locale. The contract's issues are worded by its own error map (issues.ts);
// English stays the wording of any other schema in the process that has none of its own.
z.config(en());

import { describe, describeField, type FieldWording, wordingOf } from './describe';
import { HOOK_TYPE_INFO, type HookType, isHookType, type SpecField } from './hook-types';
import { contractErrorMap, issueText, REQUEST_BODY, subjectOf } from './issues';
import { isValidLocalTime, LOCAL_TIME_PATTERN } from './local-time';
import { PROVIDER_FIELDS, SERVICE_FIELDS } from './service-attributes';

export const SESSION_ID_MAX_LENGTH = 256;
const PHONE_MAX_LENGTH = 64;
const RESULT_CODE_MAX_LENGTH = 32;
/** DynamoDB allows 32 levels of nesting; unknown fields are held well inside that. */
export const MAX_NESTING_DEPTH = 16;

const sessionId = describeField(z.string().check(z.minLength(1), z.maxLength(SESSION_ID_MAX_LENGTH)), {
  title: "the call's identifier",
  note: 'The same for every event of one call (a UUID in practice).',
});

/** A time field: `title` names what the time is of, `note` what the provider does with it. */
const localTime = (title: string, note?: string) =>
  describeField(
    z.string().check(
      // A string that is not shaped like a time says so once, not also that it is no real date.
      z.regex(new RegExp(LOCAL_TIME_PATTERN), { abort: true }),
      z.refine(isValidLocalTime, { params: { mustBe: 'a real calendar date and time' } }),
    ),
    {
      title,
      accepts: 'a time as YYYY-MM-DD HH:mm:ss',
      note: [note, 'Local wall-clock time YYYY-MM-DD HH:mm:ss, no zone.'].filter(Boolean).join(' '),
    },
  );

const phone = (title: string) =>
  describeField(z.string().check(z.maxLength(PHONE_MAX_LENGTH)), { title, note: 'Kept exactly as sent.' });

/** Typed integer by the spec, sent as a string in its examples (`"200"`, `"603-S"`). */
const resultCode = describeField(
  z.codec(
    z.union([z.string().check(z.minLength(1), z.maxLength(RESULT_CODE_MAX_LENGTH)), z.int()]),
    z.string(),
    {
      decode: (value) => String(value),
      encode: (value) => value,
    },
  ),
  {
    title: "the call's result code",
    accepts: 'a string such as "200" or "603-S", or an integer',
    note: 'For example 200 successful, 486 busy, 603-S cancelled; stored as a string.',
  },
);

/** Typed integer by the spec; a string of digits is accepted too. */
const duration = describeField(
  z.codec(
    z.union([z.int().check(z.minimum(0)), z.string().check(z.regex(/^\d{1,9}$/))]),
    z.int().check(z.minimum(0)),
    {
      decode: (value) => Number(value),
      encode: (value) => value,
    },
  ),
  { title: 'the conversation length in seconds', accepts: 'an integer ≥ 0 or a string of digits' },
);

/** What an optional field may hold that means "absent" (spec rule 10). */
export type AbsentValue = null | '';
const absentValues = new WeakMap<z.ZodMiniType, readonly AbsentValue[]>();

/**
 * An optional spec field: absent, `null` (spec rule 10), or the schema. `null` is taken for
 * absent before validation, so neither the stored item nor the EventKey digest tells them apart.
 */
function optional<T extends z.ZodMiniType>(schema: T) {
  const wrapped = z.optional(schema);
  absentValues.set(wrapped, [null]);
  return wrapped;
}

/** An optional time: absent, `null`, `""` (spec rule 10), or a local time. */
const optionalTime = (title: string, note?: string) => {
  const wrapped = z.optional(localTime(title, note));
  absentValues.set(wrapped, [null, '']);
  return wrapped;
};

const common = {
  SessionID: sessionId,
  CityNumber: phone('the public multi-line number the call came to or went out from'),
  Caller: phone('the calling party'),
};

/** How issues name `HookType` whatever the body's HookType, known or not. */
const HOOK_TYPE_WORDING: FieldWording = { title: 'the kind of event' };

/** A HookType's schema; its fields must be exactly the spec's (SPEC_FIELDS), checked at compile time. */
function hook<
  T extends HookType,
  S extends z.core.$ZodLooseShape & Record<Exclude<SpecField<T>, 'SessionID' | 'HookType'>, z.ZodMiniType>,
>(hookType: T, shape: S & Record<Exclude<keyof S, SpecField<T>>, never>) {
  return describe(
    z.looseObject({
      SessionID: common.SessionID,
      HookType: describeField(z.literal(hookType), HOOK_TYPE_WORDING),
      ...shape,
    }),
    HOOK_TYPE_INFO[hookType].description,
  );
}

/**
 * How each HookType's schema is built. A function builds only the schema of the HookType it
 * is given, on first use (hookSchema): a body of one HookType does not pay for the other seven
 * at a cold start.
 */
const HOOK_SCHEMA_BUILDERS = {
  CreateIncCall: () =>
    hook('CreateIncCall', {
      StartTime: localTime("the call's start"),
      CityNumber: common.CityNumber,
      Caller: common.Caller,
      Called: phone('the called party'),
      Redirecting: optional(phone('the forwarding number')),
    }),
  AttemptIncCallBegin: () =>
    hook('AttemptIncCallBegin', {
      StartTime: localTime("the attempt's start"),
      CityNumber: common.CityNumber,
      Caller: common.Caller,
      Called: phone('the employee number being rung'),
    }),
  ChangeIncCall: () =>
    hook('ChangeIncCall', {
      StartDuration: localTime("the conversation's start"),
      CityNumber: common.CityNumber,
      Caller: common.Caller,
      Called: phone('the number that answered'),
    }),
  AttemptIncCallEnd: () =>
    hook('AttemptIncCallEnd', {
      StartTime: optionalTime("the attempt's start", 'Often omitted.'),
      EndTime: localTime("the attempt's end"),
      CityNumber: common.CityNumber,
      Caller: common.Caller,
      Called: phone('the employee number that was rung'),
    }),
  EndIncCall: () =>
    hook('EndIncCall', {
      StartTime: optionalTime("the call's start", 'Often omitted.'),
      EndTime: localTime("the call's end"),
      Duration: duration,
      ResultCode: optional(resultCode),
      CityNumber: common.CityNumber,
      Caller: common.Caller,
      Called: optional(phone('the number that held the call when it ended')),
    }),
  MissedIncCall: () =>
    hook('MissedIncCall', {
      StartTime: optionalTime("the call's start", 'Often omitted.'),
      EndTime: localTime("the call's end"),
      Duration: duration,
      ResultCode: optional(resultCode),
      CityNumber: common.CityNumber,
      Caller: common.Caller,
      Called: optional(phone('the called party')),
    }),
  CreateOutCall: () =>
    hook('CreateOutCall', {
      StartTime: localTime("the call's start"),
      CityNumber: common.CityNumber,
      Caller: common.Caller,
      Called: phone('the called party'),
    }),
  EndOutCall: () =>
    hook('EndOutCall', {
      // One of the two is required (spec rule 11): checked on the union, see eventTimeMissing.
      StartTime: optionalTime("the call's start", 'May be omitted when EndTime is sent.'),
      EndTime: optionalTime("the call's end", 'May be omitted when StartTime is sent.'),
      Duration: optional(duration),
      ResultCode: optional(resultCode),
      CityNumber: common.CityNumber,
      Caller: common.Caller,
      Called: optional(phone('the called party')),
    }),
} as const satisfies Record<HookType, () => z.ZodMiniType>;

export type HookSchema<T extends HookType> = ReturnType<(typeof HOOK_SCHEMA_BUILDERS)[T]>;

interface BuiltHook {
  schema: z.ZodMiniType;
  /** What `null` or `""` in each optional spec field means: absent. */
  absent: Readonly<Record<string, readonly AbsentValue[]>>;
  /** The same, as a list: reading a body walks it. */
  absentEntries: [string, readonly AbsentValue[]][];
  /** How issues name each spec field, as its schema was described. */
  wording: Readonly<Record<string, FieldWording>>;
  /** The error map a body of this HookType is parsed with. */
  errorMap: z.core.$ZodErrorMap;
}

const built: Partial<Record<HookType, BuiltHook>> = {};

function builtHook(hookType: HookType): BuiltHook {
  let hook = built[hookType];
  if (!hook) {
    const schema = HOOK_SCHEMA_BUILDERS[hookType]();
    const shape = Object.entries(schema.def.shape) as [string, z.ZodMiniType][];
    const absentEntries = shape.flatMap(([field, fieldSchema]) => {
      const values = absentValues.get(fieldSchema);
      return values ? [[field, values] as [string, readonly AbsentValue[]]] : [];
    });
    const wording = Object.fromEntries(
      shape.flatMap(([field, fieldSchema]) => {
        const words = wordingOf(fieldSchema);
        return words ? [[field, words] as const] : [];
      }),
    );
    const errorMap = contractErrorMap((field) =>
      Object.hasOwn(wording, field) ? wording[field] : undefined,
    );
    hook = { schema, absent: Object.fromEntries(absentEntries), absentEntries, wording, errorMap };
    built[hookType] = hook;
  }
  return hook;
}

/**
 * A body whose HookType is none of the eight has only its HookType and its shape to be told
 * about: its other fields belong to no schema.
 */
const unknownHookTypeErrorMap = contractErrorMap((field) =>
  field === 'HookType' ? HOOK_TYPE_WORDING : undefined,
);

/** The schema of one HookType's body, built on first use. */
export function hookSchema<T extends HookType>(hookType: T): HookSchema<T> {
  return builtHook(hookType).schema as HookSchema<T>;
}

/**
 * What `null` or `""` in each optional spec field of a HookType means: absent. Read from the
 * schema, so that validation, the JSON Schemas and the docs say the same.
 */
export function absentValuesOf(hookType: HookType): Readonly<Record<string, readonly AbsentValue[]>> {
  return builtHook(hookType).absent;
}

/**
 * How issues name one of a HookType's spec fields, as its schema describes it (the same words
 * open the field's description in the docs and the JSON Schemas).
 */
export function fieldWording(hookType: HookType, field: string): FieldWording | undefined {
  const { wording } = builtHook(hookType);
  return Object.hasOwn(wording, field) ? wording[field] : undefined;
}

/** zod and the DynamoDB marshaller both skip a `__proto__` key, so such a field would be lost. */
const PROTO_FIELD = 'have a field named __proto__';
/**
 * The DynamoDB marshaller tells a map from other types by `value.constructor.name`, so an
 * object with a `constructor` field fails to marshal (or is taken for a Set or a Map).
 */
const CONSTRUCTOR_FIELD = 'have a field named constructor';
const CANNOT_BE_STORED = 'such a field cannot be stored';

/**
 * Why unknown fields could not be stored as DynamoDB attributes (too deep, an empty field
 * name, `__proto__` or `constructor`), as the issue that says so, or undefined when they can.
 */
function unstorable(value: unknown, depth = 0): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= MAX_NESTING_DEPTH)
    return issueText.mustNot(`nest fields deeper than ${MAX_NESTING_DEPTH} levels`, REQUEST_BODY);
  const isArray = Array.isArray(value);
  // Keys rather than entries, and no call for a scalar: every event goes through this.
  for (const key of Object.keys(value)) {
    if (key === '' && !isArray) return issueText.mustNot('have a field with an empty name', REQUEST_BODY);
    if (key === '__proto__') return issueText.mustNot(PROTO_FIELD, REQUEST_BODY, CANNOT_BE_STORED);
    if (key === 'constructor') return issueText.mustNot(CONSTRUCTOR_FIELD, REQUEST_BODY, CANNOT_BE_STORED);
    const child = (value as Record<string, unknown>)[key];
    if (child === null || typeof child !== 'object') continue;
    const reason = unstorable(child, depth + 1);
    if (reason) return reason;
  }
  return undefined;
}

/**
 * What every body is checked for beyond its HookType's schema: fields that could not be
 * stored, and an event time that none of its fields gives.
 */
function checkEvent(ctx: z.core.ParsePayload<{ HookType: HookType }>): void {
  const reason = unstorable(ctx.value);
  if (reason) ctx.issues.push({ code: 'custom', input: ctx.value, message: reason });
  const missing = eventTimeMissing(ctx.value);
  if (missing)
    ctx.issues.push({ code: 'custom', input: ctx.value, path: [missing.path], message: missing.message });
}

let union: z.ZodMiniType | undefined;

/**
 * Any of the provider's events, told apart by `HookType`; unknown fields are kept. Built on
 * first use: a body whose HookType is one of the eight is checked by that HookType's schema
 * alone (checkedHookSchema), which gives the same answer; only a body without a known
 * HookType needs the union, to say so as zod does.
 */
export function callEventSchema(): z.ZodMiniType {
  union ??= z
    .discriminatedUnion('HookType', [
      hookSchema('CreateIncCall'),
      hookSchema('AttemptIncCallBegin'),
      hookSchema('ChangeIncCall'),
      hookSchema('AttemptIncCallEnd'),
      hookSchema('EndIncCall'),
      hookSchema('MissedIncCall'),
      hookSchema('CreateOutCall'),
      hookSchema('EndOutCall'),
    ])
    .check(checkEvent);
  return union;
}

const checked: Partial<Record<HookType, z.ZodMiniType>> = {};

/** A HookType's schema with the checks of every body: what the union does for that HookType. */
export function checkedHookSchema(hookType: HookType): z.ZodMiniType {
  let schema = checked[hookType];
  if (!schema) {
    schema = hookSchema(hookType).check(checkEvent);
    checked[hookType] = schema;
  }
  return schema;
}

/**
 * Where a HookType's own time may come from more than one field (EndOutCall: EndTime, else
 * StartTime), each is optional in the schema and one of them is required: this says which
 * issue to report when none is there.
 */
function eventTimeMissing(event: { HookType: HookType }): { path: string; message: string } | undefined {
  const from = HOOK_TYPE_INFO[event.HookType].eventTimeFrom;
  if (from.length < 2 || from.some((field) => Object.hasOwn(event, field))) return undefined;
  const { wording } = builtHook(event.HookType);
  const subject = from.map((field) => subjectOf(field, wording[field])).join(', or ');
  return { path: from[0] as string, message: issueText.required(subject) };
}

/**
 * What the contract reads before validating a body (spec rules 10 and 12): an optional spec
 * field holding `null` (or `""` for a time) is taken as absent, and fields named like the
 * service's attributes move into `ProviderFields`. The value given is never changed.
 */
function normalise(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const body = value as Record<string, unknown>;
  const hookType = Object.hasOwn(body, 'HookType') ? body.HookType : undefined;
  // An unknown HookType is left to the schema to report.
  if (!isHookType(hookType)) return value;
  let out: Record<string, unknown> | undefined;
  for (const [field, absent] of builtHook(hookType).absentEntries) {
    if (Object.hasOwn(body, field) && absent.includes(body[field] as AbsentValue)) {
      out ??= { ...body };
      delete out[field];
    }
  }
  let provider: Record<string, unknown> | undefined;
  for (const name of SERVICE_FIELDS) {
    if (Object.hasOwn(body, name)) {
      out ??= { ...body };
      provider ??= {};
      provider[name] = body[name];
      delete out[name];
    }
  }
  if (out && provider) out[PROVIDER_FIELDS] = provider;
  return out ?? value;
}

export type CallEventOf<T extends HookType> = z.output<HookSchema<T>>;
/** A provider event as the contract normalises it (ResultCode a string, Duration a number). */
export type CallEvent = { [T in HookType]: CallEventOf<T> }[HookType];
/** A provider event as it may arrive on the wire. */
export type CallEventInput = { [T in HookType]: z.input<HookSchema<T>> }[HookType];

/** One reason a body was rejected: where (a dotted path, empty for the whole body) and why. */
export interface ContractIssue {
  path: string;
  message: string;
}

export type ParseResult = { ok: true; event: CallEvent } | { ok: false; issues: ContractIssue[] };

/**
 * From this many events on, parse with zod's compiled parser: generated code, faster, with the
 * same answers (whatever it does not accept goes to the runtime parser, so the issues are the
 * runtime's). Building it takes milliseconds (docs/BENCHMARKS.md), which a function that sees only a
 * few events should not pay, least of all at cold start.
 */
const COMPILE_AFTER = 100;
const compiled: Partial<Record<HookType, z.ZodMiniType>> = {};
let parses = 0;

/**
 * The parser for a body and the error map that words its issues: its HookType's schema (compiled
 * once the process has seen enough events), else the union.
 */
function parserFor(value: unknown): { parser: z.ZodMiniType; errorMap: z.core.$ZodErrorMap } {
  const hookType =
    value !== null && typeof value === 'object' && Object.hasOwn(value, 'HookType')
      ? (value as { HookType: unknown }).HookType
      : undefined;
  if (!isHookType(hookType)) return { parser: callEventSchema(), errorMap: unknownHookTypeErrorMap };
  const { errorMap } = builtHook(hookType);
  if (parses < COMPILE_AFTER) {
    parses++;
    return { parser: checkedHookSchema(hookType), errorMap };
  }
  let parser = compiled[hookType];
  if (!parser) {
    parser = z.compile(checkedHookSchema(hookType));
    compiled[hookType] = parser;
  }
  return { parser, errorMap };
}

/**
 * Validates a parsed JSON value. A failure is data (the list of issues, in the contract's words:
 * issues.ts), never an exception.
 */
export function parseCallEvent(value: unknown): ParseResult {
  const normalised = normalise(value);
  const { parser, errorMap } = parserFor(normalised);
  const result = parser.safeParse(normalised, { error: errorMap });
  if (result.success) {
    // zod leaves a top-level `__proto__` out of its output: reject the body rather than drop the field.
    if (Object.hasOwn(value as object, '__proto__')) {
      const message = issueText.mustNot(PROTO_FIELD, REQUEST_BODY, CANNOT_BE_STORED);
      return { ok: false, issues: [{ path: '__proto__', message }] };
    }
    return { ok: true, event: result.data as CallEvent };
  }
  return {
    ok: false,
    issues: result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
    })),
  };
}

export type JsonResult = { ok: true; value: unknown } | { ok: false; issues: ContractIssue[] };

/**
 * Reads a body's text as JSON. A UTF-8 byte-order mark before the JSON is not an error (spec
 * rule 13): it is skipped here, and kept in the stored RawBody, which is the body as sent.
 */
export function parseJsonBody(text: string): JsonResult {
  const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (json.trim() === '')
    return { ok: false, issues: [{ path: '', message: issueText.required(REQUEST_BODY) }] };
  try {
    return { ok: true, value: JSON.parse(json) };
  } catch (error) {
    // The parser's own account says where the JSON breaks; the provider may need it to find its bug.
    const message = issueText.mustBe('valid JSON', REQUEST_BODY, (error as Error).message);
    return { ok: false, issues: [{ path: '', message }] };
  }
}
