import { SPEC_EXAMPLES, specExamplePayload } from '../../lambda/contract/spec-examples';
import { sha256 } from '../../lambda/ingest/auth';
import { toHttpResponse } from '../../lambda/ingest/http';
import { type IngestDeps, ingestCallEvent, type WebhookRequest } from '../../lambda/ingest/ingest-call-event';
import { StorageUnavailableError, UnstorableEventError } from '../../lambda/ingest/store';
import { MemoryStore } from '../support/memory-store';

const TOKEN = 'correct-horse-battery-staple-0123456789';
const MISSED = specExamplePayload('MissedIncCall');

function request(body: string | null, overrides: Partial<WebhookRequest> = {}): WebhookRequest {
  return {
    body,
    isBase64Encoded: false,
    headers: { 'X-Webhook-Token': TOKEN },
    query: null,
    requestId: 'req-1',
    sourceIp: '198.51.100.7',
    ...overrides,
  };
}

function setup(overrides: Partial<IngestDeps> = {}) {
  const store = new MemoryStore();
  const deps: IngestDeps = {
    config: { timeZone: 'Europe/Moscow', maxBodyBytes: 2048, rejectedRetentionDays: 90 },
    store,
    expectedTokenSha256: async () => sha256(TOKEN),
    now: () => new Date('2021-01-28T15:35:00.123Z'),
    ...overrides,
  };
  const send = async (req: WebhookRequest) => {
    const response = toHttpResponse(await ingestCallEvent(req, deps));
    return { ...response, json: JSON.parse(response.body) as Record<string, unknown> };
  };
  return { store, deps, send };
}

