/**
 * A local stand-in of a Bitrix24 portal's REST API and of its OAuth authorization server, on
 * 127.0.0.1, for the requests a telephony integration makes. Written from the official docs
 * (github.com/bitrix24/b24restdocs; paths below are in that repository). What a page says is
 * marked "docs:"; what no page says, and this stand-in chose, is marked "CHOSEN:".
 *
 * - Calling a method: settings/how-to-call-rest-api/general-principles.md, authorization.md,
 *   data-encoding.md. docs: an application calls `<portal>/rest/<method>` with its access token in
 *   the `auth` parameter; parameters come in the query, a JSON body or a form body (nested keys as
 *   `FILTER[CALL_ID]`); `.json` after the method name asks for JSON, the default. The answer is
 *   `{result, time}`, or `{error, error_description}` (error-codes.md, _includes/error-info.md).
 *   api-reference/data-types.md#time: "the `time` object is present in the responses to all REST
 *   requests" {start, finish, duration, processing, date_start, date_finish, operating_reset_at,
 *   operating} — CHOSEN: error answers carry it too (the pages' error examples show none).
 *   CHOSEN: method names are matched case-insensitively (the pages write
 *   `telephony.externalCall.register`, the product sends it lowercase); an unparsable body counts
 *   as no parameters; a method the stand-in does not know is 404 `ERROR_METHOD_NOT_FOUND` (the
 *   status and code api-reference/rest-v3.md gives; the description "Method not found" is chosen).
 * - System errors: _includes/system-errors.md. docs: 401 `NO_AUTH_FOUND` "Wrong authorization
 *   data" (an invalid access token or webhook code), 401 `expired_token` "The access token
 *   provided has expired", 403 `insufficient_scope` "The request requires higher privileges than
 *   provided by the webhook token", 503 `QUERY_LIMIT_EXCEEDED` "Too many requests", 500
 *   `INTERNAL_SERVER_ERROR` "Internal server error". So a token the portal never issued (or no
 *   token) is `NO_AUTH_FOUND`. `invalid_token` "Token expired or invalid" appears only in the
 *   on-premise example of settings/cloud-and-on-premise/on-premise/custom-auth-provider.md; it is
 *   answered only through `failNext`, CHOSEN with status 401. `WRONG_AUTH_TYPE` "Current
 *   authorization type is denied for this method" (the telephony pages: "the method works only in
 *   the context of an application"), status 403 as the imopenlines/imconnector pages give it.
 *   CHOSEN: the methods here need the `telephony` scope (each page: "Scope: telephony"); without
 *   it they answer `insufficient_scope`.
 * - telephony.externalCall.register: api-reference/telephony/telephony-external-call-register.md.
 *   docs: USER_ID (or USER_PHONE_INNER), PHONE_NUMBER and TYPE (1 outgoing, 2 incoming, 3 incoming
 *   with redirection, 4 callback, 5 informational) are required; CALL_START_DATE is ISO-8601 with
 *   a zone; CRM_CREATE=1 creates a CRM object when none is found by the number; CRM_ENTITY_TYPE /
 *   CRM_ENTITY_ID name one. The answer {CALL_ID, CRM_CREATED_LEAD, CRM_CREATED_ENTITIES
 *   [{ENTITY_TYPE, ENTITY_ID}], CRM_ENTITY_TYPE, CRM_ENTITY_ID}. Errors, HTTP 400: ERROR_CORE "USER_ID
 *   or USER_PHONE_INNER should be set", "Unknown TYPE", "CALL_START_DATE should be in the ISO-8601
 *   format", "Unsupported phone number format", "User is not found or is not active" (written here
 *   without the table's final period, as the page's example body writes "Unknown TYPE").
 *   docs: a register repeated within 30 minutes with the same PHONE_NUMBER, TYPE, USER_ID,
 *   LINE_NUMBER and EXTERNAL_CALL_ID (the last two "if provided") "may return an existing
 *   CALL_ID". CHOSEN: it does, with CRM_CREATED_LEAD null (nothing is created again), and adds no
 *   entry to `calls`; an absent LINE_NUMBER or EXTERNAL_CALL_ID matches only an absent one; only a
 *   call not yet finished is found — after finish a register with the same keys is a new call,
 *   which makes a double registration visible. CHOSEN: the portal's CRM is `contacts` (matched by
 *   the number's last 10 digits) and the leads it created (a second call from a lead's number goes
 *   to that lead); CRM_ENTITY_TYPE / CRM_ENTITY_ID are taken as given; a call no entity takes has
 *   CRM_ENTITY_TYPE and CRM_ENTITY_ID null; USER_PHONE_INNER alone finds no user (users here have no
 *   inner numbers); a PHONE_NUMBER is supported when it has a digit and only digits, spaces and
 *   `+ - ( ) .`; the lines' CRM_AUTO_CREATE is not modelled.
 * - telephony.externalCall.finish: api-reference/telephony/telephony-external-call-finish.md.
 *   docs: CALL_ID and USER_ID required; DURATION (default 0), COST, COST_CURRENCY, STATUS_CODE
 *   (default 200 if DURATION > 0, else 304), FAILED_REASON, VOTE; the answer is the saved
 *   statistics record {CALL_ID, EXTERNAL_CALL_ID, PORTAL_USER_ID, PHONE_NUMBER, PORTAL_NUMBER,
 *   INCOMING, CALL_DURATION, CALL_START_DATE (`{}` in the page's example), CALL_STATUS (1
 *   successful, 0 not), CALL_VOTE, COST, COST_CURRENCY, CALL_FAILED_CODE, CALL_FAILED_REASON,
 *   REST_APP_ID, REST_APP_NAME, CRM_ACTIVITY_ID, COMMENT, CRM_ENTITY_TYPE, CRM_ENTITY_ID, ID}.
 *   Errors: 400 INVALID_ARGUMENT "CALL_ID must be a string"; ERROR_CORE "USER_ID or
 *   USER_PHONE_INNER should be set", "Call is not found (call should be registered prior to
 *   finishing)", "User is not found or is not active" — CHOSEN: with HTTP 400 (the page gives 400
 *   and 403 and the register page's ERROR_CORE example is 400); a call already finished is not
 *   found either. CHOSEN: CALL_STATUS is 1 for STATUS_CODE 200 only; a STATUS_CODE outside the list
 *   is stored as given; the CRM activity exists when the call has a CRM entity (else null).
 * - voximplant.statistic.get: api-reference/telephony/voximplant/voximplant-statistic-get.md.
 *   docs: FILTER {field: value} (an operator may prefix the field), pages of 50 by `start`; the
 *   answer {result: [records], total, next (when there is a next page)}; the example's records
 *   carry their numbers as strings ("ID": "7", "CALL_DURATION": "95"), CALL_TYPE instead of
 *   INCOMING, CALL_START_DATE as ISO-8601. CHOSEN: only exact matches (no prefix or `=`, a string
 *   or number) on the page's filterable fields; another operator, field or value is 400
 *   INVALID_ARG_VALUE "Invalid filter: field '<f>' is not allowed in filter" (the wording of the crm
 *   item list pages); SORT / ORDER are not modelled: records come by ID.
 * - OAuth: settings/oauth/index.md, settings/oauth/auto-renewal.md, settings/oauth/error-codes.md.
 *   docs: `GET <oauth>/oauth/token/?grant_type=authorization_code&client_id&client_secret&code`
 *   (the code lives 30 seconds, "a one-time code") and `grant_type=refresh_token&...&refresh_token`;
 *   the answer {access_token, client_endpoint, domain (the authorization server's), expires (only
 *   in the refresh example), expires_in, member_id, refresh_token, scope (comma-separated),
 *   server_endpoint, status, user_id (only in the refresh example)}; the access token lives an
 *   hour, the refresh token 180 days; a refresh returns "the new value of the renewal token.
 *   Retain it instead of the previous one". Errors {error, error_description}: invalid_request,
 *   invalid_client, invalid_grant ("invalid authorization data ... when tokens are renewed"),
 *   insufficient_scope / invalid_scope, PAYMENT_REQUIRED. CHOSEN: only the newest refresh token
 *   works, the one it replaced (or that an authorization code replaced) is `invalid_grant`;
 *   access tokens already issued keep working until their hour ends; every error is HTTP 400 (no
 *   page gives a status) with a chosen description; a missing parameter or another grant_type is
 *   invalid_request; `status` is "L" (a local application, api-reference/common/system/app-info.md);
 *   `user_id` is the first of `users`; a failure injected as 500 is `server_error`; another path
 *   than /oauth/token/ is 404 `not_found`.
 * - Limits: limits.md (also settings/performance/limits.md). docs: a leaky bucket — each request
 *   adds one to a counter, "when the counter value exceeds the threshold X, the following request
 *   is blocked with status 503 and error code QUERY_LIMIT_EXCEEDED", the counter "decreases by Y
 *   once per second" (X 50, Y 2; Enterprise 250, 5). So a burst of X + 1 is served and the next is
 *   blocked. CHOSEN: a blocked request does not add to the counter, nor does one answered through
 *   `failNext`; the counter drains at each whole second of the clock. docs: each method's time is
 *   summed in ten one-minute baskets, each let go 10 minutes after its first call
 *   (`operating_reset_at`), over the limit 429 OPERATION_TIME_LIMIT. The stand-in keeps the
 *   baskets for `time` but never reaches a limit by itself (use `failNext`); the description
 *   "Method is blocked due to operation time limit." is CHOSEN.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInBitrixCall {
  callId: string;
  /** The parameters of the register that created it (without `auth`). */
  params: Record<string, unknown>;
  at: number /* ms */;
  finished?: { params: Record<string, unknown>; at: number; statisticId: number };
}
export interface StandInBitrixLead {
  id: number;
  phone: string;
  at: number;
}
/** `status` is 0 for a request never answered ('timeout') or cut ('reset'). */
export interface StandInBitrixRequest {
  /** The method as called, lowercase, without `.json`. */
  method: string;
  status: number;
  error?: string;
  at: number;
  token?: string;
}
export interface StandInBitrixOAuthRequest {
  grantType: string;
  status: number;
  error?: string;
  at: number;
}
export interface BitrixErrorAnswer {
  status: number;
  error: string;
  description: string;
}
export type Bitrix24Failure =
  | 'QUERY_LIMIT_EXCEEDED'
  | 'OPERATION_TIME_LIMIT'
  | 'expired_token'
  | 'invalid_token'
  | 'NO_AUTH_FOUND'
  | 'insufficient_scope'
  | 'WRONG_AUTH_TYPE'
  | 500
  | 'timeout'
  | 'reset'
  | BitrixErrorAnswer;
