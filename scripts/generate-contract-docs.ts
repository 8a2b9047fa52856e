/**
 * Writes docs/CONTRACT.md from the zod contract (its JSON Schemas, HOOK_TYPE_INFO and
 * RESULT_CODES), so that the docs cannot restate the contract by hand and drift from it.
 *
 *   npm run docs              regenerate docs/CONTRACT.md
 *   npm run docs -- --check   exit 1 when docs/CONTRACT.md differs from what would be generated
 *   npm run docs -- --help
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import {
  absentValuesOf,
  detailJsonSchemas,
  HOOK_TYPE_INFO,
  HOOK_TYPES,
  type HookType,
  type JsonSchema,
  LOCAL_TIME_PATTERN,
  localTimeToUtcIso,
  PROVIDER_FIELDS,
  parseCallEvent,
  parseJsonBody,
  RESULT_CODES,
  SERVICE_FIELDS,
  webhookJsonSchemas,
} from '../lambda/contract';
import { specExamplePayload } from '../lambda/contract/spec-examples';
import { type CliIo, defineCli, runCli, runWhenMain } from './lib/cli';

export const DOCS_PATH = join(__dirname, '..', 'docs', 'CONTRACT.md');

/** Table cells may not hold a pipe or a line break, and `<…>` would be read as HTML. */
const cell = (text: string) =>
  text
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\s*\n\s*/g, ' ');

const code = (text: string) => `\`${text}\``;

function bounds(min: number | undefined, max: number | undefined, unit: string): string {
  if (min !== undefined && max !== undefined) return min === max ? `${min} ${unit}` : `${min}–${max} ${unit}`;
  if (max !== undefined) return `up to ${max} ${unit}`;
  if (min !== undefined) return `at least ${min} ${unit}`;
  return '';
}

/** A property's type in words, e.g. "integer ≥ 0, or string matching `^\d{1,9}$`". */
export function describeType(schema: JsonSchema): string {
  if (schema.anyOf) return schema.anyOf.map(describeType).join(', or ');
  if (schema.enum) return schema.enum.map((value) => code(JSON.stringify(value))).join(' or ');
  switch (schema.type) {
    case 'string': {
      if (schema.pattern === LOCAL_TIME_PATTERN) return `local time ${code('YYYY-MM-DD HH:mm:ss')}`;
      const length = bounds(schema.minLength, schema.maxLength, 'characters');
      const pattern = schema.pattern === undefined ? '' : ` matching ${code(schema.pattern)}`;
      return `string${pattern}${length ? ` (${length})` : ''}`;
    }
    case 'integer':
    case 'number': {
      // The safe-integer bounds that zod adds to every integer say nothing to a reader.
      const min = schema.minimum === -Number.MAX_SAFE_INTEGER ? undefined : schema.minimum;
      const max = schema.maximum === Number.MAX_SAFE_INTEGER ? undefined : schema.maximum;
      const range = [min === undefined ? '' : ` ≥ ${min}`, max === undefined ? '' : ` ≤ ${max}`].join('');
      return `${schema.type}${range}`;
    }
    default:
      return schema.type ?? 'any JSON value';
  }
}

function fieldTable(schema: JsonSchema, names: string[]): string[] {
  const required = new Set(schema.required ?? []);
  return [
    '| Field | Type | Required | Description |',
    '|---|---|---|---|',
    ...names.map((name) => {
      const property = schema.properties?.[name] ?? {};
      const description = property.description ?? '—';
      return `| ${code(name)} | ${cell(describeType(property))} | ${required.has(name) ? 'yes' : 'no'} | ${cell(description)} |`;
    }),
  ];
}

