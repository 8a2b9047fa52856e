/**
 * A 413 states the limit, in bytes and readably, and a body's size only when the request declares
 * one that can be believed: never the size of what reached the function, which locally is the
 * front door's limit + 1 bytes and in AWS a decoding of what was sent. The quarantine keeps what
 * it always kept.
 */
import fc from 'fast-check';
import { specExamplePayload } from '../../lambda/contract/spec-examples';
import { sha256 } from '../../lambda/ingest/auth';
import { bytesInWords, declaredBodyBytes } from '../../lambda/ingest/body-limit';
import { toHttpResponse } from '../../lambda/ingest/http';
import { type IngestDeps, ingestCallEvent, type WebhookRequest } from '../../lambda/ingest/ingest-call-event';
import { MemoryStore } from '../support/memory-store';

const TOKEN = 'correct-horse-battery-staple-0123456789';
const LIMIT = 2048;

function setup() {
  const store = new MemoryStore();
  const deps: IngestDeps = {
    config: { timeZone: 'Europe/Moscow', maxBodyBytes: LIMIT },
    store,
    expectedTokenSha256: async () => sha256(TOKEN),
    now: () => new Date('2021-01-28T15:35:00.123Z'),
  };
  const send = async (body: Buffer, headers: Record<string, string> = {}, base64 = true) => {
    const request: WebhookRequest = {
      body: base64 ? body.toString('base64') : body.toString('utf8'),
      isBase64Encoded: base64,
      headers: { 'X-Webhook-Token': TOKEN, ...headers },
      query: null,
      requestId: 'req-1',
    };
    const response = toHttpResponse(await ingestCallEvent(request, deps));
    return { statusCode: response.statusCode, json: JSON.parse(response.body) as Record<string, unknown> };
  };
  return { store, send };
}

/** A body far larger than the limit, as local mode's front door hands it over: its first limit + 1 bytes. */
const cutAtTheFrontDoor = (sent: Buffer) => sent.subarray(0, LIMIT + 1);
const SENT = Buffer.from(JSON.stringify({ ...specExamplePayload('EndIncCall'), Note: 'x'.repeat(40_000) }));

/** Every number a message states. */
const numbersIn = (text: string) => [...text.matchAll(/\d+(\.\d+)?/g)].map(([n]) => Number(n));

describe('bytesInWords', () => {
  it.each<[number, string]>([
    [1000, '1000 bytes'],
    [1024, '1024 bytes (1 KiB)'],
    [2048, '2048 bytes (2 KiB)'],
    [32_768, '32768 bytes (32 KiB)'],
    [40_000, '40000 bytes (39.1 KiB)'],
    [131_072, '131072 bytes (128 KiB)'],
    [10 * 1024 * 1024, '10485760 bytes (10 MiB)'],
  ])('%d → %p', (bytes, words) => {
    expect(bytesInWords(bytes)).toBe(words);
  });
});

describe('the size a request declares, when it can be believed', () => {
  it.each<[string, Record<string, string>, number | undefined]>([
    ['a Content-Length over the limit', { 'Content-Length': '40000' }, 40_000],
    ['in any case, with spaces', { 'content-length': ' 40000 ' }, 40_000],
    ['with Content-Encoding identity', { 'Content-Length': '40000', 'Content-Encoding': 'identity' }, 40_000],
    ['none (chunked)', { 'Transfer-Encoding': 'chunked' }, undefined],
    ['none at all', {}, undefined],
    [
      'overridden by Transfer-Encoding',
      { 'Content-Length': '40000', 'Transfer-Encoding': 'chunked' },
      undefined,
    ],
    ['of a compressed body', { 'Content-Length': '40000', 'Content-Encoding': 'gzip' }, undefined],
    ['within the limit, though more arrived', { 'Content-Length': String(LIMIT) }, undefined],
    ['not a number', { 'Content-Length': 'lots' }, undefined],
    ['a list', { 'Content-Length': '40000, 40000' }, undefined],
    ['negative', { 'Content-Length': '-40000' }, undefined],
    ['a fraction', { 'Content-Length': '40000.5' }, undefined],
  ])('%s', (_, headers, declared) => {
    expect(declaredBodyBytes(headers, LIMIT)).toBe(declared);
  });
});

