/** `npm start`'s arguments: `--in-memory`, and `-c key=value` (or `--context key=value`) as the CDK CLI takes them. */

export const START_USAGE = 'npm start [-- --in-memory] [-c key=value …]';

export interface StartArgs {
  inMemory: boolean;
  /** Context over cdk.json's, as strings: the stack validates it as it validates `cdk synth -c`. */
  context: Record<string, string>;
}

/** Throws an Error saying what is wrong, with the usage. */
export function parseStartArgs(args: readonly string[]): StartArgs {
  let inMemory = false;
  const context: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--in-memory') {
      inMemory = true;
      continue;
    }
    if (arg !== '-c' && arg !== '--context') throw new Error(`unknown option ${arg} (${START_USAGE})`);
    const pair = args[++i];
    const eq = pair?.indexOf('=') ?? -1;
    if (pair === undefined || eq < 1)
      throw new Error(
        `${arg} takes key=value, got ${pair === undefined ? 'nothing' : pair} (${START_USAGE})`,
      );
    context[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { inMemory, context };
}
