/**
 * `npm run bench -- --cost`: what a million calls cost. A realistic mix (the month of calls'
 * proportions: answered with parallel and sequential ringing, missed, busy, outgoing, call-backs,
 * the customer calling again) played through the real pipeline in local mode, every billable unit
 * counted (measure.ts), priced (price.ts), against the floor and what a user would build instead;
 * then calls of 2, 6, 20 and 50 events, to show how the cost grows with a call's length.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PROJECT_ENV } from '../../../lambda/config/environment';
import type { CallEventInput } from '../../../lambda/contract/schema';
import { providerTime } from '../../../scripts/lib/scenarios';
import { stackSettings } from '../../../scripts/lib/stack-settings';
import { planMonth, type Sent } from '../month-of-calls';
import { startPipelineMeter, type Units, unitsBetween } from './measure';
import { type Floor, floorOf, GB, isScheduled, lambdaUsd, type Priced, price, storedBytes } from './price';
import { CHECKED, PRICES, REGION } from './prices';

export interface CostOptions {
  /** Calls of the realistic mix. @default 300 */
  calls: number;
  /** Calls of each length in the growth table. @default 10 */
  callsPerLength: number;
  lengths: readonly number[];
}

export const COST_DEFAULTS: CostOptions = { calls: 300, callsPerLength: 10, lengths: [2, 6, 20, 50] };

export interface CostResult {
  region: string;
  pricesChecked: string;
  mix: { units: Units; priced: Priced; byKind: Record<string, number> };
  floor: Floor;
  /** The same units with an HTTP API in front: the REST API's line repriced. */
  withHttpApi: number;
  /** The stack's `tracing` setting, and the total and X-Ray line with tracing on. */
  tracing: boolean;
  withTracing: { totalUsdPerMillionCalls: number; xrayUsdPerMillionCalls: number };
  ratioToFloor: number;
  /** Per million calls kept a month: items and their index copies, with point-in-time recovery. */
  storage: { bytesPerCall: number; usdPerMillionCallsMonth: number; byTable: Record<string, number> };
  /**
   * The bus archive's storage at a million calls a month, once it holds the stack's
   * `archiveRetentionDays` of them (what it builds up to; 0 days, kept for ever, is priced at 365).
   */
  archiveStorage: { bytesPerCall: number; retentionDays: number; gb: number; usdPerMonth: number };
  /** What the stack costs a month whatever the traffic. */
  fixedMonthly: { item: string; usd: number }[];
  growth: {
    eventsPerCall: number;
    usdPerMillionCalls: number;
    ratioToFloor: number;
    lines: Priced['lines'];
  }[];
}

const round = (n: number, digits = 2) => Number(n.toFixed(digits));

/**
 * A call of exactly `events` events, each with when it is sent: 2 is an outgoing call; more, an
 * incoming one created, rung (begin and end, two seconds apart) in turn, answered, and ended.
 */
export function callOfLength(id: string, events: number, start: number, timeZone: string): Sent {
  const at = (s: number) => providerTime(new Date(start + s * 1000), timeZone);
  const sent: Sent = [];
  const send = (s: number, body: CallEventInput) => sent.push({ body, at: start + s * 1000 });
  if (events === 2) {
    const parties = { SessionID: id, CityNumber: '4950001000', Caller: '80050010001', Called: '89161234567' };
    send(0, { HookType: 'CreateOutCall', StartTime: at(0), ...parties });
    send(60, {
      HookType: 'EndOutCall',
      StartTime: at(0),
      EndTime: at(60),
      Duration: 50,
      ResultCode: '200',
      ...parties,
    });
    return sent;
  }
  const parties = (Called: string) => ({
    SessionID: id,
    CityNumber: '4950001000',
    Caller: '9161234567',
    Called,
  });
  send(0, { HookType: 'CreateIncCall', StartTime: at(0), ...parties('4950001000') });
  const unanswered = Math.max(0, Math.floor((events - 4) / 2));
  for (let i = 0; i < unanswered; i++) {
    const employee = `8005001${String(i).padStart(4, '0')}`;
    send(1 + i * 2, { HookType: 'AttemptIncCallBegin', StartTime: at(1 + i * 2), ...parties(employee) });
    send(3 + i * 2, { HookType: 'AttemptIncCallEnd', EndTime: at(3 + i * 2), ...parties(employee) });
  }
  const t = 3 + unanswered * 2;
  send(t, { HookType: 'AttemptIncCallBegin', StartTime: at(t), ...parties('80050019999') });
  if (sent.length + 2 <= events)
    send(t + 5, { HookType: 'ChangeIncCall', StartDuration: at(t + 5), ...parties('80050019999') });
  send(t + 95, {
    HookType: 'EndIncCall',
    EndTime: at(t + 95),
    Duration: 90,
    ResultCode: '200',
    ...parties('80050019999'),
  });
  return sent;
}

