/** The stack with no configuration at all: what a first `cdk deploy` creates. */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import {
  callCompletedJsonSchema,
  callStuckJsonSchema,
  HOOK_TYPES,
  missedCallResolvedJsonSchema,
} from '../../lambda/contract';
import {
  CALL_EVENTS_KEYS,
  INGEST_ENV,
  PROJECT_ENV,
  PUBLISH_ENV,
  REJECTED_EVENTS_KEYS,
  SETTINGS,
  SWEEP_ENV,
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

  it('streams new images of CallEvents, both images of Calls, nothing of the quarantine', () => {
    const tables = template.findResources('AWS::DynamoDB::Table');
    expect(tables[logicalId(stack.store.callEvents)]?.Properties.StreamSpecification).toEqual({
      StreamViewType: 'NEW_IMAGE',
    });
    expect(tables[logicalId(stack.store.calls)]?.Properties.StreamSpecification).toEqual({
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    });
    expect(tables[logicalId(stack.store.rejectedCallEvents)]?.Properties.StreamSpecification).toBeUndefined();
  });

  it('Calls: one item per SessionID, on-demand, PITR, encryption, TTL, retained', () => {
    const tables = template.findResources('AWS::DynamoDB::Table');
    expect(tables[logicalId(stack.store.calls)]).toMatchObject({
      Properties: {
        KeySchema: [{ AttributeName: 'SessionID', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('Calls: indexes by customer, public number and day, and the sparse PendingCallbacks and OpenCalls', () => {
    const indexes = template.findResources('AWS::DynamoDB::Table')[logicalId(stack.store.calls)]?.Properties
      .GlobalSecondaryIndexes as { IndexName: string; KeySchema: unknown; Projection: unknown }[];
    const index = (name: string, partition: string, sort: string) => [
      name,
      [
        { AttributeName: partition, KeyType: 'HASH' },
        { AttributeName: sort, KeyType: 'RANGE' },
      ],
      { ProjectionType: 'ALL' },
    ];
    expect(indexes.map((i) => [i.IndexName, i.KeySchema, i.Projection])).toEqual([
      index('ByCustomerNumber', 'CustomerNumber', 'StartedAt'),
      index('ByCityNumber', 'CityNumber', 'StartedAt'),
      index('ByDay', 'Day', 'StartedAt'),
      index('PendingCallbacks', 'PendingCallback', 'EndedAt'),
      index('OpenCalls', 'OpenCall', 'LastReceivedAt'),
    ]);
  });
});

describe('CallProjector', () => {
  it('gives the project function both tables, the zone, the country, and no retention by default', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    expect(functions[logicalId(stack.projector.projectFunction)]?.Properties.Environment.Variables).toEqual(
      expect.objectContaining({
        [PROJECT_ENV.callEventsTable]: refOf(stack.store.callEvents),
        [PROJECT_ENV.callsTable]: refOf(stack.store.calls),
        [PROJECT_ENV.timeZone]: SETTINGS.timeZone.default,
        [PROJECT_ENV.defaultCountry]: SETTINGS.defaultCountry.default,
      }),
    );
    const variables = functions[logicalId(stack.projector.projectFunction)]?.Properties.Environment.Variables;
    expect(variables).not.toHaveProperty(PROJECT_ENV.retentionDays);
  });

  it('lets it Query the events and Get and Put the records, on the tables alone, besides its stream', () => {
    const permissions = permissionsOf(template, logicalId(stack.projector.projectFunction.executionRole));
    expect(actionsOf(permissions)).toEqual([
      'dynamodb:DescribeStream',
      'dynamodb:GetItem',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    const index = (name: string) => ({ 'Fn::Join': ['', [arnOf(stack.store.calls), `/index/${name}`]] });
    expect(resourcesFor(permissions, 'dynamodb:Query')).toEqual([
      arnOf(stack.store.callEvents),
      index('ByCustomerNumber'),
      index('PendingCallbacks'),
    ]);
    expect(resourcesFor(permissions, 'dynamodb:GetItem')).toEqual([arnOf(stack.store.calls)]);
    expect(resourcesFor(permissions, 'dynamodb:PutItem')).toEqual([arnOf(stack.store.calls)]);
    expect(resourcesFor(permissions, 'dynamodb:GetRecords')).toEqual([
      { 'Fn::GetAtt': [logicalId(stack.store.callEvents), 'StreamArn'] },
    ]);
    expect(resourcesFor(permissions, 'sqs:SendMessage')).toEqual([arnOf(stack.projector.failureQueue)]);
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
    // No test-invoke permission: the ingest function can be called through the deployed stage only.
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission'));
    expect(permissions.filter((p) => p.Properties.Principal === 'apigateway.amazonaws.com')).toHaveLength(1);
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

/** The settings every stream mapping of the app shares (lib/constructs/stream-mapping.ts). */
const mappingOf =
  (table: () => IConstruct, fn: () => IConstruct, failureQueue: () => IConstruct, eventNames: string[]) =>
  () => ({
    EventSourceArn: { 'Fn::GetAtt': [logicalId(table()), 'StreamArn'] },
    FunctionName: refOf(fn()),
    StartingPosition: 'TRIM_HORIZON',
    BatchSize: 100,
    MaximumBatchingWindowInSeconds: 1,
    FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: eventNames }) }] },
    FunctionResponseTypes: ['ReportBatchItemFailures'],
    BisectBatchOnFunctionError: true,
    MaximumRetryAttempts: 8,
    MaximumRecordAgeInSeconds: 86_400,
    ParallelizationFactor: Match.absent(),
    DestinationConfig: { OnFailure: { Destination: arnOf(failureQueue()) } },
  });

describe('stream mappings', () => {
  it('are three: the publisher on both outboxes, the projector on CallEvents', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 3);
  });

  it.each([
    [
      'publisher ← CallEvents: INSERTs only',
      mappingOf(
        () => stack.store.callEvents,
        () => stack.publisher.publishFunction,
        () => stack.publisher.failureQueue,
        ['INSERT'],
      ),
    ],
    [
      'publisher ← Calls: INSERTs and MODIFYs',
      mappingOf(
        () => stack.store.calls,
        () => stack.publisher.publishFunction,
        () => stack.publisher.failureQueue,
        ['INSERT', 'MODIFY'],
      ),
    ],
    [
      'projector ← CallEvents: INSERTs only',
      mappingOf(
        () => stack.store.callEvents,
        () => stack.projector.projectFunction,
        () => stack.projector.failureQueue,
        ['INSERT'],
      ),
    ],
  ])('%s, partial failures, bisect, bounded retries and age', (_name, mapping) => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', mapping());
  });
});

describe('CallSweep', () => {
  it('runs every five minutes, its failures left to the next run', () => {
    const rules = template.findResources('AWS::Events::Rule');
    expect(rules[logicalId(stack.sweep.schedule)]?.Properties).toMatchObject({
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [{ Arn: arnOf(stack.sweep.sweepFunction), RetryPolicy: { MaximumRetryAttempts: 0 } }],
    });
  });

  it('gets the Calls table, the threshold and the window', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    expect(functions[logicalId(stack.sweep.sweepFunction)]?.Properties.Environment.Variables).toEqual(
      expect.objectContaining({
        [SWEEP_ENV.callsTable]: refOf(stack.store.calls),
        [SWEEP_ENV.stuckCallAfterMinutes]: String(SETTINGS.stuckCallAfterMinutes.default),
        [SWEEP_ENV.callbackWindowHours]: String(SETTINGS.callbackWindowHours.default),
      }),
    );
  });

  it('may Get and Put records and Query the three indexes it reads, nothing more', () => {
    const permissions = permissionsOf(template, logicalId(stack.sweep.sweepFunction.executionRole));
    expect(actionsOf(permissions)).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    const index = (name: string) => ({ 'Fn::Join': ['', [arnOf(stack.store.calls), `/index/${name}`]] });
    expect(resourcesFor(permissions, 'dynamodb:Query')).toEqual(
      expect.arrayContaining([index('OpenCalls'), index('PendingCallbacks'), index('ByCustomerNumber')]),
    );
    expect(resourcesFor(permissions, 'dynamodb:Query')).toHaveLength(3);
    expect(resourcesFor(permissions, 'dynamodb:PutItem')).toEqual([arnOf(stack.store.calls)]);
  });
});

describe('EventPublisher', () => {
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
      { 'Fn::GetAtt': [logicalId(stack.store.calls), 'StreamArn'] },
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

  it('registers the CallCompleted detail: the call record, from its one schema, and its EventId', () => {
    const schemas = Object.values(
      template.findResources('AWS::EventSchemas::Schema', {
        Properties: { SchemaName: `${SETTINGS.eventSource.default}@CallCompleted` },
      }),
    );
    expect(schemas).toHaveLength(1);
    const content = JSON.parse(schemas[0]?.Properties.Content);
    expect(content).toEqual(callCompletedJsonSchema());
    expect(content.required).toEqual(
      expect.arrayContaining(['SessionID', 'Status', 'StartedAt', 'Version', 'EventId']),
    );
    expect(Object.keys(content.properties)).toEqual(
      expect.arrayContaining(['Outcome', 'CustomerNumber', 'Attempts']),
    );
  });

  it('registers one JSON Schema (draft 4) per HookType, of the published detail', () => {
    template.resourceCountIs('AWS::EventSchemas::Registry', 1);
    const schemas = Object.values(template.findResources('AWS::EventSchemas::Schema')).filter(
      (s) => !/@(CallCompleted|MissedCallResolved|CallStuck)$/.test(String(s.Properties.SchemaName)),
    );
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
    ['MissedIncCall', () => stack.routing.missedCalls, { 'detail-type': ['MissedIncCall'] }],
    ['EndIncCall', () => stack.routing.endedCalls, { 'detail-type': ['EndIncCall'] }],
    [
      'CallCompleted with Outcome missed',
      () => stack.routing.missedCallsToCallBack,
      { 'detail-type': ['CallCompleted'], detail: { Outcome: ['missed'] } },
    ],
    ['CallStuck', () => stack.routing.stuckCalls, { 'detail-type': ['CallStuck'] }],
  ])('routes every %s to its queue, with a target DLQ and a consumer DLQ', (_what, route, pattern) => {
    const { rule, queue, deadLetterQueue, deliveryDeadLetterQueue } = route();
    const rules = template.findResources('AWS::Events::Rule');
    expect(rules[logicalId(rule)]?.Properties).toMatchObject({
      EventBusName: refOf(stack.routing.eventBus),
      EventPattern: { source: [SETTINGS.eventSource.default], ...pattern },
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

  it('names the MissedCallsToCallBack rule, for operators and subscribers to find it', () => {
    const rules = template.findResources('AWS::Events::Rule');
    expect(rules[logicalId(stack.routing.missedCallsToCallBack.rule)]?.Properties.Name).toBe(
      'MissedCallsToCallBack',
    );
    expect(rules[logicalId(stack.routing.stuckCalls.rule)]?.Properties.Name).toBe('StuckCalls');
  });

  it.each([
    ['MissedCallResolved', () => missedCallResolvedJsonSchema()],
    ['CallStuck', () => callStuckJsonSchema()],
  ])('registers the %s detail from its one schema', (detailType, schema) => {
    const found = Object.values(
      template.findResources('AWS::EventSchemas::Schema', {
        Properties: { SchemaName: `${SETTINGS.eventSource.default}@${detailType}` },
      }),
    );
    expect(found).toHaveLength(1);
    expect(JSON.parse(found[0]?.Properties.Content)).toEqual(schema());
  });

  it('encrypts every queue, refuses non-TLS access to it and keeps messages 14 days', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    // 4 routes × (queue, its DLQ, the rule target's DLQ) + the publisher's and the projector's failure queues
    expect(Object.keys(queues)).toHaveLength(14);
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
    'CallsTableName',
    'MissedCallsToCallBackQueueUrl',
    'StuckCallsQueueUrl',
    'ProjectFailureQueueUrl',
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
    expect(outputs.CallsTableName?.Value).toEqual(refOf(stack.store.calls));
    expect(outputs.MissedCallsToCallBackQueueUrl?.Value).toEqual(
      refOf(stack.routing.missedCallsToCallBack.queue),
    );
  });
});
