/**
 * A local stand-in of the amoCRM / Kommo REST API v4 on 127.0.0.1, for the requests a telephony
 * integration makes, written from the official pages (what a page says is marked "docs:"; what
 * no page says, and this stand-in chose, is marked "CHOSEN:"):
 *
 * - Calls: https://amocrm.ru/developers/content/crm_platform/calls-api ,
 *   https://www.amocrm.com/developers/content/api_v4/adding-calls/ ,
 *   https://developers.kommo.com/reference/add-calls — `POST /api/v4/calls` takes an array of
 *   calls; `direction` (inbound | outbound), `duration` (int), `source`, `phone` are mandatory;
 *   `uniq`, `link`, `call_result`, `call_status` (int: 1 left a message, 2 call back later,
 *   3 not available, 4 had a conversation, 5 invalid number, 6 no connection, 7 line busy),
 *   `call_responsible`, `responsible_user_id`, `created_by`, `updated_by`, `created_at`,
 *   `updated_at`, `request_id` are not. The call goes to the card of the contact or company with
 *   the phone ("the search is performed by the last 10 digits of the number"); "if there's no
 *   entity with the specified phone number, the call will not be added". The answer lists the
 *   added calls (`id`, `entity_id`, `entity_type`, `account_id`, `request_id` — "the string
 *   passed in the request or an index number if none passed", `_embedded.entity`).
 *   Nothing says a repeated `uniq` is refused, and the Kommo VoIP guide says "our API does not
 *   regulate the identity of calls" (https://www.kommo.com/developers/content/voip-integration/call-logging/):
 *   so a repeated `uniq` is added again here, and `calls` shows every duplicate.
 * - A call for a phone no card has: the pages give no example. Observed in public reports
 *   (github.com/amocrm/amocrm-api-php/issues/52, and a live-behaviour test in a public repo):
 *   HTTP 400 with `{"_total_items":0,"errors":[{"title":"Entity not found","status":263}]}`.
 *   CHOSEN: every not-added entry is one item of `errors`, with its `request_id`; when some
 *   entries of a batch are added the answer is 200 with both `_embedded.calls` and `errors`
 *   (the success schema carries `errors` too), when none is, 400.
 * - Incoming leads: https://www.amocrm.ru/developers/content/crm_platform/unsorted-api ,
 *   https://developers.kommo.com/reference/incoming-leads-call — `POST
 *   /api/v4/leads/unsorted/sip` takes an array of `source_uid`, `source_name`, `pipeline_id`,
 *   `created_at`, `metadata` {`is_call_event_needed`, `uniq`, `duration`, `service_code`,
 *   `link`, `phone`, `called_at`, `from`, `call_responsible`}, `_embedded` {leads, contacts};
 *   the answer is `_embedded.unsorted[]` with `uid`, `account_id`, `request_id` and
 *   `_embedded.leads[].id` / `_embedded.contacts[].id` (as the official PHP library reads it,
 *   github.com/amocrm/amocrm-api-php src/AmoCRM/EntitiesServices/Unsorted.php). docs: "there
 *   cannot be 2 identical entities in the unsorted; adding data added before gives an error" —
 *   CHOSEN: identical means the same `source_uid`, refused with a 400 validation error.
 *   `GET /api/v4/leads/unsorted` (`filter[category][]`, `filter[uid]`) lists them.
 * - Call notes: https://kommo.com/developers/content/api_v4/events-and-notes — an added call is a
 *   note `call_in` / `call_out` with `params.uniq` on its entity; `GET /api/v4/{entity}/notes`
 *   with `filter[note_type][]` and `filter[updated_at][from]`; an empty list is 204 No Content.
 * - Errors: the amoCRM error reference (the v4 text as mirrored from amocrm.ru "Справочник ошибок
 *   и ответов API"; English: https://www.amocrm.com/developers/content/api/errors) — errors are
 *   `application/problem+json` {title, type: https://httpstatus.es/<code>, status, detail}; a
 *   failed validation is 400 with `validation-errors: [{request_id, errors: [{code, path,
 *   detail}]}]`, title "Bad Request", detail "Request validation failed"; 401 for a bad token
 *   (body as observed in amocrm-api-php#333: detail "Неверный логин или пароль"); 403 code 113
 *   "access to this account is prohibited from your IP address"; 500 as observed in
 *   amocrm-api-php#23 (detail "An unknown error occurred."). The validation `code`s used here
 *   (FieldMissing, NotSupportedChoice, InvalidType, NotUnique, TooManyEntities) — only
 *   NotSupportedChoice is in the docs' example; FieldMissing is reported from live answers; the
 *   others are CHOSEN names.
 * - Limits: https://developers.kommo.com/docs/limitations ,
 *   https://www.amocrm.com/developers/content/api/recommendations — "not more than 7 requests per
 *   second"; on suspicious activity requests from the IP are restricted. CHOSEN: over the limit
 *   is a 429 problem+json with no `Retry-After` (no page names one); the IP block is not
 *   automatic here (use `failNext(403)`); at most 250 entries a request (the pages give no
 *   number for these two methods; 250 is the documented maximum `limit` of v4 lists).
 * - Auth: https://developers.kommo.com/docs/long-lived-token — a long-lived token is generated
 *   in a private integration ("Keys and scopes"), valid from 1 day to 5 years, has no
 *   refresh_token, and is sent as `Authorization: Bearer <token>`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInCall {
  id: number;
  entry: Record<string, unknown>;
  at: number /* ms */;
}
export interface StandInLead {
  uid: string;
  body: Record<string, unknown>;
  at: number;
}
/** `status` is 0 for a request never answered ('timeout') or cut ('reset'). */
export interface StandInRequest {
  method: string;
  path: string;
  status: number;
  at: number;
  entries?: number;
}
export interface AmoCrmStandInOptions {
  /** The long-lived token it accepts (Bearer). */
  token: string;
  /** E.164 numbers ('+79161234567') that have a contact; calls for others are not added. */
  knownPhones?: Iterable<string>;
  /** @default 7; a request over it gets 429. */
  rateLimitPerSecond?: number;
}
export type StandInFailure = 429 | 500 | 502 | 401 | 403 | 'timeout' | 'reset';
export interface AmoCrmStandIn {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Every call entry added, duplicates included. */
  calls: StandInCall[];
  /** Every unsorted sip lead added. */
  leads: StandInLead[];
  /** Every request received, in order, with the status it was answered with. */
  requests: StandInRequest[];
  /**
   * The next n requests (to any path) get this answer instead: 429, 500, 502, 401, 403, 'timeout'
   * (never answered until the client gives up) or 'reset' (the socket destroyed). With
   * `afterApplying` the request is first applied as usual (calls and leads added), to model a
   * failure after the CRM did the work.
   */
  failNext(n: number, failure: StandInFailure, options?: { afterApplying?: boolean }): void;
  /** Calls whose `uniq` equals this are refused with a 400 validation error. */
  refuseUniq(uniq: string): void;
  /** Calls with this `uniq` are taken again (after `refuseUniq`). */
  acceptUniq(uniq: string): void;
  setToken(token: string): void;
  close(): Promise<void>;
}

