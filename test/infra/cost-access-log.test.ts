/**
 * The cost bench's access log lines (bench/lib/cost/access-log.ts): the stack's own format, read
 * from its synthesized template, filled for each request.
 */
import { accessLogFormatOf, accessLogLine } from '../../bench/lib/cost/access-log';
import type { CfnTemplate } from '../../local/template';
import { synthesize } from './synth';

describe('the access log lines the cost bench prices', () => {
  it('are the stack’s format with every variable filled: JSON with each field it names', () => {
    const format = accessLogFormatOf(synthesize().template.toJSON() as CfnTemplate);
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
