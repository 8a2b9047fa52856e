import { App } from 'aws-cdk-lib';
import { MAX_BODY_BYTES_LIMIT, SETTINGS, type SettingName } from '../../lambda/config/settings';
import { readSetting } from '../../lambda/shared/env';
import { CONFIG_KEYS, ConfigError, parseConfig, readConfig } from '../../lib/config';

const HASH = 'a'.repeat(64);

describe('parseConfig', () => {
  it('fills every default when nothing is configured', () => {
    expect(parseConfig({})).toStrictEqual({
      timeZone: SETTINGS.timeZone.default,
      eventSource: SETTINGS.eventSource.default,
      rejectedRetentionDays: SETTINGS.rejectedRetentionDays.default,
      maxBodyBytes: SETTINGS.maxBodyBytes.default,
      defaultCountry: SETTINGS.defaultCountry.default,
      callbackWindowHours: SETTINGS.callbackWindowHours.default,
      stuckCallAfterMinutes: SETTINGS.stuckCallAfterMinutes.default,
      throttlingRateLimit: 50,
      throttlingBurstLimit: 100,
      archiveRetentionDays: 365,
      customerNumbers: 'plain',
      tracing: false,
      logLevel: 'INFO',
    });
  });

  it('reads tracing as a boolean, from cdk.json or `-c tracing=true`', () => {
    expect(parseConfig({ tracing: true }).tracing).toBe(true);
    expect(parseConfig({ tracing: 'true' }).tracing).toBe(true);
    expect(parseConfig({ tracing: 'false' }).tracing).toBe(false);
    expect(() => parseConfig({ tracing: 'yes' })).toThrow(/Invalid context "tracing"/);
  });

  it("keeps customers' numbers plain or pseudonymous, and nothing else", () => {
    expect(parseConfig({ customerNumbers: 'pseudonymous' }).customerNumbers).toBe('pseudonymous');
    expect(() => parseConfig({ customerNumbers: 'hashed' })).toThrow(
      /Invalid context "customerNumbers": must be one of plain, pseudonymous/,
    );
  });

  it('refuses pseudonymous mode with a CRM, and says why', () => {
    const crm = { crm: 'amocrm', crmUrl: 'https://example.amocrm.ru' };
    expect(() => parseConfig({ ...crm, customerNumbers: 'pseudonymous' })).toThrow(
      /Invalid context "customerNumbers": cannot be pseudonymous with crm=amocrm: the CRM finds or creates the customer's contact by their number/,
    );
    expect(parseConfig({ ...crm, customerNumbers: 'plain' }).crm).toBe('amocrm');
  });

  it('coerces the strings that `-c key=value` passes', () => {
    expect(
      parseConfig({
        retentionDays: '30',
        rejectedRetentionDays: '7',
        maxBodyBytes: '65536',
        throttlingRateLimit: '2.5',
        throttlingBurstLimit: '10',
        archiveRetentionDays: '0',
        allowedSourceIps: ' 203.0.113.0/24, 2001:db8::/32 ,198.51.100.7',
        webhookTokenSha256: HASH.toUpperCase(),
      }),
    ).toMatchObject({
      retentionDays: 30,
      rejectedRetentionDays: 7,
      maxBodyBytes: 65_536,
      throttlingRateLimit: 2.5,
      throttlingBurstLimit: 10,
      archiveRetentionDays: 0,
      // A bare address is one host, as IAM reads it.
      allowedSourceIps: ['203.0.113.0/24', '2001:db8::/32', '198.51.100.7/32'],
      webhookTokenSha256: HASH,
    });
  });

  it('takes cdk.json values as they are typed there (numbers, arrays)', () => {
    expect(
      parseConfig({ retentionDays: 400, allowedSourceIps: ['2001:db8::1'], alarmEmail: 'ops@example.com' }),
    ).toMatchObject({
      retentionDays: 400,
      allowedSourceIps: ['2001:db8::1/128'],
      alarmEmail: 'ops@example.com',
    });
  });

  it("ignores CDK's own context: feature flags, aws:cdk:*, cdk-*, cached lookups", () => {
    expect(() =>
      parseConfig({
        '@aws-cdk/core:checkSecretUsage': true,
        'aws:cdk:bundling-stacks': ['**'],
        'cdk-bootstrap-qualifier': 'x',
        'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a'],
      }),
    ).not.toThrow();
  });

  it.each([
    ['timeZone', 'Mars/Base', 'Invalid context "timeZone": unknown IANA time zone "Mars/Base"'],
    ['webhookTokenSha256', 'abc123', /^Invalid context "webhookTokenSha256": must be 64 hex characters/],
    ['webhookTokenSha256', 'g'.repeat(64), /^Invalid context "webhookTokenSha256"/],
    [
      'allowedSourceIps',
      '10.0.0.0/8,999.1.1.1/33',
      'Invalid context "allowedSourceIps" (item 1): not an IPv4 or IPv6 CIDR: "999.1.1.1/33"',
    ],
    ['allowedSourceIps', ',', /^Invalid context "allowedSourceIps": must list at least one CIDR/],
    ['retentionDays', '-5', /^Invalid context "retentionDays": Too small/],
    ['retentionDays', '1.5', /^Invalid context "retentionDays"/],
    ['retentionDays', 'forever', /^Invalid context "retentionDays"/],
    ['rejectedRetentionDays', '0', /^Invalid context "rejectedRetentionDays": Too small/],
    [
      'maxBodyBytes',
      String(MAX_BODY_BYTES_LIMIT + 1),
      `Invalid context "maxBodyBytes": Too big: expected number to be <=${MAX_BODY_BYTES_LIMIT}`,
    ],
    ['maxBodyBytes', '100', /^Invalid context "maxBodyBytes": Too small/],
    ['throttlingRateLimit', '0', /^Invalid context "throttlingRateLimit": Too small/],
    ['throttlingBurstLimit', 'lots', /^Invalid context "throttlingBurstLimit"/],
    ['archiveRetentionDays', '-1', /^Invalid context "archiveRetentionDays": Too small/],
    ['eventSource', 'aws.telephony', /^Invalid context "eventSource": .*reserved for AWS/],
    ['eventSource', 'has space', /^Invalid context "eventSource": use 1-256 letters/],
    ['alarmEmail', 'ops-at-example', 'Invalid context "alarmEmail": must be an email address'],
  ])('rejects %s=%j, naming the key and why', (key, value, message) => {
    const parse = () => parseConfig({ [key]: value });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(message);
  });

  it('reports every bad key at once', () => {
    expect(() => parseConfig({ timeZone: 'Nowhere', retentionDays: '-1' })).toThrow(
      /"timeZone".*\n.*"retentionDays"/,
    );
  });

  it('rejects a key that looks like ours but is not, and lists the valid keys', () => {
    expect(() => parseConfig({ timezone: 'Europe/Moscow' })).toThrow(
      `Unknown context "timezone" (a typo?). Valid keys: ${CONFIG_KEYS.join(', ')}`,
    );
    expect(CONFIG_KEYS).toContain('timeZone');
  });
});