describe('the webhook HTTP behaviour', () => {
  it('accepts a valid new event: 200 accepted with its EventKey, one item stored', async () => {
    const { store, send } = setup();
    const res = await send(request(JSON.stringify(MISSED)));

    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({
      status: 'accepted',
      sessionId: MISSED.SessionID,
      eventKey: expect.stringMatching(/^2021-01-28T15:34:51Z#05#MissedIncCall#[0-9a-f]{8}$/),
    });
    expect(store.events.size).toBe(1);
    const [item] = [...store.events.values()];
    expect(item).toMatchObject({
      SessionID: MISSED.SessionID,
      EventKey: res.json.eventKey,
      EventTime: '2021-01-28T15:34:51Z',
      ResultText: 'Call cancelled',
      ReceivedAt: '2021-01-28T15:35:00.123Z',
      RawBody: JSON.stringify(MISSED),
    });
    expect(store.rejected).toHaveLength(0);
  });

  it('answers an exact re-delivery with 200 duplicate and stores nothing new', async () => {
    const { store, send } = setup();
    const first = await send(request(JSON.stringify(MISSED)));
    // Same event, keys reordered and re-spaced, ResultCode as sent by another serialiser.
    const again = await send(request(JSON.stringify({ ...MISSED, Duration: '0' }, null, 2)));

    expect(again.statusCode).toBe(200);
    expect(again.json).toEqual({
      status: 'duplicate',
      sessionId: MISSED.SessionID,
      eventKey: first.json.eventKey,
    });
    expect(store.events.size).toBe(1);
  });

  it('rejects a contract violation with 400 and the list of issues, and quarantines the body', async () => {
    const { store, send } = setup();
    const body = JSON.stringify({ ...MISSED, EndTime: '2021-02-30 10:00:00', Duration: -5 });
    const res = await send(request(body));

    expect(res.statusCode).toBe(400);
    expect(res.json).toMatchObject({ status: 'rejected', reason: 'contract', requestId: 'req-1' });
    expect(res.json.issues).toEqual([
      { path: 'EndTime', message: "Must be a real calendar date and time: EndTime, the call's end" },
      {
        path: 'Duration',
        message: 'Must be at least 0: Duration, the conversation length in seconds (got -5)',
      },
    ]);
    expect(store.events.size).toBe(0);
    expect(store.rejected).toEqual([
      expect.objectContaining({
        RejectedOn: '2021-01-28',
        RejectedKey: '2021-01-28T15:35:00.123Z#req-1',
        Reason: 'contract',
        Body: body,
        BodyEncoding: 'utf8',
        BodyBytes: Buffer.byteLength(body),
        Truncated: false,
        HookType: 'MissedIncCall',
        SessionID: MISSED.SessionID,
        SourceIp: '198.51.100.7',
        ExpiresAt: Math.floor(Date.parse('2021-01-28T15:35:00.123Z') / 1000) + 90 * 86_400,
      }),
    ]);
  });

  it.each([
    ['not JSON', '{"SessionID": "a",', 'invalid-json'],
    ['an empty body', '', 'invalid-json'],
    ['a JSON array', '[1,2]', 'contract'],
    ['an unknown HookType', JSON.stringify({ ...MISSED, HookType: 'TransferIncCall' }), 'contract'],
  ])('rejects %s with 400 and quarantines it', async (_name, body, reason) => {
    const { store, send } = setup();
    const res = await send(request(body));

    expect(res.statusCode).toBe(400);
    expect(res.json.reason).toBe(reason);
    expect((res.json.issues as unknown[]).length).toBeGreaterThan(0);
    expect(store.rejected).toHaveLength(1);
    expect(store.rejected[0]?.Body).toBe(body);
  });

  it('rejects a body that is not UTF-8 and keeps its bytes as base64', async () => {
    const { store, send } = setup();
    const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const res = await send(request(bytes.toString('base64'), { isBase64Encoded: true }));

    expect(res.statusCode).toBe(400);
    expect(res.json.reason).toBe('invalid-encoding');
    expect(store.rejected[0]).toMatchObject({
      BodyEncoding: 'base64',
      Body: bytes.toString('base64'),
      BodyBytes: 4,
    });
  });

  it('accepts a base64-encoded JSON body', async () => {
    const { store, send } = setup();
    const res = await send(
      request(Buffer.from(JSON.stringify(MISSED)).toString('base64'), { isBase64Encoded: true }),
    );

    expect(res.statusCode).toBe(200);
    expect([...store.events.values()][0]?.RawBody).toBe(JSON.stringify(MISSED));
  });

  it('answers 413 past the size limit and quarantines the body cut at the limit', async () => {
    const { store, send } = setup();
    const body = JSON.stringify({ ...MISSED, Note: 'x'.repeat(5000) });
    const res = await send(request(body));

    expect(res.statusCode).toBe(413);
    expect(res.json).toEqual({
      status: 'rejected',
      reason: 'too-large',
      message: 'The body is over the limit of 2048 bytes (2 KiB)',
      limitBytes: 2048,
      requestId: 'req-1',
    });
    expect(store.events.size).toBe(0);
    expect(store.rejected).toEqual([
      expect.objectContaining({
        Reason: 'too-large',
        Issues: [{ path: '', message: 'Must be at most 2048 bytes (2 KiB): the request body' }],
        Body: body.slice(0, 2048),
        BodyBytes: Buffer.byteLength(body),
        Truncated: true,
      }),
    ]);
  });

  it.each([
    ['no token', {}],
    ['a wrong token in the header', { 'X-Webhook-Token': 'wrong' }],
    ['the token with a suffix', { 'X-Webhook-Token': `${TOKEN}x` }],
    ['a wrong bearer token', { Authorization: 'Bearer nope' }],
    ['the token in the wrong scheme', { Authorization: `Basic ${TOKEN}` }],
  ])('answers 401 with no detail for %s, and stores nothing', async (_name, headers) => {
    const { store, send } = setup();
    const res = await send(request(JSON.stringify(MISSED), { headers }));

    expect(res.statusCode).toBe(401);
    expect(res.json).toEqual({ message: 'Unauthorized' });
    expect(store.events.size + store.rejected.length).toBe(0);
  });

  it('checks the token before the size limit: a large unauthenticated body is not stored', async () => {
    const { store, send } = setup();
    const res = await send(request('x'.repeat(10_000), { headers: {} }));

    expect(res.statusCode).toBe(401);
    expect(store.rejected).toHaveLength(0);
  });

  it.each([
    ['X-Webhook-Token header (any case)', { headers: { 'x-webhook-token': TOKEN } }],
    ['Authorization: Bearer', { headers: { Authorization: `Bearer ${TOKEN}` } }],
    ['?token= query parameter', { headers: {}, query: { token: TOKEN } }],
  ])('accepts the token in the %s', async (_name, overrides) => {
    const { send } = setup();
    const res = await send(request(JSON.stringify(MISSED), overrides));

    expect(res.statusCode).toBe(200);
  });

  it('answers 503 with Retry-After when the table is unavailable, and stores nothing', async () => {
    const store = new MemoryStore();
    store.putCallEvent = async () => {
      throw new StorageUnavailableError('throttled');
    };
    const { send } = setup({ store });
    const res = await send(request(JSON.stringify(MISSED)));

    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(store.events.size + store.rejected.length).toBe(0);
  });

  it('answers 503 when the quarantine cannot be written, so the provider retries the invalid body', async () => {
    const store = new MemoryStore();
    store.putRejected = async () => {
      throw new StorageUnavailableError('down');
    };
    const { send } = setup({ store });

    expect((await send(request('{oops'))).statusCode).toBe(503);
  });

  it('answers 503 when the expected token cannot be read', async () => {
    const { send } = setup({
      expectedTokenSha256: async () => {
        throw new Error('Secrets Manager unreachable');
      },
    });

    expect((await send(request(JSON.stringify(MISSED)))).statusCode).toBe(503);
  });

  it('quarantines an event that DynamoDB refuses as an item, with 400', async () => {
    const store = new MemoryStore();
    store.putCallEvent = async () => {
      throw new UnstorableEventError('ValidationException');
    };
    const { send } = setup({ store });
    const res = await send(request(JSON.stringify(MISSED)));

    expect(res.statusCode).toBe(400);
    expect(res.json.reason).toBe('unstorable');
    expect(store.rejected[0]?.Reason).toBe('unstorable');
  });

  it('sets ExpiresAt on stored events only when a retention is configured', async () => {
    const kept = setup();
    await kept.send(request(JSON.stringify(MISSED)));
    expect([...kept.store.events.values()][0]?.ExpiresAt).toBeUndefined();

    const expiring = setup({ config: { timeZone: 'Europe/Moscow', maxBodyBytes: 2048, retentionDays: 30 } });
    await expiring.send(request(JSON.stringify(MISSED)));
    expect([...expiring.store.events.values()][0]?.ExpiresAt).toBe(
      Math.floor(Date.parse('2021-01-28T15:35:00.123Z') / 1000) + 30 * 86_400,
    );
  });

  it('reads the provider times in the configured zone', async () => {
    const { store, send } = setup({ config: { timeZone: 'Asia/Vladivostok', maxBodyBytes: 2048 } });
    await send(request(JSON.stringify(MISSED)));

    expect([...store.events.values()][0]?.EventTime).toBe('2021-01-28T08:34:51Z');
  });
});

describe('real traffic is never quarantined for a technicality', () => {
  const END_OUT = specExamplePayload('EndOutCall');

  it.each<[string, Record<string, unknown>, string[]]>([
    [
      'null in optional fields',
      { ...MISSED, Called: null, ResultCode: null, StartTime: null },
      ['Called', 'ResultCode', 'StartTime'],
    ],
    ['"" in an optional time', { ...MISSED, StartTime: '' }, ['StartTime']],
    [
      'null Duration and "" StartTime on EndOutCall',
      { ...END_OUT, Duration: null, StartTime: '' },
      ['Duration', 'StartTime'],
    ],
  ])('%s: 200, stored without the field, RawBody as sent', async (_, body, absent) => {
    const { store, send } = setup();
    const res = await send(request(JSON.stringify(body)));
    expect(res.statusCode).toBe(200);
    expect(res.json.status).toBe('accepted');
    const [item] = stored(store);
    for (const field of absent) expect(item).not.toHaveProperty(field);
    expect(item?.RawBody).toBe(JSON.stringify(body));
    expect(store.rejected).toHaveLength(0);
  });

  it('null or "" in a required field is still 400, with the path, and quarantined', async () => {
    const { store, send } = setup();
    const nullCaller = await send(request(JSON.stringify({ ...MISSED, Caller: null })));
    const emptyEnd = await send(request(JSON.stringify({ ...MISSED, EndTime: '' })));
    expect(nullCaller.statusCode).toBe(400);
    expect(nullCaller.json.issues).toEqual([
      { path: 'Caller', message: 'Required: Caller, the calling party (got null)' },
    ]);
    expect(emptyEnd.statusCode).toBe(400);
    expect((emptyEnd.json.issues as { path: string }[]).map((i) => i.path)).toContain('EndTime');
    expect(store.rejected).toHaveLength(2);
    expect(store.events.size).toBe(0);
  });

  it('EndOutCall with EndTime and no StartTime: 200, its time is EndTime; with neither: 400', async () => {
    const { store, send } = setup();
    const { StartTime: _, ...noStart } = END_OUT;
    const ok = await send(request(JSON.stringify(noStart)));
    expect(ok.statusCode).toBe(200);
    expect(ok.json.eventKey).toMatch(/^2021-01-28T12:02:19Z#05#EndOutCall#[0-9a-f]{8}$/);
    const { EndTime: __, ...neither } = noStart;
    const bad = await send(request(JSON.stringify(neither)));
    expect(bad.statusCode).toBe(400);
    expect(bad.json.issues).toEqual([
      { path: 'EndTime', message: "Required: EndTime, the call's end, or StartTime, the call's start" },
    ]);
    expect(store.events.size).toBe(1);
  });

  it('fields named like the service’s: 200, kept in ProviderFields, the service’s own attributes authoritative', async () => {
    const { store, send } = setup({
      config: { timeZone: 'Europe/Moscow', maxBodyBytes: 2048, retentionDays: 30 },
    });
    const forged = {
      Direction: 'outgoing',
      EventTime: '1999-01-01T00:00:00Z',
      ResultText: 'Whatever',
      ReceivedAt: 'yesterday',
      EventKey: 'x',
      EventId: 'y',
      ExpiresAt: 1,
    };
    const res = await send(request(JSON.stringify({ ...MISSED, ...forged })));
    expect(res.statusCode).toBe(200);
    const [item] = stored(store);
    expect(item).toMatchObject({
      Direction: 'incoming',
      EventTime: '2021-01-28T15:34:51Z',
      ResultText: 'Call cancelled',
      ReceivedAt: '2021-01-28T15:35:00.123Z',
      EventKey: res.json.eventKey,
      ExpiresAt: Math.floor(Date.parse('2021-01-28T15:35:00.123Z') / 1000) + 30 * 86_400,
      ProviderFields: forged,
    });
    // The same event without those fields is the same event.
    const again = await send(request(JSON.stringify(MISSED)));
    expect(again.json).toMatchObject({ status: 'duplicate', eventKey: res.json.eventKey });
  });

  it('a UTF-8 byte-order mark before the JSON: 200, RawBody keeps it (text and base64 bodies)', async () => {
    const { store, send } = setup();
    const body = `\uFEFF${SPEC_EXAMPLES.MissedIncCall}`;
    const res = await send(request(body));
    expect(res.statusCode).toBe(200);
    expect(stored(store)[0]?.RawBody).toBe(body);

    const other = setup();
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SPEC_EXAMPLES.EndIncCall)]);
    const encoded = await other.send(request(bytes.toString('base64'), { isBase64Encoded: true }));
    expect(encoded.statusCode).toBe(200);
    expect(stored(other.store)[0]?.RawBody).toBe(`\uFEFF${SPEC_EXAMPLES.EndIncCall}`);
  });

  it('a BOM alone, or before something that is not JSON, is still invalid JSON', async () => {
    const { send } = setup();
    for (const body of ['\uFEFF', '\uFEFF\uFEFF{}', '\uFEFFnope']) {
      const res = await send(request(body));
      expect([res.statusCode, res.json.reason]).toEqual([400, 'invalid-json']);
    }
  });
});

