/**
 * `npm start [-- --in-memory] [-c key=value …]`: the whole pipeline on this machine, with the
 * stack's context (cdk.json, and `-c` over it as `cdk synth -c` takes it). Refuses at once when
 * local mode already runs in this checkout; prints the webhook URL, the token and the local
 * endpoints once ready, then one line per webhook request; Ctrl-C (or `npm run stop`) stops
 * everything and marks `.local/runtime.json` stopped.
 */

import { join, resolve } from 'node:path';
import { javaAvailable } from './dynamodb-local';
import { runningLocalMode } from './instance-lock';
import { quietSdkNodeWarning } from './node-support';
import { portInUseMessage, portProblem } from './port-holder';
import { formatRequest, useColor } from './request-log';
import { type LocalRuntime, startLocalRuntime } from './runtime';
import { markRuntimeFileStopped, runtimeFileOf, writeRuntimeFile } from './runtime-file';
import { parseStartArgs, portFromEnv, START_HELP, type StartArgs } from './start-args';

const STATE_DIR = resolve('.local');
// Before any AWS SDK client exists, in this process or the workers it starts.
const nodeNotice = quietSdkNodeWarning();

function fail(message: string): never {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** The banner's lines for what differs from a plain `npm start`, so that nobody forgets a setting in force. */
function nonDefaults(args: StartArgs, env: NodeJS.ProcessEnv): string[] {
  const lines = Object.entries(args.context).map(([key, value]) => `-c ${key}=${value}`);
  for (const variable of ['PORT', 'HOST', 'DYNAMODB_PORT', 'EVENTBRIDGE_PORT', 'SQS_PORT'])
    if (env[variable]) lines.push(`${variable}=${env[variable]}`);
  if (env.WEBHOOK_TOKEN) lines.push('WEBHOOK_TOKEN (set)');
  if (args.inMemory) lines.push('--in-memory');
  return lines;
}

function banner(runtime: LocalRuntime, args: StartArgs, env: NodeJS.ProcessEnv): string {
  const changed = nonDefaults(args, env);
  const warnings = [
    ...(nodeNotice ? [`! ${nodeNotice}`] : []),
    ...(LOOPBACK.has(runtime.host)
      ? []
      : [
          `! The webhook listens on ${runtime.host}: other machines that reach this one can send it events (with the token).`,
        ]),
    ...(runtime.dynamodb.loopbackOnly
      ? []
      : [
          '! DynamoDB Local answers on every interface of this machine (this Java has no compiler module to',
          '  build its loopback launcher): anyone who reaches this machine can read the tables. Install a full',
          '  JDK or JRE 17+ (e.g. openjdk-17-jre-headless) to keep it to 127.0.0.1.',
        ]),
  ];
  return `
Call-events pipeline running locally${args.inMemory ? ' (in memory)' : ` (data in ${runtime.stateDir})`}

  Webhook URL   ${runtime.webhookUrl}
  Token         ${runtime.token}
  DynamoDB      ${runtime.dynamodbEndpoint}   tables ${runtime.tables.callEvents}, ${runtime.tables.rejectedEvents}, ${runtime.tables.calls}
  EventBridge   ${runtime.eventbridgeEndpoint}
  SQS, Lambda   ${runtime.consumersEndpoint}   the consumers' queues and mappings${
    runtime.consumers.length > 0
      ? `: ${runtime.consumers.map((c) => c.name).join(', ')}`
      : ' (none in this stack)'
  }
  Deliveries    ${runtime.deliveriesDir}/<rule>.ndjson   every event: ${runtime.eventsFile}
  Logs          ${join(runtime.stateDir, 'logs')}/<function>.log${
    runtime.pseudonymKey
      ? `\n  Customers     pseudonymous: numbers kept as keyed pseudonyms (key ${runtime.pseudonymKey.from === 'file' ? runtime.pseudonymKey.path : 'from CUSTOMER_NUMBER_KEY'})`
      : ''
  }${
    changed.length > 0 ? `\n  Not default   ${changed.join('  ')}` : ''
  }${warnings.length > 0 ? `\n\n${warnings.map((w) => `  ${w}`).join('\n')}` : ''}

Try:   npm run send -- EndIncCall      (one valid event)
       npm run simulate                (plays every call scenario)
       npm run tail                    (every event on the bus)
       npm run calls -- <SessionID>    (the call's record and its events)
       npm run console                 (browse the tables, read-only)
Ctrl-C or npm run stop stops everything. Requests:
`;
}

async function main(): Promise<void> {
  let args: StartArgs = { help: false, inMemory: false, context: {} };
  let ports = { webhook: 3000, dynamodb: 8000, eventbridge: 4010, sqs: 4011 };
  try {
    args = parseStartArgs(process.argv.slice(2));
    ports = {
      webhook: portFromEnv(process.env, 'PORT', ports.webhook),
      dynamodb: portFromEnv(process.env, 'DYNAMODB_PORT', ports.dynamodb),
      eventbridge: portFromEnv(process.env, 'EVENTBRIDGE_PORT', ports.eventbridge),
      sqs: portFromEnv(process.env, 'SQS_PORT', ports.sqs),
    };
  } catch (error) {
    fail((error as Error).message);
  }
  if (args.help) {
    console.log(START_HELP);
    return;
  }
  const host = process.env.HOST || '127.0.0.1';
  // Before anything else: the running one is left exactly as it is.
  const running = runningLocalMode(STATE_DIR);
  if (running) {
    fail(
      `local mode already runs in this checkout (PID ${running.pid}${
        running.webhookUrl ? `, webhook ${running.webhookUrl}` : ', still starting'
      }): use it, or stop it first with npm run stop`,
    );
  }
  if (!javaAvailable())
    fail(
      'Java is missing: DynamoDB Local needs Java 17+ (Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless)',
    );
  const wanted: [number, string, string][] = [
    [ports.webhook, 'PORT', host],
    [ports.dynamodb, 'DYNAMODB_PORT', '127.0.0.1'],
    [ports.eventbridge, 'EVENTBRIDGE_PORT', '127.0.0.1'],
    [ports.sqs, 'SQS_PORT', '127.0.0.1'],
  ];
  for (const [i, [port, variable]] of wanted.entries()) {
    const same = wanted.find(([other], j) => j < i && other === port && port !== 0);
    if (same) fail(`${same[1]} and ${variable} are both ${port}: give each its own port`);
  }
  for (const [port, variable, on] of wanted) {
    if (port === 0 && on === '127.0.0.1') continue;
    const problem = await portProblem(port, on);
    if (problem === 'in-use') fail(portInUseMessage(port, variable));
    if (problem) fail(`${variable === 'PORT' ? `HOST=${on}: ` : ''}${problem}`);
  }

  const color = useColor(process.stdout);
  const runtime = await startLocalRuntime({
    port: ports.webhook,
    host,
    dynamodbPort: ports.dynamodb,
    eventbridgePort: ports.eventbridge,
    consumersPort: ports.sqs,
    inMemory: args.inMemory,
    stateDir: STATE_DIR,
    ...(process.env.WEBHOOK_TOKEN ? { token: process.env.WEBHOOK_TOKEN } : {}),
    context: args.context,
    log: (line) => console.log(line),
    onRequest: (summary) => console.log(`  ${formatRequest(summary, { color })}`),
  });
  const runtimeFile = join(runtime.stateDir, 'runtime.json');
  writeRuntimeFile(runtimeFile, runtimeFileOf(runtime));
  console.log(banner(runtime, args, process.env));

  let stopping = false;
  const shutdown = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    if (why) console.log(`\n${why}: stopping…`);
    const force = setTimeout(() => process.exit(1), 8000);
    // First: no tool takes a local mode that is going away for a running one.
    markRuntimeFileStopped(runtimeFile);
    await runtime.stop();
    clearTimeout(force);
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => void shutdown(signal, 0));
  // A part that died and could not be brought back (already printed): stop, never run half alive.
  void runtime.failure.then(() => shutdown('', 1));
}

main().catch((error: Error) => fail(error.message.split('\n')[0] ?? String(error)));
