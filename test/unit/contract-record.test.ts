/**
 * From a validated event to what is stored and published: wall-clock times read in a zone,
 * the EventKey (docs/ARCHITECTURE.md "Data model"), the CallEvents item, the EventBridge detail, and
 * the JSON Schemas registered for each HookType.
 */
import { createHash } from 'node:crypto';
import {
  type CallEvent,
  canonicalJson,
  detailJsonSchemas,
  eventIdentity,
  eventKey,
  eventLocalTime,
  HOOK_TYPES,
  type HookType,
  isValidTimeZone,
  type JsonSchema,
  localTimeToUtcIso,
  parseCallEvent,
  SERVICE_FIELDS,
  STORED_ONLY_FIELDS,
  toCallEventDetail,
  toCallEventRecord,
  webhookJsonSchemas,
} from '../../lambda/contract';
import { SPEC_EXAMPLES, specExamplePayload } from '../../lambda/contract/spec-examples';
import { REQUIRED_FIELDS, specFields } from '../fixtures/spec-fields';

function parsed(value: unknown): CallEvent {
  const result = parseCallEvent(value);
  if (!result.ok) throw new Error(`Expected the body to be accepted, got ${JSON.stringify(result.issues)}`);
  return result.event;
}

const example = (hookType: HookType, changes: Record<string, unknown> = {}) =>
  parsed({ ...specExamplePayload(hookType), ...changes });

const receivedAt = new Date('2021-01-28T15:27:20.456Z');
const moscow = { timeZone: 'Europe/Moscow', receivedAt, rawBody: '{}' };
const record = (event: CallEvent, timeZone = 'Europe/Moscow') =>
  toCallEventRecord(event, { ...moscow, timeZone });

const EVENT_KEY = new RegExp(
  `^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z#0[1-5]#(${HOOK_TYPES.join('|')})#[0-9a-f]{8}$`,
);

