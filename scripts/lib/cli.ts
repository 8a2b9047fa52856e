/** What the CLI scripts share: their io, parsing with usage errors, --help, and running as the process. */
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** A CLI's view of the process, so that tests can call its `main` with their own. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
}

/** A CLI that reads the local runtime's description. */
export interface RuntimeFileIo extends CliIo {
  /** @default '.local/runtime.json' */
  runtimeFile?: string;
}

/** A mistake on the command line: like any error, it ends the run as one line on stderr, exit code 1. */
export class UsageError extends Error {}

export const consoleIo = (): CliIo => ({
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  env: process.env,
});

/** `parseArgs`, an unknown or malformed flag thrown as a UsageError. */
export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const firstLine = (text: string) => text.split('\n')[0] ?? text;

/** An error's name (unless a plain Error) and the first line of its message, e.g. for an SDK error. */
export function errorLine(error: unknown): string {
  const { name, message } = error as Error;
  return `${name === 'Error' ? '' : `${name}: `}${firstLine(message)}`;
}

/**
 * A CLI's `main`, minus what each one does: parses `argv`, prints `usage` on --help, else runs;
 * an error becomes the first line of its message on stderr and exit code 1.
 */
export async function runCli<P extends { values: { help?: boolean | undefined } }>(
  argv: string[],
  io: CliIo,
  cli: { usage: string; parse: (argv: string[]) => P },
  run: (parsed: P) => Promise<number>,
): Promise<number> {
  try {
    const parsed = cli.parse(argv);
    if (parsed.values.help) {
      io.out(cli.usage);
      return 0;
    }
    return await run(parsed);
  } catch (error) {
    io.err(firstLine((error as Error).message));
    return 1;
  }
}

/**
 * Runs `main` with the real process when `mod` is the entry point (not when a test imports it);
 * its result is the exit code, and a rejection is printed as its message, exit code 1.
 */
export function runWhenMain(
  mod: NodeModule,
  main: (argv: string[], io: CliIo) => number | Promise<number>,
): void {
  if (require.main !== mod) return;
  Promise.resolve(main(process.argv.slice(2), consoleIo())).then(
    (code) => {
      process.exitCode = code;
    },
    (error: Error) => {
      console.error(error.message);
      process.exitCode = 1;
    },
  );
}
