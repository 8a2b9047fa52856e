/**
 * Pseudonymous mode through local mode (`-c customerNumbers=pseudonymous`): the same day of calls
 * sent to a plain stack and to a pseudonymous one. In the pseudonymous one, no item of any table,
 * no delivery, no line of the all-events file and no line of any function's log or of local mode's
 * own output holds a customer's number, in any of the formats it was sent in (the same search finds
 * them all in the plain one); the call-backs, the records' figures and the call-centre report are
 * the same; `calls --number`, `missed --number` and `forget` take the number as an operator types
 * it; and `forget`, stopped half-way and run again, leaves nothing of that customer and everything
 * of the others (plain mode's erasure: forget.test.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runtimeFileOf, writeRuntimeFile } from '../../local/runtime-file';
import { main as calls } from '../../scripts/calls';
import { main as forget } from '../../scripts/forget';
import { main as missed } from '../../scripts/missed';
import { main as report } from '../../scripts/report';
import { incomingBodies, outgoingBodies } from '../support/calls';
import { holdsNumber, numbersIn } from '../support/personal-data';
import { startTestRuntime, type TestRuntime } from '../support/test-runtime';

jest.setTimeout(240_000);

const DAY = '2026-12-03';
const at = (time: string) => `${DAY} ${time}`;
const FIRST = '80051110001';
const SECOND = '80051110002';
const MOBILE_EMPLOYEE = '+79031112233';

/** Each customer as E.164, and the formats their calls send the number in. */
const CUSTOMERS = {
  anna: { number: '+79161234567', formats: ['89161234567', '9161234567', '+7 (916) 123-45-67'] },
  boris: { number: '+79169876543', formats: ['8 916 987 65 43', '79169876543', '+79169876543'] },
  vera: { number: '+79035550011', formats: ['89035550011', '903-555-00-11', '8(903)5550011'] },
  gleb: { number: '+74957778899', formats: ['84957778899', '4957778899', '+7 495 777-88-99'] },
} as const;
const NUMBERS = Object.values(CUSTOMERS).map((c) => c.number);

/** A day: missed and called back, missed and the customer called again, missed for good, answered in parallel and in sequence, busy, forwarded, refused bodies. */
function dayOfCalls(): string[] {
  const { anna, boris, vera, gleb } = CUSTOMERS;
  const bodies: Record<string, unknown>[] = [
    // Anna: missed, then called back by an employee (answered).
    ...incomingBodies({
      id: 'anna-missed',
      customer: anna.formats[0],
      start: at('09:00:00'),
      rings: [
        { employee: FIRST, at: 1 },
        { employee: SECOND, at: 1 },
      ],
      missedAt: 25,
    }),
    ...outgoingBodies({
      id: 'anna-back',
      employee: SECOND,
      customer: anna.formats[1],
      start: at('09:20:00'),
      ring: 5,
      talk: 90,
    }),
    // Boris: missed; he calls again and is answered by a mobile employee, after a sequential ringing.
    ...incomingBodies({
      id: 'boris-missed',
      customer: boris.formats[0],
      start: at('10:00:00'),
      rings: [{ employee: FIRST, at: 1 }],
      missedAt: 30,
    }),
    ...incomingBodies({
      id: 'boris-again',
      customer: boris.formats[1],
      start: at('11:00:00'),
      rings: [
        { employee: FIRST, at: 1 },
        { employee: MOBILE_EMPLOYEE, at: 15 },
      ],
      answer: { employee: MOBILE_EMPLOYEE, at: 20, talk: 45 },
    }),
    // Vera: missed, an outgoing call to her busy (not a call-back), a third format on an answered call later.
    ...incomingBodies({
      id: 'vera-missed',
      customer: vera.formats[0],
      start: at('12:00:00'),
      rings: [{ employee: SECOND, at: 2 }],
      missedAt: 40,
    }),
    ...outgoingBodies({
      id: 'vera-busy',
      employee: FIRST,
      customer: vera.formats[1],
      start: at('12:30:00'),
      ring: 8,
      talk: 0,
    }),
    ...incomingBodies({
      id: 'vera-answered',
      customer: vera.formats[2],
      start: at('16:00:00'),
      rings: [{ employee: SECOND, at: 1 }],
      answer: { employee: SECOND, at: 6, talk: 120 },
    }),
    // Gleb: answered at once, and forwarded from his other number.
    ...incomingBodies({
      id: 'gleb-answered',
      customer: gleb.formats[0],
      start: at('13:00:00'),
      rings: [{ employee: FIRST, at: 1 }],
      answer: { employee: FIRST, at: 3, talk: 30 },
    }).map((b) => (b.HookType === 'CreateIncCall' ? { ...b, Redirecting: anna.formats[2] } : b)),
    ...outgoingBodies({
      id: 'gleb-out',
      employee: FIRST,
      customer: gleb.formats[2],
      start: at('14:00:00'),
      ring: 4,
      talk: 15,
    }),
    ...incomingBodies({
      id: 'gleb-missed',
      customer: gleb.formats[1],
      start: at('15:00:00'),
      rings: [{ employee: FIRST, at: 1 }],
      missedAt: 20,
    }),
  ];
  return [
    ...bodies.map((b) => JSON.stringify(b)),
    // The provider sending an event again.
    JSON.stringify(bodies[0]),
    // Refused: not JSON, failing the contract, an unknown HookType; each quarantined with a number in it.
    `{"SessionID":"bad-1","HookType":"CreateIncCall","CityNumber":"4950665310","Caller":"${boris.formats[2]}",`,
    JSON.stringify({
      SessionID: 'bad-2',
      HookType: 'EndIncCall',
      EndTime: 'yesterday',
      CityNumber: '4950665310',
      Caller: vera.formats[1],
    }),
    JSON.stringify({
      SessionID: 'bad-3',
      HookType: 'TransferIncCall',
      CityNumber: '4950665310',
      Caller: gleb.formats[2],
      Note: `from ${anna.formats[0]}`,
    }),
  ];
}

