/**
 * The app's configuration: cdk.json context and `-c key=value`, validated once at synth with an
 * error that names the bad key. CLI values arrive as strings, so numbers are coerced and lists
 * may be comma-separated.
 */
import type { Construct } from 'constructs';
import { z } from 'zod';
import { UPGRADE_STEPS } from '../lambda/calls/index-upgrade';
import {
  type IntSetting,
  type MinutesSetting,
  parseSetting,
  SETTINGS,
  type Setting,
  type SettingValue,
  type TextSetting,
} from '../lambda/config/settings';
import { CRM_NAMES, CRMS, REQUESTS_PER_SECOND_RANGE } from '../lambda/crm/crms';

/** A number given as a number (cdk.json) or as a string (`-c key=123`). */
const fromContextNumber = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value), schema);

/** A non-empty list given as an array (cdk.json) or as `a,b,c` (`-c key=a,b,c`). */
const fromContextList = <T extends z.ZodType>(item: T, whenEmpty: string) =>
  z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((part) => part.trim())
            .filter((part) => part !== '')
        : value,
    z.array(item).min(1, whenEmpty),
  );

/** The context rule for a setting the functions read: its range or check, then its default or none. */
const intRule = (setting: IntSetting) => fromContextNumber(z.int().min(setting.min).max(setting.max));
const textRule = (setting: TextSetting) =>
  z.string().check((ctx) => {
    const problem = setting.problem(ctx.value);
    if (problem) ctx.issues.push({ code: 'custom', input: ctx.value, message: problem });
  });
/** Minutes to the second: the setting's own check, so the context and the function agree on every value. */
const minutesRule = (setting: MinutesSetting) =>
  fromContextNumber(
    z.number().check((ctx) => {
      const result = parseSetting(setting, String(ctx.value));
      if (!result.ok) ctx.issues.push({ code: 'custom', input: ctx.value, message: result.problem });
    }),
  );
function rule<S extends Setting>(s: S): z.ZodType<SettingValue<S>> {
  const schema = s.kind === 'int' ? intRule(s) : s.kind === 'minutes' ? minutesRule(s) : textRule(s);
  return schema as unknown as z.ZodType<SettingValue<S>>;
}
const withDefault = <S extends Setting & { default: SettingValue<S> }>(s: S) =>
  rule(s).default(s.default as z.util.NoUndefined<SettingValue<S>>);
const optional = <S extends Setting>(s: S) => rule(s).optional();

const isIp = (value: string) => z.ipv4().safeParse(value).success || z.ipv6().safeParse(value).success;
const isCidr = (value: string) => z.cidrv4().safeParse(value).success || z.cidrv6().safeParse(value).success;

/** An IPv4/IPv6 CIDR; a bare address is read as a single host (/32 or /128), as IAM does. */
const sourceCidr = z
  .string()
  .trim()
  .refine((value) => isCidr(value) || isIp(value), {
    error: (issue) => `not an IPv4 or IPv6 CIDR: ${JSON.stringify(issue.input)}`,
  })
  .transform((value) => (isCidr(value) ? value : `${value}/${value.includes(':') ? 128 : 32}`));

/**
 * Each construct's props take the slice of it that the construct reads (`Pick<CallEventsConfig, …>`),
 * so a key documented here is documented there; a setting the functions read is documented, with
 * its default and range, once, in {@link SETTINGS}.
 */
/** How the customer's number is kept: as sent, or as its keyed pseudonym (docs/ARCHITECTURE.md, "Personal data"). */
export const CUSTOMER_NUMBER_MODES = ['plain', 'pseudonymous'] as const;
export type CustomerNumberMode = (typeof CUSTOMER_NUMBER_MODES)[number];

