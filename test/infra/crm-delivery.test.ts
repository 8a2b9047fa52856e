/**
 * The CRM consumer as `-c crm=amocrm …` deploys it: configuration validated at synth, a consumer
 * of the bus (rule → queue with DLQ → function with batch item failures and bounded
 * concurrency), least privilege (its secret read, its ledger written, nothing else of the
 * stack's data), alarms; and nothing of it without `crm`.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { CRM_ENV } from '../../lambda/config/environment';
import type { CallEventsStack } from '../../lib/call-events-stack';
import { ConfigError, parseConfig } from '../../lib/config';
import type { CrmDelivery } from '../../lib/constructs/crm-delivery';
import {
  actionsOf,
  arnOf,
  defined,
  logicalId,
  permissionsOf,
  refOf,
  resourcesFor,
  synthesize,
} from './synth';

const CONTEXT = {
  crm: 'amocrm',
  crmUrl: 'https://example.amocrm.ru/',
  crmUsers: '{"80051110001":111,"80051110002":222}',
  crmDefaultUser: '9',
};

const BITRIX = {
  crm: 'bitrix24',
  crmUrl: 'https://example.bitrix24.ru',
  crmUsers: '{"80051110001":11}',
  crmDefaultUser: '1',
};

/** The function's DynamoDB rights are items of its own ledger (no Scan, no Query, no indexes); its permissions. */
function expectLedgerItemsOnly(template: Template, crm: CrmDelivery) {
  const permissions = permissionsOf(template, logicalId(crm.consumer.handler.executionRole));
  const dynamo = permissions.filter((p) => p.action.startsWith('dynamodb:'));
  expect([...new Set(dynamo.map((p) => p.action))].sort()).toEqual([
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
  ]);
  for (const p of dynamo) expect(p.resource).toEqual(arnOf(crm.ledger));
  return permissions;
}

