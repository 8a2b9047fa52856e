/**
 * What the CLI scripts share: their io, one parser and one wording for mistakes, a help laid out
 * the same way for every tool, the local mode they need, and running as the process.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { quietSdkNodeWarning } from '../../local/node-support';
import {
  NOT_RUNNING,
  type RuntimeFile,
  RuntimeFileError,
  requireRuntimeFile,
} from '../../local/runtime-file';

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

/**
 * A mistake on the command line. `runCli` prints it as `npm run <tool>: <message> (see npm run
 * <tool> -- --help)`, exit code 1, so that the message itself says only what is wrong.
 */
export class UsageError extends Error {}

export const consoleIo = (): CliIo => ({
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  env: process.env,
});

/** The long name of the last `--option` a parseArgs message quotes (`'-h, --help'` → `--help`). */
function quotedOption(message: string): string {
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  return quoted.match(/--?[\w-]+/g)?.at(-1) ?? quoted;
}

/** parseArgs's messages, said in the tools' own plain words (the option named, no advice on quoting). */
function plainParseError(error: Error & { code?: string }): string {
  const { message } = error;
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quotedOption(message)}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? ''}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const option = quotedOption(message);
      if (message.includes('does not take an argument')) return `${option} takes no value`;
      if (message.includes('ambiguous'))
        return `${option} needs a value (for one that starts with a dash, write ${option}=-VALUE)`;
      return `${option} needs a value`;
    }
    default:
      return message.split('\n')[0] ?? message;
  }
}

/**
 * `--answer-within -5` joined into `--answer-within=-5`: parseArgs refuses a value that starts
 * with a dash as ambiguous, and the option's own check then says plainly why -5 is wrong.
 */
function joinNegativeValues(args: readonly string[], options: ParseArgsConfig['options']): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined;
    if (name && options?.[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** `parseArgs` (strict), an unknown or malformed flag thrown as a UsageError in plain words. */
export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    const args = joinNegativeValues(config.args ?? process.argv.slice(2), config.options);
    return parseArgs({ ...config, args }) as ReturnType<typeof parseArgs<T>>;
  } catch (error) {
    throw new UsageError(plainParseError(error as Error & { code?: string }));
  }
}

const firstLine = (text: string) => text.split('\n')[0] ?? text;

/** An error's name (unless a plain Error) and the first line of its message, e.g. for an SDK error. */
export function errorLine(error: unknown): string {
  const { name, message } = error as Error;
  return `${name === 'Error' ? '' : `${name}: `}${firstLine(message)}`;
}

/** One option of a tool: what parseArgs needs, and how the help shows it. */
export interface CliOption {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  default?: string | boolean | string[] | boolean[];
  /** The value's placeholder in the help, e.g. `NAME`. @default 'VALUE' for a string */
  value?: string;
  /** What it does; each `\n` starts a continuation line, indented under the first. */
  help: string;
}

export type CliOptions = Record<string, CliOption>;

/** Every tool takes -h/--help. */
const HELP_OPTION = {
  help: { type: 'boolean', short: 'h', help: 'this help' },
} as const satisfies CliOptions;

export type WithHelp<O extends CliOptions> = O & typeof HELP_OPTION;

/** What a tool says about itself: `defineCli` lays every tool's help out the same way from it. */
export interface CliSpec<O extends CliOptions> {
  /** The npm script (`report` for `npm run report`), which also names the tool in its errors. */
  name: string;
  /** The command lines after `Usage: `, one per form. */
  synopsis: readonly string[];
  /** What it does: a paragraph or more, wrapped by hand. */
  about: string;
  options: O;
  /** Whether it takes positional arguments (the synopsis names them). @default false */
  positionals?: boolean;
  /** Further sections after the options, e.g. how a date is read: [title, body]. */
  sections?: readonly (readonly [string, string])[];
  /** The environment variables that change what it does: [name, meaning]. */
  environment?: readonly (readonly [string, string])[];
}

export interface Cli<O extends CliOptions> {
  name: string;
  /** The whole --help text. */
  usage: string;
  options: WithHelp<O>;
  parse(
    argv: string[],
  ): ReturnType<typeof parseArgs<{ args: string[]; options: WithHelp<O>; allowPositionals: boolean }>>;
}

const indent = (text: string, by: number) => text.split('\n').join(`\n${' '.repeat(by)}`);

/** Rows of `name  meaning`, the meanings aligned; a name too long for the column gets its own line. */
function twoColumns(rows: readonly (readonly [string, string])[]): string {
  const width = Math.min(24, Math.max(...rows.map(([name]) => name.length)) + 2);
  return rows
    .map(([name, text]) =>
      name.length + 2 > width
        ? `  ${name}\n${' '.repeat(width + 2)}${indent(text, width + 2)}`
        : `  ${name.padEnd(width)}${indent(text, width + 2)}`,
    )
    .join('\n');
}

