/**
 * The call-centre report over a month of calls in local mode: DynamoDB Local with the stack's
 * own tables, its Calls table filled with a month of a busy line (month-of-calls.ts) by
 * BatchWrite, then `npm run report`'s own functions (`reportRequest`, `callsOfPeriod`,
 * `callCentreReport`, `formatReport`) timed over a day, a week and the month, for every city
 * number and for one, in rounds interleaved with their floor: the same index queries, every
 * page, and nothing else. One more pass, through a client that asks for the consumed capacity
 * and counts the response bodies, gives the read capacity and the bytes; the heap that the
 * month's records take is measured once, after a full garbage collection on each side.
 */
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  paginateQuery,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import {
  CALLS_INDEXES,
  DynamoDbCallsStore,
  datesOf,
  localPeriod,
  type PeriodQuery,
  readProjectConfig,
  type StoredCall,
} from '../../lambda/calls';
import { PROJECT_ENV } from '../../lambda/config/environment';
import { lastSecondBefore } from '../../lambda/shared/time';
import { LOCAL_AWS_ENV, startDynamoDbLocal } from '../../local/dynamodb-local';
import { synthesizeTemplate } from '../../local/synth';
import { createStackTables } from '../../local/tables';
import { functionEnvironment, resourcesOfType } from '../../local/template';
import { callCentreReport } from '../../scripts/lib/report';
import { formatReport } from '../../scripts/lib/report-format';
import { reportRequest } from '../../scripts/report';
import { type MonthOfCalls, monthOfCalls } from './month-of-calls';
import { onCleanup, throwIfInterrupted } from './processes';
import { median, round } from './stats';

/** The month the calls fill, and the periods reported on: a Wednesday, its week (Monday to Sunday), the month. */
export const REPORT_MONTH = '2026-11';
const PERIODS = [
  { period: 'day', from: '2026-11-18', to: '2026-11-18' },
  { period: 'week', from: '2026-11-16', to: '2026-11-22' },
  { period: 'month', from: '2026-11-01', to: '2026-11-30' },
] as const;

export interface CallReportOptions {
  /** Calls in the month. */
  calls: number;
  /** Timed rounds, each running every case's report and its floor once. */
  rounds: number;
}

export interface ReportCaseSummary {
  period: (typeof PERIODS)[number]['period'];
  from: string;
  to: string;
  /** `--city-number`; absent: every city number. */
  cityNumber?: string;
  index: string;
  /** Records of the data set in the period (and of the city number): what the report must read. */
  records: number;
  /** What `callsOfPeriod` reported: items read (ScannedCount) and Query requests (pages). */
  itemsRead: number;
  pages: number;
  floorItemsRead: number;
  floorPages: number;
  /** The report's incoming plus outgoing calls: every record it counted. */
  counted: number;
  /** Medians over the rounds, ms: the whole report, then its parts; the floor. */
  reportMs: number;
  readMs: number;
  computeMs: number;
  formatMs: number;
  floorMs: number;
  /** Median over the rounds of report ÷ floor, each pair measured back to back. */
  reportOverFloor: number;
  /** Read capacity units DynamoDB Local says the report's queries consumed. */
  readCapacityUnits: number;
  /** Bytes of the Query responses' bodies (DynamoDB JSON, before parsing). */
  responseBytes: number;
  samples: { reportMs: number[]; floorMs: number[] };
}

export interface CallReportSummary {
  /** When this phase ran: with --report-only, the rest of results.json is from an earlier run. */
  generatedAt: string;
  node: string;
  month: string;
  timeZone: string;
  rounds: number;
  data: {
    calls: number;
    records: number;
    events: number;
    byKind: MonthOfCalls['byKind'];
    cityNumbers: string[];
    employees: number;
    customers: number;
    generateSeconds: number;
    writeSeconds: number;
    /** The records as a table export to S3 writes them (DynamoDB JSON, an item a line), gzipped. */
    exportGzipBytes: number;
  };
  cases: ReportCaseSummary[];
  /**
   * Heap the month's records take once read (every city number), after a full GC; absent without
   * one. Not the RSS: this process also holds the CDK app it synthesized, which the report does not.
   */
  memory?: { records: number; heapBytes: number; bytesPerRecord: number };
  problems: string[];
  ok: boolean;
}

