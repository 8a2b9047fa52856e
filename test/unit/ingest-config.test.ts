import { createHash } from 'node:crypto';
import { readIngestConfig } from '../../lambda/ingest/config';
import { tokenHashSource } from '../../lambda/ingest/token-source';

const HASH = createHash('sha256').update('tok').digest('hex');
const BASE = { CALL_EVENTS_TABLE: 'A', REJECTED_EVENTS_TABLE: 'B' };

describe('ingest configuration', () => {
  it('applies the defaults', () => {
    expect(readIngestConfig({ ...BASE, WEBHOOK_TOKEN_SHA256: HASH })).toEqual({
      tables: { callEvents: 'A', rejectedEvents: 'B' },
      token: { sha256: Buffer.from(HASH, 'hex') },
      timeZone: 'Europe/Moscow',
      maxBodyBytes: 32_768,
      retentionDays: undefined,
      rejectedRetentionDays: 90,
    });
  });

  it('refuses to start without any token source: the webhook is never open', () => {
    expect(() => readIngestConfig(BASE)).toThrow(/WEBHOOK_TOKEN_SHA256 or WEBHOOK_TOKEN_SECRET_ARN/);
  });

  it.each([
    [{ WEBHOOK_TOKEN_SHA256: 'abc' }, /WEBHOOK_TOKEN_SHA256: .*64 hexadecimal/],
    [
      { WEBHOOK_TOKEN_SHA256: HASH, CALL_TIME_ZONE: 'Mars/Olympus' },
      /CALL_TIME_ZONE: unknown IANA time zone/,
    ],
    [
      { WEBHOOK_TOKEN_SHA256: HASH, MAX_BODY_BYTES: '10' },
      /MAX_BODY_BYTES: must be an integer from 1024 to 131072/,
    ],
    [{ WEBHOOK_TOKEN_SHA256: HASH, CALL_EVENTS_RETENTION_DAYS: '-1' }, /CALL_EVENTS_RETENTION_DAYS/],
    [{ WEBHOOK_TOKEN_SHA256: HASH, CALL_EVENTS_TABLE: '' }, /CALL_EVENTS_TABLE is required/],
  ])('fails fast naming the variable: %j', (env, message) => {
    expect(() => readIngestConfig({ ...BASE, ...env })).toThrow(message);
  });
});

describe('token hash source', () => {
  it('reads the secret once, hashes it, and refreshes it after five minutes', async () => {
    let now = 0;
    const reads: string[] = [];
    const secrets = ['first', 'second'];
    const source = tokenHashSource(
      { secretArn: 'arn:secret' },
      async (arn) => {
        reads.push(arn);
        return secrets[reads.length - 1] ?? '';
      },
      () => now,
    );

    const sha = (s: string) => createHash('sha256').update(s).digest();
    expect(await source()).toEqual(sha('first'));
    expect(await source()).toEqual(sha('first'));
    now = 5 * 60_000 + 1;
    expect(await source()).toEqual(sha('second'));
    expect(reads).toEqual(['arn:secret', 'arn:secret']);
  });

  it('does not cache a failed read: the next request tries again', async () => {
    let calls = 0;
    const source = tokenHashSource({ secretArn: 'arn' }, async () => {
      calls += 1;
      if (calls === 1) throw new Error('unreachable');
      return 'tok';
    });

    await expect(source()).rejects.toThrow('unreachable');
    expect((await source()).toString('hex')).toBe(HASH);
  });
});
