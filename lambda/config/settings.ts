/**
 * The operator's settings: each one's context key, the environment variable it reaches a function
 * under, its default and its valid values, declared once. `lib/config.ts` validates the context
 * with them at synth and the functions read their environment with them at cold start
 * (`lambda/shared/env.ts`), so a value that synthesizes is a value the function accepts.
 */
import { isValidTimeZone } from '../contract/local-time';

/** One setting that the stack gives a function through its environment. */
interface SettingBase {
  /** The environment variable the function reads. */
  readonly env: string;
}
/** A whole number in a closed range, given as a number (cdk.json) or its digits (`-c`, the environment). */
export interface IntSetting extends SettingBase {
  readonly kind: 'int';
  readonly min: number;
  readonly max: number;
  readonly default?: number;
}
/** A string, valid when `problem` finds nothing wrong with it. */
export interface TextSetting extends SettingBase {
  readonly kind: 'text';
  readonly default?: string;
  /** Why the value is not valid (a phrase that completes "Invalid <name>: …"), or undefined. */
  readonly problem: (value: string) => string | undefined;
}
/**
 * A duration in minutes to the second: a whole number of minutes (`240`) or a fraction that is a
 * whole number of seconds (`0.5` is 30 s), so that local mode can make the stack's own setting
 * short enough to watch.
 */
export interface MinutesSetting extends SettingBase {
  readonly kind: 'minutes';
  /** Seconds. */
  readonly minSeconds: number;
  /** Minutes. */
  readonly max: number;
  readonly default?: number;
}
export type Setting = IntSetting | TextSetting | MinutesSetting;
export type SettingValue<S extends Setting> = S extends TextSetting ? string : number;

const EVENT_SOURCE = /^[A-Za-z0-9._-]{1,256}$/;
const DAYS = { kind: 'int', min: 1, max: 36_500 } as const;

/** Largest body limit for which an item (its fields plus RawBody) still fits DynamoDB's 400 KB. */
export const MAX_BODY_BYTES_LIMIT = 131_072;

export const SETTINGS = {
  /** IANA zone the provider's wall-clock times are read in (the numbers are Russian). */
  timeZone: {
    kind: 'text',
    env: 'CALL_TIME_ZONE',
    default: 'Europe/Moscow',
    problem: (value) =>
      isValidTimeZone(value) ? undefined : `unknown IANA time zone ${JSON.stringify(value)}`,
  },
  /** `source` of the published events; consumers' rules match on it. */
  eventSource: {
    kind: 'text',
    env: 'EVENT_SOURCE',
    default: 'telephony.call-events',
    problem: (value) =>
      !EVENT_SOURCE.test(value)
        ? 'use 1-256 letters, digits, ".", "_" or "-"'
        : value.startsWith('aws.')
          ? 'sources starting with "aws." are reserved for AWS'
          : undefined,
  },
  /** The provider's events are a few hundred bytes; anything near the default is not one of them. */
  maxBodyBytes: {
    kind: 'int',
    env: 'MAX_BODY_BYTES',
    min: 1_024,
    max: MAX_BODY_BYTES_LIMIT,
    default: 32_768,
  },
  /** Days to keep call events (DynamoDB TTL); unset keeps them for ever. */
  retentionDays: { ...DAYS, env: 'CALL_EVENTS_RETENTION_DAYS' },
  /** Days to keep quarantined bodies. */
  rejectedRetentionDays: { ...DAYS, env: 'REJECTED_RETENTION_DAYS', default: 90 },
  /** Country whose national format a phone number without a country code is read in (ISO 3166-1). */
  defaultCountry: {
    kind: 'text',
    env: 'DEFAULT_COUNTRY',
    default: 'RU',
    problem: (value) => (/^[A-Z]{2}$/.test(value) ? undefined : 'use an ISO 3166-1 alpha-2 code such as RU'),
  },
  /** Hours after a missed call's end within which an answered call with the customer resolves it. */
  callbackWindowHours: { kind: 'int', env: 'CALLBACK_WINDOW_HOURS', min: 1, max: 8_760, default: 72 },
  /** Minutes with nothing received for an open call after which the sweep marks it `stuck`. */
  stuckCallAfterMinutes: {
    kind: 'minutes',
    env: 'STUCK_CALL_AFTER_MINUTES',
    minSeconds: 1,
    max: 100_000,
    default: 240,
  },
} as const satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;

/**
 * Reads one setting from its raw text (`undefined` or empty: unset). The default when unset,
 * `undefined` when unset with no default, else the value; a string says why the text is invalid.
 */
export function parseSetting<S extends Setting>(
  setting: S,
  raw: string | undefined,
): { ok: true; value: SettingValue<S> | undefined } | { ok: false; problem: string } {
  if (raw === undefined || raw === '')
    return { ok: true, value: setting.default as SettingValue<S> | undefined };
  if (setting.kind === 'text') {
    const problem = setting.problem(raw);
    return problem ? { ok: false, problem } : { ok: true, value: raw as SettingValue<S> };
  }
  const n = Number(raw);
  if (setting.kind === 'minutes') {
    const seconds = n * 60;
    const wholeSeconds = Math.abs(seconds - Math.round(seconds)) < 1e-6;
    if (!Number.isFinite(n) || !wholeSeconds || Math.round(seconds) < setting.minSeconds || n > setting.max)
      return {
        ok: false,
        problem: `must be minutes from ${setting.minSeconds} s to ${setting.max}, in whole seconds (240, or 0.5 for 30 s), got ${raw}`,
      };
    return { ok: true, value: n as SettingValue<S> };
  }
  if (!Number.isInteger(n) || n < setting.min || n > setting.max) {
    return { ok: false, problem: `must be an integer from ${setting.min} to ${setting.max}, got ${raw}` };
  }
  return { ok: true, value: n as SettingValue<S> };
}
