/**
 * `npm run load -- [--events N] [--concurrency C] [--url URL --token T] [--aws --table NAME] [--timeout-s S]`:
 * a load run against a local mode it starts itself, or against a given webhook. Exits 0 only
 * when every request was answered as planned and (locally) every accepted event was published.
 * The engine is `lib/load.ts`.
 */
import { AWS_ENVIRONMENT, type CliIo, consoleIo, defineCli, runCli, UsageError } from './lib/cli';
import { formatReport, LOAD_DEFAULTS, type LoadOptions, runLoad } from './lib/load';
import { stackSettings } from './lib/stack-settings';

export const CLI = defineCli({
  name: 'load',
  synopsis: [
    'npm run load [-- [--events N] [--concurrency C] [--timeout-s S]',
    '                 [--url URL --token TOKEN [--aws --table NAME]]]',
  ],
  about: `Plays N events as realistic calls of ~10 events each (answered, missed, outgoing; a few
re-deliveries), each call's events in order, at most C requests in flight, then reports
throughput and p50/p99 latency. By default it starts its own local mode (in memory, a temporary
state directory, all stopped and removed afterwards; a running npm start is not needed nor
touched), waits for the pipeline to drain and counts what was stored and delivered: 'lost'
(accepted events EventBridge never received) must be 0. With --url it loads that webhook and
reports HTTP figures only: it cannot see the table or the deliveries (with --aws --table NAME,
it counts this run's items in that table). Ctrl-C stops it cleanly.`,
  options: {
    events: {
      type: 'string',
      value: 'N',
      help: `events to send, at least 10 (default ${LOAD_DEFAULTS.events})`,
    },
    concurrency: {
      type: 'string',
      value: 'C',
      help: `requests in flight at most (default ${LOAD_DEFAULTS.concurrency})`,
    },
    'timeout-s': {
      type: 'string',
      value: 'S',
      help: `the whole run stops then and prints what it has (default ${LOAD_DEFAULTS.timeoutMs / 1000})`,
    },
    url: { type: 'string', value: 'URL', help: 'a webhook to load instead of a local mode of its own' },
    token: { type: 'string', value: 'TOKEN', help: "that webhook's token" },
    aws: {
      type: 'boolean',
      default: false,
      help: "with --url: count this run's items in the deployed table (standard AWS env)",
    },
    table: { type: 'string', value: 'NAME', help: 'with --aws: the CallEventsTableName output' },
  },
  environment: [['WEBHOOK_TOKEN', 'the token of --url, when --token is not given'], ...AWS_ENVIRONMENT],
});

export interface LoadIo extends CliIo {
  signal?: AbortSignal;
  /** @default runLoad */
  run?: typeof runLoad;
}

function positiveInt(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer of at least ${min}`);
  return n;
}

export function loadOptions(
  values: ReturnType<typeof CLI.parse>['values'],
  env: NodeJS.ProcessEnv,
): LoadOptions {
  const options: LoadOptions = {
    events: positiveInt('events', values.events, LOAD_DEFAULTS.events, 10),
    concurrency: positiveInt('concurrency', values.concurrency, LOAD_DEFAULTS.concurrency),
    timeoutMs: positiveInt('timeout-s', values['timeout-s'], LOAD_DEFAULTS.timeoutMs / 1000) * 1000,
  };
  if (values.url !== undefined) {
    const token = values.token ?? env.WEBHOOK_TOKEN;
    if (!token) throw new UsageError('--url needs --token (or WEBHOOK_TOKEN)');
    options.target = { url: values.url, token };
    // The deployed stack's zone, as synthesized from this checkout (a started local mode tells its own).
    options.timeZone = stackSettings().timeZone;
    if (values.aws) {
      if (!values.table) throw new UsageError('--aws needs --table NAME (the CallEventsTableName output)');
      options.storedTable = { name: values.table };
    }
  } else if (values.token !== undefined || values.aws || values.table !== undefined) {
    throw new UsageError('--token, --aws and --table go with --url; without it, a local mode is started');
  }
  return options;
}

/** The CLI, minus the process: returns the exit code. */
export function main(argv: string[], io: LoadIo): Promise<number> {
  return runCli(argv, io, CLI, async ({ values }) => {
    const options = loadOptions(values, io.env);
    const report = await (io.run ?? runLoad)({ ...options, signal: io.signal, log: io.out });
    io.out(formatReport(report));
    return report.ok ? 0 : 1;
  });
}

if (require.main === module) {
  const stop = new AbortController();
  const onSignal = (signal: string) => {
    // Ctrl-C reaches this process twice (from the terminal and relayed by tsx): act once.
    if (stop.signal.aborted) return;
    console.error(`\n${signal}: stopping the run and everything it started…`);
    stop.abort();
    // runLoad stops each process with its own SIGKILL fallback; this only bounds the wait.
    setTimeout(() => process.exit(130), 30_000).unref();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  main(process.argv.slice(2), { ...consoleIo(), signal: stop.signal }).then((code) => {
    // Child processes are stopped by now; exit even if a client left a socket open.
    process.exit(code);
  });
}