function optionName(name: string, option: CliOption): string {
  const flag = `${option.short ? `-${option.short}, ` : ''}--${name}`;
  return option.type === 'string' ? `${flag} ${option.value ?? 'VALUE'}` : flag;
}

/** The help text of a tool, in the layout `npm start --help` and `npm run stop -- --help` use too. */
export function formatHelp<O extends CliOptions>(spec: CliSpec<O>): string {
  const options = { ...spec.options, ...HELP_OPTION } as CliOptions;
  const [first, ...more] = spec.synopsis;
  const parts = [
    `Usage: ${first ?? `npm run ${spec.name}`}${more.map((line) => `\n       ${line}`).join('')}`,
    spec.about,
    `Options:\n${twoColumns(Object.entries(options).map(([name, option]) => [optionName(name, option), option.help]))}`,
    ...(spec.sections ?? []).map(([title, body]) => `${title}:\n${body}`),
    ...(spec.environment && spec.environment.length > 0
      ? [`Environment:\n${twoColumns(spec.environment)}`]
      : []),
  ];
  return parts.join('\n\n');
}

/** A tool's parser and help from one description, so that neither can name an option the other lacks. */
export function defineCli<const O extends CliOptions>(spec: CliSpec<O>): Cli<O> {
  const options = { ...spec.options, ...HELP_OPTION } as WithHelp<O>;
  return {
    name: spec.name,
    usage: formatHelp(spec),
    options,
    parse: (argv) => parseFlags({ args: argv, options, allowPositionals: spec.positionals === true }),
  };
}

/** The environment a tool's `--aws` reads, as the AWS SDK's default chain does: said once for every help. */
export const AWS_ENVIRONMENT = [
  ['AWS_REGION', "with --aws: the deployed stack's region"],
  [
    'AWS_PROFILE',
    'with --aws: the profile of its credentials (any variable of the standard AWS\nenvironment works: AWS_ACCESS_KEY_ID, AWS_SESSION_TOKEN, …)',
  ],
] as const;

/** Whether the arguments ask for the help (before a `--`), whatever else is wrong with them. */
const asksForHelp = (argv: readonly string[]) => {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
};

/** The npm script a usage names (`Usage: npm run calls -- …` → `calls`), for a CLI that does not say. */
const nameFromUsage = (usage: string) => /npm run ([\w:-]+)/.exec(usage)?.[1] ?? 'tool';

/**
 * A CLI's `main`, minus what each one does: prints `usage` on --help (even beside a mistake),
 * else parses `argv` and runs. A UsageError is printed in the one wording every tool uses,
 * `npm run <tool>: <what is wrong> (see npm run <tool> -- --help)`; any other error as the first
 * line of its message; both exit code 1.
 */
export async function runCli<P extends { values: { help?: boolean | undefined } }>(
  argv: string[],
  io: CliIo,
  cli: { usage: string; parse: (argv: string[]) => P; name?: string },
  run: (parsed: P) => Promise<number>,
): Promise<number> {
  const name = cli.name ?? nameFromUsage(cli.usage);
  try {
    if (asksForHelp(argv)) {
      io.out(cli.usage);
      return 0;
    }
    return await run(cli.parse(argv));
  } catch (error) {
    io.err(
      error instanceof UsageError
        ? `npm run ${name}: ${firstLine(error.message)} (see npm run ${name} -- --help)`
        : firstLine((error as Error).message),
    );
    return 1;
  }
}

/**
 * What every tool says when it needs local mode and none runs, `local mode is not running (start
 * it with npm start)`, followed by `orElse`, how to do without it (e.g. `or pass --aws --table
 * NAME`), for a tool that can.
 */
export function localModeNotRunning(orElse?: string): RuntimeFileError {
  return new RuntimeFileError(orElse ? `${NOT_RUNNING}, ${orElse}` : NOT_RUNNING);
}

/** The running local mode's description; when none runs, {@link localModeNotRunning}. */
export function requireLocalMode(runtimeFile: string | undefined, orElse?: string): RuntimeFile {
  try {
    return requireRuntimeFile(runtimeFile);
  } catch (error) {
    if (error instanceof RuntimeFileError && error.message === NOT_RUNNING) throw localModeNotRunning(orElse);
    throw error;
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
  // The SDK's nine-line Node.js notice on every run is noise; `npm start` and README say it once.
  quietSdkNodeWarning();
  // Output piped into a reader that stopped (`npm run tail | head -1`): that is the end, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
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