describe('the CRM configuration', () => {
  it('reads the keys as -c passes them', () => {
    expect(parseConfig(CONTEXT)).toMatchObject({
      crm: 'amocrm',
      crmUrl: 'https://example.amocrm.ru',
      crmUsers: { '80051110001': 111, '80051110002': 222 },
      crmDefaultUser: 9,
    });
    expect(parseConfig({ crm: 'amocrm', crmUrl: 'http://127.0.0.1:8080' }).crmUrl).toBe(
      'http://127.0.0.1:8080',
    );
    expect(
      parseConfig({ ...BITRIX, crmOAuthUrl: 'https://portal.example.com/', crmRequestsPerSecond: '5' }),
    ).toMatchObject({
      crm: 'bitrix24',
      crmUrl: 'https://example.bitrix24.ru',
      crmOAuthUrl: 'https://portal.example.com',
      crmRequestsPerSecond: 5,
      crmDefaultUser: 1,
    });
  });

  it.each([
    [{ crm: 'bitrix' }, /"crm": must be one of amocrm, bitrix24/],
    [{ crm: 'amocrm' }, /"crmUrl": is required with crm=amocrm/],
    [{ crm: 'amocrm', crmUrl: 'http://example.amocrm.ru' }, /"crmUrl": must be https:\/\//],
    [{ crm: 'amocrm', crmUrl: 'http://localhost:8080' }, /"crmUrl": must be https:\/\//],
    [
      { crm: 'amocrm', crmUrl: 'https://example.amocrm.ru/api/v4' },
      /"crmUrl": must be the base URL alone, e\.g\. https:\/\/example\.amocrm\.ru/,
    ],
    [{ crm: 'amocrm', crmUrl: 'example.amocrm.ru' }, /"crmUrl": not a URL/],
    [{ ...CONTEXT, crmUsers: '{"801":"x"}' }, /"crmUsers"/],
    [{ ...CONTEXT, crmUsers: 'not json' }, /"crmUsers": must be a JSON object/],
    [{ ...CONTEXT, crmDefaultUser: '-1' }, /"crmDefaultUser"/],
    [{ crmUrl: 'https://example.amocrm.ru' }, /"crmUrl": is set, but crm is not/],
    [
      { crm: 'bitrix24', crmUrl: 'https://example.bitrix24.ru' },
      /"crmDefaultUser": is required with crm=bitrix24/,
    ],
    [{ crm: 'bitrix24' }, /"crmUrl": is required with crm=bitrix24.*example\.bitrix24\.ru/],
    [{ ...BITRIX, crmOAuthUrl: 'http://oauth.bitrix.info' }, /"crmOAuthUrl": must be https:\/\//],
    [
      { ...BITRIX, crmOAuthUrl: 'https://oauth.bitrix.info/oauth/token/' },
      /"crmOAuthUrl": must be the base URL alone/,
    ],
    [{ ...CONTEXT, crmOAuthUrl: 'https://oauth.bitrix.info' }, /"crmOAuthUrl": is for crm=bitrix24 only/],
    [{ ...BITRIX, crmRequestsPerSecond: '100' }, /"crmRequestsPerSecond"/],
    [{ ...BITRIX, crmRequestsPerSecond: '1.5' }, /"crmRequestsPerSecond"/],
  ])('refuses %j', (context, message) => {
    expect(() => parseConfig(context)).toThrow(ConfigError);
    expect(() => parseConfig(context)).toThrow(message);
  });
});

describe('without crm', () => {
  it('deploys nothing of it', () => {
    const { stack, template } = synthesize();
    expect(stack.crm).toBeUndefined();
    expect(
      Object.keys(template.findResources('AWS::SecretsManager::Secret')).filter((id) => id.startsWith('Crm')),
    ).toEqual([]);
    expect(
      Object.keys(template.findResources('AWS::DynamoDB::Table')).filter((id) => id.startsWith('Crm')),
    ).toEqual([]);
    // Only stream mappings (they have a starting position; an SQS mapping has none).
    for (const mapping of Object.values(template.findResources('AWS::Lambda::EventSourceMapping')))
      expect(mapping.Properties.StartingPosition).toBeDefined();
    expect(template.findOutputs('CrmSecretArn')).toEqual({});
  });
});

describe('with crm=amocrm', () => {
  let stack: CallEventsStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = synthesize(CONTEXT));
  });
  const crm = () => defined(stack.crm, 'CRM delivery');

  it('routes every CallCompleted to its own queue, with a dead-letter queue', () => {
    const { route } = crm().consumer;
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['telephony.call-events'], 'detail-type': ['CallCompleted'] },
      Targets: [Match.objectLike({ Arn: arnOf(route.queue) })],
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: arnOf(route.deadLetterQueue), maxReceiveCount: 5 },
      // Six times the function's 60 s, plus the 2 s batching window.
      VisibilityTimeout: 362,
    });
  });

  it('invokes the function in batches of up to 50, two at most at once, reporting batch item failures', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf(crm().consumer.route.queue),
      FunctionName: refOf(crm().consumer.handler),
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 2,
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('configures the function from the context, the token left in the secret', () => {
    const fn = template.findResources('AWS::Lambda::Function')[logicalId(crm().consumer.handler)];
    expect(fn?.Properties.Environment.Variables).toMatchObject({
      [CRM_ENV.crm]: 'amocrm',
      [CRM_ENV.crmUrl]: 'https://example.amocrm.ru',
      [CRM_ENV.crmUsers]: '{"80051110001":111,"80051110002":222}',
      [CRM_ENV.crmDefaultUser]: '9',
      [CRM_ENV.ledgerTable]: refOf(crm().ledger),
      [CRM_ENV.secretArn]: refOf(crm().secret),
      [CRM_ENV.ratePerSecond]: '7',
    });
    expect(JSON.stringify(fn?.Properties.Environment.Variables)).not.toContain('accessToken');
  });

  it('reads only its secret and writes only its ledger', () => {
    const permissions = expectLedgerItemsOnly(template, crm());
    const secrets = permissions.filter((p) => p.action.startsWith('secretsmanager:'));
    expect(secrets.length).toBeGreaterThan(0);
    for (const p of secrets) expect(p.resource).toEqual(refOf(crm().secret));
    expect(resourcesFor(permissions, 'sqs:ReceiveMessage')).toEqual([arnOf(crm().consumer.route.queue)]);
    expect(actionsOf(permissions).filter((a) => a.startsWith('events:') || a.startsWith('s3:'))).toEqual([]);
  });

  it('keeps the ledger keyed by call and CRM, with TTL for the rate slots, retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: 'SessionID', KeyType: 'HASH' },
          { AttributeName: 'Crm', KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: 'ExpiresAt', Enabled: true },
      }),
      DeletionPolicy: 'Retain',
    });
  });

  it('alarms on a refused token, refused calls, a consumer behind or failing, and its dead letters', () => {
    const descriptions = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties.AlarmDescription as string,
    );
    expect(descriptions.some((d) => /refused the token.*put-secret-value/.test(d))).toBe(true);
    expect(descriptions.some((d) => /refused calls \(HTTP 400\).*redeliver/.test(d))).toBe(true);
    expect(descriptions.some((d) => /oldest message waiting for the CrmConsumer consumer/.test(d))).toBe(
      true,
    );
    expect(
      descriptions.some((d) => /CrmConsumer consumer DLQ|consumer of the CrmConsumer queue/.test(d)),
    ).toBe(true);
  });

  it('prints the secret, the ledger and the queues', () => {
    for (const name of ['CrmSecretArn', 'CrmLedgerTableName', 'CrmQueueUrl', 'CrmDeadLetterQueueUrl'])
      expect(Object.keys(template.findOutputs(name))).toEqual([name]);
  });
});

