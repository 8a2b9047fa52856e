/**
 * The calls layer end to end through local mode (the real bundles: ingest, projector, publisher;
 * DynamoDB Local's two streams; the local bus and its rules): the simulator's calls, played at a
 * known instant, give the records written below by hand, field by field; each ended call gives
 * one CallCompleted, the missed ones reach MissedCallsToCallBack; a late event updates the record
 * and publishes nothing again; and `npm run calls` finds them through the Calls indexes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallRecord } from '../../lambda/calls/record';
import { PUBLISH_ENV } from '../../lambda/config/environment';
import { runtimeFileOf, writeRuntimeFile } from '../../local/runtime-file';
import { type CallsIo, main } from '../../scripts/calls';
import { runScenario, type Scenario, type ScenarioName, scenarios } from '../../scripts/lib/scenarios';
import { startTestRuntime, type TestRuntime } from '../support/test-runtime';

/** Every call ends at this instant: 12:00:00 in Moscow, where the stack reads the provider's times. */
const NOW = new Date('2026-03-10T09:00:00Z');
const CITY = '4950001000';
const CUSTOMER = '9990001234';
const [E1, E2, E3] = ['80050000001', '80050000002', '800770000000003'];

let t: TestRuntime;
let runtimeFile: string;
const played = new Map<ScenarioName, Scenario>();
const NAMES = [
  'parallel-answered',
  'sequential-answered',
  'missed',
  'outgoing-answered',
  'outgoing-busy',
  'redelivery',
] as const satisfies readonly ScenarioName[];

const idOf = (name: ScenarioName) => {
  const scenario = played.get(name);
  if (!scenario) throw new Error(`${name} was not played`);
  return scenario.sessionId;
};

async function recordOf(sessionId: string): Promise<Record<string, unknown>> {
  const item = await t.callRecord(sessionId);
  if (!item) throw new Error(`no Calls record for ${sessionId}`);
  return item;
}

const completedOf = (sessionId: string) =>
  t.received.filter((e) => e['detail-type'] === 'CallCompleted' && e.detail.SessionID === sessionId);

beforeAll(async () => {
  t = await startTestRuntime();
  runtimeFile = join(t.runtime.stateDir, 'runtime.json');
  writeRuntimeFile(runtimeFile, runtimeFileOf(t.runtime));
  const target = { url: t.runtime.webhookUrl, token: t.runtime.token };
  const calls = scenarios({ timeZone: t.timeZone, now: NOW, names: NAMES });
  const results = await Promise.all(calls.map((call) => runScenario(call, target)));
  expect(results.filter((r) => !r.ok).map((r) => r.scenario.name)).toEqual([]);
  for (const call of calls) played.set(call.name, call);
  await t.runtime.drained(60_000);
}, 180_000);

afterAll(async () => {
  await t?.stop();
});

/** What every record of these calls has: ended, on the 10th in Moscow, no index keys but the callback's. */
const incoming = { Direction: 'incoming', CityNumber: CITY, Caller: CUSTOMER, Called: CITY } as const;
const ended = {
  Status: 'ended',
  Day: '2026-03-10',
  LastEventAt: '2026-03-10T09:00:00Z',
  EndedAt: '2026-03-10T09:00:00Z',
} as const;

/** The records written by hand from each scenario's known times and numbers (scripts/lib/scenarios.ts). */
const EXPECTED: Record<
  (typeof NAMES)[number],
  Omit<CallRecord, 'SessionID' | 'LastReceivedAt' | 'Version'>
