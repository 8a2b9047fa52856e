/** The stack with no configuration at all: what a first `cdk deploy` creates. */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { CALL_LEVEL_EVENTS } from '../../lambda/calls/call-level-events';
import {
  callCompletedJsonSchema,
  callLevelJsonSchemas,
  callStuckJsonSchema,
  missedCallResolvedJsonSchema,
} from '../../lambda/calls/json-schemas';
import { INGEST_ENV, PROJECT_ENV, PUBLISH_ENV, SWEEP_ENV } from '../../lambda/config/environment';
import { FUNCTION_KIND_TAG, FUNCTION_KINDS } from '../../lambda/config/functions';
import { SETTINGS } from '../../lambda/config/settings';
import { CALL_EVENTS_KEYS, REJECTED_EVENTS_KEYS, TTL_ATTRIBUTE } from '../../lambda/config/tables';
import { WEBHOOK_PATH } from '../../lambda/config/webhook';
import { HOOK_TYPES } from '../../lambda/contract';
import type { CallEventsStack } from '../../lib/call-events-stack';
import { EVENT_BUS_NAME } from '../../lib/constructs/call-event-routing';
import {
  actionsOf,
  alarmsWatching,
  arnOf,
  defined,
  functionsOfKind,
  getAttOf,
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

  it('Calls: indexes of keys only, and two sparse ones of whole records', () => {
    const indexes = template.findResources('AWS::DynamoDB::Table')[logicalId(stack.store.calls)]?.Properties
      .GlobalSecondaryIndexes as { IndexName: string; KeySchema: unknown; Projection: unknown }[];
    const index = (name: string, partition: string, sort: string, projection: object) => [
      name,
      [
        { AttributeName: partition, KeyType: 'HASH' },
        { AttributeName: sort, KeyType: 'RANGE' },
      ],
      projection,
    ];
    const keysOnly = { ProjectionType: 'KEYS_ONLY' };
    expect(indexes.map((i) => [i.IndexName, i.KeySchema, i.Projection])).toEqual([
      index('ByCustomerNumberV2', 'CustomerNumber', 'StartedAt', keysOnly),
      index('ByCityNumberV2', 'CityNumber', 'StartedAt', keysOnly),
      index('ByDayV2', 'Day', 'StartedAt', keysOnly),
      index('OpenCallsV2', 'OpenCall', 'StartedAt', keysOnly),
      index('MissedCallsByCustomer', 'MissedCustomerNumber', 'EndedAt', { ProjectionType: 'ALL' }),
      index('PendingCallbacks', 'PendingCallback', 'EndedAt', { ProjectionType: 'ALL' }),
    ]);
    expect(stack.store.callsIndexNames).toEqual(indexes.map((i) => i.IndexName));
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
      'dynamodb:BatchGetItem',
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
    ]);
    const index = (name: string) => ({ 'Fn::Join': ['', [arnOf(stack.store.calls), `/index/${name}`]] });
    expect(resourcesFor(permissions, 'dynamodb:Query')).toEqual([
      arnOf(stack.store.callEvents),
      index('ByCustomerNumberV2'),
      index('MissedCallsByCustomer'),
    ]);
    expect(resourcesFor(permissions, 'dynamodb:GetItem')).toEqual([arnOf(stack.store.calls)]);
    expect(resourcesFor(permissions, 'dynamodb:BatchGetItem')).toEqual([arnOf(stack.store.calls)]);
    expect(resourcesFor(permissions, 'dynamodb:PutItem')).toEqual([arnOf(stack.store.calls)]);
    expect(resourcesFor(permissions, 'dynamodb:GetRecords')).toEqual([
      { 'Fn::GetAtt': [logicalId(stack.store.callEvents), 'StreamArn'] },
    ]);
    expect(resourcesFor(permissions, 'sqs:SendMessage')).toEqual([arnOf(stack.projector.failureQueue)]);
  });
});