describe('a 413', () => {
  it('states the limit, not the size of what reached the function (was: "The body is 2049 bytes")', async () => {
    const { send } = setup();
    const res = await send(cutAtTheFrontDoor(SENT), { 'Transfer-Encoding': 'chunked' });

    expect(res).toEqual({
      statusCode: 413,
      json: {
        status: 'rejected',
        reason: 'too-large',
        message: 'The body is over the limit of 2048 bytes (2 KiB)',
        limitBytes: 2048,
        requestId: 'req-1',
      },
    });
    expect(JSON.stringify(res.json)).not.toContain(String(LIMIT + 1));
  });

  it('states the size the request declares, when it can be believed', async () => {
    const { send } = setup();
    const res = await send(cutAtTheFrontDoor(SENT), { 'Content-Length': String(SENT.length) });

    expect(res.json.message).toBe(
      `The body is over the limit of 2048 bytes (2 KiB): its Content-Length is ${SENT.length} bytes (39.3 KiB)`,
    );
  });

  it.each<[string, Record<string, string>]>([
    ['a compressed body', { 'Content-Length': '5000', 'Content-Encoding': 'gzip' }],
    ['a Content-Length within the limit', { 'Content-Length': '100' }],
    ['a Content-Length that is no number', { 'Content-Length': 'unknown' }],
  ])('states no size for %s', async (_, headers) => {
    const { send } = setup();
    const res = await send(cutAtTheFrontDoor(SENT), headers);

    expect(res.json.message).toBe('The body is over the limit of 2048 bytes (2 KiB)');
  });

  it('a text body measured after decoding is not stated either', async () => {
    const { send } = setup();
    // Each U+FFFD is 3 bytes as UTF-8 where the sender may have sent 1: the measure is not the size sent.
    const res = await send(Buffer.from('\ufffd'.repeat(1000)), {}, false);

    expect(res.statusCode).toBe(413);
    expect(res.json.message).toBe('The body is over the limit of 2048 bytes (2 KiB)');
  });

  it('quarantines what it always did: the body cut at the limit, the bytes received, marked truncated', async () => {
    const { store, send } = setup();
    const received = cutAtTheFrontDoor(SENT);
    await send(received, { 'Content-Length': String(SENT.length) });

    expect(store.rejected).toEqual([
      expect.objectContaining({
        Reason: 'too-large',
        Issues: [
          {
            path: '',
            message: `Must be at most 2048 bytes (2 KiB): the request body (its Content-Length is ${SENT.length} bytes)`,
          },
        ],
        Body: received.toString('base64').slice(0, Math.ceil(LIMIT / 3) * 4),
        BodyEncoding: 'base64',
        BodyBytes: LIMIT + 1,
        Truncated: true,
      }),
    ]);
  });

  it('for any body over the limit and any headers, states only the limit and a believable declared size', async () => {
    const headers = fc.record(
      {
        'Content-Length': fc.oneof(fc.nat({ max: 1_000_000 }).map(String), fc.string({ maxLength: 8 })),
        'Content-Encoding': fc.constantFrom('gzip', 'identity', 'br'),
        'Transfer-Encoding': fc.constant('chunked'),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: LIMIT + 1, max: 3 * LIMIT }),
        fc.boolean(),
        headers,
        async (size, base64, sent) => {
          const { store, send } = setup();
          const res = await send(Buffer.alloc(size, 'x'), sent, base64);
          expect(res.statusCode).toBe(413);
          const declared = declaredBodyBytes(sent, LIMIT);
          const allowed = [
            LIMIT,
            2,
            ...(declared === undefined ? [] : [declared, Math.round((declared / 1024) * 10) / 10]),
          ];
          for (const n of numbersIn(String(res.json.message))) expect(allowed).toContain(n);
          expect(res.json.limitBytes).toBe(LIMIT);
          expect(store.rejected[0]).toMatchObject({ Truncated: true, BodyBytes: size });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the ingest’s own issues speak as the contract’s do', () => {
  it.each<[string, Buffer]>([
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
    ['over the limit', SENT],
  ])('%s', async (_, body) => {
    const { store, send } = setup();
    await send(body);
    for (const issue of store.rejected[0]?.Issues ?? []) {
      expect(issue.message).toMatch(/^(Required|Must be .+?|Must not .+?): the request body( \(.+\))?$/);
    }
    expect(store.rejected[0]?.Issues).toHaveLength(1);
  });
});
