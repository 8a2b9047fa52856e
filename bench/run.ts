/**
 * `npm run bench`: bundles the functions as CDK does (and the ingest as pseudonymous mode
 * deploys it), with floors built from the same settings, then measures bundle size, fresh-process import time, first and warm invocation
 * cost, validation throughput, end-to-end throughput through local mode, and the call-centre
 * report over a month of calls in DynamoDB Local against the bare index queries it makes;
 * prints a table, judges the targets and writes bench/results.json. Figures are noisy on a
 * shared machine, so every comparison is a ratio against floors measured in the same run,
 * interleaved.
 *
 * Options: --runs N (cold starts per bundle and Node.js, default 30), --children N (warm
 * children per bundle and Node.js, default 3), --warmup N and --warm N (invocations per child
 * before and while measuring, default 800 each), --e2e-events N (default 2000),
 * --concurrency N (default 16), --no-e2e, --report-calls N (calls in the report's month,
 * default 20000), --report-rounds N (default 5), --no-report, --report-only (only the report
 * phase; its figures replace the `callReport` of bench/results.json, the rest is kept),
 * --cost (only what a million calls cost: bench/lib/cost/; its figures replace `cost`), --no-cost,
 * --cost-calls N (calls of the realistic mix, default 300), --cost-calls-per-length N (default 10).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { type BundleName, buildBundles, type DeployedBundle, ROOT } from './lib/bundles';
import { type CallReportSummary, measureCallReport } from './lib/call-report';
import { measureColdStarts } from './lib/cold-start';
import { COST_DEFAULTS, type CostOptions, formatCost, runCostBench } from './lib/cost/cost-bench';
import { measureEndToEnd } from './lib/e2e';
import {
  apiGatewayEvent,
  callBodies,
  customerNumbersSent,
  exampleBodies,
  lambdaEnvironment,
  scheduledEvent,
  streamBatch,
  withPseudonymKey,
} from './lib/events';
import { measureWarm } from './lib/invoke';
import { nodeBinaries } from './lib/node-versions';
import { cleanup, cleanupOnSignals, isInterrupted, onCleanup, throwIfInterrupted } from './lib/processes';
import { checks, formatCallReport, formatTables, importRatios, judge, pseudonymousCost } from './lib/report';
import { startStubAws } from './lib/stub-aws';
import { measureValidation } from './lib/validation';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    children: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '800' },
    warm: { type: 'string', default: '800' },
    'e2e-events': { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '16' },
    'no-e2e': { type: 'boolean', default: false },
    'report-calls': { type: 'string', default: '20000' },
    'report-rounds': { type: 'string', default: '5' },
    'no-report': { type: 'boolean', default: false },
    'report-only': { type: 'boolean', default: false },
    cost: { type: 'boolean', default: false },
    'no-cost': { type: 'boolean', default: false },
    'cost-calls': { type: 'string', default: String(COST_DEFAULTS.calls) },
    'cost-calls-per-length': { type: 'string', default: String(COST_DEFAULTS.callsPerLength) },
  },
});

const RESULTS_FILE = join(ROOT, 'bench', 'results.json');

const began = Date.now();
const elapsed = () => `${((Date.now() - began) / 1000).toFixed(0)} s`;
const log = (line: string) => process.stderr.write(`${line}\n`);
const phase = (name: string) => log(`[${elapsed()}] ${name}`);

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1]) return match[1].trim();
  } catch {
    // not Linux: fall back to what Node.js reports
  }
  return cpus()[0]?.model ?? 'unknown';
}

function progress(label: string) {
  let last = 0;
  return (done: number, total: number) => {
    const step = Math.floor((done / total) * 10);
    if (step > last || done === total) {
      last = step;
      process.stderr.write(`\r  ${label}: ${done}/${total}${done === total ? '\n' : ''}`);
    }
  };
}

/** The report phase's settings, checked before any phase runs. */
function reportSettings(): { calls: number; rounds: number } {
  const calls = Number(args['report-calls']);
  const rounds = Number(args['report-rounds']);
  if (!Number.isInteger(calls) || calls < 1 || !Number.isInteger(rounds) || rounds < 1)
    throw new RangeError('--report-calls and --report-rounds take a positive whole number');
  return { calls, rounds };
}