/** The records into the table by BatchWrite, 25 items a request, a few requests in flight. */
async function writeRecords(doc: DynamoDBDocumentClient, table: string, records: readonly StoredCall[]) {
  const batches = Array.from({ length: Math.ceil(records.length / 25) }, (_, i) =>
    records.slice(i * 25, i * 25 + 25),
  );
  let next = 0;
  const lane = async () => {
    while (next < batches.length) {
      let requests = (batches[next++] as StoredCall[]).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 1; requests.length > 0; attempt++) {
        if (attempt > 10) throw new Error(`DynamoDB Local left ${requests.length} item(s) unprocessed`);
        const { UnprocessedItems } = await doc.send(
          new BatchWriteCommand({ RequestItems: { [table]: requests } }),
        );
        requests = (UnprocessedItems?.[table] ?? []) as typeof requests;
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, lane));
}

/**
 * The floor: the report's index queries of the period, every page, then, the indexes holding keys
 * only, the records read by key (BatchGetItem, 100 a request, as many at once as the read model
 * sends); items counted and dropped.
 */
async function queryFloor(
  doc: DynamoDBDocumentClient,
  table: string,
  options: PeriodQuery,
): Promise<{ items: number; pages: number }> {
  const period = localPeriod(options.from, options.to, options.timeZone);
  let inputs: QueryCommandInput[];
  if (options.cityNumber !== undefined) {
    const index = CALLS_INDEXES.byCityNumber;
    // StartedAt has whole seconds: the period's last second is its end, included.
    const last = lastSecondBefore(period.to);
    inputs = [
      {
        TableName: table,
        IndexName: index.indexName,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
        ExpressionAttributeValues: { ':pk': options.cityNumber, ':from': period.from, ':to': last },
      },
    ];
  } else {
    const index = CALLS_INDEXES.byDay;
    inputs = datesOf(options.from, options.to).map((day) => ({
      TableName: table,
      IndexName: index.indexName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': index.partitionKey },
      ExpressionAttributeValues: { ':pk': day },
    }));
  }
  let items = 0;
  let pages = 0;
  const keys: Record<string, unknown>[] = [];
  for (const input of inputs) {
    for await (const page of paginateQuery({ client: doc }, input)) {
      items += page.Count ?? 0;
      pages++;
      for (const item of page.Items ?? []) keys.push({ SessionID: item.SessionID });
    }
  }
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < keys.length; i += 100) batches.push(keys.slice(i, i + 100));
  const readBatch = async (batch: Record<string, unknown>[]) => {
    let pending = batch;
    while (pending.length > 0) {
      const answer = await doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending } } }));
      pending = (answer.UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, unknown>[];
    }
  };
  for (let i = 0; i < batches.length; i += 4) await Promise.all(batches.slice(i, i + 4).map(readBatch));
  return { items, pages };
}

/** A client that asks every Query for its consumed capacity and counts the response bodies' bytes. */
function countingClient(config: DynamoDBClientConfig) {
  const client = new DynamoDBClient(config);
  const counts = { readCapacityUnits: 0, responseBytes: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'QueryCommand' && context.commandName !== 'BatchGetItemCommand')
        return next(args);
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      // A Query answers one ConsumedCapacity, a BatchGetItem one a table.
      const consumed = (
        result.output as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] }
      ).ConsumedCapacity;
      for (const c of Array.isArray(consumed) ? consumed : [consumed])
        counts.readCapacityUnits += c?.CapacityUnits ?? 0;
      return result;
    },
    { step: 'initialize', name: 'benchConsumedCapacity' },
  );
  // Below the deserializer: the raw body, read, counted and handed on.
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const response = result.response as { body?: Readable };
      if (response.body) {
        const chunks: Buffer[] = [];
        for await (const chunk of response.body) chunks.push(chunk as Buffer);
        const body = Buffer.concat(chunks);
        counts.responseBytes += body.length;
        response.body = Readable.from(body);
      }
      return result;
    },
    { step: 'deserialize', name: 'benchResponseBytes', priority: 'low' },
  );
  return { client, doc: DynamoDBDocumentClient.from(client), counts };
}

