/**
 * Stands in for API Gateway (REST, Lambda proxy, binary media type `*\/*`): an HTTP server on
 * 127.0.0.1 (or the host asked for) that turns each request to the webhook path into the proxy event API Gateway would
 * send, the exact body bytes base64-encoded, and answers with what the function returns.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** API Gateway's own payload limit; the function enforces the product's smaller one. */
const API_GATEWAY_MAX_BYTES = 10 * 1024 * 1024;

/** One answered request, for the request log: what was asked and how it was answered. */
export interface RequestSummary {
  method: string;
  path: string;
  status: number;
  ms: number;
  /** The body's HookType and SessionID when it is a JSON object carrying them as strings. */
  hookType?: string;
  sessionId?: string;
  /** The answer's `status` and `reason` (e.g. `accepted`, `rejected contract`), when it has them. */
  outcome?: string;
}

export interface WebhookServerOptions {
  port: number;
  /** The address to listen on. @default '127.0.0.1' */
  host?: string;
  /** Resource path, e.g. `/call-events`. */
  path: string;
  invoke: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  /**
   * The function's own body limit: past it no more is read before answering (the function gets
   * one byte more than the limit, enough to answer 413 and quarantine the kept part).
   * @default API Gateway's 10 MB
   */
  maxBodyBytes?: number;
  /**
   * Whether a request carries the right token. When it does not, the body is not read at all:
   * the function gets the request without it, and answers 401 as it would anyway.
   * @default every request is read
   */
  authorized?: (req: IncomingMessage, url: URL) => boolean;
  onRequest?: (summary: RequestSummary) => void;
}

export interface WebhookServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

function headerMaps(req: IncomingMessage) {
  const headers: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  // rawHeaders keeps the case the client sent, as API Gateway does.
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    const value = req.rawHeaders[i + 1] as string;
    headers[name] = value;
    multi[name] = [...(multi[name] ?? []), value];
  }
  return { headers, multi };
}

function queryMaps(url: URL) {
  if ([...url.searchParams.keys()].length === 0) return { single: null, multi: null };
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    single[k] = v;
    multi[k] = [...(multi[k] ?? []), v];
  }
  return { single, multi };
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

export function proxyEvent(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  resource: string,
): APIGatewayProxyEvent {
  const { headers, multi } = headerMaps(req);
  const query = queryMaps(url);
  const requestId = randomUUID();
  return {
    resource,
    path: url.pathname,
    httpMethod: req.method ?? 'POST',
    headers,
    multiValueHeaders: multi,
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters: null,
    stageVariables: null,
    // With the binary media type `*/*` (lib/constructs/webhook-api.ts) API Gateway hands every
    // body over base64-encoded, byte for byte; the function alone decides whether it is UTF-8.
    body: body.length > 0 ? body.toString('base64') : null,
    isBase64Encoded: body.length > 0,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: req.method ?? 'POST',
      identity: {
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? null,
      },
      path: url.pathname,
      stage: 'local',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: resource,
    } as APIGatewayProxyEvent['requestContext'],
  };
}

/** What to print as a request's text: short, one line, no control characters. */
const printable = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== ''
    ? [...value.slice(0, 64)].map((c) => (c < ' ' || c === '\u007f' ? '?' : c)).join('')
    : undefined;

/** The HookType and SessionID of a JSON body, for the log; nothing else of it (no phone numbers). */
function identityOf(body: Buffer): Pick<RequestSummary, 'hookType' | 'sessionId'> {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return {};
  }
  if (typeof json !== 'object' || json === null) return {};
  const hookType = printable((json as Record<string, unknown>).HookType);
  const sessionId = printable((json as Record<string, unknown>).SessionID);
  return { ...(hookType ? { hookType } : {}), ...(sessionId ? { sessionId } : {}) };
}

/** The answer's `status` and `reason` (`accepted`, `duplicate`, `rejected contract`, …), or its `message`. */
function outcomeOf(body: string): string | undefined {
  try {
    const json = JSON.parse(body) as { status?: unknown; reason?: unknown; message?: unknown };
    const parts = [printable(json.status), printable(json.reason)].filter(Boolean);
    return parts.length > 0 ? parts.join(' ') : printable(json.message);
  } catch {
    return undefined;
  }
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const limit = Math.min(options.maxBodyBytes ?? API_GATEWAY_MAX_BYTES, API_GATEWAY_MAX_BYTES);
  const server: Server = createServer((req, res) => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let asked: Pick<RequestSummary, 'hookType' | 'sessionId'> = {};
    const answer = (code: number, body: string, headers: Record<string, string> = {}) => {
      // Whatever of the body is still unread is discarded, not buffered.
      const unread = !req.complete;
      send(res, code, body, unread ? { ...headers, connection: 'close' } : headers);
      if (unread) req.resume();
      if (!options.onRequest) return;
      const outcome = outcomeOf(body);
      options.onRequest({
        method: req.method ?? '',
        path: url.pathname,
        status: code,
        ms: Date.now() - started,
        ...asked,
        ...(outcome ? { outcome } : {}),
      });
    };
    const invoke = async (body: Buffer) => {
      if (options.onRequest && body.length <= limit) asked = identityOf(body);
      try {
        const result = await options.invoke(proxyEvent(req, url, body, options.path));
        answer(result.statusCode, result.body, (result.headers ?? {}) as Record<string, string>);
      } catch {
        // The function failed or timed out: API Gateway's answer for a broken integration.
        answer(502, JSON.stringify({ message: 'Internal server error' }));
      }
    };
    if (url.pathname !== options.path || req.method !== 'POST') {
      // What API Gateway answers for a method or path the API does not define.
      return answer(403, JSON.stringify({ message: 'Missing Authentication Token' }));
    }
    if (options.authorized && !options.authorized(req, url)) return void invoke(Buffer.alloc(0));
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer) => {
      if (done) return;
      const room = limit + 1 - size;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      size += Math.min(chunk.length, room);
      if (size > limit) {
        // Over the limit: the function answers 413 from what was read; the rest is never held.
        done = true;
        req.off('data', onData);
        req.pause();
        void invoke(Buffer.concat(chunks));
      }
    };
    req.on('data', onData);
    req.on('end', () => {
      if (done) return;
      done = true;
      void invoke(Buffer.concat(chunks));
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  // A wildcard address is not one a client can use: this machine's loopback reaches it.
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}${options.path}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