interface Mode {
  t: TestRuntime;
  runtimeFile: string;
  /** Every line local mode printed. */
  output: string[];
}

async function startMode(customerNumbers: 'plain' | 'pseudonymous'): Promise<Mode> {
  const output: string[] = [];
  const t = await startTestRuntime({ context: { customerNumbers }, log: (line) => output.push(line) });
  const runtimeFile = join(t.runtime.stateDir, 'runtime.json');
  writeRuntimeFile(runtimeFile, runtimeFileOf(t.runtime));
  for (const body of dayOfCalls()) await t.post(body);
  await t.runtime.drained(60_000);
  // The sweep on its schedule, once: nothing is stuck or past its window, so nothing may change.
  for (const schedule of t.runtime.schedules) await schedule.runNow();
  await t.runtime.drained(60_000);
  return { t, runtimeFile, output };
}

let plain: Mode;
let pseudonymous: Mode;

beforeAll(async () => {
  plain = await startMode('plain');
  pseudonymous = await startMode('pseudonymous');
}, 400_000);
afterAll(async () => {
  await plain?.t.stop();
  await pseudonymous?.t.stop();
});

const filesUnder = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
      )
    : [];

/** Every place a number could be left: each table item, delivery, bus event, log line and line of output. */
async function everything(mode: Mode): Promise<{ where: string; text: string }[]> {
  const { runtime } = mode.t;
  const places: { where: string; text: string }[] = [];
  for (const table of Object.values(runtime.tables))
    for (const item of await mode.t.scan(table))
      places.push({ where: `item of ${table}`, text: JSON.stringify(item) });
  const files = [
    ...filesUnder(runtime.deliveriesDir),
    runtime.eventsFile,
    ...filesUnder(join(runtime.stateDir, 'logs')),
  ];
  for (const file of files)
    if (existsSync(file))
      for (const line of readFileSync(file, 'utf8').split('\n'))
        if (line) places.push({ where: file, text: line });
  for (const line of mode.output) places.push({ where: 'local mode output', text: line });
  return places;
}

async function tool(
  main: (
    argv: string[],
    io: { out: (l: string) => void; err: (l: string) => void; env: NodeJS.ProcessEnv; runtimeFile: string },
  ) => Promise<number>,
  mode: Mode,
  argv: string[],
  extra: Record<string, unknown> = {},
) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: {},
    runtimeFile: mode.runtimeFile,
    ...extra,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/**
 * What a record says of the call, apart from the customer's number and what follows from it:
 * same-second ringings are ordered by their EventKey, whose digest covers the Caller.
 */
const figures = (record: Record<string, unknown>) => {
  const {
    CustomerNumber,
    MissedCustomerNumber,
    CustomerNumberMasked,
    Caller,
    Called,
    Version,
    LastReceivedAt,
    ...rest
  } = record;
  const attempts = [...((rest.Attempts as { BeganAt: string; Employee: string }[] | undefined) ?? [])].sort(
    (x, y) => x.BeganAt.localeCompare(y.BeganAt) || x.Employee.localeCompare(y.Employee),
  );
  return { ...rest, Attempts: attempts };
};

