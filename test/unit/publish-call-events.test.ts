import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent, StreamRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { readPublishConfig } from '../../lambda/publish/config';
import {
  backoffMs,
  PUT_EVENTS_MAX_BYTES,
  type PutEventsResponseLike,
  publishCallEvents,
  type StreamPublishDeps,
} from '../../lambda/publish/publish-call-events';
import { ConfigError } from '../../lambda/shared/env';
import { logger, metrics } from '../../lambda/shared/observability';

const BUS = 'call-events';
const SOURCE = 'telephony.call-events';
const CALLER = '79161234567';
const CALLED = '74957654321';
const CITY_NUMBER = '74951234567';
const REDIRECTING = '79031112233';

type StoredItem = Record<string, unknown>;
type StreamImage = NonNullable<StreamRecord['NewImage']>;

const sessionId = (n: number) => `8f2b6c1e-3d4a-4b5c-9e7f-${String(n).padStart(12, '0')}`;
const sequenceNumber = (n: number) => `4421000000000${String(n).padStart(8, '0')}`;

/** A CallEvents item as ingest stores it: the provider's fields, the enrichment, RawBody and TTL. */
function endIncCall(n = 1): StoredItem {
  const SessionID = sessionId(n);
  return {
    SessionID,
    HookType: 'EndIncCall',
    EndTime: '2021-01-28 18:27:19',
    EndTimeUtc: '2021-01-28T15:27:19Z',
    EventTime: '2021-01-28T15:27:19Z',
    EventKey: '2021-01-28T15:27:19Z#05#EndIncCall#974ac789',
    Duration: 26,
    ResultCode: '200',
    ResultText: 'Successful call',
    Direction: 'incoming',
    ReceivedAt: '2021-01-28T15:27:20Z',
    RawBody: JSON.stringify({
      SessionID,
      HookType: 'EndIncCall',
      EndTime: '2021-01-28 18:27:19',
      Duration: '26',
      ResultCode: '200',
      CityNumber: CITY_NUMBER,
      Caller: CALLER,
      Called: CALLED,
    }),
    ExpiresAt: 1_643_383_640,
    CityNumber: CITY_NUMBER,
    Caller: CALLER,
    Called: CALLED,
  };
}

function createIncCall(n = 1): StoredItem {
  const SessionID = sessionId(n);
  return {
    SessionID,
    HookType: 'CreateIncCall',
    StartTime: '2021-01-28 18:26:41',
    StartTimeUtc: '2021-01-28T15:26:41Z',
    EventTime: '2021-01-28T15:26:41Z',
    EventKey: '2021-01-28T15:26:41Z#01#CreateIncCall#3be0d4f2',
    Direction: 'incoming',
    ReceivedAt: '2021-01-28T15:26:41Z',
    RawBody: JSON.stringify({
      SessionID,
      HookType: 'CreateIncCall',
      StartTime: '2021-01-28 18:26:41',
      CityNumber: CITY_NUMBER,
      Caller: CALLER,
      Called: CALLED,
      Redirecting: REDIRECTING,
    }),
    CityNumber: CITY_NUMBER,
    Caller: CALLER,
    Called: CALLED,
    Redirecting: REDIRECTING,
  };
}

