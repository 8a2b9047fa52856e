/**
 * `npm run tail -- [--detail-type T]… [--session-id ID] [--json] [--since-start]`: the local bus
 * as it happens, one line per event, from the file every accepted event is written to
 * (`eventsFile` in `.local/runtime.json`), like `tail -F`: it keeps following when the file is
 * rotated.
 */
import type { FileHandle } from 'node:fs/promises';
import { open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { rotatedPath } from '../local/bounded-file';
import type { EventEnvelope } from '../local/eventbridge/server';
import { readRuntimeFile, requireRuntimeFile } from '../local/runtime-file';
import { parseFlags, type RuntimeFileIo, runCli, runWhenMain } from './lib/cli';

const USAGE = `Usage: npm run tail -- [--detail-type TYPE]... [--session-id ID] [--json] [--since-start]

Follows the local event bus: every event local mode's EventBridge accepts, routed to a rule or
not, the webhook's events (CreateIncCall, MissedIncCall, …) and the call-level ones
(CallCompleted, MissedCallResolved, CallStuck, …) alike, one line each, as they come:
time, detail-type, SessionID (- when the event has none), source. No phone number is printed.
Stops when local mode stops (or with Ctrl-C).

Options:
  --detail-type TYPE  only events of this detail-type (repeat it for several)
  --session-id ID     only the events of this call (detail.SessionID)
  --json              each event's whole envelope as one JSON line (detail included, phone numbers too)
  --since-start       first print the events already in the file (and in the one it was rotated to),
                      then follow; without it, only the events to come
  -h, --help          this help

Reads the events file named in .local/runtime.json, written by \`npm start\`.`;

const parse = (argv: string[]) =>
  parseFlags({
    args: argv,
    options: {
      'detail-type': { type: 'string', multiple: true },
      'session-id': { type: 'string' },
      json: { type: 'boolean', default: false },
      'since-start': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });

export interface TailIo extends RuntimeFileIo {
  /** Ends the follow (a test's, or the process's on exit); without it, it ends when local mode stops. */
  signal?: AbortSignal;
  /** How often the file is looked at. @default 200 */
  pollMs?: number;
}

/** Which events to print: any of `detailTypes` (all when empty), and the one call when `sessionId` is set. */
export interface TailFilter {
  detailTypes: readonly string[];
  sessionId?: string;
}

/** An event's SessionID, when its detail has one (raw and call-level events both carry it). */
const sessionIdOf = (event: EventEnvelope): string | undefined =>
  typeof event.detail?.SessionID === 'string' ? event.detail.SessionID : undefined;

export function selects(filter: TailFilter, event: EventEnvelope): boolean {
  return (
    (filter.detailTypes.length === 0 || filter.detailTypes.includes(event['detail-type'])) &&
    (filter.sessionId === undefined || sessionIdOf(event) === filter.sessionId)
  );
}

/** A field as one printable run: an event's text must not break the line or move the terminal. */
const printable = (value: unknown) => String(value ?? '').replace(/\p{Cc}/gu, '?');

/**
 * One line per event, from the envelope's own fields and the detail's SessionID only, so that no
 * phone number (Caller, CustomerNumber, …, all in the detail) can reach the screen.
 */
export function formatEvent(event: EventEnvelope): string {
  return [
    printable(event.time),
    printable(event['detail-type']).padEnd(24),
    printable(sessionIdOf(event) ?? '-'),
    printable(event.source),
  ].join('  ');
}

/** A line of the events file as an envelope; anything else (a line cut by a crash) is skipped. */
export function parseEventLine(line: string): EventEnvelope | undefined {
  try {
    const event: unknown = JSON.parse(line);
    const e = event as Partial<EventEnvelope> | null;
    return e && typeof e === 'object' && typeof e['detail-type'] === 'string'
      ? (e as EventEnvelope)
      : undefined;
  } catch {
    return undefined;
  }
}

export interface FollowOptions {
  /** Read what the file (and its rotated generation) already holds before following. @default false */
  fromStart?: boolean;
  signal?: AbortSignal;
  /** @default 200 */
  pollMs?: number;
  onLine(line: string): void;
}

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * Follows `path` as `tail -F` does, by polling: an open handle keeps reading the file it opened,
 * so when the file is renamed to `<path>.1` (rotation) its last lines are still read before the
 * new file is opened and read from its start; a file truncated in place is read again from its
 * start; a file that does not exist yet is waited for. Only whole lines are given, as the writer
 * writes each line whole. Resolves when `signal` aborts.
 */
export async function followFile(path: string, options: FollowOptions): Promise<void> {
  const { signal, onLine } = options;
  const pollMs = options.pollMs ?? 200;
  let handle: FileHandle | undefined;
  let ino = 0;
  let offset = 0;
  let pending = Buffer.alloc(0);

  const emit = (bytes: Buffer) => {
    let data = pending.length > 0 ? Buffer.concat([pending, bytes]) : bytes;
    for (let end = data.indexOf(NEWLINE); end !== -1; end = data.indexOf(NEWLINE)) {
      const line = data.subarray(0, end).toString('utf8');
      data = data.subarray(end + 1);
      if (line.trim() !== '') onLine(line);
    }
    pending = Buffer.from(data);
  };
  const drain = async (file: FileHandle, from: number): Promise<number> => {
    const buffer = Buffer.alloc(CHUNK);
    let position = from;
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, CHUNK, position);
      if (bytesRead === 0) return position;
      position += bytesRead;
      emit(buffer.subarray(0, bytesRead));
    }
  };
  const openAt = async (where: 'start' | 'end'): Promise<boolean> => {
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    const stats = await handle.stat();
    ino = stats.ino;
    offset = where === 'end' ? stats.size : 0;
    pending = Buffer.alloc(0);
    return true;
  };
  const close = async () => {
    await handle?.close().catch(() => {});
    handle = undefined;
  };

  try {
    if (options.fromStart) {
      const rotated = await open(rotatedPath(path), 'r').catch(() => undefined);
      if (rotated) {
        await drain(rotated, 0).finally(() => rotated.close());
        pending = Buffer.alloc(0);
      }
    }
    await openAt(options.fromStart ? 'start' : 'end');
    while (!signal?.aborted) {
      if (!handle) {
        // A file that appears after we started holds only new events: read it whole.
        await openAt('start');
      }
      if (handle) {
        offset = await drain(handle, offset);
        const now = await stat(path).catch(() => undefined);
        if (!now || now.ino !== ino) {
          // Renamed away (rotated) or deleted: finish the old file, then take up the new one.
          offset = await drain(handle, offset);
          await close();
          if (now) continue;
        } else if (now.size < offset) {
          offset = 0;
          pending = Buffer.alloc(0);
        }
      }
      await sleep(pollMs, undefined, signal ? { signal } : {}).catch(() => {});
    }
  } finally {
    await close();
  }
}

