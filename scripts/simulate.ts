/**
 * `npm run simulate -- [--url URL] [--token T] [--time-zone ZONE] [scenario ...]`: plays realistic
 * call flows against the webhook, local (`.local/runtime.json`) or deployed, and exits 0 only
 * when every request got the answer its scenario expects. The flows live in `lib/scenarios.ts`.
 */
import { isValidTimeZone } from '../lambda/contract/local-time';
import { readRuntimeFile } from '../local/runtime-file';
import { defineCli, type RuntimeFileIo, runCli, runWhenMain, UsageError } from './lib/cli';
import {
  allAsExpected,
  formatRequestLine,
  formatScenarioHeader,
  formatSummary,
  isScenarioName,
  needsLocalMode,
  resolveTarget,
  runScenario,
  SCENARIO_NAMES,
  type ScenarioName,
  type ScenarioResult,
  scenarios,
  type Target,
} from './lib/scenarios';
import { stackSettings } from './lib/stack-settings';

export { resolveTarget };

export const CLI = defineCli({
  name: 'simulate',
  synopsis: ['npm run simulate [-- [--url URL --token TOKEN] [--time-zone ZONE] [scenario …]]'],
  about: `Plays realistic calls, each with a fresh SessionID, against the webhook, and exits 0 only when
every request got the answer its scenario expects.
Scenarios (all by default, in this order):
  ${SCENARIO_NAMES.join(', ')}.
Sends to the running local mode (npm start) unless --url or WEBHOOK_URL names another webhook.`,
  positionals: true,
  options: {
    url: {
      type: 'string',
      value: 'URL',
      help: 'the webhook, e.g. the WebhookUrl output of a deployed stack',
    },
    token: { type: 'string', value: 'TOKEN', help: "the webhook's token (with --url; local mode: its own)" },
    'time-zone': {
      type: 'string',
      value: 'ZONE',
      help: "the zone the receiving stack reads wall-clock times in; by default local\nmode's own, or, for another webhook, the stack's timeZone from cdk.json",
    },
  },
  environment: [
    ['WEBHOOK_URL', 'the webhook, when --url is not given'],
    ['WEBHOOK_TOKEN', 'its token, when --token is not given'],
  ],
});

export interface SimulateIo extends RuntimeFileIo {
  fetch?: typeof fetch;
}

function scenarioNames(positionals: string[]): ScenarioName[] | undefined {
  const unknown = positionals.filter((name) => !isScenarioName(name));
  if (unknown.length > 0) {
    throw new UsageError(`unknown scenario ${unknown.join(', ')}; choose from ${SCENARIO_NAMES.join(', ')}`);
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
  return runCli(argv, io, CLI, async ({ values, positionals }) => {
    const names = scenarioNames(positionals);
    const runtime = needsLocalMode(values, io.env) ? readRuntimeFile(io.runtimeFile) : undefined;
    const { url, token } = resolveTarget(values, io.env, runtime);
    // Wall-clock times as the receiving stack reads them: local mode's own zone, else the stack's.
    const timeZone =
      values['time-zone'] ?? (runtime?.webhookUrl === url ? runtime.timeZone : stackSettings().timeZone);
    if (!isValidTimeZone(timeZone)) throw new UsageError(`--time-zone: unknown IANA time zone "${timeZone}"`);
    return (await play({ url, token, fetch: io.fetch }, names, timeZone, io)) ? 0 : 1;
  });
}

runWhenMain(module, main);