export type Bitrix24OAuthFailure = 'timeout' | 500 | BitrixErrorAnswer;

export interface Bitrix24StandInOptions {
  clientId: string;
  clientSecret: string;
  /** The refresh token that works at start. */
  refreshToken: string;
  /** Active user ids (USER_ID not among them → ERROR_CORE "User is not found or is not active"). */
  users: number[];
  /** Numbers that have a CRM contact (last 10 digits match): others become a lead when CRM_CREATE=1. */
  contacts?: string[];
  /** @default 3_600_000 */
  accessTokenLifetimeMs?: number;
  /** Leaky bucket. @default {size: 50, drainPerSecond: 2} */
  bucket?: { size: number; drainPerSecond: number };
  /** Scopes granted. @default ['telephony','crm','user'] */
  scopes?: string[];
  /**
   * The clock of token and code lifetimes, of the 30 minutes of re-registration and of the bucket.
   * @default Date.now
   */
  now?: () => number;
}

export interface Bitrix24StandIn {
  /** http://127.0.0.1:<port>: methods are at `${portalUrl}/rest/<method>`. */
  portalUrl: string;
  /** http://127.0.0.1:<other port>: tokens at `${oauthUrl}/oauth/token/`. */
  oauthUrl: string;
  /** The refresh token that works now (the newest issued). */
  readonly refreshToken: string;
  /** Every call registered, in order: one entry per distinct portal call, so a duplicate registration shows. */
  readonly calls: StandInBitrixCall[];
  /** Leads created by CRM_CREATE. */
  readonly leads: StandInBitrixLead[];
  /** Every REST request, in order, with the status it was answered with. */
  readonly requests: StandInBitrixRequest[];
  /** Every OAuth request, in order. */
  readonly oauthRequests: StandInBitrixOAuthRequest[];
  /**
   * The next n REST requests (of `method` if given) fail as said; with `afterApplying` the request
   * takes effect and then the failure is answered (a finish applied but its answer lost, …).
   * 'timeout' never answers (the socket held until close), 'reset' destroys the socket.
   */
  failNext(n: number, failure: Bitrix24Failure, options?: { method?: string; afterApplying?: boolean }): void;
  /** The next n OAuth requests fail. */
  failNextOAuth(n: number, failure: Bitrix24OAuthFailure): void;
  /** Every access token issued so far stops working now (answers 401 expired_token). */
  expireAccessTokens(): void;
  /**
   * An authorization code, as the portal hands to the application's redirect (valid 30 s), for
   * grant_type=authorization_code.
   */
  issueAuthorizationCode(): string;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
interface Answer {
  status: number;
  body: Json;
}

const MINUTE = 60_000;
const REREGISTRATION_MS = 30 * MINUTE;
const AUTHORIZATION_CODE_MS = 30_000;
const REFRESH_TOKEN_MS = 180 * 24 * 60 * MINUTE;
const OPERATING_BASKET_MS = 10 * MINUTE;
const STATISTICS_PAGE = 50;
const MEMBER_ID = 'a223c6b3710f85df22e9377d6c4f7553';
const APP = { id: '3', name: 'PBX call delivery' };

/** docs: _includes/system-errors.md and limits.md (see the header for the chosen ones). */
const SYSTEM_ERRORS = {
  QUERY_LIMIT_EXCEEDED: { status: 503, description: 'Too many requests' },
  OPERATION_TIME_LIMIT: { status: 429, description: 'Method is blocked due to operation time limit.' },
  expired_token: { status: 401, description: 'The access token provided has expired' },
  invalid_token: { status: 401, description: 'Token expired or invalid' },
  NO_AUTH_FOUND: { status: 401, description: 'Wrong authorization data' },
  insufficient_scope: {
    status: 403,
    description: 'The request requires higher privileges than provided by the webhook token',
  },
  WRONG_AUTH_TYPE: { status: 403, description: 'Current authorization type is denied for this method' },
  INTERNAL_SERVER_ERROR: { status: 500, description: 'Internal server error' },
} as const;
type SystemError = keyof typeof SYSTEM_ERRORS;

const CALL_NOT_FOUND = 'Call is not found (call should be registered prior to finishing)';
const NO_USER = 'USER_ID or USER_PHONE_INNER should be set';
const USER_NOT_FOUND = 'User is not found or is not active';
const PHONE = /^[\d\s+().-]*\d[\d\s+().-]*$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
/** docs: the filterable fields of voximplant.statistic.get. */
const FILTERABLE = new Set([
  'ID',
  'CALL_ID',
  'EXTERNAL_CALL_ID',
  'CALL_CATEGORY',
  'PORTAL_USER_ID',
  'PORTAL_NUMBER',
  'PHONE_NUMBER',
  'CALL_TYPE',
  'CALL_DURATION',
  'CALL_START_DATE',
  'CALL_VOTE',
  'COST',
  'COST_CURRENCY',
  'CALL_FAILED_CODE',
  'CALL_FAILED_REASON',
  'CRM_ENTITY_TYPE',
  'CRM_ENTITY_ID',
  'CRM_ACTIVITY_ID',
  'REST_APP_ID',
  'REST_APP_NAME',
]);

const systemError = (error: SystemError): Answer => ({
  status: SYSTEM_ERRORS[error].status,
  body: { error, error_description: SYSTEM_ERRORS[error].description },
});
const errorAnswer = (status: number, error: string, description: string): Answer => ({
  status,
  body: { error, error_description: description },
});
const coreError = (description: string) => errorAnswer(400, 'ERROR_CORE', description);
const ok = (result: unknown, extra: Json = {}): Answer => ({ status: 200, body: { result, ...extra } });

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A parameter as an integer: JSON numbers, or the strings a form body carries. */
const intOf = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v)
    ? v
    : typeof v === 'string' && /^-?\d+$/.test(v)
      ? Number(v)
      : undefined;