describe('WebhookApi', () => {
  const restApi = () => template.findResources('AWS::ApiGateway::RestApi')[logicalId(stack.webhook.restApi)];

  it('is a regional REST API, open to any source when no allowlist is configured', () => {
    expect(restApi()?.Properties).toMatchObject({ EndpointConfiguration: { Types: ['REGIONAL'] } });
    expect(restApi()?.Properties.Policy).toBeUndefined();
  });

  it('hands every body to the function as exact bytes (base64), whatever its content type', () => {
    // With no binary media type API Gateway decodes a body as text first, turning invalid
    // UTF-8 into U+FFFD before the ingest could refuse it.
    expect(restApi()?.Properties.BinaryMediaTypes).toEqual(['*/*']);
  });

  it(`answers only POST /${WEBHOOK_PATH}, a Lambda proxy to the ingest function, without edge validation`, () => {
    const resource = defined(stack.webhook.restApi.root.getResource(WEBHOOK_PATH), `/${WEBHOOK_PATH}`);
    const methods = Object.values(
      template.findResources('AWS::ApiGateway::Method', {
        Properties: { RestApiId: refOf(stack.webhook.restApi) },
      }),
    );
    expect(methods.length).toBeGreaterThan(0);
    for (const method of methods) {
      expect(method.Properties).toMatchObject({
        ResourceId: refOf(resource),
        HttpMethod: 'POST',
        AuthorizationType: 'NONE',
        Integration: {
          Type: 'AWS_PROXY',
          IntegrationHttpMethod: 'POST',
          Uri: { 'Fn::Join': ['', expect.arrayContaining([arnOf(stack.webhook.ingestFunction)])] },
        },
      });
      expect(method.Properties.RequestValidatorId).toBeUndefined();
      expect(method.Properties.RequestModels).toBeUndefined();
    }
    // No test-invoke permission: the ingest function can be called through the deployed stage only.
    const invokers = Object.values(
      template.findResources('AWS::Lambda::Permission', {
        Properties: {
          Principal: 'apigateway.amazonaws.com',
          FunctionName: arnOf(stack.webhook.ingestFunction),
        },
      }),
    );
    expect(invokers.length).toBeGreaterThan(0);
    for (const permission of invokers) {
      const sourceArn = JSON.stringify(permission.Properties.SourceArn);
      expect(sourceArn).toContain(JSON.stringify(refOf(stack.webhook.restApi.deploymentStage)));
      expect(sourceArn).not.toContain('test-invoke-stage');
    }
  });

  it('stage: throttled, not traced (tracing is off by default), JSON access logs without the query string, no data trace', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: false,
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
    const secret = template.findResources('AWS::SecretsManager::Secret')[
      logicalId(defined(stack.webhook.tokenSecret, 'token secret'))
    ];
    expect(secret?.Properties.GenerateSecretString).toMatchObject({ ExcludePunctuation: true });
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
    expect(actionsOf(permissions.filter((p) => p.resource === '*'))).toEqual([]);
  });
});

describe('functions', () => {
  const functions = () => Object.entries(template.findResources('AWS::Lambda::Function'));
  const topic = () => refOf(stack.monitoring.alarmTopic);

  it('are each tagged with what they are, one of the known kinds', () => {
    expect(functions().length).toBeGreaterThan(0);
    for (const [, fn] of functions()) {
      const tags: { Key: string; Value: string }[] = fn.Properties.Tags ?? [];
      const kinds = tags.filter((tag) => tag.Key === FUNCTION_KIND_TAG).map((tag) => tag.Value);
      expect(kinds).toHaveLength(1);
      expect(FUNCTION_KINDS).toContain(kinds[0]);
    }
  });

  it.each([
    ['ingest', () => stack.webhook.ingestFunction],
    ['publish', () => stack.publisher.publishFunction],
    ['project', () => stack.projector.projectFunction],
    ['sweep', () => stack.sweep.sweepFunction],
  ] as const)('tags the %s function so', (kind, fn) => {
    expect(functionsOfKind(template, kind).map(([id]) => id)).toContain(logicalId(fn()));
  });

  it.each(FUNCTION_KINDS)(
    "%s: Node 24 on arm64, untraced by default, its own log group with a retention, Lambda's own lines only on failure, no managed policies",
    (kind) => {
      const ofKind = functionsOfKind(template, kind);
      expect(ofKind.length).toBeGreaterThan(0);
      const logGroups = template.findResources('AWS::Logs::LogGroup');
      const roles = template.findResources('AWS::IAM::Role');
      for (const [id, fn] of ofKind) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
        });
        expect(fn.Properties.TracingConfig).toBeUndefined();
        expect(fn.Properties.LoggingConfig).toMatchObject({
          LogFormat: 'JSON',
          SystemLogLevel: 'WARN',
          ApplicationLogLevel: 'INFO',
        });
        const logGroup = fn.Properties.LoggingConfig?.LogGroup?.Ref;
        expect(logGroups[logGroup]?.Properties.RetentionInDays).toEqual(expect.any(Number));
        const others = functions().filter(([other]) => other !== id);
        expect(others.map(([, other]) => other.Properties.LoggingConfig?.LogGroup?.Ref)).not.toContain(
          logGroup,
        );
        const role = defined(getAttOf(fn.Properties.Role), 'role');
        expect(roles[role]?.Properties.ManagedPolicyArns).toBeUndefined();
      }
    },
  );

  it.each(FUNCTION_KINDS)('%s: an alarm on its errors notifies the topic on ALARM and on OK', (kind) => {
    const ofKind = functionsOfKind(template, kind);
    expect(ofKind.length).toBeGreaterThan(0);
    for (const [id] of ofKind) {
      const errors = alarmsWatching(template, 'AWS/Lambda', 'Errors', [
        { Name: 'FunctionName', Value: { Ref: id } },
      ]);
      expect(errors.length).toBeGreaterThan(0);
      for (const [, alarm] of errors) {
        expect(alarm.Properties).toMatchObject({
          Threshold: 1,
          AlarmActions: [topic()],
          OKActions: [topic()],
        });
      }
    }
  });
});

