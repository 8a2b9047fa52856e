/**
 * Runs a bundled Lambda function in its own child process (its own environment and module
 * state, as on Lambda), invoked by the parent like the Lambda service would: one event in,
 * one result or error out, with the function's timeout. A worker that dies is replaced at
 * once, as Lambda replaces a crashed execution environment; the invocations it was serving
 * fail with `Runtime.ExitError`, like any failed invocation, and their callers retry them.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { type BoundedAppender, createBoundedAppender } from './bounded-file';

export interface LocalFunctionOptions {
  name: string;
  /** Path of the bundled entry (e.g. cdk.out/asset.<hash>/index.mjs). */
  bundlePath: string;
  handlerExport?: string;
  environment: Record<string, string>;
  timeoutMs: number;
  /** Where the function's stdout/stderr (its JSON logs) go. */
  logFile: string;
  /** Told once per worker that died and was replaced (or could not be). @default nothing */
  onWorkerExit?: (message: string) => void;
  /**
   * Told when a dead worker could not be replaced (its replacement failed to start): the
   * function is then gone for good. @default nothing
   */
  onFatal?: (message: string) => void;
  /** Told after each invocation how long the handler ran, as Lambda bills it (ms, unrounded). @default nothing */
  onInvoked?: (durationMs: number) => void;
}

export class FunctionError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message);
    this.name = 'FunctionError';
  }
}

export interface LocalFunction {
  name: string;
  /** The current worker's process id (it changes when a dead worker is replaced). */
  pid(): number | undefined;
  /** How many dead workers have been replaced. */
  restarts(): number;
  invoke<T = unknown>(event: unknown): Promise<T>;
  stop(): Promise<void>;
}

type Reply = {
  id: number;
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
  /** How long the handler ran, measured in the worker. */
  durationMs?: number;
};
type Waiter = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

interface Worker {
  child: ChildProcess;
  pending: Map<number, Waiter>;
  exited: Promise<void>;
}

/** Starts one worker process and resolves once the bundle is imported (its init is done). */
async function startWorker(options: LocalFunctionOptions, log: BoundedAppender): Promise<Worker> {
  const child: ChildProcess = fork(join(__dirname, 'lambda-worker.mjs'), [], {
    env: {
      PATH: process.env.PATH ?? '',
      ...options.environment,
      AWS_LAMBDA_FUNCTION_NAME: options.name,
      LOCAL_LAMBDA_BUNDLE: options.bundlePath,
      LOCAL_LAMBDA_HANDLER: options.handlerExport ?? 'handler',
      LOCAL_LAMBDA_TIMEOUT_MS: String(options.timeoutMs),
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    execArgv: [],
    // Its own process group: a terminal's Ctrl-C reaches the parent, which stops it in order,
    // not every worker at once in the middle of an invocation.
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) if (stream) appendLines(stream, log);
  const pending = new Map<number, Waiter>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  await new Promise<void>((resolve, reject) => {
    const onMessage = (message: { ready?: boolean; initError?: { errorMessage: string } }) => {
      if (message.ready) resolve();
      else if (message.initError)
        reject(new Error(`${options.name} failed to start: ${message.initError.errorMessage}`));
    };
    child.on('message', onMessage);
    child.once('exit', (code, signal) =>
      reject(
        new Error(`${options.name} exited during init (${signal ?? `code ${code}`}); see ${options.logFile}`),
      ),
    );
  });

  child.on('message', (message: Reply) => {
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    clearTimeout(waiter.timer);
    if (message.durationMs !== undefined) options.onInvoked?.(message.durationMs);
    if (message.error) waiter.reject(new FunctionError(message.error.errorType, message.error.errorMessage));
    else waiter.resolve(message.result);
  });
  child.on('exit', () => {
    for (const waiter of pending.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(new FunctionError('Runtime.ExitError', `${options.name} exited`));
    }
    pending.clear();
  });
  return { child, pending, exited };
}

/**
 * A worker's output into the function's log file a whole line at a time, so that rotating the
 * file (past its size bound) never splits a JSON log line in two.
 */
function appendLines(stream: NodeJS.ReadableStream, log: BoundedAppender): void {
  let partial = '';
  const append = (text: string) => void log.append(text).catch(() => {});
  stream.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const end = text.lastIndexOf('\n') + 1;
    partial = text.slice(end);
    if (end > 0) append(text.slice(0, end));
  });
  stream.on('end', () => {
    if (partial) append(`${partial}\n`);
    partial = '';
  });
}

const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

export async function startFunction(options: LocalFunctionOptions): Promise<LocalFunction> {
  const log = createBoundedAppender(options.logFile);
  let nextId = 1;
  let stopping = false;
  let restarts = 0;
  let fatal: Error | undefined;
  let current: Worker = await startWorker(options, log);
  /** The replacement being started, which invocations wait for. */
  let replacing: Promise<void> | undefined;

  const supervise = (worker: Worker) => {
    worker.child.once('exit', (code, signal) => {
      if (stopping || worker !== current) return;
      const how = signal ?? `code ${code}`;
      replacing = startWorker(options, log).then(
        (next) => {
          restarts += 1;
          current = next;
          replacing = undefined;
          supervise(next);
          options.onWorkerExit?.(
            `${options.name}: its worker (pid ${worker.child.pid}) died (${how}); replaced by pid ${next.child.pid}, as Lambda replaces a crashed environment`,
          );
        },
        (error: Error) => {
          fatal = error;
          replacing = undefined;
          options.onFatal?.(
            `${options.name}: its worker (pid ${worker.child.pid}) died (${how}) and could not be replaced: ${error.message}`,
          );
        },
      );
    });
  };
  supervise(current);

  return {
    name: options.name,
    pid: () => current.child.pid,
    restarts: () => restarts,
    async invoke<T>(event: unknown): Promise<T> {
      if (replacing) await replacing;
      if (fatal) throw new FunctionError('Runtime.ExitError', `${options.name} is not running`);
      const { child, pending } = current;
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(
            new FunctionError('Sandbox.Timedout', `${options.name} timed out after ${options.timeoutMs} ms`),
          );
        }, options.timeoutMs);
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
        if (!alive(child) || !child.connected) {
          pending.delete(id);
          clearTimeout(timer);
          reject(new FunctionError('Runtime.ExitError', `${options.name} is not running`));
          return;
        }
        child.send({ id, event }, (error) => {
          if (!error || !pending.delete(id)) return;
          clearTimeout(timer);
          reject(new FunctionError('Runtime.ExitError', `${options.name} is not running`));
        });
      });
    },
    async stop() {
      stopping = true;
      await replacing?.catch(() => {});
      const { child, exited } = current;
      if (alive(child)) {
        child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(force);
      }
    },
  };
}
