/**
 * The webhook contract as the provider's spec and its tolerant-reader rules define it
 * (spec/README.md): what `parseCallEvent` accepts, how it normalises, and what it rejects.
 */
import {
  type ContractIssue,
  HOOK_TYPES,
  type HookType,
  MAX_NESTING_DEPTH,
  type ParseResult,
  parseCallEvent,
  RESULT_CODES,
  SERVICE_FIELDS,
  SESSION_ID_MAX_LENGTH,
  toCallEventRecord,
} from '../../lambda/contract';
import { freshSpecExample, SPEC_EXAMPLES, specExamplePayload } from '../../lambda/contract/spec-examples';
import { OPTIONAL_FIELDS, OPTIONAL_TIME_FIELDS, REQUIRED_FIELDS, specFields } from '../fixtures/spec-fields';

const options = { timeZone: 'Europe/Moscow', receivedAt: new Date('2021-01-28T15:30:00Z'), rawBody: '{}' };

/** The example of a HookType with fields replaced; `undefined` removes a field. */
function payload(hookType: HookType, changes: Record<string, unknown> = {}): Record<string, unknown> {
  const body = { ...specExamplePayload(hookType), ...changes };
  for (const [key, value] of Object.entries(changes)) if (value === undefined) delete body[key];
  return body;
}

function accepted(value: unknown) {
  const result = parseCallEvent(value);
  if (!result.ok) throw new Error(`Expected the body to be accepted, got ${JSON.stringify(result.issues)}`);
  return result.event;
}

function rejected(value: unknown): ContractIssue[] {
  const result = parseCallEvent(value);
  if (result.ok) throw new Error(`Expected the body to be rejected, got ${JSON.stringify(result.event)}`);
  return result.issues;
}

const paths = (issues: ContractIssue[]) => issues.map((issue) => issue.path);

/** Every field each HookType may carry, so that each can be taken away in turn. */
const complete: Record<HookType, Record<string, unknown>> = {
  CreateIncCall: payload('CreateIncCall'),
  AttemptIncCallBegin: payload('AttemptIncCallBegin'),
  ChangeIncCall: payload('ChangeIncCall'),
  AttemptIncCallEnd: payload('AttemptIncCallEnd', { StartTime: '2021-01-28 18:26:50' }),
  EndIncCall: payload('EndIncCall', { StartTime: '2021-01-28 18:26:40' }),
  MissedIncCall: payload('MissedIncCall', { StartTime: '2021-01-28 18:34:20' }),
  CreateOutCall: payload('CreateOutCall'),
  EndOutCall: payload('EndOutCall'),
};

const TIME_FIELDS: [HookType, string][] = HOOK_TYPES.flatMap((t) =>
  ['StartTime', 'StartDuration', 'EndTime']
    .filter((f) => f in complete[t])
    .map((f): [HookType, string] => [t, f]),
);

