/**
 * Every tool in scripts/ answers the same way: `--help` (and `-h`) exits 0 with a usage that names
 * each of its options and the environment that matters to it, and a mistake on the command line
 * exits 1 with one line, `npm run <tool>: <what is wrong> (see npm run <tool> -- --help)`. The
 * tools are found in the folder, so that a new one cannot be left out; and the shared parser's
 * plain words are checked once here.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Cli, type CliIo, type CliOptions, defineCli, runCli } from '../../scripts/lib/cli';

const ROOT = join(__dirname, '..', '..');
const SCRIPTS = join(ROOT, 'scripts');
const npmScripts = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;

interface ToolModule {
  main?: (argv: string[], io: CliIo & { runtimeFile?: string }) => number | Promise<number>;
  CLI?: Cli<CliOptions>;
}

/** The npm script that runs a file of scripts/, as package.json has it. */
const npmNameOf = (file: string) =>
  Object.entries(npmScripts).find(([, command]) => command === `tsx scripts/${file}`)?.[0];

const files = readdirSync(SCRIPTS).filter((file) => file.endsWith('.ts'));
// Written elsewhere on its own parser description: checked on what every tool answers, not its option list.
const WITHOUT_CLI_EXPORT = new Set(['tail.ts']);

const AWS = ['AWS_REGION', 'AWS_PROFILE'];
/** The variables each tool reads, which its help must list under "Environment". */
/** Pseudonymous mode's key: its secret with --aws, or the variable local mode took it from. */
const KEY = ['CUSTOMER_NUMBER_KEY_SECRET_ARN', 'CUSTOMER_NUMBER_KEY'];
const ENVIRONMENT: Record<string, string[]> = {
  calls: ['CALL_EVENTS_TABLE', 'CALLS_TABLE', ...KEY, ...AWS],
  missed: [...KEY, ...AWS],
  indexes: AWS,
  report: AWS,
  republish: AWS,
  'requeue-rejected': AWS,
  crm: ['CRM_CLIENT_SECRET', ...AWS],
  forget: ['CALL_EVENTS_TABLE', 'CALLS_TABLE', 'REJECTED_EVENTS_TABLE', ...KEY, ...AWS],
  load: ['WEBHOOK_TOKEN', ...AWS],
  simulate: ['WEBHOOK_URL', 'WEBHOOK_TOKEN'],
  send: ['WEBHOOK_URL', 'WEBHOOK_TOKEN'],
  console: ['CONSOLE_PORT'],
};

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    out: (line: string) => out.push(line),
    err: (line: string) => err.push(line),
    env: {},
    runtimeFile: join(ROOT, 'no-such-dir', 'runtime.json'),
  };
  return { io, out, err };
}

const tools = files.map((file) => {
  const module = require(join(SCRIPTS, file)) as ToolModule;
  return { file, name: npmNameOf(file) as string, module };
});

