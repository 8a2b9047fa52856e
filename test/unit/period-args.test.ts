/**
 * The one reading of `--from` and `--to` every tool with a period shares: a date is a whole day
 * of the stack's zone (`--to`'s day included), a time with a zone is that instant (`--to`
 * excluded), a time without one is refused; and each tool says a mistake in the same words.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RuntimeFile, writeRuntimeFile } from '../../local/runtime-file';
import type { RuntimeFileIo } from '../../scripts/lib/cli';
import {
  inPeriod,
  localDateOf,
  localDatesOf,
  parsePeriodArgs,
  parsePeriodBound,
  requiredPeriod,
  resolvePeriod,
  wholeSecondUtc,
} from '../../scripts/lib/period-args';
import { main as missed } from '../../scripts/missed';
import { main as report } from '../../scripts/report';
import { main as republish } from '../../scripts/republish';
import { main as requeue } from '../../scripts/requeue-rejected';

const MOSCOW = 'Europe/Moscow';
const iso = (date: Date | undefined) => date?.toISOString();

describe('a period of dates and times', () => {
  it('reads a date as a whole day of the zone: November is --from 2026-11-01 --to 2026-11-30', () => {
    const november = requiredPeriod({ from: '2026-11-01', to: '2026-11-30' }, MOSCOW);
    expect([iso(november.from), iso(november.to)]).toEqual([
      '2026-10-31T21:00:00.000Z',
      '2026-11-30T21:00:00.000Z',
    ]);
    const oneDay = requiredPeriod({ from: '2026-11-30', to: '2026-11-30' }, 'UTC');
    expect([iso(oneDay.from), iso(oneDay.to)]).toEqual([
      '2026-11-30T00:00:00.000Z',
      '2026-12-01T00:00:00.000Z',
    ]);
  });

  it('gives a day of a daylight-saving change its 23 or 25 hours', () => {
    const hours = (date: string) => {
      const { from, to } = requiredPeriod({ from: date, to: date }, 'Europe/Berlin');
      return (to.getTime() - from.getTime()) / 3_600_000;
    };
    expect([hours('2021-03-28'), hours('2021-10-31'), hours('2021-06-01')]).toEqual([23, 25, 24]);
  });

  it('reads a time with Z or an offset as that instant, --from included and --to excluded', () => {
    const period = requiredPeriod({ from: '2026-11-30T12:00:00Z', to: '2026-11-30T18:30:00+03:00' }, MOSCOW);
    expect([iso(period.from), iso(period.to)]).toEqual([
      '2026-11-30T12:00:00.000Z',
      '2026-11-30T15:30:00.000Z',
    ]);
    expect(inPeriod('2026-11-30T12:00:00Z', period)).toBe(true);
    expect(inPeriod('2026-11-30T15:29:59Z', period)).toBe(true);
    expect(inPeriod('2026-11-30T15:30:00Z', period)).toBe(false);
    expect(inPeriod('2026-11-30T11:59:59Z', period)).toBe(false);
    expect(inPeriod(undefined, period)).toBe(false);
    for (const text of ['2026-11-30T15:00+0300', '2026-11-30 12:00:00Z', '2026-11-30T12:00:00.000z'])
      expect(parsePeriodBound('--from', text)).toMatchObject({
        kind: 'instant',
        at: new Date('2026-11-30T12:00:00Z'),
      });
  });

  it('mixes a day and an instant, each read by its own rule', () => {
    const period = requiredPeriod({ from: '2026-11-30', to: '2026-11-30T12:00:00Z' }, MOSCOW);
    expect([iso(period.from), iso(period.to)]).toEqual([
      '2026-11-29T21:00:00.000Z',
      '2026-11-30T12:00:00.000Z',
    ]);
    expect(() => requiredPeriod({ from: '2026-11-30', to: '2026-11-29T21:00:00Z' }, MOSCOW)).toThrow(
      'the period is empty: --to (2026-11-29T21:00:00Z) is not after --from (2026-11-30)',
    );
  });

  it.each([
    [
      '2026-11-30T12:00:00',
      '--from: 2026-11-30T12:00:00 has no time zone: add Z (UTC) or an offset such as +03:00',
    ],
    [
      '2026-11-30T12:00',
      '--from: 2026-11-30T12:00 has no time zone: add Z (UTC) or an offset such as +03:00',
    ],
    ['2023-02-29', '--from: there is no such day as 2023-02-29'],
    ['2023-02-29T00:00:00Z', '--from: there is no such day as 2023-02-29'],
    ['1969-12-31', '--from: 1969-12-31 is outside the days calls can have, 1970-01-01 to 9999-12-30'],
    [
      '1969-12-31T23:00:00Z',
      '--from: 1969-12-31 is outside the days calls can have, 1970-01-01 to 9999-12-30',
    ],
    ['9999-12-31', '--from: 9999-12-31 is outside the days calls can have, 1970-01-01 to 9999-12-30'],
    ['2026-11-30T24:00:00Z', '--from: not a valid time (got 2026-11-30T24:00:00Z)'],
    [
      '30.11.2026',
      '--from: not a date YYYY-MM-DD nor a time with a zone like 2026-11-30T12:00:00Z (got 30.11.2026)',
    ],
    [
      'yesterday',
      '--from: not a date YYYY-MM-DD nor a time with a zone like 2026-11-30T12:00:00Z (got yesterday)',
    ],
  ])('refuses --from %s, saying why', (text, message) => {
    expect(() => parsePeriodArgs({ from: text })).toThrow(message);
  });

  it('refuses an empty period, and a missing bound only where both are required', () => {
    expect(() => parsePeriodArgs({ from: '2026-11-30', to: '2026-11-29' })).toThrow(
      'the period is empty: --to (2026-11-29) is not after --from (2026-11-30)',
    );
    expect(() => parsePeriodArgs({ from: '2026-11-30T12:00:00Z', to: '2026-11-30T15:00:00+03:00' })).toThrow(
      'the period is empty',
    );
    expect(() => parsePeriodArgs({ to: '2026-11-30' }, { required: true })).toThrow(
      '--from and --to are required',
    );
    expect(resolvePeriod(parsePeriodArgs({ to: '2026-11-30' }), 'UTC')).toEqual({
      to: new Date('2026-12-01T00:00:00Z'),
    });
  });

  it('names the local days a period touches, and writes instants as the tables do', () => {
    const period = requiredPeriod({ from: '2026-11-30T20:59:59Z', to: '2026-12-01T21:00:00Z' }, MOSCOW);
    expect(localDatesOf(period, MOSCOW)).toEqual({ from: '2026-11-30', to: '2026-12-01' });
    expect(localDateOf(new Date('2026-11-30T21:00:00Z'), MOSCOW)).toBe('2026-12-01');
    expect(wholeSecondUtc(new Date('2026-11-30T12:00:00.000Z'))).toBe('2026-11-30T12:00:00Z');
    expect(wholeSecondUtc(new Date('2026-11-30T12:00:00.001Z'))).toBe('2026-11-30T12:00:01Z');
  });
});

describe('every tool with a period reads it the same way', () => {
  const dir = mkdtempSync(join(tmpdir(), 'period-args-'));
  const capture = (runtimeFile = join(dir, 'none.json')) => {
    const out: string[] = [];
    const err: string[] = [];
    const io: RuntimeFileIo = { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, runtimeFile };
    return { io, out, err };
  };
  const tools = [
    ['report', report, ['--to', '2026-11-30']],
    ['republish', republish, ['--to', '2026-11-30']],
    ['requeue-rejected', requeue, []],
    ['missed', missed, []],
  ] as const;

  it.each(tools)('npm run %s refuses a time without a zone in the one wording', async (name, main, rest) => {
    const { io, out, err } = capture();
    expect(await main(['--from', '2026-11-30T12:00:00', ...rest], io)).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual([
      `npm run ${name}: --from: 2026-11-30T12:00:00 has no time zone: add Z (UTC) or an offset such as +03:00 (see npm run ${name} -- --help)`,
    ]);
  });

  it.each(tools)('npm run %s refuses an empty period before looking for local mode', async (name, main) => {
    const { io, err } = capture();
    expect(await main(['--from', '2026-11-30', '--to', '2026-11-29'], io)).toBe(1);
    expect(err).toEqual([
      `npm run ${name}: the period is empty: --to (2026-11-29) is not after --from (2026-11-30) (see npm run ${name} -- --help)`,
    ]);
  });

  it("reads a date in local mode's own zone (npm run republish says the UTC range it uses)", async () => {
    const runtimeFile = join(dir, 'runtime.json');
    const runtime: RuntimeFile = {
      pid: process.pid,
      webhookUrl: 'http://127.0.0.1:9/call-events',
      token: 't',
      region: 'us-east-1',
      // Nothing listens there: the run prints its range, then fails to read.
      dynamodbEndpoint: 'http://127.0.0.1:9',
      eventbridgeEndpoint: 'http://127.0.0.1:9',
      tables: { callEvents: 'CallEvents', rejectedEvents: 'Rejected', calls: 'Calls' },
      deliveriesDir: dir,
      eventsFile: join(dir, 'events.ndjson'),
      timeZone: 'Asia/Yekaterinburg',
      eventBusName: 'call-events',
      eventSource: 'telephony.call-events',
      defaultCountry: 'RU',
    };
    writeRuntimeFile(runtimeFile, runtime);
    const { io, out } = capture(runtimeFile);
    expect(await republish(['--from', '2026-11-01', '--to', '2026-11-30', '--session', 's-1'], io)).toBe(1);
    expect(out[0]).toMatch(/^Republishing \[2026-10-31T19:00:00Z, 2026-11-30T19:00:00Z\) from CallEvents /);
  });
});