describe('the spec examples', () => {
  it('cover every HookType, and the completed bodies carry exactly the spec fields', () => {
    expect(Object.keys(SPEC_EXAMPLES).sort()).toEqual([...HOOK_TYPES].sort());
    for (const t of HOOK_TYPES) {
      expect(Object.keys(complete[t]).sort()).toEqual(specFields(t).sort());
    }
  });

  it.each<[HookType, Record<string, unknown>]>([
    [
      'CreateIncCall',
      {
        SessionID: 'ec22aab1-02f8-487d-9b40-1173f33ba242',
        HookType: 'CreateIncCall',
        StartTime: '2021-01-28 14:15:22',
        CityNumber: '4950665310',
        Caller: '9582412128',
        Called: '4950665310',
        Redirecting: '84950665310',
      },
    ],
    [
      'AttemptIncCallBegin',
      {
        SessionID: 'ec22aab1-02f8-487d-9b40-1173f33ba242',
        HookType: 'AttemptIncCallBegin',
        StartTime: '2021-01-28 14:15:30',
        CityNumber: '4950665310',
        Caller: '9582412128',
        Called: '80052002651',
      },
    ],
    [
      'ChangeIncCall',
      {
        SessionID: '13f225e3-e449-4576-94de-50bb59064f46',
        HookType: 'ChangeIncCall',
        StartDuration: '2021-01-28 12:31:01',
        CityNumber: '3462773930',
        Caller: '9582412128',
        Called: '800774994086005',
      },
    ],
    [
      'AttemptIncCallEnd',
      {
        SessionID: '4045859e-2dff-4d92-afba-ea57566a6e8b',
        HookType: 'AttemptIncCallEnd',
        EndTime: '2021-01-28 18:27:09',
        CityNumber: '4950665310',
        Caller: '9582412128',
        Called: '80052002642',
      },
    ],
    [
      'EndIncCall',
      {
        SessionID: '4045859e-2dff-4d92-afba-ea57566a6e8b',
        HookType: 'EndIncCall',
        EndTime: '2021-01-28 18:27:19',
        CityNumber: '4950665310',
        Caller: '9582412128',
        Called: '0052002651',
        Duration: 26,
        ResultCode: '200',
      },
    ],
    [
      'MissedIncCall',
      {
        SessionID: '391cb39b-2658-4bcb-b4de-6b1fd4a2ed70',
        HookType: 'MissedIncCall',
        EndTime: '2021-01-28 18:34:51',
        CityNumber: '4950665310',
        Caller: '9582412128',
        Called: '84950665310',
        Duration: 0,
        ResultCode: '603-S',
      },
    ],
    [
      'CreateOutCall',
      {
        SessionID: 'b7e3c2d4-5f16-4a8b-9c0d-1e2f3a4b5c6d',
        HookType: 'CreateOutCall',
        StartTime: '2021-01-28 15:02:11',
        CityNumber: '4950665310',
        Caller: '80052002651',
        Called: '89161234567',
      },
    ],
    [
      'EndOutCall',
      {
        SessionID: 'b7e3c2d4-5f16-4a8b-9c0d-1e2f3a4b5c6d',
        HookType: 'EndOutCall',
        StartTime: '2021-01-28 15:02:11',
        EndTime: '2021-01-28 15:02:19',
        Duration: 0,
        ResultCode: '486',
        CityNumber: '4950665310',
        Caller: '80052002651',
        Called: '89161234567',
      },
    ],
  ])('%s is accepted and normalised', (hookType, expected) => {
    expect(accepted(JSON.parse(SPEC_EXAMPLES[hookType]))).toStrictEqual(expected);
  });

  it('are not valid JSON with the spec typos put back (rule 8: not JSON is not our input)', () => {
    const withoutBrace = SPEC_EXAMPLES.AttemptIncCallEnd.trimEnd().slice(0, -1);
    const trailingComma = SPEC_EXAMPLES.CreateIncCall.replace(/"\n}$/, '",\n}');
    expect(() => JSON.parse(withoutBrace)).toThrow(SyntaxError);
    expect(() => JSON.parse(trailingComma)).toThrow(SyntaxError);
  });

  it('freshSpecExample changes only the SessionID, keeping the text as printed', () => {
    const fresh = freshSpecExample('EndIncCall', 'another-call');
    expect(fresh).toBe(
      SPEC_EXAMPLES.EndIncCall.replace('4045859e-2dff-4d92-afba-ea57566a6e8b', 'another-call'),
    );
    expect(accepted(JSON.parse(fresh))).toMatchObject({ SessionID: 'another-call', Duration: 26 });
    const random = JSON.parse(freshSpecExample('EndIncCall')) as { SessionID: string };
    expect(random.SessionID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(random.SessionID).not.toBe(JSON.parse(freshSpecExample('EndIncCall')).SessionID);
  });
});

describe('ResultCode (rule 1): a string or an integer, kept as a string', () => {
  it.each<[HookType, unknown, string]>([
    ['EndIncCall', 200, '200'],
    ['EndIncCall', '200', '200'],
    ['MissedIncCall', '603-S', '603-S'],
    ['MissedIncCall', 304, '304'],
    ['EndOutCall', 486, '486'],
    ['EndOutCall', '486', '486'],
    ['EndIncCall', 999, '999'],
    ['EndIncCall', '7xx-Q', '7xx-Q'],
    ['EndIncCall', 0, '0'],
  ])('%s with %p → %p', (hookType, sent, stored) => {
    expect(accepted(payload(hookType, { ResultCode: sent })).ResultCode).toBe(stored);
  });

  it.each<[string, unknown]>([
    ['a fraction', 200.5],
    ['an empty string', ''],
    ['a boolean', true],
    ['an object', { code: 200 }],
    ['a string over 32 characters', 'x'.repeat(33)],
  ])('is rejected at path ResultCode when it is %s', (_, sent) => {
    expect(paths(rejected(payload('EndIncCall', { ResultCode: sent })))).toEqual(['ResultCode']);
  });

  it('is optional for EndIncCall, MissedIncCall and EndOutCall', () => {
    for (const t of ['EndIncCall', 'MissedIncCall', 'EndOutCall'] as const) {
      expect(accepted(payload(t, { ResultCode: undefined }))).not.toHaveProperty('ResultCode');
    }
  });

  // The provider's table, translated in spec/README.md.
  const table: [string, string][] = [
    ['200', 'Successful call'],
    ['304', 'Missed call'],
    ['603', 'Declined'],
    ['603-S', 'Call cancelled'],
    ['403', 'Forbidden'],
    ['404', 'Invalid number'],
    ['486', 'Busy'],
    ['484', 'Destination not available'],
    ['503', 'Destination not available'],
    ['480', 'Temporarily unavailable'],
    ['402', 'Insufficient funds on the account'],
    ['423', 'Blocked'],
  ];

  it('RESULT_CODES is exactly the provider table', () => {
    expect(RESULT_CODES).toStrictEqual(Object.fromEntries(table));
  });

  it.each(table)('known code %s gets ResultText %p', (code, text) => {
    const event = accepted(payload('EndIncCall', { ResultCode: code }));
    expect(toCallEventRecord(event, options).ResultText).toBe(text);
  });

  it('a known code sent as an integer gets its ResultText too', () => {
    const event = accepted(payload('EndOutCall', { ResultCode: 486 }));
    expect(toCallEventRecord(event, options)).toMatchObject({ ResultCode: '486', ResultText: 'Busy' });
  });

  it.each<[unknown, string]>([
    ['999', '999'],
    [487, '487'],
    ['603-X', '603-X'],
    [' 200', ' 200'],
    ['constructor', 'constructor'],
  ])('an unknown code %p is kept as %p with no ResultText', (sent, kept) => {
    const record = toCallEventRecord(accepted(payload('MissedIncCall', { ResultCode: sent })), options);
    expect(record.ResultCode).toBe(kept);
    expect(record).not.toHaveProperty('ResultText');
  });

  it('no ResultCode, no ResultText', () => {
    const record = toCallEventRecord(accepted(payload('EndIncCall', { ResultCode: undefined })), options);
    expect(record).not.toHaveProperty('ResultText');
  });
});

describe('Duration (rule 3): a non-negative integer or a string of digits, stored as an integer', () => {
  it.each<[unknown, number]>([
    [26, 26],
    ['26', 26],
    [0, 0],
    ['0', 0],
    ['007', 7],
    [86_400, 86_400],
    ['123456789', 123_456_789],
  ])('%p → %p', (sent, stored) => {
    expect(accepted(payload('EndIncCall', { Duration: sent })).Duration).toBe(stored);
    expect(accepted(payload('EndOutCall', { Duration: sent })).Duration).toBe(stored);
  });

  it.each<[string, unknown]>([
    ['negative', -1],
    ['fractional', 1.5],
    ['a string with a letter', '12a'],
    ['an empty string', ''],
    ['a negative string', '-1'],
    ['a fractional string', '1.5'],
    ['padded with a space', ' 12'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a boolean', true],
  ])('is rejected at path Duration when %s', (_, sent) => {
    for (const t of ['EndIncCall', 'MissedIncCall', 'EndOutCall'] as const) {
      expect(paths(rejected(payload(t, { Duration: sent })))).toEqual(['Duration']);
    }
  });

  it('null is rejected where Duration is required (EndIncCall, MissedIncCall), absent where optional (EndOutCall)', () => {
    for (const t of ['EndIncCall', 'MissedIncCall'] as const) {
      expect(rejected(payload(t, { Duration: null }))).toEqual([
        { path: 'Duration', message: expect.any(String) },
      ]);
    }
    expect(accepted(payload('EndOutCall', { Duration: null }))).not.toHaveProperty('Duration');
  });
});

describe('required and optional fields per HookType (spec table, rule 2)', () => {
  const missing = HOOK_TYPES.flatMap((t) => REQUIRED_FIELDS[t].map((f): [HookType, string] => [t, f]));
  it.each(missing)('%s without %s is rejected with an issue at that path', (hookType, field) => {
    expect(paths(rejected(payload(hookType, { ...complete[hookType], [field]: undefined })))).toContain(
      field,
    );
  });

  it.each(missing.filter(([, f]) => f !== 'HookType'))(
    '%s without %s has exactly one issue, at that path',
    (hookType, field) => {
      const issues = rejected(payload(hookType, { ...complete[hookType], [field]: undefined }));
      expect(issues).toEqual([{ path: field, message: expect.any(String) }]);
    },
  );

  const optional = HOOK_TYPES.flatMap((t) => OPTIONAL_FIELDS[t].map((f): [HookType, string] => [t, f]));
  it.each(optional)('%s without %s is accepted', (hookType, field) => {
    const event = accepted(payload(hookType, { ...complete[hookType], [field]: undefined }));
    expect(event).not.toHaveProperty(field);
  });

  it.each<HookType>(['AttemptIncCallEnd', 'EndIncCall', 'MissedIncCall'])(
    'StartTime is optional for %s and kept when sent',
    (hookType) => {
      expect(accepted(payload(hookType))).not.toHaveProperty('StartTime');
      expect(accepted(complete[hookType]).StartTime).toBe(complete[hookType].StartTime);
    },
  );

  it.each<HookType>(['CreateIncCall', 'AttemptIncCallBegin', 'CreateOutCall'])(
    'StartTime is required for %s',
    (hookType) => {
      const what = hookType === 'AttemptIncCallBegin' ? "the attempt's start" : "the call's start";
      expect(rejected(payload(hookType, { StartTime: undefined }))).toEqual([
        { path: 'StartTime', message: `Required: StartTime, ${what}` },
      ]);
    },
  );

  it('ChangeIncCall takes its time from StartDuration, not StartTime', () => {
    const noStartDuration = payload('ChangeIncCall', {
      StartDuration: undefined,
      StartTime: '2021-01-28 12:31:01',
    });
    expect(paths(rejected(noStartDuration))).toEqual(['StartDuration']);
  });

  it('EndOutCall without EndTime uses StartTime as its event time', () => {
    const event = accepted(payload('EndOutCall', { EndTime: undefined, Duration: undefined }));
    const record = toCallEventRecord(event, options);
    expect(record.EventTime).toBe('2021-01-28T12:02:11Z');
    expect(record.EventKey).toMatch(/^2021-01-28T12:02:11Z#05#EndOutCall#[0-9a-f]{8}$/);
    expect(record).not.toHaveProperty('EndTimeUtc');
  });

  it('EndOutCall with EndTime and no StartTime (shaped like EndIncCall) is accepted, its time EndTime (rule 11)', () => {
    const event = accepted(payload('EndOutCall', { StartTime: undefined }));
    expect(event).not.toHaveProperty('StartTime');
    const record = toCallEventRecord(event, options);
    expect(record.EventTime).toBe('2021-01-28T12:02:19Z');
    expect(record).not.toHaveProperty('StartTimeUtc');
  });

  it.each<[string, Record<string, unknown>]>([
    ['absent', { StartTime: undefined, EndTime: undefined }],
    ['null', { StartTime: null, EndTime: null }],
    ['empty', { StartTime: '', EndTime: '' }],
    ['one absent, one null', { StartTime: undefined, EndTime: null }],
  ])('EndOutCall with neither StartTime nor EndTime (%s) is rejected, at one path', (_, changes) => {
    expect(rejected(payload('EndOutCall', changes))).toEqual([
      { path: 'EndTime', message: "Required: EndTime, the call's end, or StartTime, the call's start" },
    ]);
  });

  it('EndOutCall with EndTime uses EndTime', () => {
    expect(toCallEventRecord(accepted(payload('EndOutCall')), options).EventTime).toBe(
      '2021-01-28T12:02:19Z',
    );
  });
});

describe('times (rule 4): YYYY-MM-DD HH:mm:ss naming a real date and time', () => {
  const badTimes: [string, unknown][] = [
    ['ISO with a T', '2021-01-28T14:15:22'],
    ['ISO with a zone', '2021-01-28T14:15:22Z'],
    ['unpadded month', '2021-1-28 14:15:22'],
    ['unpadded hour', '2021-01-28 4:15:22'],
    ['no seconds', '2021-01-28 14:15'],
    ['milliseconds', '2021-01-28 14:15:22.000'],
    ['a trailing space', '2021-01-28 14:15:22 '],
    ['two spaces', '2021-01-28  14:15:22'],
    ['day first', '28-01-2021 14:15:22'],
    ['empty', ''],
    ['a number', 1_611_832_522],
    ['29 February of a common year', '2021-02-29 10:00:00'],
    ['29 February 2100 (not a leap year)', '2100-02-29 10:00:00'],
    ['31 April', '2021-04-31 10:00:00'],
    ['month 13', '2021-13-01 10:00:00'],
    ['day 0', '2021-01-00 10:00:00'],
    ['hour 24', '2021-01-28 24:00:00'],
    ['minute 60', '2021-01-28 12:60:00'],
    ['second 60', '2021-01-28 12:00:60'],
  ];
  const cases = TIME_FIELDS.flatMap(([t, f]) =>
    badTimes.map(([why, v]): [HookType, string, string, unknown] => [t, f, why, v]),
  );

  // `""` in an optional time means absent (rule 10): see "absent values".
  const rejectedCases = cases.filter(([t, f, , v]) => !(v === '' && OPTIONAL_TIME_FIELDS[t].includes(f)));
  it.each(rejectedCases)('%s.%s is rejected at its path: %s', (hookType, field, _, value) => {
    const issues = rejected({ ...complete[hookType], [field]: value });
    expect(issues.length).toBeGreaterThan(0);
    expect(new Set(paths(issues))).toEqual(new Set([field]));
  });

  it.each<[string, string]>([
    ['the leap day 2024-02-29', '2024-02-29 10:00:00'],
    ['the leap day 2000-02-29', '2000-02-29 23:59:59'],
    ['the last second of a year', '2021-12-31 23:59:59'],
    ['midnight', '2021-01-28 00:00:00'],
    ['31 January', '2021-01-31 12:00:00'],
  ])('accepts %s', (_, value) => {
    for (const [hookType, field] of TIME_FIELDS) {
      const event: Record<string, unknown> = accepted({ ...complete[hookType], [field]: value });
      expect(event[field]).toBe(value);
    }
  });

  it('an impossible date says why', () => {
    expect(rejected(payload('CreateIncCall', { StartTime: '2021-04-31 10:00:00' }))).toEqual([
      { path: 'StartTime', message: "Must be a real calendar date and time: StartTime, the call's start" },
    ]);
  });
});

describe('unknown fields (rule 7) and HookType (rule 9)', () => {
  const extras = {
    Comment: 'from the PBX',
    LineId: 7,
    Recorded: false,
    Nothing: null,
    Tags: ['vip', 2, { nested: true }],
    Context: { Queue: { Name: 'support', Position: 3 }, Agent: { Id: 'a-1', Skills: ['ru', 'en'] } },
  };

  it.each(HOOK_TYPES)('%s keeps every unknown field, nested objects included, as sent', (hookType) => {
    const event = accepted(payload(hookType, extras));
    expect(event).toMatchObject(extras);
    expect(toCallEventRecord(event, options)).toMatchObject(extras);
  });

  it('an unknown field that shadows a known one of another HookType is kept, not validated', () => {
    const event = accepted(payload('ChangeIncCall', { StartTime: 'not a time', Duration: 'n/a' }));
    expect(event).toMatchObject({ StartTime: 'not a time', Duration: 'n/a' });
  });

  it.each<[string, unknown]>([
    ['an unknown name', 'HangupIncCall'],
    ['a different case', 'endinccall'],
    ['surrounding space', ' EndIncCall'],
    ['an empty string', ''],
    ['a prototype name', 'constructor'],
    ['__proto__', '__proto__'],
    ['a number', 5],
    ['null', null],
    ['absent', undefined],
  ])('HookType with %s is rejected at path HookType', (_, hookType) => {
    expect(paths(rejected(payload('EndIncCall', { HookType: hookType })))).toEqual(['HookType']);
  });

  it.each(SERVICE_FIELDS)(
    'a field named %s, which the service adds, is accepted and kept in ProviderFields (rule 12)',
    (field) => {
      const event = accepted(payload('EndIncCall', { ResultCode: '999', [field]: 'from the provider' }));
      expect(event.ProviderFields).toEqual({ [field]: 'from the provider' });
      const record = toCallEventRecord(event, { ...options, retentionDays: 1 });
      expect(record.ProviderFields).toEqual({ [field]: 'from the provider' });
      // The service's own attributes are its own, whatever the body said.
      expect(record.EventKey).toMatch(/^2021-01-28T15:27:19Z#05#EndIncCall#[0-9a-f]{8}$/);
      expect(record).toMatchObject({
        EventTime: '2021-01-28T15:27:19Z',
        Direction: 'incoming',
        ReceivedAt: options.receivedAt.toISOString(),
        RawBody: options.rawBody,
        ExpiresAt: Math.floor(options.receivedAt.getTime() / 1000) + 86_400,
      });
      expect(record).not.toHaveProperty('ResultText');
      expect(record).not.toHaveProperty('StartTimeUtc');
    },
  );

  it('every such field goes into one ProviderFields map, values as sent (objects, null, numbers)', () => {
    const sent = {
      Direction: 'in',
      EventTime: null,
      ExpiresAt: 1,
      EventKey: { forged: true },
      ProviderFields: { a: 1 },
    };
    const event = accepted(payload('MissedIncCall', { ...sent, Extra: 'kept' }));
    expect(event.ProviderFields).toEqual(sent);
    expect(event).toMatchObject({ Extra: 'kept' });
    for (const name of ['Direction', 'EventTime', 'ExpiresAt', 'EventKey'])
      expect(event).not.toHaveProperty(name);
  });

  it('a ProviderFields map that cannot be stored is rejected like any unknown field', () => {
    expect(rejected(payload('EndIncCall', { Direction: { constructor: 1 } }))).toEqual([
      {
        path: '',
        message: 'Must not have a field named constructor: the request body (such a field cannot be stored)',
      },
    ]);
  });

  it('a field named __proto__ is rejected, not silently dropped', () => {
    const top = JSON.parse(SPEC_EXAMPLES.EndIncCall.replace('{', '{"__proto__": {"x": 1},'));
    expect(rejected(top)).toEqual([
      {
        path: '__proto__',
        message: 'Must not have a field named __proto__: the request body (such a field cannot be stored)',
      },
    ]);
    const nested = payload('EndIncCall', { Extra: JSON.parse('{"a": {"__proto__": 1}}') });
    expect(rejected(nested)).toEqual([
      {
        path: '',
        message: 'Must not have a field named __proto__: the request body (such a field cannot be stored)',
      },
    ]);
  });
});

describe('absent values (rule 10): null, and "" in a time, mean absent where the field is optional', () => {
  const optional = HOOK_TYPES.flatMap((t) => OPTIONAL_FIELDS[t].map((f): [HookType, string] => [t, f]));
  it.each(optional)('%s with %s: null is accepted as absent', (hookType, field) => {
    const event = accepted({ ...complete[hookType], [field]: null });
    expect(event).not.toHaveProperty(field);
    expect(event).toEqual(accepted(payload(hookType, { ...complete[hookType], [field]: undefined })));
  });

  const optionalTimes = HOOK_TYPES.flatMap((t) =>
    OPTIONAL_TIME_FIELDS[t].map((f): [HookType, string] => [t, f]),
  );
  it.each(optionalTimes)('%s with %s: "" is accepted as absent', (hookType, field) => {
    const event = accepted({ ...complete[hookType], [field]: '' });
    expect(event).not.toHaveProperty(field);
  });

  it.each(['Redirecting', 'Called', 'ResultCode', 'Duration'])(
    '"" in %s (not a time) is not absent',
    (field) => {
      const hookType = field === 'Redirecting' ? 'CreateIncCall' : 'EndOutCall';
      const result = parseCallEvent({ ...complete[hookType], [field]: '' });
      // A phone number may be empty (kept as sent); ResultCode and Duration may not.
      if (field === 'Redirecting' || field === 'Called')
        expect(result).toMatchObject({ ok: true, event: { [field]: '' } });
      else expect(result).toMatchObject({ ok: false, issues: [{ path: field }] });
    },
  );

  const required = HOOK_TYPES.flatMap((t) =>
    REQUIRED_FIELDS[t].filter((f) => f !== 'HookType').map((f): [HookType, string] => [t, f]),
  );
  it.each(required)('%s with %s null is rejected, with the path', (hookType, field) => {
    expect(rejected({ ...complete[hookType], [field]: null })).toEqual([
      { path: field, message: expect.any(String) },
    ]);
  });

  it.each(TIME_FIELDS.filter(([t, f]) => REQUIRED_FIELDS[t].includes(f)))(
    '%s with %s "" (required) is rejected, with the path',
    (hookType, field) => {
      expect(new Set(paths(rejected({ ...complete[hookType], [field]: '' })))).toEqual(new Set([field]));
    },
  );

  it('an unknown field that is null is kept as sent', () => {
    expect(accepted(payload('EndIncCall', { Note: null }))).toHaveProperty('Note', null);
  });

  it('the body given is not changed', () => {
    const body = { ...complete.EndIncCall, Called: null, Direction: 'in' };
    const copy = structuredClone(body);
    accepted(body);
    expect(body).toEqual(copy);
  });
});

describe('SessionID (rule 5): any non-empty string up to the bound', () => {
  it.each<[string, string]>([
    ['a UUID', 'ec22aab1-02f8-487d-9b40-1173f33ba242'],
    ['a number as text', '1234567890'],
    ['free text', 'call #42 / trunk B'],
    ['one character', 'x'],
    ['exactly the bound', 'x'.repeat(SESSION_ID_MAX_LENGTH)],
  ])('accepts %s', (_, sessionId) => {
    expect(accepted(payload('CreateIncCall', { SessionID: sessionId })).SessionID).toBe(sessionId);
  });

  it('the bound is 256 characters', () => {
    expect(SESSION_ID_MAX_LENGTH).toBe(256);
  });

  it.each<[string, unknown]>([
    ['empty', ''],
    ['one over the bound', 'x'.repeat(SESSION_ID_MAX_LENGTH + 1)],
    ['a number', 1234],
    ['null', null],
    ['absent', undefined],
  ])('rejects %s at path SessionID', (_, sessionId) => {
    expect(paths(rejected(payload('CreateIncCall', { SessionID: sessionId })))).toEqual(['SessionID']);
  });
});

describe('phone numbers (rule 6): kept exactly as sent', () => {
  it.each<[string, string]>([
    ['a leading zero', '0052002651'],
    ['a 15-digit number', '800774994086005'],
    ['a trunk prefix', '84950665310'],
    ['E.164', '+74950665310'],
    ['punctuation', '+7 (495) 066-53-10'],
    ['an extension', '101'],
  ])('keeps %s', (_, number) => {
    const event = accepted(payload('EndIncCall', { CityNumber: number, Caller: number, Called: number }));
    expect(event).toMatchObject({ CityNumber: number, Caller: number, Called: number });
  });

  it('the spec examples keep their numbers', () => {
    expect(accepted(specExamplePayload('EndIncCall')).Called).toBe('0052002651');
    expect(accepted(specExamplePayload('ChangeIncCall')).Called).toBe('800774994086005');
  });

  it('a number sent as a JSON number is rejected (its leading zeros would be lost)', () => {
    expect(paths(rejected(payload('EndIncCall', { Caller: 9_582_412_128 })))).toEqual(['Caller']);
  });
});

describe('bodies that cannot be stored', () => {
  it.each<[string, unknown]>([
    ['an array', [specExamplePayload('EndIncCall')]],
    ['a string', SPEC_EXAMPLES.EndIncCall],
    ['null', null],
    ['a number', 42],
    ['a boolean', true],
    ['undefined', undefined],
  ])('%s is rejected as a whole', (_, body) => {
    expect(paths(rejected(body))).toEqual(['']);
  });

  /** `levels` objects, one inside the other. */
  const nest = (levels: number): unknown => (levels === 0 ? 'leaf' : { a: nest(levels - 1) });

  it('unknown fields may nest below the limit, which is inside DynamoDB’s 32 levels', () => {
    expect(MAX_NESTING_DEPTH).toBeLessThan(32);
    expect(accepted(payload('EndIncCall', { Deep: nest(MAX_NESTING_DEPTH - 1) })).Deep).toEqual(
      nest(MAX_NESTING_DEPTH - 1),
    );
  });

  it.each<[string, unknown]>([
    ['objects', nest(MAX_NESTING_DEPTH)],
    ['arrays', JSON.parse(`${'['.repeat(MAX_NESTING_DEPTH)}1${']'.repeat(MAX_NESTING_DEPTH)}`)],
    ['objects, far too deep', nest(500)],
  ])('over-deep nesting of %s is rejected', (_, deep) => {
    expect(rejected(payload('EndIncCall', { Deep: deep }))).toEqual([
      {
        path: '',
        message: `Must not nest fields deeper than ${MAX_NESTING_DEPTH} levels: the request body`,
      },
    ]);
  });

  it.each<[string, Record<string, unknown>]>([
    ['at the top', { '': 'x' }],
    ['nested', { Extra: { ok: 1, '': 'x' } }],
    ['in an object inside an array', { Extra: [{ '': 'x' }] }],
  ])('an empty field name %s is rejected', (_, extra) => {
    expect(rejected(payload('EndIncCall', extra))).toEqual([
      { path: '', message: 'Must not have a field with an empty name: the request body' },
    ]);
  });
});

describe('a validation failure is data: parseCallEvent never throws', () => {
  const nullPrototype = (value: Record<string, unknown>) => Object.assign(Object.create(null), value);
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;

  it.each<[string, unknown, boolean]>([
    ['an object with no prototype', nullPrototype(specExamplePayload('EndIncCall')), true],
    [
      'nested objects with no prototype',
      { ...specExamplePayload('EndIncCall'), Extra: nullPrototype({ a: nullPrototype({ b: 1 }) }) },
      true,
    ],
    ['a circular unknown field', { ...specExamplePayload('EndIncCall'), Loop: circular }, false],
    ['a Date', new Date(0), false],
    ['a Map', new Map([['HookType', 'EndIncCall']]), false],
    ['a function', () => specExamplePayload('EndIncCall'), false],
    ['a symbol', Symbol('EndIncCall'), false],
    ['a symbol HookType', { ...specExamplePayload('EndIncCall'), HookType: Symbol('EndIncCall') }, false],
    [
      'an object HookType',
      { ...specExamplePayload('EndIncCall'), HookType: { toString: () => 'EndIncCall' } },
      false,
    ],
  ])('%s', (_, value, ok) => {
    let result: ParseResult | undefined;
    expect(() => {
      result = parseCallEvent(value);
    }).not.toThrow();
    expect(result?.ok).toBe(ok);
    if (result && !result.ok) {
      for (const issue of result.issues)
        expect(issue).toEqual({ path: expect.any(String), message: expect.any(String) });
    }
  });

  it('an object with no prototype is read like a plain one', () => {
    const event = accepted(nullPrototype(specExamplePayload('MissedIncCall')));
    expect(event).toStrictEqual(accepted(specExamplePayload('MissedIncCall')));
  });

  it('reports every problem at once, each at its path', () => {
    const issues = rejected(
      payload('EndIncCall', {
        SessionID: '',
        EndTime: '2021-02-30 10:00:00',
        Duration: '-5',
        Caller: undefined,
      }),
    );
    expect(paths(issues).sort()).toEqual(['Caller', 'Duration', 'EndTime', 'SessionID']);
  });
});