export const configSchema = z
  .object({
    /** {@link SETTINGS.timeZone} */
    timeZone: withDefault(SETTINGS.timeZone),
    /** {@link SETTINGS.eventSource} */
    eventSource: withDefault(SETTINGS.eventSource),
    /** Hex SHA-256 of the webhook token; when set, no secret is created. */
    webhookTokenSha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters, e.g. from `printf %s "$TOKEN" | sha256sum`')
      .transform((hash) => hash.toLowerCase())
      .optional(),
    /** Source-IP allowlist applied by the REST API resource policy. */
    allowedSourceIps: fromContextList(
      sourceCidr,
      'must list at least one CIDR; leave the key out to accept any source',
    ).optional(),
    /** {@link SETTINGS.retentionDays} */
    retentionDays: optional(SETTINGS.retentionDays),
    /** {@link SETTINGS.rejectedRetentionDays} */
    rejectedRetentionDays: withDefault(SETTINGS.rejectedRetentionDays),
    /** {@link SETTINGS.maxBodyBytes} */
    maxBodyBytes: withDefault(SETTINGS.maxBodyBytes),
    /** {@link SETTINGS.defaultCountry} */
    defaultCountry: withDefault(SETTINGS.defaultCountry),
    /** {@link SETTINGS.callbackWindowHours} */
    callbackWindowHours: withDefault(SETTINGS.callbackWindowHours),
    /** {@link SETTINGS.stuckCallAfterMinutes} */
    stuckCallAfterMinutes: withDefault(SETTINGS.stuckCallAfterMinutes),
    /** API stage steady-state requests per second. */
    throttlingRateLimit: fromContextNumber(z.number().positive()).default(50),
    /** API stage burst of requests above the rate. */
    throttlingBurstLimit: fromContextNumber(z.int().positive()).default(100),
    /** Days the event bus archive keeps events; 0 keeps them indefinitely. */
    archiveRetentionDays: fromContextNumber(z.int().nonnegative()).default(365),
    /**
     * X-Ray tracing of the API and every function. Off by default: at a few requests a second its
     * default sampling records about half of them, and it was the largest line of the bill
     * (docs/BENCHMARKS.md, "What a million calls cost").
     */
    tracing: z
      .union([z.boolean(), z.enum(['true', 'false'], { error: 'must be true or false' })])
      .transform((value) => value === true || value === 'true')
      .default(false),
    /**
     * A step of the upgrade of a stack deployed before 2026-12-04 to the Calls table's current
     * indexes, 1 to UPGRADE_STEPS, one deploy each (lambda/calls/index-upgrade.ts, the README's
     * "Upgrading"); leave it out once done, and on a new stack.
     */
    callsIndexStep: fromContextNumber(z.int().min(0).max(UPGRADE_STEPS)).optional(),
    /**
     * The functions' application log level: `INFO`, or `DEBUG` to add each batch's summary (the
     * publisher's and the projector's) while looking into something. No higher level: the EMF
     * metrics are INFO lines to Lambda, and the alarms read them.
     */
    logLevel: z.enum(['INFO', 'DEBUG'], { error: 'must be INFO or DEBUG' }).default('INFO'),
    /** Email address subscribed to the alarm topic; without it, subscribe to the topic yourself. */
    alarmEmail: z.email('must be an email address').optional(),
    /**
     * `pseudonymous`: the customer's number is replaced at the ingest by a keyed pseudonym (and a
     * masked form for people), so that no table, event, log or archive holds it in clear.
     */
    customerNumbers: z
      .enum(CUSTOMER_NUMBER_MODES, { error: `must be one of ${CUSTOMER_NUMBER_MODES.join(', ')}` })
      .default('plain'),
    /** The CRM every finished call is delivered into; without it, nothing of the CRM is deployed. */
    crm: z.enum(CRM_NAMES, { error: `must be one of ${CRM_NAMES.join(', ')}` }).optional(),
    /** The CRM account's base URL (amoCRM's account, Bitrix24's portal): https, or http for 127.0.0.1 only (a local stand-in). */
    crmUrl: z
      .string()
      .trim()
      .check((ctx) => {
        const problem = crmUrlProblem(ctx.value);
        if (problem) ctx.issues.push({ code: 'custom', input: ctx.value, message: problem });
      })
      .transform((url) => url.replace(/\/+$/, ''))
      .optional(),
    /** PBX employee number (as the provider sends it) → CRM user id; a JSON object (`-c crmUsers='{"801":123}'`). */
    crmUsers: z
      .preprocess(
        (value) => {
          if (typeof value !== 'string') return value;
          try {
            return JSON.parse(value) as unknown;
          } catch {
            return value;
          }
        },
        z.record(
          z.string().min(1),
          z.int('must map each employee number to a whole CRM user id').positive(),
          {
            error: 'must be a JSON object of employee number → CRM user id, e.g. {"80051110001":123456}',
          },
        ),
      )
      .optional(),
    /**
     * The CRM user of a call whose employee is not in `crmUsers` (every missed call); without it
     * such a call has no user in amoCRM. Bitrix24 registers no call without one: required there.
     */
    crmDefaultUser: fromContextNumber(z.int().positive()).optional(),
    /**
     * Bitrix24 only: the authorization server that refreshes the application's tokens.
     * @default https://oauth.bitrix.info (the cloud's); an on-premises portal is its own
     */
    crmOAuthUrl: z
      .string()
      .trim()
      .check((ctx) => {
        const problem = crmUrlProblem(ctx.value, CRMS.bitrix24.oauthUrl);
        if (problem) ctx.issues.push({ code: 'custom', input: ctx.value, message: problem });
      })
      .transform((url) => url.replace(/\/+$/, ''))
      .optional(),
    /**
     * Requests a second to the CRM, across every invocation.
     * @default the CRM's own limit: amoCRM 7, Bitrix24 2 (an Enterprise portal allows 5)
     */
    crmRequestsPerSecond: fromContextNumber(
      z
        .int()
        .min(REQUESTS_PER_SECOND_RANGE.min)
        .max(REQUESTS_PER_SECOND_RANGE.max, `must be at most ${REQUESTS_PER_SECOND_RANGE.max}`),
    ).optional(),
  })
  .check((ctx) => {
    const { crm, crmUrl, crmUsers, crmDefaultUser, crmOAuthUrl, crmRequestsPerSecond, customerNumbers } =
      ctx.value;
    const problem = (key: string, input: unknown, message: string) =>
      ctx.issues.push({ code: 'custom', input, path: [key], message });
    if (crm && customerNumbers === 'pseudonymous')
      problem(
        'customerNumbers',
        customerNumbers,
        `cannot be pseudonymous with crm=${crm}: the CRM finds or creates the customer's contact by their number, so it must receive the number in clear; deliver to the CRM with customerNumbers=plain, or keep pseudonymous mode and leave crm out`,
      );
    if (crm && !crmUrl)
      problem(
        'crmUrl',
        crmUrl,
        `is required with crm=${crm}: the account's base URL, e.g. ${CRMS[crm].urlExample}`,
      );
    if (crm === 'bitrix24' && crmDefaultUser === undefined)
      problem(
        'crmDefaultUser',
        crmDefaultUser,
        'is required with crm=bitrix24: the Bitrix24 user id that a call without a mapped employee (every missed call) is registered to',
      );
    if (crm !== 'bitrix24' && crmOAuthUrl !== undefined)
      problem('crmOAuthUrl', crmOAuthUrl, 'is for crm=bitrix24 only: leave it out');
    if (!crm)
      for (const [key, value] of Object.entries({ crmUrl, crmUsers, crmDefaultUser, crmRequestsPerSecond }))
        if (value !== undefined)
          problem(
            key,
            value,
            `is set, but crm is not: set crm (${CRM_NAMES.join(' or ')}) too, or leave it out`,
          );
  });