describe('pseudonymous mode', () => {
  it('stores, publishes and logs no customer number in any format, where plain mode has them all', async () => {
    const plainPlaces = await everything(plain);
    // The search finds every customer in plain mode: its silence below means something.
    expect(numbersIn(plainPlaces.map((p) => p.text).join('\n'), NUMBERS)).toEqual(NUMBERS);
    const places = await everything(pseudonymous);
    expect(places.filter((p) => p.where.includes('logs')).length).toBeGreaterThan(0);
    expect(places.filter((p) => p.where.startsWith('item of')).length).toBeGreaterThan(40);
    const leaks = places
      .filter((p) => numbersIn(p.text, NUMBERS).length > 0)
      .map((p) => `${p.where}: ${p.text}`);
    expect(leaks).toEqual([]);
  });

  it('keeps employees’ and the public numbers, and gives every call its customer’s masked form', async () => {
    const record = await pseudonymous.t.callRecord('boris-again');
    expect(record).toMatchObject({
      Employee: MOBILE_EMPLOYEE,
      CityNumber: '4950665310',
      CustomerNumberMasked: '+7 916 ***-**-43',
    });
    expect(String(record?.CustomerNumber)).toMatch(/^pn-[a-p]{32}$/);
    expect(record?.Caller).toBe(record?.CustomerNumber);
  });

  it('resolves the same call-backs and gives every record the same figures as plain mode', async () => {
    const ids = (await plain.t.scan(plain.t.runtime.tables.calls)).map((r) => String(r.SessionID)).sort();
    expect(ids).toHaveLength(10);
    for (const id of ids) {
      const [a, b] = [await plain.t.callRecord(id), await pseudonymous.t.callRecord(id)];
      expect(figures(b ?? {})).toEqual(figures(a ?? {}));
    }
    expect(await pseudonymous.t.callRecord('anna-missed')).toMatchObject({
      CallbackStatus: 'called-back',
      CallbackSessionID: 'anna-back',
    });
    expect(await pseudonymous.t.callRecord('boris-missed')).toMatchObject({
      CallbackStatus: 'customer-called-again',
      CallbackSessionID: 'boris-again',
    });
    expect(await pseudonymous.t.callRecord('vera-missed')).toMatchObject({
      CallbackStatus: 'customer-called-again',
    });
  });

  it('gives the same call-centre report', async () => {
    const argv = ['--from', DAY, '--to', DAY, '--json'];
    const [a, b] = [await tool(report, plain, argv), await tool(report, pseudonymous, argv)];
    expect(a.code).toBe(0);
    expect(JSON.parse(b.out)).toEqual(JSON.parse(a.out));
    expect(JSON.parse(b.out).total).toMatchObject({
      offered: 7,
      missed: 4,
      callbacks: { within20min: 1, customerCalledAgain: 2, pending: 1 },
      outgoing: 3,
    });
  });

  it('finds a customer’s calls by the number as an operator types it, shown masked', async () => {
    const found = await tool(calls, pseudonymous, ['--number', '+7 903 555 00 11']);
    expect(found.code).toBe(0);
    expect(found.out).toMatch(/^3 calls/);
    for (const id of ['vera-missed', 'vera-busy', 'vera-answered']) expect(found.out).toContain(id);
    expect(found.out).toContain('+7 903 ***-**-11');
    expect(holdsNumber(found.out, CUSTOMERS.vera.number)).toBe(false);
    const waiting = await tool(missed, pseudonymous, ['--number', '84957778899', '--json']);
    expect(JSON.parse(waiting.out).map((c: { SessionID: string }) => c.SessionID)).toEqual(['gleb-missed']);
  });

  it('forgets a customer by the number typed: nothing of theirs is left, everything of the others is', async () => {
    const { t } = pseudonymous;
    const pseudonymOf = String((await t.callRecord('gleb-answered'))?.CustomerNumber);
    const holdsGleb = (text: string) =>
      text.includes(pseudonymOf) || holdsNumber(text, CUSTOMERS.gleb.number);
    const items = async () => {
      const all: string[] = [];
      for (const table of Object.values(t.runtime.tables))
        for (const item of await t.scan(table)) all.push(JSON.stringify(item));
      return all;
    };
    const before = (await items()).sort();
    const gleb = before.filter(holdsGleb);
    // His three calls' events and records, and the quarantined body naming him.
    expect(gleb.length).toBeGreaterThan(10);
    // Stopped half-way (after its first call's record), then run again with the number typed another way.
    const stopped = await tool(forget, pseudonymous, ['--number', '+7 (495) 777-88-99', '--yes'], {
      progress: (step: string) => {
        if (step === 'record') throw new Error('the connection dropped');
      },
    });
    expect(stopped.code).toBe(1);
    expect((await items()).filter(holdsGleb).length).toBeGreaterThan(0);
    const erased = await tool(forget, pseudonymous, ['--number', '84957778899', '--yes']);
    expect(erased).toMatchObject({ code: 0, err: '' });
    expect(erased.out).toMatch(/Completed an erasure a run left unfinished/);
    const shown = await tool(forget, pseudonymous, ['--number', '4957778899']);
    expect(shown.out).toBe('Nothing of +7 495 ***-**-99 is stored in the tables (local mode).');
    expect(stopped.out).toMatch(
      /\+7 495 \*\*\*-\*\*-99 \(local mode\): 3 call\(s\), \d+ stored event\(s\), 1 quarantined body/,
    );
    const after = (await items()).sort();
    expect(after.filter(holdsGleb)).toEqual([]);
    expect(after).toEqual(before.filter((item) => !holdsGleb(item)));
  });
});