/** The settings every stream mapping of the app shares (lib/constructs/stream-mapping.ts). */
const mappingOf =
  (
    table: () => IConstruct,
    fn: () => IConstruct,
    failureQueue: () => IConstruct,
    eventNames: string[],
    newImage?: Record<string, unknown>,
    batchingWindowSeconds = 1,
  ) =>
  () => ({
    EventSourceArn: { 'Fn::GetAtt': [logicalId(table()), 'StreamArn'] },
    FunctionName: refOf(fn()),
    StartingPosition: 'TRIM_HORIZON',
    BatchSize: 100,
    MaximumBatchingWindowInSeconds: batchingWindowSeconds,
    FilterCriteria: {
      Filters: [
        {
          Pattern: JSON.stringify({
            eventName: eventNames,
            ...(newImage ? { dynamodb: { NewImage: newImage } } : {}),
          }),
        },
      ],
    },
    FunctionResponseTypes: ['ReportBatchItemFailures'],
    BisectBatchOnFunctionError: true,
    MaximumRetryAttempts: 8,
    MaximumRecordAgeInSeconds: 86_400,
    ParallelizationFactor: Match.absent(),
    DestinationConfig: { OnFailure: { Destination: arnOf(failureQueue()) } },
  });

describe('stream mappings', () => {
  it('every one reports batch item failures, bisects, bounds retries and record age, and has a failure queue', () => {
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
    expect(mappings.length).toBeGreaterThan(0);
    const queues = template.findResources('AWS::SQS::Queue');
    for (const { Properties: mapping } of mappings) {
      expect(mapping.FunctionResponseTypes).toContain('ReportBatchItemFailures');
      expect(mapping.BisectBatchOnFunctionError).toBe(true);
      // -1 (or leaving them out) would be "for ever": a poison record would block its shard for a day.
      expect(mapping.MaximumRetryAttempts).toBeGreaterThanOrEqual(0);
      expect(mapping.MaximumRetryAttempts).toBeLessThanOrEqual(10);
      expect(mapping.MaximumRecordAgeInSeconds).toBeGreaterThanOrEqual(60);
      expect(mapping.MaximumRecordAgeInSeconds).toBeLessThanOrEqual(86_400);
      const failureQueue = getAttOf(mapping.DestinationConfig?.OnFailure?.Destination);
      expect(queues[failureQueue ?? '']).toBeDefined();
    }
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
      'publisher ← Calls: INSERTs and MODIFYs of a call ended or stuck (no other write stands for a call-level event)',
      mappingOf(
        () => stack.store.calls,
        () => stack.publisher.publishFunction,
        () => stack.publisher.failureQueue,
        ['INSERT', 'MODIFY'],
        { Status: { S: ['ended', 'stuck'] } },
      ),
    ],
    [
      'projector ← CallEvents: INSERTs only, gathered for 5 s',
      mappingOf(
        () => stack.store.callEvents,
        () => stack.projector.projectFunction,
        () => stack.projector.failureQueue,
        ['INSERT'],
        undefined,
        5,
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

  it('may Get (one or a batch) and Put records and Query the three indexes it reads, nothing more', () => {
    const permissions = permissionsOf(template, logicalId(stack.sweep.sweepFunction.executionRole));
    expect(actionsOf(permissions)).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    const index = (name: string) => ({ 'Fn::Join': ['', [arnOf(stack.store.calls), `/index/${name}`]] });
    expect(resourcesFor(permissions, 'dynamodb:Query')).toEqual(
      expect.arrayContaining([index('OpenCallsV2'), index('PendingCallbacks'), index('ByCustomerNumberV2')]),
    );
    expect(resourcesFor(permissions, 'dynamodb:Query')).toHaveLength(3);
    expect(resourcesFor(permissions, 'dynamodb:BatchGetItem')).toEqual([arnOf(stack.store.calls)]);
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
    ]);
    expect(resourcesFor(permissions, 'events:PutEvents')).toEqual([arnOf(stack.routing.eventBus)]);
    expect(resourcesFor(permissions, 'dynamodb:GetRecords')).toEqual([
      { 'Fn::GetAtt': [logicalId(stack.store.callEvents), 'StreamArn'] },
      { 'Fn::GetAtt': [logicalId(stack.store.calls), 'StreamArn'] },
    ]);
    expect(resourcesFor(permissions, 'sqs:SendMessage')).toEqual([arnOf(stack.publisher.failureQueue)]);
    expect(actionsOf(permissions.filter((p) => p.resource === '*'))).toEqual(['dynamodb:ListStreams']);
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

  it("registers the detail of every call-level event, each from the record's one schema", () => {
    for (const [detailType, { schema }] of Object.entries(callLevelJsonSchemas())) {
      const found = Object.values(
        template.findResources('AWS::EventSchemas::Schema', {
          Properties: { SchemaName: `${SETTINGS.eventSource.default}@${detailType}` },
        }),
      );
      expect(found).toHaveLength(1);
      const content = JSON.parse(found[0]?.Properties.Content);
      expect(content).toEqual(schema);
      expect(content.required).toEqual(expect.arrayContaining(['SessionID', 'EventId']));
    }
    expect(Object.keys(callLevelJsonSchemas()).sort()).toEqual(Object.values(CALL_LEVEL_EVENTS).sort());
  });

  it('registers one JSON Schema (draft 4) per HookType, of the published detail', () => {
    const callLevel = Object.values(CALL_LEVEL_EVENTS).join('|');
    const schemas = Object.values(template.findResources('AWS::EventSchemas::Schema')).filter(
      (s) => !new RegExp(`@(${callLevel})$`).test(String(s.Properties.SchemaName)),
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
      'CallCompleted with Outcome missed, or correcting a missed one',
      () => stack.routing.missedCallsToCallBack,
      {
        'detail-type': ['CallCompleted'],
        detail: { $or: [{ Outcome: ['missed'] }, { PreviousOutcome: ['missed'] }] },
      },
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

  it('every rule with an SQS target dead-letters what it cannot deliver, and its queue what consumers cannot handle', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    const isQueue = (arn: unknown) => queues[getAttOf(arn) ?? ''] !== undefined;
    const targets = Object.values(template.findResources('AWS::Events::Rule'))
      .flatMap((rule) => (rule.Properties.Targets ?? []) as Record<string, unknown>[])
      .filter((target) => isQueue(target.Arn));
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) {
      expect(isQueue((target.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn)).toBe(true);
      expect(target.RetryPolicy).toEqual({
        MaximumRetryAttempts: expect.any(Number),
        MaximumEventAgeInSeconds: expect.any(Number),
      });
      const queue = queues[defined(getAttOf(target.Arn))];
      expect(isQueue(queue?.Properties.RedrivePolicy?.deadLetterTargetArn)).toBe(true);
    }
  });

  it('encrypts every queue, refuses non-TLS access to it and keeps messages 14 days', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues).length).toBeGreaterThan(0);
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

describe('with tracing=true', () => {
  const traced = synthesize({ tracing: 'true' }).template;
  it('traces the stage and every function with X-Ray, and lets each write its segments', () => {
    traced.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: true });
    const fns = Object.entries(traced.findResources('AWS::Lambda::Function'));
    expect(fns.length).toBeGreaterThan(3);
    for (const [, fn] of fns) expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    const policies = JSON.stringify(traced.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('xray:PutTraceSegments');
  });
});

describe('with logLevel=DEBUG', () => {
  it("lets every function's DEBUG lines through, Lambda's own still only on failure; other levels are refused", () => {
    const fns = Object.values(
      synthesize({ logLevel: 'DEBUG' }).template.findResources('AWS::Lambda::Function'),
    );
    expect(fns.length).toBeGreaterThan(3);
    for (const fn of fns)
      expect(fn.Properties.LoggingConfig).toMatchObject({
        ApplicationLogLevel: 'DEBUG',
        SystemLogLevel: 'WARN',
      });
    expect(() => synthesize({ logLevel: 'WARN' })).toThrow(
      /Invalid context "logLevel": must be INFO or DEBUG/,
    );
  });
});