describe('the tools of scripts/', () => {
  it('are each an npm script with a main, and describe themselves with defineCli', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const tool of tools) {
      expect({ file: tool.file, npm: tool.name !== undefined }).toEqual({ file: tool.file, npm: true });
      expect({ file: tool.file, main: typeof tool.module.main }).toEqual({
        file: tool.file,
        main: 'function',
      });
      if (!WITHOUT_CLI_EXPORT.has(tool.file))
        expect({ file: tool.file, cli: tool.module.CLI?.name }).toEqual({ file: tool.file, cli: tool.name });
    }
  });

  it.each(tools.map((t) => [t.name, t] as const))('npm run %s -- --help', async (name, tool) => {
    for (const flag of ['--help', '-h']) {
      const { io, out, err } = capture();
      expect(await tool.module.main?.([flag], io)).toBe(0);
      expect(err).toEqual([]);
      const usage = out.join('\n');
      expect(usage).toMatch(new RegExp(`^Usage: npm run ${name}\\b`));
      const options = tool.module.CLI?.options ?? {};
      for (const option of Object.keys(options)) expect(usage).toMatch(new RegExp(`--${option}\\b`));
      const environment = usage.slice(usage.indexOf('\nEnvironment:\n'));
      for (const variable of ENVIRONMENT[name] ?? [])
        expect(environment).toMatch(new RegExp(`\\n  ${variable}\\b`));
      if ('aws' in options) expect(ENVIRONMENT[name]).toEqual(expect.arrayContaining(AWS));
      if ('from' in options) {
        expect(usage).toContain("--to's day included");
        expect(usage).toContain('add Z or an offset');
      }
    }
  });

  it.each(tools.map((t) => [t.name, t] as const))(
    'npm run %s refuses an unknown option, naming it',
    async (name, tool) => {
      const { io, out, err } = capture();
      expect(await tool.module.main?.(['--no-such-option'], io)).toBe(1);
      expect(out).toEqual([]);
      expect(err).toEqual([
        `npm run ${name}: unknown option --no-such-option (see npm run ${name} -- --help)`,
      ]);
    },
  );

  it.each(tools.filter((t) => t.module.CLI).map((t) => [t.name, t] as const))(
    'npm run %s says which option lacks its value',
    async (name, tool) => {
      const option = Object.entries(tool.module.CLI?.options ?? {}).find(([, o]) => o.type === 'string')?.[0];
      if (option === undefined) return;
      const { io, err } = capture();
      expect(await tool.module.main?.([`--${option}`], io)).toBe(1);
      expect(err).toEqual([`npm run ${name}: --${option} needs a value (see npm run ${name} -- --help)`]);
    },
  );

  it('answers --help from the command line too, where npm runs it (npm run console -- --help)', () => {
    const tsx = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', tsx, join(SCRIPTS, 'console.ts'), ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
    const help = run('--help');
    expect({ status: help.status, stderr: help.stderr }).toEqual({ status: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: npm run console/);
    expect(help.stdout).toContain('--writable');
    const unknown = run('--nope');
    expect({ status: unknown.status, stdout: unknown.stdout }).toEqual({ status: 1, stdout: '' });
    expect(unknown.stderr).toBe('npm run console: unknown option --nope (see npm run console -- --help)\n');
  });
});

describe('the one parser', () => {
  const cli = defineCli({
    name: 'probe',
    synopsis: ['npm run probe -- [--within S] [--json]'],
    about: 'A tool for these tests.',
    options: {
      within: { type: 'string', value: 'S', help: 'seconds' },
      json: { type: 'boolean', default: false, help: 'JSON' },
    },
  });
  const run = async (argv: string[]) => {
    const { io, out, err } = capture();
    let seen: unknown;
    const code = await runCli(argv, io, cli, async (parsed) => {
      seen = parsed.values;
      return 0;
    });
    return { code, out, err, seen };
  };
  const mistake = (what: string) => `npm run probe: ${what} (see npm run probe -- --help)`;

  it('takes a negative number as a value, for the option to judge it', async () => {
    expect((await run(['--within', '-5'])).seen).toMatchObject({ within: '-5' });
    expect((await run(['--within=-5'])).seen).toMatchObject({ within: '-5' });
  });

  it('says each kind of mistake in plain words', async () => {
    expect((await run(['--within'])).err).toEqual([mistake('--within needs a value')]);
    expect((await run(['--within', '--json'])).err).toEqual([
      mistake('--within needs a value (for one that starts with a dash, write --within=-VALUE)'),
    ]);
    expect((await run(['--json=yes'])).err).toEqual([mistake('--json takes no value')]);
    expect((await run(['stray'])).err).toEqual([mistake('unexpected argument stray')]);
    expect((await run(['-x'])).err).toEqual([mistake('unknown option -x')]);
  });

  it('answers --help even beside a mistake, and lists -h, --help with the options', async () => {
    const { code, out } = await run(['--nope', '--help']);
    expect(code).toBe(0);
    expect(out.join('\n')).toContain('  -h, --help  this help');
    expect(out.join('\n')).toContain('  --within S  seconds');
  });

  it('gives a tool written on the older shape, a usage and a parse, the same wording', async () => {
    const { io, err } = capture();
    const code = await runCli(
      ['--nope'],
      io,
      { usage: 'Usage: npm run older -- [--x]', parse: cli.parse },
      async () => 0,
    );
    expect(code).toBe(1);
    expect(err).toEqual(['npm run older: unknown option --nope (see npm run older -- --help)']);
  });
});