export async function runCostBench(options: CostOptions, log: (line: string) => void): Promise<CostResult> {
  const meter = await startPipelineMeter();
  try {
    const project = meter.runtime.environments.project;
    const fold = {
      timeZone: String(project[PROJECT_ENV.timeZone]),
      defaultCountry: String(project[PROJECT_ENV.defaultCountry]) as 'RU',
    };
    const month = planMonth({ calls: options.calls, month: '2026-11', fold });
    const events = month.calls.flatMap((c) => c.sent);
    log(`  playing ${options.calls} calls (${events.length} events) through local mode…`);
    const before = meter.units();
    await meter.play(events);
    await meter.sweep();
    const mixUnits: Units = {
      calls: options.calls,
      events: events.length,
      ...unitsBetween(before, meter.units()),
    };
    const { tracing, archiveRetentionDays } = stackSettings();
    const priced = price(mixUnits, { tracing });
    const floor = floorOf(mixUnits, meter.runtime.tables.callEvents);
    const httpApi = price(mixUnits, { front: 'http', tracing }).totalUsdPerMillionCalls;
    const traced = price(mixUnits, { tracing: true });

    // Storage: every item of the mix, and its copy in each index whose keys it has.
    const client = new DynamoDBClient({
      endpoint: meter.runtime.dynamodbEndpoint,
      region: meter.runtime.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const byTable: Record<string, number> = {};
    try {
      for (const { table, items } of await meter.items()) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
        const keys = (Table?.KeySchema ?? []).map((k) => k.AttributeName as string);
        let bytes = 0;
        for (const item of items) {
          bytes += storedBytes(item);
          for (const index of Table?.GlobalSecondaryIndexes ?? []) {
            const indexKeys = (index.KeySchema ?? []).map((k) => k.AttributeName as string);
            if (!indexKeys.every((k) => k in item)) continue;
            const projection = index.Projection?.ProjectionType;
            const kept =
              projection === 'ALL'
                ? item
                : Object.fromEntries(
                    Object.entries(item).filter(
                      ([name]) =>
                        keys.includes(name) ||
                        indexKeys.includes(name) ||
                        (projection === 'INCLUDE' &&
                          (index.Projection?.NonKeyAttributes ?? []).includes(name)),
                    ),
                  );
            bytes += storedBytes(kept);
          }
        }
        byTable[table] = round(bytes / options.calls, 0);
      }
    } finally {
      client.destroy();
    }
    const bytesPerCall = Object.values(byTable).reduce((a, b) => a + b, 0);
    // Point-in-time recovery is on for every table: $0.20 per GB-month beside the storage itself.
    const storageUsd = ((bytesPerCall * 1e6) / GB) * (PRICES.dynamodbStorage.usd + 0.2);

    const archiveBytesPerCall = mixUnits.bus.bytes / mixUnits.calls;
    const retentionDays = archiveRetentionDays === 0 ? 365 : archiveRetentionDays;
    const archiveGb = ((archiveBytesPerCall * 1e6) / GB) * (retentionDays / (365 / 12));

    const sweep = Object.entries(mixUnits.lambda).find(([name]) => isScheduled(name))?.[1];
    const sweepsPerMonth = (30 * 24 * 60) / 5;
    const fixedMonthly = [
      {
        item: `the sweep, every 5 minutes (${sweepsPerMonth} invocations of ~${sweep ? round(sweep.billedMs / sweep.invocations, 0) : 0} ms)`,
        usd: round(
          sweep
            ? lambdaUsd({
                ...sweep,
                invocations: sweepsPerMonth,
                billedMs: (sweep.billedMs / sweep.invocations) * sweepsPerMonth,
              })
            : 0,
        ),
      },
      {
        item: 'the webhook token secret, and its reads (one a container every 5 minutes)',
        usd: round(PRICES.secretMonth.usd + sweepsPerMonth * PRICES.secretsManagerCall.usd),
      },
    ];

    log(`  calls of ${options.lengths.join(', ')} events…`);
    const growth: CostResult['growth'] = [];
    let start = Date.parse('2026-11-15T09:00:00Z');
    for (const length of options.lengths) {
      const bodies: Sent = [];
      for (let i = 0; i < options.callsPerLength; i++) {
        start += 600_000;
        bodies.push(...callOfLength(`length-${length}-${i}`, length, start, fold.timeZone));
      }
      const at = meter.units();
      await meter.play(bodies);
      const units: Units = {
        calls: options.callsPerLength,
        events: bodies.length,
        ...unitsBetween(at, meter.units()),
      };
      const p = price(units, { tracing });
      const f = floorOf(units, meter.runtime.tables.callEvents);
      growth.push({
        eventsPerCall: round(bodies.length / options.callsPerLength, 1),
        usdPerMillionCalls: p.totalUsdPerMillionCalls,
        ratioToFloor: round(p.totalUsdPerMillionCalls / f.floorUsdPerMillionCalls),
        lines: p.lines,
      });
    }

    return {
      region: REGION,
      pricesChecked: CHECKED,
      mix: { units: mixUnits, priced, byKind: month.byKind as Record<string, number> },
      floor,
      withHttpApi: httpApi,
      tracing,
      withTracing: {
        totalUsdPerMillionCalls: traced.totalUsdPerMillionCalls,
        xrayUsdPerMillionCalls: traced.lines.find((l) => l.component === 'X-Ray')?.usdPerMillionCalls ?? 0,
      },
      ratioToFloor: round(priced.totalUsdPerMillionCalls / floor.floorUsdPerMillionCalls),
      storage: { bytesPerCall, usdPerMillionCallsMonth: round(storageUsd), byTable },
      archiveStorage: {
        bytesPerCall: round(archiveBytesPerCall, 0),
        retentionDays,
        gb: round(archiveGb, 1),
        usdPerMonth: round(archiveGb * PRICES.archiveStorage.usd),
      },
      fixedMonthly,
      growth,
    };
  } finally {
    await meter.stop();
  }
}

const usd = (n: number) => `$${n.toFixed(2)}`;

/** The cost tables as the benchmark prints them and docs/BENCHMARKS.md shows them. */
export function formatCost(result: CostResult): string {
  const { priced, units } = result.mix;
  const total = priced.totalUsdPerMillionCalls;
  const lines = [
    `### Dollars per million calls (${result.region} list prices of ${result.pricesChecked}; ${units.calls} calls, ${priced.eventsPerCall} events a call)`,
    '',
    '| component | $ / million calls | share | units per call |',
    '|---|---:|---:|---|',
    ...[...priced.lines]
      .sort((a, b) => b.usdPerMillionCalls - a.usdPerMillionCalls)
      .map(
        (l) =>
          `| ${l.component} | ${usd(l.usdPerMillionCalls)} | ${((l.usdPerMillionCalls / total) * 100).toFixed(0)} % | ${l.units} |`,
      ),
    `| **total** | **${usd(total)}** | | |`,
    '',
    `Against the floor (an API request, an invocation of ${result.floor.perEvent.ingestMs} ms at ${result.floor.perEvent.ingestMemoryMb} MB, a conditional PutItem of ${result.floor.perEvent.putItemWru} WRU and a PutEvents entry per event): **${usd(result.floor.floorUsdPerMillionCalls)}**, so the total is **${result.ratioToFloor} ×** the floor.`,
    `X-Ray ${result.tracing ? 'is on' : 'is off (the default)'}; with \`tracing=true\` the total is ${usd(result.withTracing.totalUsdPerMillionCalls)} (X-Ray ${usd(result.withTracing.xrayUsdPerMillionCalls)}, default sampling at a million calls a month).`,
    `The same pipeline behind an HTTP API: ${usd(result.withHttpApi)}. EventBridge's own webhook pattern (a function URL, the function, PutEvents; no table, no calls layer): ${usd(result.floor.functionUrlUsdPerMillionCalls)}.`,
    '',
    '#### Where the write units go (per call)',
    '',
    '| table / index | WRU per call |',
    '|---|---:|',
    ...Object.entries(priced.writesPerCall)
      .sort((a, b) => b[1] - a[1])
      .map(([name, n]) => `| ${name} | ${n} |`),
    '',
    "#### How it grows with a call's events",
    '',
    '| events a call | $ / million calls | × its floor | DynamoDB reads | DynamoDB writes | Lambda |',
    '|---:|---:|---:|---:|---:|---:|',
    ...result.growth.map((g) => {
      const of = (c: string) => usd(g.lines.find((l) => l.component === c)?.usdPerMillionCalls ?? 0);
      return `| ${g.eventsPerCall} | ${usd(g.usdPerMillionCalls)} | ${g.ratioToFloor} | ${of('DynamoDB reads')} | ${of('DynamoDB writes')} | ${of('Lambda')} |`;
    }),
    '',
    `Storage: ${result.storage.bytesPerCall} bytes a call (items and their index copies), ${usd(result.storage.usdPerMillionCallsMonth)} a month per million calls kept (with point-in-time recovery).`,
    `The bus archive: ${result.archiveStorage.bytesPerCall} bytes a call; at a million calls a month kept ${result.archiveStorage.retentionDays} days it holds ${result.archiveStorage.gb} GB, ${usd(result.archiveStorage.usdPerMonth)} a month.`,
    `Whatever the traffic, a month: ${result.fixedMonthly.map((f) => `${f.item} ${usd(f.usd)}`).join('; ')}.`,
  ];
  return lines.join('\n');
}
