/**
 * The Node.js binaries the benchmark runs under: the system's (first `node` on PATH outside
 * any node_modules), the one running the benchmark, and Node.js 24, Lambda's `nodejs24.x`,
 * fetched on first use from npm's `node-<platform>-<arch>` package into the cache (never a
 * dependency of the project: its `bin/node` would shadow the user's own under `npm run`).
 * Each version once.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ensurePackage, type PinnedPackage } from '../../local/npm-package-cache';

export interface NodeBinary {
  /** e.g. `node20` */
  label: string;
  version: string;
  path: string;
  /** Where it comes from: `system`, `orchestrator` or the npm package it was fetched from. */
  source: string;
}

/** Lambda's runtime line; the pinned release of each platform's npm package. */
export const LAMBDA_NODE_VERSION = '24.22.3';
const LAMBDA_NODE_INTEGRITY: Record<string, string> = {
  'linux-x64':
    'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
  'linux-arm64':
    'sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==',
};

/** The npm package holding Lambda's Node.js for this machine, or undefined when none is pinned. */
export function lambdaNodePackage(): PinnedPackage | undefined {
  const platform = `${process.platform}-${process.arch}`;
  const integrity = LAMBDA_NODE_INTEGRITY[platform];
  if (!integrity) return undefined;
  return { name: `node-${platform}`, version: LAMBDA_NODE_VERSION, integrity, downloadSize: '50 MiB' };
}

function systemNode(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '' || dir.includes('node_modules')) continue;
    const candidate = join(dir, 'node');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export async function nodeBinaries(log: (line: string) => void): Promise<NodeBinary[]> {
  const candidates: { path: string | undefined; source: string }[] = [
    { path: systemNode(), source: 'system' },
    { path: process.execPath, source: 'orchestrator' },
  ];
  const lambdaNode = lambdaNodePackage();
  if (lambdaNode) {
    const dir = await ensurePackage(lambdaNode, { paths: ['bin/node'], log });
    candidates.push({
      path: join(dir, 'bin', 'node'),
      source: `npm ${lambdaNode.name}@${lambdaNode.version}`,
    });
  } else {
    log(
      `No Node.js ${LAMBDA_NODE_VERSION} pinned for ${process.platform}-${process.arch}: Lambda's Node.js is not measured`,
    );
  }
  const found: NodeBinary[] = [];
  for (const { path, source } of candidates) {
    if (path === undefined || !existsSync(path)) continue;
    const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
    if (found.some((n) => n.version === version)) continue;
    found.push({ label: `node${version.slice(1).split('.')[0]}`, version, path, source });
  }
  return found.sort((a, b) => a.version.localeCompare(b.version, 'en', { numeric: true }));
}
