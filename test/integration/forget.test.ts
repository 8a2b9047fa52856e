/**
 * `npm run forget` through local mode: a customer's calls (sent with their number in three
 * formats, a call-back among them) and a quarantined body holding it are shown, then erased with
 * --yes: no item of any table holds the number afterwards, every item of another customer is
 * still there, and the receipt says what was deleted without the number. A second run changes
 * nothing; an erasure stopped half-way is completed by the next run.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mentionsNumber } from '../../lambda/calls';
import { runtimeFileOf, writeRuntimeFile } from '../../local/runtime-file';
import { main as forget } from '../../scripts/forget';
import { incomingBodies, outgoingBodies } from '../support/calls';
import { startTestRuntime, type TestRuntime } from '../support/test-runtime';

jest.setTimeout(120_000);

const A = '+79161234567';
const B = '+79169876543';
const C = '+79035550011';
const start = '2026-12-03 10:00:00';
const later = '2026-12-03 10:30:00';

let t: TestRuntime;
let runtimeFile: string;

beforeAll(async () => {
  t = await startTestRuntime();
  runtimeFile = join(t.runtime.stateDir, 'runtime.json');
  writeRuntimeFile(runtimeFile, runtimeFileOf(t.runtime));
}, 180_000);
afterAll(() => t?.stop());

const post = async (bodies: Record<string, unknown>[]) => {
  for (const body of bodies) expect((await t.post(JSON.stringify(body))).status).toBe(200);
};
/** A customer's missed call, their call back answered, and an outgoing call to them, each number written its own way. */
async function callsOf(id: string, formats: [string, string, string]) {
  await post(
    incomingBodies({
      id: `${id}-missed`,
      customer: formats[0],
      start,
      rings: [{ employee: '80051110001', at: 1 }],
      missedAt: 20,
    }),
  );
  await post(
    incomingBodies({
      id: `${id}-back`,
      customer: formats[1],
      start: later,
      rings: [{ employee: '80051110001', at: 1 }],
      answer: { employee: '80051110001', at: 4, talk: 60 },
    }),
  );
  await post(
    outgoingBodies({
      id: `${id}-out`,
      employee: '80051110002',
      customer: formats[2],
      start: later,
      ring: 3,
      talk: 20,
    }),
  );
  // A body the webhook refuses (not JSON), quarantined with the number in it.
  expect(
    (await t.post(`{"HookType":"CreateIncCall","Caller":"${formats[2]}","SessionID":"${id}-bad"`)).status,
  ).toBe(400);
}

const TABLES = () => Object.values(t.runtime.tables);
/** Every item of every table that holds the customer's number, in any format. */
async function itemsOf(customer: string) {
  const found: Record<string, unknown>[] = [];
  for (const table of TABLES())
    for (const item of await t.scan(table))
      if (mentionsNumber(JSON.stringify(item), customer, 'RU')) found.push(item);
  return found;
}
const run = async (argv: string[], progress?: Parameters<typeof forget>[1]['progress']) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await forget(argv, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: {},
    runtimeFile,
    ...(progress ? { progress } : {}),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
};
const receiptIn = (out: string) => JSON.parse(readFileSync(/Receipt: (.+)$/m.exec(out)?.[1] ?? '', 'utf8'));

beforeAll(async () => {
  await callsOf('a', ['89161234567', '9161234567', '+7 (916) 123-45-67']);
  await callsOf('b', ['89169876543', '9169876543', '8 916 987 65 43']);
  await callsOf('c', ['89035550011', '9035550011', '+7 903 555-00-11']);
  await t.runtime.drained(60_000);
}, 120_000);

