/**
 * A rejected body's issues speak one voice, the contract's: for every HookType and every field,
 * missing or mistyped, and for any mutation of a body, each issue is one of the sentence patterns,
 * names its field by its name and its title, and carries none of zod's own wording.
 */
import fc from 'fast-check';
import {
  type ContractIssue,
  fieldWording,
  HOOK_TYPES,
  type HookType,
  parseCallEvent,
  parseJsonBody,
  SPEC_FIELDS,
  webhookJsonSchemas,
} from '../../lambda/contract';
import { specExamplePayload } from '../../lambda/contract/spec-examples';

/** zod's own wording, in any of its locales' English shapes. */
const ZOD_PHRASES = [
  /^Invalid input/,
  /expected .* received/i,
  /^Too (small|big)/,
  /Invalid discriminator/,
  /^Invalid (option|string|union|key|element|value)/,
  /^Unrecognized key/,
  /^Expected /,
];

/** `<rule>: <subject>`, the rule one of the three patterns; the subject may end in `(found)`. */
const SENTENCE = /^(Required|Must be .+?|Must not .+?): (?<subject>.+)$/;

function rejected(value: unknown): ContractIssue[] {
  const result = parseCallEvent(value);
  return result.ok ? [] : result.issues;
}

/** The example of a HookType with one field changed; `undefined` removes it. */
function withField(hookType: HookType, field: string, value: unknown): Record<string, unknown> {
  const body: Record<string, unknown> = { ...specExamplePayload(hookType), [field]: value };
  if (value === undefined) delete body[field];
  return body;
}

/** The failure explains itself: the issue, and what it broke. */
function expectContractVoice(issue: ContractIssue, hookType: unknown): void {
  const context = { hookType, ...issue };
  for (const phrase of ZOD_PHRASES)
    expect({ ...context, zodPhrase: phrase.test(issue.message) }).toEqual({ ...context, zodPhrase: false });
  const subject = SENTENCE.exec(issue.message)?.groups?.subject;
  expect({ ...context, sentence: subject !== undefined }).toEqual({ ...context, sentence: true });
  if (issue.path === '' || issue.path === '__proto__') {
    expect(subject).toMatch(/^the request body( \(.+\))?$/);
    return;
  }
  const field = issue.path.split('.')[0] as string;
  const title =
    field === 'HookType' ||
    typeof hookType !== 'string' ||
    !(HOOK_TYPES as readonly string[]).includes(hookType)
      ? 'the kind of event'
      : fieldWording(hookType as HookType, field)?.title;
  expect(title).toBeDefined();
  // The field's name, then what it is; a missing event time names both fields it may come from.
  expect(subject?.startsWith(`${field}, ${title}`)).toBe(true);
}

/** Values a field may wrongly hold: every JSON type, empty, over-long, misshapen. */
const WRONG_VALUES: [string, unknown][] = [
  ['missing', undefined],
  ['null', null],
  ['a number', 42],
  ['a fraction', 1.5],
  ['a negative number', -1],
  ['true', true],
  ['an object', { value: 1 }],
  ['an array', ['x']],
  ['an empty string', ''],
  ['an over-long string', '9'.repeat(300)],
  ['a misshapen string', 'not a value'],
  ['an ISO time', '2021-01-28T14:15:22Z'],
  ['no such date', '2021-02-30 10:00:00'],
];

describe('every field of every HookType, missing or mistyped', () => {
  const cases = HOOK_TYPES.flatMap((hookType) =>
    SPEC_FIELDS[hookType].flatMap((field) =>
      WRONG_VALUES.map(([what, value]): [HookType, string, string, unknown] => [
        hookType,
        field,
        what,
        value,
      ]),
    ),
  );

  it.each(cases)(
    '%s.%s as %s: each issue in the contract’s words, naming its field',
    (hookType, field, _, value) => {
      for (const issue of rejected(withField(hookType, field, value))) expectContractVoice(issue, hookType);
    },
  );

  it('the table can fail: most of its bodies are rejected, each at the field it broke', () => {
    const withIssues = cases.filter(([hookType, field, , value]) =>
      rejected(withField(hookType, field, value)).some((issue) => issue.path === field),
    );
    expect(withIssues.length).toBeGreaterThan(cases.length / 2);
  });

  it.each(HOOK_TYPES)(
    '%s: every spec field is named, and its description opens with the same words',
    (hookType) => {
      const schema = webhookJsonSchemas()[hookType];
      for (const field of SPEC_FIELDS[hookType]) {
        const title = fieldWording(hookType, field)?.title ?? '';
        expect({ field, title: title.length > 0 }).toEqual({ field, title: true });
        const opening = `${title.charAt(0).toUpperCase()}${title.slice(1)}.`;
        expect(schema.properties?.[field]?.description?.startsWith(opening)).toBe(true);
      }
    },
  );
});