describe('localTimeToUtcIso', () => {
  it.each<[string, string, string, string]>([
    ['the default zone (spec example)', '2021-01-28 14:15:22', 'Europe/Moscow', '2021-01-28T11:15:22Z'],
    ['UTC', '2021-01-28 14:15:22', 'UTC', '2021-01-28T14:15:22Z'],
    ['Vladivostok (+10)', '2021-01-28 14:15:22', 'Asia/Vladivostok', '2021-01-28T04:15:22Z'],
    [
      'Vladivostok, into the previous UTC year',
      '2021-01-01 05:00:00',
      'Asia/Vladivostok',
      '2020-12-31T19:00:00Z',
    ],
    ['Moscow, into the previous UTC day', '2021-03-01 02:59:59', 'Europe/Moscow', '2021-02-28T23:59:59Z'],
    ['Moscow, leap day', '2024-02-29 00:30:00', 'Europe/Moscow', '2024-02-28T21:30:00Z'],
    ['New York in winter (EST, -5)', '2021-01-28 14:15:22', 'America/New_York', '2021-01-28T19:15:22Z'],
    ['New York in summer (EDT, -4)', '2021-07-01 12:00:00', 'America/New_York', '2021-07-01T16:00:00Z'],
    [
      'New York, the last second before spring forward',
      '2021-03-14 01:59:59',
      'America/New_York',
      '2021-03-14T06:59:59Z',
    ],
    [
      'New York, the first second after spring forward',
      '2021-03-14 03:00:00',
      'America/New_York',
      '2021-03-14T07:00:00Z',
    ],
    [
      'New York, skipped 02:30 moves forward to 03:30 EDT',
      '2021-03-14 02:30:00',
      'America/New_York',
      '2021-03-14T07:30:00Z',
    ],
    [
      'New York, skipped 02:00:00 moves forward to 03:00 EDT',
      '2021-03-14 02:00:00',
      'America/New_York',
      '2021-03-14T07:00:00Z',
    ],
    [
      'New York, ambiguous 01:30 takes the earlier (EDT)',
      '2021-11-07 01:30:00',
      'America/New_York',
      '2021-11-07T05:30:00Z',
    ],
    [
      'New York, ambiguous 01:00:00 takes the earlier (EDT)',
      '2021-11-07 01:00:00',
      'America/New_York',
      '2021-11-07T05:00:00Z',
    ],
    ['New York, after fall back (EST)', '2021-11-07 02:00:00', 'America/New_York', '2021-11-07T07:00:00Z'],
    ['Moscow 2010 winter time (MSK, +3)', '2010-01-15 12:00:00', 'Europe/Moscow', '2010-01-15T09:00:00Z'],
    ['Moscow 2010 summer time (MSD, +4)', '2010-07-01 12:00:00', 'Europe/Moscow', '2010-07-01T08:00:00Z'],
    [
      'Moscow 2010, skipped 02:30 moves forward',
      '2010-03-28 02:30:00',
      'Europe/Moscow',
      '2010-03-27T23:30:00Z',
    ],
    [
      'Moscow 2010, ambiguous 02:30 takes the earlier (MSD)',
      '2010-10-31 02:30:00',
      'Europe/Moscow',
      '2010-10-30T22:30:00Z',
    ],
    ['Moscow 2012, all-year +4', '2012-01-15 12:00:00', 'Europe/Moscow', '2012-01-15T08:00:00Z'],
    [
      'Moscow 2014, ambiguous 01:30 takes the earlier (+4)',
      '2014-10-26 01:30:00',
      'Europe/Moscow',
      '2014-10-25T21:30:00Z',
    ],
    ['Moscow 2015, +3 again', '2015-01-15 12:00:00', 'Europe/Moscow', '2015-01-15T09:00:00Z'],
    [
      'Berlin, the last second before spring forward (CET, +1)',
      '2021-03-28 01:59:59',
      'Europe/Berlin',
      '2021-03-28T00:59:59Z',
    ],
    [
      'Berlin, skipped 02:30 is read with CET: 03:30 CEST',
      '2021-03-28 02:30:00',
      'Europe/Berlin',
      '2021-03-28T01:30:00Z',
    ],
    [
      'Berlin, the first second after spring forward (CEST, +2)',
      '2021-03-28 03:00:00',
      'Europe/Berlin',
      '2021-03-28T01:00:00Z',
    ],
    [
      'Berlin, ambiguous 02:30 on fall back takes the earlier (CEST)',
      '2021-10-31 02:30:00',
      'Europe/Berlin',
      '2021-10-31T00:30:00Z',
    ],
    ['Berlin, after fall back (CET)', '2021-10-31 03:00:00', 'Europe/Berlin', '2021-10-31T02:00:00Z'],
  ])('%s: %s in %s → %s', (_, local, timeZone, utc) => {
    expect(localTimeToUtcIso(local, timeZone)).toBe(utc);
  });

  it.each(['2021-02-29 10:00:00', '2021-01-28T14:15:22', 'garbage', ''])(
    'throws a RangeError for %p',
    (value) => {
      expect(() => localTimeToUtcIso(value, 'Europe/Moscow')).toThrow(RangeError);
    },
  );
});

describe('daylight saving, as docs/CONTRACT.md and the README state it', () => {
  it('a skipped time moves forward; a repeated one is the earlier instant (Berlin 2021)', () => {
    const spring = localTimeToUtcIso('2021-03-28 02:30:00', 'Europe/Berlin');
    // 02:30 does not exist: read with the offset before the change (+1), it is 03:30 CEST.
    expect(spring).toBe('2021-03-28T01:30:00Z');
    expect(spring).toBe(localTimeToUtcIso('2021-03-28 03:30:00', 'Europe/Berlin'));
    const fall = localTimeToUtcIso('2021-10-31 02:30:00', 'Europe/Berlin');
    // 02:30 happens at 00:30Z (CEST) and at 01:30Z (CET): the earlier is taken.
    expect(fall).toBe('2021-10-31T00:30:00Z');
    expect(Date.parse(fall)).toBeLessThan(Date.parse('2021-10-31T01:30:00Z'));
  });
});

describe('isValidTimeZone', () => {
  it.each([
    'Europe/Moscow',
    'UTC',
    'Asia/Vladivostok',
    'America/New_York',
    'Europe/Kaliningrad',
    'Etc/GMT-3',
  ])('accepts %p', (zone) => {
    expect(isValidTimeZone(zone)).toBe(true);
  });

  it.each(['', 'Mars/Olympus_Mons', 'Europe/Moskva', 'Moscow', 'Not a zone'])('rejects %p', (zone) => {
    expect(isValidTimeZone(zone)).toBe(false);
  });
});

