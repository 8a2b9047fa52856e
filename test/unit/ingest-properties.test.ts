/**
 * Property-based tests of the ingest path (fast-check). Whatever the body (random JSON, mutated
 * spec examples, bytes, deep nesting, bodies around the size limit, prototype names at any
 * depth), the webhook answers 200, 400, 401 or 413, never throws, stores exactly what its answer
 * says, and leaves Object.prototype alone. The many-run properties drive the pure ingest with
 * the in-memory store; one drives the real handler over a mocked DynamoDB document client that
 * marshalls and refuses items as the real client and DynamoDB do.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, type PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { marshall, type marshallOptions } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { SETTINGS } from '../../lambda/config/settings';
import { CALL_EVENTS_KEYS, REJECTED_EVENTS_KEYS } from '../../lambda/config/tables';
import {
  absentValuesOf,
  callEventSchema,
  checkedHookSchema,
  HOOK_TYPES,
  isHookType,
  SERVICE_FIELDS,
} from '../../lambda/contract';
import { SPEC_EXAMPLES, specExamplePayload } from '../../lambda/contract/spec-examples';
import { sha256 } from '../../lambda/ingest/auth';
import { toHttpResponse, type WebhookResponse } from '../../lambda/ingest/http';
import { type IngestDeps, ingestCallEvent, type WebhookRequest } from '../../lambda/ingest/ingest-call-event';
import { loadIngestHandler, proxyEvent, INGEST_TABLES as TABLES } from '../support/ingest-handler';
import { MemoryStore } from '../support/memory-store';

const LIMIT = SETTINGS.maxBodyBytes.default;
const ANSWERS = [200, 400, 401, 413];

const { handler, ddb, token: TOKEN } = loadIngestHandler();
// Required once the environment is set, as the handler is: the very client the handler writes with.
const { documentClient } =
  require('../../lambda/shared/dynamodb') as typeof import('../../lambda/shared/dynamodb');
/** The options the handler's document client marshalls items with (the mock bypasses the client). */
const MARSHALL: marshallOptions =
  (documentClient.config as { translateConfig?: { marshallOptions?: marshallOptions } }).translateConfig
    ?.marshallOptions ?? {};

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/** Names that mean something to a JavaScript object or to the DynamoDB marshaller. */
const PROTOTYPE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'toJSON',
  'isPrototypeOf',
  '__defineGetter__',
] as const;
const FIELDS = [
  'SessionID',
  'HookType',
  'StartTime',
  'StartDuration',
  'EndTime',
  'CityNumber',
  'Caller',
  'Called',
  'Redirecting',
  'Duration',
  'ResultCode',
] as const;
const TIME_FIELDS = ['StartTime', 'StartDuration', 'EndTime'] as const;
/** Zones with DST gaps and overlaps, a skipped day (Apia 2011-12-30), odd offsets. */
const ZONES = [
  'Europe/Moscow',
  'UTC',
  'America/New_York',
  'Australia/Lord_Howe',
  'Pacific/Apia',
  'Asia/Kathmandu',
];

/** An object with these own properties; unlike `{ [key]: value }`, `__proto__` becomes a field. */
function objectOf(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) define(object, key, value);
  return object;
}

function define(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

const anyKey = fc.oneof(
  fc.constantFrom(...PROTOTYPE_KEYS),
  fc.constantFrom(...SERVICE_FIELDS),
  fc.string({ maxLength: 6 }),
);

/** JSON values with prototype names as keys at any depth, and pollution payloads among the values. */
const { value: nastyValue } = fc.letrec<{ value: unknown; object: Record<string, unknown> }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    fc.jsonValue({ maxDepth: 1 }),
    fc.constant({ polluted: 'yes' }),
    tie('object'),
    fc.array(tie('value'), { maxLength: 3 }),
  ),
  object: fc.array(fc.tuple(anyKey, tie('value')), { maxLength: 4 }).map(objectOf),
}));

