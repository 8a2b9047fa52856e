/** The stack with no configuration at all: what a first `cdk deploy` creates. */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { HOOK_TYPES } from '../../lambda/contract';
import {
  CALL_EVENTS_KEYS,
  INGEST_ENV,
  PUBLISH_ENV,
  REJECTED_EVENTS_KEYS,
  SETTINGS,
  TTL_ATTRIBUTE,
  WEBHOOK_PATH,
} from '../../lambda/contract/runtime-config';
import type { CallEventsStack } from '../../lib/call-events-stack';
import { EVENT_BUS_NAME } from '../../lib/constructs/call-event-routing';
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

let stack: CallEventsStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthesize());
});

describe('CallEventStore', () => {
  it.each([
    ['CallEvents', () => stack.store.callEvents, CALL_EVENTS_KEYS],
    ['RejectedCallEvents', () => stack.store.rejectedCallEvents, REJECTED_EVENTS_KEYS],
  ] as const)('%s: keys, on-demand, PITR, encryption, TTL, retained', (_name, table, keys) => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [
          { AttributeName: keys.partitionKey, KeyType: 'HASH' },
          { AttributeName: keys.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: keys.partitionKey, AttributeType: 'S' },
          { AttributeName: keys.sortKey, AttributeType: 'S' },
        ]),
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
        TableName: Match.absent(),
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(template.toJSON().Resources[logicalId(table())].Properties.KeySchema[0].AttributeName).toBe(
      keys.partitionKey,
    );
  });

  it('streams new images of CallEvents only', () => {
    const tables = template.findResources('AWS::DynamoDB::Table');
    expect(tables[logicalId(stack.store.callEvents)]?.Properties.StreamSpecification).toEqual({
      StreamViewType: 'NEW_IMAGE',
    });
    expect(tables[logicalId(stack.store.rejectedCallEvents)]?.Properties.StreamSpecification).toBeUndefined();
  });
});