> = {
  // Three employees rung at 08:59:02; employee 2 answers at 08:59:13; 47 s of conversation.
  'parallel-answered': {
    ...incoming,
    ...ended,
    CustomerNumber: '+79990001234',
    Outcome: 'answered',
    ResultCode: '200',
    ResultText: 'Successful call',
    StartedAt: '2026-03-10T08:59:01Z',
    AnsweredAt: '2026-03-10T08:59:13Z',
    RingSeconds: 12,
    TalkSeconds: 47,
    Employee: E2,
    Attempts: [
      { Employee: E1, BeganAt: '2026-03-10T08:59:02Z', EndedAt: '2026-03-10T08:59:13Z', Answered: false },
      { Employee: E2, BeganAt: '2026-03-10T08:59:02Z', EndedAt: '2026-03-10T08:59:13Z', Answered: true },
      { Employee: E3, BeganAt: '2026-03-10T08:59:02Z', EndedAt: '2026-03-10T08:59:13Z', Answered: false },
    ],
    EventCount: 8,
  },
  // Employee 1 rung 20 s, then employee 2 answers at 08:58:25; 95 s of conversation.
  'sequential-answered': {
    ...incoming,
    ...ended,
    CustomerNumber: '+79990001234',
    Outcome: 'answered',
    ResultCode: '200',
    ResultText: 'Successful call',
    StartedAt: '2026-03-10T08:57:57Z',
    AnsweredAt: '2026-03-10T08:58:25Z',
    RingSeconds: 28,
    TalkSeconds: 95,
    Employee: E2,
    Attempts: [
      { Employee: E1, BeganAt: '2026-03-10T08:57:58Z', EndedAt: '2026-03-10T08:58:18Z', Answered: false },
      { Employee: E2, BeganAt: '2026-03-10T08:58:19Z', EndedAt: '2026-03-10T08:58:25Z', Answered: true },
    ],
    EventCount: 6,
  },
  // Two employees rung from 08:59:30 for 30 s; nobody answers.
  missed: {
    ...incoming,
    ...ended,
    CustomerNumber: '+79990001234',
    Outcome: 'missed',
    ResultCode: '304',
    ResultText: 'Missed call',
    StartedAt: '2026-03-10T08:59:29Z',
    RingSeconds: 31,
    TalkSeconds: 0,
    Attempts: [
      { Employee: E1, BeganAt: '2026-03-10T08:59:30Z', EndedAt: '2026-03-10T09:00:00Z', Answered: false },
      { Employee: E2, BeganAt: '2026-03-10T08:59:30Z', EndedAt: '2026-03-10T09:00:00Z', Answered: false },
    ],
    EventCount: 6,
    // Played long after the day: its call-back window has passed with nobody calling back.
    CallbackStatus: 'not-called-back',
    MissedCustomerNumber: '+79990001234',
  },
  // Employee 1 calls the customer at 08:58:57; 63 s in all, the last 41 in conversation.
  'outgoing-answered': {
    ...ended,
    Direction: 'outgoing',
    CityNumber: CITY,
    Caller: E1,
    Called: '89990004321',
    CustomerNumber: '+79990004321',
    Outcome: 'answered',
    ResultCode: '200',
    ResultText: 'Successful call',
    StartedAt: '2026-03-10T08:58:57Z',
    AnsweredAt: '2026-03-10T08:59:19Z',
    RingSeconds: 22,
    TalkSeconds: 41,
    Employee: E1,
    Attempts: [],
    EventCount: 2,
  },
  // A busy line, 4 s; ResultCode sent as the integer 486.
  'outgoing-busy': {
    ...ended,
    Direction: 'outgoing',
    CityNumber: CITY,
    Caller: E1,
    Called: '89990004321',
    CustomerNumber: '+79990004321',
    Outcome: 'busy',
    ResultCode: '486',
    ResultText: 'Busy',
    StartedAt: '2026-03-10T08:59:56Z',
    RingSeconds: 4,
    TalkSeconds: 0,
    Employee: E1,
    Attempts: [],
    EventCount: 2,
  },
  // A missed call (603-S, cancelled: still a MissedIncCall) whose every event came twice.
  redelivery: {
    ...incoming,
    ...ended,
    CustomerNumber: '+79990001234',
    Outcome: 'missed',
    ResultCode: '603-S',
    ResultText: 'Call cancelled',
    StartedAt: '2026-03-10T08:59:44Z',
    RingSeconds: 16,
    TalkSeconds: 0,
    Attempts: [
      { Employee: E1, BeganAt: '2026-03-10T08:59:45Z', EndedAt: '2026-03-10T09:00:00Z', Answered: false },
      { Employee: E2, BeganAt: '2026-03-10T08:59:45Z', EndedAt: '2026-03-10T09:00:00Z', Answered: false },
    ],
    EventCount: 6,
    // Played long after the day: its call-back window has passed with nobody calling back.
    CallbackStatus: 'not-called-back',
    MissedCustomerNumber: '+79990001234',
  },
};

