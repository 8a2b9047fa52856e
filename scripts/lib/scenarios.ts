/**
 * Realistic call flows as data, and a player that POSTs them to any webhook URL (local or
 * deployed) over plain HTTP. `scripts/simulate.ts` is the CLI; tests import this module.
 *
 * Exported API:
 * - `SCENARIO_NAMES` / `ScenarioName`: the scenarios, in the order `npm run simulate` plays them.
 * - `scenarios(options?)`: fresh `Scenario`s (a new random SessionID each, times around `now`
 *   in the provider's zone and format). Each request holds its exact `body`, the `event` it
 *   encodes (valid ones only) and the answer the webhook must give (`expected`).
 * - `acceptedEvents(scenario)`: the events that must be stored, and published, once each.
 * - `runScenario(scenario, target, onResult?)`: POSTs the requests in order with the token in
 *   `X-Webhook-Token`; resolves to one `RequestResult` per request sent and `ok` when every
 *   answer was the expected one. It stops at the first request that gets no HTTP answer.
 * - `postWebhook(body, target)`: one POST, as `npm run send` makes it.
 * - `resolveTarget(flags, env, runtime)`: the webhook URL and token `simulate` and `send` use.
 * - `providerTime(date, timeZone)`: `YYYY-MM-DD HH:mm:ss` wall-clock time in an IANA zone.
 * - `isScenarioName(value)`: a type guard for CLI arguments.
 * - `formatScenarioHeader`, `formatRequestLine`, `formatSummary`, `allAsExpected`: the CLI's output.
 */
import { randomUUID } from 'node:crypto';
import { TOKEN_HEADER } from '../../lambda/config/webhook';
import { isValidTimeZone } from '../../lambda/contract/local-time';
import type { CallEventInput } from '../../lambda/contract/schema';
import type { RuntimeFile } from '../../local/runtime-file';
import { localModeNotRunning, UsageError } from './cli';

export const SCENARIO_NAMES = [
  'parallel-answered',
  'sequential-answered',
  'missed',
  'outgoing-answered',
  'outgoing-busy',
  'redelivery',
  'malformed',
] as const;

export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** The webhook's answer a request must get (README, "What the webhook answers"). */
export interface Expected {
  httpStatus: 200 | 400;
  /** The response body's `status`. */
  status: 'accepted' | 'duplicate' | 'rejected';
  /** The response body's `reason`, for a rejection. */
  reason?: 'invalid-json' | 'contract';
}

export interface ScenarioRequest {
  /** The HookType, or what is wrong with a malformed body. */
  label: string;
  /** The exact body POSTed. */
  body: string;
  /** The event the body encodes, for a valid one. */
  event?: CallEventInput;
  expected: Expected;
}

export interface Scenario {
  name: ScenarioName;
  description: string;
  sessionId: string;
  requests: ScenarioRequest[];
}

export interface ScenarioOptions {
  /** Which scenarios, in this order; all of them by default. */
  names?: readonly ScenarioName[];
  /** IANA zone of the provider's wall-clock times: the receiving stack's. */
  timeZone: string;
  /** Each call ends at about this instant. @default new Date() */
  now?: Date;
  newSessionId?: () => string;
}

// Fake numbers in the provider's formats (10-digit city number, 8-prefixed, 11- and 15-digit lines).
const NUMBERS = {
  city: '4950001000',
  redirecting: '84950001000',
  caller: '9990001234',
  employees: ['80050000001', '80050000002', '800770000000003'],
  outgoingCalled: '89990004321',
} as const;
const [EMPLOYEE_1, EMPLOYEE_2, EMPLOYEE_3] = NUMBERS.employees;

