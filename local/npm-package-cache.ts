/**
 * Tools that are not dependencies of the project (DynamoDB Local's jar, the benchmark's Node.js
 * binaries) are fetched on first use: one pinned npm package tarball, through npm itself (its
 * registry, proxy and cache settings), checked against a pinned integrity, and extracted into a
 * per-user cache. Later uses read the cache and never call npm, so they work offline.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PinnedPackage {
  name: string;
  version: string;
  /** The registry's `dist.integrity` of that version (`sha512-…`). */
  integrity: string;
  /** What the user is told on first use, e.g. `54 MiB`. */
  downloadSize: string;
}

/** `$CALL_EVENTS_CACHE`, else `$XDG_CACHE_HOME/call-events`, else `~/.cache/call-events`. */
export function cacheRoot(): string {
  if (process.env.CALL_EVENTS_CACHE) return process.env.CALL_EVENTS_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'call-events');
}

/** Where a pinned package's files are kept once fetched. */
export function packageCacheDir(pkg: PinnedPackage): string {
  return join(cacheRoot(), 'npm', `${pkg.name}@${pkg.version}`);
}

/** Whether a tarball's bytes match an npm `sha512-…` integrity. */
export function matchesIntegrity(tarball: Buffer, integrity: string): boolean {
  const [algorithm, expected] = integrity.split('-', 2);
  if (algorithm !== 'sha512' || !expected) throw new Error(`Unsupported integrity ${integrity}`);
  return createHash('sha512').update(tarball).digest('base64') === expected;
}

/**
 * The directory holding the package's files (the tarball's `package/` folder, or only `paths`
 * of it), fetched on first use. Safe when several processes ask at once: each extracts into a
 * folder of its own, and the first rename into place wins; the others use the winner's.
 */
export async function ensurePackage(
  pkg: PinnedPackage,
  options: { paths?: string[]; log?: (message: string) => void } = {},
): Promise<string> {
  const dir = packageCacheDir(pkg);
  if (existsSync(dir)) return dir;
  const spec = `${pkg.name}@${pkg.version}`;
  (options.log ?? ((m: string) => process.stderr.write(`${m}\n`)))(
    `First use: fetching ${spec} (${pkg.downloadSize}) with npm into ${dir}`,
  );
  const parent = join(cacheRoot(), 'npm');
  mkdirSync(parent, { recursive: true });
  const work = join(parent, `.${spec}.${process.pid}.${randomBytes(4).toString('hex')}`);
  mkdirSync(work);
  try {
    await run('npm', ['pack', spec, '--prefer-offline', '--silent', '--pack-destination', work], {
      maxBuffer: 1 << 20,
    }).catch((error: Error & { stderr?: string }) => {
      throw new Error(`npm pack ${spec} failed: ${error.stderr?.trim() || error.message}`);
    });
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${spec} wrote no tarball`);
    const path = join(work, tarball);
    if (!matchesIntegrity(readFileSync(path), pkg.integrity)) {
      throw new Error(`${spec}: the tarball npm gave does not match the pinned integrity ${pkg.integrity}`);
    }
    const members = (options.paths ?? ['']).map((p) => `package/${p}`.replace(/\/$/, ''));
    await run('tar', ['-xzf', path, '-C', work, ...members]);
    rmSync(path);
    try {
      renameSync(join(work, 'package'), dir);
    } catch (error) {
      // Another process put its copy in place first: the same files, keep that one.
      if (!existsSync(dir)) throw error;
    }
    return dir;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
