/**
 * Runs a bundled Lambda function in its own child process (its own environment and module
 * state, as on Lambda), invoked by the parent like the Lambda service would: one event in,
 * one result or error out, with the function's timeout.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

export interface LocalFunctionOptions {
  name: string;
  /** Path of the bundled entry (e.g. cdk.out/asset.<hash>/index.mjs). */
  bundlePath: string;
  handlerExport?: string;
  environment: Record<string, string>;
  timeoutMs: number;
  /** Where the function's stdout/stderr (its JSON logs) go. */
  logFile: string;
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
  invoke<T = unknown>(event: unknown): Promise<T>;
  stop(): Promise<void>;
}

type Reply = { id: number; result?: unknown; error?: { errorType: string; errorMessage: string } };

export async function startFunction(options: LocalFunctionOptions): Promise<LocalFunction> {
  const log = createWriteStream(options.logFile, { flags: 'a' });
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
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);

  const pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  await new Promise<void>((resolve, reject) => {
    const onMessage = (message: { ready?: boolean; initError?: { errorMessage: string } }) => {
      if (message.ready) resolve();
      else if (message.initError)
        reject(new Error(`${options.name} failed to start: ${message.initError.errorMessage}`));
    };
    child.on('message', onMessage);
    child.once('exit', (code) =>
      reject(new Error(`${options.name} exited during init (code ${code}); see ${options.logFile}`)),
    );
  });

  child.on('message', (message: Reply) => {
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    clearTimeout(waiter.timer);
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

  return {
    name: options.name,
    invoke<T>(event: unknown): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(
            new FunctionError('Sandbox.Timedout', `${options.name} timed out after ${options.timeoutMs} ms`),
          );
        }, options.timeoutMs);
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
        // A worker gone (e.g. killed by the terminal's Ctrl-C) fails the invocation, not the process.
        child.send({ id, event }, (error) => {
          if (!error || !pending.delete(id)) return;
          clearTimeout(timer);
          reject(new FunctionError('Runtime.ExitError', `${options.name} is not running`));
        });
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(force);
      }
      log.end();
    },
  };
}
