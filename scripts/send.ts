/**
 * `npm run send -- <HookType> [field=value …] [--print] [--url URL --token TOKEN]`: posts one
 * valid event of a HookType, built from the contract's own example of it, to the webhook (the
 * running local mode's unless told otherwise), and says what the webhook answered. For trying one
 * event by hand: a rejection, an override of one field, a body to hand to curl (`--print`).
 */
import { randomUUID } from 'node:crypto';
import { detailJsonSchemas, HOOK_TYPE_INFO, HOOK_TYPES, type HookType, isHookType } from '../lambda/contract';
import { isValidTimeZone } from '../lambda/contract/local-time';
import { specExamplePayload } from '../lambda/contract/spec-examples';
import { readRuntimeFile } from '../local/runtime-file';
import { defineCli, type RuntimeFileIo, runCli, runWhenMain, UsageError } from './lib/cli';
import { needsLocalMode, postWebhook, providerTime, resolveTarget } from './lib/scenarios';
import { stackSettings } from './lib/stack-settings';

export const CLI = defineCli({
  name: 'send',
  synopsis: [
    'npm run send -- <HookType> [field=value …] [--print] [--url URL --token TOKEN] [--time-zone ZONE]',
  ],
  about: `Posts one event of <HookType>, one of
  ${HOOK_TYPES.join(', ')},
built from the contract's own example of it (docs/CONTRACT.md), with a new SessionID (a UUID) and
its times set to now, in the provider's format and the receiving stack's time zone (the other
times of the example keep their distance to the event's own). Each field=value sets a field
(SessionID=…, a time, a field the contract does not know); a value is sent as a number where the
contract stores that field as one (Duration=26), else as a string. Prints the body's HookType and
SessionID, the HTTP status and the answer's status and reason; exits 1 unless the answer is 2xx.
Sends to the running local mode (npm start) unless --url or WEBHOOK_URL names another webhook.`,
  positionals: true,
  options: {
    print: {
      type: 'boolean',
      default: false,
      help: 'print the body alone and send nothing (e.g. to pipe it to curl; run npm\nwith -s so that npm prints nothing of its own)',
    },
    url: {
      type: 'string',
      value: 'URL',
      help: 'the webhook, e.g. the WebhookUrl output of a deployed stack',
    },
    token: { type: 'string', value: 'TOKEN', help: "the webhook's token (with --url; local mode: its own)" },
    'time-zone': {
      type: 'string',
      value: 'ZONE',
      help: "the zone of the body's wall-clock times; by default local mode's own, or,\nfor another webhook or no local mode, the stack's timeZone from cdk.json",
    },
  },
  environment: [
    ['WEBHOOK_URL', 'the webhook, when --url is not given'],
    ['WEBHOOK_TOKEN', 'its token, when --token is not given'],
  ],
});

export interface SendIo extends RuntimeFileIo {
  fetch?: typeof fetch;
  /** @default new Date() */
  now?: () => Date;
}

const TIME_FIELDS = ['StartTime', 'StartDuration', 'EndTime'] as const;

/** A provider wall-clock time read as if UTC: only the distances between an example's times matter. */
const wallMs = (time: string) => Date.parse(`${time.replace(' ', 'T')}Z`);

/** The schemas of what the contract stores, built on first use (a CLI builds them once). */
let stored: ReturnType<typeof detailJsonSchemas> | undefined;

/**
 * Whether the contract keeps this field of a HookType as a number (Duration), read from the
 * schema of what it stores, so that `Duration=26` is sent as 26 and `ResultCode=486` as "486".
 */
export function isNumberField(hookType: HookType, field: string): boolean {
  stored ??= detailJsonSchemas();
  const property = stored[hookType].properties?.[field];
  const types = (property?.anyOf ?? (property ? [property] : [])).map((p) => p.type);
  return types.length > 0 && types.every((type) => type === 'integer' || type === 'number');
}

/** `field=value` arguments, split at the first `=`. */
export function parseAssignments(args: readonly string[]): [string, string][] {
  return args.map((arg) => {
    const eq = arg.indexOf('=');
    if (eq < 1) throw new UsageError(`expected field=value after the HookType (got ${arg})`);
    return [arg.slice(0, eq), arg.slice(eq + 1)];
  });
}