function measureReport(settings: { calls: number; rounds: number }): Promise<CallReportSummary> {
  phase(
    `The call-centre report: ${settings.calls.toLocaleString('en-US')} calls in DynamoDB Local, ${settings.rounds} rounds`,
  );
  return measureCallReport(settings, log);
}

/** The cost phase's settings, checked before any phase runs. */
function costSettings(): CostOptions {
  const calls = Number(args['cost-calls']);
  const callsPerLength = Number(args['cost-calls-per-length']);
  if (!Number.isInteger(calls) || calls < 1 || !Number.isInteger(callsPerLength) || callsPerLength < 1)
    throw new RangeError('--cost-calls and --cost-calls-per-length take a positive whole number');
  return { ...COST_DEFAULTS, calls, callsPerLength };
}

/** The cost phase: measured, merged into results.json as `cost` (the rest kept), printed. */
async function measureCost(settings: CostOptions): Promise<void> {
  phase(`What a million calls cost: ${settings.calls} calls through local mode, every billable unit counted`);
  const cost = await runCostBench(settings, log);
  throwIfInterrupted();
  const previous = existsSync(RESULTS_FILE) ? JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) : {};
  writeFileSync(RESULTS_FILE, `${JSON.stringify({ ...previous, cost }, null, 2)}\n`);
  process.stdout.write(`\n${formatCost(cost)}\n\nFigures in bench/results.json, cost (${elapsed()}).\n`);
}