export const ACCOUNT_ID = 31_000_001;
/** CHOSEN: the pages name no maximum for these batches; 250 is the v4 lists' maximum `limit`. */
export const MAX_ENTRIES_PER_REQUEST = 250;

type Json = Record<string, unknown>;
interface Answer {
  status: number;
  body?: unknown;
  contentType?: string;
}
interface FieldError {
  code: string;
  path: string;
  detail: string;
}
interface Note {
  id: number;
  entity_id: number;
  note_type: 'call_in' | 'call_out';
  updated_at: number;
  params: Json;
}

const PROBLEM = 'application/problem+json';
const HAL = 'application/hal+json';
const PROBLEM_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

function problem(status: number, detail: string, extra: Json = {}): Answer {
  const title = PROBLEM_TITLES[status] ?? 'Error';
  return {
    status,
    contentType: PROBLEM,
    body: { ...extra, title, type: `https://httpstatus.es/${status}`, status, detail },
  };
}

/** docs: the validation error of the error reference, one item per refused entry. */
function validationErrors(items: { request_id: string; errors: FieldError[] }[]): Answer {
  return problem(400, 'Request validation failed', { 'validation-errors': items });
}

const CHOICE = 'The value you selected is not a valid choice.';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** docs: "the search is performed by the last 10 digits of the number". */
const phoneKey = (phone: string) => phone.replace(/\D/g, '').slice(-10);

/** Checks `value[field]` against a kind; pushes a FieldError when it fails. */
function check(
  errors: FieldError[],
  value: Json,
  field: string,
  kind: 'string' | 'int' | 'bool' | 'stringOrInt',
  required: boolean,
  prefix = '',
): void {
  const path = `${prefix}${field}`;
  const v = value[field];
  if (v === undefined || v === null) {
    if (required) errors.push({ code: 'FieldMissing', path, detail: 'This field is missing.' });
    return;
  }
  const ok =
    kind === 'string'
      ? typeof v === 'string'
      : kind === 'int'
        ? isInt(v)
        : kind === 'bool'
          ? typeof v === 'boolean'
          : typeof v === 'string' || isInt(v);
  if (!ok) errors.push({ code: 'InvalidType', path, detail: `This value should be of type ${kind}.` });
}