export interface BodyOptions {
  hookType: HookType;
  assignments: readonly [string, string][];
  timeZone: string;
  now: Date;
  newSessionId?: () => string;
}

/**
 * The body to send: the contract's example of the HookType, a new SessionID, the event's own
 * time at `now` (the example's other times moved with it), then the assignments over all that.
 */
export function buildBody(options: BodyOptions): Record<string, unknown> {
  const { hookType, timeZone, now } = options;
  const body = specExamplePayload(hookType);
  body.SessionID = (options.newSessionId ?? randomUUID)();
  const own = HOOK_TYPE_INFO[hookType].eventTimeFrom.find((field) => typeof body[field] === 'string');
  if (own) {
    const shift = now.getTime() - wallMs(body[own] as string);
    for (const field of TIME_FIELDS) {
      const time = body[field];
      if (typeof time === 'string') body[field] = providerTime(new Date(wallMs(time) + shift), timeZone);
    }
  }
  for (const [field, value] of options.assignments)
    body[field] = isNumberField(hookType, field) && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  return body;
}

function hookTypeOf(positionals: readonly string[]): HookType {
  const [first] = positionals;
  const choose = `choose one of ${HOOK_TYPES.join(', ')}`;
  if (first === undefined) throw new UsageError(`give a HookType: ${choose}`);
  if (!isHookType(first)) throw new UsageError(`unknown HookType ${first}; ${choose}`);
  return first;
}

function zoneOf(flag: string | undefined, fallback: () => string): string {
  const zone = flag ?? fallback();
  if (!isValidTimeZone(zone)) throw new UsageError(`--time-zone: unknown IANA time zone "${zone}"`);
  return zone;
}

/** The issues of a 400, one line each (paths and messages of the contract). */
function issueLines(text: string | undefined): string[] {
  try {
    const issues = (JSON.parse(text ?? '') as { issues?: { path?: string; message?: string }[] }).issues;
    return (issues ?? []).map((issue) => `  ${issue.path || '(body)'}: ${issue.message ?? ''}`);
  } catch {
    return [];
  }
}

/** The CLI, minus the process: returns the exit code. */
export function main(argv: string[], io: SendIo): Promise<number> {
  return runCli(argv, io, CLI, async ({ values, positionals }) => {
    const hookType = hookTypeOf(positionals);
    const assignments = parseAssignments(positionals.slice(1));
    const now = io.now?.() ?? new Date();
    if (values.print) {
      const runtime = readRuntimeFile(io.runtimeFile);
      const timeZone = zoneOf(values['time-zone'], () => runtime?.timeZone ?? stackSettings().timeZone);
      io.out(JSON.stringify(buildBody({ hookType, assignments, timeZone, now }), null, 2));
      return 0;
    }
    const runtime = needsLocalMode(values, io.env) ? readRuntimeFile(io.runtimeFile) : undefined;
    const target = resolveTarget(values, io.env, runtime);
    // Wall-clock times as the receiving stack reads them: local mode's own zone, else the stack's.
    const timeZone = zoneOf(values['time-zone'], () =>
      runtime?.webhookUrl === target.url ? runtime.timeZone : stackSettings().timeZone,
    );
    const body = buildBody({ hookType, assignments, timeZone, now });
    const answer = await postWebhook(JSON.stringify(body), { ...target, fetch: io.fetch });
    const what = `${String(body.HookType)}  SessionID ${String(body.SessionID)}`;
    if (answer.error !== undefined) {
      io.err(`${what}: no answer from ${target.url} (${answer.error})`);
      return 1;
    }
    const status = answer.httpStatus as number;
    const said = [answer.status, answer.reason].filter((part) => part !== undefined).join(' ');
    io.out(`${what}  → ${status}${said ? ` ${said}` : ''}`);
    for (const line of issueLines(answer.text)) io.out(line);
    return status >= 200 && status < 300 ? 0 : 1;
  });
}

runWhenMain(module, main);