const pad = (n: number, width: number) => String(n).padStart(width, '0');
/** Provider-shaped times with any numbers in them: 2021-13-45 25:61:61, year 0 or 99999… */
const wallClock = fc
  .tuple(
    fc.integer({ min: 0, max: 99_999 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
  )
  .map(
    ([y, mo, d, h, mi, s]) =>
      `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)} ${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}`,
  );
const realTime = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 19).replace('T', ' '));
const timeString = fc.oneof(
  realTime,
  wallClock,
  fc.string({ maxLength: 25 }),
  fc.constantFrom(
    '2011-03-27 02:30:00', // Moscow: skipped by the spring change
    '2014-10-26 01:30:00', // Moscow: twice, on the autumn change
    '2021-03-14 02:30:00', // New York: skipped
    '2021-11-07 01:30:00', // New York: twice
    '2011-12-30 12:00:00', // Apia: the day that never was
    '1970-01-01 00:00:00',
    '9999-12-31 23:59:59',
    '2021-02-29 00:00:00',
    '2021-01-28T14:15:22Z',
    ' 2021-01-28 14:15:22',
    '2021-01-28 14:15:22\n',
  ),
);

const kinds = ['string', 'number', 'boolean', 'null', 'array', 'object'] as const;
function retyped(value: unknown, kind: (typeof kinds)[number]): unknown {
  switch (kind) {
    case 'string':
      return typeof value === 'string' ? `${value}x` : String(value);
    case 'number':
      return Number(value);
    case 'boolean':
      return Boolean(value);
    case 'null':
      return null;
    case 'array':
      return [value];
    case 'object':
      return { value };
  }
}

/** A change to a valid event, as data so that a shrunk counterexample reads well. */
type Mutation =
  | { drop: (typeof FIELDS)[number] }
  | { replace: (typeof FIELDS)[number]; with: unknown }
  | { retype: (typeof FIELDS)[number]; to: (typeof kinds)[number] }
  | { time: (typeof TIME_FIELDS)[number]; to: string }
  | { add: string; value: unknown };

const field = fc.constantFrom(...FIELDS);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  field.map((f) => ({ drop: f })),
  fc.record({
    replace: field,
    with: fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(...HOOK_TYPES, 'TransferIncCall', '', null, '603-S', '0026', '1e3', -1, 1.5, 2 ** 53),
      fc.string({ minLength: 250, maxLength: 300 }),
    ),
  }),
  fc.record({ retype: field, to: fc.constantFrom(...kinds) }),
  fc.record({ time: fc.constantFrom(...TIME_FIELDS), to: timeString }),
  fc.record({ add: anyKey, value: nastyValue }),
);

function mutate(event: Record<string, unknown>, m: Mutation): void {
  if ('drop' in m) delete event[m.drop];
  else if ('replace' in m) event[m.replace] = m.with;
  else if ('retype' in m) event[m.retype] = retyped(event[m.retype], m.to);
  else if ('time' in m) event[m.time] = m.to;
  else define(event, m.add, m.value);
}

const hookType = fc.constantFrom(...HOOK_TYPES);

/** A spec example with its own SessionID and a few random changes. */
const mutatedEvent = fc
  .record({
    hookType,
    sessionId: fc.uuid(),
    mutations: fc.array(mutation, { maxLength: 4 }),
    indent: fc.constantFrom(undefined, 2),
    bom: fc.boolean(),
  })
  .map(({ hookType, sessionId, mutations, indent, bom }) => {
    const event = { ...specExamplePayload(hookType), SessionID: sessionId };
    for (const m of mutations) mutate(event, m);
    return `${bom ? '\uFEFF' : ''}${JSON.stringify(event, null, indent)}`;
  });

/**
 * A spec example sent as real traffic may: its optional fields absent, null, or "" for a time
 * (keeping EndOutCall's StartTime or EndTime), fields named like the service's, unknown fields,
 * a byte-order mark. `plain` is the same event with none of that: the same identity.
 */
