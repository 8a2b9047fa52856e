/** `.local/runtime.json` is trusted only while the local mode that wrote it runs. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  markRuntimeFileStopped,
  NOT_RUNNING,
  type RuntimeFile,
  readRuntimeFile,
  readRuntimeFileAsWritten,
  requireRuntimeFile,
  writeRuntimeFile,
} from '../../local/runtime-file';

const file = (overrides: Partial<RuntimeFile> = {}): RuntimeFile => ({
  pid: process.pid,
  webhookUrl: 'http://127.0.0.1:3000/call-events',
  token: 'local-token',
  region: 'us-east-1',
  dynamodbEndpoint: 'http://127.0.0.1:8000',
  eventbridgeEndpoint: 'http://127.0.0.1:4010',
  tables: { callEvents: 'CallEvents', rejectedEvents: 'RejectedCallEvents', calls: 'Calls' },
  deliveriesDir: '.local/deliveries',
  eventsFile: '.local/events.ndjson',
  timeZone: 'Europe/Moscow',
  eventBusName: 'call-events',
  eventSource: 'telephony.call-events',
  defaultCountry: 'RU',
  ...overrides,
});

const path = () => join(mkdtempSync(join(tmpdir(), 'runtime-file-')), 'runtime.json');

describe('the runtime file', () => {
  it('describes a running local mode', () => {
    const p = path();
    writeRuntimeFile(p, file());
    expect(readRuntimeFile(p)).toEqual(file());
    expect(requireRuntimeFile(p)).toEqual(file());
  });

  it('is readable by its owner alone: it holds the token', () => {
    const p = path();
    writeRuntimeFile(p, file());
    expect(statSync(p).mode & 0o777).toBe(0o600);
  });

  it('once marked stopped, describes no running local mode, though it is kept as written', () => {
    const p = path();
    writeRuntimeFile(p, file());
    markRuntimeFileStopped(p, new Date('2026-12-02T10:00:00Z'));
    expect(readRuntimeFile(p)).toBeUndefined();
    expect(readRuntimeFileAsWritten(p)?.stoppedAt).toBe('2026-12-02T10:00:00.000Z');
    expect(() => requireRuntimeFile(p)).toThrow(NOT_RUNNING);
  });

  it('describes no running local mode when its process is gone (kill -9)', () => {
    const p = path();
    const gone = Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout,
    );
    writeRuntimeFile(p, file({ pid: gone }));
    expect(readRuntimeFile(p)).toBeUndefined();
    expect(() => requireRuntimeFile(p)).toThrow('local mode is not running (start it with npm start)');
  });

  it('none at all: not running', () => {
    expect(readRuntimeFile(path())).toBeUndefined();
    expect(() => requireRuntimeFile(path())).toThrow(NOT_RUNNING);
  });
});