describe('toCallEventRecord with a time zone', () => {
  it.each<[string, string, string]>([
    ['Europe/Moscow', '2021-01-28T11:15:22Z', '2021-01-28T11:15:22Z#01#CreateIncCall#'],
    ['UTC', '2021-01-28T14:15:22Z', '2021-01-28T14:15:22Z#01#CreateIncCall#'],
    ['Asia/Vladivostok', '2021-01-28T04:15:22Z', '2021-01-28T04:15:22Z#01#CreateIncCall#'],
    ['America/New_York', '2021-01-28T19:15:22Z', '2021-01-28T19:15:22Z#01#CreateIncCall#'],
  ])('reads the spec CreateIncCall in %s', (timeZone, utc, keyPrefix) => {
    const item = record(example('CreateIncCall'), timeZone);
    expect(item).toMatchObject({ StartTime: '2021-01-28 14:15:22', StartTimeUtc: utc, EventTime: utc });
    // The digest is of the payload, not of the zone it is read in.
    expect(item.EventKey).toBe(`${keyPrefix}80e64021`);
  });

  it('converts each time across a DST change on its own (New York, spring forward)', () => {
    const event = example('EndIncCall', {
      StartTime: '2021-03-14 01:59:50',
      EndTime: '2021-03-14 03:00:10',
      Duration: 20,
    });
    expect(record(event, 'America/New_York')).toMatchObject({
      StartTimeUtc: '2021-03-14T06:59:50Z',
      EndTimeUtc: '2021-03-14T07:00:10Z',
      EventTime: '2021-03-14T07:00:10Z',
    });
  });

  it('reads Moscow 2010 summer time with its historic offset', () => {
    const item = record(example('ChangeIncCall', { StartDuration: '2010-07-01 12:00:00' }));
    expect(item).toMatchObject({
      StartDurationUtc: '2010-07-01T08:00:00Z',
      EventTime: '2010-07-01T08:00:00Z',
    });
  });
});

