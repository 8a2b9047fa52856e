// One local "Lambda function": a child process that imports the function's bundle exactly as
// CDK built it for Lambda, with the environment the stack gives it, and serves invocations
// sent by the parent over IPC. Plain JavaScript so that nothing transforms the bundle.
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const { LOCAL_LAMBDA_BUNDLE, LOCAL_LAMBDA_HANDLER, AWS_LAMBDA_FUNCTION_NAME, LOCAL_LAMBDA_TIMEOUT_MS } =
  process.env;
const [file, exportName] = [LOCAL_LAMBDA_BUNDLE, LOCAL_LAMBDA_HANDLER ?? 'handler'];

const serialiseError = (error) => ({
  errorType: error?.name ?? 'Error',
  errorMessage: error?.message ?? String(error),
});

// The parent gone (killed, crashed): nobody can invoke this worker any more, so it ends.
process.on('disconnect', () => process.exit(0));

try {
  const module = await import(pathToFileURL(file).href);
  const handler = module[exportName];
  if (typeof handler !== 'function') throw new Error(`${file} exports no function ${exportName}`);
  process.on('message', async ({ id, event }) => {
    const deadline = Date.now() + Number(LOCAL_LAMBDA_TIMEOUT_MS ?? 30000);
    const context = {
      awsRequestId: randomUUID(),
      functionName: AWS_LAMBDA_FUNCTION_NAME,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      callbackWaitsForEmptyEventLoop: true,
    };
    const started = performance.now();
    try {
      const result = await handler(event, context);
      process.send({ id, result, durationMs: performance.now() - started });
    } catch (error) {
      process.send({ id, error: serialiseError(error), durationMs: performance.now() - started });
    }
  });
  process.send({ ready: true });
} catch (error) {
  process.send({ initError: serialiseError(error) });
  process.exitCode = 1;
}