export async function startAmoCrmStandIn(options: AmoCrmStandInOptions): Promise<AmoCrmStandIn> {
  let token = options.token;
  const limit = options.rateLimitPerSecond ?? 7;
  const contacts = new Map<string, number>();
  let nextContactId = 7_000_001;
  for (const phone of options.knownPhones ?? []) contacts.set(phoneKey(phone), nextContactId++);
  const calls: StandInCall[] = [];
  const leads: StandInLead[] = [];
  const requests: StandInRequest[] = [];
  const notes: Note[] = [];
  const unsorted: Json[] = [];
  const refused = new Set<string>();
  const failures: { failure: StandInFailure; afterApplying: boolean }[] = [];
  const arrivals: number[] = [];
  let nextCallId = 1;
  let nextNoteId = 900_001;
  let nextLeadId = 5_000_001;
  let url = '';

  function addCalls(body: unknown): Answer {
    if (!Array.isArray(body) || body.length === 0)
      return validationErrors([
        {
          request_id: '0',
          errors: [{ code: 'InvalidType', path: '', detail: 'Expected an array of calls.' }],
        },
      ]);
    if (body.length > MAX_ENTRIES_PER_REQUEST)
      return validationErrors([
        {
          request_id: '0',
          errors: [
            {
              code: 'TooManyEntities',
              path: '',
              detail: `At most ${MAX_ENTRIES_PER_REQUEST} entities in one request.`,
            },
          ],
        },
      ]);
    const invalid: { request_id: string; errors: FieldError[] }[] = [];
    body.forEach((entry: unknown, index) => {
      const requestId =
        isObject(entry) && typeof entry.request_id === 'string' ? entry.request_id : `${index}`;
      const errors: FieldError[] = [];
      if (!isObject(entry)) {
        errors.push({ code: 'InvalidType', path: '', detail: 'Expected an object.' });
      } else {
        check(errors, entry, 'direction', 'string', true);
        if (typeof entry.direction === 'string' && !['inbound', 'outbound'].includes(entry.direction))
          errors.push({ code: 'NotSupportedChoice', path: 'direction', detail: CHOICE });
        check(errors, entry, 'duration', 'int', true);
        if (isInt(entry.duration) && entry.duration < 0)
          errors.push({ code: 'NotSupportedChoice', path: 'duration', detail: CHOICE });
        check(errors, entry, 'source', 'string', true);
        check(errors, entry, 'phone', 'string', true);
        for (const field of ['uniq', 'link', 'call_result', 'request_id'])
          check(errors, entry, field, 'string', false);
        check(errors, entry, 'call_status', 'int', false);
        if (isInt(entry.call_status) && (entry.call_status < 1 || entry.call_status > 7))
          errors.push({ code: 'NotSupportedChoice', path: 'call_status', detail: CHOICE });
        check(errors, entry, 'call_responsible', 'stringOrInt', false);
        for (const field of ['responsible_user_id', 'created_by', 'updated_by', 'created_at', 'updated_at'])
          check(errors, entry, field, 'int', false);
        if (typeof entry.uniq === 'string' && refused.has(entry.uniq))
          errors.push({ code: 'NotSupportedChoice', path: 'uniq', detail: CHOICE });
      }
      if (errors.length > 0) invalid.push({ request_id: requestId, errors });
    });
    // docs: a request that fails validation is refused whole: nothing of it is added.
    if (invalid.length > 0) return validationErrors(invalid);

    const added: Json[] = [];
    const notAdded: Json[] = [];
    const at = Date.now();
    (body as Json[]).forEach((entry, index) => {
      const requestId = typeof entry.request_id === 'string' ? entry.request_id : `${index}`;
      const contactId = contacts.get(phoneKey(entry.phone as string));
      if (contactId === undefined) {
        // Observed, not documented: see the header.
        notAdded.push({ title: 'Entity not found', status: 263, request_id: requestId });
        return;
      }
      const id = nextCallId++;
      calls.push({ id, entry, at });
      notes.push({
        id: nextNoteId++,
        entity_id: contactId,
        note_type: entry.direction === 'inbound' ? 'call_in' : 'call_out',
        updated_at: Math.floor(at / 1000),
        params: {
          uniq: entry.uniq,
          duration: entry.duration,
          source: entry.source,
          link: entry.link,
          phone: entry.phone,
        },
      });
      added.push({
        id,
        entity_id: contactId,
        entity_type: 'contacts',
        account_id: ACCOUNT_ID,
        request_id: requestId,
        _embedded: {
          entity: { id: contactId, _links: { self: { href: `${url}/api/v4/contacts/${contactId}` } } },
        },
      });
    });
    return {
      status: added.length > 0 ? 200 : 400,
      contentType: added.length > 0 ? HAL : PROBLEM,
      body: { _total_items: added.length, errors: notAdded, _embedded: { calls: added } },
    };
  }

  function addUnsortedSip(body: unknown): Answer {
    if (!Array.isArray(body) || body.length === 0)
      return validationErrors([
        {
          request_id: '0',
          errors: [{ code: 'InvalidType', path: '', detail: 'Expected an array of leads.' }],
        },
      ]);
    if (body.length > MAX_ENTRIES_PER_REQUEST)
      return validationErrors([
        {
          request_id: '0',
          errors: [
            {
              code: 'TooManyEntities',
              path: '',
              detail: `At most ${MAX_ENTRIES_PER_REQUEST} entities in one request.`,
            },
          ],
        },
      ]);
    const invalid: { request_id: string; errors: FieldError[] }[] = [];
    const seen = new Set(unsorted.map((u) => u.source_uid));
    body.forEach((lead: unknown, index) => {
      const requestId = isObject(lead) && typeof lead.request_id === 'string' ? lead.request_id : `${index}`;
      const errors: FieldError[] = [];
      if (!isObject(lead)) {
        errors.push({ code: 'InvalidType', path: '', detail: 'Expected an object.' });
      } else {
        check(errors, lead, 'source_uid', 'string', true);
        check(errors, lead, 'source_name', 'string', true);
        check(errors, lead, 'pipeline_id', 'int', false);
        check(errors, lead, 'created_at', 'int', false);
        check(errors, lead, 'request_id', 'string', false);
        if (!isObject(lead.metadata)) {
          errors.push({ code: 'FieldMissing', path: 'metadata', detail: 'This field is missing.' });
        } else {
          // CHOSEN: the fields of the docs' example are required; `phone` may be a number too.
          const m = lead.metadata;
          check(errors, m, 'uniq', 'string', true, 'metadata.');
          check(errors, m, 'duration', 'int', true, 'metadata.');
          check(errors, m, 'service_code', 'string', true, 'metadata.');
          check(errors, m, 'phone', 'stringOrInt', true, 'metadata.');
          check(errors, m, 'called_at', 'int', true, 'metadata.');
          check(errors, m, 'from', 'string', true, 'metadata.');
          check(errors, m, 'link', 'string', false, 'metadata.');
          check(errors, m, 'is_call_event_needed', 'bool', false, 'metadata.');
          check(errors, m, 'call_responsible', 'stringOrInt', false, 'metadata.');
        }
        if (typeof lead.source_uid === 'string') {
          if (seen.has(lead.source_uid))
            errors.push({ code: 'NotUnique', path: 'source_uid', detail: 'This value is already used.' });
          seen.add(lead.source_uid);
        }
      }
      if (errors.length > 0) invalid.push({ request_id: requestId, errors });
    });
    if (invalid.length > 0) return validationErrors(invalid);

    const at = Date.now();
    const added = (body as Json[]).map((lead, index) => {
      const uid = randomBytes(20).toString('hex');
      const leadId = nextLeadId++;
      const contactId = nextContactId++;
      leads.push({ uid, body: lead, at });
      unsorted.push({
        uid,
        source_uid: lead.source_uid,
        source_name: lead.source_name,
        category: 'sip',
        pipeline_id: lead.pipeline_id ?? 1,
        created_at: lead.created_at ?? Math.floor(at / 1000),
        metadata: lead.metadata,
        account_id: ACCOUNT_ID,
        _embedded: { leads: [{ id: leadId }], contacts: [{ id: contactId }], companies: [] },
      });
      return {
        uid,
        account_id: ACCOUNT_ID,
        request_id: typeof lead.request_id === 'string' ? lead.request_id : `${index}`,
        _embedded: { leads: [{ id: leadId }], contacts: [{ id: contactId }], companies: [] },
      };
    });
    return {
      status: 200,
      contentType: HAL,
      body: { _total_items: added.length, _embedded: { unsorted: added } },
    };
  }

  function listUnsorted(query: URLSearchParams): Answer {
    const categories = query.getAll('filter[category][]');
    const uids = [...query.getAll('filter[uid]'), ...query.getAll('filter[uid][]')];
    const list = unsorted.filter(
      (u) =>
        (categories.length === 0 || categories.includes(u.category as string)) &&
        (uids.length === 0 || uids.includes(u.uid as string)),
    );
    if (list.length === 0) return { status: 204 };
    return { status: 200, contentType: HAL, body: { _page: 1, _embedded: { unsorted: list } } };
  }

  function listNotes(entity: string, query: URLSearchParams): Answer {
    const types = query.getAll('filter[note_type][]');
    const from = Number(query.get('filter[updated_at][from]') ?? 0);
    // Calls land on contacts here (every known phone is a contact's).
    const list =
      entity === 'contacts'
        ? notes.filter((n) => (types.length === 0 || types.includes(n.note_type)) && n.updated_at >= from)
        : [];
    if (list.length === 0) return { status: 204 };
    return {
      status: 200,
      contentType: HAL,
      body: {
        _page: 1,
        _embedded: {
          notes: list.map((n) => ({
            ...n,
            entity_type: entity,
            account_id: ACCOUNT_ID,
            created_at: n.updated_at,
          })),
        },
      },
    };
  }

  function apply(req: IncomingMessage, raw: string): Answer {
    if (req.headers.authorization !== `Bearer ${token}`) return problem(401, 'Неверный логин или пароль');
    const { pathname, searchParams } = new URL(req.url ?? '/', 'http://127.0.0.1');
    let body: unknown;
    if (req.method === 'POST') {
      try {
        body = JSON.parse(raw);
      } catch {
        return problem(400, 'Request body is not valid JSON');
      }
    }
    if (pathname === '/api/v4/calls')
      return req.method === 'POST' ? addCalls(body) : problem(405, 'Method not allowed');
    if (pathname === '/api/v4/leads/unsorted/sip')
      return req.method === 'POST' ? addUnsortedSip(body) : problem(405, 'Method not allowed');
    if (pathname === '/api/v4/leads/unsorted')
      return req.method === 'GET' ? listUnsorted(searchParams) : problem(405, 'Method not allowed');
    const notesPath = /^\/api\/v4\/(contacts|companies|leads|customers)\/notes$/.exec(pathname);
    if (notesPath?.[1])
      return req.method === 'GET'
        ? listNotes(notesPath[1], searchParams)
        : problem(405, 'Method not allowed');
    return problem(404, 'Not found');
  }

  function injected(failure: 429 | 500 | 502 | 401 | 403): Answer {
    switch (failure) {
      case 429:
        return problem(429, 'Too many requests');
      case 500:
        return problem(500, 'An unknown error occurred.');
      case 502:
        // CHOSEN: a gateway in front of the API answers this one, not the API: HTML, not JSON.
        return {
          status: 502,
          contentType: 'text/html',
          body: '<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>',
        };
      case 401:
        return problem(401, 'Неверный логин или пароль');
      case 403:
        return problem(403, 'Access to this account is prohibited from your IP address');
    }
  }

  function send(res: ServerResponse, answer: Answer): void {
    if (answer.body === undefined) {
      res.writeHead(answer.status).end();
      return;
    }
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    res.writeHead(answer.status, { 'Content-Type': `${answer.contentType ?? HAL}; charset=utf-8` }).end(text);
  }

  const server = createServer((req, res) => {
    const at = Date.now();
    arrivals.push(at);
    while (arrivals.length > 0 && (arrivals[0] as number) <= at - 1000) arrivals.shift();
    const overLimit = arrivals.length > limit;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const record: StandInRequest = {
        method: req.method ?? '',
        path: new URL(req.url ?? '/', 'http://x').pathname,
        status: 0,
        at,
      };
      try {
        const parsed = req.method === 'POST' ? (JSON.parse(raw) as unknown) : undefined;
        if (Array.isArray(parsed)) record.entries = parsed.length;
      } catch {
        // an unparsable body: apply() answers it
      }
      requests.push(record);
      const next = failures.shift();
      if (next) {
        if (next.afterApplying) apply(req, raw);
        if (next.failure === 'timeout') return; // accepted, never answered
        if (next.failure === 'reset') {
          req.socket.destroy();
          return;
        }
        const answer = injected(next.failure);
        record.status = answer.status;
        send(res, answer);
        return;
      }
      const answer = overLimit ? problem(429, 'Too many requests') : apply(req, raw);
      record.status = answer.status;
      send(res, answer);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    calls,
    leads,
    requests,
    failNext(n, failure, failOptions = {}) {
      for (let i = 0; i < n; i++)
        failures.push({ failure, afterApplying: failOptions.afterApplying === true });
    },
    refuseUniq(uniq) {
      refused.add(uniq);
    },
    acceptUniq(uniq) {
      refused.delete(uniq);
    },
    setToken(next) {
      token = next;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
