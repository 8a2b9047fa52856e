/**
 * `npm run tail`: one line per event without phone numbers, the filters, and the follow loop over a
 * real file that is appended to and rotated while it is followed.
 */
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CALL_LEVEL_EVENTS, callLevelEvents } from '../../lambda/calls/call-level-events';
import { foldCall } from '../../lambda/calls/fold-call';
import { nextCall } from '../../lambda/calls/project-calls';
import type { StoredCall } from '../../lambda/calls/store';
import { createBoundedAppender, rotatedPath } from '../../local/bounded-file';
import { acceptEntry, type EventEnvelope, isFailed } from '../../local/eventbridge/put-events';
import {
  markRuntimeFileStopped,
  NOT_RUNNING,
  type RuntimeFile,
  writeRuntimeFile,
} from '../../local/runtime-file';
import { followFile, formatEvent, main, parseEventLine, selects } from '../../scripts/tail';
import { callOf, storedEvent } from '../support/call-events';

const CITY = '4950665310';
const CALLER = '9582412128';
const SOURCE = 'telephony.call-events';

/** An event as the local bus writes it, made by the bus's own entry check. */
function envelope(detailType: string, detail: object, time = '2021-01-28T11:15:22Z'): EventEnvelope {
  const accepted = acceptEntry(
    { Source: SOURCE, DetailType: detailType, Detail: JSON.stringify(detail), Time: time },
    { region: 'us-east-1', knownBuses: new Set(['default']) },
  );
  if (isFailed(accepted)) throw new Error(accepted.ErrorMessage);
  return accepted.envelope;
}

const call = callOf({ SessionID: 'c-1', CityNumber: CITY, Caller: CALLER });
const created = storedEvent(call('CreateIncCall', { StartTime: '2021-01-28 14:15:22', Called: CITY }));
const missed = storedEvent(
  call('MissedIncCall', { EndTime: '2021-01-28 14:15:52', Duration: 0, ResultCode: '304' }),
);
const raw = envelope('MissedIncCall', missed);
const [completed] = callLevelEvents(
  nextCall(undefined, foldCall([created, missed])) as StoredCall,
  undefined,
);
const callCompleted = envelope(CALL_LEVEL_EVENTS.completed, completed?.detail ?? {});

describe('formatEvent', () => {
  it('a raw event: time, detail-type, SessionID, source, and no phone number', () => {
    const line = formatEvent(raw);
    expect(line.split(/\s+/)).toEqual(['2021-01-28T11:15:22Z', 'MissedIncCall', 'c-1', SOURCE]);
    expect(JSON.stringify(raw)).toContain(CALLER);
    expect(line).not.toContain(CALLER);
  });

  it('a call-level event likewise, though its detail is the whole record', () => {
    const line = formatEvent(callCompleted);
    expect(line.split(/\s+/)).toEqual(['2021-01-28T11:15:22Z', 'CallCompleted', 'c-1', SOURCE]);
    expect(JSON.stringify(callCompleted)).toContain(CALLER);
    expect(line).not.toMatch(/\d{10}/);
  });

  it('shows - for an event without SessionID, and no control character', () => {
    expect(formatEvent(envelope('Heartbeat\u001b[2J\nx', {})).split(/\s{2,}/)).toEqual([
      '2021-01-28T11:15:22Z',
      'Heartbeat?[2J?x',
      '-',
      SOURCE,
    ]);
  });
});

describe('selects and parseEventLine', () => {
  it('keeps any of the detail-types given, all when none is', () => {
    expect(selects({ detailTypes: [] }, raw)).toBe(true);
    expect(selects({ detailTypes: ['CallCompleted', 'MissedIncCall'] }, raw)).toBe(true);
    expect(selects({ detailTypes: ['CallCompleted'] }, raw)).toBe(false);
  });

  it("keeps one call's events with a SessionID", () => {
    expect(selects({ detailTypes: [], sessionId: 'c-1' }, callCompleted)).toBe(true);
    expect(selects({ detailTypes: [], sessionId: 'c-2' }, callCompleted)).toBe(false);
    expect(selects({ detailTypes: [], sessionId: 'c-1' }, envelope('Heartbeat', {}))).toBe(false);
  });

  it('skips a line that is not an event', () => {
    expect(parseEventLine(JSON.stringify(raw))).toEqual(raw);
    expect(parseEventLine('{"detail-type": "X", "det')).toBeUndefined();
    expect(parseEventLine('[1]')).toBeUndefined();
  });
});

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tail-'));
  file = join(dir, 'events.ndjson');
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Follows `file` in the background; `stop()` ends it and returns the lines seen. */
function follow(fromStart = false) {
  const lines: string[] = [];
  const stop = new AbortController();
  const done = followFile(file, { fromStart, signal: stop.signal, pollMs: 5, onLine: (l) => lines.push(l) });
  return {
    lines,
    stop: async () => {
      stop.abort();
      await done;
      return lines;
    },
  };
}