/** The CLI, minus the process: returns the exit code once the follow ends. */
export function main(argv: string[], io: TailIo): Promise<number> {
  return runCli(argv, io, { usage: USAGE, parse }, async ({ values }) => {
    const runtime = requireRuntimeFile(io.runtimeFile);
    const filter: TailFilter = {
      detailTypes: values['detail-type'] ?? [],
      ...(values['session-id'] === undefined ? {} : { sessionId: values['session-id'] }),
    };
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    io.signal?.addEventListener('abort', onAbort, { once: true });
    // The file outlives local mode; following it after local mode stopped would wait forever.
    const watch = setInterval(() => {
      let running: boolean;
      try {
        running = readRuntimeFile(io.runtimeFile) !== undefined;
      } catch {
        running = false;
      }
      if (!running) {
        io.err('local mode stopped');
        stop.abort();
      }
    }, 1000);
    try {
      await followFile(runtime.eventsFile, {
        fromStart: values['since-start'],
        signal: stop.signal,
        pollMs: io.pollMs ?? 200,
        onLine: (line) => {
          const event = parseEventLine(line);
          if (event && selects(filter, event)) io.out(values.json ? line : formatEvent(event));
        },
      });
    } finally {
      clearInterval(watch);
      io.signal?.removeEventListener('abort', onAbort);
    }
    return 0;
  });
}

runWhenMain(module, main);