/** Same-second attempts come in EventKey order (its digest): compared by employee within a second. */
const byBeganThenEmployee = (attempts: unknown) =>
  [...(attempts as CallRecord['Attempts'])].sort((a, b) =>
    a.BeganAt === b.BeganAt ? a.Employee.localeCompare(b.Employee) : a.BeganAt.localeCompare(b.BeganAt),
  );

describe('the records of the simulator’s calls, played through local mode', () => {
  it.each(NAMES)('%s: the record written by hand, field by field', async (name) => {
    const sessionId = idOf(name);
    const record = await recordOf(sessionId);
    const { LastReceivedAt, Version, Attempts, ...rest } = record;
    const { Attempts: expectedAttempts, ...expected } = EXPECTED[name];
    expect(rest).toEqual({ SessionID: sessionId, ...expected });
    expect(byBeganThenEmployee(Attempts)).toEqual(expectedAttempts);
    // When the last of its events arrived, as the ingest stamped it.
    const received = (await t.stored(sessionId)).map((item) => String(item.ReceivedAt));
    expect(received).toHaveLength(EXPECTED[name].EventCount);
    expect(LastReceivedAt).toBe(received.sort((a, b) => Date.parse(a) - Date.parse(b)).at(-1));
    // One write per change: at least one, never more than there were events to fold.
    expect(Number.isInteger(Version) && (Version as number) >= 1).toBe(true);
    expect(Version as number).toBeLessThanOrEqual(EXPECTED[name].EventCount);
  });
});

describe('CallCompleted', () => {
  it.each(NAMES)(
    '%s: exactly one reached the bus, its detail the record and its EventId stable',
    async (name) => {
      const sessionId = idOf(name);
      const completed = completedOf(sessionId);
      expect(completed).toHaveLength(1);
      const [event] = completed;
      expect(event?.source).toBe(t.runtime.environments.publish[PUBLISH_ENV.eventSource]);
      expect(event?.time).toBe('2026-03-10T09:00:00Z');
      expect(event?.detail).toEqual({
        ...(await recordOf(sessionId)),
        EventId: `${sessionId}/CallCompleted/${event?.detail.Outcome}`,
      });
    },
  );

  it('of each missed call, and only those, lands in .local/deliveries/MissedCallsToCallBack.ndjson', () => {
    const file = join(t.runtime.deliveriesDir, 'MissedCallsToCallBack.ndjson');
    expect(existsSync(file)).toBe(true);
    const delivered = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map(
        (line) => JSON.parse(line) as { 'detail-type': string; detail: { EventId: string; Outcome: string } },
      );
    expect(delivered.map((e) => e.detail.EventId).sort()).toEqual(
      [`${idOf('missed')}/CallCompleted/missed`, `${idOf('redelivery')}/CallCompleted/missed`].sort(),
    );
    expect(delivered.map((e) => [e['detail-type'], e.detail.Outcome])).toEqual([
      ['CallCompleted', 'missed'],
      ['CallCompleted', 'missed'],
    ]);
  });
});