const ACCEPTED: Expected = { httpStatus: 200, status: 'accepted' };
const DUPLICATE: Expected = { httpStatus: 200, status: 'duplicate' };

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The provider's time format, `YYYY-MM-DD HH:mm:ss`, as a wall clock in `timeZone` shows `date`. */
export function providerTime(date: Date, timeZone: string): string {
  let format = formatters.get(timeZone);
  if (!format) {
    const twoDigits = '2-digit';
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: twoDigits,
      day: twoDigits,
      hour: twoDigits,
      minute: twoDigits,
      second: twoDigits,
    });
    formatters.set(timeZone, format);
  }
  const p = Object.fromEntries(format.formatToParts(date).map((part) => [part.type, part.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** Provider time `offset` seconds after the call's start. */
type Clock = (offset: number) => string;

interface Flow {
  description: string;
  /** From the first event to the last, so that the call ends at about `now`. */
  seconds: number;
  requests(sessionId: string, t: Clock): ScenarioRequest[];
}

const request = (event: CallEventInput, expected: Expected = ACCEPTED): ScenarioRequest => ({
  label: event.HookType,
  body: JSON.stringify(event),
  event,
  expected,
});

/** Every event is expected to be accepted. */
const allAccepted = (events: CallEventInput[]): ScenarioRequest[] => events.map((event) => request(event));

const incoming = (called: string) => ({ CityNumber: NUMBERS.city, Caller: NUMBERS.caller, Called: called });
const outgoing = { CityNumber: NUMBERS.city, Caller: EMPLOYEE_1, Called: NUMBERS.outgoingCalled };

function createIncCall(SessionID: string, t: Clock): CallEventInput {
  return {
    SessionID,
    HookType: 'CreateIncCall',
    StartTime: t(0),
    ...incoming(NUMBERS.city),
    Redirecting: NUMBERS.redirecting,
  };
}

function attemptBegin(SessionID: string, at: string, called: string): CallEventInput {
  return { SessionID, HookType: 'AttemptIncCallBegin', StartTime: at, ...incoming(called) };
}

/** As in the provider's examples: no StartTime unless given. */
const endTimes = (end: string, start?: string) =>
  start === undefined ? { EndTime: end } : { StartTime: start, EndTime: end };

function attemptEnd(SessionID: string, end: string, called: string, start?: string): CallEventInput {
  return { SessionID, HookType: 'AttemptIncCallEnd', ...endTimes(end, start), ...incoming(called) };
}

/** Employee 2 answered; `duration` seconds of conversation. */
function answeredEnd(SessionID: string, duration: number, end: string, start?: string): CallEventInput {
  return {
    SessionID,
    HookType: 'EndIncCall',
    ...endTimes(end, start),
    ...incoming(EMPLOYEE_2),
    Duration: duration,
    ResultCode: '200',
  };
}

function missedCall(SessionID: string, t: Clock, ringSeconds: number, resultCode: string): CallEventInput[] {
  return [
    createIncCall(SessionID, t),
    attemptBegin(SessionID, t(1), EMPLOYEE_1),
    attemptBegin(SessionID, t(1), EMPLOYEE_2),
    attemptEnd(SessionID, t(ringSeconds), EMPLOYEE_1),
    attemptEnd(SessionID, t(ringSeconds), EMPLOYEE_2),
    {
      SessionID,
      HookType: 'MissedIncCall',
      EndTime: t(ringSeconds),
      ...incoming(NUMBERS.redirecting),
      Duration: 0,
      ResultCode: resultCode,
    },
  ];
}

/** An outgoing call ending `seconds` after it starts, `duration` of them in conversation. */
function outgoingCall(
  SessionID: string,
  t: Clock,
  seconds: number,
  duration: number,
  resultCode: string | number,
): CallEventInput[] {
  return [
    { SessionID, HookType: 'CreateOutCall', StartTime: t(0), ...outgoing },
    {
      SessionID,
      HookType: 'EndOutCall',
      StartTime: t(0),
      EndTime: t(seconds),
      ...outgoing,
      Duration: duration,
      ResultCode: resultCode,
    },
  ];
}

const parallelAnswered: Flow = {
  description: 'three employees rung at once; employee 2 answers; a 47 s conversation',
  seconds: 59,
  requests: (id, t) =>
    allAccepted([
      createIncCall(id, t),
      ...NUMBERS.employees.map((called) => attemptBegin(id, t(1), called)),
      { SessionID: id, HookType: 'ChangeIncCall', StartDuration: t(12), ...incoming(EMPLOYEE_2) },
      attemptEnd(id, t(12), EMPLOYEE_1, t(1)),
      attemptEnd(id, t(12), EMPLOYEE_3, t(1)),
      answeredEnd(id, 47, t(59), t(0)),
    ]),
};

const sequentialAnswered: Flow = {
  description: 'employee 1 rung for 20 s without answer, then employee 2 answers; a 95 s conversation',
  seconds: 123,
  requests: (id, t) =>
    allAccepted([
      createIncCall(id, t),
      attemptBegin(id, t(1), EMPLOYEE_1),
      attemptEnd(id, t(21), EMPLOYEE_1),
      attemptBegin(id, t(22), EMPLOYEE_2),
      { SessionID: id, HookType: 'ChangeIncCall', StartDuration: t(28), ...incoming(EMPLOYEE_2) },
      answeredEnd(id, 95, t(123)),
    ]),
};

const missed: Flow = {
  description: 'two employees rung for 30 s, nobody answers',
  seconds: 31,
  requests: (id, t) => allAccepted(missedCall(id, t, 31, '304')),
};

const outgoingAnswered: Flow = {
  description: 'an outgoing call, answered; a 41 s conversation',
  seconds: 63,
  requests: (id, t) => allAccepted(outgoingCall(id, t, 63, 41, '200')),
};

const outgoingBusy: Flow = {
  description: 'an outgoing call to a busy line (ResultCode sent as the integer 486)',
  seconds: 4,
  requests: (id, t) => allAccepted(outgoingCall(id, t, 4, 0, 486)),
};

const redelivery: Flow = {
  description: 'a missed call (603-S) whose every event the provider delivers twice',
  seconds: 16,
  requests: (id, t) =>
    missedCall(id, t, 16, '603-S').flatMap((event) => [request(event), request(event, DUPLICATE)]),
};

const malformedFlow: Flow = {
  description: 'a body that is not JSON, an unknown HookType, an impossible date',
  seconds: 0,
  requests: (id, t) => {
    // The spec's own AttemptIncCallEnd example lacks its closing brace.
    const unclosed = JSON.stringify(attemptEnd(id, t(0), EMPLOYEE_1), null, 2).replace(/\}$/, '');
    const unknownHook = {
      SessionID: id,
      HookType: 'TransferIncCall',
      StartTime: t(0),
      ...incoming(EMPLOYEE_1),
    };
    const february30 = {
      ...createIncCall(id, t),
      StartTime: t(0).replace(/^(\d{4})-\d{2}-\d{2}/, '$1-02-30'),
    };
    return [
      { label: 'AttemptIncCallEnd, no closing brace', body: unclosed, expected: rejected('invalid-json') },
      {
        label: 'TransferIncCall, unknown HookType',
        body: JSON.stringify(unknownHook),
        expected: rejected('contract'),
      },
      {
        label: 'CreateIncCall, StartTime on 30 February',
        body: JSON.stringify(february30),
        expected: rejected('contract'),
      },
    ];
  },
};

function rejected(reason: 'invalid-json' | 'contract'): Expected {
  return { httpStatus: 400, status: 'rejected', reason };
}

const FLOWS: Readonly<Record<ScenarioName, Flow>> = {
  'parallel-answered': parallelAnswered,
  'sequential-answered': sequentialAnswered,
  missed,
  'outgoing-answered': outgoingAnswered,
  'outgoing-busy': outgoingBusy,
  redelivery,
  malformed: malformedFlow,
};

export function isScenarioName(value: string): value is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(value);
}

/** Fresh calls: new SessionIDs, each call ending at about `now`. */
export function scenarios(options: ScenarioOptions): Scenario[] {
  const { timeZone } = options;
  if (!isValidTimeZone(timeZone)) throw new RangeError(`Unknown IANA time zone "${timeZone}"`);
  const now = options.now ?? new Date();
  const newSessionId = options.newSessionId ?? randomUUID;
  return (options.names ?? SCENARIO_NAMES).map((name) => {
    const flow = FLOWS[name];
    const start = now.getTime() - flow.seconds * 1000;
    const t: Clock = (offset) => providerTime(new Date(start + offset * 1000), timeZone);
    const sessionId = newSessionId();
    return { name, description: flow.description, sessionId, requests: flow.requests(sessionId, t) };
  });
}

/** The events of a scenario that the webhook must store (and the publisher publish), once each. */
export function acceptedEvents(scenario: Scenario): CallEventInput[] {
  return scenario.requests.flatMap((r) => (r.expected.status === 'accepted' && r.event ? [r.event] : []));
}

export interface Target {
  url: string;
  token: string;
  /** Per request. @default 10000 */
  timeoutMs?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

export interface RequestResult {
  request: ScenarioRequest;
  /** Absent when no HTTP answer came (see `error`). */
  httpStatus?: number;
  status?: string;
  reason?: string;
  error?: string;
  ok: boolean;
}

export interface ScenarioResult {
  scenario: Scenario;
  /** One per request sent; fewer than the scenario's requests when one got no answer. */
  results: RequestResult[];
  ok: boolean;
}

/** A string field of a JSON object body, if any. */
function field(json: unknown, name: string): string | undefined {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const value = (json as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function transportError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error).message;
  return (error as Error).name === 'TimeoutError' ? 'no answer in time' : String(detail);
}

function matches(expected: Expected, got: Pick<RequestResult, 'httpStatus' | 'status' | 'reason'>): boolean {
  return (
    got.httpStatus === expected.httpStatus &&
    got.status === expected.status &&
    (expected.reason === undefined || got.reason === expected.reason)
  );
}

/** What the webhook answered one POST: its HTTP status, the body's status and reason; or why nothing came. */
export interface WebhookAnswer {
  httpStatus?: number;
  status?: string;
  reason?: string;
  /** The answer's body, as received. */
  text?: string;
  error?: string;
}

/** POSTs one body as the provider does (JSON, the token in `X-Webhook-Token`); never throws. */
export async function postWebhook(body: string, target: Target): Promise<WebhookAnswer> {
  const doFetch = target.fetch ?? fetch;
  try {
    const response = await doFetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [TOKEN_HEADER]: target.token },
      body,
      signal: AbortSignal.timeout(target.timeoutMs ?? 10_000),
    });
    const text = await response.text();
    const json = parseJson(text);
    return {
      httpStatus: response.status,
      status: field(json, 'status'),
      reason: field(json, 'reason'),
      text,
    };
  } catch (error) {
    return { error: transportError(error) };
  }
}

