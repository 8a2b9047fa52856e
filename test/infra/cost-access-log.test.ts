/**
 * The cost bench's access log lines (bench/lib/cost/access-log.ts): the stack's own format, read
 * from its synthesized template, filled for each request.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessLogFormatOf, accessLogLine } from '../../bench/lib/cost/access-log';
import { synthesize } from './synth';

let cdkOut: string;

beforeAll(() => {
  cdkOut = mkdtempSync(join(tmpdir(), 'cost-access-log-'));
  writeFileSync(join(cdkOut, 'CallEvents.template.json'), JSON.stringify(synthesize().template.toJSON()));
});
afterAll(() => rmSync(cdkOut, { recursive: true, force: true }));

describe('the access log lines the cost bench prices', () => {
  it('are the stack’s format with every variable filled: JSON with each field it names', () => {
    const format = accessLogFormatOf(cdkOut);
    const line = accessLogLine(format, { status: 200, responseBytes: 57 });

    expect(line).not.toContain('$context');
    const fields = JSON.parse(line) as Record<string, string>;
    expect(Object.keys(fields)).toEqual(Object.keys(JSON.parse(format)));
    expect(fields).toMatchObject({
      status: '200',
      responseLength: '57',
      httpMethod: 'POST',
      errorMessage: '-',
    });
  });

  it('refuses a format variable it has no value for, rather than price it as nothing', () => {
    expect(() =>
      accessLogLine('{"caller":"$context.identity.caller"}', { status: 200, responseBytes: 2 }),
    ).toThrow(/no typical value for the access log's \$context\.identity\.caller/);
  });
});
