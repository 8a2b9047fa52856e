/**
 * From counted units to dollars: each component's cost per million calls with the units behind
 * it, the floor (what the asked-for pipeline costs at least), and what a user would build instead,
 * priced from the same units with the list prices of prices.ts.
 */

import type { Units } from './measure';
import { PRICES } from './prices';

/** Bytes in a GB as AWS bills data (GiB). */
const GB = 1024 ** 3;

/**
 * What Lambda writes to CloudWatch Logs for every invocation besides the function's own lines,
 * by the function's LoggingConfig. Text: START (~71 bytes), END (~52) and REPORT (~157, e.g.
 * `REPORT RequestId: 1f9b… Duration: 12.34 ms Billed Duration: 13 ms Memory Size: 256 MB Max
 * Memory Used: 92 MB`), and ~80 more with the X-Ray segment's ids when traced. JSON at INFO:
 * `platform.start` (~141) and `platform.report` (~237), the ids likewise. JSON with the system
 * level at WARN: nothing for an invocation that succeeded (its lines are DEBUG and INFO).
 */
export function platformLogBytes(
  logging: { format: string; systemLogLevel: string } | undefined,
  tracing: boolean,
): number {
  const format = logging?.format ?? 'Text';
  const level = logging?.systemLogLevel ?? 'INFO';
  if (format === 'JSON' && level !== 'DEBUG' && level !== 'INFO') return 0;
  return (format === 'JSON' ? 378 : 280) + (tracing ? 80 : 0);
}
export type Component =
  | 'API Gateway'
  | 'Lambda'
  | 'DynamoDB writes'
  | 'DynamoDB reads'
  | 'EventBridge'
  | 'EventBridge archive'
  | 'SQS'
  | 'CloudWatch Logs'
  | 'X-Ray';

export interface Line {
  component: Component;
  /** US dollars per million calls. */
  usdPerMillionCalls: number;
  /** The units behind it, per call, said in words. */
  units: string;
}

export interface Priced {
  lines: Line[];
  totalUsdPerMillionCalls: number;
  eventsPerCall: number;
  /** Write units by table and index, per call: where DynamoDB's writes go. */
  writesPerCall: Record<string, number>;
}

const perMillion = (amount: number, calls: number) => (amount / calls) * 1e6;
const round = (n: number, digits = 2) => Number(n.toFixed(digits));
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** The functions that run for calls; the sweep runs on its schedule whatever the traffic (fixed). */
export const isScheduled = (functionName: string) => /Sweep/.test(functionName);

export function lambdaUsd(f: { invocations: number; billedMs: number; memoryMb: number }): number {
  return (
    f.invocations * PRICES.lambdaRequest.usd +
    (f.billedMs / 1000) * (f.memoryMb / 1024) * PRICES.lambdaArmGbSecond.usd
  );
}

/** Seconds in a month of 30 days. */
export const SECONDS_PER_MONTH = 30 * 86_400;

/**
 * Traces X-Ray records a second from one entry point (the API stage, or a function invoked by
 * its stream or schedule) receiving `rate` requests a second, under the default sampling rule,
 * which Lambda applies and no setting changes: the first request each second, and 5 % of the rest.
 */
export const sampledPerSecond = (rate: number) => Math.min(rate, 1) + 0.05 * Math.max(rate - 1, 0);

export interface PriceOptions {
  front?: 'rest' | 'http';
  /** Whether the API and the functions trace with X-Ray (the stack's `tracing`). @default true */
  tracing?: boolean;
  /** The traffic X-Ray's sampling is worked out at: calls a month, spread evenly. @default 1,000,000 */
  callsPerMonth?: number;
}

