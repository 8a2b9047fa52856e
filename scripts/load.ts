/**
 * `npm run load -- [--events N] [--concurrency C] [--url URL --token T] [--aws --table NAME] [--timeout-s S]`:
 * a load run against a local mode it starts itself, or against a given webhook. Exits 0 only
 * when every request was answered as planned and (locally) every accepted event was published.
 * The engine is `lib/load.ts`.
 */
import { type CliIo, consoleIo, parseFlags, runCli, UsageError } from './lib/cli';
import { formatReport, LOAD_DEFAULTS, type LoadOptions, runLoad } from './lib/load';
import { stackSettings } from './lib/stack-settings';

const USAGE = `Usage: npm run load -- [--events N] [--concurrency C] [--timeout-s S]
                     [--url URL --token TOKEN [--aws --table NAME]]
Plays N events (default ${LOAD_DEFAULTS.events}) as realistic calls of ~10 events each (answered, missed,
outgoing; a few re-deliveries), each call's events in order, at most C requests in flight
(default ${LOAD_DEFAULTS.concurrency}), then reports throughput and p50/p99 latency.
By default it starts its own local mode (in memory, a temporary state directory, all stopped and
removed afterwards), waits for the pipeline to drain and counts what was stored and delivered:
'lost' (accepted events EventBridge never received) must be 0.
With --url it loads that webhook and reports HTTP figures only: it cannot see the table or the
deliveries (with --aws --table NAME, it counts this run's items in that table, standard AWS env).
The whole run stops at --timeout-s (default ${LOAD_DEFAULTS.timeoutMs / 1000}) and prints what it has; Ctrl-C stops it cleanly.`;

export interface LoadIo extends CliIo {
  signal?: AbortSignal;
  /** @default runLoad */
  run?: typeof runLoad;
}

const parse = (argv: string[]) =>
  parseFlags({
    args: argv,
    options: {
      events: { type: 'string' },
      concurrency: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      aws: { type: 'boolean', default: false },
      table: { type: 'string' },
      'timeout-s': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });

function positiveInt(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer of at least ${min}`);
  return n;
}

export function loadOptions(values: ReturnType<typeof parse>['values'], env: NodeJS.ProcessEnv): LoadOptions {
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
  return runCli(argv, io, { usage: USAGE, parse }, async ({ values }) => {
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
