/**
 * The provider's webhook contract: one zod schema per HookType, combined on `HookType`,
 * with the tolerant-reader rules of the provider's spec. Types, validation, JSON Schemas
 * and the docs' field tables all come from here.
 */
import { z } from 'zod';
import { HOOK_TYPE_INFO, type HookType } from './hook-types';
import { isValidLocalTime, LOCAL_TIME_PATTERN } from './local-time';

export const SESSION_ID_MAX_LENGTH = 256;
const PHONE_MAX_LENGTH = 64;
const RESULT_CODE_MAX_LENGTH = 32;
/** DynamoDB allows 32 levels of nesting; unknown fields are held well inside that. */
export const MAX_NESTING_DEPTH = 16;

const sessionId = z
  .string()
  .min(1)
  .max(SESSION_ID_MAX_LENGTH)
  .describe('Call identifier, the same for every event of one call (a UUID in practice).');

const localTime = (description: string) =>
  z
    .string()
    .regex(new RegExp(LOCAL_TIME_PATTERN), 'Expected a time as YYYY-MM-DD HH:mm:ss')
    .refine(isValidLocalTime, 'Not a real calendar date and time')
    .describe(`${description} Local wall-clock time YYYY-MM-DD HH:mm:ss, no zone.`);

const phone = (description: string) =>
  z.string().max(PHONE_MAX_LENGTH).describe(`${description} Kept exactly as sent.`);

/** Typed integer by the spec, sent as a string in its examples (`"200"`, `"603-S"`). */
const resultCode = z
  .codec(
    z.union([z.string().min(1).max(RESULT_CODE_MAX_LENGTH), z.int()], {
      error: 'Expected a result code: a string such as "200" or "603-S", or an integer',
    }),
    z.string(),
    {
      decode: (value) => String(value),
      encode: (value) => value,
    },
  )
  .describe('Result of the call (200 successful, 486 busy, 603-S cancelled…); stored as a string.');

/** Typed integer by the spec; a string of digits is accepted too. */
const duration = z
  .codec(
    z.union([z.int().min(0), z.string().regex(/^\d{1,9}$/, 'Expected a whole number of seconds')], {
      error: (issue) =>
        issue.input === undefined
          ? 'Required: the conversation length in seconds'
          : 'Expected a whole number of seconds: an integer or a string of digits',
    }),
    z.int().min(0),
    {
      decode: (value) => Number(value),
      encode: (value) => value,
    },
  )
  .describe('Conversation length in seconds.');

const common = {
  SessionID: sessionId,
  CityNumber: phone('The public multi-line number the call came to or went out from.'),
  Caller: phone('The calling party.'),
};

function hook<T extends HookType, S extends z.ZodRawShape>(hookType: T, shape: S) {
  return z
    .looseObject({ SessionID: common.SessionID, HookType: z.literal(hookType), ...shape })
    .describe(HOOK_TYPE_INFO[hookType].description);
}

export const hookSchemas = {
  CreateIncCall: hook('CreateIncCall', {
    StartTime: localTime('Call start.'),
    CityNumber: common.CityNumber,
    Caller: common.Caller,
    Called: phone('The called party.'),
    Redirecting: phone('The forwarding number.').optional(),
  }),
  AttemptIncCallBegin: hook('AttemptIncCallBegin', {
    StartTime: localTime('Attempt start.'),
    CityNumber: common.CityNumber,
    Caller: common.Caller,
    Called: phone('The employee number being rung.'),
  }),
  ChangeIncCall: hook('ChangeIncCall', {
    StartDuration: localTime('Conversation start.'),
    CityNumber: common.CityNumber,
    Caller: common.Caller,
    Called: phone('The number that answered.'),
  }),
  AttemptIncCallEnd: hook('AttemptIncCallEnd', {
    StartTime: localTime('Attempt start (often omitted).').optional(),
    EndTime: localTime('Attempt end.'),
    CityNumber: common.CityNumber,
    Caller: common.Caller,
    Called: phone('The employee number that was rung.'),
  }),
  EndIncCall: hook('EndIncCall', {
    StartTime: localTime('Call start (often omitted).').optional(),
    EndTime: localTime('Call end.'),
    Duration: duration,
    ResultCode: resultCode.optional(),
    CityNumber: common.CityNumber,
    Caller: common.Caller,
    Called: phone('The number that held the call when it ended.').optional(),
  }),
  MissedIncCall: hook('MissedIncCall', {
    StartTime: localTime('Call start (often omitted).').optional(),
    EndTime: localTime('Call end.'),
    Duration: duration,
    ResultCode: resultCode.optional(),
    CityNumber: common.CityNumber,
    Caller: common.Caller,
    Called: phone('The called party.').optional(),
  }),
  CreateOutCall: hook('CreateOutCall', {
    StartTime: localTime('Call start.'),
    CityNumber: common.CityNumber,
    Caller: common.Caller,
    Called: phone('The called party.'),
  }),
  EndOutCall: hook('EndOutCall', {
    StartTime: localTime('Call start.'),
    EndTime: localTime('Call end.').optional(),
    Duration: duration.optional(),
    ResultCode: resultCode.optional(),
    CityNumber: common.CityNumber,
    Caller: common.Caller,
    Called: phone('The called party.').optional(),
  }),
} as const satisfies Record<HookType, z.ZodType>;

