/**
 * A small load run through the whole local pipeline, as `npm run load` runs it: nothing accepted
 * is lost, the report's figures add up, and every process and port the run started is gone after.
 */
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { type LoadReport, planCalls, runLoad } from '../../scripts/lib/load';
import { main } from '../../scripts/load';

/** This process's children (the integration tier's own DynamoDB Local among them), ps itself aside. */
function childPids(): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([pid, command]) => Number(pid) > 0 && command !== 'ps')
      .map(([pid]) => Number(pid));
  } catch {
    return []; // ps exits 1 when there are none
  }
}

function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** What is left, of the children a run started, once it returns. */
const leftOver = (before: number[]) => childPids().filter((pid) => !before.includes(pid));

let before: number[];
let report: LoadReport;

beforeAll(async () => {
  before = childPids();
  report = await runLoad({ events: 300, concurrency: 16, timeoutMs: 170_000 });
}, 180_000);

describe('runLoad, 300 events at concurrency 16 against its own local mode', () => {
  it('plays every event as planned: all accepted but the planned re-deliveries', () => {
    expect(report.problems).toEqual([]);
    expect(report.mode).toBe('local');
    expect(report.planned.events).toBe(300);
    expect(report.planned.calls).toBe(30);
    expect(report.sent).toBe(300);
    expect(report.duplicates).toBe(report.planned.duplicates);
    expect(report.accepted).toBe(300 - report.planned.duplicates);
    expect(report).toMatchObject({
      rejected: 0,
      errors: 0,
      unexpected: 0,
      timedOut: false,
      interrupted: false,
    });
    expect(report.statuses).toEqual({ '200 accepted': report.accepted, '200 duplicate': report.duplicates });
  });

  it('stores each accepted event once and publishes every one: lost 0', () => {
    expect(report.stored).toBe(report.accepted);
    expect(report.delivered?.received).toBeGreaterThanOrEqual(report.stored as number);
    expect(report.delivered?.distinct).toBe(report.accepted);
    expect(report.lost).toBe(0);
    expect(report.givenUp).toBe(0);
    const rules = report.delivered?.rules ?? [];
    expect(rules.flatMap((r) => r.hookTypes).sort()).toEqual(['EndIncCall', 'MissedIncCall']);
    for (const rule of rules) {
      expect(rule.expected).toBeGreaterThan(0);
      expect(rule.delivered).toBe(rule.expected);
    }
    expect(report.ok).toBe(true);
  });

  it('reports throughput and latency percentiles', () => {
    expect(report.send.seconds).toBeGreaterThan(0);
    expect(report.send.eventsPerSecond).toBeGreaterThan(0);
    expect(report.latencyMs.p50).toBeGreaterThan(0);
    expect(report.latencyMs.p50).toBeLessThanOrEqual(report.latencyMs.p99);
    expect(report.latencyMs.p99).toBeLessThanOrEqual(report.latencyMs.max);
  });

  it('stops every process and closes every port it started', async () => {
    expect(report.cleanedUp).toBe(true);
    expect(leftOver(before)).toEqual([]);
    const endpoints = report.endpoints;
    if (!endpoints) throw new Error('no endpoints in the report');
    for (const url of [endpoints.webhookUrl, endpoints.dynamodbEndpoint, endpoints.eventbridgeEndpoint]) {
      expect({ url, listening: await listening(url) }).toEqual({ url, listening: false });
    }
  });
});

describe('a run cut short', () => {
  it('returns what it has when aborted mid-send, and still stops everything', async () => {
    const stop = new AbortController();
    const interrupted = await runLoad({
      events: 20_000,
      concurrency: 8,
      signal: stop.signal,
      log: (line) => {
        if (line.startsWith('Sending')) setTimeout(() => stop.abort(), 1000);
      },
    });
    expect(interrupted).toMatchObject({ interrupted: true, ok: false, cleanedUp: true });
    expect(interrupted.sent).toBeGreaterThan(0);
    expect(interrupted.sent).toBeLessThan(20_000);
    expect(leftOver(before)).toEqual([]);
  }, 120_000);
});

describe('planCalls', () => {
  it.each([10, 97, 300, 20_000])('plans exactly %i requests in calls of ~10, SessionIDs fresh', (events) => {
    const calls = planCalls(events, { timeZone: 'Europe/Moscow' });
    expect(calls.reduce((n, c) => n + c.requests.length, 0)).toBe(events);
    expect(calls).toHaveLength(Math.round(events / 10));
    expect(new Set(calls.map((c) => c.sessionId)).size).toBe(calls.length);
  });
});

describe('npm run load', () => {
  it('refuses --token without --url, in one line, without starting anything', async () => {
    const err: string[] = [];
    const code = await main(['--token', 'x'], { out: () => {}, err: (l) => err.push(l), env: {} });
    expect(code).toBe(1);
    expect(err).toEqual([
      'npm run load: --token, --aws and --table go with --url; without it, a local mode is started (see npm run load -- --help)',
    ]);
  });

  it('passes its options to the engine and exits 1 when the run is not OK', async () => {
    const out: string[] = [];
    const run = jest.fn(async () => ({ ...report, ok: false, problems: ['1 accepted event(s) lost'] }));
    const code = await main(['--events', '300', '--concurrency', '16', '--timeout-s', '60'], {
      out: (l) => out.push(l),
      err: () => {},
      env: {},
      run,
    });
    expect(code).toBe(1);
    expect(run).toHaveBeenCalledWith(
      expect.objectContaining({ events: 300, concurrency: 16, timeoutMs: 60_000 }),
    );
    expect(out.join('\n').split('\n').at(-1)).toBe('NOT OK: 1 accepted event(s) lost');
  });
});