const textOf = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
/** CHOSEN: a number is a contact's or lead's when its last 10 digits match. */
const phoneKey = (phone: string) => phone.replace(/\D/g, '').slice(-10);
const token = () => randomBytes(16).toString('hex');
const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');

/** docs (data-encoding.md): a form body's nested keys, `FILTER[CALL_ID]=…`, as objects. */
function fromForm(text: string): Json {
  const out: Json = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const path = key.replace(/]/g, '').split('[');
    let node = out;
    for (const [i, part] of path.entries()) {
      if (i === path.length - 1) node[part] = value;
      else {
        if (!isObject(node[part])) node[part] = {};
        node = node[part] as Json;
      }
    }
  }
  return out;
}

function paramsOf(req: IncomingMessage, raw: string, query: string): Json {
  let body: Json = {};
  if ((req.headers['content-type'] ?? '').startsWith('application/json')) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (isObject(parsed)) body = parsed;
    } catch {
      // CHOSEN: an unparsable body is no parameters.
    }
  } else body = fromForm(raw);
  return { ...fromForm(query), ...body };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
}

function sendJson(res: ServerResponse, status: number, body: Json): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

export async function startBitrix24StandIn(options: Bitrix24StandInOptions): Promise<Bitrix24StandIn> {
  const now = options.now ?? Date.now;
  const users = new Set(options.users);
  const scopes = options.scopes ?? ['telephony', 'crm', 'user'];
  const accessLifetime = options.accessTokenLifetimeMs ?? 3_600_000;
  const bucket = options.bucket ?? { size: 50, drainPerSecond: 2 };

  const calls: StandInBitrixCall[] = [];
  const leads: StandInBitrixLead[] = [];
  const requests: StandInBitrixRequest[] = [];
  const oauthRequests: StandInBitrixOAuthRequest[] = [];
  const failures: { failure: Bitrix24Failure; method?: string; afterApplying: boolean }[] = [];
  const oauthFailures: Bitrix24OAuthFailure[] = [];

  // --- OAuth: tokens and codes -------------------------------------------------------------

  /** Access token → when it stops working. */
  const accessTokens = new Map<string, number>();
  let refresh = { token: options.refreshToken, issuedAt: now() };
  /** Authorization code → when it was issued; a code is deleted when used. */
  const codes = new Map<string, number>();
  let portalUrl = '';
  let oauthUrl = '';

  const oauthError = (error: string, description: string): Answer => errorAnswer(400, error, description);

  function issuePair(grantType: string): Json {
    const t = now();
    const access = token();
    accessTokens.set(access, t + accessLifetime);
    refresh = { token: token(), issuedAt: t };
    return {
      access_token: access,
      client_endpoint: `${portalUrl}/rest/`,
      domain: new URL(oauthUrl).host,
      // docs: `expires` and `user_id` are in the refresh example only.
      ...(grantType === 'refresh_token' ? { expires: Math.floor((t + accessLifetime) / 1000) } : {}),
      expires_in: Math.round(accessLifetime / 1000),
      member_id: MEMBER_ID,
      refresh_token: refresh.token,
      scope: scopes.join(','),
      server_endpoint: `${oauthUrl}/rest/`,
      status: 'L',
      ...(grantType === 'refresh_token' ? { user_id: options.users[0] } : {}),
    };
  }

  function grant(query: URLSearchParams): Answer {
    const grantType = query.get('grant_type');
    if (grantType !== 'refresh_token' && grantType !== 'authorization_code')
      return oauthError('invalid_request', 'grant_type must be refresh_token or authorization_code');
    const clientId = query.get('client_id');
    const clientSecret = query.get('client_secret');
    if (!clientId || !clientSecret)
      return oauthError('invalid_request', 'client_id and client_secret are required');
    if (clientId !== options.clientId || clientSecret !== options.clientSecret)
      return oauthError('invalid_client', 'Invalid client_id or client_secret');
    const t = now();
    if (grantType === 'refresh_token') {
      const given = query.get('refresh_token');
      if (!given) return oauthError('invalid_request', 'refresh_token is required');
      if (given !== refresh.token || t >= refresh.issuedAt + REFRESH_TOKEN_MS)
        return oauthError('invalid_grant', 'The refresh token is invalid, expired or already used');
    } else {
      const code = query.get('code');
      if (!code) return oauthError('invalid_request', 'code is required');
      const issuedAt = codes.get(code);
      codes.delete(code);
      if (issuedAt === undefined || t >= issuedAt + AUTHORIZATION_CODE_MS)
        return oauthError('invalid_grant', 'The authorization code is invalid, expired or already used');
    }
    return { status: 200, body: issuePair(grantType) };
  }

  const oauthServer = createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams;
    const record: StandInBitrixOAuthRequest = {
      grantType: query.get('grant_type') ?? '',
      status: 0,
      at: now(),
    };
    oauthRequests.push(record);
    req.resume();
    req.on('end', () => {
      const failure = oauthFailures.shift();
      if (failure === 'timeout') return; // accepted, never answered
      const { pathname } = new URL(req.url ?? '/', 'http://127.0.0.1');
      const answer =
        failure === 500
          ? errorAnswer(500, 'server_error', 'Internal server error')
          : failure !== undefined
            ? errorAnswer(failure.status, failure.error, failure.description)
            : /^\/oauth\/token\/?$/.test(pathname)
              ? grant(query)
              : errorAnswer(404, 'not_found', 'Not found');
      record.status = answer.status;
      if (typeof answer.body.error === 'string') record.error = answer.body.error;
      sendJson(res, answer.status, answer.body);
    });
  });

  // --- REST: limits and the `time` of answers ----------------------------------------------

  let level = 0;
  let drainedAt = now();
  /** docs: the leaky bucket of limits.md. */
  function admit(): boolean {
    const t = now();
    const ticks = Math.floor(t / 1000) - Math.floor(drainedAt / 1000);
    if (ticks > 0) level = Math.max(0, level - ticks * bucket.drainPerSecond);
    drainedAt = t;
    if (level > bucket.size) return false;
    level++;
    return true;
  }

  /** Per method, the one-minute baskets of its time: each let go 10 minutes after its first call. */
  const baskets = new Map<string, { startedAt: number; seconds: number }[]>();
  function timeOf(method: string, startedAt: number, processingMs: number): Json {
    const list = (baskets.get(method) ?? []).filter((b) => b.startedAt + OPERATING_BASKET_MS > startedAt);
    const last = list.at(-1);
    if (last && Math.floor(last.startedAt / MINUTE) === Math.floor(startedAt / MINUTE))
      last.seconds += processingMs / 1000;
    else list.push({ startedAt, seconds: processingMs / 1000 });
    baskets.set(method, list);
    const oldest = list[0] as { startedAt: number };
    return {
      start: startedAt / 1000,
      finish: (startedAt + processingMs) / 1000,
      duration: processingMs / 1000,
      processing: processingMs / 1000,
      date_start: isoSeconds(startedAt),
      date_finish: isoSeconds(startedAt + processingMs),
      operating_reset_at: Math.floor((oldest.startedAt + OPERATING_BASKET_MS) / 1000),
      operating: list.reduce((sum, b) => sum + b.seconds, 0),
    };
  }

  // --- REST: the CRM and the telephony methods ---------------------------------------------

  interface Entity {
    type: 'CONTACT' | 'COMPANY' | 'LEAD';
    id: number;
  }
  interface Registration {
    call: StandInBitrixCall;
    key: string;
    userId: number;
    type: number;
    phone: string;
    line: string | null;
    externalId: string | null;
    startDate: string;
    entity: Entity | null;
  }
  interface Statistic {
    record: Json;
    startDate: string;
  }

  const contacts = new Map<string, number>();
  let nextContactId = 101;
  for (const phone of options.contacts ?? []) contacts.set(phoneKey(phone), nextContactId++);
  const leadsByPhone = new Map<string, number>();
  let nextLeadId = 201;
  let nextActivityId = 7001;
  let nextStatisticId = 1;
  /** Registered calls not yet finished, by CALL_ID. */
  const active = new Map<string, Registration>();
  const statistics: Statistic[] = [];

  function entityOf(params: Json, phone: string): { entity: Entity | null; createdLead: number | null } {
    const type = params.CRM_ENTITY_TYPE;
    const id = intOf(params.CRM_ENTITY_ID);
    if ((type === 'CONTACT' || type === 'COMPANY' || type === 'LEAD') && id !== undefined)
      return { entity: { type, id }, createdLead: null };
    const contact = contacts.get(phoneKey(phone));
    if (contact !== undefined) return { entity: { type: 'CONTACT', id: contact }, createdLead: null };
    const lead = leadsByPhone.get(phoneKey(phone));
    if (lead !== undefined) return { entity: { type: 'LEAD', id: lead }, createdLead: null };
    if (intOf(params.CRM_CREATE) !== 1) return { entity: null, createdLead: null };
    const created = nextLeadId++;
    leadsByPhone.set(phoneKey(phone), created);
    leads.push({ id: created, phone, at: now() });
    return { entity: { type: 'LEAD', id: created }, createdLead: created };
  }

  function register(params: Json): Answer {
    const userId = intOf(params.USER_ID);
    if (userId === undefined && params.USER_PHONE_INNER === undefined) return coreError(NO_USER);
    const type = intOf(params.TYPE);
    if (type === undefined || type < 1 || type > 5) return coreError('Unknown TYPE');
    const phone = textOf(params.PHONE_NUMBER);
    if (phone === undefined || !PHONE.test(phone)) return coreError('Unsupported phone number format');
    const startDate = params.CALL_START_DATE;
    if (startDate !== undefined && !(typeof startDate === 'string' && ISO_8601.test(startDate)))
      return coreError('CALL_START_DATE should be in the ISO-8601 format');
    if (userId === undefined || !users.has(userId)) return coreError(USER_NOT_FOUND);

    const at = now();
    const line = textOf(params.LINE_NUMBER) ?? null;
    const externalId = textOf(params.EXTERNAL_CALL_ID) ?? null;
    const key = JSON.stringify([phone, type, userId, line, externalId]);
    const existing = [...active.values()].find((r) => r.key === key && at - r.call.at < REREGISTRATION_MS);
    if (existing)
      return ok({
        CALL_ID: existing.call.callId,
        CRM_CREATED_LEAD: null,
        CRM_CREATED_ENTITIES: [],
        CRM_ENTITY_TYPE: existing.entity?.type ?? null,
        CRM_ENTITY_ID: existing.entity?.id ?? null,
      });

    const { entity, createdLead } = entityOf(params, phone);
    const callId = `externalCall.${randomBytes(16).toString('hex')}.${Math.floor(at / 1000)}`;
    const call: StandInBitrixCall = { callId, params, at };
    calls.push(call);
    active.set(callId, {
      call,
      key,
      userId,
      type,
      phone,
      line,
      externalId,
      startDate: typeof startDate === 'string' ? startDate : isoSeconds(at),
      entity,
    });
    return ok({
      CALL_ID: callId,
      CRM_CREATED_LEAD: createdLead,
      CRM_CREATED_ENTITIES: createdLead === null ? [] : [{ ENTITY_TYPE: 'LEAD', ENTITY_ID: createdLead }],
      CRM_ENTITY_TYPE: entity?.type ?? null,
      CRM_ENTITY_ID: entity?.id ?? null,
    });
  }

  function finish(params: Json): Answer {
    const callId = params.CALL_ID;
    if (typeof callId !== 'string') return errorAnswer(400, 'INVALID_ARGUMENT', 'CALL_ID must be a string');
    const userId = intOf(params.USER_ID);
    if (userId === undefined && params.USER_PHONE_INNER === undefined) return coreError(NO_USER);
    const registration = active.get(callId);
    if (!registration) return coreError(CALL_NOT_FOUND);
    if (userId === undefined || !users.has(userId)) return coreError(USER_NOT_FOUND);

    const duration = intOf(params.DURATION) ?? 0;
    const code = textOf(params.STATUS_CODE) ?? (duration > 0 ? '200' : '304');
    const cost = Number(params.COST ?? 0);
    const id = nextStatisticId++;
    const { entity } = registration;
    const record: Json = {
      CALL_ID: callId,
      EXTERNAL_CALL_ID: registration.externalId,
      PORTAL_USER_ID: userId,
      PHONE_NUMBER: registration.phone,
      PORTAL_NUMBER: registration.line,
      INCOMING: String(registration.type),
      CALL_DURATION: duration,
      CALL_START_DATE: {}, // docs: so the finish example shows it
      CALL_STATUS: code === '200' ? 1 : 0,
      CALL_VOTE: intOf(params.VOTE) ?? null,
      COST: Number.isFinite(cost) ? cost : 0,
      COST_CURRENCY: textOf(params.COST_CURRENCY) ?? '',
      CALL_FAILED_CODE: code,
      CALL_FAILED_REASON: textOf(params.FAILED_REASON) ?? '',
      REST_APP_ID: APP.id,
      REST_APP_NAME: APP.name,
      CRM_ACTIVITY_ID: entity ? nextActivityId++ : null,
      COMMENT: null,
      CRM_ENTITY_TYPE: entity?.type ?? null,
      CRM_ENTITY_ID: entity?.id ?? null,
      ID: id,
    };
    statistics.push({ record, startDate: registration.startDate });
    active.delete(callId);
    registration.call.finished = { params, at: now(), statisticId: id };
    return ok(record);
  }

  /** docs: a statistics record as voximplant.statistic.get lists it — numbers as strings. */
  function listed({ record, startDate }: Statistic): Json {
    const { INCOMING, CALL_START_DATE: _, CALL_STATUS: __, ...rest } = record;
    const out: Json = {};
    for (const [field, value] of Object.entries(rest))
      out[field] = typeof value === 'number' ? String(value) : value;
    return {
      ...out,
      CALL_CATEGORY: 'external',
      CALL_LOG: null,
      CALL_START_DATE: startDate,
      CALL_RECORD_URL: null,
      COST: Number(record.COST).toFixed(4),
      TRANSCRIPT_ID: null,
      TRANSCRIPT_PENDING: 'N',
      SESSION_ID: null,
      REDIAL_ATTEMPT: null,
      RECORD_DURATION: null,
      RECORD_FILE_ID: null,
      CALL_TYPE: INCOMING,
    };
  }

  function statisticGet(params: Json): Answer {
    const filter = isObject(params.FILTER) ? params.FILTER : {};
    const conditions: [string, string][] = [];
    for (const [key, value] of Object.entries(filter)) {
      const field = key.startsWith('=') ? key.slice(1) : key;
      if (!FILTERABLE.has(field) || textOf(value) === undefined)
        return errorAnswer(
          400,
          'INVALID_ARG_VALUE',
          `Invalid filter: field '${key}' is not allowed in filter`,
        );
      conditions.push([field, textOf(value) as string]);
    }
    const found = statistics.map(listed).filter((r) => conditions.every(([f, v]) => r[f] === v));
    const start = Math.max(0, intOf(params.start) ?? 0);
    const page = found.slice(start, start + STATISTICS_PAGE);
    return ok(page, {
      ...(start + STATISTICS_PAGE < found.length ? { next: start + STATISTICS_PAGE } : {}),
      total: found.length,
    });
  }

  const METHODS: Record<string, (params: Json) => Answer> = {
    'telephony.externalcall.register': register,
    'telephony.externalcall.finish': finish,
    'voximplant.statistic.get': statisticGet,
  };

  /** A request as the portal applies it: its token, the method, its scope, then the method itself. */
  function apply(method: string, params: Json): Answer {
    const auth = params.auth;
    const expiresAt = typeof auth === 'string' ? accessTokens.get(auth) : undefined;
    if (expiresAt === undefined) return systemError('NO_AUTH_FOUND');
    if (now() >= expiresAt) return systemError('expired_token');
    const handler = METHODS[method];
    if (!handler) return errorAnswer(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found');
    if (!scopes.includes('telephony')) return systemError('insufficient_scope');
    const { auth: _, ...rest } = params;
    return handler(rest);
  }

  function injected(failure: Exclude<Bitrix24Failure, 'timeout' | 'reset'>): Answer {
    if (failure === 500) return systemError('INTERNAL_SERVER_ERROR');
    if (typeof failure === 'string') return systemError(failure);
    return errorAnswer(failure.status, failure.error, failure.description);
  }

  const restServer = createServer((req, res) => {
    const at = now();
    const started = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const method = (/^\/rest\/(.+?)(\.json)?$/.exec(url.pathname)?.[1] ?? url.pathname).toLowerCase();
      const params = paramsOf(req, Buffer.concat(chunks).toString('utf8'), url.search);
      const record: StandInBitrixRequest = { method, status: 0, at };
      if (typeof params.auth === 'string') record.token = params.auth;
      requests.push(record);

      const index = failures.findIndex((f) => f.method === undefined || f.method.toLowerCase() === method);
      const failure = index >= 0 ? failures.splice(index, 1)[0] : undefined;
      let answer: Answer;
      if (failure) {
        if (failure.afterApplying) apply(method, params);
        if (failure.failure === 'timeout') return; // accepted, never answered
        if (failure.failure === 'reset') {
          req.socket.destroy();
          return;
        }
        answer = injected(failure.failure);
      } else answer = admit() ? apply(method, params) : systemError('QUERY_LIMIT_EXCEEDED');

      record.status = answer.status;
      if (typeof answer.body.error === 'string') record.error = answer.body.error;
      sendJson(res, answer.status, { ...answer.body, time: timeOf(method, at, performance.now() - started) });
    });
  });

  portalUrl = await listen(restServer);
  oauthUrl = await listen(oauthServer);

  const closeServer = (server: Server) =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Held ('timeout') and idle keep-alive sockets too: close() must not wait for a client.
      server.closeAllConnections();
    });

  return {
    portalUrl,
    oauthUrl,
    get refreshToken() {
      return refresh.token;
    },
    calls,
    leads,
    requests,
    oauthRequests,
    failNext(n, failure, failOptions = {}) {
      for (let i = 0; i < n; i++)
        failures.push({
          failure,
          ...(failOptions.method ? { method: failOptions.method } : {}),
          afterApplying: failOptions.afterApplying === true,
        });
    },
    failNextOAuth(n, failure) {
      for (let i = 0; i < n; i++) oauthFailures.push(failure);
    },
    expireAccessTokens() {
      const t = now();
      for (const [access, expiresAt] of accessTokens) accessTokens.set(access, Math.min(expiresAt, t));
    },
    issueAuthorizationCode() {
      const code = token();
      codes.set(code, now());
      return code;
    },
    async close() {
      await Promise.all([closeServer(restServer), closeServer(oauthServer)]);
    },
  };
}
