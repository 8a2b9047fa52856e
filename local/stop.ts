/**
 * `npm run stop`: stops the local mode of this checkout from another terminal, as Ctrl-C in its
 * own would (it marks `.local/runtime.json` stopped and stops its emulator and functions), and
 * waits until it is gone. With none running it says so, and stops a DynamoDB Local that a killed
 * local mode may have left behind.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stopLeftover } from './dynamodb-local';
import { localModeRuns, runningLocalMode } from './instance-lock';
import { NOT_RUNNING } from './runtime-file';

export const STOP_HELP = `Usage: npm run stop [-- --state-dir DIR]

Stops the local mode running in this checkout (started with npm start), as Ctrl-C in its
terminal would, and waits until it has stopped (at most 20 s, then it is killed).

Options:
  --state-dir DIR   the local mode's directory (default .local)
  -h, --help        this help`;

export interface StopIo {
  out(line: string): void;
  err(line: string): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `pid` is no longer a running local mode; false if it still is after `ms`. */
async function gone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!localModeRuns(pid)) return true;
    await sleep(100);
  }
  return !localModeRuns(pid);
}

export async function main(argv: string[], io: StopIo, waitMs = 20_000): Promise<number> {
  let values: { help?: boolean; 'state-dir'?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { help: { type: 'boolean', short: 'h' }, 'state-dir': { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.err(`npm run stop: ${(error as Error).message} (see npm run stop -- --help)`);
    return 1;
  }
  if (values.help) {
    io.out(STOP_HELP);
    return 0;
  }
  const stateDir = resolve(values['state-dir'] ?? '.local');
  const running = runningLocalMode(stateDir);
  if (!running || running.pid === process.pid) {
    const leftover = await stopLeftover(join(stateDir, 'dynamodb'));
    io.out(
      leftover === undefined
        ? NOT_RUNNING
        : `${NOT_RUNNING}; stopped DynamoDB Local (pid ${leftover}) that a killed one had left running`,
    );
    return 0;
  }
  process.kill(running.pid, 'SIGTERM');
  if (await gone(running.pid, waitMs)) {
    io.out(`stopped local mode (PID ${running.pid})`);
    return 0;
  }
  process.kill(running.pid, 'SIGKILL');
  await stopLeftover(join(stateDir, 'dynamodb'));
  io.err(`local mode (PID ${running.pid}) did not stop within ${waitMs / 1000} s: killed it`);
  return 1;
}

if (require.main === module) {
  main(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l) }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: Error) => {
      console.error(`npm run stop: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
