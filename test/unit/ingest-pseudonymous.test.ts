/**
 * The ingest in pseudonymous mode: whatever becomes of a body (stored, quarantined as invalid JSON,
 * as failing the contract, cut at the size limit, not UTF-8), no item and no answer holds the
 * customer's number; the stored event carries its masked form; a key that cannot be read is a 503
 * tried again at the next request.
 */
import { sha256 } from '../../lambda/ingest/auth';
import { customerNumberRewriter } from '../../lambda/ingest/customer-numbers';
import { toHttpResponse } from '../../lambda/ingest/http';
import { type IngestDeps, ingestCallEvent, type WebhookRequest } from '../../lambda/ingest/ingest-call-event';
import { pseudonymOf } from '../../lambda/shared/pseudonym';
import { MemoryStore } from '../support/memory-store';
import { holdsNumber } from '../support/personal-data';

const TOKEN = 'correct-horse-battery-staple-0123456789';
const KEY = 'a-test-key-of-forty-characters-0123456789';
const CUSTOMER = '+79161234567';
const P = pseudonymOf(CUSTOMER, KEY);

const body = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    SessionID: 'c0ffee00-0000-4000-8000-000000000001',
    HookType: 'MissedIncCall',
    EndTime: '2021-01-28 14:16:02',
    Duration: '0',
    ResultCode: '304',
    CityNumber: '4950665310',
    Caller: '8 (916) 123-45-67',
    Called: '801',
    ...fields,
  });

function setup(readSecret: (arn: string) => Promise<string> = async () => KEY) {
  const store = new MemoryStore();
  const deps: IngestDeps = {
    config: { timeZone: 'Europe/Moscow', maxBodyBytes: 1024, rejectedRetentionDays: 90 },
    store,
    expectedTokenSha256: async () => sha256(TOKEN),
    pseudonymizer: customerNumberRewriter(
      { key: { secretArn: 'arn:key' }, defaultCountry: 'RU' },
      readSecret,
    ),
    now: () => new Date('2021-01-28T15:35:00.123Z'),
  };
  const send = async (text: string, overrides: Partial<WebhookRequest> = {}) =>
    toHttpResponse(
      await ingestCallEvent(
        {
          body: text,
          isBase64Encoded: false,
          headers: { 'X-Webhook-Token': TOKEN },
          query: null,
          requestId: 'req-1',
          ...overrides,
        },
        deps,
      ),
    );
  const everything = (answers: string[]) =>
    JSON.stringify({ events: [...store.events.values()], rejected: store.rejected, answers });
  return { store, send, everything };
}

describe('the ingest in pseudonymous mode', () => {
  it('stores the event with the pseudonym in its field and RawBody, and the masked form beside it', async () => {
    const { store, send, everything } = setup();
    const res = await send(body());
    expect(res.statusCode).toBe(200);
    const [item] = [...store.events.values()];
    expect(item).toMatchObject({ Caller: P, Called: '801', CityNumber: '4950665310' });
    expect(item?.CustomerNumberMasked).toBe('+7 916 ***-**-67');
    expect(JSON.parse(item?.RawBody ?? '').Caller).toBe(P);
    expect(holdsNumber(everything([res.body]), CUSTOMER)).toBe(false);
  });

  it('gives a re-send of the same event in another format the same EventKey: one item', async () => {
    const { store, send } = setup();
    await send(body());
    const again = await send(body({ Caller: '89161234567' }));
    expect(JSON.parse(again.body).status).toBe('duplicate');
    expect(store.events.size).toBe(1);
  });

  it.each([
    ['invalid JSON (the parser quotes the body)', body().replace(/}$/, ',}')],
    ['a body failing the contract', body({ EndTime: 'yesterday' })],
    ['an unknown HookType', body({ HookType: 'TransferIncCall' })],
  ])('quarantines %s with the number replaced, in the body, the issues and the answer', async (_, text) => {
    const { store, send, everything } = setup();
    const res = await send(text);
    expect(res.statusCode).toBe(400);
    expect(store.rejected).toHaveLength(1);
    expect(store.rejected[0]?.Body).toContain(P);
    expect(holdsNumber(everything([res.body]), CUSTOMER)).toBe(false);
  });

  it('keeps the masked form with a quarantined event that failed the contract, for its requeue', async () => {
    const { store, send } = setup();
    await send(body({ EndTime: 'yesterday' }));
    expect(store.rejected[0]?.CustomerNumberMasked).toBe('+7 916 ***-**-67');
  });

  it('quarantines a body over the limit, cut, with no part of the number', async () => {
    const { store, send, everything } = setup();
    const text = body({ Padding: 'x'.repeat(1024 - 40) }).replace(
      /"Padding"/,
      '"Note":"89161234567","Padding"',
    );
    const res = await send(text);
    expect(res.statusCode).toBe(413);
    expect(store.rejected[0]?.Truncated).toBe(true);
    expect(holdsNumber(everything([res.body]), CUSTOMER)).toBe(false);
  });

  it('quarantines a body that is not UTF-8 byte for byte, but the number', async () => {
    const { store, send } = setup();
    const bytes = Buffer.concat([
      Buffer.from(body().replace(/}$/, ',"Name":"')),
      Buffer.from([0xcf, 0xf0]),
      Buffer.from('"}'),
    ]);
    const res = await send(bytes.toString('base64'), { isBase64Encoded: true });
    expect(res.statusCode).toBe(400);
    const kept = Buffer.from(store.rejected[0]?.Body ?? '', 'base64');
    expect(holdsNumber(kept.toString('latin1'), CUSTOMER)).toBe(false);
    expect(kept.subarray(-4).equals(Buffer.from([0xcf, 0xf0, 0x22, 0x7d]))).toBe(true);
  });

  it('answers 503 while the key cannot be read, stores nothing, and reads it again at the next request', async () => {
    let reads = 0;
    const { store, send } = setup(async () => {
      reads++;
      if (reads === 1) throw new Error('AccessDeniedException');
      return KEY;
    });
    expect((await send(body())).statusCode).toBe(503);
    expect(store.events.size + store.rejected.length).toBe(0);
    expect((await send(body())).statusCode).toBe(200);
    expect((await send(body({ EndTime: '2021-01-28 14:16:03' }))).statusCode).toBe(200);
    expect(reads).toBe(2);
  });

  it('refuses a key too short to be one (503, nothing stored)', async () => {
    const { store, send } = setup(async () => 'short');
    expect((await send(body())).statusCode).toBe(503);
    expect(store.events.size).toBe(0);
  });
});