describe('npm run calls against local mode', () => {
  function capture(): { io: CallsIo; out: string[]; err: string[] } {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, runtimeFile }, out, err };
  }
  const run = async (...argv: string[]) => {
    const { io, out, err } = capture();
    const code = await main(argv, io);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    return out.join('\n');
  };
  const sessionIds = (json: string) => (JSON.parse(json) as { SessionID: string }[]).map((r) => r.SessionID);

  it.each(['+7 (999) 000-12-34', '89990001234', '9990001234'])(
    '--number %s: the customer’s calls, newest first',
    async (phone) => {
      expect(sessionIds(await run('--number', phone, '--json'))).toEqual([
        idOf('redelivery'), // started 08:59:44
        idOf('missed'), // 08:59:29
        idOf('parallel-answered'), // 08:59:01
        idOf('sequential-answered'), // 08:57:57
      ]);
    },
  );

  it('--number of the outgoing calls’ customer, and a number nobody called from', async () => {
    expect(sessionIds(await run('--number', '+79990004321', '--json'))).toEqual([
      idOf('outgoing-busy'),
      idOf('outgoing-answered'),
    ]);
    expect(await run('--number', '+79990000000', '--json')).toBe('[]');
    expect(await run('--number', '+79990000000')).toBe('0 calls');
  });

  it('--city-number --date: the public number’s calls of that Moscow day, oldest first; none the day before', async () => {
    const day = await run('--city-number', CITY, '--date', '2026-03-10', '--json');
    expect(sessionIds(day)).toEqual(
      [
        'sequential-answered',
        'outgoing-answered',
        'parallel-answered',
        'missed',
        'redelivery',
        'outgoing-busy',
      ].map((name) => idOf(name as ScenarioName)),
    );
    expect(await run('--city-number', CITY, '--date', '2026-03-09', '--json')).toBe('[]');
    const text = (await run('--city-number', CITY, '--date', '2026-03-10')).split('\n');
    expect(text[0]).toBe('6 calls');
    expect(text.slice(1).map((line) => line.split(/\s{2,}/).at(-1))).toEqual(sessionIds(day));
  });

  it('<SessionID> --record --json: the record alone, as stored', async () => {
    const sessionId = idOf('missed');
    expect(JSON.parse(await run(sessionId, '--record', '--json'))).toEqual(await recordOf(sessionId));
  });

  it('<SessionID>: the record’s summary above the timeline; --json keeps printing the events', async () => {
    const sessionId = idOf('missed');
    const lines = (await run(sessionId)).split('\n');
    expect(lines[0]).toBe(`Call ${sessionId}  incoming  ended  missed  (ResultCode 304, Missed call)`);
    expect(lines).toContain('  Customer +79990001234  Employee —  CityNumber 4950001000');
    expect(lines).toContain(
      `SessionID ${sessionId}  incoming call  Caller ${CUSTOMER}  CityNumber ${CITY}  (6 events)`,
    );
    const events = JSON.parse(await run(sessionId, '--json')) as { HookType: string }[];
    expect(events.map((e) => e.HookType)).toEqual(played.get('missed')?.requests.map((r) => r.label));
  });
});

describe('an event after the end', () => {
  it('bumps the record’s Version and publishes no second CallCompleted', async () => {
    const sessionId = idOf('parallel-answered');
    const before = await recordOf(sessionId);
    const receivedBefore = t.received.filter((e) => e.detail.SessionID === sessionId).length;
    // Employee 2's ringing, reported ended after the call was: a new event, late.
    const late = {
      SessionID: sessionId,
      HookType: 'AttemptIncCallEnd',
      EndTime: '2026-03-10 12:00:05',
      CityNumber: CITY,
      Caller: CUSTOMER,
      Called: E2,
    };
    expect((await t.post(JSON.stringify(late))).json.status).toBe('accepted');
    await t.runtime.drained(60_000);

    const after = await recordOf(sessionId);
    expect(after.Version).toBe((before.Version as number) + 1);
    expect(after).toMatchObject({ Status: 'ended', Outcome: 'answered', EventCount: 9 });
    expect(after.LastEventAt).toBe('2026-03-10T09:00:05Z');
    expect(completedOf(sessionId)).toHaveLength(1);
    // The late raw event itself is published, and nothing else of the call.
    const news = t.received.filter((e) => e.detail.SessionID === sessionId).slice(receivedBefore);
    expect(news.map((e) => e['detail-type'])).toEqual(['AttemptIncCallEnd']);
  }, 60_000);
});
