/**
 * Appending to local mode's NDJSON files (deliveries, the bus's events, the functions' logs)
 * without letting them grow without bound: a long-running `npm start` under load would otherwise
 * fill the disk. One rotated generation is kept, so the latest events stay readable after a
 * rotation, and a reader following the file (`npm run tail`) sees it renamed and a new one begun.
 */
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** 16 MiB: hours of local traffic per file, small enough to open in an editor. */
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

export interface BoundedAppenderOptions {
  /** The size a file may reach before it is rotated to `<path>.1`. @default DEFAULT_MAX_BYTES */
  maxBytes?: number;
}

export interface BoundedAppender {
  /**
   * Appends `text` (one or more whole lines, newline included) in one write to one file, after
   * every append called before it. When it would take a non-empty file past `maxBytes`, the file
   * is first renamed to `<path>.1` (replacing the older one) and the text begins a new file, so
   * no line is ever split between two files; a text larger than `maxBytes` on its own gets a file
   * of its own. A failed append rejects, and the ones after it still run.
   */
  append(text: string): Promise<void>;
}

/** The path a file is rotated to. */
export const rotatedPath = (path: string) => `${path}.1`;

/**
 * The appends still to run on each file, by absolute path: shared by every appender of the
 * file in this process, so two appenders of one file (two rules, a restarted component) cannot
 * interleave or both rotate it.
 */
const queues = new Map<string, Promise<unknown>>();

/**
 * The file's size is read at each append, not remembered, so that a file deleted or truncated
 * while local mode runs (a test clearing its deliveries, an operator emptying a log) is taken as
 * it now is; its directory is created again if it was removed.
 */
export function createBoundedAppender(path: string, options: BoundedAppenderOptions = {}): BoundedAppender {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(maxBytes > 0)) throw new RangeError(`maxBytes must be positive, got ${maxBytes}`);
  const key = resolve(path);

  async function write(text: string): Promise<void> {
    const bytes = Buffer.from(text, 'utf8');
    if ((await appendUnless(path, bytes, (size) => size > 0 && size + bytes.length > maxBytes)) === 'full') {
      await rename(path, rotatedPath(path));
      await appendUnless(path, bytes, () => false);
    }
  }

  return {
    append(text) {
      const appended = (queues.get(key) ?? Promise.resolve()).then(() => write(text));
      const settled = appended.catch(() => {});
      queues.set(key, settled);
      // Forget an idle file, so that the map does not grow with every path ever written.
      void settled.then(() => {
        if (queues.get(key) === settled) queues.delete(key);
      });
      return appended;
    },
  };
}

/** Appends `bytes` unless the file's current size says it is `full`; one open, one stat, one write. */
async function appendUnless(
  path: string,
  bytes: Buffer,
  full: (size: number) => boolean,
): Promise<'written' | 'full'> {
  const file = await openForAppend(path);
  try {
    if (full((await file.stat()).size)) return 'full';
    await file.appendFile(bytes);
    return 'written';
  } finally {
    await file.close();
  }
}

async function openForAppend(path: string) {
  try {
    return await open(path, 'a');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dirname(path), { recursive: true });
    return await open(path, 'a');
  }
}