function streamRecord(
  n: number,
  item: StoredItem | undefined,
  eventName: DynamoDBRecord['eventName'] = 'INSERT',
): DynamoDBRecord {
  const keys = { SessionID: item?.SessionID ?? sessionId(n), EventKey: item?.EventKey ?? 'unknown' };
  const dynamodb: StreamRecord = {
    ApproximateCreationDateTime: 1_611_847_640,
    Keys: marshall(keys) as StreamImage,
    SequenceNumber: sequenceNumber(n),
    SizeBytes: 612,
    StreamViewType: 'NEW_IMAGE',
  };
  if (item) dynamodb.NewImage = marshall(item, { removeUndefinedValues: true }) as StreamImage;
  return {
    eventID: `c81e728d9d4c2f636f067f89cc14862${n}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-central-1',
    dynamodb,
    eventSourceARN:
      'arn:aws:dynamodb:eu-central-1:123456789012:table/CallEvents/stream/2021-01-28T00:00:00.000',
  };
}

const batch = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });
const insertsOf = (items: StoredItem[]) => batch(...items.map((item, i) => streamRecord(i + 1, item)));
const endIncCalls = (count: number) => Array.from({ length: count }, (_, i) => endIncCall(i + 1));

const detailOf = (entry: PutEventsRequestEntry | undefined): StoredItem =>
  JSON.parse(entry?.Detail ?? 'null');
const sessionOf = (entry: PutEventsRequestEntry) => detailOf(entry).SessionID as string;

type Answer = (entries: PutEventsRequestEntry[], call: number) => PutEventsResponseLike;

const accept: Answer = (entries) => ({
  FailedEntryCount: 0,
  Entries: entries.map((_, i) => ({ EventId: `eb-${i}` })),
});

/** EventBridge answering each entry in place: an error for the entries `fails` picks, an id for the rest. */
const rejectWhere =
  (fails: (entry: PutEventsRequestEntry, call: number) => boolean): Answer =>
  (entries, call) => {
    const Entries = entries.map((entry, i) =>
      fails(entry, call)
        ? { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service error.' }
        : { EventId: `eb-${call}-${i}` },
    );
    return { FailedEntryCount: Entries.filter((e) => 'ErrorCode' in e).length, Entries };
  };

function throttlingError(): Error {
  const error = new Error('Rate exceeded');
  error.name = 'ThrottlingException';
  return error;
}

function setup(answer: Answer = accept) {
  let calls = 0;
  const putEvents = jest.fn(async (entries: PutEventsRequestEntry[]) => answer(entries, ++calls));
  const sleep = jest.fn(async (_ms: number) => undefined);
  const log = { debug: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const metric = { addMetric: jest.fn() };
  const deps: StreamPublishDeps = {
    putEvents,
    eventBusName: BUS,
    source: SOURCE,
    sleep,
    logger: log,
    metrics: metric,
  };
  const sent = () => putEvents.mock.calls.map(([entries]) => entries);
  const metricValue = (name: string) => metric.addMetric.mock.calls.find(([n]) => n === name)?.[2];
  const logged = () => JSON.stringify([log.debug.mock.calls, log.warn.mock.calls, log.error.mock.calls]);
  return { deps, putEvents, sleep, log, sent, metricValue, logged };
}

describe('publishCallEvents', () => {
  it('turns a stored item into one entry: source, HookType, EventTime, detail without RawBody/ExpiresAt, bus', async () => {
    const item = endIncCall(1);
    const { deps, sent } = setup();

    const result = await publishCallEvents(insertsOf([item]), deps);

    expect(result).toEqual({ batchItemFailures: [] });
    expect(sent()).toEqual([
      [
        {
          EventBusName: BUS,
          Source: SOURCE,
          DetailType: 'EndIncCall',
          Time: new Date('2021-01-28T15:27:19Z'),
          Detail: expect.any(String),
        },
      ],
    ]);
    const { RawBody: _raw, ExpiresAt: _ttl, ...published } = item;
    expect(detailOf(sent()[0]?.[0])).toEqual({
      ...published,
      EventId: `${sessionId(1)}/2021-01-28T15:27:19Z#05#EndIncCall#974ac789`,
    });
  });

  it('sends 25 records as calls of 10, 10 and 5 entries, in stream order', async () => {
    const items = endIncCalls(25).map((item, i) => (i % 3 === 0 ? createIncCall(i + 1) : item));
    const { deps, sent } = setup();

    const result = await publishCallEvents(insertsOf(items), deps);

    expect(result.batchItemFailures).toEqual([]);
    expect(sent().map((entries) => entries.length)).toEqual([10, 10, 5]);
    expect(sent().flat().map(sessionOf)).toEqual(items.map((item) => item.SessionID));
    expect(
      sent()
        .flat()
        .map((entry) => entry.DetailType),
    ).toEqual(items.map((item) => item.HookType));
  });

  it('starts a new call before the entries of one call would pass 256 KB', async () => {
    const bulky: StoredItem[] = endIncCalls(5).map((item) => ({ ...item, Notes: 'x'.repeat(100_000) }));
    const { deps, sent } = setup();

    const result = await publishCallEvents(insertsOf(bulky), deps);

    expect(result.batchItemFailures).toEqual([]);
    expect(sent().map((entries) => entries.length)).toEqual([2, 2, 1]);
    expect(sent().flat().map(sessionOf)).toEqual(bulky.map((item) => item.SessionID));
  });

  it('reports an entry too big for any PutEvents call and publishes the others', async () => {
    const items = endIncCalls(3);
    items[1] = { ...endIncCall(2), Notes: 'x'.repeat(PUT_EVENTS_MAX_BYTES) };
    const { deps, sent, log } = setup();

    const result = await publishCallEvents(insertsOf(items), deps);

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: sequenceNumber(2) }]);
    expect(sent().flat().map(sessionOf)).toEqual([sessionId(1), sessionId(3)]);
    expect(log.error).toHaveBeenCalledWith(
      expect.stringContaining('cannot be published'),
      expect.objectContaining({
        SessionID: sessionId(2),
        reason: expect.stringContaining('over the PutEvents limit'),
      }),
    );
  });

  it('retries only the entries that failed, and reports nothing when the retry succeeds', async () => {
    const failing = new Set([sessionId(4), sessionId(8)]);
    const { deps, sent, sleep, metricValue } = setup(
      rejectWhere((entry, call) => call === 1 && failing.has(sessionOf(entry))),
    );

    const result = await publishCallEvents(insertsOf(endIncCalls(10)), deps);

    expect(result).toEqual({ batchItemFailures: [] });
    expect(sent()).toHaveLength(2);
    const [first, retry] = sent();
    expect(retry).toEqual([first?.[3], first?.[7]]);
    expect(sleep).toHaveBeenCalledTimes(1);
    expect(sleep.mock.calls[0]?.[0]).toBeGreaterThanOrEqual(50);
    expect(sleep.mock.calls[0]?.[0]).toBeLessThanOrEqual(100);
    expect(metricValue('Published')).toBe(10);
    expect(metricValue('PublishFailed')).toBeUndefined();
  });

  it('reports exactly the records whose entries fail on every attempt', async () => {
    const failing = new Set([sessionId(2), sessionId(11)]);
    const { deps, sent, sleep, metricValue } = setup(rejectWhere((entry) => failing.has(sessionOf(entry))));

    const result = await publishCallEvents(insertsOf(endIncCalls(12)), deps);

    expect(result).toEqual({
      batchItemFailures: [{ itemIdentifier: sequenceNumber(2) }, { itemIdentifier: sequenceNumber(11) }],
    });
    expect(sent().map((entries) => entries.map(sessionOf))).toEqual([
      endIncCalls(10).map((item) => item.SessionID),
      [sessionId(2)],
      [sessionId(2)],
      [sessionId(11), sessionId(12)],
      [sessionId(11)],
      [sessionId(11)],
    ]);
    const waits = sleep.mock.calls.map(([ms]) => ms);
    expect(waits).toHaveLength(4);
    for (const [i, ms] of waits.entries()) {
      const step = i % 2 === 0 ? 100 : 200;
      expect(ms).toBeGreaterThanOrEqual(step / 2);
      expect(ms).toBeLessThanOrEqual(step);
    }
    expect(metricValue('Published')).toBe(10);
    expect(metricValue('PublishFailed')).toBe(2);
  });

  it('honours maxAttempts', async () => {
    const { deps, putEvents, sleep } = setup(rejectWhere(() => true));

    const result = await publishCallEvents(insertsOf(endIncCalls(2)), { ...deps, maxAttempts: 1 });

    expect(putEvents).toHaveBeenCalledTimes(1);
    expect(sleep).not.toHaveBeenCalled();
    expect(result.batchItemFailures).toEqual([
      { itemIdentifier: sequenceNumber(1) },
      { itemIdentifier: sequenceNumber(2) },
    ]);
  });

  it('counts an entry the response does not answer as failed and sends it again', async () => {
    const { deps, sent } = setup((entries, call) =>
      call === 1 ? { FailedEntryCount: 0, Entries: [{ EventId: 'eb-0' }] } : accept(entries, call),
    );

    const result = await publishCallEvents(insertsOf(endIncCalls(3)), deps);

    expect(result.batchItemFailures).toEqual([]);
    expect(sent()[1]?.map(sessionOf)).toEqual([sessionId(2), sessionId(3)]);
  });

  it('retries a call that throws (throttling) and publishes everything when the retry succeeds', async () => {
    const { deps, sent, log, metricValue } = setup((entries, call) => {
      if (call === 1) throw throttlingError();
      return accept(entries, call);
    });

    const result = await publishCallEvents(insertsOf(endIncCalls(10)), deps);

    expect(result).toEqual({ batchItemFailures: [] });
    expect(sent()).toHaveLength(2);
    expect(sent()[1]).toEqual(sent()[0]);
    expect(log.warn).toHaveBeenCalledWith(
      'PutEvents call failed',
      expect.objectContaining({ attempt: 1, errorName: 'ThrottlingException' }),
    );
    expect(metricValue('Published')).toBe(10);
  });

  it('reports every record when EventBridge stays unreachable, and stops calling it', async () => {
    const { deps, putEvents, metricValue } = setup(() => {
      throw throttlingError();
    });

    const result = await publishCallEvents(insertsOf(endIncCalls(25)), deps);

    expect(result.batchItemFailures).toEqual(
      Array.from({ length: 25 }, (_, i) => ({ itemIdentifier: sequenceNumber(i + 1) })),
    );
    expect(putEvents).toHaveBeenCalledTimes(3);
    expect(metricValue('Published')).toBeUndefined();
    expect(metricValue('PublishFailed')).toBe(25);
  });

  const { HookType: _h, ...noHookType } = endIncCall(2);
  const { EventTime: _t, ...noEventTime } = endIncCall(2);
  const { SessionID: _s, ...noSessionId } = endIncCall(2);
  const { EventKey: _k, ...noEventKey } = endIncCall(2);
  it.each<[string, StoredItem | undefined, string]>([
    ['no NewImage', undefined, 'no NewImage'],
    ['no HookType', noHookType, 'missing HookType'],
    ['no EventTime', noEventTime, 'missing EventTime'],
    ['no SessionID', noSessionId, 'missing SessionID'],
    ['no EventKey', noEventKey, 'missing EventKey'],
    ['an invalid EventTime', { ...endIncCall(2), EventTime: '2021-01-28 18:27:19 MSK' }, 'not a valid time'],
  ])('reports a poison record with %s and publishes the records around it', async (_case, poison, reason) => {
    const event = batch(
      streamRecord(1, endIncCall(1)),
      streamRecord(2, poison),
      streamRecord(3, endIncCall(3)),
    );
    const { deps, sent, log, metricValue } = setup();

    const result = await publishCallEvents(event, deps);

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumber(2) }] });
    expect(sent().map((entries) => entries.map(sessionOf))).toEqual([[sessionId(1), sessionId(3)]]);
    expect(log.error).toHaveBeenCalledWith(
      expect.stringContaining('cannot be published'),
      expect.objectContaining({ sequenceNumber: sequenceNumber(2), reason: expect.stringContaining(reason) }),
    );
    expect(metricValue('Published')).toBe(2);
    expect(metricValue('PublishFailed')).toBe(1);
  });

  it('skips MODIFY and REMOVE records without publishing or reporting them', async () => {
    const removed = streamRecord(3, undefined, 'REMOVE');
    const event = batch(
      streamRecord(1, endIncCall(1)),
      streamRecord(2, { ...endIncCall(2), ExpiresAt: 1 }, 'MODIFY'),
      removed,
      streamRecord(4, endIncCall(4)),
    );
    const { deps, sent } = setup();

    const result = await publishCallEvents(event, deps);

    expect(result).toEqual({ batchItemFailures: [] });
    expect(sent().flat().map(sessionOf)).toEqual([sessionId(1), sessionId(4)]);
  });

  it('does nothing for an empty batch, and counts nothing (no EMF line says zero)', async () => {
    const { deps, putEvents, metricValue } = setup();

    const result = await publishCallEvents(batch(), deps);

    expect(result).toEqual({ batchItemFailures: [] });
    expect(putEvents).not.toHaveBeenCalled();
    expect(metricValue('Published')).toBeUndefined();
    expect(metricValue('PublishFailed')).toBeUndefined();
  });

  it('fails the whole batch rather than drop a failure it cannot identify', async () => {
    const record = streamRecord(1, undefined);
    delete record.dynamodb?.SequenceNumber;
    const { deps } = setup();

    await expect(publishCallEvents(batch(record), deps)).rejects.toThrow('have no SequenceNumber');
  });

  it('never logs phone numbers, the raw body or the detail', async () => {
    // A number JavaScript cannot hold makes unmarshall throw with the value in its message.
    const unreadable = streamRecord(3, endIncCall(3));
    const image = unreadable.dynamodb?.NewImage;
    if (image) image.Caller = { N: '79161234567890123456.5' };
    const event = batch(
      streamRecord(1, createIncCall(1)),
      streamRecord(2, { ...endIncCall(2), EventTime: 'yesterday' }),
      unreadable,
      streamRecord(4, endIncCall(4)),
    );
    const { deps, log, logged } = setup(rejectWhere((entry) => sessionOf(entry) === sessionId(4)));

    const result = await publishCallEvents(event, deps);

    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      sequenceNumber(2),
      sequenceNumber(3),
      sequenceNumber(4),
    ]);
    expect(log.error).toHaveBeenCalledWith(
      expect.stringContaining('cannot be published'),
      expect.objectContaining({
        sequenceNumber: sequenceNumber(3),
        reason: expect.stringContaining('converted'),
      }),
    );
    const text = logged();
    expect(text).toContain(sessionId(4));
    for (const secret of [
      CALLER,
      CALLED,
      CITY_NUMBER,
      REDIRECTING,
      '79161234567890123456',
      'RawBody',
      'Caller',
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('backoffMs', () => {
  it('doubles a short step per retry, with the upper half jittered', () => {
    expect([backoffMs(1, () => 0), backoffMs(1, () => 1)]).toEqual([50, 100]);
    expect([backoffMs(2, () => 0), backoffMs(2, () => 1)]).toEqual([100, 200]);
  });
});

describe('readPublishConfig', () => {
  it('takes the bus and the source from the environment, the source defaulting to telephony.call-events', () => {
    expect(readPublishConfig({ EVENT_BUS_NAME: BUS })).toEqual({ eventBusName: BUS, source: SOURCE });
    expect(readPublishConfig({ EVENT_BUS_NAME: BUS, EVENT_SOURCE: 'acme.pbx' })).toEqual({
      eventBusName: BUS,
      source: 'acme.pbx',
    });
  });

  it('fails with a clear message without EVENT_BUS_NAME or with a reserved source', () => {
    expect(() => readPublishConfig({})).toThrow(
      new ConfigError('Environment variable EVENT_BUS_NAME is required'),
    );
    expect(() => readPublishConfig({ EVENT_BUS_NAME: BUS, EVENT_SOURCE: 'aws.events' })).toThrow(
      /EVENT_SOURCE: sources starting with "aws\." are reserved for AWS/,
    );
  });
});

describe('publish-call-events handler', () => {
  const HANDLER = '../../lambda/functions/publish-call-events';
  type HandlerModule = typeof import('../../lambda/functions/publish-call-events');
  const savedEnv = { ...process.env };
  const eventBridgeMock = mockClient(EventBridgeClient);
  let handler: HandlerModule['handler'];
  let flush: jest.SpyInstance;
  let addMetric: jest.SpyInstance;

  beforeAll(() => {
    process.env.EVENT_BUS_NAME = 'call-events-bus';
    process.env.EVENT_SOURCE = 'acme.telephony';
    handler = (require(HANDLER) as HandlerModule).handler;
  });

  beforeEach(() => {
    eventBridgeMock.reset();
    flush = jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    addMetric = jest.spyOn(metrics, 'addMetric');
    for (const level of ['info', 'warn', 'error'] as const) {
      jest.spyOn(logger, level).mockImplementation(() => undefined);
    }
  });

  afterEach(() => {
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  afterAll(() => {
    eventBridgeMock.restore();
    process.env = savedEnv;
  });

  it('sends a PutEventsCommand per chunk to the configured bus and source, and flushes metrics once', async () => {
    eventBridgeMock
      .on(PutEventsCommand)
      .callsFake(({ Entries = [] }: { Entries?: PutEventsRequestEntry[] }) => accept(Entries, 0));

    const result = await handler(insertsOf(endIncCalls(12)));

    expect(result).toEqual({ batchItemFailures: [] });
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 2);
    expect(eventBridgeMock).toHaveReceivedNthCommandWith(1, PutEventsCommand, {
      Entries: endIncCalls(10).map(() =>
        expect.objectContaining({
          EventBusName: 'call-events-bus',
          Source: 'acme.telephony',
          DetailType: 'EndIncCall',
        }),
      ),
    });
    expect(eventBridgeMock).toHaveReceivedNthCommandWith(2, PutEventsCommand, {
      Entries: [
        expect.objectContaining({ Detail: expect.stringContaining(sessionId(11)) }),
        expect.objectContaining({ Detail: expect.stringContaining(sessionId(12)) }),
      ],
    });
    expect(addMetric).toHaveBeenCalledWith('Published', 'Count', 12);
    expect(flush).toHaveBeenCalledTimes(1);
  });

  it('returns the records that EventBridge keeps rejecting, after retrying them', async () => {
    jest.useFakeTimers();
    eventBridgeMock
      .on(PutEventsCommand)
      .callsFake(({ Entries = [] }: { Entries?: PutEventsRequestEntry[] }) =>
        rejectWhere((entry) => sessionOf(entry) === sessionId(2))(Entries, 0),
      );

    const pending = handler(insertsOf(endIncCalls(3)));
    await jest.runAllTimersAsync();
    const result = await pending;

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumber(2) }] });
    expect(eventBridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 3);
    expect(eventBridgeMock).toHaveReceivedNthCommandWith(3, PutEventsCommand, {
      Entries: [expect.objectContaining({ Detail: expect.stringContaining(sessionId(2)) })],
    });
    expect(addMetric).toHaveBeenCalledWith('PublishFailed', 'Count', 1);
    expect(flush).toHaveBeenCalledTimes(1);
  });

  it('fails at import, with a clear message, when EVENT_BUS_NAME is missing', () => {
    delete process.env.EVENT_BUS_NAME;
    try {
      jest.isolateModules(() => {
        expect(() => require(HANDLER)).toThrow('Environment variable EVENT_BUS_NAME is required');
      });
    } finally {
      process.env.EVENT_BUS_NAME = 'call-events-bus';
    }
  });
});