async function send(req: ScenarioRequest, target: Target): Promise<RequestResult> {
  const { text: _, error, ...got } = await postWebhook(req.body, target);
  if (error !== undefined) return { request: req, error, ok: false };
  return { request: req, ...got, ok: matches(req.expected, got) };
}

/** Where `resolveTarget` looks, said after the one not-running sentence. */
export const LOCAL_OR_URL = 'or pass --url URL --token TOKEN (or set WEBHOOK_URL and WEBHOOK_TOKEN)';

/**
 * The webhook to POST to: `--url`/`--token`, else WEBHOOK_URL/WEBHOOK_TOKEN, else the running
 * local mode's (`runtime`, read by the caller only when the first two do not say both). The local
 * token goes only to the local URL, never to another webhook.
 */
export function resolveTarget(
  flags: { url?: string | undefined; token?: string | undefined },
  env: NodeJS.ProcessEnv,
  runtime: RuntimeFile | undefined,
): Pick<Target, 'url' | 'token'> {
  const url = flags.url ?? env.WEBHOOK_URL;
  const token = flags.token ?? env.WEBHOOK_TOKEN;
  if (url !== undefined && token !== undefined) return { url, token };
  if (url === undefined) {
    if (!runtime) throw localModeNotRunning(LOCAL_OR_URL);
    return { url: runtime.webhookUrl, token: token ?? runtime.token };
  }
  if (runtime && url === runtime.webhookUrl) return { url, token: runtime.token };
  throw new UsageError(
    `${flags.url !== undefined ? '--url' : 'WEBHOOK_URL'} needs --token TOKEN (or WEBHOOK_TOKEN)`,
  );
}

