/** The call viewer's pure parts: the timeline text, the JSON output, and which table it reads. */

import type { RuntimeFile } from '../../local/runtime-file';
import { resolveSource } from '../../scripts/calls';
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
      'No local runtime (.local/runtime.json): run `npm start` first, or pass --aws --table NAME',
    );
  });
});
