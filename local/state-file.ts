/**
 * Local mode's state files (stream checkpoints, runtime.json, DynamoDB Local's pid). Each is
 * written whole or not at all: the content goes to a file beside it, is flushed to disk, then
 * renamed over the old one, so a crash at any instant leaves either the old content or the new
 * one, never an empty or half-written file. A checkpoint file that cannot be read is an error.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** `mode` (e.g. `0o600` for a secret) applies from the first byte written, not after. */
export function writeFileAtomic(path: string, content: string, mode = 0o644): void {
  const aside = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(aside, 'w', mode);
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

export class CheckpointFileError extends Error {
  override name = 'CheckpointFileError';
}

/**
 * The stream checkpoints kept by a previous run. No file: nothing published yet. A file that
 * cannot be read is an error, never "start from the beginning": that would publish every stored
 * event again, in silence.
 */
export function readCheckpoints(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw checkpointError(file, (error as Error).message);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw checkpointError(file, text.length === 0 ? 'it is empty' : 'it is not valid JSON');
  }
  if (
    json === null ||
    typeof json !== 'object' ||
    Array.isArray(json) ||
    !Object.values(json).every((v) => typeof v === 'string' && v !== '')
  ) {
    throw checkpointError(file, 'it is not a map of shard ids to sequence numbers');
  }
  return json as Record<string, string>;
}

const checkpointError = (file: string, why: string) =>
  new CheckpointFileError(
    `${file} cannot be read (${why}); it records how far the stream was published. Restore it, or delete it to publish every stored event again (consumers de-duplicate on detail.EventId), then run npm start again`,
  );
