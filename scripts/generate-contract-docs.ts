/**
 * Writes docs/CONTRACT.md from the zod contract (its JSON Schemas, HOOK_TYPE_INFO and
 * RESULT_CODES), so that the docs cannot restate the contract by hand and drift from it.
 *
 *   npm run docs              regenerate docs/CONTRACT.md
 *   npm run docs -- --check   exit 1 when docs/CONTRACT.md differs from what would be generated
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import {
  detailJsonSchemas,
  HOOK_TYPE_INFO,
  HOOK_TYPES,
  type HookType,
  LOCAL_TIME_PATTERN,
  RESULT_CODES,
  SERVICE_FIELDS,
  webhookJsonSchemas,
} from '../lambda/contract';
import { runWhenMain } from './lib/cli';

export const DOCS_PATH = join(__dirname, '..', 'docs', 'CONTRACT.md');

/** The part of JSON Schema that the contract's schemas use. */
interface JsonSchema {
  type?: string;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: unknown;
}

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
  }
  lines.push(`### Added to the published detail`, '', ...fieldTable(detail, added), '');
  lines.push('[Back to the list](#hooktypes)', '');
  return lines;
}

/** The whole of docs/CONTRACT.md, from the contract alone. Pure, so tests can compare it. */
export function renderContractDocs(): string {
  const webhook = webhookJsonSchemas() as Record<HookType, JsonSchema>;
  const detail = detailJsonSchemas() as Record<HookType, JsonSchema>;
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
    `A body may not carry a field named like one the service adds (${SERVICE_FIELDS.map(code).join(', ')}):`,
    'such a body is rejected, not overwritten.',
    '',
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

/** Writes the docs, or with `--check` compares them; returns the exit code. */
export function main(args: readonly string[]): number {
  const unknown = args.filter((arg) => arg !== '--check');
  if (unknown.length > 0) {
    console.error(`Unknown argument ${unknown.join(' ')}. Usage: generate-contract-docs [--check]`);
    return 2;
  }
  const shown = relative(process.cwd(), DOCS_PATH);
  const rendered = renderContractDocs();
  if (args.includes('--check')) {
    const current = existsSync(DOCS_PATH) ? readFileSync(DOCS_PATH, 'utf8') : undefined;
    if (current === rendered) {
      console.log(`${shown} is up to date.`);
      return 0;
    }
    console.error(
      current === undefined
        ? `${shown} is missing: run \`npm run docs\` and commit it.`
        : `${shown} is out of date with lambda/contract/: run \`npm run docs\` and commit the result.`,
    );
    return 1;
  }
  mkdirSync(dirname(DOCS_PATH), { recursive: true });
  writeFileSync(DOCS_PATH, rendered);
  console.log(`Wrote ${shown}.`);
  return 0;
}

runWhenMain(module, main);
