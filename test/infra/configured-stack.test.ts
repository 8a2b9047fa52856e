/** The stack with every option set, as an operator would with `-c key=value` (strings). */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { INGEST_ENV, PUBLISH_ENV } from '../../lambda/config/environment';
import type { CallEventsStack } from '../../lib/call-events-stack';
import { actionsOf, logicalId, permissionsOf, synthesize } from './synth';

const TOKEN_SHA256 = 'AB'.repeat(32);
const SOURCE = 'acme.pbx';

let stack: CallEventsStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthesize({
    webhookTokenSha256: TOKEN_SHA256,
    allowedSourceIps: '203.0.113.0/24,2001:db8::/32',
    retentionDays: '30',
    rejectedRetentionDays: '14',
    maxBodyBytes: '65536',
    timeZone: 'Asia/Yekaterinburg',
    eventSource: SOURCE,
    throttlingRateLimit: '5',
    throttlingBurstLimit: '10',
    archiveRetentionDays: '0',
    alarmEmail: 'ops@example.com',
  }));
});

const ingestVariables = () =>
  template.findResources('AWS::Lambda::Function')[logicalId(stack.webhook.ingestFunction)]?.Properties
    .Environment.Variables;

describe('with a token hash', () => {
  it('creates no secret and gives the function the (lower-case) hash instead', () => {
    expect(template.findResources('AWS::SecretsManager::Secret')).toEqual({});
    expect(stack.webhook.tokenSecret).toBeUndefined();
    expect(ingestVariables()).toMatchObject({ [INGEST_ENV.tokenSha256]: TOKEN_SHA256.toLowerCase() });
    expect(ingestVariables()[INGEST_ENV.tokenSecretArn]).toBeUndefined();
  });

  it('grants no Secrets Manager access and prints no secret outputs', () => {
    const actions = actionsOf(permissionsOf(template, logicalId(stack.webhook.ingestFunction.executionRole)));
    expect(actions.filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
    expect(actions).toContain('dynamodb:PutItem');
    const outputs = template.findOutputs('*');
    expect(outputs.WebhookTokenSecretArn).toBeUndefined();
    expect(outputs.WebhookTokenCommand).toBeUndefined();
    expect(outputs.WebhookUrl).toBeDefined();
  });
});

describe('with a source-IP allowlist', () => {
  it('allows invoke, then denies it from any address outside the list', () => {
    const invoke = { Action: 'execute-api:Invoke', Principal: { AWS: '*' }, Resource: 'execute-api:/*' };
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Policy: {
        Statement: [
          { ...invoke, Effect: 'Allow' },
          {
            ...invoke,
            Effect: 'Deny',
            Condition: { NotIpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:db8::/32'] } },
          },
        ],
      },
    });
  });
});

describe('configured values reach the resources', () => {
  it('ingest environment', () => {
    expect(ingestVariables()).toMatchObject({
      [INGEST_ENV.retentionDays]: '30',
      [INGEST_ENV.rejectedRetentionDays]: '14',
      [INGEST_ENV.maxBodyBytes]: '65536',
      [INGEST_ENV.timeZone]: 'Asia/Yekaterinburg',
    });
  });

  it('stage throttling', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 })],
    });
  });

  it('event source: publisher, rules, archive and schema names', () => {
    const publish =
      template.findResources('AWS::Lambda::Function')[logicalId(stack.publisher.publishFunction)];
    expect(publish?.Properties.Environment.Variables[PUBLISH_ENV.eventSource]).toBe(SOURCE);
    // Every rule on the call-events bus matches the source (the sweep's schedule has no pattern).
    for (const rule of Object.values(template.findResources('AWS::Events::Rule'))) {
      if (rule.Properties.ScheduleExpression) continue;
      expect(rule.Properties.EventPattern.source).toEqual([SOURCE]);
    }
    const schemaNames = Object.values(template.findResources('AWS::EventSchemas::Schema')).map(
      (s) => s.Properties.SchemaName,
    );
    expect(schemaNames).toContain(`${SOURCE}@MissedIncCall`);
  });

  it('archiveRetentionDays 0 keeps archived events indefinitely', () => {
    template.hasResourceProperties('AWS::Events::Archive', {
      EventPattern: { source: [SOURCE] },
      RetentionDays: 0,
    });
  });
});
