/** `npm start`'s arguments and environment: `--in-memory`, `-c key=value` as the CDK CLI takes it, `--help`. */
import { parseArgs } from 'node:util';

export const START_USAGE = 'npm start [-- --in-memory] [-c key=value …]';

export const START_HELP = `Usage: ${START_USAGE}

Runs the whole pipeline on this machine: the webhook, the stack's functions, DynamoDB Local with
the stack's tables, a local EventBridge with the stack's rules. One local mode per checkout.

Options:
  --in-memory          keep no table data (otherwise it persists in .local/ across restarts)
  -c, --context k=v    a stack setting over cdk.json's, exactly as cdk synth -c takes it
                       (e.g. -c stuckCallAfterMinutes=0.5); repeatable
  -h, --help           this help

Environment:
  PORT                 the webhook's port (default 3000)
  HOST                 the webhook's address (default 127.0.0.1: only this machine). Set
                       HOST=0.0.0.0 to receive a real PBX's webhooks on a reachable host
  DYNAMODB_PORT        DynamoDB Local's port on 127.0.0.1 (default 8000)
  EVENTBRIDGE_PORT     the local EventBridge's port on 127.0.0.1 (default 4010)
  SQS_PORT             the consumers' SQS and Lambda APIs' port on 127.0.0.1 (default 4011)
  CRM_SECRET           the CRM secret, with -c crm=…: amoCRM {"accessToken":"…"},
                       Bitrix24 {"clientId":"…","clientSecret":"…","refreshToken":"…"}
  WEBHOOK_TOKEN        the token the webhook accepts (default: the one kept in .local/token,
                       made on the first start)
  NO_COLOR             no colour in the request log

npm run stop stops it from another terminal; Ctrl-C here does the same.`;

export interface StartArgs {
  help: boolean;
  inMemory: boolean;
  /** Context over cdk.json's, as strings: the stack validates it as it validates `cdk synth -c`. */
  context: Record<string, string>;
}

/** Throws an Error saying what is wrong and where to read the usage. */
export function parseStartArgs(args: readonly string[]): StartArgs {
  let values: { help?: boolean; 'in-memory'?: boolean; context?: string[] };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        help: { type: 'boolean', short: 'h' },
        'in-memory': { type: 'boolean' },
        context: { type: 'string', short: 'c', multiple: true },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new Error(`${(error as Error).message} (see npm start -- --help)`);
  }
  const context: Record<string, string> = {};
  for (const pair of values.context ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`-c takes key=value, got ${pair || 'nothing'} (see npm start -- --help)`);
    context[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { help: values.help === true, inMemory: values['in-memory'] === true, context };
}

/** A port from the environment: an integer 0–65535 (0: any free one), else `fallback`. */
export function portFromEnv(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const text = env[variable];
  if (text === undefined || text === '') return fallback;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535)
    throw new Error(`${variable} must be a port number (0–65535), got ${text}`);
  return port;
}
