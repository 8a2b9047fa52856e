// One warm "Lambda execution environment": imports a bundle, invokes its handler the way the
// Lambda runtime does, one event at a time: `warmup` invocations first (V8 keeps optimising
// for a few thousand), then `measured` ones, each timed with this process's CPU time
// (process.cpuUsage: the stub AWS endpoint runs in another process). Plain JavaScript so that
// nothing transforms the bundle.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [bundleUrl, eventsFile, warmupArg, measuredArg] = process.argv.slice(2);
const warmup = Number(warmupArg);
const measured = Number(measuredArg);
const events = JSON.parse(readFileSync(eventsFile, 'utf8'));
const context = () => ({
  awsRequestId: randomUUID(),
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  getRemainingTimeInMillis: () => 10_000,
  callbackWaitsForEmptyEventLoop: true,
});
// A result that is not a success (e.g. a 401 for a wrong token) would make the figures
// meaningless: count them.
const ok = (result) =>
  result?.statusCode !== undefined
    ? result.statusCode === 200
    : (result?.batchItemFailures ?? []).length === 0;

const { handler } = await import(bundleUrl);
let failures = 0;
for (let i = 0; i < warmup; i++) {
  if (!ok(await handler(events[i % events.length], context()))) failures++;
}
const latencyMs = new Array(measured);
const cpuUs = new Array(measured);
for (let i = 0; i < measured; i++) {
  const ctx = context();
  const event = events[(warmup + i) % events.length];
  const cpu = process.cpuUsage();
  const start = performance.now();
  const result = await handler(event, ctx);
  latencyMs[i] = performance.now() - start;
  const { user, system } = process.cpuUsage(cpu);
  cpuUs[i] = user + system;
  if (!ok(result)) failures++;
}
process.send({ node: process.version, latencyMs, cpuUs, failures }, () => process.exit(0));
