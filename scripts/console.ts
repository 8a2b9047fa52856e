/**
 * `npm run console -- [--port N]`: a web UI (dynamodb-admin) for the local tables, on 127.0.0.1
 * only, against the DynamoDB Local endpoint of `.local/runtime.json`.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createServer as createAdminApp } from 'dynamodb-admin';
import { LOCAL_AWS_ENV } from '../local/dynamodb-local';
import { RUNTIME_FILE, type RuntimeFile, readRuntimeFile } from '../local/runtime-file';
import { type CliIo, parseFlags, runWhenMain } from './lib/cli';

export const CONSOLE_HOST = '127.0.0.1';
export const DEFAULT_CONSOLE_PORT = 8001;

export interface ConsoleOptions {
  dynamodbEndpoint: string;
  /** 0 picks a free port. */
  port: number;
  /** @default 'us-east-1' (DynamoDB Local ignores it) */
  region?: string;
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

/** Serves dynamodb-admin for the given endpoint on 127.0.0.1; `close()` stops it and its client. */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const client = new DynamoDBClient({
    endpoint: options.dynamodbEndpoint,
    region: options.region ?? LOCAL_AWS_ENV.AWS_REGION,
    credentials: {
      accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID,
      secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY,
    },
  });
  // Given a client, dynamodb-admin neither reads the environment nor logs its configuration.
  const app: RequestListener = createAdminApp({ dynamoDbClient: client });
  const server = createServer(app);
  let port: number;
  try {
    port = await listen(server, options.port);
  } catch (error) {
    client.destroy();
    throw error;
  }
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      client.destroy();
    });
  return { url: `http://${CONSOLE_HOST}:${port}/`, close };
}

function portOf(flag: string | undefined, env: NodeJS.ProcessEnv): number {
  const raw = flag ?? env.CONSOLE_PORT;
  if (raw === undefined || raw === '') return DEFAULT_CONSOLE_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`Not a port number: "${raw}"`);
  return port;
}

function localRuntime(): RuntimeFile {
  const runtime = readRuntimeFile();
  if (!runtime) throw new Error(`No local runtime (${RUNTIME_FILE}): run \`npm start\` first`);
  return runtime;
}

/** Serves until SIGINT or SIGTERM; a failure to start rejects. */
async function main(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({ args: argv, options: { port: { type: 'string' } } });
  const port = portOf(values.port, io.env);
  const runtime = localRuntime();
  const running = await startConsole({
    dynamodbEndpoint: runtime.dynamodbEndpoint,
    port,
    region: runtime.region,
  });
  io.out(`DynamoDB console: ${running.url}  (DynamoDB Local at ${runtime.dynamodbEndpoint})`);
  for (const table of [runtime.tables.callEvents, runtime.tables.rejectedEvents]) {
    io.out(`  ${running.url}tables/${encodeURIComponent(table)}`);
  }
  const stop = () => {
    running.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return 0;
}

runWhenMain(module, main);