/** Why a CRM base URL is not one (https, or http on 127.0.0.1; no path, query or credentials), or undefined. */
export function crmUrlProblem(
  value: string,
  example = `${CRMS.amocrm.urlExample} or ${CRMS.bitrix24.urlExample}`,
): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `not a URL: ${JSON.stringify(value)}; give the base URL, e.g. ${example}`;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && url.hostname === '127.0.0.1'))
    return 'must be https:// (http:// only for 127.0.0.1, a local stand-in)';
  if (url.username || url.password || url.search || url.hash || url.pathname !== '/')
    return `must be the base URL alone, e.g. ${example} (no path, query or credentials)`;
  return undefined;
}

export type CallEventsConfig = z.infer<typeof configSchema>;

export const CONFIG_KEYS = Object.keys(configSchema.shape) as (keyof CallEventsConfig)[];

/** Context that CDK itself and its lookups write (feature flags, `aws:cdk:*`, cached lookups). */
const isCdkOwnKey = (key: string) => /^(@aws-cdk|aws:|cdk-)/.test(key) || key.includes(':');

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates raw context values; throws a `ConfigError` naming each bad key and why. */
export function parseConfig(context: Readonly<Record<string, unknown>>): CallEventsConfig {
  const known = new Set<string>(CONFIG_KEYS);
  const unknown = Object.keys(context).filter((key) => !known.has(key) && !isCdkOwnKey(key));
  if (unknown.length > 0) {
    throw new ConfigError(
      `Unknown context ${unknown.map((key) => JSON.stringify(key)).join(', ')} (a typo?). ` +
        `Valid keys: ${CONFIG_KEYS.join(', ')}`,
    );
  }
  const result = configSchema.safeParse(context);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const [key, ...rest] = issue.path;
      const where = rest.length > 0 ? ` (item ${rest.join('.')})` : '';
      return `Invalid context ${JSON.stringify(String(key))}${where}: ${issue.message}`;
    });
    throw new ConfigError(problems.join('\n'));
  }
  return result.data;
}

/** Reads the configuration from the app's context (cdk.json, then `-c key=value` over it). */
export function readConfig(app: Construct): CallEventsConfig {
  return parseConfig(app.node.getAllContext());
}