describe('the sentence of each kind of problem', () => {
  it.each<[string, unknown, ContractIssue[]]>([
    [
      'a required field missing',
      withField('CreateIncCall', 'SessionID', undefined),
      [{ path: 'SessionID', message: "Required: SessionID, the call's identifier" }],
    ],
    [
      'null in a required field',
      withField('EndIncCall', 'Caller', null),
      [{ path: 'Caller', message: 'Required: Caller, the calling party (got null)' }],
    ],
    [
      'a wrong type',
      withField('CreateIncCall', 'SessionID', 42),
      [{ path: 'SessionID', message: "Must be a string: SessionID, the call's identifier (got a number)" }],
    ],
    [
      'an empty string',
      withField('CreateIncCall', 'SessionID', ''),
      [{ path: 'SessionID', message: "Must not be empty: SessionID, the call's identifier" }],
    ],
    [
      'too long',
      withField('CreateIncCall', 'Called', '9'.repeat(65)),
      [{ path: 'Called', message: 'Must be at most 64 characters: Called, the called party' }],
    ],
    [
      'a time in another format (one issue, not also "no such date")',
      withField('ChangeIncCall', 'StartDuration', '2021-01-28T12:31:01'),
      [
        {
          path: 'StartDuration',
          message: "Must be a time as YYYY-MM-DD HH:mm:ss: StartDuration, the conversation's start",
        },
      ],
    ],
    [
      'a time of another type',
      withField('AttemptIncCallEnd', 'EndTime', 1_611_832_522),
      [
        {
          path: 'EndTime',
          message: "Must be a time as YYYY-MM-DD HH:mm:ss: EndTime, the attempt's end (got a number)",
        },
      ],
    ],
    [
      'no such date',
      withField('AttemptIncCallBegin', 'StartTime', '2021-04-31 10:00:00'),
      [
        {
          path: 'StartTime',
          message: "Must be a real calendar date and time: StartTime, the attempt's start",
        },
      ],
    ],
    [
      'not one of the forms of a tolerant field',
      withField('MissedIncCall', 'Duration', true),
      [
        {
          path: 'Duration',
          message:
            'Must be an integer ≥ 0 or a string of digits: Duration, the conversation length in seconds (got true)',
        },
      ],
    ],
    [
      'a result code of no accepted form',
      withField('EndOutCall', 'ResultCode', 200.5),
      [
        {
          path: 'ResultCode',
          message:
            'Must be a string such as "200" or "603-S", or an integer: ResultCode, the call\'s result code (got a fraction)',
        },
      ],
    ],
    [
      'an unknown HookType',
      withField('EndIncCall', 'HookType', 'TransferIncCall'),
      [
        {
          path: 'HookType',
          message: `Must be one of ${HOOK_TYPES.join(', ')}: HookType, the kind of event (got "TransferIncCall")`,
        },
      ],
    ],
    [
      'no HookType',
      withField('EndIncCall', 'HookType', undefined),
      [{ path: 'HookType', message: 'Required: HookType, the kind of event' }],
    ],
    [
      'a HookType of another type',
      withField('EndIncCall', 'HookType', 5),
      [
        {
          path: 'HookType',
          message: `Must be one of ${HOOK_TYPES.join(', ')}: HookType, the kind of event (got a number)`,
        },
      ],
    ],
    [
      'not an object',
      [1, 2],
      [{ path: '', message: 'Must be a JSON object: the request body (got an array)' }],
    ],
    ['the JSON null', null, [{ path: '', message: 'Must be a JSON object: the request body (got null)' }]],
  ])('%s', (_, body, issues) => {
    expect(rejected(body)).toEqual(issues);
  });

  it('a body that is not JSON, or none at all', () => {
    expect(parseJsonBody('')).toEqual({
      ok: false,
      issues: [{ path: '', message: 'Required: the request body' }],
    });
    const notJson = parseJsonBody('{"SessionID": "a",');
    expect(notJson).toEqual({
      ok: false,
      issues: [{ path: '', message: expect.stringMatching(/^Must be valid JSON: the request body \(.+\)$/) }],
    });
  });

  it('a mistyped value is described, never quoted: a body’s strings may be phone numbers', () => {
    const [issue] = rejected(withField('CreateIncCall', 'Caller', '9'.repeat(65)));
    expect(issue?.message).not.toContain('999');
  });

  it('the same body is told the same after the parser is compiled for a busy process', () => {
    const body = withField('EndIncCall', 'SessionID', 7);
    const first = rejected(body);
    for (let i = 0; i < 150; i++) rejected(specExamplePayload('EndIncCall'));
    expect(rejected(body)).toEqual(first);
  });
});

describe('any mutation of a body', () => {
  const hookType = fc.oneof(fc.constantFrom(...HOOK_TYPES), fc.string({ maxLength: 20 }));
  const field = fc.constantFrom(...new Set(HOOK_TYPES.flatMap((t) => SPEC_FIELDS[t])));
  const value = fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 }));
  const body = fc
    .tuple(
      fc.constantFrom(...HOOK_TYPES),
      hookType,
      fc.array(fc.tuple(field, value), { minLength: 1, maxLength: 4 }),
    )
    .map(([example, sentHookType, changes]) => {
      const out: Record<string, unknown> = { ...specExamplePayload(example), HookType: sentHookType };
      for (const [name, v] of changes) {
        if (v === undefined) delete out[name];
        else out[name] = v;
      }
      return out;
    });

  it('is answered in the contract’s words, each issue naming its field', () => {
    let issues = 0;
    fc.assert(
      fc.property(
        fc.oneof({ weight: 9, arbitrary: body }, { weight: 1, arbitrary: fc.jsonValue() }),
        (value) => {
          const sent =
            value !== null && typeof value === 'object' && !Array.isArray(value) ? value.HookType : undefined;
          for (const issue of rejected(value)) {
            issues++;
            expectContractVoice(issue, sent);
          }
        },
      ),
      { numRuns: 2_000 },
    );
    // The property can fail only if it meets issues: most mutations break the contract.
    expect(issues).toBeGreaterThan(1_000);
  });
});
