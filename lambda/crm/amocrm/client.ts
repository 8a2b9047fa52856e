/**
 * amoCRM / Kommo's REST API v4, the two requests the delivery makes, with a long-lived token
 * (`Authorization: Bearer`). Each request first takes a rate slot (rate-limit.ts) and is cut off
 * after `timeoutMs`. What comes back is classified for the delivery: added, refused (400, the
 * CRM's validation errors), unauthorized (401/403), or transient (429, 5xx, a timeout, a
 * network error; with the `Retry-After` the CRM asked for). Nothing of a body is logged here.
 */
import type { RateLimiter } from '../rate-limit';
import type { AmoCallEntry, AmoUnsortedSip } from './mapping';

export type AmoResponse =
  | { kind: 'ok'; status: number; body: unknown }
  /** The CRM refused the request as invalid: its validation errors, as it wrote them. */
  | { kind: 'refused'; status: number; errors: unknown }
  /** The token is wrong, expired or revoked, or the account refuses this integration. */
  | { kind: 'unauthorized'; status: number }
  /** Worth trying again: after `retryAfterMs` when the CRM said so. */
  | { kind: 'transient'; status?: number; reason: string; retryAfterMs?: number };

export interface AmoClientOptions {
  /** The account's base URL, e.g. https://example.amocrm.ru. */
  baseUrl: string;
  accessToken: () => Promise<string>;
  limiter: RateLimiter;
  /** @default 10 s */
  timeoutMs?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds from now. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export class AmoClient {
  private readonly fetch: typeof fetch;
  constructor(private readonly options: AmoClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** `POST /api/v4/calls`: up to 50 entries. */
  addCalls(entries: readonly (AmoCallEntry & { request_id: string })[]): Promise<AmoResponse> {
    return this.post('/api/v4/calls', entries);
  }

  /** `POST /api/v4/leads/unsorted/sip`: incoming leads of calls from numbers no contact has. */
  addUnsortedSip(leads: readonly (AmoUnsortedSip & { request_id: string })[]): Promise<AmoResponse> {
    return this.post('/api/v4/leads/unsorted/sip', leads);
  }

  /**
   * Whether the CRM has a call note with this `uniq`, updated since `sinceUnix`: on any of the
   * entities a call may be added to (`GET /api/v4/{entity}/notes`, call notes only). `ok` with
   * the note's ids, or with undefined when none; else the failure as for a POST.
   */
  async findCallNote(
    uniq: string,
    sinceUnix: number,
  ): Promise<AmoResponse & { note?: Record<string, unknown> }> {
    for (const entity of ['contacts', 'companies', 'leads', 'customers']) {
      const query = new URLSearchParams({ 'filter[updated_at][from]': String(sinceUnix), limit: '250' });
      query.append('filter[note_type][]', 'call_in');
      query.append('filter[note_type][]', 'call_out');
      const response = await this.request('GET', `/api/v4/${entity}/notes?${query}`);
      if (response.kind !== 'ok') return response;
      const notes = (
        response.body as { _embedded?: { notes?: { params?: { uniq?: unknown } }[] } } | undefined
      )?._embedded?.notes;
      const note = notes?.find((n) => n.params?.uniq === uniq);
      if (note) return { ...response, note: { ...(note as Record<string, unknown>), entity_type: entity } };
    }
    return { kind: 'ok', status: 204, body: undefined };
  }

  /** The incoming lead whose `source_uid` is this (`GET /api/v4/leads/unsorted`), or undefined. */
  async findUnsorted(sourceUid: string): Promise<AmoResponse & { lead?: Record<string, unknown> }> {
    const response = await this.request('GET', '/api/v4/leads/unsorted?filter[category][]=sip&limit=250');
    if (response.kind !== 'ok') return response;
    const list = (response.body as { _embedded?: { unsorted?: { source_uid?: unknown }[] } } | undefined)
      ?._embedded?.unsorted;
    const lead = list?.find((l) => l.source_uid === sourceUid);
    return lead ? { ...response, lead: lead as Record<string, unknown> } : response;
  }

  private post(path: string, body: unknown): Promise<AmoResponse> {
    return this.request('POST', path, body);
  }

  private async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<AmoResponse> {
    await this.options.limiter.take();
    const url = new URL(path, this.options.baseUrl);
    let response: Response;
    try {
      response = await this.fetch(url, {
        method,
        headers: {
          Authorization: `Bearer ${await this.options.accessToken()}`,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      const name = (error as { name?: string } | null)?.name;
      return {
        kind: 'transient',
        reason:
          name === 'TimeoutError' || name === 'AbortError'
            ? 'timed out'
            : `network error (${name ?? 'Error'})`,
      };
    }
    const text = await response.text().catch(() => '');
    const json = (() => {
      try {
        return text ? (JSON.parse(text) as unknown) : undefined;
      } catch {
        return undefined;
      }
    })();
    const { status } = response;
    if (status >= 200 && status < 300) return { kind: 'ok', status, body: json };
    if (status === 401 || status === 403) return { kind: 'unauthorized', status };
    if (status === 429 || status >= 500) {
      const after = retryAfterMs(response.headers.get('retry-after'));
      return {
        kind: 'transient',
        status,
        reason: `HTTP ${status}`,
        ...(after === undefined ? {} : { retryAfterMs: after }),
      };
    }
    // No call of the request added because no contact has their numbers: amoCRM answers 400
    // with each in `errors` ("Entity not found"), not with validation errors. Not a refusal.
    const answer = json as { errors?: unknown; 'validation-errors'?: unknown } | undefined;
    if (status === 400 && Array.isArray(answer?.errors) && answer?.['validation-errors'] === undefined)
      return { kind: 'ok', status, body: json };
    return {
      kind: 'refused',
      status,
      errors: (json as { 'validation-errors'?: unknown } | undefined)?.['validation-errors'] ?? json ?? text,
    };
  }
}