function hookTypeSection(hookType: HookType, webhook: JsonSchema, detail: JsonSchema): string[] {
  const info = HOOK_TYPE_INFO[hookType];
  const sent = Object.keys(webhook.properties ?? {});
  const added = Object.keys(detail.properties ?? {}).filter((name) => !sent.includes(name));
  const normalised = sent.filter((name) => {
    const out = detail.properties?.[name];
    return out !== undefined && describeType(out) !== describeType(webhook.properties?.[name] ?? {});
  });
  const lines = [
    `## ${hookType}`,
    '',
    webhook.description ?? info.description,
    '',
    `Direction ${code(info.direction)} · lifecycle rank ${code(String(info.rank).padStart(2, '0'))} · ` +
      `event time: ${info.eventTimeFrom.map(code).join(', else ')}.`,
    '',
    `### What the provider sends`,
    '',
    ...fieldTable(webhook, sent),
    '',
  ];
  const alternatives = webhook.anyOf?.flatMap((option) => option.required ?? []) ?? [];
  if (alternatives.length > 0) {
    lines.push(`One of ${alternatives.map(code).join(' or ')} is required; either may be absent.`, '');
  }
  if (webhook.additionalProperties !== false) {
    lines.push('Fields not listed here are accepted and kept as sent.', '');
  }
  if (normalised.length > 0) {
    lines.push(
      `### Normalised in the published detail`,
      '',
      '| Field | Type |',
      '|---|---|',
      ...normalised.map(
        (name) => `| ${code(name)} | ${cell(describeType(detail.properties?.[name] ?? {}))} |`,
      ),
      '',
    );
    const absent = normalised.filter((name) => Object.hasOwn(absentValuesOf(hookType), name));
    if (absent.length > 0) {
      lines.push(
        `In ${absent.map(code).join(', ')}, what means absent (\`null\`, or \`""\` in a time) is left out of the detail.`,
        '',
      );
    }
  }
  lines.push(`### Added to the published detail`, '', ...fieldTable(detail, added), '');
  lines.push('[Back to the list](#hooktypes)', '');
  return lines;
}

/** The wall-clock times that show how a zone's daylight-saving changes are read. */
export const DST_EXAMPLES = [
  { zone: 'Europe/Berlin', local: '2021-03-28 02:30:00', what: 'spring forward: 02:00–02:59 does not exist' },
  { zone: 'Europe/Berlin', local: '2021-10-31 02:30:00', what: 'fall back: 02:00–02:59 happens twice' },
] as const;

/** The rules that apply to every HookType, with their examples computed, not typed. */
function readingRules(): string[] {
  const services = SERVICE_FIELDS.filter((name) => name !== PROVIDER_FIELDS);
  const ringing = HOOK_TYPES.filter((t) => HOOK_TYPE_INFO[t].orderedByArrival);
  const collision = parseCallEvent({
    SessionID: 'example',
    HookType: 'CreateOutCall',
    StartTime: '2021-01-28 15:02:11',
    CityNumber: '4950665310',
    Caller: '4950665310',
    Called: '9582412128',
    Direction: 'in',
  });
  if (!collision.ok) throw new Error('The spec example with a Direction field must be accepted');
  const kept = JSON.stringify({ [PROVIDER_FIELDS]: collision.event[PROVIDER_FIELDS] }).slice(1, -1);
  return [
    '## Reading rules',
    '',
    '- **Absent values.** `null` in an optional field, and `""` in an optional time field, mean the field',
    '  is absent: the stored and published event does not carry it (`RawBody` keeps the body as sent).',
    '  In a required field they are invalid (400, with the path).',
    '- **A byte-order mark** (UTF-8, U+FEFF) before the JSON is skipped; `RawBody` keeps it.',
    `- **Fields named like the service's** (${services.map(code).join(', ')}, and ${code(PROVIDER_FIELDS)}`,
    "  itself) are never a reason to reject a body. The service's attribute stays authoritative: a sender",
    `  cannot set the key, the TTL or the event time. The provider's value is kept under its own name in the`,
    `  map ${code(PROVIDER_FIELDS)} (a body with ${code('"Direction": "in"')} is stored with ${code(kept)}), which is in the`,
    '  stored item and the published detail only when the body had such a field.',
    "- **Identity.** The `EventKey` digest (its last 8 hex) is SHA-256 of the event's spec fields only",
    '  (those listed for its HookType below), as normalised: `null` and absent alike, `"26"` and `26` alike',
    '  (`Duration`), `200` and `"200"` alike (`ResultCode`), key order and whitespace ignored. A re-send that',
    '  differs only in fields the spec does not define (a delivery counter, a time of sending) is the same',
    '  event: 200 `duplicate`, nothing stored or published again. Unknown fields are still kept and published;',
    "  the first delivery's copy wins.",
    "- **Same-second order.** The `EventKey` orders a call's events by time, then by the lifecycle rank",
    '  below; it is deterministic, so that a re-delivery collides. Within one second the ranks mislead in',
    "  sequential ringing (one employee's attempt ends and the next one's begins), so a timeline",
    `  (\`npm run calls\`) orders the ringing phase — ${ringing.map(code).join(', ')} — as one rank, by`,
    '  arrival (`ReceivedAt`, UTC to the millisecond), then by `EventKey`.',
    '- **Daylight saving.** Times are read in the configured zone. A wall-clock time that a change to',
    '  summer time skips is read with the offset in force before the change (so it lands one hour later',
    '  in wall-clock terms); one that a change back makes happen twice is read as the earlier instant.',
    '  Zones without DST (the default, `Europe/Moscow`) never meet either case. For example:',
    '',
    '| Zone | Local time | Read as (UTC) | Why |',
    '|---|---|---|---|',
    ...DST_EXAMPLES.map(
      ({ zone, local, what }) =>
        `| ${code(zone)} | ${code(local)} | ${code(localTimeToUtcIso(local, zone))} | ${cell(what)} |`,
    ),
    '',
  ];
}