describe('WebhookApi', () => {
  it('is a regional REST API, open to any source when no allowlist is configured', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
      Policy: Match.absent(),
    });
  });

  it('hands every body to the function as exact bytes (base64), whatever its content type', () => {
    // With no binary media type API Gateway decodes a body as text first, turning invalid
    // UTF-8 into U+FFFD before the ingest could refuse it.
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['*/*'] });
  });

  it(`has exactly POST /${WEBHOOK_PATH}, a Lambda proxy to the ingest function, without edge validation`, () => {
    template.resourceCountIs('AWS::ApiGateway::Method', 1);
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: WEBHOOK_PATH });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      AuthorizationType: 'NONE',
      RequestValidatorId: Match.absent(),
      RequestModels: Match.absent(),
      Integration: {
        Type: 'AWS_PROXY',
        IntegrationHttpMethod: 'POST',
        Uri: { 'Fn::Join': ['', Match.arrayWith([arnOf(stack.webhook.ingestFunction)])] },
      },
    });
    template.resourceCountIs('AWS::ApiGateway::RequestValidator', 0);
    // No test-invoke permission: the function can be called through the deployed stage only.
    template.resourceCountIs('AWS::Lambda::Permission', 1);
  });

  it('stage: throttled, traced, JSON access logs without the query string, no data trace', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
          DataTraceEnabled: false,
        }),
      ],
      AccessLogSetting: { DestinationArn: arnOf(stack.webhook.accessLogs), Format: Match.anyValue() },
    });
    const [stage] = Object.values(template.findResources('AWS::ApiGateway::Stage'));
    const format: string = stage?.Properties.AccessLogSetting.Format;
    expect(JSON.parse(format)).toMatchObject({
      requestId: '$context.requestId',
      sourceIp: '$context.identity.sourceIp',
      status: '$context.status',
    });
    expect(format).not.toMatch(/querystring|\$input|\$method\.request|header|\$context\.path/i);
    const logGroups = template.findResources('AWS::Logs::LogGroup');
    expect(logGroups[logicalId(stack.webhook.accessLogs)]?.Properties.RetentionInDays).toBe(30);
  });

  it('generates the webhook token into a secret when no hash is configured', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ ExcludePunctuation: true, PasswordLength: Match.anyValue() }),
    });
    const [secret] = Object.values(template.findResources('AWS::SecretsManager::Secret'));
    expect(secret?.Properties.GenerateSecretString.PasswordLength).toBeGreaterThanOrEqual(40);
  });

  it('gives the ingest function its configuration through the environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          [INGEST_ENV.callEventsTable]: refOf(stack.store.callEvents),
          [INGEST_ENV.rejectedEventsTable]: refOf(stack.store.rejectedCallEvents),
          [INGEST_ENV.tokenSecretArn]: refOf(defined(stack.webhook.tokenSecret)),
          [INGEST_ENV.timeZone]: SETTINGS.timeZone.default,
          [INGEST_ENV.maxBodyBytes]: String(SETTINGS.maxBodyBytes.default),
          [INGEST_ENV.rejectedRetentionDays]: String(SETTINGS.rejectedRetentionDays.default),
          [INGEST_ENV.retentionDays]: Match.absent(),
          [INGEST_ENV.tokenSha256]: Match.absent(),
          POWERTOOLS_SERVICE_NAME: 'call-events',
          POWERTOOLS_METRICS_NAMESPACE: 'CallEvents',
        },
      },
    });
  });

  it('lets the ingest function only PutItem into its two tables and read its token', () => {
    const fn = stack.webhook.ingestFunction;
    const permissions = permissionsOf(template, logicalId(fn.executionRole));
    expect(actionsOf(permissions)).toEqual([
      'dynamodb:PutItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    expect(resourcesFor(permissions, 'dynamodb:PutItem')).toEqual(
      expect.arrayContaining([arnOf(stack.store.callEvents), arnOf(stack.store.rejectedCallEvents)]),
    );
    expect(resourcesFor(permissions, 'dynamodb:PutItem')).toHaveLength(2);
    expect(resourcesFor(permissions, 'secretsmanager:GetSecretValue')).toEqual([
      refOf(defined(stack.webhook.tokenSecret)),
    ]);
    expect(resourcesFor(permissions, 'logs:PutLogEvents')).toEqual([arnOf(fn.logGroup)]);
    // Only X-Ray, which has no resource-level permissions, is granted on "*".
    expect(actionsOf(permissions.filter((p) => p.resource === '*'))).toEqual([
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });
});

describe('functions', () => {
  it.each([
    ['ingest', () => stack.webhook.ingestFunction],
    ['publish', () => stack.publisher.publishFunction],
  ])('%s: Node 24 on arm64, traced, logging to its own log group, no managed policies', (_name, fn) => {
    const functions = template.findResources('AWS::Lambda::Function');
    expect(functions[logicalId(fn())]?.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Handler: 'index.handler',
      LoggingConfig: { LogGroup: refOf(fn().logGroup) },
    });
    const logGroups = template.findResources('AWS::Logs::LogGroup');
    expect(logGroups[logicalId(fn().logGroup)]?.Properties.RetentionInDays).toBe(30);
    const roles = template.findResources('AWS::IAM::Role');
    expect(roles[logicalId(fn().executionRole)]?.Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe('EventPublisher', () => {
  it('reads the CallEvents stream: INSERTs only, partial failures, bisect, bounded retries and age', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.store.callEvents), 'StreamArn'] },
      FunctionName: refOf(stack.publisher.publishFunction),
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'] }) }] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 8,
      MaximumRecordAgeInSeconds: 86_400,
      ParallelizationFactor: Match.absent(),
      DestinationConfig: { OnFailure: { Destination: arnOf(stack.publisher.failureQueue) } },
    });
  });

  it('gives the publish function the bus and the source', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    expect(functions[logicalId(stack.publisher.publishFunction)]?.Properties.Environment.Variables).toEqual(
      expect.objectContaining({
        [PUBLISH_ENV.eventBusName]: refOf(stack.routing.eventBus),
        [PUBLISH_ENV.eventSource]: SETTINGS.eventSource.default,
      }),
    );
  });

  it('lets the publish function put events on the bus only, besides reading its stream', () => {
    const permissions = permissionsOf(template, logicalId(stack.publisher.publishFunction.executionRole));
    expect(actionsOf(permissions)).toEqual([
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
      'events:PutEvents',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    expect(resourcesFor(permissions, 'events:PutEvents')).toEqual([arnOf(stack.routing.eventBus)]);
    expect(resourcesFor(permissions, 'dynamodb:GetRecords')).toEqual([
      { 'Fn::GetAtt': [logicalId(stack.store.callEvents), 'StreamArn'] },
    ]);
    expect(resourcesFor(permissions, 'sqs:SendMessage')).toEqual([arnOf(stack.publisher.failureQueue)]);
    expect(actionsOf(permissions.filter((p) => p.resource === '*'))).toEqual([
      'dynamodb:ListStreams',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });
});

describe('CallEventRouting', () => {
  it(`is a bus named ${EVENT_BUS_NAME} with an archive of the call events for a year`, () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: EVENT_BUS_NAME });
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: arnOf(stack.routing.eventBus),
      EventPattern: { source: [SETTINGS.eventSource.default] },
      RetentionDays: 365,
    });
  });

  it('registers one JSON Schema (draft 4) per HookType, of the published detail', () => {
    template.resourceCountIs('AWS::EventSchemas::Registry', 1);
    const schemas = Object.values(template.findResources('AWS::EventSchemas::Schema'));
    expect(schemas).toHaveLength(HOOK_TYPES.length);
    expect(schemas.map((s) => s.Properties.SchemaName).sort()).toEqual(
      HOOK_TYPES.map((t) => `${SETTINGS.eventSource.default}@${t}`).sort(),
    );
    for (const schema of schemas) {
      const { Type, Content, SchemaName, RegistryName } = schema.Properties;
      const hookType = SchemaName.split('@')[1];
      expect(Type).toBe('JSONSchemaDraft4');
      expect(RegistryName).toEqual({
        'Fn::GetAtt': [logicalId(stack.routing.schemaRegistry), 'RegistryName'],
      });
      const content = JSON.parse(Content);
      expect(content.properties.HookType).toEqual(expect.objectContaining({ enum: [hookType] }));
      expect(content.properties.EventId).toBeDefined();
      expect(content.properties.RawBody).toBeUndefined();
    }
  });

  it.each([
    ['MissedIncCall', () => stack.routing.missedCalls],
    ['EndIncCall', () => stack.routing.endedCalls],
  ])('routes every %s to its queue, with a target DLQ and a consumer DLQ', (hookType, route) => {
    const { rule, queue, deadLetterQueue, deliveryDeadLetterQueue } = route();
    const rules = template.findResources('AWS::Events::Rule');
    expect(rules[logicalId(rule)]?.Properties).toMatchObject({
      EventBusName: refOf(stack.routing.eventBus),
      EventPattern: { source: [SETTINGS.eventSource.default], 'detail-type': [hookType] },
      Targets: [
        {
          Arn: arnOf(queue),
          DeadLetterConfig: { Arn: arnOf(deliveryDeadLetterQueue) },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 },
        },
      ],
    });
    const queues = template.findResources('AWS::SQS::Queue');
    expect(queues[logicalId(queue)]?.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: arnOf(deadLetterQueue),
      maxReceiveCount: 5,
    });
  });

  it('encrypts every queue, refuses non-TLS access to it and keeps messages 14 days', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    // 2 routes × (queue, its DLQ, the rule target's DLQ) + the publisher's failure queue
    expect(Object.keys(queues)).toHaveLength(7);
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy'));
    for (const [id, queue] of Object.entries(queues)) {
      expect(queue.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 1_209_600,
      });
      const policy = policies.find(
        (p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: id }]),
      );
      expect(policy?.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 'sqs:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });
});

describe('outputs', () => {
  it.each([
    'WebhookUrl',
    'WebhookTokenSecretArn',
    'WebhookTokenCommand',
    'EventBusName',
    'EventBusArn',
    'CallEventsTableName',
    'RejectedCallEventsTableName',
    'MissedCallsQueueUrl',
    'EndedCallsQueueUrl',
    'PublishFailureQueueUrl',
  ])('prints %s', (name) => {
    template.hasOutput(name, { Value: Match.anyValue() });
  });

  it('prints the full webhook URL and how to read the token', () => {
    const outputs = template.findOutputs('*');
    expect(JSON.stringify(outputs.WebhookUrl?.Value)).toContain(`/${WEBHOOK_PATH}`);
    expect(JSON.stringify(outputs.WebhookTokenCommand?.Value)).toContain(
      'aws secretsmanager get-secret-value --region ',
    );
    expect(outputs.EventBusName?.Value).toEqual(refOf(stack.routing.eventBus));
    expect(outputs.MissedCallsQueueUrl?.Value).toEqual(refOf(stack.routing.missedCalls.queue));
  });
});
