/** The amoCRM stand-in answers as the amoCRM / Kommo v4 pages say (see its header for the sources). */
import { type AmoCrmStandIn, MAX_ENTRIES_PER_REQUEST, startAmoCrmStandIn } from '../support/amocrm-standin';

const TOKEN = 'long-lived-token';
const KNOWN = '+79161234567';
let crm: AmoCrmStandIn;

beforeEach(async () => {
  crm = await startAmoCrmStandIn({ token: TOKEN, knownPhones: [KNOWN] });
});
afterEach(() => crm.close());

const call = (fields: Record<string, unknown> = {}) => ({
  uniq: 'call-1',
  direction: 'inbound',
  phone: KNOWN,
  duration: 42,
  source: 'pbx',
  call_status: 4,
  created_at: 1_700_000_000,
  ...fields,
});

async function post(path: string, body: unknown, options: { token?: string; timeoutMs?: number } = {}) {
  const response = await fetch(`${crm.url}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${options.token ?? TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    ...(options.timeoutMs ? { signal: AbortSignal.timeout(options.timeoutMs) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

describe('amoCRM stand-in', () => {
  it('refuses a wrong token with 401 problem+json and adds nothing; setToken changes the token', async () => {
    const wrong = await post('/api/v4/calls', [call()], { token: 'other' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(wrong.body).toMatchObject({
      title: 'Unauthorized',
      type: 'https://httpstatus.es/401',
      status: 401,
    });
    expect(crm.calls).toHaveLength(0);

    crm.setToken('rotated');
    expect((await post('/api/v4/calls', [call()])).status).toBe(401);
    expect((await post('/api/v4/calls', [call()], { token: 'rotated' })).status).toBe(200);
  });

  it('adds a call to the contact with the phone (by its last 10 digits) and returns its ids', async () => {
    const answer = await post('/api/v4/calls', [call({ phone: '8 (916) 123-45-67', request_id: 'r1' })]);
    expect(answer.status).toBe(200);
    const added = answer.body._embedded.calls;
    expect(added).toEqual([
      expect.objectContaining({
        id: expect.any(Number),
        entity_id: expect.any(Number),
        entity_type: 'contacts',
        account_id: expect.any(Number),
        request_id: 'r1',
      }),
    ]);
    expect(crm.calls.map((c) => [c.id, c.entry.uniq])).toEqual([[added[0].id, 'call-1']]);
    expect(crm.requests).toEqual([
      expect.objectContaining({ method: 'POST', path: '/api/v4/calls', status: 200, entries: 1 }),
    ]);
  });

  it('does not add a call no card has the phone of: 400 with `errors` when none is added, 200 with both when some are', async () => {
    const none = await post('/api/v4/calls', [call({ phone: '+79990000000' })]);
    expect(none.status).toBe(400);
    expect(none.body).toEqual({
      _total_items: 0,
      errors: [{ title: 'Entity not found', status: 263, request_id: '0' }],
      _embedded: { calls: [] },
    });

    const mixed = await post('/api/v4/calls', [
      call({ uniq: 'a' }),
      call({ uniq: 'b', phone: '+79990000000' }),
    ]);
    expect(mixed.status).toBe(200);
    expect(mixed.body._embedded.calls.map((c: { request_id: string }) => c.request_id)).toEqual(['0']);
    expect(mixed.body.errors).toEqual([
      expect.objectContaining({ title: 'Entity not found', request_id: '1' }),
    ]);
    expect(crm.calls.map((c) => c.entry.uniq)).toEqual(['a']);
  });

  it('adds a repeated uniq again: the API does not de-duplicate calls', async () => {
    await post('/api/v4/calls', [call()]);
    await post('/api/v4/calls', [call()]);
    expect(crm.calls.map((c) => c.entry.uniq)).toEqual(['call-1', 'call-1']);
  });

  it('refuses an invalid batch whole with 400 validation-errors naming each entry and field', async () => {
    const { duration: _, ...noDuration } = call();
    const answer = await post('/api/v4/calls', [
      call({ uniq: 'fine' }),
      noDuration,
      call({ direction: 'sideways', call_status: 8, request_id: 'x' }),
    ]);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      title: 'Bad Request',
      status: 400,
      detail: 'Request validation failed',
    });
    const items = answer.body['validation-errors'];
    expect(items.map((i: { request_id: string }) => i.request_id)).toEqual(['1', 'x']);
    expect(items[0].errors).toEqual([expect.objectContaining({ code: 'FieldMissing', path: 'duration' })]);
    expect(items[1].errors.map((e: { path: string }) => e.path)).toEqual(['direction', 'call_status']);
    expect(crm.calls).toHaveLength(0);

    crm.refuseUniq('bad');
    expect((await post('/api/v4/calls', [call({ uniq: 'bad' })])).status).toBe(400);
    const tooMany = Array.from({ length: MAX_ENTRIES_PER_REQUEST + 1 }, (_, i) => call({ uniq: `u${i}` }));
    expect((await post('/api/v4/calls', tooMany)).status).toBe(400);
    expect(crm.calls).toHaveLength(0);
  });

  it('answers 429 to a request over 7 in a sliding second, and serves again a second later', async () => {
    const statuses = await Promise.all(Array.from({ length: 8 }, () => post('/api/v4/calls', [call()]))).then(
      (answers) => answers.map((a) => a.status),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(7);
    const limited = crm.requests.find((r) => r.status === 429);
    expect(limited).toBeDefined();
    expect(crm.calls).toHaveLength(7);

    await new Promise((resolve) => setTimeout(resolve, 1050));
    expect((await post('/api/v4/calls', [call()])).status).toBe(200);
  });

  it('failNext answers the next requests as told, then serves normally again', async () => {
    crm.failNext(1, 429);
    crm.failNext(1, 500);
    const limited = await post('/api/v4/calls', [call()]);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ status: 429, type: 'https://httpstatus.es/429' });
    expect(limited.headers.get('retry-after')).toBeNull();
    expect((await post('/api/v4/calls', [call()])).status).toBe(500);
    expect(crm.calls).toHaveLength(0);
    expect((await post('/api/v4/calls', [call()])).status).toBe(200);
    expect(crm.calls).toHaveLength(1);
  });

  it("failNext 'timeout' after applying adds the call but never answers; 'reset' cuts the connection", async () => {
    crm.failNext(1, 'timeout', { afterApplying: true });
    await expect(post('/api/v4/calls', [call({ uniq: 'slow' })], { timeoutMs: 300 })).rejects.toThrow();
    expect(crm.calls.map((c) => c.entry.uniq)).toEqual(['slow']);
    expect(crm.requests.at(-1)).toMatchObject({ status: 0 });

    crm.failNext(1, 'reset');
    await expect(post('/api/v4/calls', [call({ uniq: 'cut' })])).rejects.toThrow();
    expect(crm.calls.map((c) => c.entry.uniq)).toEqual(['slow']);
  });

  it('adds an incoming sip lead with its uid and lead and contact ids, and refuses the same source_uid again', async () => {
    const lead = {
      source_uid: 'session-1',
      source_name: 'pbx',
      created_at: 1_700_000_000,
      metadata: {
        is_call_event_needed: true,
        uniq: 'call-9',
        duration: 12,
        service_code: 'pbx',
        phone: '+79990000000',
        called_at: 1_700_000_000,
        from: '+79990000000',
      },
    };
    const answer = await post('/api/v4/leads/unsorted/sip', [lead]);
    expect(answer.status).toBe(200);
    const [unsorted] = answer.body._embedded.unsorted;
    expect(unsorted).toMatchObject({
      uid: expect.any(String),
      account_id: expect.any(Number),
      _embedded: { leads: [{ id: expect.any(Number) }], contacts: [{ id: expect.any(Number) }] },
    });
    expect(crm.leads.map((l) => l.uid)).toEqual([unsorted.uid]);

    const again = await post('/api/v4/leads/unsorted/sip', [lead]);
    expect(again.status).toBe(400);
    expect(again.body['validation-errors'][0].errors[0]).toMatchObject({ path: 'source_uid' });
    expect(crm.leads).toHaveLength(1);
  });
});
