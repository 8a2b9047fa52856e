/**
 * One local mode per state directory: a second start is refused naming the first and changes
 * nothing of it; a lock left by a local mode that was killed is taken over.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  acquireInstanceLock,
  LOCK_FILE,
  LocalModeRunningError,
  readLockHolder,
  runningLocalMode,
} from '../../local/instance-lock';

const freshDir = () => mkdtempSync(join(tmpdir(), 'lock-'));

/** The pid of a process that has exited: what a `kill -9`ed local mode leaves in its lock. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('the local mode lock', () => {
  it('is taken by the first start and names it', () => {
    const dir = freshDir();
    const lock = acquireInstanceLock(dir);
    expect(readLockHolder(dir)).toMatchObject({ pid: process.pid });
    expect(runningLocalMode(dir)?.pid).toBe(process.pid);
    lock.release();
    expect(readLockHolder(dir)).toBeUndefined();
    expect(runningLocalMode(dir)).toBeUndefined();
  });

  it('refuses a second start on the same directory, naming the PID and webhook, and leaves the lock as it was', () => {
    const dir = freshDir();
    const first = acquireInstanceLock(dir);
    first.describe('http://127.0.0.1:3000/call-events');
    const before = readFileSync(join(dir, LOCK_FILE), 'utf8');
    let refusal: unknown;
    try {
      acquireInstanceLock(dir);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(LocalModeRunningError);
    expect((refusal as Error).message).toBe(
      `local mode already runs in this checkout (PID ${process.pid}, webhook http://127.0.0.1:3000/call-events, since ${
        JSON.parse(before).startedAt
      }); use it, or stop it first with npm run stop`,
    );
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(before);
    first.release();
  });

  it('takes over a lock whose process is gone, saying whose it was', () => {
    const dir = freshDir();
    const pid = deadPid();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, startedAt: '2026-12-01T10:00:00.000Z' }));
    expect(runningLocalMode(dir)).toBeUndefined();
    const stale: number[] = [];
    const lock = acquireInstanceLock(dir, (holder) => stale.push(holder.pid));
    expect(stale).toEqual([pid]);
    expect(readLockHolder(dir)?.pid).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock left half written', () => {
    const dir = freshDir();
    writeFileSync(join(dir, LOCK_FILE), '{"pid":');
    const lock = acquireInstanceLock(dir);
    expect(readLockHolder(dir)?.pid).toBe(process.pid);
    lock.release();
  });

  it('release leaves a lock that another start has taken since', () => {
    const dir = freshDir();
    const lock = acquireInstanceLock(dir);
    const other = JSON.stringify({ pid: deadPid() + 0, startedAt: 'later' });
    writeFileSync(join(dir, LOCK_FILE), other);
    lock.release();
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(other);
  });
});
