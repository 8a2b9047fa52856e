/**
 * Where pseudonymous mode's key comes from outside a deployed function: local mode's (the
 * environment, else one generated under .local/ and kept), and the tools' (local mode's, or the
 * stack's secret with --aws).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pseudonymOf } from '../../lambda/shared/pseudonym';
import { keyOf, localPseudonymKey, PSEUDONYM_KEY_FILE } from '../../local/pseudonym-key';
import type { RuntimeFile } from '../../local/runtime-file';
import { pseudonymKeyFor, storedCustomer } from '../../scripts/lib/customer-key';

const KEY = 'k'.repeat(40);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pseudonym-key-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("local mode's key", () => {
  it('is generated once, readable by its owner alone, and the same at the next start', () => {
    const first = localPseudonymKey(dir, {});
    expect(first.source).toEqual({ from: 'file', path: join(dir, PSEUDONYM_KEY_FILE) });
    expect(first.key).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(dir, PSEUDONYM_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(localPseudonymKey(dir, {}).key).toBe(first.key);
    expect(keyOf(first.source, {})).toBe(first.key);
  });

  it('is CUSTOMER_NUMBER_KEY when set, and then no file is written', () => {
    expect(localPseudonymKey(dir, { CUSTOMER_NUMBER_KEY: KEY })).toEqual({
      key: KEY,
      source: { from: 'environment' },
    });
    expect(() => readFileSync(join(dir, PSEUDONYM_KEY_FILE))).toThrow();
    expect(keyOf({ from: 'environment' }, { CUSTOMER_NUMBER_KEY: KEY })).toBe(KEY);
    expect(() => keyOf({ from: 'environment' }, {})).toThrow(/set it for this command too/);
  });

  it('refuses a key too short to be one', () => {
    expect(() => localPseudonymKey(dir, { CUSTOMER_NUMBER_KEY: 'short' })).toThrow(
      /CUSTOMER_NUMBER_KEY must be at least 32 characters/,
    );
  });
});

describe("the tools' key", () => {
  const runtime = (pseudonymKey?: RuntimeFile['pseudonymKey']) => ({ pseudonymKey }) as RuntimeFile;
  const noSecret = async () => {
    throw new Error('not read');
  };

  it("is local mode's as its runtime file says, and none for a plain local mode", async () => {
    expect(
      await pseudonymKeyFor({}, runtime({ from: 'environment' }), { CUSTOMER_NUMBER_KEY: KEY }, () => true),
    ).toBe(KEY);
    expect(await pseudonymKeyFor({}, runtime(), {}, () => true, noSecret)).toBeUndefined();
  });

  it('with --aws, is read from the secret named, and none when the stack is plain', async () => {
    const read = jest.fn(async () => `${KEY}\n`);
    expect(await pseudonymKeyFor({ aws: true, keySecret: 'arn:key' }, undefined, {}, () => true, read)).toBe(
      KEY,
    );
    expect(read).toHaveBeenCalledWith('arn:key');
    expect(
      await pseudonymKeyFor(
        { aws: true },
        undefined,
        { CUSTOMER_NUMBER_KEY_SECRET_ARN: 'arn:env' },
        () => true,
        read,
      ),
    ).toBe(KEY);
    expect(await pseudonymKeyFor({ aws: true }, undefined, {}, () => false, noSecret)).toBeUndefined();
  });

  it('with --aws on a pseudonymous stack and no secret named, says what to pass', async () => {
    await expect(pseudonymKeyFor({ aws: true }, undefined, {}, () => true, noSecret)).rejects.toThrow(
      /pass --key-secret ARN \(the CustomerNumberKeySecretArn output\)/,
    );
  });

  it('turns the number typed into what the tables key the customer by', () => {
    expect(storedCustomer('8 (916) 123-45-67', 'RU', undefined)).toEqual({
      number: '+79161234567',
      key: '+79161234567',
    });
    const pseudonym = pseudonymOf('+79161234567', KEY);
    expect(storedCustomer('9161234567', 'RU', KEY)).toEqual({
      number: '+79161234567',
      pseudonym,
      key: pseudonym,
    });
  });
});