/** A storable JSON value (no empty or prototype-named keys: those are rejected on purpose). */
const plainValue = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,5}$/), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);
const tolerantEvent = fc
  .record({
    hookType,
    sessionId: fc.uuid(),
    absent: fc.dictionary(
      fc.constantFrom('StartTime', 'EndTime', 'Called', 'Redirecting', 'ResultCode', 'Duration'),
      fc.constantFrom('drop', 'null', 'empty'),
      { maxKeys: 6 },
    ),
    service: fc.dictionary(fc.constantFrom(...SERVICE_FIELDS), plainValue, { maxKeys: 4 }),
    unknown: fc.dictionary(fc.constantFrom('DeliveryAttempt', 'SentAt', 'Meta'), plainValue, { maxKeys: 3 }),
    bom: fc.boolean(),
  })
  .map(({ hookType, sessionId, absent, service, unknown, bom }) => {
    const plain: Record<string, unknown> = { ...specExamplePayload(hookType), SessionID: sessionId };
    const sent: Record<string, unknown> = { ...plain };
    const optional = absentValuesOf(hookType);
    for (const [field, how] of Object.entries(absent)) {
      const values = optional[field];
      if (!values) continue;
      if (hookType === 'EndOutCall' && field === 'EndTime' && 'StartTime' in absent) continue;
      delete plain[field];
      if (how === 'drop') delete sent[field];
      else sent[field] = how === 'empty' && values.includes('') ? '' : null;
    }
    for (const [name, value] of [...Object.entries(service), ...Object.entries(unknown)])
      define(sent, name, value);
    return { body: `${bom ? '\uFEFF' : ''}${JSON.stringify(sent)}`, plain: JSON.stringify(plain) };
  });

/** JSON nested `depth` deep: bare, or as an unknown field of a valid event. */
const deeplyNested = fc
  .record({
    depth: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 20_000 })),
    shape: fc.constantFrom('array', 'object', 'field'),
    hookType,
  })
  .map(({ depth, shape, hookType }) => {
    if (shape === 'array') return '['.repeat(depth) + ']'.repeat(depth);
    const nested = `${'{"a":'.repeat(depth)}null${'}'.repeat(depth)}`;
    return shape === 'object' ? nested : SPEC_EXAMPLES[hookType].replace('{', `{"Nested": ${nested},`);
  });

/** Bodies a few bytes either side of the limit (or far over it), in 1- to 4-byte characters. */
const aroundTheLimit = fc
  .record({
    target: fc.oneof(
      fc.integer({ min: LIMIT - 8, max: LIMIT + 8 }),
      fc.integer({ min: LIMIT + 1, max: 4 * LIMIT }),
    ),
    char: fc.constantFrom('x', 'é', '€', '😀', '\u0000'),
    shape: fc.constantFrom('field', 'raw', 'string'),
    hookType,
  })
  .map(({ target, char, shape, hookType }) => {
    const fill = (baseBytes: number, unit: number) =>
      char.repeat(Math.max(0, Math.floor((target - baseBytes) / unit)));
    if (shape === 'raw') return fill(0, Buffer.byteLength(char));
    if (shape === 'string') return JSON.stringify(fill(2, Buffer.byteLength(JSON.stringify(char)) - 2));
    const event = specExamplePayload(hookType);
    const base = Buffer.byteLength(JSON.stringify({ ...event, Note: '' }));
    return JSON.stringify({ ...event, Note: fill(base, Buffer.byteLength(JSON.stringify(char)) - 2) });
  });

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const anyText = fc.string({
  unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), loneSurrogate),
  maxLength: 200,
});

interface Body {
  body: string | null;
  isBase64Encoded: boolean;
}
const text = (body: string | null): Body => ({ body, isBase64Encoded: false });
const base64 = (bytes: Uint8Array | string): Body => ({
  body: Buffer.from(bytes).toString('base64'),
  isBase64Encoded: true,
});

const anyBody: fc.Arbitrary<Body> = fc.oneof(
  { arbitrary: mutatedEvent.map(text), weight: 8 },
  { arbitrary: fc.json().map(text), weight: 2 },
  { arbitrary: fc.jsonValue().map((v) => text(JSON.stringify(v) ?? null)), weight: 2 },
  { arbitrary: nastyValue.map((v) => text(JSON.stringify(v) ?? null)), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 512 }).map(base64), weight: 1 },
  {
    arbitrary: fc.uint8Array({ maxLength: 512 }).map((b) => text(Buffer.from(b).toString('latin1'))),
    weight: 1,
  },
  { arbitrary: mutatedEvent.map(base64), weight: 1 },
  { arbitrary: deeplyNested.map(text), weight: 1 },
  { arbitrary: aroundTheLimit.map(text), weight: 2 },
  { arbitrary: aroundTheLimit.map(base64), weight: 1 },
  { arbitrary: anyText.map(text), weight: 1 },
  {
    arbitrary: fc.constantFrom(null, '', '   ', '\n', 'null', '{}', '[]', '""', '0', 'true').map(text),
    weight: 1,
  },
);

