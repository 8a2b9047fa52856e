/**
 * The call viewer's pure parts: the timeline text, the JSON output, which table it reads, which
 * command the flags mean, a local day as UTC, and the record's summary and list.
 */

import { localPeriod } from '../../lambda/calls/period';
import type { StoredCall } from '../../lambda/calls/store';
import type { RuntimeFile } from '../../local/runtime-file';
import { type CallsIo, commandOf, main, resolveSource } from '../../scripts/calls';
import { formatRecordList, formatRecordSummary, orderedRecord } from '../../scripts/lib/call-records';
import { formatJson, formatTimeline, type StoredEvent } from '../../scripts/lib/timeline';

const SESSION = '4045859e-2dff-4d92-afba-ea57566a6e8b';

const base = { SessionID: SESSION, Direction: 'incoming', CityNumber: '4950001000', Caller: '9990001234' };
const items: StoredEvent[] = [
  {
    ...base,
    HookType: 'CreateIncCall',
    EventTime: '2021-01-28T15:26:53Z',
    Called: '4950001000',
    RawBody: '{}',
  },
  { ...base, HookType: 'ChangeIncCall', EventTime: '2021-01-28T15:26:53Z', Called: '80050000002' },
  {
    ...base,
    EventKey: '2021-01-28T15:27:19Z#05#EndIncCall#0a1b2c3d',
    HookType: 'EndIncCall',
    EventTime: '2021-01-28T15:27:19Z',
    Called: '80050000002',
    Duration: 26,
    ResultCode: '200',
    ResultText: 'Successful call',
  },
  { ...base, HookType: 'MissedIncCall', EventTime: '2021-01-28T15:27:20Z', Duration: 0, ResultCode: '999' },
];

describe('the timeline', () => {
  it('has a header with the SessionID and direction, then one line per event with the interesting fields', () => {
    expect(formatTimeline(SESSION, items).split('\n')).toEqual([
      `SessionID ${SESSION}  incoming call  Caller 9990001234  CityNumber 4950001000  (4 events)`,
      '2021-01-28T15:26:53Z  CreateIncCall        Called 4950001000',
      '2021-01-28T15:26:53Z  ChangeIncCall        Called 80050000002',
      '2021-01-28T15:27:19Z  EndIncCall           Called 80050000002  Duration 26 s  ResultCode 200 (Successful call)',
      '2021-01-28T15:27:20Z  MissedIncCall        Duration 0 s  ResultCode 999',
    ]);
  });

  it('shows a mix of directions and tolerates items missing fields', () => {
    const odd: StoredEvent[] = [
      { HookType: 'CreateOutCall', Direction: 'outgoing' },
      { Called: { nested: true } },
    ];
    expect(formatTimeline('x', odd).split('\n')).toEqual([
      'SessionID x  mixed directions (outgoing, unknown)  Caller ?  CityNumber ?  (2 events)',
      '?                     CreateOutCall',
      '?                     ?',
    ]);
  });

  it('prints the stored items as a JSON array, RawBody included, keys first', () => {
    const parsed = JSON.parse(formatJson(items)) as StoredEvent[];
    expect(parsed).toEqual(items);
    expect(Object.keys(parsed[2] ?? {}).slice(0, 4)).toEqual([
      'SessionID',
      'EventKey',
      'HookType',
      'EventTime',
    ]);
    expect(parsed[0]?.RawBody).toBe('{}');
  });
});

const runtime: RuntimeFile = {
  pid: process.pid,
  webhookUrl: 'http://127.0.0.1:3000/call-events',
  token: 't',
  region: 'us-east-1',
  dynamodbEndpoint: 'http://127.0.0.1:8000',
  eventbridgeEndpoint: 'http://127.0.0.1:4010',
  tables: {
    callEvents: 'CallEvents-local',
    rejectedEvents: 'RejectedCallEvents-local',
    calls: 'Calls-local',
  },
  deliveriesDir: '.local/deliveries',
  eventsFile: '.local/events.ndjson',
  timeZone: 'Europe/Moscow',
  eventBusName: 'call-events',
  eventSource: 'telephony.call-events',
  defaultCountry: 'RU',
};

