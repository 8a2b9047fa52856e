/**
 * Stands in for API Gateway (REST, Lambda proxy): an HTTP server on 127.0.0.1 that turns
 * each request to the webhook path into the proxy event API Gateway would send and
 * answers with what the function returns.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** API Gateway's own payload limit; the function enforces the product's smaller one. */
const API_GATEWAY_MAX_BYTES = 10 * 1024 * 1024;

export interface WebhookServerOptions {
  port: number;
  /** Resource path, e.g. `/call-events`. */
  path: string;
  invoke: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  onRequest?: (summary: { method: string; status: number; ms: number }) => void;
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
    // Without binary media types API Gateway passes the body as text.
    body: body.length > 0 ? body.toString('utf8') : null,
    isBase64Encoded: false,
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

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const server: Server = createServer((req, res) => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= API_GATEWAY_MAX_BYTES) chunks.push(chunk);
    });
    req.on('end', async () => {
      let status = 500;
      try {
        if (url.pathname !== options.path || req.method !== 'POST') {
          // What API Gateway answers for a method or path the API does not define.
          status = 403;
          return send(res, status, JSON.stringify({ message: 'Missing Authentication Token' }));
        }
        if (size > API_GATEWAY_MAX_BYTES) {
          status = 413;
          return send(res, status, JSON.stringify({ message: 'Request Too Long' }));
        }
        const result = await options.invoke(proxyEvent(req, url, Buffer.concat(chunks), options.path));
        status = result.statusCode;
        send(res, status, result.body, (result.headers ?? {}) as Record<string, string>);
      } catch {
        // The function failed or timed out: API Gateway's answer for a broken integration.
        status = 502;
        send(res, status, JSON.stringify({ message: 'Internal server error' }));
      } finally {
        options.onRequest?.({ method: req.method ?? '', status, ms: Date.now() - started });
      }
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${options.path}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
