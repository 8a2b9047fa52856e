/**
 * The cost benchmark's arithmetic (bench/lib/cost/price.ts): counted units times the list prices,
 * per million calls, checked against a calculation by hand; X-Ray's default sampling; the floor.
 */
import type { Units } from '../../bench/lib/cost/measure';
import {
  floorOf,
  platformLogBytes,
  price,
  SECONDS_PER_MONTH,
  sampledPerSecond,
} from '../../bench/lib/cost/price';

/** Ten calls of four events each, with round numbers. */
const units: Units = {
  calls: 10,
  events: 40,
  api: { requests: 40, requestBytes: 8_000, accessLogBytes: 40 * 330 },
  lambda: {
    WebhookIngestFunction: {
      invocations: 40,
      billedMs: 400,
      memoryMb: 256,
      logging: { format: 'JSON', systemLogLevel: 'WARN' },
    },
    ProjectorProjectFunction: { invocations: 40, billedMs: 1_200, memoryMb: 512 },
    SweepSweepFunction: { invocations: 1, billedMs: 50, memoryMb: 256 },
  },
  dynamodb: {
    write: { CallEvents: { table: 40 }, Calls: { table: 80, ByDay: 80 } },
    read: { CallEvents: { table: 20 } },
    requests: {},
    failedConditionalWrites: 0,
  },
  bus: { entries: 50, chunks: 50, bytes: 50_000 },
  sqs: { requests: 5 },
  logs: { functionBytes: 20_000, invocations: 81 },
};
const line = (priced: ReturnType<typeof price>, component: string) =>
  priced.lines.find((l) => l.component === component)?.usdPerMillionCalls;

describe('platformLogBytes', () => {
  it("counts Lambda's own lines by the log format and system level, with X-Ray ids when traced", () => {
    expect(platformLogBytes(undefined, false)).toBe(280);
    expect(platformLogBytes({ format: 'Text', systemLogLevel: 'INFO' }, true)).toBe(360);
    expect(platformLogBytes({ format: 'JSON', systemLogLevel: 'INFO' }, false)).toBe(378);
    expect(platformLogBytes({ format: 'JSON', systemLogLevel: 'WARN' }, true)).toBe(0);
  });
});

describe('price', () => {
  const priced = price(units, { tracing: false });

  it('prices each component per million calls as a hand calculation does', () => {
    // Per call: 4 requests × $3.50 / M → $14 per million calls.
    expect(line(priced, 'API Gateway')).toBe(14);
    // Per call 4 + 4 invocations × $0.20 / M, plus 40 ms at 0.25 GB and 120 ms at 0.5 GB at $0.0000133334 / GB-s.
    const lambda = (8 * 0.2) / 1 + (0.04 * 0.25 + 0.12 * 0.5) * 0.0000133334 * 1e6;
    expect(line(priced, 'Lambda')).toBeCloseTo(lambda, 2);
    // 20 write units a call at $0.625 / M, 2 read units at $0.125 / M.
    expect(line(priced, 'DynamoDB writes')).toBe(12.5);
    expect(line(priced, 'DynamoDB reads')).toBe(0.25);
    expect(line(priced, 'EventBridge')).toBe(5);
    expect(line(priced, 'SQS')).toBe(0.2);
    // Lambda's own lines: none for the ingest (JSON, system level WARN), START, END and REPORT
    // in text for the projector's 4 invocations a call; 4 access log lines of 330 bytes.
    const logBytes = 2_000 + 4 * 280 + 4 * 330;
    expect(line(priced, 'CloudWatch Logs')).toBeCloseTo((logBytes * 1e6 * 0.5) / 1024 ** 3, 2);
    expect(line(priced, 'X-Ray')).toBe(0);
    expect(priced.totalUsdPerMillionCalls).toBeCloseTo(
      priced.lines.reduce((n, l) => n + l.usdPerMillionCalls, 0),
      1,
    );
    expect(priced.writesPerCall).toEqual({ CallEvents: 4, Calls: 8, 'Calls / ByDay': 8 });
  });

  it('leaves the scheduled sweep out of the per-call figures', () => {
    expect(priced.lines.find((l) => l.component === 'Lambda')?.units).not.toContain('Sweep');
  });

  it('prices an HTTP API front door at its own price', () => {
    expect(line(price(units, { front: 'http', tracing: false }), 'API Gateway')).toBe(4);
  });
});

describe("X-Ray's default sampling", () => {
  it('records the first request each second and 5 % of the rest', () => {
    expect(sampledPerSecond(0.5)).toBe(0.5);
    expect(sampledPerSecond(1)).toBe(1);
    expect(sampledPerSecond(21)).toBe(2);
  });

  it('prices the traces recorded at the traffic given, not every trace started', () => {
    // 4 API requests and 4 projector invocations a call: two entry points.
    const busy = price(units, { tracing: true, callsPerMonth: 100 * SECONDS_PER_MONTH });
    // 400 a second at each: 1 + 0.05 × 399 = 20.95 recorded a second of 400 started.
    const recordedPerCall = (2 * 20.95) / 100;
    expect(line(busy, 'X-Ray')).toBeCloseTo(recordedPerCall * 5, 1);
    const quiet = price(units, { tracing: true, callsPerMonth: 1_000 });
    // Far below one a second: every trace started is recorded, 8 a call at $5 / M.
    expect(line(quiet, 'X-Ray')).toBeCloseTo(40, 2);
  });
});

describe('the floor', () => {
  it('is an API request, an invocation, the PutItem and a PutEvents entry for every event', () => {
    const floor = floorOf(units, 'CallEvents');
    const invocation = 0.2 + 0.01 * 0.25 * 0.0000133334 * 1e6;
    const perEvent = 3.5 + invocation + 1 * 0.625 + 1;
    expect(floor.floorUsdPerMillionCalls).toBeCloseTo(4 * perEvent, 2);
    expect(floor.httpApiUsdPerMillionCalls).toBeCloseTo(4 * (perEvent - 2.5), 2);
    expect(floor.functionUrlUsdPerMillionCalls).toBeCloseTo(4 * (invocation + 1), 2);
    expect(floor.perEvent).toEqual({ ingestMs: 10, ingestMemoryMb: 256, putItemWru: 1 });
  });
});