/**
 * Names of the attributes the service adds to what it stores and publishes
 * (call-event-record.ts). A body that carries one is rejected (and so kept in quarantine)
 * rather than overwritten or, worse, trusted: a provider's `ExpiresAt` would be read as
 * the TTL, a `ResultText` would pass for our meaning of an unknown code.
 */
export const SERVICE_FIELDS = [
  'EventKey',
  'EventTime',
  'Direction',
  'ResultText',
  'ReceivedAt',
  'StartTimeUtc',
  'StartDurationUtc',
  'EndTimeUtc',
  'RawBody',
  'ExpiresAt',
  'EventId',
] as const;

/** zod and the DynamoDB marshaller both skip a `__proto__` key, so such a field would be lost. */
const PROTO_FIELD_REASON = 'A field is named __proto__, which cannot be stored';

/**
 * Why unknown fields could not be stored as DynamoDB attributes (too deep, an empty field
 * name, or `__proto__`), or undefined when they can.
 */
function unstorable(value: unknown, depth = 0): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= MAX_NESTING_DEPTH) return `Fields are nested deeper than ${MAX_NESTING_DEPTH} levels`;
  for (const [key, child] of Object.entries(value)) {
    if (key === '' && !Array.isArray(value)) return 'A field name is empty';
    if (key === '__proto__') return PROTO_FIELD_REASON;
    const reason = unstorable(child, depth + 1);
    if (reason) return reason;
  }
  return undefined;
}

/** Any of the provider's events, told apart by `HookType`. Unknown fields are kept. */
export const callEventSchema = z
  .discriminatedUnion('HookType', [
    hookSchemas.CreateIncCall,
    hookSchemas.AttemptIncCallBegin,
    hookSchemas.ChangeIncCall,
    hookSchemas.AttemptIncCallEnd,
    hookSchemas.EndIncCall,
    hookSchemas.MissedIncCall,
    hookSchemas.CreateOutCall,
    hookSchemas.EndOutCall,
  ])
  .check((ctx) => {
    const reason = unstorable(ctx.value);
    if (reason) ctx.issues.push({ code: 'custom', input: ctx.value, message: reason });
    for (const name of SERVICE_FIELDS) {
      if (Object.hasOwn(ctx.value, name)) {
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          path: [name],
          message: 'Reserved for an attribute the service adds',
        });
      }
    }
  });

/** A provider event as the contract normalises it (ResultCode a string, Duration a number). */
export type CallEvent = z.output<typeof callEventSchema>;
/** A provider event as it may arrive on the wire. */
export type CallEventInput = z.input<typeof callEventSchema>;
export type CallEventOf<T extends HookType> = z.output<(typeof hookSchemas)[T]>;

/** One reason a body was rejected: where (a dotted path, empty for the whole body) and why. */
export interface ContractIssue {
  path: string;
  message: string;
}

export type ParseResult = { ok: true; event: CallEvent } | { ok: false; issues: ContractIssue[] };

/** Validates a parsed JSON value. A failure is data (the list of issues), never an exception. */
export function parseCallEvent(value: unknown): ParseResult {
  const result = callEventSchema.safeParse(value);
  if (result.success) {
    // zod leaves a top-level `__proto__` out of its output: reject the body rather than drop the field.
    if (Object.hasOwn(value as object, '__proto__')) {
      return { ok: false, issues: [{ path: '__proto__', message: PROTO_FIELD_REASON }] };
    }
    return { ok: true, event: result.data };
  }
  return {
    ok: false,
    issues: result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
    })),
  };
}