describe('which table the viewer reads', () => {
  it('reads the local table through the local endpoint by default', () => {
    expect(resolveSource({}, {}, runtime)).toMatchObject({
      table: 'CallEvents-local',
      client: { endpoint: 'http://127.0.0.1:8000', region: 'us-east-1' },
    });
    expect(resolveSource({ table: 'Other' }, {}, runtime).table).toBe('Other');
  });

  it('uses the standard AWS environment with --aws, or with --table when nothing runs locally', () => {
    expect(resolveSource({ aws: true, table: 'Prod' }, {}, runtime)).toEqual({
      table: 'Prod',
      client: {},
      where: 'AWS',
    });
    expect(resolveSource({ table: 'Prod' }, {}, undefined)).toEqual({
      table: 'Prod',
      client: {},
      where: 'AWS',
    });
    expect(resolveSource({ aws: true }, { CALL_EVENTS_TABLE: 'FromEnv' }, undefined).table).toBe('FromEnv');
  });

  it('says what is missing', () => {
    expect(() => resolveSource({ aws: true }, {}, runtime)).toThrow(
      'Pass --table NAME or set CALL_EVENTS_TABLE to read from AWS',
    );
    expect(() => resolveSource({}, {}, undefined)).toThrow(
      'local mode is not running (start it with npm start), or pass --aws --table NAME',
    );
  });
});

describe('which Calls table the record commands read', () => {
  it('reads the local Calls table by default, or the one named', () => {
    expect(resolveSource({}, {}, runtime, 'calls').table).toBe('Calls-local');
    expect(resolveSource({ table: 'Other' }, {}, runtime, 'calls').table).toBe('Other');
  });

  it('with --aws, the table named, else CALLS_TABLE, else says which flag to pass', () => {
    expect(resolveSource({ aws: true, table: 'Prod' }, {}, runtime, 'calls').table).toBe('Prod');
    expect(resolveSource({ aws: true }, { CALLS_TABLE: 'FromEnv' }, runtime, 'calls').table).toBe('FromEnv');
    expect(() => resolveSource({ aws: true }, {}, runtime, 'calls', '--calls-table')).toThrow(
      'Pass --calls-table NAME or set CALLS_TABLE to read from AWS',
    );
  });
});

describe('what the flags ask for', () => {
  const none = { record: false, number: undefined, 'city-number': undefined, date: undefined };

  it('a SessionID: the call; with --record: its record alone', () => {
    expect(commandOf(none, ['s-1'])).toEqual({ kind: 'call', sessionId: 's-1' });
    expect(commandOf({ ...none, record: true }, ['s-1'])).toEqual({ kind: 'record', sessionId: 's-1' });
  });

  it('--number: a customer; --city-number with --date: a public number’s day', () => {
    expect(commandOf({ ...none, number: '+7 916 123-45-67' }, [])).toEqual({
      kind: 'number',
      phone: '+7 916 123-45-67',
    });
    expect(commandOf({ ...none, 'city-number': '4950665310', date: '2021-01-28' }, [])).toEqual({
      kind: 'city',
      cityNumber: '4950665310',
      date: '2021-01-28',
    });
  });

  it.each([
    [{ ...none }, [], 'give exactly one SessionID'],
    [{ ...none }, ['a', 'b'], 'give exactly one SessionID'],
    [{ ...none, record: true }, [], 'give exactly one SessionID'],
    [{ ...none, number: '1', 'city-number': '2', date: '2021-01-28' }, [], 'not both'],
    [{ ...none, number: '1' }, ['s-1'], 'take no SessionID'],
    [{ ...none, number: '1', record: true }, [], 'take no SessionID'],
    [{ ...none, number: ' ' }, [], '--number needs a phone number'],
    [{ ...none, 'city-number': '4950665310' }, [], '--city-number needs a number and --date'],
    [{ ...none, date: '2021-01-28' }, ['s-1'], '--date goes with --city-number'],
  ])('refuses %j %j', (values, positionals, message) => {
    expect(() => commandOf(values, positionals as string[])).toThrow(message);
  });
});