describe('npm run forget', () => {
  it('shows what is stored of the customer, and deletes nothing without --yes', async () => {
    const before = await itemsOf(A);
    // Events, records and the quarantined body: the absences below mean something.
    expect(before.length).toBeGreaterThan(6);
    const shown = await run(['--number', '+7 916 123-45-67']);
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(
      /\+7 916 \*\*\*-\*\*-67 \(local mode\): 3 call\(s\), \d+ stored event\(s\), 1 quarantined body/,
    );
    for (const id of ['a-missed', 'a-back', 'a-out']) expect(shown.out).toContain(`call ${id}`);
    expect(shown.out).toMatch(/Nothing deleted: run again with --yes/);
    expect(shown.out).toMatch(/bus's copies/);
    expect(shown.out).not.toMatch(/9161234567|916 123/);
    expect(await itemsOf(A)).toHaveLength(before.length);
  });

  it('with --yes leaves nothing of the customer in any table, and everything of the others', async () => {
    const others = [...(await itemsOf(B)), ...(await itemsOf(C))].length;
    expect(others).toBeGreaterThan(12);
    const events = (await t.scan(t.runtime.tables.callEvents)).filter((e) =>
      String(e.SessionID).startsWith('a-'),
    ).length;
    const erased = await run(['--number', '89161234567', '--yes']);
    expect(erased).toMatchObject({ code: 0, err: '' });
    expect(await itemsOf(A)).toEqual([]);
    expect([...(await itemsOf(B)), ...(await itemsOf(C))]).toHaveLength(others);

    const receipt = receiptIn(erased.out);
    expect(receipt).toMatchObject({ status: 'complete', where: 'local mode' });
    expect([...receipt.sessionIds].sort()).toEqual(['a-back', 'a-missed', 'a-out']);
    expect(receipt.deleted).toEqual([
      { table: t.runtime.tables.callEvents, role: 'call events', items: events },
      { table: t.runtime.tables.calls, role: 'call records', items: 3 },
      { table: t.runtime.tables.rejectedEvents, role: 'quarantined bodies', items: 1 },
    ]);
    expect(mentionsNumber(JSON.stringify(receipt), A, 'RU')).toBe(false);
    expect(receipt.notReached.join(' ')).toMatch(/point-in-time backups.*35 days/);
  });

  it('run again, finds nothing and changes nothing', async () => {
    const items = (await Promise.all(TABLES().map((table) => t.scan(table)))).flat().length;
    expect(await run(['--number', A, '--yes'])).toMatchObject({
      code: 0,
      out: 'Nothing of +7 916 ***-**-67 is stored in the tables (local mode).',
    });
    expect((await Promise.all(TABLES().map((table) => t.scan(table)))).flat()).toHaveLength(items);
  });

  it('stopped half-way, is completed by the next run, the receipt counting everything once', async () => {
    const events = (await t.scan(t.runtime.tables.callEvents)).filter((e) =>
      String(e.SessionID).startsWith('c-'),
    ).length;
    const others = (await itemsOf(B)).length;
    let records = 0;
    const stopped = await run(['--number', C, '--yes'], (step) => {
      if (step === 'record' && ++records === 2) throw new Error('the connection dropped');
    });
    expect(stopped.code).toBe(1);
    expect(stopped.err).toMatch(/the connection dropped; run it again to complete it/);
    // Its events are gone, one record is left: the index still finds the call.
    expect((await itemsOf(C)).length).toBeGreaterThan(0);

    const resumed = await run(['--number', '+7 903 555 00 11', '--yes']);
    expect(resumed.code).toBe(0);
    expect(resumed.out).toMatch(/Completed an erasure a run left unfinished: .*erasure-.*\.json/);
    expect(await itemsOf(C)).toEqual([]);
    expect(await itemsOf(B)).toHaveLength(others);
    const file = /unfinished: (\S+\.json)/.exec(resumed.out)?.[1] ?? '';
    const receipt = JSON.parse(readFileSync(file, 'utf8'));
    expect(receipt).toMatchObject({ status: 'complete' });
    expect(receipt.deleted.map((d: { items: number }) => d.items)).toEqual([events, 3, 1]);
  });

  it('leaves alone an unfinished erasure of other tables', async () => {
    const dir = join(t.runtime.stateDir, 'erasures');
    const file = join(dir, 'erasure-of-another-stack.json');
    const other = {
      receipt: 'erasure of one customer’s personal data',
      status: 'in progress',
      where: 'AWS eu-west-1',
      deleted: [{ table: 'Prod-CallEvents', role: 'call events', items: 0 }],
      sessionIds: ['b-missed'],
      quarantined: [],
    };
    writeFileSync(file, JSON.stringify(other));
    const result = await run(['--number', A, '--yes']);
    expect(result.out).toMatch(
      /Left alone: .*erasure-of-another-stack\.json, an unfinished erasure of other tables \(AWS eu-west-1\)/,
    );
    expect(JSON.parse(readFileSync(file, 'utf8')).status).toBe('in progress');
    expect(await t.callRecord('b-missed')).toBeDefined();
    rmSync(file);
  });

  it('says what is wrong with its arguments', async () => {
    expect((await run([])).err).toMatch(/--number needs the customer’s number/);
    expect((await run(['--number', 'abc'])).err).toMatch(/has no digits/);
    expect((await run(['--number', A, '--aws'])).err).toMatch(/--aws needs --events-table/);
  });
});
