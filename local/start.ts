/**
 * `npm start [-- --in-memory] [-c key=value …]`: the whole pipeline on this machine, with the
 * stack's context (cdk.json, and `-c` over it as `cdk synth -c` takes it). Prints the webhook URL,
 * the token and the local endpoints once ready; Ctrl-C stops everything.
 */

import { createServer } from 'node:net';
import { join } from 'node:path';
import { javaAvailable } from './dynamodb-local';
import { startLocalRuntime } from './runtime';
import { runtimeFileOf, writeRuntimeFile } from './runtime-file';
import { parseStartArgs, type StartArgs } from './start-args';

function fail(message: string): never {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
      .once('error', () => resolve(false))
      .once('listening', () => probe.close(() => resolve(true)))
      .listen(port, '127.0.0.1');
  });
}

async function main(): Promise<void> {
  let args: StartArgs = { inMemory: false, context: {} };
  try {
    args = parseStartArgs(process.argv.slice(2));
  } catch (error) {
    fail((error as Error).message);
  }
  const { inMemory, context } = args;
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    fail(`PORT must be a port number, got ${process.env.PORT}`);
  if (!javaAvailable())
    fail(
      'Java is missing: DynamoDB Local needs Java 17+ (Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless)',
    );
  if (port !== 0 && !(await portFree(port)))
    fail(`port ${port} is in use: stop what uses it or run PORT=${port + 1} npm start`);

  const runtime = await startLocalRuntime({
    port,
    inMemory,
    ...(process.env.WEBHOOK_TOKEN ? { token: process.env.WEBHOOK_TOKEN } : {}),
    context,
    log: (line) => console.log(line),
  });
  writeRuntimeFile(join(runtime.stateDir, 'runtime.json'), runtimeFileOf(runtime));

  console.log(`
Call-events pipeline running locally${inMemory ? ' (in memory)' : ` (data in ${runtime.stateDir})`}

  Webhook URL   ${runtime.webhookUrl}
  Token         ${runtime.token}
  DynamoDB      ${runtime.dynamodbEndpoint}   tables ${runtime.tables.callEvents}, ${runtime.tables.rejectedEvents}, ${runtime.tables.calls}
  EventBridge   ${runtime.eventbridgeEndpoint}
  Deliveries    ${runtime.deliveriesDir}/<rule>.ndjson

Try:   npm run simulate          (plays every call scenario)
       npm run calls -- <SessionID>        (the call's record and its events)
       npm run calls -- --number <phone>   (a customer's calls)
       npm run console           (browse the tables)
Ctrl-C stops everything.
`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    const force = setTimeout(() => process.exit(1), 8000);
    await runtime.stop();
    clearTimeout(force);
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // A part that died and could not be brought back (already printed): stop, never run half alive.
  void runtime.failure.then(async () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(1), 8000);
    await runtime.stop();
    clearTimeout(force);
    process.exit(1);
  });
}

main().catch((error: Error) => fail(error.message.split('\n')[0] ?? String(error)));