/** A spec example with fields replaced; `undefined` takes a field away. */
function changed(hookType: HookType, changes: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = { ...specExamplePayload(hookType), ...changes };
  for (const [field, value] of Object.entries(changes)) if (value === undefined) delete body[field];
  return body;
}

/**
 * One rejected body per kind of problem, each shown with what the contract answers: the issue
 * wording is the contract's (lambda/contract/issues.ts), never typed here.
 */
export const ISSUE_EXAMPLES: readonly {
  problem: string;
  body: string;
  text: () => string;
  shown?: (message: string) => string;
}[] = [
  {
    problem: 'a required field missing',
    body: '`CreateIncCall` without `SessionID`',
    text: () => JSON.stringify(changed('CreateIncCall', { SessionID: undefined })),
  },
  {
    problem: '`null` in a required field',
    body: '`EndIncCall` with `"Caller": null`',
    text: () => JSON.stringify(changed('EndIncCall', { Caller: null })),
  },
  {
    problem: 'a wrong type',
    body: '`CreateIncCall` with `"SessionID": 42`',
    text: () => JSON.stringify(changed('CreateIncCall', { SessionID: 42 })),
  },
  {
    problem: 'an empty string',
    body: '`CreateIncCall` with `"SessionID": ""`',
    text: () => JSON.stringify(changed('CreateIncCall', { SessionID: '' })),
  },
  {
    problem: 'too long',
    body: '`CreateIncCall` with a `Caller` of 65 digits',
    text: () => JSON.stringify(changed('CreateIncCall', { Caller: '9'.repeat(65) })),
  },
  {
    problem: 'a time in another format',
    body: '`CreateIncCall` with `"StartTime": "2021-01-28T14:15:22"`',
    text: () => JSON.stringify(changed('CreateIncCall', { StartTime: '2021-01-28T14:15:22' })),
  },
  {
    problem: 'no such date',
    body: '`CreateIncCall` with `"StartTime": "2021-02-30 14:15:22"`',
    text: () => JSON.stringify(changed('CreateIncCall', { StartTime: '2021-02-30 14:15:22' })),
  },
  {
    problem: 'not one of the forms a tolerant field takes',
    body: '`EndIncCall` with `"Duration": "26 s"`',
    text: () => JSON.stringify(changed('EndIncCall', { Duration: '26 s' })),
  },
  {
    problem: 'a number out of range',
    body: '`EndIncCall` with `"Duration": -1`',
    text: () => JSON.stringify(changed('EndIncCall', { Duration: -1 })),
  },
  {
    problem: 'an unknown HookType',
    body: '`EndIncCall` with `"HookType": "TransferIncCall"`',
    text: () => JSON.stringify(changed('EndIncCall', { HookType: 'TransferIncCall' })),
  },
  {
    problem: 'no event time',
    body: '`EndOutCall` without `StartTime` and `EndTime`',
    text: () => JSON.stringify(changed('EndOutCall', { StartTime: undefined, EndTime: undefined })),
  },
  {
    problem: 'a field that cannot be stored',
    body: '`EndIncCall` with `"constructor": 1`',
    text: () => JSON.stringify(changed('EndIncCall', { constructor: 1 })),
  },
  { problem: 'not an object', body: '`[1, 2]`', text: () => '[1, 2]' },
  { problem: 'no body', body: 'an empty body', text: () => '' },
  {
    problem: 'not JSON',
    body: '`{"SessionID": "a",`',
    text: () => '{"SessionID": "a",',
    // The JSON parser's own words differ between Node.js versions; the page must not.
    shown: (message) => message.replace(/ \(.*\)$/s, " (then the JSON parser's words on where it stopped)"),
  },
];

/** The issues the contract gives a body's text: as JSON, then against the contract. */
function issuesOf(text: string): { path: string; message: string }[] {
  const json = parseJsonBody(text);
  if (!json.ok) return json.issues;
  const result = parseCallEvent(json.value);
  if (result.ok) throw new Error(`The example body must be rejected: ${text}`);
  return result.issues;
}