describe('with crm=bitrix24', () => {
  let stack: CallEventsStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = synthesize({ ...BITRIX, timeZone: 'Asia/Yekaterinburg' }));
  });
  const crm = () => defined(stack.crm, 'CRM delivery');

  it("takes 10 calls a batch within 90 s: two requests a call at the portal's 2 a second", () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf(crm().consumer.route.queue),
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    // Six times the function's 90 s, plus the 2 s batching window.
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: arnOf(crm().consumer.route.deadLetterQueue), maxReceiveCount: 5 },
      VisibilityTimeout: 542,
    });
    const fn = template.findResources('AWS::Lambda::Function')[logicalId(crm().consumer.handler)];
    expect(fn?.Properties.Timeout).toBe(90);
  });

  it('configures the portal, the authorization server, the rate and the time zone', () => {
    const fn = template.findResources('AWS::Lambda::Function')[logicalId(crm().consumer.handler)];
    expect(fn?.Properties.Environment.Variables).toMatchObject({
      [CRM_ENV.crm]: 'bitrix24',
      [CRM_ENV.crmUrl]: 'https://example.bitrix24.ru',
      [CRM_ENV.oauthUrl]: 'https://oauth.bitrix.info',
      [CRM_ENV.ratePerSecond]: '2',
      [CRM_ENV.timeZone]: 'Asia/Yekaterinburg',
      [CRM_ENV.crmDefaultUser]: '1',
    });
  });

  it('keeps the tokens in its ledger: still only its secret read and its ledger written', () => {
    const permissions = expectLedgerItemsOnly(template, crm());
    expect(actionsOf(permissions).filter((a) => a.startsWith('secretsmanager:Put'))).toEqual([]);
  });

  it('says what to fix when the portal refuses the application or a call', () => {
    const descriptions = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties.AlarmDescription as string,
    );
    expect(
      descriptions.some((d) => /Bitrix24 refused the application.*insufficient_scope.*resume/.test(d)),
    ).toBe(true);
    expect(descriptions.some((d) => /Bitrix24 refused calls \(ERROR_CORE.*redeliver/.test(d))).toBe(true);
  });
});