describe('what counts as the same event', () => {
  it('a re-send that differs only in fields the spec does not define is a duplicate; the first copy wins', async () => {
    const { store, send } = setup();
    const first = await send(request(JSON.stringify({ ...MISSED, DeliveryAttempt: 1, SentAt: '18:34:52' })));
    const second = await send(
      request(JSON.stringify({ ...MISSED, DeliveryAttempt: 2, SentAt: '18:35:52', Note: null })),
    );
    const third = await send(request(JSON.stringify({ ...MISSED, Duration: '0', ResultCode: '603-S' })));
    expect(first.json.status).toBe('accepted');
    expect(second.json).toEqual({ ...first.json, status: 'duplicate' });
    expect(third.json).toEqual({ ...first.json, status: 'duplicate' });
    expect(store.events.size).toBe(1);
    expect(stored(store)[0]).toMatchObject({ DeliveryAttempt: 1, SentAt: '18:34:52', Called: MISSED.Called });
  });

  it('null in an optional spec field is the same event as the field absent, not as the field sent', async () => {
    const { store, send } = setup();
    const { Called: _, ...noCalled } = MISSED;
    await send(request(JSON.stringify(noCalled)));
    const withNull = await send(request(JSON.stringify({ ...MISSED, Called: null })));
    const withCalled = await send(request(JSON.stringify(MISSED)));
    expect([withNull.json.status, withCalled.json.status]).toEqual(['duplicate', 'accepted']);
    expect(store.events.size).toBe(2);
  });

  it('a change in a spec field is another event', async () => {
    const { store, send } = setup();
    await send(request(JSON.stringify(MISSED)));
    const other = await send(request(JSON.stringify({ ...MISSED, Called: '0000000000' })));
    expect(other.json.status).toBe('accepted');
    expect(store.events.size).toBe(2);
  });
});

const stored = (store: MemoryStore) => [...store.events.values()];