describe('EventKey', () => {
  const RANKS: Record<HookType, string> = {
    CreateIncCall: '01',
    AttemptIncCallBegin: '02',
    ChangeIncCall: '03',
    AttemptIncCallEnd: '04',
    EndIncCall: '05',
    MissedIncCall: '05',
    CreateOutCall: '01',
    EndOutCall: '05',
  };

  const EVENT_TIMES: Record<HookType, string> = {
    CreateIncCall: '2021-01-28T11:15:22Z',
    AttemptIncCallBegin: '2021-01-28T11:15:30Z',
    ChangeIncCall: '2021-01-28T09:31:01Z',
    AttemptIncCallEnd: '2021-01-28T15:27:09Z',
    EndIncCall: '2021-01-28T15:27:19Z',
    MissedIncCall: '2021-01-28T15:34:51Z',
    CreateOutCall: '2021-01-28T12:02:11Z',
    EndOutCall: '2021-01-28T12:02:19Z',
  };

  it.each(HOOK_TYPES)('%s: <UTC ISO>#<rank>#<HookType>#<8 hex>, with its lifecycle rank', (hookType) => {
    const key = record(example(hookType)).EventKey;
    expect(key).toMatch(EVENT_KEY);
    expect(key.split('#').slice(0, 3)).toEqual([EVENT_TIMES[hookType], RANKS[hookType], hookType]);
  });

  it('the digest is SHA-256 of the canonical payload (changing it breaks duplicate detection across deploys)', () => {
    const canonical =
      '{"Called":"4950665310","Caller":"9582412128","CityNumber":"4950665310","HookType":"CreateIncCall",' +
      '"Redirecting":"84950665310","SessionID":"ec22aab1-02f8-487d-9b40-1173f33ba242","StartTime":"2021-01-28 14:15:22"}';
    const event = example('CreateIncCall');
    expect(canonicalJson(event)).toBe(canonical);
    const digest = createHash('sha256').update(canonical).digest('hex').slice(0, 8);
    expect(digest).toBe('80e64021');
    expect(eventKey(event, '2021-01-28T11:15:22Z')).toBe(`2021-01-28T11:15:22Z#01#CreateIncCall#${digest}`);
  });

  it('canonicalJson sorts keys at every level, keeps array order, and leaves out undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined }, e: null })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1,"e":null}',
    );
  });

  describe('an exact re-delivery collides', () => {
    const original = SPEC_EXAMPLES.EndIncCall;
    const key = (body: string) => record(parsed(JSON.parse(body))).EventKey;

    it.each<[string, string]>([
      ['the same body', original],
      ['on one line', JSON.stringify(JSON.parse(original))],
      ['with different whitespace', original.replace(/\n {2}/g, '\n\t\t').replace(/": /g, '":   ')],
      [
        'with the keys in another order',
        JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(original) as object).reverse())),
      ],
      ['with ResultCode 200 as an integer', original.replace('"ResultCode": "200"', '"ResultCode": 200')],
      ['with Duration "26" as a string', original.replace('"Duration": 26', '"Duration": "26"')],
    ])('%s', (_, body) => {
      expect(key(body)).toBe(key(original));
    });

    it('nested unknown fields in another key order too', () => {
      const a = example('EndIncCall', { Extra: { x: 1, y: { p: 1, q: 2 } } });
      const b = example('EndIncCall', { Extra: { y: { q: 2, p: 1 }, x: 1 } });
      expect(record(a).EventKey).toBe(record(b).EventKey);
    });
  });

  describe('distinct events get distinct keys', () => {
    const base = record(example('EndIncCall')).EventKey;

    it.each<[string, Record<string, unknown>]>([
      ['Called', { Called: '0052002652' }],
      ['Caller', { Caller: '9582412129' }],
      ['CityNumber', { CityNumber: '4950665311' }],
      ['Duration', { Duration: 27 }],
      ['ResultCode', { ResultCode: '486' }],
      ['SessionID', { SessionID: '4045859e-2dff-4d92-afba-ea57566a6e8c' }],
      ['an added StartTime', { StartTime: '2021-01-28 18:26:53' }],
      ['a leading zero in a number', { Called: '00052002651' }],
    ])('differing in %s', (_, changes) => {
      const key = record(example('EndIncCall', changes)).EventKey;
      expect(key).not.toBe(base);
      // Same time and type: only the digest tells them apart.
      expect(key.slice(0, -8)).toBe(base.slice(0, -8));
    });
  });

  describe('identity: only the spec fields, normalised, make the digest', () => {
    const key = (changes: Record<string, unknown>) => record(example('EndIncCall', changes)).EventKey;
    const base = key({});

    it.each<[string, Record<string, unknown>]>([
      ['an unknown field (a delivery counter)', { DeliveryAttempt: 2 }],
      ['a time of sending', { SentAt: '2021-01-28 18:27:25' }],
      ['nested unknown fields', { Meta: { retry: true, at: [1, 2] } }],
      ['a null optional field', { Called: undefined, StartTime: null }],
      ['fields named like the service’s', { EventKey: 'forged', Direction: 'in', ExpiresAt: 1 }],
    ])('a re-send that adds %s is the same event', (_, changes) => {
      const withCalled = { ...changes };
      if ('Called' in withCalled) delete withCalled.Called;
      expect(key(withCalled)).toBe(base);
    });

    it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
      ['null and absent', { ResultCode: null }, { ResultCode: undefined }],
      ['"" and absent in an optional time', { StartTime: '' }, {}],
      ['Duration "26" and 26', { Duration: '26' }, { Duration: 26 }],
      ['ResultCode 200 and "200"', { ResultCode: 200 }, { ResultCode: '200' }],
    ])('%s are alike', (_, a, b) => {
      const one = { ...specExamplePayload('EndIncCall'), ...a };
      const two = { ...specExamplePayload('EndIncCall'), ...b };
      for (const body of [one, two])
        for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
      expect(record(parsed(one)).EventKey).toBe(record(parsed(two)).EventKey);
    });

    it('eventIdentity is the spec fields the event carries, nothing else', () => {
      const event = example('EndIncCall', { Extra: 1, Direction: 'in' });
      expect(Object.keys(eventIdentity(event)).sort()).toEqual(
        [
          'SessionID',
          'HookType',
          'EndTime',
          'Duration',
          'ResultCode',
          'CityNumber',
          'Caller',
          'Called',
        ].sort(),
      );
      expect(Object.keys(eventIdentity(event)).sort()).toEqual(
        specFields('EndIncCall')
          .filter((f) => f in event)
          .sort(),
      );
    });

    it('the digest of a body with only spec fields is what it was (keys stored before stay valid)', () => {
      // Same text as the canonical payload pinned above: the identity of such a body is the body.
      const event = example('CreateIncCall');
      expect(canonicalJson(eventIdentity(event))).toBe(canonicalJson(event));
    });
  });

  it('events of the same second sort in lifecycle order when compared as strings', () => {
    const at = '2021-01-28 14:15:22';
    const incoming = [
      example('EndIncCall', { EndTime: at }),
      example('ChangeIncCall', { StartDuration: at }),
      example('AttemptIncCallEnd', { EndTime: at }),
      example('CreateIncCall', { StartTime: at }),
      example('AttemptIncCallBegin', { StartTime: at }),
    ];
    const sorted = incoming.map((e) => record(e).EventKey).sort();
    expect(sorted.map((k) => k.split('#')[2])).toEqual([
      'CreateIncCall',
      'AttemptIncCallBegin',
      'ChangeIncCall',
      'AttemptIncCallEnd',
      'EndIncCall',
    ]);
    const missed = record(example('MissedIncCall', { EndTime: at })).EventKey;
    const attemptEnd = record(example('AttemptIncCallEnd', { EndTime: at })).EventKey;
    expect(attemptEnd < missed).toBe(true);
    const outgoing = [
      example('EndOutCall', { StartTime: at, EndTime: at }),
      example('CreateOutCall', { StartTime: at }),
    ];
    expect(outgoing.map((e) => record(e).EventKey.split('#')[2])).toEqual(['EndOutCall', 'CreateOutCall']);
    expect(
      outgoing
        .map((e) => record(e).EventKey)
        .sort()
        .map((k) => k.split('#')[2]),
    ).toEqual(['CreateOutCall', 'EndOutCall']);
  });

  it('time comes before rank: a later Create sorts after an earlier End', () => {
    const end = record(example('EndIncCall', { EndTime: '2021-01-28 14:15:22' })).EventKey;
    const create = record(example('CreateIncCall', { StartTime: '2021-01-28 14:15:23' })).EventKey;
    expect([create, end].sort()).toEqual([end, create]);
  });

  it('lexical order of keys is time order, across days, months and years', () => {
    const locals = [
      '2021-01-28 02:59:59', // 2021-01-27T23:59:59Z
      '2021-01-28 03:00:00',
      '2021-01-28 14:15:09',
      '2021-01-28 14:15:10',
      '2021-01-29 00:00:00',
      '2021-02-01 09:00:00',
      '2021-10-01 09:00:00',
      '2021-12-31 23:59:59',
      '2022-01-01 02:00:00', // still 2021 in UTC
      '2022-01-01 03:00:00',
      '2030-06-15 12:00:00',
    ];
    const keys = locals.map((t) => record(example('CreateIncCall', { StartTime: t })).EventKey);
    const shuffled = [...keys].reverse().sort();
    expect(shuffled).toEqual(keys);
    const times = shuffled.map((k) => Date.parse(k.split('#')[0] ?? ''));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(keys[8]?.startsWith('2021-12-31T23:00:00Z#')).toBe(true);
  });

  it.each<[HookType, Record<string, unknown>, string]>([
    ['CreateIncCall', {}, '2021-01-28 14:15:22'],
    ['ChangeIncCall', {}, '2021-01-28 12:31:01'],
    ['AttemptIncCallEnd', { StartTime: '2021-01-28 18:26:50' }, '2021-01-28 18:27:09'],
    ['EndIncCall', { StartTime: '2021-01-28 18:26:50' }, '2021-01-28 18:27:19'],
    ['MissedIncCall', {}, '2021-01-28 18:34:51'],
    ['EndOutCall', {}, '2021-01-28 15:02:19'],
    ['EndOutCall', { EndTime: undefined }, '2021-01-28 15:02:11'],
  ])('eventLocalTime of %s %p is %s', (hookType, changes, local) => {
    const body = { ...specExamplePayload(hookType), ...changes };
    for (const [k, v] of Object.entries(changes)) if (v === undefined) delete body[k];
    expect(eventLocalTime(parsed(body))).toBe(local);
  });
});

