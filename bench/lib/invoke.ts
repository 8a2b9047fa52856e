/**
 * Warm cost of each bundle, in-process in a child (one child per function, as one Lambda
 * execution environment) against the stub AWS endpoint: after a warm-up, the latency and
 * CPU time of every invocation. Children are interleaved over bundles and Node.js versions.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BundleName } from './bundles';
import type { NodeBinary } from './node-versions';
import { forkTracked } from './processes';
import { mean, quantile, round } from './stats';
import type { StubAws } from './stub-aws';

export interface WarmVariant {
  name: BundleName;
  path: string;
  env: Record<string, string>;
  eventsFile: string;
  /** AWS calls (X-Amz-Target) each invocation must make. */
  callsPerInvocation: Record<string, number>;
  /** Strings no PutItem it makes may carry (the customers' numbers as sent, for the pseudonymous ingest). */
  storedMustNotContain?: readonly string[];
}

export interface WarmSummary {
  node: string;
  bundle: BundleName;
  children: number;
  warmupPerChild: number;
  invocations: number;
  p50Ms: number;
  p99Ms: number;
  cpuMeanUs: number;
  cpuP50Us: number;
  cpuP99Us: number;
  /** Invocations that did not succeed, and AWS call counts that did not match. */
  problems: string[];
}

interface WorkerReport {
  latencyMs: number[];
  cpuUs: number[];
  failures: number;
}

const WORKER = join(__dirname, 'invoke-worker.mjs');

function runWorker(node: NodeBinary, variant: WarmVariant, warmup: number, measured: number) {
  return new Promise<WorkerReport>((resolve, reject) => {
    const child = forkTracked(
      WORKER,
      [pathToFileURL(variant.path).href, variant.eventsFile, String(warmup), String(measured)],
      {
        execPath: node.path,
        execArgv: [],
        env: variant.env,
        // The function's JSON logs go nowhere (in Lambda, to the runtime's pipe).
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      },
    );
    let stderr = '';
    let report: WorkerReport | undefined;
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('message', (m: WorkerReport) => {
      report = m;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (report) resolve(report);
      else reject(new Error(`${variant.name} worker exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

export async function measureWarm(
  nodes: NodeBinary[],
  variants: WarmVariant[],
  options: { children: number; warmup: number; measured: number; stub: StubAws },
  progress: (done: number, total: number) => void,
): Promise<WarmSummary[]> {
  const reports = new Map<string, WorkerReport[]>();
  const problems = new Map<string, string[]>();
  const total = options.children * nodes.length * variants.length;
  let done = 0;
  for (let i = 0; i < options.children; i++) {
    for (const node of nodes) {
      for (const variant of variants) {
        const key = `${node.label} ${variant.name}`;
        const before = new Map(options.stub.calls);
        let leaked = 0;
        const needles = variant.storedMustNotContain ?? [];
        if (needles.length > 0)
          options.stub.inspect((target, body) => {
            if (target === 'DynamoDB_20120810.PutItem' && needles.some((s) => body.includes(s))) leaked++;
          });
        let report: WorkerReport;
        try {
          report = await runWorker(node, variant, options.warmup, options.measured);
        } finally {
          options.stub.inspect(undefined);
        }
        reports.set(key, [...(reports.get(key) ?? []), report]);
        const issues = problems.get(key) ?? [];
        if (report.failures > 0) issues.push(`${report.failures} invocation(s) did not succeed`);
        if (leaked > 0) issues.push(`${leaked} PutItem call(s) carried a customer's number as sent`);
        const invocations = options.warmup + options.measured;
        for (const [target, perInvocation] of Object.entries(variant.callsPerInvocation)) {
          const made = (options.stub.calls.get(target) ?? 0) - (before.get(target) ?? 0);
          if (made !== perInvocation * invocations) {
            issues.push(`${made} ${target} calls for ${invocations} invocations`);
          }
        }
        problems.set(key, issues);
        progress(++done, total);
      }
    }
  }
  return nodes.flatMap((node) =>
    variants.map((variant): WarmSummary => {
      const key = `${node.label} ${variant.name}`;
      const rs = reports.get(key) ?? [];
      const latency = rs.flatMap((r) => r.latencyMs);
      const cpu = rs.flatMap((r) => r.cpuUs);
      return {
        node: node.version,
        bundle: variant.name,
        children: rs.length,
        warmupPerChild: options.warmup,
        invocations: latency.length,
        p50Ms: round(quantile(latency, 0.5), 3),
        p99Ms: round(quantile(latency, 0.99), 3),
        cpuMeanUs: Math.round(mean(cpu)),
        cpuP50Us: Math.round(quantile(cpu, 0.5)),
        cpuP99Us: Math.round(quantile(cpu, 0.99)),
        problems: [...new Set(problems.get(key) ?? [])],
      };
    }),
  );
}
