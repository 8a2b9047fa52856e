/**
 * `npm start` and `npm run stop` as a user runs them, each in a process of its own, in a fresh
 * checkout-like directory: one local mode per `.local`, nothing listening beyond 127.0.0.1, the
 * request log, a stopped local mode that no tool mistakes for a running one, a restart that
 * reuses the build, and a `kill -9` that leaves no emulator behind and a lock that is taken over.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freshSpecExample } from '../../lambda/contract/spec-examples';
import { processRuns, type RuntimeFile, readRuntimeFile, requireRuntimeFile } from '../../local/runtime-file';

const ROOT = resolve(__dirname, '../..');
const START = join(ROOT, 'local/start.ts');
const STOP = join(ROOT, 'local/stop.ts');
/** tsx by path: the processes run in a directory of their own, where `--import tsx` would not resolve. */
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

/** Any free ports, no colour forced either way: what a user's pipe would get. */
const ENV = {
  ...process.env,
  PORT: '0',
  DYNAMODB_PORT: '0',
  EVENTBRIDGE_PORT: '0',
  SQS_PORT: '0',
  NO_COLOR: '',
  FORCE_COLOR: '',
  WEBHOOK_TOKEN: '',
};

interface Started {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

function startIn(cwd: string, args: string[] = []): Started {
  const proc = spawn(process.execPath, ['--import', TSX, START, ...args], { cwd, env: ENV });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  proc.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, out: () => out, err: () => err, exited };
}

async function until(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function ready(started: Started): Promise<void> {
  await until('the banner', () => started.out().includes('Requests:') || started.proc.exitCode !== null);
  if (started.proc.exitCode !== null) throw new Error(`npm start exited: ${started.err()}`);
}

const stop = (cwd: string) =>
  spawnSync(process.execPath, ['--import', TSX, STOP], {
    cwd,
    env: ENV,
    encoding: 'utf8',
    timeout: 60_000,
  });

const post = (runtime: RuntimeFile, body: string, token = runtime.token) =>
  fetch(runtime.webhookUrl, { method: 'POST', headers: { 'X-Webhook-Token': token }, body });

const portOf = (url: string) => Number(new URL(url).port);

/** The addresses a port listens on, from /proc/net (hex IPv4 or IPv6 and port). */
function listenAddresses(port: number): string[] {
  const found: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== '0A' || !local) continue;
      const [address, hexPort] = local.split(':');
      if (Number.parseInt(hexPort ?? '', 16) === port) found.push(address ?? '');
    }
  }
  return found;
}

/** 127.0.0.1 as /proc/net writes it: IPv4 little-endian, or IPv4-mapped IPv6. */
const LOOPBACK_HEX = new Set(['0100007F', '0000000000000000FFFF00000100007F']);

/** Whether a TCP connection to host:port is accepted. */
const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });

const ownAddresses = () =>
  Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a?.address as string);

const dynamodbPid = (cwd: string) =>
  Number(readFileSync(join(cwd, '.local/dynamodb/dynamodb-local.pid'), 'utf8'));