describe('toCallEventRecord', () => {
  it('builds the whole CallEvents item for the spec EndIncCall', () => {
    const rawBody = SPEC_EXAMPLES.EndIncCall;
    const item = toCallEventRecord(parsed(JSON.parse(rawBody)), {
      timeZone: 'Europe/Moscow',
      receivedAt,
      rawBody,
    });
    expect(item).toStrictEqual({
      SessionID: '4045859e-2dff-4d92-afba-ea57566a6e8b',
      HookType: 'EndIncCall',
      EndTime: '2021-01-28 18:27:19',
      CityNumber: '4950665310',
      Caller: '9582412128',
      Called: '0052002651',
      Duration: 26,
      ResultCode: '200',
      EndTimeUtc: '2021-01-28T15:27:19Z',
      EventKey: expect.stringMatching(/^2021-01-28T15:27:19Z#05#EndIncCall#[0-9a-f]{8}$/),
      EventTime: '2021-01-28T15:27:19Z',
      Direction: 'incoming',
      ResultText: 'Successful call',
      ReceivedAt: '2021-01-28T15:27:20.456Z',
      RawBody: rawBody,
    });
  });

  it.each<[HookType, Record<string, unknown>, Record<string, string>]>([
    ['CreateIncCall', {}, { StartTimeUtc: '2021-01-28T11:15:22Z' }],
    ['ChangeIncCall', {}, { StartDurationUtc: '2021-01-28T09:31:01Z' }],
    ['AttemptIncCallEnd', {}, { EndTimeUtc: '2021-01-28T15:27:09Z' }],
    [
      'EndIncCall',
      { StartTime: '2021-01-28 18:26:53' },
      { StartTimeUtc: '2021-01-28T15:26:53Z', EndTimeUtc: '2021-01-28T15:27:19Z' },
    ],
    ['EndOutCall', {}, { StartTimeUtc: '2021-01-28T12:02:11Z', EndTimeUtc: '2021-01-28T12:02:19Z' }],
  ])('%s %p gets exactly the <Field>Utc of the times it carries', (hookType, changes, utc) => {
    const item = record(example(hookType, changes));
    const utcFields = Object.fromEntries(Object.entries(item).filter(([k]) => k.endsWith('Utc')));
    expect(utcFields).toStrictEqual(utc);
  });

  it.each<[HookType, 'incoming' | 'outgoing']>([
    ['CreateIncCall', 'incoming'],
    ['AttemptIncCallBegin', 'incoming'],
    ['ChangeIncCall', 'incoming'],
    ['AttemptIncCallEnd', 'incoming'],
    ['EndIncCall', 'incoming'],
    ['MissedIncCall', 'incoming'],
    ['CreateOutCall', 'outgoing'],
    ['EndOutCall', 'outgoing'],
  ])('%s is %s', (hookType, direction) => {
    expect(record(example(hookType)).Direction).toBe(direction);
  });

  it.each<[HookType, string | undefined]>([
    ['EndIncCall', 'Successful call'],
    ['MissedIncCall', 'Call cancelled'],
    ['EndOutCall', 'Busy'],
    ['CreateIncCall', undefined],
  ])('%s from the spec gets ResultText %p', (hookType, text) => {
    expect(record(example(hookType)).ResultText).toBe(text);
  });

  it('ReceivedAt is UTC ISO to the millisecond (arrival orders same-second attempts)', () => {
    const item = toCallEventRecord(example('CreateIncCall'), {
      ...moscow,
      receivedAt: new Date('2021-01-28T23:59:59.999Z'),
    });
    expect(item.ReceivedAt).toBe('2021-01-28T23:59:59.999Z');
  });

  it('RawBody is the exact body, whitespace and all', () => {
    const rawBody = `${SPEC_EXAMPLES.MissedIncCall}\n\n`;
    expect(toCallEventRecord(example('MissedIncCall'), { ...moscow, rawBody }).RawBody).toBe(rawBody);
  });

  it('has no ExpiresAt without a retention', () => {
    expect(record(example('CreateIncCall'))).not.toHaveProperty('ExpiresAt');
  });

  it.each<[number, string]>([
    [30, '2021-02-27T15:27:20Z'],
    [365, '2022-01-28T15:27:20Z'],
    [1, '2021-01-29T15:27:20Z'],
  ])('with retentionDays %p, ExpiresAt is receivedAt + the days, in epoch seconds (%s)', (days, expires) => {
    const item = toCallEventRecord(example('CreateIncCall'), { ...moscow, retentionDays: days });
    expect(item.ExpiresAt).toBe(Date.parse(expires) / 1000);
  });

  it('keeps unknown fields next to the ones it adds', () => {
    const item = record(example('MissedIncCall', { Queue: { Name: 'support' }, Attempts: 3 }));
    expect(item).toMatchObject({ Queue: { Name: 'support' }, Attempts: 3, ResultCode: '603-S' });
  });

  it('does not change the event it is given', () => {
    const event = example('EndIncCall');
    const copy = structuredClone(event);
    record(event);
    expect(event).toStrictEqual(copy);
  });
});

describe('toCallEventDetail', () => {
  const item = toCallEventRecord(example('EndOutCall', { Extra: { a: 1 } }), {
    ...moscow,
    rawBody: SPEC_EXAMPLES.EndOutCall,
    retentionDays: 30,
  });
  const detail = toCallEventDetail(item);

  it('is the stored item without RawBody and ExpiresAt, plus EventId', () => {
    const { RawBody, ExpiresAt, ...rest } = item;
    expect(RawBody).toBe(SPEC_EXAMPLES.EndOutCall);
    expect(ExpiresAt).toBe(Date.parse('2021-02-27T15:27:20Z') / 1000);
    expect(detail).toStrictEqual({
      ...rest,
      EventId: `b7e3c2d4-5f16-4a8b-9c0d-1e2f3a4b5c6d/${item.EventKey}`,
    });
    for (const name of STORED_ONLY_FIELDS) expect(detail).not.toHaveProperty(name);
  });

  it('EventId is SessionID/EventKey', () => {
    expect(detail.EventId).toMatch(
      /^b7e3c2d4-5f16-4a8b-9c0d-1e2f3a4b5c6d\/2021-01-28T12:02:19Z#05#EndOutCall#[0-9a-f]{8}$/,
    );
  });

  it('leaves the stored item as it was', () => {
    expect(item.RawBody).toBe(SPEC_EXAMPLES.EndOutCall);
    expect(item).not.toHaveProperty('EventId');
  });
});

function conforms(value: unknown, schema: JsonSchema): boolean {
  if (schema.anyOf) return schema.anyOf.some((s) => conforms(value, s));
  if (schema.enum && !schema.enum.includes(value)) return false;
  switch (schema.type) {
    case 'string':
      return (
        typeof value === 'string' &&
        (schema.pattern === undefined || new RegExp(schema.pattern).test(value)) &&
        value.length >= (schema.minLength ?? 0) &&
        value.length <= (schema.maxLength ?? Number.POSITIVE_INFINITY)
      );
    case 'integer':
      return Number.isInteger(value) && (value as number) >= (schema.minimum ?? Number.NEGATIVE_INFINITY);
    case 'number':
      return typeof value === 'number';
    case 'null':
      return value === null;
    case undefined:
      return true;
    default:
      throw new Error(`Unexpected type ${schema.type}`);
  }
}

/** Why an object does not conform (missing required properties, mistyped ones), or []. */
function violations(value: Record<string, unknown>, schema: JsonSchema): string[] {
  const missing = (schema.required ?? []).filter((name) => !(name in value)).map((name) => `missing ${name}`);
  const mistyped = Object.entries(value)
    .filter(([name, v]) => schema.properties?.[name] && !conforms(v, schema.properties[name]))
    .map(([name]) => `mistyped ${name}`);
  return [...missing, ...mistyped];
}

describe('JSON Schemas', () => {
  const webhook = webhookJsonSchemas();
  const detail = detailJsonSchemas();

  const ADDED_ALWAYS = ['EventKey', 'EventTime', 'Direction', 'ReceivedAt', 'EventId'];
  const ADDED_SOMETIMES = [
    'ResultText',
    'StartTimeUtc',
    'StartDurationUtc',
    'EndTimeUtc',
    'CustomerNumberMasked',
    'ProviderFields',
  ];
  const sorted = (names: readonly string[] | undefined) => [...(names ?? [])].sort();

  it('there is one of each per HookType', () => {
    expect(Object.keys(webhook)).toEqual([...HOOK_TYPES]);
    expect(Object.keys(detail)).toEqual([...HOOK_TYPES]);
  });

  describe.each(HOOK_TYPES)('%s', (hookType) => {
    const w = webhook[hookType];
    const d = detail[hookType];

    it('both are draft-04 objects that allow unknown fields, with a HookType enum of exactly this type', () => {
      for (const schema of [w, d]) {
        expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
        expect(schema.type).toBe('object');
        expect(schema.additionalProperties).not.toBe(false);
        expect(schema.properties?.HookType).toEqual({
          type: 'string',
          enum: [hookType],
          description: 'The kind of event.',
        });
      }
    });

    it('the webhook schema names the spec fields and requires those of the spec table', () => {
      expect(sorted(Object.keys(w.properties ?? {}))).toEqual(sorted(specFields(hookType)));
      expect(sorted(w.required)).toEqual(sorted(REQUIRED_FIELDS[hookType]));
    });

    it('the detail schema adds the service fields and requires those always present', () => {
      expect(sorted(Object.keys(d.properties ?? {}))).toEqual(
        sorted([...specFields(hookType), ...ADDED_ALWAYS, ...ADDED_SOMETIMES]),
      );
      expect(sorted(d.required)).toEqual(sorted([...REQUIRED_FIELDS[hookType], ...ADDED_ALWAYS]));
    });

    it('types: times and numbers are strings; Duration and ResultCode are tolerant in, normalised out', () => {
      // An optional field may also hold what means absent: null, or "" for a time (rule 10).
      const props = Object.fromEntries(
        Object.entries(w.properties ?? {}).map(([name, p]) => {
          if (REQUIRED_FIELDS[hookType].includes(name)) return [name, p];
          const absent = p.anyOf?.slice(-(name.endsWith('Time') ? 2 : 1));
          expect(absent).toEqual(
            name.endsWith('Time') ? [{ type: 'null' }, { type: 'string', enum: [''] }] : [{ type: 'null' }],
          );
          const rest = p.anyOf?.slice(0, -(absent?.length ?? 0)) ?? [];
          return [name, rest.length === 1 ? rest[0] : { anyOf: rest }];
        }),
      ) as Record<string, JsonSchema>;
      for (const name of [
        'SessionID',
        'CityNumber',
        'Caller',
        'Called',
        'Redirecting',
        'StartTime',
        'StartDuration',
        'EndTime',
      ]) {
        if (props[name]) expect(props[name]?.type).toBe('string');
      }
      for (const name of ['StartTime', 'StartDuration', 'EndTime']) {
        if (props[name])
          expect(props[name]?.pattern).toBe('^(\\d{4})-(\\d{2})-(\\d{2}) (\\d{2}):(\\d{2}):(\\d{2})$');
      }
      if (props.Duration) {
        expect(props.Duration.anyOf?.map((s) => s.type)).toEqual(['integer', 'string']);
        expect(d.properties?.Duration?.type).toBe('integer');
        expect(d.properties?.Duration?.minimum).toBe(0);
      }
      if (props.ResultCode) {
        expect(props.ResultCode.anyOf?.map((s) => s.type)).toEqual(['string', 'integer']);
        expect(d.properties?.ResultCode?.type).toBe('string');
      }
      expect(d.properties?.Direction).toMatchObject({ type: 'string', enum: ['incoming', 'outgoing'] });
    });

    it('the spec example conforms to the webhook schema, and its detail to the detail schema', () => {
      const body = specExamplePayload(hookType);
      expect(violations(body, w)).toEqual([]);
      const nulls = Object.fromEntries(
        Object.keys(w.properties ?? {})
          .filter((name) => !REQUIRED_FIELDS[hookType].includes(name) && name !== 'EndTime')
          .map((name) => [name, null]),
      );
      expect(violations({ ...body, ...nulls }, w)).toEqual([]);
      expect(violations(toCallEventDetail(record(parsed(body))), d)).toEqual([]);
    });

    it('the check can fail: a body without its required fields or with mistyped ones does not conform', () => {
      expect(violations({ HookType: hookType, SessionID: 5 }, w)).toEqual(
        expect.arrayContaining(['missing CityNumber', 'missing Caller', 'mistyped SessionID']),
      );
    });
  });

  it('EndOutCall needs StartTime or EndTime: the webhook schema says so', () => {
    expect(webhook.EndOutCall.anyOf).toEqual([{ required: ['EndTime'] }, { required: ['StartTime'] }]);
    for (const hookType of HOOK_TYPES.filter((t) => t !== 'EndOutCall')) {
      expect(webhook[hookType].anyOf).toBeUndefined();
    }
  });

  it('SERVICE_FIELDS (kept in ProviderFields when a body has them) are exactly the fields the service adds', () => {
    for (const hookType of HOOK_TYPES) {
      const added = Object.keys(detail[hookType].properties ?? {}).filter(
        (name) => !(name in (webhook[hookType].properties ?? {})),
      );
      expect(sorted([...added, 'RawBody', 'ExpiresAt'])).toEqual(sorted(SERVICE_FIELDS));
      expect(added).toContain('ProviderFields');
    }
    const event = example('EndIncCall', { StartTime: '2021-01-28 18:26:53' });
    const stored = toCallEventRecord(event, { ...moscow, retentionDays: 1 });
    const addedToItem = Object.keys(stored).filter((name) => !(name in event));
    expect(addedToItem.filter((name) => !(SERVICE_FIELDS as readonly string[]).includes(name))).toEqual([]);
    expect(sorted(addedToItem)).toEqual(
      sorted([
        'EventKey',
        'EventTime',
        'Direction',
        'ResultText',
        'ReceivedAt',
        'StartTimeUtc',
        'EndTimeUtc',
        'RawBody',
        'ExpiresAt',
      ]),
    );
  });
});