/** How a rejected body is told why, with an example of each kind of problem, computed. */
function issueWording(): string[] {
  return [
    '## What a rejected body is told',
    '',
    'A body the contract rejects is answered `400` with `issues`, one per problem: the `path` of its field',
    '(empty for the body as a whole) and a `message` in one of three patterns, `Required: <field>`,',
    '`Must be <rule>: <field>` or `Must not <rule>: <field>`, where `<field>` is the field’s name and what it',
    'is, in the words that open its description below. What was found follows in parentheses where it',
    'helps: its type, never its content (a body’s strings may be phone numbers), except a rejected HookType.',
    '',
    '| Problem | Body | `path` | `message` |',
    '|---|---|---|---|',
    ...ISSUE_EXAMPLES.flatMap(({ problem, body, text, shown = (message) => message }) =>
      issuesOf(text()).map(
        (issue) =>
          `| ${cell(problem)} | ${cell(body)} | ${issue.path ? code(issue.path) : '(empty)'} | ${cell(shown(issue.message))} |`,
      ),
    ),
    '',
  ];
}

/** The whole of docs/CONTRACT.md, from the contract alone. Pure, so tests can compare it. */
export function renderContractDocs(): string {
  const webhook = webhookJsonSchemas();
  const detail = detailJsonSchemas();
  const lines = [
    '# Call-event contract',
    '',
    '<!-- Generated by scripts/generate-contract-docs.ts from lambda/contract/. Do not edit: run `npm run docs`. -->',
    '',
    'What the provider may send for each `HookType`, as the webhook accepts it, and what the service',
    'publishes to EventBridge as the event `detail` (`detail-type` is the HookType). Both tables come from the',
    'zod contract in `lambda/contract/`, like the JSON Schemas in the schema registry;',
    '`npm run docs -- --check` fails when this page is out of date.',
    '',
    ...readingRules(),
    ...issueWording(),
    '## HookTypes',
    '',
    '| HookType | Direction | Rank | Event time | Description |',
    '|---|---|---|---|---|',
    ...HOOK_TYPES.map((t) => {
      const info = HOOK_TYPE_INFO[t];
      const rank = String(info.rank).padStart(2, '0');
      const time = info.eventTimeFrom.map(code).join(', else ');
      return `| [${t}](#${t.toLowerCase()}) | ${info.direction} | ${rank} | ${time} | ${cell(info.description)} |`;
    }),
    '',
    ...HOOK_TYPES.flatMap((t) => hookTypeSection(t, webhook[t], detail[t])),
    '## ResultCode',
    '',
    'Known codes get their meaning in `ResultText`; any other code is kept as sent, with no `ResultText`.',
    '',
    '| Code | Meaning |',
    '|---|---|',
    ...Object.entries(RESULT_CODES).map(([value, meaning]) => `| ${code(value)} | ${cell(meaning)} |`),
  ];
  return `${lines.join('\n')}\n`;
}

export const CLI = defineCli({
  name: 'docs',
  synopsis: ['npm run docs [-- --check]'],
  about: `Writes docs/CONTRACT.md from the zod contract in lambda/contract/ (its JSON Schemas, the
HookTypes' facts and the result codes), so that the page cannot restate the contract by hand.`,
  options: {
    check: {
      type: 'boolean',
      default: false,
      help: 'write nothing; exit 1 when docs/CONTRACT.md differs from what would be written',
    },
  },
});

/** Writes the docs, or with `--check` compares them; returns the exit code. */
export function main(argv: string[], io: CliIo): Promise<number> {
  return runCli(argv, io, CLI, async ({ values }) => {
    const shown = relative(process.cwd(), DOCS_PATH);
    const rendered = renderContractDocs();
    if (values.check) {
      const current = existsSync(DOCS_PATH) ? readFileSync(DOCS_PATH, 'utf8') : undefined;
      if (current === rendered) {
        io.out(`${shown} is up to date.`);
        return 0;
      }
      io.err(
        current === undefined
          ? `${shown} is missing: run \`npm run docs\` and commit it.`
          : `${shown} is out of date with lambda/contract/: run \`npm run docs\` and commit the result.`,
      );
      return 1;
    }
    mkdirSync(dirname(DOCS_PATH), { recursive: true });
    writeFileSync(DOCS_PATH, rendered);
    io.out(`Wrote ${shown}.`);
    return 0;
  });
}

runWhenMain(module, main);
