/**
 * How local mode writes a state file (stream checkpoints, runtime.json, DynamoDB Local's pid):
 * whole or not at all. The content goes to a file beside it, is flushed to disk, then renamed
 * over the old one, so a crash at any instant leaves either the old content or the new one,
 * never an empty or half-written file.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export function writeFileAtomic(path: string, content: string): void {
  const aside = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(aside, 'w');
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(aside, path);
  } catch (error) {
    rmSync(aside, { force: true });
    throw error;
  }
  // The rename itself is durable once the directory is flushed (not every platform allows it).
  try {
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // e.g. Windows cannot open a directory; the rename is still atomic there.
  }
}