export function price(units: Units, options: PriceOptions = {}): Priced {
  const front = options.front ?? 'rest';
  const callsPerMonth = options.callsPerMonth ?? 1e6;
  const { calls } = units;
  const per = (n: number) => round(n / calls, 3);
  const perCall = (amount: number) => perMillion(amount, calls);
  const functions = Object.entries(units.lambda).filter(([name]) => !isScheduled(name));
  const writes = Object.entries(units.dynamodb.write).flatMap(([table, parts]) =>
    Object.entries(parts).map(([part, n]) => [`${table}${part === 'table' ? '' : ` / ${part}`}`, n] as const),
  );
  const wru = sum(writes.map(([, n]) => n));
  const rru = sum(Object.values(units.dynamodb.read).flatMap((parts) => Object.values(parts)));
  const platformBytes = sum(
    functions.map(([, f]) => f.invocations * platformLogBytes(f.logging, options.tracing !== false)),
  );
  const logBytes = units.logs.functionBytes + platformBytes + units.api.accessLogBytes;
  // Each entry point of a trace: the API's requests, and each function not invoked by the API.
  const entryPoints = [
    units.api.requests,
    ...functions.filter(([n]) => !/Ingest/.test(n)).map(([, f]) => f.invocations),
  ];
  const traces = sum(entryPoints);
  const recordedPerCall =
    options.tracing === false
      ? 0
      : sum(
          entryPoints.map(
            (n) =>
              (sampledPerSecond(((n / calls) * callsPerMonth) / SECONDS_PER_MONTH) * SECONDS_PER_MONTH) /
              callsPerMonth,
          ),
        );
  const apiPrice = front === 'rest' ? PRICES.restApiRequest : PRICES.httpApiRequest;
  const lines: Line[] = [
    {
      component: 'API Gateway',
      usdPerMillionCalls: perCall(units.api.requests * apiPrice.usd),
      units: `${per(units.api.requests)} ${front === 'rest' ? 'REST' : 'HTTP'} API requests`,
    },
    {
      component: 'Lambda',
      usdPerMillionCalls: perCall(sum(functions.map(([, f]) => lambdaUsd(f)))),
      units: functions
        .map(
          ([name, f]) =>
            `${name} ${per(f.invocations)} × ${round(f.billedMs / Math.max(1, f.invocations), 1)} ms at ${f.memoryMb} MB`,
        )
        .join('; '),
    },
    {
      component: 'DynamoDB writes',
      usdPerMillionCalls: perCall(wru * PRICES.dynamodbWrite.usd),
      units: `${per(wru)} WRU (${per(units.dynamodb.failedConditionalWrites)} of them failed conditional writes)`,
    },
    {
      component: 'DynamoDB reads',
      usdPerMillionCalls: perCall(rru * PRICES.dynamodbRead.usd),
      units: `${per(rru)} RRU; stream reads by Lambda are free`,
    },
    {
      component: 'EventBridge',
      usdPerMillionCalls: perCall(units.bus.chunks * PRICES.putEventsEntry.usd),
      units: `${per(units.bus.entries)} PutEvents entries (${per(units.bus.chunks)} 64 KB chunks)`,
    },
    {
      component: 'EventBridge archive',
      usdPerMillionCalls: perCall((units.bus.bytes / GB) * PRICES.archiveGb.usd),
      units: `${per(units.bus.bytes)} bytes archived`,
    },
    {
      component: 'SQS',
      usdPerMillionCalls: perCall(units.sqs.requests * PRICES.sqsRequest.usd),
      units: `${per(units.sqs.requests)} SendMessage from the rules to their queues`,
    },
    {
      component: 'CloudWatch Logs',
      usdPerMillionCalls: perCall((logBytes / GB) * PRICES.logsIngestedGb.usd),
      units: `${per(logBytes)} bytes (functions ${per(units.logs.functionBytes)}, Lambda's own lines ${per(platformBytes)}, access log ${per(units.api.accessLogBytes)})`,
    },
    {
      component: 'X-Ray',
      usdPerMillionCalls: recordedPerCall * 1e6 * PRICES.xrayTrace.usd,
      units:
        options.tracing === false
          ? 'tracing off'
          : `${round(recordedPerCall, 3)} traces recorded of ${per(traces)} started (default sampling at ${callsPerMonth.toLocaleString('en-US')} calls a month)`,
    },
  ];
  return {
    lines: lines.map((l) => ({ ...l, usdPerMillionCalls: round(l.usdPerMillionCalls) })),
    totalUsdPerMillionCalls: round(sum(lines.map((l) => l.usdPerMillionCalls))),
    eventsPerCall: round(units.events / calls, 2),
    writesPerCall: Object.fromEntries(writes.map(([name, n]) => [name, round(n / calls, 3)])),
  };
}

export interface Floor {
  /** Per million calls: an API request, an invocation, a conditional PutItem and a PutEvents entry per event. */
  floorUsdPerMillionCalls: number;
  /** The same units behind an HTTP API instead of the REST API. */
  httpApiUsdPerMillionCalls: number;
  /** EventBridge's own webhook pattern: a function URL (no API Gateway), the function, PutEvents; no table. */
  functionUrlUsdPerMillionCalls: number;
  perEvent: { ingestMs: number; ingestMemoryMb: number; putItemWru: number };
}

export function floorOf(units: Units, callEventsTable: string): Floor {
  const ingest = Object.entries(units.lambda).find(([name]) => /Ingest/.test(name))?.[1];
  if (!ingest) throw new Error('No ingest invocation was counted');
  const events = units.events;
  const ms = ingest.billedMs / ingest.invocations;
  const invocation = lambdaUsd({ invocations: 1, billedMs: ms, memoryMb: ingest.memoryMb });
  const putItemWru = (units.dynamodb.write[callEventsTable]?.table ?? 0) / events;
  const perEvent = (front: number, table: boolean) =>
    front + invocation + (table ? putItemWru * PRICES.dynamodbWrite.usd : 0) + PRICES.putEventsEntry.usd;
  const perCall = (usd: number) => round(perMillion(usd * events, units.calls));
  return {
    floorUsdPerMillionCalls: perCall(perEvent(PRICES.restApiRequest.usd, true)),
    httpApiUsdPerMillionCalls: perCall(perEvent(PRICES.httpApiRequest.usd, true)),
    functionUrlUsdPerMillionCalls: perCall(perEvent(0, false)),
    perEvent: { ingestMs: round(ms, 1), ingestMemoryMb: ingest.memoryMb, putItemWru: round(putItemWru, 3) },
  };
}

/** Bytes one stored item costs: its attributes, and DynamoDB's 100 bytes of overhead. */
export function storedBytes(item: Record<string, unknown>): number {
  return Buffer.byteLength(JSON.stringify(item)) + 100;
}

export { GB };
