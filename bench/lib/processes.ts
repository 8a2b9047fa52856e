/**
 * Every process and server the benchmark starts is registered here, so that a normal end,
 * an error or Ctrl-C (SIGINT/SIGTERM) stops all of them: children by their own pid, servers
 * and the local runtime through their stop functions.
 */
import { type ChildProcess, type ForkOptions, fork, type SpawnOptions, spawn } from 'node:child_process';

const children = new Set<ChildProcess>();
const stoppers = new Set<() => Promise<void>>();
let stopping = false;

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function spawnTracked(command: string, args: string[], options: SpawnOptions): ChildProcess {
  return track(spawn(command, args, options));
}

export function forkTracked(modulePath: string, args: string[], options: ForkOptions): ChildProcess {
  return track(fork(modulePath, args, options));
}

/** Registers a cleanup (a server's close, the local runtime's stop); returns its unregister. */
export function onCleanup(stop: () => Promise<void>): () => void {
  stoppers.add(stop);
  return () => stoppers.delete(stop);
}

/** Stops everything still running: registered cleanups first, then any child left, by pid. */
export async function cleanup(): Promise<void> {
  for (const stop of [...stoppers].reverse()) {
    stoppers.delete(stop);
    await stop().catch(() => {});
  }
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

export class Interrupted extends Error {
  override name = 'Interrupted';
}

export const isInterrupted = () => stopping;

/** Throws once a signal has asked the benchmark to stop, so that no partial figures are written. */
export function throwIfInterrupted(): void {
  if (stopping) throw new Interrupted('interrupted');
}

/** On SIGINT/SIGTERM: clean up, then exit with the signal's conventional code. */
export function cleanupOnSignals(log: (line: string) => void): void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`\n${signal}: stopping every process the benchmark started…`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

/** Runs a child to its end and returns its stdout; rejects on a non-zero exit, with its stderr. */
export function runToEnd(
  command: string,
  args: string[],
  options: SpawnOptions & { timeoutMs: number },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnTracked(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr?.on('data', (d: Buffer) => {
      err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')} exited ${code ?? signal}: ${err.slice(-2000)}`));
    });
  });
}
