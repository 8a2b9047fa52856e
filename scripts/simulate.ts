/**
 * `npm run simulate -- [--url URL] [--token T] [--time-zone ZONE] [scenario ...]`: plays realistic
 * call flows against the webhook, local (`.local/runtime.json`) or deployed, and exits 0 only
 * when every request got the answer its scenario expects. The flows live in `lib/scenarios.ts`.
 */
import { RUNTIME_FILE, type RuntimeFile, readRuntimeFile } from '../local/runtime-file';
import { parseFlags, type RuntimeFileIo, runCli, runWhenMain, UsageError } from './lib/cli';
import {
  allAsExpected,
  formatRequestLine,
  formatScenarioHeader,
  formatSummary,
  isScenarioName,
  runScenario,
  SCENARIO_NAMES,
  type ScenarioName,
  type ScenarioResult,
  scenarios,
  type Target,
} from './lib/scenarios';
import { stackSettings } from './lib/stack-settings';

const USAGE = `Usage: npm run simulate -- [--url URL] [--token TOKEN] [--time-zone ZONE] [scenario ...]
Scenarios (all by default, in this order): ${SCENARIO_NAMES.join(', ')}
URL and token default to ${RUNTIME_FILE} (written by \`npm start\`), else WEBHOOK_URL and WEBHOOK_TOKEN.
--time-zone: the zone the receiving stack reads wall-clock times in; by default local mode's own,
or, with --url, the stack's timeZone from cdk.json.`;

export interface SimulateIo extends RuntimeFileIo {
  fetch?: typeof fetch;
}

/** Flags first; then the local runtime (unless --url names another webhook); then the environment. */
export function resolveTarget(
  flags: { url?: string; token?: string },
  env: NodeJS.ProcessEnv,
  runtime: RuntimeFile | undefined,
): Pick<Target, 'url' | 'token'> {
  const local =
    runtime && (flags.url === undefined || flags.url === runtime.webhookUrl) ? runtime : undefined;
  const url = flags.url ?? local?.webhookUrl ?? env.WEBHOOK_URL;
  const token = flags.token ?? local?.token ?? env.WEBHOOK_TOKEN;
  if (!url || !token) {
    throw new UsageError(
      `No webhook ${url ? 'token' : 'URL'}: run \`npm start\` first, or pass --url and --token (or set WEBHOOK_URL and WEBHOOK_TOKEN)`,
    );
  }
  return { url, token };
}

const parse = (argv: string[]) =>
  parseFlags({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      'time-zone': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });

function scenarioNames(positionals: string[]): ScenarioName[] | undefined {
  const unknown = positionals.filter((name) => !isScenarioName(name));
  if (unknown.length > 0) {
    throw new UsageError(`Unknown scenario ${unknown.join(', ')}; choose from ${SCENARIO_NAMES.join(', ')}`);
  }
  return positionals.length > 0 ? positionals.filter(isScenarioName) : undefined;
}

async function play(target: Target, names: ScenarioName[] | undefined, timeZone: string, io: SimulateIo) {
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios({ names, timeZone })) {
    io.out(formatScenarioHeader(scenario));
    const result = await runScenario(scenario, target, (r) => io.out(formatRequestLine(r)));
    results.push(result);
    io.out('');
    if (result.results.some((r) => r.error !== undefined)) {
      io.err(`Stopped: ${target.url} gave no answer; is it running?`);
      break;
    }
  }
  io.out(formatSummary(results));
  return allAsExpected(results);
}

/** The CLI, minus the process: returns the exit code. */
export function main(argv: string[], io: SimulateIo): Promise<number> {
  return runCli(argv, io, { usage: USAGE, parse }, async ({ values, positionals }) => {
    const names = scenarioNames(positionals);
    const runtime = values.url && values.token ? undefined : readRuntimeFile(io.runtimeFile);
    // Wall-clock times as the receiving stack reads them: local mode's own zone, else the stack's.
    const timeZone =
      values['time-zone'] ?? (runtime && !values.url ? runtime.timeZone : stackSettings().timeZone);
    const target: Target = { ...resolveTarget(values, io.env, runtime), fetch: io.fetch };
    return (await play(target, names, timeZone, io)) ? 0 : 1;
  });
}

runWhenMain(module, main);
