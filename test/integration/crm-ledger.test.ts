/**
 * The CRM delivery's ledger and rate limiter on DynamoDB Local, whose conditions they rely on:
 * of concurrent claims of a call one wins; a later completion is recorded once however often it
 * comes; a refused call is claimed again only by a redelivery; and requests from several
 * invocations at once never exceed the limit in any one-second window.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeliveryLedger } from '../../lambda/crm/ledger';
import { slotRateLimiter } from '../../lambda/crm/rate-limit';
import { createLedgerTable } from '../support/ledger-table';

const client = new DynamoDBClient({});
const doc = DynamoDBDocumentClient.from(client);
const TABLE = `CrmLedger-${process.pid}`;
const now = new Date('2026-12-03T10:00:00Z');

beforeAll(async () => {
  await createLedgerTable(client, TABLE);
});
afterAll(() => client.destroy());

describe('the delivery ledger', () => {
  const ledger = new DeliveryLedger(doc, TABLE, 'amocrm');

  it('keeps what an attempt got as far as when a redelivery claims a refused call anew', async () => {
    const bitrix = new DeliveryLedger(doc, TABLE, 'bitrix24');
    await bitrix.claim('reclaimed', 'reclaimed/CallCompleted/answered', 'answered', now);
    await bitrix.registered('reclaimed', { kind: 'call', CALL_ID: 'externalCall.1' });
    await bitrix.refused('reclaimed', 'ERROR_CORE: User is not found or is not active', now);
    const again = await bitrix.claim('reclaimed', 'reclaimed/CallCompleted/answered', 'answered', now, {
      refused: true,
    });
    expect(again.claimed).toBe(true);
    expect(again.item).toMatchObject({
      State: 'sending',
      Phase: 'registered',
      CrmIds: { CALL_ID: 'externalCall.1' },
    });
    expect(again.item).not.toHaveProperty('Reason');
  });

  it('lets one of ten concurrent claims of a call win; the others see its claim', async () => {
    const claims = await Promise.all(
      Array.from({ length: 10 }, () => ledger.claim('race', 'race/CallCompleted/answered', 'answered', now)),
    );
    expect(claims.filter((c) => c.claimed)).toHaveLength(1);
    for (const c of claims.filter((x) => !x.claimed)) expect(c.item).toMatchObject({ State: 'sending' });
  });

  it('keeps the first delivery, and records a later completion once however often it arrives', async () => {
    await ledger.claim('later', 'later/CallCompleted/missed', 'missed', now);
    await ledger.delivered('later', { kind: 'call', id: 7 }, now);
    const later = {
      EventId: 'later/CallCompleted/answered',
      Outcome: 'answered',
      ReceivedAt: now.toISOString(),
    };
    await Promise.all([ledger.recordLater('later', later), ledger.recordLater('later', later)]);
    await ledger.recordLater('later', later);
    const item = await ledger.get('later');
    expect(item).toMatchObject({
      State: 'delivered',
      EventId: 'later/CallCompleted/missed',
      CrmIds: { kind: 'call', id: 7 },
    });
    expect(item?.Later).toEqual([later]);
    // Nothing overwrites a delivery.
    await expect(ledger.refused('later', 'x', now)).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
  });

  it('claims a refused call again only for a redelivery', async () => {
    await ledger.claim('refused', 'refused/CallCompleted/busy', 'busy', now);
    await ledger.refused('refused', 'NotSupportedChoice phone', now);
    expect((await ledger.claim('refused', 'refused/CallCompleted/busy', 'busy', now)).claimed).toBe(false);
    const again = await ledger.claim('refused', 'refused/CallCompleted/busy', 'busy', now, { refused: true });
    expect(again).toMatchObject({ claimed: true, item: { State: 'sending' } });
  });
});

describe('the rate limiter', () => {
  it('lets at most 7 requests through in any second, from three invocations at once', async () => {
    const sent: number[] = [];
    const invocation = async () => {
      const limiter = slotRateLimiter({
        client: doc,
        table: TABLE,
        key: `limit-${process.pid}`,
        perSecond: 7,
      });
      for (let i = 0; i < 8; i++) {
        await limiter.take();
        sent.push(Date.now());
      }
    };
    const began = Date.now();
    await Promise.all([invocation(), invocation(), invocation()]);
    sent.sort((a, b) => a - b);
    let most = 0;
    for (let i = 0; i < sent.length; i++) {
      const within = sent.filter((t) => t >= (sent[i] as number) && t < (sent[i] as number) + 1000).length;
      most = Math.max(most, within);
    }
    expect(sent).toHaveLength(24);
    expect(most).toBeLessThanOrEqual(7);
    // And it does not crawl: 24 requests at ~6.7 a second take about 3.5 s.
    expect(Date.now() - began).toBeLessThan(8_000);
  });
});
