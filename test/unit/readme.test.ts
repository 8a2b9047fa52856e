/**
 * The README's examples are checked against the product's own functions, so that none is typed
 * by hand and drifts: the published event, every EventKey it quotes, the daylight-saving table,
 * the call record's summary in the local session, and the local day of the Calls console query.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { localPeriod } from '../../lambda/calls/period';
import { SETTINGS } from '../../lambda/config/settings';
import {
  HOOK_TYPES,
  type HookType,
  localTimeToUtcIso,
  parseCallEvent,
  toCallEventDetail,
  toCallEventRecord,
} from '../../lambda/contract';
import { SPEC_EXAMPLES } from '../../lambda/contract/spec-examples';
import { formatRecordSummary } from '../../scripts/lib/call-records';
import { recordOf as callRecordOf, incomingEvents } from '../support/calls';

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

/** The record the product makes of a spec example, received at the given time. */
function recordOf(hookType: HookType, receivedAt: Date) {
  const rawBody = SPEC_EXAMPLES[hookType];
  const parsed = parseCallEvent(JSON.parse(rawBody));
  if (!parsed.ok) throw new Error(`The ${hookType} example must be accepted`);
  return toCallEventRecord(parsed.event, { timeZone: SETTINGS.timeZone.default, receivedAt, rawBody });
}

describe('README.md', () => {
  it('the published event is what the product makes of the spec EndIncCall example', () => {
    const section = README.slice(README.indexOf('### The published event'));
    const block = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
    expect(block).toBeDefined();
    const published = JSON.parse((block as string).replace('"id": "…"', '"id": "x"'));
    const detail = toCallEventDetail(recordOf('EndIncCall', new Date(published.detail.ReceivedAt)));
    expect(published.detail).toStrictEqual(detail);
    expect(published).toMatchObject({
      'detail-type': detail.HookType,
      source: SETTINGS.eventSource.default,
      time: detail.EventTime,
    });
  });

  it('every EventKey it quotes is the key of the spec example of that HookType', () => {
    const keys = [...README.matchAll(/\d{4}-\d\d-\d\dT[\d:]{8}Z#\d\d#(\w+)#[0-9a-f]{8}/g)];
    expect(keys.length).toBeGreaterThanOrEqual(3);
    for (const [key, hookType] of keys) {
      expect(HOOK_TYPES).toContain(hookType);
      expect(key).toBe(recordOf(hookType as HookType, new Date()).EventKey);
    }
  });

  it('the daylight-saving table says what the contract does (Berlin, spring forward and fall back)', () => {
    const rows = [...README.matchAll(/^\| `([\w/]+)` \| `([\d-]+ [\d:]+)` \| `([^`]+)` \|/gm)];
    expect(rows.map(([, zone, local]) => `${zone} ${local}`)).toEqual([
      'Europe/Berlin 2021-03-28 02:30:00',
      'Europe/Berlin 2021-10-31 02:30:00',
    ]);
    for (const [, zone, local, utc] of rows) {
      expect(localTimeToUtcIso(local as string, zone as string)).toBe(utc);
    }
  });

  it('the session’s call summary is what `npm run calls` prints for the simulator’s missed call', () => {
    // The session's missed call: started 18:21:32 in Moscow, two employees rung 1 s later, missed 31 s in.
    const events = incomingEvents({
      id: '304a17b0-03b4-42cc-bc42-56ff809d0482',
      customer: '9990001234',
      city: '4950001000',
      start: '2026-11-26 18:21:32',
      rings: [
        { employee: '80050000001', at: 1 },
        { employee: '80050000002', at: 1 },
      ],
      missedAt: 31,
    });
    // When its last event arrived, and how many writes it took, are the session's own.
    const record = { ...callRecordOf(events), Version: 2, LastReceivedAt: '2026-11-26T15:22:03.418Z' };
    expect(README).toContain(`$ npm run calls -- ${record.SessionID}\n${formatRecordSummary(record)}\n\n`);
  });

  it('the Calls console query’s day is the Moscow day in UTC, to its last second', () => {
    const { from, to } = localPeriod('2021-01-28', '2021-01-28', 'Europe/Moscow');
    const last = new Date(Date.parse(to) - 1000).toISOString().replace('.000Z', 'Z');
    expect(README).toMatch(new RegExp(`2021-01-28 is \`${from}\` to\\s+\`${last}\``));
  });
});

describe('README.md layout table', () => {
  const ROOT = join(__dirname, '..', '..');
  const section = README.slice(README.indexOf('## Layout'), README.indexOf('## Deploy'));
  /** Every path the table's first column names (`a/`, `b/c.ts`, …). */
  const listed = [...section.matchAll(/^\| ([^|]+) \|/gm)]
    .flatMap((row) => [...(row[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] as string))
    .filter((path) => path !== 'path');

  it('names only paths that exist', () => {
    expect(listed.length).toBeGreaterThan(10);
    expect(listed.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });

  it('lists every folder of lambda/ and every top-level folder of the project', () => {
    const folders = [
      ...readdirSync(join(ROOT, 'lambda'), { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => `lambda/${e.name}/`),
      ...['bin', 'lib', 'local', 'scripts', 'bench', 'docs'].map((name) => name),
    ];
    const mentioned = (folder: string) =>
      listed.some((path) => path === folder || path.startsWith(folder.endsWith('/') ? folder : `${folder}/`));
    expect(folders.filter((folder) => !mentioned(folder))).toEqual([]);
  });
});

describe('README.md commands', () => {
  const scripts = Object.keys(
    (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { scripts: object })
      .scripts,
  );

  it('tells of every command a user runs', () => {
    const said = (name: string) =>
      ['start', 'test', 'stop'].includes(name) && README.includes(`npm ${name}`)
        ? true
        : README.includes(`npm run ${name}`) || README.includes(`npm run -s ${name}`);
    expect(scripts.filter((name) => !said(name))).toEqual([]);
  });

  it('every local-mode port and variable npm start reads is documented', () => {
    for (const variable of [
      'PORT',
      'HOST',
      'DYNAMODB_PORT',
      'EVENTBRIDGE_PORT',
      'SQS_PORT',
      'CRM_SECRET',
      'WEBHOOK_TOKEN',
      'NO_COLOR',
    ])
      expect(README).toContain(`\`${variable}\``);
  });
});
