/**
 * docs/CALLS.md is written by hand: its field tables are checked against the record's schema,
 * and every row of its Outcome table is folded and checked against the fold.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CALL_LEVEL_EVENTS } from '../../lambda/calls/call-level-events';
import { foldCall, OUTCOME_OF_RESULT_CODE } from '../../lambda/calls/fold-call';
import { callRecordJsonSchema } from '../../lambda/calls/json-schemas';
import type { JsonSchema } from '../../lambda/contract';
import { callCentreReport } from '../../scripts/lib/report';
import { callOf, storedEvent } from '../support/call-events';
import { recordOf } from '../support/calls';

const DOC = readFileSync(join(__dirname, '..', '..', 'docs', 'CALLS.md'), 'utf8');

/** The rows (cells, trimmed) of the first table after a heading. */
function table(heading: string): string[][] {
  const lines = DOC.split('\n');
  const start = lines.indexOf(heading);
  if (start === -1) throw new Error(`docs/CALLS.md has no heading ${heading}`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('#')) break;
    if (!line.startsWith('|')) {
      if (rows.length > 0) break;
      continue;
    }
    rows.push(
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
  }
  return rows.slice(2); // the header and its rule
}

/** The `code` spans of a cell. */
const codes = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);

function checkFieldTable(heading: string, schema: JsonSchema) {
  const rows = table(heading);
  const documented = rows.map(([field, always]) => [codes(field ?? '')[0], always]);
  const required = new Set(schema.required ?? []);
  expect(documented).toEqual(
    Object.keys(schema.properties ?? {}).map((name) => [name, required.has(name) ? 'yes' : 'no']),
  );
}

describe('docs/CALLS.md', () => {
  const schema = callRecordJsonSchema();

  it("lists the record's fields in the schema's order, with whether each is always there", () => {
    checkFieldTable('## The record', schema);
  });

  it("lists an attempt's fields the same way", () => {
    checkFieldTable('### Attempts', schema.properties?.Attempts?.items ?? {});
  });

  it('lists every call-level event the stream gives', () => {
    const documented = table('## Call-level events').map(([type]) => codes(type ?? '')[0]);
    expect(documented).toEqual(Object.values(CALL_LEVEL_EVENTS));
  });

  it("lists every figure of the report, in the report's order", () => {
    const report = callCentreReport([
      recordOf([
        storedEvent({
          HookType: 'EndOutCall',
          SessionID: 's',
          CityNumber: '4950665310',
          Caller: '80052002651',
          Called: '89161234567',
          StartTime: '2021-01-28 14:15:00',
          EndTime: '2021-01-28 14:16:00',
          Duration: 45,
          ResultCode: '200',
        }),
      ]),
    ]);
    const figures = (heading: string) => table(heading).flatMap(([figure]) => codes(figure ?? ''));
    expect(figures('## The report')).toEqual(Object.keys(report.total));
    const callbacksCell = table('## The report').find(([figure]) => figure === '`callbacks`')?.[1] ?? '';
    expect(codes(callbacksCell).filter((code) => code in report.total.callbacks)).toEqual(
      Object.keys(report.total.callbacks),
    );
    expect(figures('### By employee')).toEqual(Object.keys(report.byEmployee['80052002651'] ?? {}));
  });

  describe('its Outcome table is what the fold does', () => {
    const rows = table('## Outcome');
    const incoming = callOf({
      SessionID: 'ec22aab1-02f8-487d-9b40-1173f33ba242',
      CityNumber: '4950665310',
      Caller: '9582412128',
    });
    const outgoing = callOf({
      SessionID: '5d0c1f4e-6a55-4f7e-9c1d-2b7f0a3e9d11',
      CityNumber: '4950665310',
      Caller: '80052002651',
    });

    it('covers every ResultCode the fold singles out', () => {
      const documented = rows.flatMap(([, code]) => codes(code ?? ''));
      expect(documented).toEqual(expect.arrayContaining(Object.keys(OUTCOME_OF_RESULT_CODE)));
    });

    it.each(rows.map((row) => [row.join(' | '), row]))('%s', (_, row) => {
      const [events = '', codeCell = '', durationCell = '', outcomeCell = ''] = row as string[];
      const resultCodes: (string | undefined)[] = codes(codeCell);
      if (/\bnone\b/.test(codeCell)) resultCodes.push(undefined);
      if (/^any(,|$)/.test(codeCell)) resultCodes.push('200');
      const durations =
        durationCell === 'any' ? [0, 45] : durationCell === '> 0' ? [45] : [Number(durationCell)];
      const [outcome] = codes(outcomeCell);
      expect(resultCodes.length * durations.length * codes(events).length).toBeGreaterThan(0);
      for (const hookType of codes(events)) {
        for (const code of resultCodes) {
          for (const duration of durations) {
            const ev = hookType === 'EndOutCall' ? outgoing : incoming;
            const end = ev(hookType, {
              StartTime: '2021-01-28 14:15:00',
              EndTime: '2021-01-28 14:16:00',
              Duration: duration,
              Called: '89161234567',
              ...(code === undefined ? {} : { ResultCode: code }),
            });
            expect([hookType, code, duration, foldCall([storedEvent(end)]).Outcome]).toEqual([
              hookType,
              code,
              duration,
              outcome,
            ]);
          }
        }
      }
    });
  });
});