/** `--report-only`: the report phase alone; the other phases' figures in results.json stay as they were. */
async function reportOnly(): Promise<void> {
  try {
    const callReport = await measureReport(reportSettings());
    throwIfInterrupted();
    const previous = existsSync(RESULTS_FILE) ? JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) : {};
    writeFileSync(RESULTS_FILE, `${JSON.stringify({ ...previous, callReport }, null, 2)}\n`);
    process.stdout.write(
      `\n${formatCallReport(callReport)}\n\nFigures in bench/results.json, callReport (${elapsed()}).\n`,
    );
    if (!callReport.ok) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

async function main(): Promise<void> {
  cleanupOnSignals(log);
  if (args['report-only']) return reportOnly();
  if (args.cost) {
    try {
      return await measureCost(costSettings());
    } finally {
      await cleanup();
    }
  }
  const cost = args['no-cost'] ? undefined : costSettings();
  const report = args['no-report'] ? undefined : reportSettings();
  const tmpDir = join(ROOT, 'bench', 'tmp', `run-${process.pid}`);
  rmSync(tmpDir, { recursive: true, force: true });
  mkdirSync(tmpDir, { recursive: true });
  // Registered first, so it runs last: after every process using the directory has stopped.
  onCleanup(async () => rmSync(tmpDir, { recursive: true, force: true }));
  try {
    const nodes = await nodeBinaries(log);
    log(
      `Node.js: ${nodes.map((n) => `${n.version} (${n.source}: ${relative(ROOT, n.path) || n.path})`).join(', ')}`,
    );
    const token = randomBytes(24).toString('base64url');
    const tokenSha256 = createHash('sha256').update(token).digest('hex');

    phase('Building the bundles');
    const bundles = buildBundles(tmpDir, tokenSha256, log);

    const stub = await startStubAws();
    const env = (name: string, fn: DeployedBundle) => lambdaEnvironment(name, bundles.env[fn], stub.endpoint);
    // Pseudonymous mode's key as local mode gives it, 64 characters as the stack's secret has.
    const pseudonymKey = randomBytes(48).toString('base64url');
    const path = (name: BundleName) => bundles.byName[name].path;
    const envOf: Record<Exclude<BundleName, 'validation-worker'>, Record<string, string>> = {
      hello: env('hello', 'ingest'),
      intl: env('intl', 'ingest'),
      'put-item': env('put-item', 'ingest'),
      'put-item-runtime-sdk': env('put-item-runtime-sdk', 'ingest'),
      'ingest-without-secrets-manager': env('ingest-without-secrets-manager', 'ingest'),
      ingest: env('ingest', 'ingest'),
      'ingest-pseudonymous': lambdaEnvironment(
        'ingest-pseudonymous',
        withPseudonymKey(bundles.env['ingest-pseudonymous'], pseudonymKey),
        stub.endpoint,
      ),
      'put-events': env('put-events', 'publish'),
      publish: env('publish', 'publish'),
      'get-query-put-query': env('get-query-put-query', 'project'),
      project: env('project', 'project'),
      'query-query': env('query-query', 'sweep'),
      sweep: env('sweep', 'sweep'),
    };

    // Realistic events: the spec's examples in API Gateway proxy events, and stream batches of
    // what ingest stores for them (8 records, one per HookType).
    const timeZone = bundles.env.ingest.CALL_TIME_ZONE ?? 'Europe/Moscow';
    const apiEventsFile = join(tmpDir, 'api-events.json');
    const batchesFile = join(tmpDir, 'stream-batches.json');
    writeFileSync(
      apiEventsFile,
      JSON.stringify(exampleBodies(8).map((body) => apiGatewayEvent(body, token))),
    );
    writeFileSync(
      batchesFile,
      JSON.stringify(Array.from({ length: 16 }, () => streamBatch(exampleBodies(1), timeZone))),
    );
    // The projector's: one answered call's stream records a batch; Query answers its stored events.
    const callBatchesFile = join(tmpDir, 'call-batches.json');
    const callBatches = Array.from({ length: 16 }, () => streamBatch(callBodies(), timeZone));
    for (const batch of callBatches) {
      const sessionId = batch.Records[0]?.dynamodb?.Keys?.SessionID?.S ?? '';
      stub.queryItems.set(
        sessionId,
        batch.Records.map((r) => r.dynamodb?.NewImage),
      );
    }
    writeFileSync(callBatchesFile, JSON.stringify(callBatches));
    // The sweep's: the scheduled event its rule sends (the sweep reads nothing of it); the stub's
    // index Queries find nothing open or pending.
    const scheduleFile = join(tmpDir, 'schedule-events.json');
    writeFileSync(scheduleFile, JSON.stringify([scheduledEvent()]));
    const eventsFile = (name: BundleName) =>
      name === 'publish' || name === 'put-events'
        ? batchesFile
        : name === 'project' || name === 'get-query-put-query'
          ? callBatchesFile
          : name === 'sweep' || name === 'query-query'
            ? scheduleFile
            : apiEventsFile;

    phase(`Cold starts: ${args.runs} fresh processes per bundle and Node.js, interleaved`);
    const coldOrder = [
      'hello',
      'intl',
      'put-item',
      'ingest',
      'ingest-without-secrets-manager',
      'ingest-pseudonymous',
      'put-item-runtime-sdk',
      'put-events',
      'publish',
      'get-query-put-query',
      'project',
      'query-query',
      'sweep',
    ] as const;
    const coldStarts = await measureColdStarts(
      nodes,
      coldOrder.map((name) => ({ name, path: path(name), env: envOf[name], eventsFile: eventsFile(name) })),
      Number(args.runs),
      progress('cold starts'),
    );

    phase(
      `Warm invocations: ${args.children} children per bundle and Node.js, ${args.warmup} + ${args.warm} invocations each`,
    );
    const putItem = { 'DynamoDB_20120810.PutItem': 1 };
    const putEvents = { 'AWSEvents.PutEvents': 1 };
    const getQueryPutQuery = {
      'DynamoDB_20120810.GetItem': 1,
      'DynamoDB_20120810.Query': 2,
      'DynamoDB_20120810.PutItem': 1,
    };
    const queryQuery = { 'DynamoDB_20120810.Query': 2 };
    const warmOrder = [
      'hello',
      'put-item',
      'ingest',
      'ingest-pseudonymous',
      'put-events',
      'publish',
      'get-query-put-query',
      'project',
      'query-query',
      'sweep',
    ] as const;
    const calls: Record<(typeof warmOrder)[number], Record<string, number>> = {
      hello: {},
      'put-item': putItem,
      ingest: putItem,
      // The same one PutItem as the plain ingest, of the body with the customer's number pseudonymized.
      'ingest-pseudonymous': putItem,
      'put-events': putEvents,
      publish: putEvents,
      'get-query-put-query': getQueryPutQuery,
      project: getQueryPutQuery,
      'query-query': queryQuery,
      sweep: queryQuery,
    };
    const warm = await measureWarm(
      nodes,
      warmOrder.map((name) => ({
        name,
        path: path(name),
        env: envOf[name],
        eventsFile: eventsFile(name),
        callsPerInvocation: calls[name],
        ...(name === 'ingest-pseudonymous' ? { storedMustNotContain: customerNumbersSent() } : {}),
      })),
      { children: Number(args.children), warmup: Number(args.warmup), measured: Number(args.warm), stub },
      progress('warm children'),
    );
    await stub.close();

    phase('Validation throughput');
    const validation = await measureValidation(nodes, path('validation-worker'));

    let endToEnd: Awaited<ReturnType<typeof measureEndToEnd>> | undefined;
    if (!args['no-e2e']) {
      phase(`End to end through local mode: ${args['e2e-events']} events at concurrency ${args.concurrency}`);
      endToEnd = await measureEndToEnd(
        { events: Number(args['e2e-events']), concurrency: Number(args.concurrency), timeoutMs: 180_000 },
        log,
      );
    }

    const callReport = report ? await measureReport(report) : undefined;

    throwIfInterrupted();
    const ratios = importRatios(coldStarts);
    const pseudonymous = pseudonymousCost(bundles, coldStarts, warm);
    const targets = judge(bundles, ratios, warm, validation);
    const problems = checks(bundles, coldStarts, warm, endToEnd, callReport);
    const results = {
      generatedAt: new Date().toISOString(),
      durationSeconds: Math.round((Date.now() - began) / 1000),
      machine: {
        cpuModel: cpuModel(),
        cores: cpus().length,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        kernel: release(),
      },
      node: {
        orchestrator: process.version,
        measured: nodes.map(({ version, source, path }) => ({ version, source, path })),
        localMode: endToEnd?.node,
      },
      settings: {
        coldStartRuns: Number(args.runs),
        warmChildren: Number(args.children),
        warmupInvocationsPerChild: Number(args.warmup),
        measuredInvocationsPerChild: Number(args.warm),
        ingestEvents:
          'API Gateway REST proxy events, the 8 spec examples with fresh SessionIDs, token in X-Webhook-Token',
        publishEvents: 'DynamoDB stream batches of 8 INSERT records (one per HookType), as stored by ingest',
        pseudonymousIngest: `the ingest's events; its key in CUSTOMER_NUMBER_KEY (no Secrets Manager read), ${bundles.env['ingest-pseudonymous'].DEFAULT_COUNTRY ?? '?'} as DEFAULT_COUNTRY (the stack's)`,
        units: 'bytes; KiB = 1024 bytes; gzip level 9; ms; CPU in µs (process.cpuUsage, user + system)',
      },
      bundles: Object.fromEntries(
        Object.entries(bundles.byName).map(([name, b]) => [
          name,
          {
            bytes: b.bytes,
            gzipBytes: b.gzipBytes,
            packages: b.packages?.slice(0, 15),
            staticExternalImports: b.staticExternalImports,
          },
        ]),
      ),
      bundlesSameAsStack: bundles.sameAsStack,
      coldStarts,
      importRatios: ratios,
      pseudonymousCost: pseudonymous,
      warm,
      validation,
      endToEnd,
      callReport,
      targets,
      problems,
    };
    writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(
      `\n${formatTables({ bundles, coldStarts, ratios, pseudonymous, warm, validation, endToEnd, callReport, targets, problems })}\n`,
    );
    const missed = targets.filter((t) => !t.met);
    process.stdout.write(
      `\n${targets.length - missed.length} of ${targets.length} targets met; figures in bench/results.json (${elapsed()}).\n`,
    );
    if (cost) await measureCost(cost);
  } finally {
    await cleanup();
  }
}

main().catch(async (error: unknown) => {
  // Interrupted: the signal handler is already stopping everything and will exit.
  if (isInterrupted()) return;
  log(`bench failed: ${(error as Error).stack ?? String(error)}`);
  await cleanup();
  process.exitCode = 1;
});