/** Whether `resolveTarget` needs the local mode's description: the flags and environment lack URL or token. */
export const needsLocalMode = (flags: { url?: string; token?: string }, env: NodeJS.ProcessEnv): boolean =>
  (flags.url ?? env.WEBHOOK_URL) === undefined || (flags.token ?? env.WEBHOOK_TOKEN) === undefined;

/** POSTs a scenario's requests one after another, in order (a re-delivery must follow its original). */
export async function runScenario(
  scenario: Scenario,
  target: Target,
  onResult?: (result: RequestResult) => void,
): Promise<ScenarioResult> {
  const results: RequestResult[] = [];
  for (const req of scenario.requests) {
    const result = await send(req, target);
    results.push(result);
    onResult?.(result);
    if (result.error !== undefined) break;
  }
  const ok = results.length === scenario.requests.length && results.every((r) => r.ok);
  return { scenario, results, ok };
}

export const allAsExpected = (results: readonly ScenarioResult[]): boolean => results.every((r) => r.ok);

export function formatScenarioHeader(scenario: Scenario): string {
  return `${scenario.name}  SessionID ${scenario.sessionId}  (${scenario.description})`;
}

const expectedText = (e: Expected) => `${e.httpStatus} ${e.status}${e.reason ? ` ${e.reason}` : ''}`;

export function formatRequestLine(result: RequestResult): string {
  const mark = result.ok ? '✓' : '✗';
  const label = result.request.label.padEnd(40);
  if (result.error !== undefined) return `  ${mark} ${label} no answer: ${result.error}`;
  const got = [result.httpStatus, result.status ?? '-', result.reason]
    .filter((v) => v !== undefined)
    .join(' ');
  return `  ${mark} ${label} ${got}${result.ok ? '' : `  (expected ${expectedText(result.request.expected)})`}`;
}

export function formatSummary(results: readonly ScenarioResult[]): string {
  const planned = results.reduce((n, r) => n + r.scenario.requests.length, 0);
  const failed = results.filter((r) => !r.ok).map((r) => r.scenario.name);
  const head = `${results.length} scenario${results.length === 1 ? '' : 's'}, ${planned} requests`;
  return failed.length === 0
    ? `${head}: all answered as expected`
    : `${head}: not as expected in ${failed.join(', ')}`;
}