describe('followFile', () => {
  it('by default gives only the lines written after it started, and waits for a line to be whole', async () => {
    writeFileSync(file, 'old\n');
    const f = follow();
    await new Promise((resolve) => setTimeout(resolve, 30));
    appendFileSync(file, 'new 1\nnew');
    await until(() => f.lines.length === 1, 'the first new line');
    appendFileSync(file, ' 2\n');
    await until(() => f.lines.length === 2, 'the second new line');

    expect(await f.stop()).toEqual(['new 1', 'new 2']);
  });

  it('keeps following through rotation: every line once, in order', async () => {
    const appender = createBoundedAppender(file, { maxBytes: 30 });
    await appender.append('before\n');
    const f = follow();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const written = Array.from({ length: 20 }, (_, i) => `line ${String(i).padStart(2, '0')}`);
    for (const text of written) {
      await appender.append(`${text}\n`);
      if (Number(text.slice(-2)) % 3 === 0) await new Promise((resolve) => setTimeout(resolve, 7));
    }
    await until(() => f.lines.length >= written.length, 'every line');

    expect(await f.stop()).toEqual(written);
  });

  it('--since-start: the rotated generation, then the file, then what comes', async () => {
    writeFileSync(rotatedPath(file), 'a\nb\n');
    writeFileSync(file, 'c\n');
    const f = follow(true);
    await until(() => f.lines.length === 3, 'what was there');
    appendFileSync(file, 'd\n');
    await until(() => f.lines.length === 4, 'the new line');

    expect(await f.stop()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('waits for a file that does not exist yet, and reads it whole once it does', async () => {
    const f = follow();
    await new Promise((resolve) => setTimeout(resolve, 30));
    writeFileSync(file, 'first\n');
    await until(() => f.lines.length === 1, 'the first line');

    expect(await f.stop()).toEqual(['first']);
  });

  it('finishes the old file when it is renamed away between two looks', async () => {
    writeFileSync(file, '');
    const f = follow();
    await new Promise((resolve) => setTimeout(resolve, 30));
    appendFileSync(file, 'last of the old\n');
    renameSync(file, rotatedPath(file));
    writeFileSync(file, 'first of the new\n');
    await until(() => f.lines.length === 2, 'both lines');

    expect(await f.stop()).toEqual(['last of the old', 'first of the new']);
  });
});

describe('main', () => {
  const runtimeFile = () => join(dir, 'runtime.json');
  const runtime = (overrides: Partial<RuntimeFile> = {}): RuntimeFile => ({
    pid: process.pid,
    webhookUrl: 'http://127.0.0.1:3000/call-events',
    token: 'local-token',
    region: 'us-east-1',
    dynamodbEndpoint: 'http://127.0.0.1:8000',
    eventbridgeEndpoint: 'http://127.0.0.1:4010',
    tables: { callEvents: 'CallEvents', rejectedEvents: 'RejectedCallEvents', calls: 'Calls' },
    deliveriesDir: join(dir, 'deliveries'),
    eventsFile: file,
    timeZone: 'Europe/Moscow',
    eventBusName: 'call-events',
    eventSource: SOURCE,
    defaultCountry: 'RU',
    ...overrides,
  });

  function run(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const stop = new AbortController();
    const code = main(argv, {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      env: {},
      runtimeFile: runtimeFile(),
      signal: stop.signal,
      pollMs: 5,
    });
    return { out, err, code, stop: () => stop.abort() };
  }

  const lineOf = (event: EventEnvelope) => `${JSON.stringify(event)}\n`;

  it('--since-start --detail-type --session-id: the call-level events of one call', async () => {
    writeRuntimeFile(runtimeFile(), runtime());
    const other = envelope(CALL_LEVEL_EVENTS.completed, { ...(completed?.detail ?? {}), SessionID: 'c-2' });
    writeFileSync(file, [raw, callCompleted, other].map(lineOf).join(''));
    const t = run([
      '--since-start',
      '--detail-type',
      'CallCompleted',
      '--detail-type',
      'CallStuck',
      '--session-id',
      'c-1',
    ]);
    await until(() => t.out.length === 1, 'the matching event');
    t.stop();

    expect(await t.code).toBe(0);
    expect(t.out).toEqual([formatEvent(callCompleted)]);
  });

  it('--json prints each new event as written, whole', async () => {
    writeRuntimeFile(runtimeFile(), runtime());
    writeFileSync(file, lineOf(raw));
    const t = run(['--json']);
    await new Promise((resolve) => setTimeout(resolve, 30));
    appendFileSync(file, lineOf(callCompleted));
    await until(() => t.out.length === 1, 'the new event');
    t.stop();

    expect(await t.code).toBe(0);
    expect(t.out.map((line) => JSON.parse(line))).toEqual([callCompleted]);
  });

  it('stops, saying so, when local mode stops', async () => {
    writeRuntimeFile(runtimeFile(), runtime());
    const t = run([]);
    markRuntimeFileStopped(runtimeFile());

    expect(await t.code).toBe(0);
    expect(t.err).toEqual(['local mode stopped']);
  });

  it('without local mode: the one message every tool gives, exit code 1', async () => {
    const t = run([]);
    expect(await t.code).toBe(1);
    expect(t.err).toEqual([NOT_RUNNING]);
  });

  it('--help describes the options', async () => {
    const t = run(['--help']);
    expect(await t.code).toBe(0);
    expect(t.out.join('\n')).toMatch(
      /--detail-type TYPE[\s\S]*--session-id ID[\s\S]*--json[\s\S]*--since-start/,
    );
  });
});