type Auth = 'header' | 'bearer' | 'query' | 'none' | 'wrong' | 'suffixed';
const anyAuth: fc.Arbitrary<Auth> = fc.oneof(
  { arbitrary: fc.constant('header' as const), weight: 12 },
  { arbitrary: fc.constantFrom('bearer' as const, 'query' as const), weight: 2 },
  { arbitrary: fc.constantFrom('none' as const, 'wrong' as const, 'suffixed' as const), weight: 2 },
);

function webhookRequest(body: Body, auth: Auth = 'header', requestId = 'req-1'): WebhookRequest {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  let query: Record<string, string> | null = null;
  if (auth === 'header') headers['X-Webhook-Token'] = TOKEN;
  if (auth === 'bearer') headers.Authorization = `Bearer ${TOKEN}`;
  if (auth === 'query') query = { token: TOKEN };
  if (auth === 'wrong') headers['X-Webhook-Token'] = 'not-the-token';
  if (auth === 'suffixed') headers['X-Webhook-Token'] = `${TOKEN}x`;
  return { ...body, headers, query, requestId, sourceIp: '198.51.100.7' };
}

const anyRequest = fc
  .record({ body: anyBody, auth: anyAuth, requestId: fc.uuid() })
  .map(({ body, auth, requestId }) => webhookRequest(body, auth, requestId));

// ---------------------------------------------------------------------------------------------
// What must hold
// ---------------------------------------------------------------------------------------------

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body as text, as the webhook reads it (a byte-order mark included); undefined for bytes that are not UTF-8. */
function sentText(request: WebhookRequest): string | undefined {
  if (!request.isBase64Encoded) return request.body ?? '';
  try {
    return strictUtf8.decode(Buffer.from(request.body ?? '', 'base64'));
  } catch {
    return undefined;
  }
}

function depsFor(store: MemoryStore, timeZone = SETTINGS.timeZone.default as string): IngestDeps {
  return {
    config: { timeZone, maxBodyBytes: LIMIT, rejectedRetentionDays: 90 },
    store,
    expectedTokenSha256: async () => sha256(TOKEN),
    now: () => new Date('2021-01-28T15:35:00.123Z'),
  };
}

async function send(request: WebhookRequest, deps: IngestDeps): Promise<WebhookResponse> {
  return toHttpResponse(await ingestCallEvent(request, deps));
}

interface Stored {
  events: number;
  rejected: number;
}
const countOf = (store: MemoryStore): Stored => ({
  events: store.events.size,
  rejected: store.rejected.length,
});

/** The answer is one of the four, and the store holds exactly what the answer says. */
function expectConsistent(request: WebhookRequest, res: WebhookResponse, store: MemoryStore, before: Stored) {
  expect(ANSWERS).toContain(res.statusCode);
  const json = JSON.parse(res.body) as Record<string, unknown>;
  const added = {
    events: store.events.size - before.events,
    rejected: store.rejected.length - before.rejected,
  };
  switch (res.statusCode) {
    case 200: {
      expect(added).toEqual({ events: json.status === 'accepted' ? 1 : 0, rejected: 0 });
      const item = store.events.get(`${json.sessionId}\u0000${json.eventKey}`);
      expect(item?.RawBody).toBe(sentText(request));
      // The document client must be able to marshall what was accepted: it fails before sending.
      expect(() => marshall(item, MARSHALL)).not.toThrow();
      return;
    }
    case 400:
    case 413: {
      expect(added).toEqual({ events: 0, rejected: 1 });
      const kept = store.rejected.at(-1);
      expect(kept?.Truncated).toBe(res.statusCode === 413);
      const raw = request.body ?? '';
      if (res.statusCode === 400) {
        expect(kept?.Body).toBe(kept?.BodyEncoding === 'base64' ? raw : sentText(request));
      } else if (kept?.BodyEncoding === 'base64') {
        expect(raw.startsWith(kept.Body)).toBe(true);
      } else {
        // The body cut at the limit: a prefix of what was sent, never more than the limit.
        expect(
          Buffer.from(raw, 'utf8')
            .toString('utf8')
            .startsWith(kept?.Body ?? '\u0000'),
        ).toBe(true);
        expect(Buffer.byteLength(kept?.Body ?? '')).toBeLessThanOrEqual(LIMIT);
        expect(kept?.BodyBytes).toBe(Buffer.byteLength(raw, 'utf8'));
      }
      return;
    }
    case 401:
      expect(added).toEqual({ events: 0, rejected: 0 });
      expect(json).toEqual({ message: 'Unauthorized' });
  }
}