describe('npm start and npm run stop', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'npm-start-'));
  const runtimeFile = join(cwd, '.local/runtime.json');
  let first: Started;
  let runtime: RuntimeFile;

  afterAll(async () => {
    for (const p of [first?.proc]) if (p && p.exitCode === null) p.kill('SIGKILL');
    await stop(cwd);
  });

  it('starts, and listens on 127.0.0.1 alone: webhook, DynamoDB Local and EventBridge', async () => {
    first = startIn(cwd);
    await ready(first);
    runtime = requireRuntimeFile(runtimeFile);
    expect(runtime.pid).toBe(first.proc.pid);
    for (const url of [runtime.webhookUrl, runtime.dynamodbEndpoint, runtime.eventbridgeEndpoint]) {
      const addresses = listenAddresses(portOf(url));
      expect(addresses.length).toBeGreaterThan(0);
      for (const address of addresses) expect(LOOPBACK_HEX).toContain(address);
      for (const address of ownAddresses()) expect(await accepts(address, portOf(url))).toBe(false);
      expect(await accepts('127.0.0.1', portOf(url))).toBe(true);
    }
  }, 120_000);

  it('prints one line per request, refused ones included, without colour into a pipe', async () => {
    const sessionId = randomUUID();
    expect((await post(runtime, freshSpecExample('EndIncCall', sessionId))).status).toBe(200);
    expect((await post(runtime, '{"HookType":"EndIncCall"}')).status).toBe(400);
    expect((await post(runtime, freshSpecExample('EndIncCall'), 'wrong-token')).status).toBe(401);
    await until('three request lines', () => (first.out().match(/POST \/call-events/g) ?? []).length >= 3);
    const lines = first
      .out()
      .split('\n')
      .filter((l) => l.includes('POST /call-events'));
    expect(lines[0]).toMatch(new RegExp(`EndIncCall +${sessionId} {2}200 accepted {2}\\d+ ms$`));
    expect(lines[1]).toMatch(/EndIncCall +- +400 rejected contract {2}\d+ ms$/);
    expect(lines[2]).toMatch(/- +- +401 /);
    expect(first.out()).not.toContain('\u001b[');
    // Neither the token nor a phone number of the body reaches the terminal.
    expect(first.out().split('Requests:')[1]).not.toContain(runtime.token);
  });

  it('refuses a second start in the same checkout at once, naming the first, and changes nothing of it', async () => {
    const before = readFileSync(runtimeFile, 'utf8');
    const emulator = dynamodbPid(cwd);
    const second = startIn(cwd);
    expect(await second.exited).toBe(1);
    expect(second.err()).toContain(
      `npm start: local mode already runs in this checkout (PID ${first.proc.pid}, webhook ${runtime.webhookUrl})`,
    );
    expect(second.err()).toContain('npm run stop');
    expect(readFileSync(runtimeFile, 'utf8')).toBe(before);
    expect(processRuns(emulator)).toBe(true);
    expect((await post(runtime, freshSpecExample('EndIncCall'))).status).toBe(200);
  }, 60_000);

  it('npm run stop stops it; the runtime file is then marked stopped and no tool takes it for running', async () => {
    const emulator = dynamodbPid(cwd);
    const result = await stop(cwd);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`stopped local mode (PID ${first.proc.pid})`);
    expect(await first.exited).toBe(0);
    expect(processRuns(emulator)).toBe(false);
    expect(readRuntimeFile(runtimeFile)).toBeUndefined();
    expect(() => requireRuntimeFile(runtimeFile)).toThrow(
      'local mode is not running (start it with npm start)',
    );
    expect((await stop(cwd)).stdout).toContain('local mode is not running');
  }, 60_000);

  it('a restart reuses the build; after a kill -9 no emulator runs on, and the next start takes over', async () => {
    const again = startIn(cwd);
    await ready(again);
    expect(again.out()).toContain('Reusing the stack and bundles of the previous start');
    const emulator = dynamodbPid(cwd);
    again.proc.kill('SIGKILL');
    await again.exited;
    await until('the emulator to stop', () => !processRuns(emulator), 10_000);
    expect(readRuntimeFile(runtimeFile)).toBeUndefined();

    first = startIn(cwd);
    await ready(first);
    expect(first.out()).toContain(
      `local mode (PID ${again.proc.pid}) ended without stopping (killed?); taking over`,
    );
    runtime = requireRuntimeFile(runtimeFile);
    // The webhook keeps its token across restarts: a saved curl or a provider's setting still works.
    expect((await post(runtime, freshSpecExample('EndIncCall'))).status).toBe(200);
    expect((await stop(cwd)).status).toBe(0);
  }, 120_000);
});

describe('npm start --help', () => {
  it('prints the usage with the options and the environment, and starts nothing', () => {
    const result = spawnSync(process.execPath, ['--import', TSX, START, '--help'], {
      cwd: mkdtempSync(join(tmpdir(), 'npm-start-help-')),
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: npm start/);
    for (const word of ['--in-memory', '-c, --context', 'PORT', 'HOST', 'DYNAMODB_PORT', 'WEBHOOK_TOKEN'])
      expect(result.stdout).toContain(word);
  });

  it('refuses an unknown option, pointing at the help', () => {
    const result = spawnSync(process.execPath, ['--import', TSX, START, '--memory'], {
      cwd: mkdtempSync(join(tmpdir(), 'npm-start-help-')),
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^npm start: Unknown option '--memory'.*\(see npm start -- --help\)/);
  });
});
