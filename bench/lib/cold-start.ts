/**
 * Cold starts, interleaved: every round spawns one fresh process per (Node.js, bundle) pair
 * in turn, so that load from other work on the machine falls on all of them alike; the
 * figures that matter are ratios between bundles measured in the same rounds. Each process
 * imports its bundle (import time) and invokes it once against the stub AWS endpoint (first
 * invocation).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BundleName } from './bundles';
import type { NodeBinary } from './node-versions';
import { spawnTracked } from './processes';
import { median, quantile, round } from './stats';

export interface ColdStartVariant {
  name: BundleName;
  path: string;
  env: Record<string, string>;
  /** JSON file of events; run i uses event i. */
  eventsFile: string;
}

export interface ColdStartSummary {
  node: string;
  bundle: BundleName;
  runs: number;
  import: { medianMs: number; p90Ms: number };
  /** Import times in round order (ms), for ratios paired round by round. */
  importSamplesMs: number[];
  /** First invocations' times in round order (ms), likewise. */
  firstSamplesMs: number[];
  firstInvocation: { p50Ms: number; p99Ms: number; cpuP50Us: number };
  /** First invocations that did not succeed (their figures would mean nothing). */
  failures: number;
}

interface RunReport {
  importMs: number;
  firstMs: number;
  firstCpuUs: number;
  ok: boolean;
}

const RUNNER = join(__dirname, 'cold-start-runner.mjs');

function runOnce(node: NodeBinary, variant: ColdStartVariant, index: number): Promise<RunReport> {
  return new Promise((resolve, reject) => {
    // The report goes to stderr: stdout is the function's (its JSON logs), sent nowhere.
    const child = spawnTracked(
      node.path,
      [RUNNER, pathToFileURL(variant.path).href, variant.eventsFile, String(index)],
      { env: variant.env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const line = stderr
        .trim()
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{"importMs"'));
      if (code === 0 && line) resolve(JSON.parse(line) as RunReport);
      else reject(new Error(`${variant.name} cold start exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

export async function measureColdStarts(
  nodes: NodeBinary[],
  variants: ColdStartVariant[],
  runs: number,
  progress: (done: number, total: number) => void,
): Promise<ColdStartSummary[]> {
  const reports = new Map<string, RunReport[]>();
  const total = runs * nodes.length * variants.length;
  let done = 0;
  for (let i = 0; i < runs; i++) {
    for (const node of nodes) {
      for (const variant of variants) {
        const report = await runOnce(node, variant, i);
        const key = `${node.label} ${variant.name}`;
        reports.set(key, [...(reports.get(key) ?? []), report]);
        progress(++done, total);
      }
    }
  }
  return nodes.flatMap((node) =>
    variants.map((variant): ColdStartSummary => {
      const rs = reports.get(`${node.label} ${variant.name}`) ?? [];
      const importMs = rs.map((r) => r.importMs);
      const firstMs = rs.map((r) => r.firstMs);
      return {
        node: node.version,
        bundle: variant.name,
        runs: rs.length,
        import: { medianMs: round(median(importMs)), p90Ms: round(quantile(importMs, 0.9)) },
        importSamplesMs: importMs.map((ms) => round(ms)),
        firstSamplesMs: firstMs.map((ms) => round(ms)),
        firstInvocation: {
          p50Ms: round(median(firstMs)),
          p99Ms: round(quantile(firstMs, 0.99)),
          cpuP50Us: Math.round(median(rs.map((r) => r.firstCpuUs))),
        },
        failures: rs.filter((r) => !r.ok).length,
      };
    }),
  );
}