describe('a local day as UTC', () => {
  it('is the zone’s midnight to the next midnight', () => {
    expect(localPeriod('2021-01-28', '2021-01-28', 'Europe/Moscow')).toEqual({
      from: '2021-01-27T21:00:00Z',
      to: '2021-01-28T21:00:00Z',
    });
    expect(localPeriod('2021-12-31', '2021-12-31', 'UTC')).toEqual({
      from: '2021-12-31T00:00:00Z',
      to: '2022-01-01T00:00:00Z',
    });
  });

  it('has 23 hours on the change to summer time and 25 on the change back', () => {
    expect(localPeriod('2021-03-28', '2021-03-28', 'Europe/Berlin')).toEqual({
      from: '2021-03-27T23:00:00Z',
      to: '2021-03-28T22:00:00Z',
    });
    expect(localPeriod('2021-10-31', '2021-10-31', 'Europe/Berlin')).toEqual({
      from: '2021-10-30T22:00:00Z',
      to: '2021-10-31T23:00:00Z',
    });
  });

  it.each(['2021-02-30', '28.01.2021', '2021-1-28', ''])('refuses %j', (date) => {
    expect(() => localPeriod(date, date, 'Europe/Moscow')).toThrow('Not a date');
  });
});

const missed: StoredCall = {
  SessionID: SESSION,
  Direction: 'incoming',
  CityNumber: '4950001000',
  Caller: '9990001234',
  Called: '4950001000',
  CustomerNumber: '+79990001234',
  Status: 'ended',
  Outcome: 'missed',
  ResultCode: '304',
  ResultText: 'Missed call',
  StartedAt: '2021-01-28T15:26:53Z',
  EndedAt: '2021-01-28T15:27:24Z',
  RingSeconds: 31,
  TalkSeconds: 0,
  Attempts: [
    {
      Employee: '80050000001',
      BeganAt: '2021-01-28T15:26:54Z',
      EndedAt: '2021-01-28T15:27:24Z',
      Answered: false,
    },
    { Employee: '80050000002', BeganAt: '2021-01-28T15:26:54Z', Answered: false },
  ],
  Day: '2021-01-28',
  EventCount: 5,
  LastEventAt: '2021-01-28T15:27:24Z',
  LastReceivedAt: '2021-01-28T15:27:24.512Z',
  CallbackStatus: 'pending',
  PendingCallback: 'pending',
  Version: 3,
};
const answered: StoredCall = {
  ...missed,
  SessionID: 'out-1',
  Direction: 'outgoing',
  Caller: '80050000001',
  Called: '89990001234',
  Outcome: 'answered',
  ResultCode: '200',
  ResultText: 'Successful call',
  StartedAt: '2021-01-28T16:00:00Z',
  AnsweredAt: '2021-01-28T16:00:10Z',
  EndedAt: '2021-01-28T16:01:00Z',
  RingSeconds: 10,
  TalkSeconds: 50,
  Employee: '80050000001',
  Attempts: [],
  EventCount: 1,
  CallbackStatus: undefined,
  PendingCallback: undefined,
  Version: 1,
};
const open: StoredCall = {
  SessionID: 'open-1',
  Direction: 'incoming',
  CityNumber: '4950001000',
  Caller: '9990001234',
  Status: 'open',
  StartedAt: '2021-01-28T17:00:00Z',
  Attempts: [{ Employee: '80050000001', BeganAt: '2021-01-28T17:00:01Z', Answered: false }],
  Day: '2021-01-28',
  EventCount: 2,
  LastEventAt: '2021-01-28T17:00:01Z',
  LastReceivedAt: '2021-01-28T17:00:01Z',
  OpenCall: 'open',
  Version: 2,
};

