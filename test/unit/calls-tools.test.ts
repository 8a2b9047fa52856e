/** `npm run missed` and `npm run report`: their flags, which table they read, and what they print. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { datesOf } from '../../lambda/calls/period';
import type { StoredCall } from '../../lambda/calls/store';
import { SETTINGS } from '../../lambda/config/settings';
import { customerNumber } from '../../lambda/shared/phone';
import type { RuntimeFile } from '../../local/runtime-file';
import { cityNumberCallsOf, cityNumberOf, resolveCallsSource } from '../../scripts/lib/calls-source';
import type { CliIo } from '../../scripts/lib/cli';
import { DEFAULT_ANSWER_WITHIN_SECONDS } from '../../scripts/lib/report';
import { formatMissedCalls, formatWait, main as missed, withWaiting } from '../../scripts/missed';
import { main as report, reportRequest, reportTitle } from '../../scripts/report';
import { incomingEvents, recordOf, utc } from '../support/calls';

function captured() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo & { runtimeFile: string } = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: {},
    runtimeFile: '/nonexistent/runtime.json',
  };
  return { io, out, err };
}

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
  timeZone: 'Asia/Yekaterinburg',
  eventBusName: 'call-events',
  eventSource: 'telephony.call-events',
  defaultCountry: 'RU',
};

describe('which Calls table the tools read', () => {
  it('local mode: its Calls table, endpoint and time zone; --table overrides the table', () => {
    expect(resolveCallsSource({}, runtime)).toMatchObject({
      table: 'Calls-local',
      timeZone: 'Asia/Yekaterinburg',
      client: { endpoint: 'http://127.0.0.1:8000', region: 'us-east-1' },
      where: 'local mode',
    });
    expect(resolveCallsSource({ table: 'Other' }, runtime).table).toBe('Other');
  });

  it("--aws: the table given, the standard AWS environment, the stack's time zone", () => {
    expect(resolveCallsSource({ aws: true, table: 'Prod' }, runtime)).toEqual({
      table: 'Prod',
      timeZone: SETTINGS.timeZone.default,
      defaultCountry: SETTINGS.defaultCountry.default,
      client: {},
      where: 'AWS',
    });
  });

  it('says what is missing', () => {
    expect(() => resolveCallsSource({ aws: true }, undefined)).toThrow(
      '--aws needs --table NAME (the CallsTableName output)',
    );
    expect(() => resolveCallsSource({}, undefined)).toThrow(
      'local mode is not running (start it with npm start), or pass --aws --table NAME',
    );
  });
});

describe('a public number typed in any format', () => {
  it('is read as the calls layer reads a number, and looked up under each spelling a provider uses', () => {
    for (const typed of ['4950665310', '84950665310', '+7 (495) 066-53-10', '7 495 066 53 10']) {
      const city = cityNumberOf(typed, 'RU');
      expect(city.normalised).toBe(customerNumber('4950665310', 'RU'));
      expect(city.spellings).toEqual(
        expect.arrayContaining(['4950665310', '84950665310', '74950665310', '+74950665310']),
      );
    }
    // Not a valid number: its digits, as the calls layer keeps such a number.
    expect(cityNumberOf('005-200-2651', 'RU')).toEqual({
      given: '005-200-2651',
      normalised: '0052002651',
      spellings: ['0052002651'],
    });
    expect(() => cityNumberOf('main line', 'RU')).toThrow(
      '--city-number: not a phone number (got main line)',
    );
  });

  it('finds its calls under whichever spelling they were sent with, each once, and no other number’s', async () => {
    const call = (id: string, city: string, start: string) =>
      recordOf(incomingEvents({ id, city, customer: '9161234567', start, missedAt: 20 })) as StoredCall;
    const table = [
      call('national', '4950665310', '2021-01-28 10:00:00'),
      call('trunk', '84950665310', '2021-01-28 09:00:00'),
      call('other', '4957778899', '2021-01-28 08:00:00'),
    ];
    const asked: string[] = [];
    const store = {
      cityNumberCalls: async (cityNumber: string) => {
        asked.push(cityNumber);
        return table.filter((r) => r.CityNumber === cityNumber);
      },
    };
    const range = { from: '2021-01-27T21:00:00Z', to: '2021-01-28T21:00:00Z' };
    const found = await cityNumberCallsOf(store, cityNumberOf('+7 495 066-53-10', 'RU'), range, 'RU');
    expect(found.map((r) => r.SessionID)).toEqual(['trunk', 'national']);
    expect(new Set(asked).size).toBe(asked.length);
  });
});

describe('npm run missed', () => {
  const missedCall = recordOf(
    incomingEvents({ id: 'm-1', customer: '9161234567', start: '2021-01-28 10:00:00', missedAt: 40 }),
  );

  it('adds to each record the whole seconds it has waited since it ended', () => {
    const ended = utc('2021-01-28 10:00:40');
    expect(missedCall.EndedAt).toBe(ended);
    const now = new Date(Date.parse(ended) + (3 * 3600 + 12 * 60) * 1000 + 999);
    expect(withWaiting([missedCall], now)).toEqual([{ ...missedCall, WaitingSeconds: 11_520 }]);
    // A clock behind the call's end does not make a negative wait.
    expect(withWaiting([missedCall], new Date(Date.parse(ended) - 5000))[0]?.WaitingSeconds).toBe(0);
  });

  it('says a wait as people do', () => {
    expect(
      [0, 45, 60, 12 * 60 + 59, 3 * 3600 + 12 * 60, 86_399, 2 * 86_400 + 5 * 3600 + 59].map(formatWait),
    ).toEqual(['0 s', '45 s', '1 min', '12 min', '3 h 12 min', '23 h 59 min', '2 d 5 h']);
  });

  it('prints a row per call with when it ended, the wait, the numbers and the SessionID', () => {
    const lines = formatMissedCalls([{ ...missedCall, WaitingSeconds: 11_520 }]).split('\n');
    expect(lines[0]?.split(/\s{2,}/)).toEqual([
      'Ended (UTC)',
      'Waited',
      'Customer',
      'City number',
      'SessionID',
      'Caller',
    ]);
    expect(lines[2]?.split(/\s{2,}/)).toEqual([
      missedCall.EndedAt,
      '3 h 12 min',
      '+79161234567',
      missedCall.CityNumber,
      'm-1',
      '9161234567',
    ]);
    expect(lines.at(-1)).toBe('1 missed call waiting for a callback.');
    expect(formatMissedCalls([])).toBe('No missed call is waiting for a callback.');
  });

  it('ends with a usage error for an unknown flag or no table to read', async () => {
    const unknown = captured();
    expect(await missed(['--city', '1'], unknown.io)).toBe(1);
    expect(unknown.err).toEqual(['npm run missed: unknown option --city (see npm run missed -- --help)']);
    const noRuntime = captured();
    expect(await missed([], noRuntime.io)).toBe(1);
    expect(noRuntime.err).toEqual([
      'local mode is not running (start it with npm start), or pass --aws --table NAME',
    ]);
    const help = captured();
    expect(await missed(['--help'], help.io)).toBe(0);
    expect(help.out.join('\n')).toMatch(/^Usage: npm run missed/);
  });
});

describe('npm run report: its flags', () => {
  const flags = (values: Record<string, string>) => ({ json: false, aws: false, ...values });

  it('takes a period of real days, --to included, and --answer-within, default 20', () => {
    expect(reportRequest(flags({ from: '2024-02-28', to: '2024-02-29' }))).toMatchObject({
      from: '2024-02-28',
      to: '2024-02-29',
      cityNumber: undefined,
      answerWithinSeconds: DEFAULT_ANSWER_WITHIN_SECONDS,
    });
    expect(
      reportRequest(
        flags({ from: '2021-01-28', to: '2021-01-28', 'city-number': '4950665310', 'answer-within': '1' }),
      ),
    ).toMatchObject({
      from: '2021-01-28',
      to: '2021-01-28',
      cityNumber: '4950665310',
      answerWithinSeconds: 1,
    });
  });

  it('takes instants with a zone too, --to excluded', () => {
    const request = reportRequest(flags({ from: '2021-01-28T06:00:00Z', to: '2021-01-28T18:00:00+03:00' }));
    expect(request.period?.from).toEqual({
      kind: 'instant',
      at: new Date('2021-01-28T06:00:00Z'),
      text: '2021-01-28T06:00:00Z',
    });
    expect(request.period?.to).toMatchObject({ kind: 'instant', at: new Date('2021-01-28T15:00:00Z') });
  });

  const notSeconds = (got: string) =>
    `--answer-within: not a whole number of seconds of at least 1 (got ${got})`;
  it.each([
    [{ to: '2021-01-28' }, '--from and --to are required'],
    [{ from: '2021-01-28' }, '--from and --to are required'],
    [{ from: '2023-02-29', to: '2023-03-01' }, '--from: there is no such day as 2023-02-29'],
    [
      { from: '2021-01-28', to: '28.01.2021' },
      '--to: not a date YYYY-MM-DD nor a time with a zone like 2026-11-30T12:00:00Z (got 28.01.2021)',
    ],
    [
      { from: '2021-01-29', to: '2021-01-28' },
      'the period is empty: --to (2021-01-28) is not after --from (2021-01-29)',
    ],
    [
      { from: '2021-01-28T12:00:00', to: '2021-01-29' },
      '--from: 2021-01-28T12:00:00 has no time zone: add Z (UTC) or an offset such as +03:00',
    ],
    [{ from: '2021-01-28', to: '2021-01-28', 'answer-within': '-1' }, notSeconds('-1')],
    [{ from: '2021-01-28', to: '2021-01-28', 'answer-within': '0' }, notSeconds('0')],
    [{ from: '2021-01-28', to: '2021-01-28', 'answer-within': 'abc' }, notSeconds('abc')],
    [{ from: '2021-01-28', to: '2021-01-28', 'answer-within': '2.5' }, notSeconds('2.5')],
    [{ from: '2021-01-28', to: '2021-01-28', 'answer-within': '' }, notSeconds('')],
    [
      { from: '2021-01-28', to: '2021-01-28', 'city-number': 'main line' },
      '--city-number: not a phone number (got main line)',
    ],
  ])('refuses %j', (values, message) => {
    expect(() => reportRequest(flags(values))).toThrow(message);
  });

  it('ends with the usage error on stderr, exit code 1, before reading anything', async () => {
    const { io, out, err } = captured();
    expect(await report(['--from', '2021-01-28', '--to', '2021-01-27', '--aws'], io)).toBe(1);
    expect(err).toEqual([
      'npm run report: the period is empty: --to (2021-01-27) is not after --from (2021-01-28) (see npm run report -- --help)',
    ]);
    expect(out).toEqual([]);
    for (const within of ['-5', '0', 'abc']) {
      for (const argv of [['--answer-within', within], [`--answer-within=${within}`]]) {
        const bad = captured();
        expect(await report(['--from', '2021-01-28', '--to', '2021-01-28', ...argv], bad.io)).toBe(1);
        expect(bad.err).toEqual([`npm run report: ${notSeconds(within)} (see npm run report -- --help)`]);
      }
    }
  });

  it('says local mode is not running, and how to read AWS instead', async () => {
    const { io, err } = captured();
    expect(await report(['--from', '2021-01-28', '--to', '2021-01-28'], io)).toBe(1);
    expect(err).toEqual(['local mode is not running (start it with npm start), or pass --aws --table NAME']);
  });

  it('titles the tables with the period, zone, city number, threshold and table', () => {
    const source = { table: 'Calls-local', timeZone: 'Europe/Moscow', where: 'local mode' };
    expect(
      reportTitle(
        { from: '2021-01-28T06:00:00Z', to: '2021-01-28T18:00:00Z', answerWithinSeconds: 20 },
        source,
      ),
    ).toBe(
      'Calls of 2021-01-28T06:00:00Z to 2021-01-28T18:00:00Z (--to excluded) (Europe/Moscow), service level within 20 s; table Calls-local (local mode)',
    );
    expect(reportTitle({ from: '2021-01-28', to: '2021-01-28', answerWithinSeconds: 20 }, source)).toBe(
      'Calls of 2021-01-28 (Europe/Moscow), service level within 20 s; table Calls-local (local mode)',
    );
    expect(
      reportTitle(
        { from: '2021-01-01', to: '2021-01-31', cityNumber: '4950665310', answerWithinSeconds: 30 },
        source,
      ),
    ).toBe(
      'Calls of 2021-01-01 to 2021-01-31 (Europe/Moscow), city number 4950665310, service level within 30 s; table Calls-local (local mode)',
    );
  });

  it('queries ByDay once per local day of the period, across a month and a leap day', () => {
    expect(datesOf('2021-01-28', '2021-01-28')).toEqual(['2021-01-28']);
    expect(datesOf('2024-02-27', '2024-03-01')).toEqual([
      '2024-02-27',
      '2024-02-28',
      '2024-02-29',
      '2024-03-01',
    ]);
  });
});

describe('README.md', () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const help = async (cli: typeof missed) => {
    const { io, out } = captured();
    await cli(['--help'], io);
    return out.join('\n');
  };

  it.each([
    ['missed', missed],
    ['report', report],
  ])('uses only flags that npm run %s takes', async (name, cli) => {
    const commands = [...readme.matchAll(new RegExp(`npm run ${name} -- (.*)`, 'g'))].map(([, args]) => args);
    expect(commands.length).toBeGreaterThan(0);
    const usage = await help(cli);
    for (const flag of commands.join(' ').match(/--[a-z-]+/g) ?? []) expect(usage).toContain(flag);
  });
});
