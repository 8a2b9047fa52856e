/**
 * `npm run console -- [--port N] [--writable]`: a web UI (dynamodb-admin) for local mode's tables,
 * on 127.0.0.1 only. It follows local mode across restarts (the DynamoDB Local endpoint is read
 * from `.local/runtime.json` on every request) and, unless --writable, refuses every request that
 * would change a table, so that one click cannot purge or delete what local mode holds.
 */
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createServer as createAdminApp } from 'dynamodb-admin';
import { LOCAL_AWS_ENV } from '../local/dynamodb-local';
import { NOT_RUNNING, readRuntimeFile } from '../local/runtime-file';
import { defineCli, type RuntimeFileIo, requireLocalMode, runCli, runWhenMain, UsageError } from './lib/cli';

export const CONSOLE_HOST = '127.0.0.1';
export const DEFAULT_CONSOLE_PORT = 8001;

export const CLI = defineCli({
  name: 'console',
  synopsis: ['npm run console [-- [--port N] [--writable]]'],
  about: `Serves a web UI (dynamodb-admin) for the tables of the running local mode (npm start), on
${CONSOLE_HOST} only, and prints the URL of each table, Calls first. It follows local mode across a
restart (a page says when local mode is not running). Read-only unless --writable: every request
that would create, change, purge or delete a table or an item is refused with a page saying so.`,
  options: {
    port: {
      type: 'string',
      value: 'N',
      help: `the port on ${CONSOLE_HOST} (default ${DEFAULT_CONSOLE_PORT}; 0: a free one)`,
    },
    writable: {
      type: 'boolean',
      default: false,
      help: "let the UI change local mode's data: add, edit and delete items, purge\nand delete tables",
    },
  },
  environment: [['CONSOLE_PORT', 'the port, when --port is not given']],
});

/** Where the tables are now: local mode's DynamoDB Local endpoint, or undefined while it is not running. */
export type EndpointSource = () => string | undefined;

export interface ConsoleOptions {
  /** DynamoDB Local's endpoint, fixed or read again for every request (so that a restart is followed). */
  dynamodbEndpoint: string | EndpointSource;
  /** 0 picks a free port. */
  port: number;
  /** @default 'us-east-1' (DynamoDB Local ignores it) */
  region?: string;
  /** Let the UI's writes through. @default false: only GET and HEAD reach dynamodb-admin */
  writable?: boolean;
}

export interface RunningConsole {
  url: string;
  close(): Promise<void>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Port ${port} is in use: pass --port N or set CONSOLE_PORT`)
          : new Error(`Cannot listen on ${CONSOLE_HOST}:${port}: ${error.message}`),
      );
    server.once('error', onError);
    server.listen(port, CONSOLE_HOST, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * dynamodb-admin reads with GET alone; every one of its routes that writes (create a table,
 * put or delete an item, purge or delete a table or all tables) is a POST, PUT or DELETE.
 */
const READS = new Set(['GET', 'HEAD']);

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

function page(res: ServerResponse, status: number, title: string, text: string): void {
  const body = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(text)}</p>
<p><a href="/">Back to the tables</a></p>
</body></html>
`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

/** The page a refused write gets: what was refused, and how to allow it on purpose. */
export const READ_ONLY_TEXT =
  "This console is read-only, so that one click cannot purge or delete local mode's tables or items. " +
  'Nothing was changed. To change data, restart it with: npm run console -- --writable';

/** dynamodb-admin for the endpoint of the moment: a new client and app when the endpoint changes. */
function adminFor(region: string) {
  let current: { endpoint: string; client: DynamoDBClient; app: RequestListener } | undefined;
  return {
    app(endpoint: string): RequestListener {
      if (current?.endpoint !== endpoint) {
        current?.client.destroy();
        const client = new DynamoDBClient({
          endpoint,
          region,
          credentials: {
            accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID,
            secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY,
          },
        });
        // Given a client, dynamodb-admin neither reads the environment nor logs its configuration.
        current = { endpoint, client, app: createAdminApp({ dynamoDbClient: client }) };
      }
      return current.app;
    },
    destroy: () => current?.client.destroy(),
  };
}

/** Serves dynamodb-admin on 127.0.0.1, read-only unless asked; `close()` stops it and its client. */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const { dynamodbEndpoint } = options;
  const endpointNow: EndpointSource =
    typeof dynamodbEndpoint === 'string' ? () => dynamodbEndpoint : dynamodbEndpoint;
  const admin = adminFor(options.region ?? LOCAL_AWS_ENV.AWS_REGION);
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    if (!options.writable && !READS.has(req.method ?? '')) {
      // Drain what the browser sent, so that the refusal reaches it.
      req.resume();
      page(res, 403, 'Read-only console', READ_ONLY_TEXT);
      return;
    }
    let endpoint: string | undefined;
    try {
      endpoint = endpointNow();
    } catch {
      endpoint = undefined;
    }
    if (endpoint === undefined) {
      page(res, 503, 'Local mode is not running', `${NOT_RUNNING}, then reload this page.`);
      return;
    }
    admin.app(endpoint)(req, res);
  };
  const server = createServer(listener);
  let port: number;
  try {
    port = await listen(server, options.port);
  } catch (error) {
    admin.destroy();
    throw error;
  }
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      admin.destroy();
    });
  return { url: `http://${CONSOLE_HOST}:${port}/`, close };
}

function portOf(flag: string | undefined, env: NodeJS.ProcessEnv): number {
  const raw = flag ?? env.CONSOLE_PORT;
  if (raw === undefined || raw === '') return DEFAULT_CONSOLE_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(`${flag === undefined ? 'CONSOLE_PORT' : '--port'}: not a port number (got ${raw})`);
  return port;
}

export interface ConsoleIo extends RuntimeFileIo {
  /** Called with the running console once it serves (tests stop it; the process waits for a signal). */
  onStarted?: (running: RunningConsole) => void;
}

/** Serves until SIGINT or SIGTERM; a failure to start is exit code 1. */
export function main(argv: string[], io: ConsoleIo): Promise<number> {
  return runCli(argv, io, CLI, async ({ values }) => {
    const port = portOf(values.port, io.env);
    const runtime = requireLocalMode(io.runtimeFile);
    const running = await startConsole({
      // Read again on every request: a restarted local mode may serve DynamoDB Local elsewhere.
      dynamodbEndpoint: () => readRuntimeFile(io.runtimeFile)?.dynamodbEndpoint,
      port,
      region: runtime.region,
      writable: values.writable,
    });
    const mode = values.writable ? 'writable' : 'read-only (--writable to change data)';
    io.out(`DynamoDB console: ${running.url}  (local mode's DynamoDB Local; ${mode})`);
    const { calls, callEvents, rejectedEvents } = runtime.tables;
    for (const table of [calls, callEvents, rejectedEvents])
      io.out(`  ${running.url}tables/${encodeURIComponent(table)}`);
    if (io.onStarted) io.onStarted(running);
    else {
      const stop = () => {
        running.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }
    return 0;
  });
}

runWhenMain(module, main);