describe('the record’s summary', () => {
  it('says what happened, to whom, when, for how long, who was rung and the callback', () => {
    expect(formatRecordSummary(missed).split('\n')).toEqual([
      `Call ${SESSION}  incoming  ended  missed  (ResultCode 304, Missed call)`,
      '  Customer +79990001234  Employee —  CityNumber 4950001000',
      '  Started 2021-01-28T15:26:53Z  Answered —  Ended 2021-01-28T15:27:24Z',
      '  Ring 31 s  Talk 0 s  Attempts 2: 80050000001 not answered, 80050000002 ringing',
      '  Callback pending',
      '  Version 3  5 events, the last received 2021-01-28T15:27:24.512Z',
    ]);
  });

  it('names the resolving call, and shows an open call without the fields it does not have yet', () => {
    const resolved = {
      ...missed,
      CallbackStatus: 'called-back',
      CallbackSessionID: 'out-1',
      CallbackAfterSeconds: 1956,
    };
    expect(formatRecordSummary(resolved as StoredCall)).toContain(
      '  Callback called-back by out-1 after 1956 s',
    );
    expect(formatRecordSummary(open).split('\n')).toEqual([
      'Call open-1  incoming  open',
      '  Customer —  Employee —  CityNumber 4950001000',
      '  Started 2021-01-28T17:00:00Z  Answered —  Ended —',
      '  Ring —  Talk —  Attempts 1: 80050000001 ringing',
      '  Version 2  2 events, the last received 2021-01-28T17:00:01Z',
    ]);
  });
});

describe('a list of calls', () => {
  it('counts them, then one line each in the order given: start, direction, outcome or status, customer, employee, times, id', () => {
    const lines = formatRecordList([answered, missed, open]).split('\n');
    expect(lines[0]).toBe('3 calls');
    expect(lines.slice(1).map((line) => line.split(/\s{2,}/))).toEqual([
      [
        '2021-01-28T16:00:00Z',
        'outgoing',
        'answered',
        '+79990001234',
        'Employee 80050000001',
        'ring 10 s',
        'talk 50 s',
        'out-1',
      ],
      [
        '2021-01-28T15:26:53Z',
        'incoming',
        'missed',
        '+79990001234',
        'Employee —',
        'ring 31 s',
        'talk 0 s',
        SESSION,
      ],
      ['2021-01-28T17:00:00Z', 'incoming', 'open', '—', 'Employee —', 'ring —', 'talk —', 'open-1'],
    ]);
    expect(formatRecordList([])).toBe('0 calls');
  });

  it('prints a record as JSON with SessionID first, then the fields alphabetically', () => {
    const keys = Object.keys(orderedRecord(missed));
    expect(keys[0]).toBe('SessionID');
    expect(keys.slice(1)).toEqual([...keys.slice(1)].sort());
    expect(orderedRecord(missed)).toEqual(missed);
  });
});

describe('the CLI’s usage errors', () => {
  function capture(): { io: CallsIo; out: string[]; err: string[] } {
    const out: string[] = [];
    const err: string[] = [];
    const io: CallsIo = {
      out: (t) => out.push(t),
      err: (l) => err.push(l),
      env: {},
      runtimeFile: '/nonexistent/runtime.json',
      stackSettings: () => ({ timeZone: 'Europe/Moscow', defaultCountry: 'RU' }),
    };
    return { io, out, err };
  }

  it('refuses an impossible date before reading anything', async () => {
    const { io, out, err } = capture();
    const argv = ['--aws', '--table', 'Calls', '--city-number', '4950001000', '--date', '2021-02-30'];
    expect(await main(argv, io)).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual([
      'npm run calls: --date: there is no such day as 2021-02-30 (see npm run calls -- --help)',
    ]);
    const time = capture();
    expect(await main([...argv.slice(0, -1), '2021-02-03T00:00:00Z'], time.io)).toBe(1);
    expect(time.err).toEqual([
      'npm run calls: --date: a day YYYY-MM-DD, not a time (got 2021-02-03T00:00:00Z) (see npm run calls -- --help)',
    ]);
  });

  it('says how to name a table when nothing runs locally', async () => {
    const { io, err } = capture();
    expect(await main(['--number', '9161234567'], io)).toBe(1);
    expect(err).toEqual(['local mode is not running (start it with npm start), or pass --aws --table NAME']);
  });

  it('documents every command and both table flags in --help', async () => {
    const { io, out } = capture();
    expect(await main(['--help'], io)).toBe(0);
    for (const flag of [
      '--record',
      '--number',
      '--city-number',
      '--date',
      '--table',
      '--calls-table',
      '--aws',
    ])
      expect(out.join('\n')).toContain(flag);
  });
});
