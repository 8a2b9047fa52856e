import { App } from 'aws-cdk-lib';
import { DEFAULTS, MAX_BODY_BYTES_LIMIT } from '../../lambda/contract/runtime-config';
import { CONFIG_KEYS, ConfigError, parseConfig, readConfig } from '../../lib/config';

const HASH = 'a'.repeat(64);

describe('parseConfig', () => {
  it('fills every default when nothing is configured', () => {
    expect(parseConfig({})).toStrictEqual({
      timeZone: DEFAULTS.timeZone,
      eventSource: DEFAULTS.eventSource,
      rejectedRetentionDays: DEFAULTS.rejectedRetentionDays,
      maxBodyBytes: DEFAULTS.maxBodyBytes,
      throttlingRateLimit: 50,
      throttlingBurstLimit: 100,
      archiveRetentionDays: 365,
    });
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