function prototypeSnapshot(): Record<string, unknown> {
  return Object.fromEntries(
    Reflect.ownKeys(Object.prototype).map((key) => [
      String(key),
      Object.getOwnPropertyDescriptor(Object.prototype, key),
    ]),
  );
}

const pristinePrototype = prototypeSnapshot();
const notPolluted = () => ({}) as Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

describe('ingest, for any body', () => {
  it('answers 200, 400, 401 or 413, never throws, and stores exactly what it answered', async () => {
    await fc.assert(
      fc.asyncProperty(anyRequest, fc.constantFrom(...ZONES), async (request, timeZone) => {
        const store = new MemoryStore();
        const res = await send(request, depsFor(store, timeZone));
        expectConsistent(request, res, store, { events: 0, rejected: 0 });
        expect(notPolluted().polluted).toBeUndefined();
      }),
      { numRuns: 400 },
    );
  });

  it('stores an accepted event once: the same body again is a duplicate with the same key', async () => {
    const valid = fc
      .record({
        hookType,
        sessionId: fc.uuid(),
        extra: fc.array(fc.tuple(anyKey, nastyValue), { maxLength: 3 }),
      })
      .map(({ hookType, sessionId, extra }) => {
        const event = { ...specExamplePayload(hookType), SessionID: sessionId };
        for (const [key, value] of extra) define(event, `X${key}`, value);
        return JSON.stringify(event);
      });
    await fc.assert(
      fc.asyncProperty(fc.oneof(valid, mutatedEvent), async (body) => {
        const store = new MemoryStore();
        const deps = depsFor(store);
        const request = webhookRequest(text(body));
        const first = await send(request, deps);
        expectConsistent(request, first, store, { events: 0, rejected: 0 });
        if (JSON.parse(first.body).status !== 'accepted') return;
        const before = countOf(store);
        const again = await send(request, deps);
        expectConsistent(request, again, store, before);
        expect(JSON.parse(again.body)).toEqual({ ...JSON.parse(first.body), status: 'duplicate' });
      }),
      { numRuns: 300 },
    );
  });

  it('accepts a valid event however tolerantly sent, and its plain form is the same event', async () => {
    await fc.assert(
      fc.asyncProperty(tolerantEvent, fc.constantFrom(...ZONES), async ({ body, plain }, timeZone) => {
        const store = new MemoryStore();
        const deps = depsFor(store, timeZone);
        const request = webhookRequest(text(body));
        const first = await send(request, deps);
        expectConsistent(request, first, store, { events: 0, rejected: 0 });
        expect({ status: first.statusCode, body: JSON.parse(first.body).status }).toEqual({
          status: 200,
          body: 'accepted',
        });
        const again = await send(webhookRequest(text(plain)), deps);
        expect(JSON.parse(again.body)).toEqual({ ...JSON.parse(first.body), status: 'duplicate' });
      }),
      { numRuns: 300 },
    );
  });

  it('stores nothing and says nothing more than 401 without the right token, whatever the body', async () => {
    await fc.assert(
      fc.asyncProperty(anyBody, fc.constantFrom<Auth>('none', 'wrong', 'suffixed'), async (body, auth) => {
        const store = new MemoryStore();
        const res = await send(webhookRequest(body, auth), depsFor(store));
        expect(res.statusCode).toBe(401);
        expect(countOf(store)).toEqual({ events: 0, rejected: 0 });
      }),
      { numRuns: 200 },
    );
  });

  it('sizes the body before anything else: an oversized body is 413 whatever it holds', async () => {
    // Bodies that decoding or parsing would reject for another reason (not UTF-8, not JSON, too
    // deep) are judged by their size alone: the size is checked before anything reads them.
    const over = LIMIT + 1;
    const oversized = fc.oneof(
      aroundTheLimit.filter((b) => Buffer.byteLength(b) > LIMIT).map(text),
      aroundTheLimit.filter((b) => Buffer.byteLength(b) > LIMIT).map(base64),
      deeplyNested.filter((b) => Buffer.byteLength(b) > LIMIT).map(text),
      fc.integer({ min: over, max: 2 * LIMIT }).map((n) => base64(new Uint8Array(n).fill(0xff))),
      fc.integer({ min: over, max: 2 * LIMIT }).map((n) => text('{'.repeat(n))),
    );
    await fc.assert(
      fc.asyncProperty(oversized, async (body) => {
        const store = new MemoryStore();
        const outcome = await ingestCallEvent(webhookRequest(body), depsFor(store));
        expect(outcome.kind).toBe('too-large');
        expect(countOf(store)).toEqual({ events: 0, rejected: 1 });
      }),
      { numRuns: 100 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Through the real handler, DynamoDB mocked
// ---------------------------------------------------------------------------------------------

/** DynamoDB's number range: 38 significant digits, magnitude from 1E-130 to below 1E+126. */
function numberRefusal(text: string): string | undefined {
  const n = Math.abs(Number(text));
  return n === 0 || (n >= 1e-130 && n < 1e126) ? undefined : `Number out of range: ${text}`;
}

/** Why DynamoDB would answer ValidationException for this marshalled value, if it would. */
function validationProblem(value: AttributeValue, depth = 0): string | undefined {
  if (depth > 32) return 'Nesting Levels have exceeded supported limits';
  if (value.N !== undefined) return numberRefusal(value.N);
  const children = value.L ?? (value.M ? Object.values(value.M) : []);
  for (const child of children) {
    const problem = validationProblem(child, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

/** The two tables, with what the document client and DynamoDB do to a PutItem. */
class FakeDynamoDb {
  readonly tables = new Map<string, Map<string, Record<string, AttributeValue>>>();

  put(input: PutCommandInput): void {
    // The document client marshalls before sending; what it cannot marshall fails as a plain Error.
    const item = marshall(input.Item ?? {}, MARSHALL);
    const problem = validationProblem({ M: item });
    if (problem) throw Object.assign(new Error(problem), { name: 'ValidationException' });
    const keys = input.TableName === TABLES.callEvents ? CALL_EVENTS_KEYS : REJECTED_EVENTS_KEYS;
    const key = `${item[keys.partitionKey]?.S}\u0000${item[keys.sortKey]?.S}`;
    const table = this.tables.get(input.TableName ?? '') ?? new Map();
    this.tables.set(input.TableName ?? '', table);
    if (input.ConditionExpression && table.has(key)) {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    }
    table.set(key, item);
  }

  size(table: string): number {
    return this.tables.get(table)?.size ?? 0;
  }
}

/** The webhook request as API Gateway hands it to the handler. */
function proxyEventOf(request: WebhookRequest): APIGatewayProxyEvent {
  return proxyEvent(
    request.body,
    { ...request.headers } as Record<string, string>,
    request.query ? ({ ...request.query } as Record<string, string>) : null,
    { isBase64Encoded: request.isBase64Encoded, requestId: request.requestId },
  );
}

function fakeDynamoDb(): FakeDynamoDb {
  const fake = new FakeDynamoDb();
  ddb.reset();
  ddb.on(PutCommand).callsFake(async (input: PutCommandInput) => {
    fake.put(input);
    return {};
  });
  return fake;
}

describe('the contract, for any body', () => {
  it("a HookType's own schema (built alone, on first use) answers exactly as the union of all eight", () => {
    const answer = (result: { success: boolean; data?: unknown; error?: { issues: unknown[] } }) =>
      result.success ? { data: result.data } : { issues: result.error?.issues };
    fc.assert(
      fc.property(mutatedEvent, (text) => {
        const value = JSON.parse(text.replace(/^\uFEFF/, '')) as Record<string, unknown>;
        if (!isHookType(value.HookType)) return;
        expect(answer(checkedHookSchema(value.HookType).safeParse(value))).toEqual(
          answer(callEventSchema().safeParse(value)),
        );
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('the ingest handler, for any body', () => {
  it('never answers 500: every body is stored, quarantined or refused as the table says', async () => {
    await fc.assert(
      fc.asyncProperty(anyRequest, async (request) => {
        const dynamodb = fakeDynamoDb();
        const res = await handler(proxyEventOf(request));
        expect(ANSWERS).toContain(res.statusCode);
        const stored = {
          events: dynamodb.size(TABLES.callEvents),
          rejected: dynamodb.size(TABLES.rejectedEvents),
        };
        const status = (JSON.parse(res.body) as { status?: string }).status;
        const expected =
          res.statusCode === 200
            ? { events: 1, rejected: 0 }
            : res.statusCode === 401
              ? { events: 0, rejected: 0 }
              : { events: 0, rejected: 1 };
        expect({ status, stored }).toEqual({ status, stored: expected });
        expect(notPolluted().polluted).toBeUndefined();
      }),
      { numRuns: 250 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Counterexamples the properties found (shrunk), kept as examples
// ---------------------------------------------------------------------------------------------

describe('counterexamples found by the properties', () => {
  const createIncCall = (extra: string) => SPEC_EXAMPLES.CreateIncCall.replace(/\n}$/, `,\n  ${extra}\n}`);

  it('a time field the HookType does not define, with no time in it, is kept as sent (was: 500)', async () => {
    // toCallEventRecord converted every StartTime/StartDuration/EndTime it found and threw.
    const body = createIncCall('"StartDuration": ""');
    const store = new MemoryStore();
    const res = await send(webhookRequest(text(body)), depsFor(store));

    expect(res.statusCode).toBe(200);
    const [item] = [...store.events.values()];
    expect(item).toMatchObject({ StartDuration: '', StartTimeUtc: '2021-01-28T11:15:22Z' });
    expect(item).not.toHaveProperty('StartDurationUtc');

    fakeDynamoDb();
    const viaHandler = await handler(proxyEventOf(webhookRequest(text(createIncCall('"EndTime": "   "')))));
    expect(viaHandler.statusCode).toBe(200);
  });

  it.each([
    ['nested in a list', '"X": [{"constructor": {}}]'],
    ['at the top', '"constructor": "x"'],
    ['posing as a Set', '"X": {"constructor": {"name": "Set"}}'],
  ])(
    'a field named constructor (%s) is rejected with 400 and quarantined (was: 503 for ever)',
    async (_, extra) => {
      // The document client's marshaller reads `constructor.name` to tell a map from a class
      // instance and threw a plain Error, which the store took for an outage.
      const body = createIncCall(extra);
      const store = new MemoryStore();
      const res = await send(webhookRequest(text(body)), depsFor(store));

      expect(res.statusCode).toBe(400);
      expect(JSON.parse(res.body).issues).toEqual([
        {
          path: '',
          message:
            'Must not have a field named constructor: the request body (such a field cannot be stored)',
        },
      ]);
      expect(store.rejected.map((r) => r.Body)).toEqual([body]);

      fakeDynamoDb();
      expect((await handler(proxyEventOf(webhookRequest(text(body))))).statusCode).toBe(400);
    },
  );

  it('a body cut at the limit keeps whole characters only (was: a U+FFFD the provider never sent)', async () => {
    // 32 768 bytes falls inside the 10 923rd '€' (3 bytes each).
    const body = '€'.repeat(11_000);
    const store = new MemoryStore();
    const res = await send(webhookRequest(text(body)), depsFor(store));

    expect(res.statusCode).toBe(413);
    expect(store.rejected[0]).toMatchObject({
      Body: '€'.repeat(10_922),
      BodyBytes: 33_000,
      Truncated: true,
    });
  });
});

// Runs last: nothing any property sent (`__proto__`, `constructor.prototype`, `polluted`…) has
// reached Object.prototype.
describe('after all the runs', () => {
  it('Object.prototype is as it was', () => {
    expect(notPolluted().polluted).toBeUndefined();
    expect(prototypeSnapshot()).toEqual(pristinePrototype);
  });
});