describe('readConfig', () => {
  it("reads the app's context: cdk.json values under -c overrides", () => {
    const app = new App({
      context: {
        '@aws-cdk/core:checkSecretUsage': true,
        timeZone: 'Asia/Yekaterinburg',
        retentionDays: '14',
      },
    });
    expect(readConfig(app)).toMatchObject({ timeZone: 'Asia/Yekaterinburg', retentionDays: 14 });
  });

  it('throws for a bad value in the context', () => {
    expect(() => readConfig(new App({ context: { timeZone: 'Mars/Base' } }))).toThrow(
      'Invalid context "timeZone": unknown IANA time zone "Mars/Base"',
    );
  });
});

describe('the settings the functions read', () => {
  // The same candidate text for both sides: what the synth accepts, the function accepts, and the
  // function's default is the synth's.
  const candidates: Record<SettingName, string[]> = {
    timeZone: ['Asia/Yekaterinburg', 'UTC', 'Mars/Base', 'Europe/moscow '],
    eventSource: ['telephony.call-events', 'my_app-1', 'aws.events', 'two words', 'x'.repeat(257)],
    maxBodyBytes: ['1024', '131072', '1023', '131073', '2048.5', 'lots'],
    retentionDays: ['1', '36500', '0', '36501', '-3'],
    rejectedRetentionDays: ['7', '0', '1.5'],
    defaultCountry: ['KZ', 'ru', 'RUS', 'R1'],
    callbackWindowHours: ['1', '8760', '0', '8761', '24.5', 'three days'],
    stuckCallAfterMinutes: ['1', '100000', '0', '100001', '-240', '4h', '0.5', '0.05', '0.01', '1.5', '1e-9'],
  };

  it.each(Object.keys(SETTINGS) as SettingName[])('%s: the synth and the function agree', (name) => {
    const setting = SETTINGS[name];
    const env = (value?: string) => (value === undefined ? {} : { [setting.env]: value });
    expect(parseConfig({})[name]).toBe(readSetting(env(), setting));
    for (const value of candidates[name]) {
      let synth: unknown;
      try {
        synth = parseConfig({ [name]: value })[name];
      } catch {
        synth = 'invalid';
      }
      let fn: unknown;
      try {
        fn = readSetting(env(value), setting);
      } catch {
        fn = 'invalid';
      }
      expect({ value, fn }).toEqual({ value, fn: synth });
    }
  });
});