/** `global.gc`, from V8's flag set at run time; undefined if this Node.js does not allow it. */
function garbageCollector(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

export async function measureCallReport(
  options: CallReportOptions,
  log: (line: string) => void,
): Promise<CallReportSummary> {
  const started = Date.now();
  const since = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
  log('  synthesizing the stack for its tables and the projector’s settings…');
  const template = synthesizeTemplate();
  const ddb = await startDynamoDbLocal({ inMemory: true });
  const unregister = onCleanup(ddb.stop);
  const config: DynamoDBClientConfig = {
    endpoint: ddb.endpoint,
    region: LOCAL_AWS_ENV.AWS_REGION,
    credentials: {
      accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID,
      secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY,
    },
  };
  // As `npm run report` builds its client (scripts/report.ts).
  const client = new DynamoDBClient(config);
  const doc = DynamoDBDocumentClient.from(client);
  const counting = countingClient(config);
  try {
    const tables = await createStackTables(client, template);
    const projector = resourcesOfType(template, 'AWS::Lambda::Function').find(([, fn]) => {
      const variables = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables;
      return variables !== undefined && PROJECT_ENV.defaultCountry in variables;
    });
    if (!projector) throw new Error('The stack has no call projector');
    const settings = readProjectConfig(
      functionEnvironment(template, projector[0], (id) => tables.find((t) => t.logicalId === id)?.name),
    );
    const table = settings.tables.calls;
    const { timeZone } = settings.fold;

    log(`  [${since()}] projecting ${options.calls.toLocaleString('en-US')} calls of ${REPORT_MONTH}…`);
    const generating = Date.now();
    const month = await monthOfCalls({
      calls: options.calls,
      month: REPORT_MONTH,
      fold: settings.fold,
      callbackWindowHours: settings.callbackWindowHours,
      retentionDays: settings.retentionDays,
    });
    const generateSeconds = round((Date.now() - generating) / 1000, 1);
    throwIfInterrupted();

    log(
      `  [${since()}] writing ${month.records.length.toLocaleString('en-US')} records to ${table} by BatchWrite…`,
    );
    const writing = Date.now();
    await writeRecords(
      DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
      table,
      month.records,
    );
    const writeSeconds = round((Date.now() - writing) / 1000, 1);
    const exportGzipBytes = gzipSync(
      month.records
        .map((r) => JSON.stringify({ Item: marshall(r, { removeUndefinedValues: true }) }))
        .join('\n'),
    ).length;
    throwIfInterrupted();

    const busiest = month.cityNumbers[0] as string;
    const cases = [undefined, busiest].flatMap((cityNumber) =>
      PERIODS.map((p) => ({ ...p, cityNumber, timeZone })),
    );
    const recordsOf = (c: (typeof cases)[number]) =>
      month.records.filter(
        (r) =>
          r.Day >= c.from && r.Day <= c.to && (c.cityNumber === undefined || r.CityNumber === c.cityNumber),
      ).length;

    type Round = { reportMs: number; readMs: number; computeMs: number; formatMs: number; floorMs: number };
    const rounds = cases.map(() => [] as Round[]);
    const last = cases.map(() => ({ itemsRead: 0, pages: 0, counted: 0, floorItems: 0, floorPages: 0 }));
    const runCase = async (i: number, floorFirst: boolean): Promise<Round> => {
      const c = cases[i] as (typeof cases)[number];
      const seen = last[i] as (typeof last)[number];
      const request = reportRequest({
        from: c.from,
        to: c.to,
        'city-number': c.cityNumber,
        json: false,
        aws: false,
      });
      const floor = async () => {
        const t = performance.now();
        const read = await queryFloor(doc, table, c);
        const ms = performance.now() - t;
        seen.floorItems = read.items;
        seen.floorPages = read.pages;
        return ms;
      };
      const report = async () => {
        const t0 = performance.now();
        const store = new DynamoDbCallsStore(doc, table);
        const records = await store.callsOfPeriod({
          from: request.from,
          to: request.to,
          timeZone,
          cityNumber: request.cityNumber,
        });
        const t1 = performance.now();
        const figures = callCentreReport(records, { ...request });
        const t2 = performance.now();
        formatReport(figures);
        const t3 = performance.now();
        seen.itemsRead = store.reads.itemsRead;
        seen.pages = store.reads.queries;
        seen.counted = figures.total.offered + figures.total.outgoing;
        return { reportMs: t3 - t0, readMs: t1 - t0, computeMs: t2 - t1, formatMs: t3 - t2 };
      };
      if (floorFirst) {
        const floorMs = await floor();
        return { ...(await report()), floorMs };
      }
      const timed = await report();
      return { ...timed, floorMs: await floor() };
    };

    log(
      `  [${since()}] warming up, then ${options.rounds} rounds of ${cases.length} reports, each beside its floor…`,
    );
    for (let i = 0; i < cases.length; i++) await runCase(i, true);
    for (let r = 0; r < options.rounds; r++) {
      throwIfInterrupted();
      // Which of the pair goes first alternates, so that neither always meets a warmer cache.
      for (let i = 0; i < cases.length; i++) (rounds[i] as Round[]).push(await runCase(i, r % 2 === 0));
      process.stderr.write(
        `\r  report rounds: ${r + 1}/${options.rounds}${r + 1 === options.rounds ? '\n' : ''}`,
      );
    }

    // Read capacity and bytes: the report's own queries once more, through the counting client.
    const costs: { readCapacityUnits: number; responseBytes: number }[] = [];
    for (const c of cases) {
      counting.counts.readCapacityUnits = 0;
      counting.counts.responseBytes = 0;
      await new DynamoDbCallsStore(counting.doc, table).callsOfPeriod(c);
      costs.push({ ...counting.counts });
    }

    const gc = garbageCollector();
    let memory: CallReportSummary['memory'];
    if (gc) {
      const whole = cases.find(
        (c) => c.period === 'month' && c.cityNumber === undefined,
      ) as (typeof cases)[number];
      gc();
      const before = process.memoryUsage().heapUsed;
      const read = await new DynamoDbCallsStore(doc, table).callsOfPeriod(whole);
      gc();
      const heapBytes = process.memoryUsage().heapUsed - before;
      memory = {
        records: read.length,
        heapBytes,
        bytesPerRecord: Math.round(heapBytes / Math.max(1, read.length)),
      };
    }

    const problems: string[] = [];
    const summaries = cases.map((c, i): ReportCaseSummary => {
      const rs = rounds[i] as Round[];
      const l = last[i] as (typeof last)[number];
      const records = recordsOf(c);
      const label = `${c.period}${c.cityNumber === undefined ? '' : ', one city number'}`;
      if (l.itemsRead !== records)
        problems.push(`${label}: the report read ${l.itemsRead} items, the period has ${records} records`);
      if (l.floorItems !== records)
        problems.push(`${label}: the floor read ${l.floorItems} items, the period has ${records} records`);
      if (l.counted !== records)
        problems.push(`${label}: the report counted ${l.counted} calls of ${records} records`);
      if (l.pages !== l.floorPages)
        problems.push(`${label}: ${l.pages} pages against the floor's ${l.floorPages}`);
      const cost = costs[i] as (typeof costs)[number];
      return {
        period: c.period,
        from: c.from,
        to: c.to,
        ...(c.cityNumber === undefined ? {} : { cityNumber: c.cityNumber }),
        index: (c.cityNumber === undefined ? CALLS_INDEXES.byDay : CALLS_INDEXES.byCityNumber).indexName,
        records,
        itemsRead: l.itemsRead,
        pages: l.pages,
        floorItemsRead: l.floorItems,
        floorPages: l.floorPages,
        counted: l.counted,
        reportMs: round(median(rs.map((x) => x.reportMs)), 1),
        readMs: round(median(rs.map((x) => x.readMs)), 1),
        computeMs: round(median(rs.map((x) => x.computeMs)), 1),
        formatMs: round(median(rs.map((x) => x.formatMs)), 2),
        floorMs: round(median(rs.map((x) => x.floorMs)), 1),
        reportOverFloor: round(median(rs.map((x) => x.reportMs / x.floorMs))),
        readCapacityUnits: cost.readCapacityUnits,
        responseBytes: cost.responseBytes,
        samples: {
          reportMs: rs.map((x) => round(x.reportMs, 1)),
          floorMs: rs.map((x) => round(x.floorMs, 1)),
        },
      };
    });
    if (month.records.length !== options.calls)
      problems.push(`${month.records.length} records written for ${options.calls} calls`);

    return {
      generatedAt: new Date().toISOString(),
      node: process.version,
      month: REPORT_MONTH,
      timeZone,
      rounds: options.rounds,
      data: {
        calls: options.calls,
        records: month.records.length,
        events: month.events,
        byKind: month.byKind,
        cityNumbers: month.cityNumbers,
        employees: month.employees,
        customers: month.customers,
        generateSeconds,
        writeSeconds,
        exportGzipBytes,
      },
      cases: summaries,
      ...(memory ? { memory } : {}),
      problems,
      ok: problems.length === 0,
    };
  } finally {
    client.destroy();
    counting.client.destroy();
    unregister();
    await ddb.stop();
  }
}
