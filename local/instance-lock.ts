/**
 * One local mode per state directory (`.local/`). Two on one directory would share DynamoDB
 * Local's data and pid file, the stream checkpoints and `runtime.json`: the second would stop the
 * first one's emulator and, once it stopped, leave every tool failing while the first still ran.
 *
 * The lock is a file created exclusively (`local-mode.lock`) naming the process that holds it.
 * A second start finds it, sees that process running and refuses, changing nothing. A lock whose
 * process is gone (a `kill -9`, a crash, a reboot) is stale: it is taken over.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { processRuns } from './runtime-file';
import { writeFileAtomic } from './state-file';

export const LOCK_FILE = 'local-mode.lock';

const holderSchema = z.object({
  pid: z.int().positive(),
  startedAt: z.string(),
  /** Known once the webhook listens. */
  webhookUrl: z.string().optional(),
});

/** Who holds a state directory's lock. */
export type LockHolder = z.infer<typeof holderSchema>;

/** Thrown when another local mode runs on the same state directory. */
export class LocalModeRunningError extends Error {
  override name = 'LocalModeRunningError';
  constructor(readonly holder: LockHolder) {
    super(
      `local mode already runs in this checkout (PID ${holder.pid}${
        holder.webhookUrl ? `, webhook ${holder.webhookUrl}` : ', still starting'
      }, since ${holder.startedAt}); use it, or stop it first with npm run stop`,
    );
  }
}

export interface InstanceLock {
  /** Adds the webhook URL to what a refused second start says. */
  describe(webhookUrl: string): void;
  release(): void;
}

/**
 * Whether `pid` is a running local mode: it runs (and has not merely exited unreaped), and where
 * `ps` can tell, it is a Node.js process, so that a pid reused by another program after a reboot
 * is not taken for one.
 */
export function localModeRuns(pid: number): boolean {
  if (pid === process.pid) return true;
  if (!processRuns(pid)) return false;
  const ps = spawnSync('ps', ['-o', 'stat=,command=', '-p', String(pid)]);
  // No `ps` to ask: running is all that is known.
  if (ps.error) return true;
  if (ps.status !== 0) return false;
  const [stat = '', ...command] = ps.stdout.toString().trim().split(/\s+/);
  // A zombie has exited; only its parent has not yet collected it.
  return !stat.startsWith('Z') && /node|tsx/.test(command.join(' '));
}

/** The lock's holder as written, whether or not it still runs; undefined when there is no lock. */
export function readLockHolder(stateDir: string): LockHolder | undefined {
  let text: string;
  try {
    text = readFileSync(join(stateDir, LOCK_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    return holderSchema.parse(JSON.parse(text));
  } catch {
    // Half written by a start killed at that instant: nobody can be holding it.
    return undefined;
  }
}

/** The local mode running on `stateDir`, if any. */
export function runningLocalMode(stateDir: string): LockHolder | undefined {
  const holder = readLockHolder(stateDir);
  return holder && localModeRuns(holder.pid) ? holder : undefined;
}

/**
 * Takes `stateDir`'s lock for this process, or throws {@link LocalModeRunningError} naming the
 * local mode that holds it. `onStale` is told when a dead holder's lock is taken over.
 */
export function acquireInstanceLock(stateDir: string, onStale?: (holder: LockHolder) => void): InstanceLock {
  const path = join(stateDir, LOCK_FILE);
  const mine: LockHolder = { pid: process.pid, startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, `${JSON.stringify(mine)}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        const holder = readLockHolder(stateDir);
        if (holder && localModeRuns(holder.pid)) throw new LocalModeRunningError(holder);
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        // Taken by a start racing this one, which died already: give up rather than loop.
        throw new Error(`${path} is held by no running local mode but cannot be taken; delete it`);
      }
      const holder = readLockHolder(stateDir);
      if (holder && localModeRuns(holder.pid)) throw new LocalModeRunningError(holder);
      if (holder) onStale?.(holder);
      rmSync(path, { force: true });
    }
  }
  let held = true;
  return {
    describe(webhookUrl) {
      if (held) writeFileAtomic(path, `${JSON.stringify({ ...mine, webhookUrl })}\n`);
    },
    release() {
      if (!held) return;
      held = false;
      if (readLockHolder(stateDir)?.pid === process.pid) rmSync(path, { force: true });
    },
  };
}
