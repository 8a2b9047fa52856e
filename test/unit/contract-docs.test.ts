/** docs/CONTRACT.md is generated from the contract; this fails when it has drifted. */
import { readFileSync } from 'node:fs';
import { DOCS_PATH, describeType, renderContractDocs } from '../../scripts/generate-contract-docs';

/** The first line where two texts differ, to show in the failure. */
function firstDifference(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  const line = a.findIndex((text, i) => text !== b[i]);
  const at = line === -1 ? a.length : line;
  return `line ${at + 1}:\n  generated: ${a[at] ?? '(end of file)'}\n  committed: ${b[at] ?? '(end of file)'}`;
}

describe('docs/CONTRACT.md', () => {
  const rendered = renderContractDocs();

  it('is what the generator makes from the contract', () => {
    const committed = readFileSync(DOCS_PATH, 'utf8');
    if (committed !== rendered) {
      throw new Error(
        `docs/CONTRACT.md is out of date with lambda/contract/: run \`npm run docs\`.\n${firstDifference(rendered, committed)}`,
      );
    }
  });

  it('has a section per HookType with its field table, detail fields, and the ResultCode table', () => {
    for (const heading of [
      '## CreateIncCall',
      '## AttemptIncCallBegin',
      '## ChangeIncCall',
      '## AttemptIncCallEnd',
      '## EndIncCall',
      '## MissedIncCall',
      '## CreateOutCall',
      '## EndOutCall',
      '## ResultCode',
    ]) {
      expect(rendered.split('\n')).toContain(heading);
    }
    expect(rendered.match(/^### What the provider sends$/gm)).toHaveLength(8);
    expect(rendered.match(/^### Added to the published detail$/gm)).toHaveLength(8);
    expect(rendered).toContain('| `603-S` | Call cancelled |');
    expect(rendered).toContain(
      '| `Duration` | integer ≥ 0, or string matching `^\\d{1,9}$` | yes | The conversation length in seconds. |',
    );
    expect(rendered).toContain('| `EventId` | string | yes |');
  });

  it('shows a rejected body’s issues in the contract’s words, each field named as its description opens', () => {
    const section = rendered.slice(
      rendered.indexOf('## What a rejected body is told'),
      rendered.indexOf('## HookTypes'),
    );
    const rows = section.split('\n').filter((line) => /^\| (?!Problem|---)/.test(line));
    expect(rows.length).toBeGreaterThanOrEqual(15);
    for (const row of rows) expect(row).toMatch(/\| (Required|Must be .+|Must not .+): .+ \|$/);
    expect(section).not.toMatch(/Invalid input|expected \w+, received|Too (small|big)/);
    expect(section).toContain(
      "| `CreateIncCall` without `SessionID` | `SessionID` | Required: SessionID, the call's identifier |",
    );
    expect(rendered).toContain(
      "| `SessionID` | string (1–256 characters) | yes | The call's identifier. The same for every event",
    );
  });

  it('marks required fields as the spec table does (EndIncCall: EndTime yes, StartTime no)', () => {
    const endIncCall = rendered.slice(
      rendered.indexOf('## EndIncCall'),
      rendered.indexOf('## MissedIncCall'),
    );
    expect(endIncCall).toMatch(/^\| `EndTime` \| local time `YYYY-MM-DD HH:mm:ss` \| yes \|/m);
    expect(endIncCall).toMatch(
      /^\| `StartTime` \| local time `YYYY-MM-DD HH:mm:ss`, or null, or `""` \| no \|/m,
    );
    expect(endIncCall).toMatch(/^\| `Called` \| string \(up to 64 characters\), or null \| no \|/m);
  });

  it('says that EndOutCall needs StartTime or EndTime, and of no other HookType', () => {
    expect(rendered.match(/^One of .* is required; either may be absent\.$/gm)).toEqual([
      'One of `EndTime` or `StartTime` is required; either may be absent.',
    ]);
    const endOutCall = rendered.slice(rendered.indexOf('## EndOutCall'), rendered.indexOf('## ResultCode'));
    expect(endOutCall).toContain('One of `EndTime` or `StartTime`');
  });

  it('states the daylight-saving rule with Berlin’s two changes, read as the contract reads them', () => {
    expect(rendered).toContain(
      '| `Europe/Berlin` | `2021-03-28 02:30:00` | `2021-03-28T01:30:00Z` | spring forward: 02:00–02:59 does not exist |',
    );
    expect(rendered).toContain(
      '| `Europe/Berlin` | `2021-10-31 02:30:00` | `2021-10-31T00:30:00Z` | fall back: 02:00–02:59 happens twice |',
    );
  });

  it('states where fields named like the service’s go, and what makes an event’s identity', () => {
    expect(rendered).toContain('is stored with `"ProviderFields":{"Direction":"in"}`');
    expect(rendered).toContain("SHA-256 of the event's spec fields only");
    expect(rendered).toContain('`AttemptIncCallBegin`, `ChangeIncCall`, `AttemptIncCallEnd` — as one rank');
  });

  it.each<[object, string]>([
    [{ type: 'string', minLength: 1, maxLength: 256 }, 'string (1–256 characters)'],
    [{ type: 'string', maxLength: 64 }, 'string (up to 64 characters)'],
    [{ type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, 'integer ≥ 0'],
    [{ type: 'integer', minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }, 'integer'],
    [{ type: 'string', enum: ['incoming', 'outgoing'] }, '`"incoming"` or `"outgoing"`'],
    [{ anyOf: [{ type: 'string' }, { type: 'integer' }] }, 'string, or integer'],
    [{}, 'any JSON value'],
  ])('describeType(%j) is %p', (schema, text) => {
    expect(describeType(schema)).toBe(text);
  });
});
