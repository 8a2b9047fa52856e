/**
 * Bitrix24's REST API as the delivery uses it: a method called with a JSON body carrying the
 * application's access token (`auth`), each request after a slot of the shared rate limiter,
 * and its answer sorted into what the delivery does next (b24restdocs: settings/how-to-call-rest-api,
 * _includes/system-errors.md, limits.md, settings/oauth/auto-renewal.md). An `expired_token`
 * is refreshed and the request sent again here; the token's refusals stop the delivery; the
 * portal's limits and its own failures are tried again; anything else it refused is the call's.
 */

import { ConfigError } from '../../shared/env';
import type { RateLimiter } from '../rate-limit';
import { AuthorizationRefused } from './tokens';

/** What fixes each refusal of the application itself: the delivery stops until it is done. */
export const STOPPING_ERRORS: Readonly<Record<string, string>> = {
  invalid_token:
    'the portal no longer accepts the application\'s tokens: authorize the application again (README, "Bitrix24") and put the new refresh token in the CRM secret',
  NO_AUTH_FOUND:
    'the portal does not know the application\'s token: authorize the application again (README, "Bitrix24") and put the new refresh token in the CRM secret',
  insufficient_scope:
    'the application lacks a scope: give it telephony, crm and user in its settings in Bitrix24, then authorize it again',
  WRONG_AUTH_TYPE:
    "the portal takes telephony calls only from an application: the CRM secret must hold a local application's clientId, clientSecret and refreshToken, not an inbound webhook",
  ACCESS_DENIED: "the portal's REST API is available only on a commercial plan",
  INVALID_CREDENTIALS:
    'the user who authorized the application lacks the rights it needs (telephony, CRM): authorize it as a user who has them',
  user_access_error:
    'the portal restricts the application to some users, and the one who authorized it is not among them',
  OVERLOAD_LIMIT: "Bitrix24 has blocked the portal's REST API for overload: only its support can lift it",
  invalid_grant:
    'the refresh token no longer works (used, revoked, or unused for 180 days): authorize the application again and put the new refresh token in the CRM secret',
  invalid_client:
    'the clientId or clientSecret in the CRM secret is wrong, or the application is not installed in the portal',
  PAYMENT_REQUIRED: "the application's trial or paid period in Bitrix24 has ended",
};

export type BitrixResponse =
  | { kind: 'ok'; result: unknown }
  /** The application itself was refused: nothing is delivered until someone fixes it. */
  | { kind: 'stopped'; error: string; fix: string }
  /** The portal refused this request (ERROR_CORE and the like): its words. */
  | { kind: 'refused'; status: number; error: string; description: string }
  /** Not taken now (limits, 5xx, a timeout): may be sent again. */
  | { kind: 'transient'; status: number; reason: string; retryAfterMs?: number };

export interface TokenSource {
  /** The access token to use now. */
  current(): Promise<string>;
  /** A fresh access token, the portal having answered `expired_token` to `stale`. */
  refreshed(stale: string): Promise<string>;
}

export interface Bitrix24ClientOptions {
  /** The portal's base URL: methods are at `${portalUrl}/rest/<method>`. */
  portalUrl: string;
  tokens: TokenSource;
  limiter: RateLimiter;
  /** @default 10 s (the portal's own limit is 60 s a request; register and finish take well under one) */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** @default Date.now */
  now?: () => number;
}

export class Bitrix24Client {
  /** Per method, when the portal lets go of its oldest minute of method time (`time.operating_reset_at`), from its last answer. */
  private readonly operatingResetAt = new Map<string, number>();

  constructor(private readonly options: Bitrix24ClientOptions) {}

  async call(method: string, params: Record<string, unknown>): Promise<BitrixResponse> {
    let token: string;
    try {
      token = await this.options.tokens.current();
    } catch (error) {
      return tokenFailure(error);
    }
    const first = await this.send(method, params, token);
    if (first !== 'expired') return first;
    try {
      token = await this.options.tokens.refreshed(token);
    } catch (error) {
      return tokenFailure(error);
    }
    const second = await this.send(method, params, token);
    return second === 'expired'
      ? { kind: 'transient', status: 401, reason: 'expired_token right after a refresh' }
      : second;
  }

  private async send(
    method: string,
    params: Record<string, unknown>,
    auth: string,
  ): Promise<BitrixResponse | 'expired'> {
    const { portalUrl, limiter, timeoutMs = 10_000 } = this.options;
    const doFetch = this.options.fetch ?? fetch;
    const now = this.options.now ?? Date.now;
    await limiter.take();
    let response: Response;
    let text: string;
    try {
      response = await doFetch(`${portalUrl}/rest/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ ...params, auth }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      return {
        kind: 'transient',
        status: 0,
        reason: name === 'TimeoutError' ? `no answer in ${timeoutMs} ms` : `request failed (${name})`,
      };
    }
    let body: { result?: unknown; error?: unknown; error_description?: unknown; time?: unknown } | undefined;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = undefined;
    }
    const resetAt = (body?.time as { operating_reset_at?: unknown } | undefined)?.operating_reset_at;
    if (typeof resetAt === 'number') this.operatingResetAt.set(method, resetAt * 1000);
    const error = typeof body?.error === 'string' ? body.error : undefined;
    const description = typeof body?.error_description === 'string' ? body.error_description : '';
    if (response.ok && error === undefined) {
      if (body && 'result' in body) return { kind: 'ok', result: body.result };
      return { kind: 'transient', status: response.status, reason: 'an answer without a result' };
    }
    if (error === 'expired_token') return 'expired';
    if (error !== undefined && Object.hasOwn(STOPPING_ERRORS, error))
      return { kind: 'stopped', error, fix: STOPPING_ERRORS[error] as string };
    if (error === 'QUERY_LIMIT_EXCEEDED')
      return { kind: 'transient', status: response.status, reason: 'QUERY_LIMIT_EXCEEDED' };
    if (error === 'OPERATION_TIME_LIMIT') {
      // The method's time is spent; it is free again when the oldest minute is let go.
      const freeAt = this.operatingResetAt.get(method);
      const wait = freeAt === undefined ? undefined : freeAt - now();
      return {
        kind: 'transient',
        status: response.status,
        reason: 'OPERATION_TIME_LIMIT',
        ...(wait !== undefined && wait > 0 ? { retryAfterMs: wait } : {}),
      };
    }
    if (response.status >= 500 || response.status === 429 || response.status === 408)
      return { kind: 'transient', status: response.status, reason: error ?? `HTTP ${response.status}` };
    return {
      kind: 'refused',
      status: response.status,
      error: error ?? `HTTP ${response.status}`,
      description: description || (error ? '' : 'an answer that is not a Bitrix24 error'),
    };
  }
}

function tokenFailure(error: unknown): BitrixResponse {
  // The secret is not the application (a webhook's URL, amoCRM's shape, a key missing): nothing
  // is delivered until it is put right.
  if (error instanceof ConfigError)
    return { kind: 'stopped', error: 'CRM_SECRET_INVALID', fix: error.message };
  if (error instanceof AuthorizationRefused)
    return { kind: 'stopped', error: error.code, fix: STOPPING_ERRORS[error.code] ?? error.description };
  return {
    kind: 'transient',
    status: 0,
    reason: `cannot refresh the token (${error instanceof Error ? error.message : 'unknown'})`,
  };
}
