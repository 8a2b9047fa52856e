// One cold start, in a fresh process: imports the bundle (timed: the module's own load, parse
// and top-level code, i.e. the function's part of Lambda's INIT), then invokes its handler
// once (timed, with this process's CPU time) the way the Lambda runtime would, and prints
// one JSON line. Plain JavaScript so that nothing transforms it or loads before it.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [bundleUrl, eventsFile, indexArg] = process.argv.slice(2);
const start = performance.now();
const { handler } = await import(bundleUrl);
const importMs = performance.now() - start;

const events = JSON.parse(readFileSync(eventsFile, 'utf8'));
const event = events[Number(indexArg) % events.length];
const context = {
  awsRequestId: randomUUID(),
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  getRemainingTimeInMillis: () => 10_000,
  callbackWaitsForEmptyEventLoop: true,
};
const cpu = process.cpuUsage();
const invokeStart = performance.now();
const result = await handler(event, context);
const firstMs = performance.now() - invokeStart;
const { user, system } = process.cpuUsage(cpu);
const ok =
  result?.statusCode !== undefined
    ? result.statusCode === 200
    : (result?.batchItemFailures ?? []).length === 0;
process.stderr.write(
  `${JSON.stringify({ importMs, firstMs, firstCpuUs: user + system, ok, node: process.version })}\n`,
);
// The SDK keeps its connection alive: end here, as Lambda would freeze the environment.
process.exit(0);
