/**
 * The provider-facing edge: REST API `POST /call-events` → ingest function, its token, its access
 * logs, and the alarms and graphs of the ingest (rejections, errors, storage, tokens, 5xx).
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { GraphWidget, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { AnyPrincipal, Effect, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { INGEST_ENV } from '../../lambda/config/environment';
import { METRICS } from '../../lambda/config/metrics';
import { WEBHOOK_PATH } from '../../lambda/config/webhook';
import type { CallEventsConfig } from '../config';
import { acknowledge, cfnResourceOf } from '../nag';
import { BundledFunction, XRAY_WILDCARD_REASON } from './bundled-function';
import type { Monitoring } from './monitoring';

/**
 * The ingest's settings (zone, size limit, retentions); the token's hash, when the operator keeps
 * the token outside AWS (else a secret is generated); the source allowlist (else any source); the
 * stage throttling; how the customer's number is kept (pseudonymous mode adds its key and entry).
 */
export type WebhookApiConfig = Pick<
  CallEventsConfig,
  | 'timeZone'
  | 'maxBodyBytes'
  | 'retentionDays'
  | 'rejectedRetentionDays'
  | 'webhookTokenSha256'
  | 'allowedSourceIps'
  | 'throttlingRateLimit'
  | 'throttlingBurstLimit'
  | 'customerNumbers'
  | 'defaultCountry'
  | 'tracing'
>;

export interface WebhookApiProps {
  readonly config: WebhookApiConfig;
  readonly monitoring: Monitoring;
  /** Where accepted events are stored (PutItem only). */
  readonly callEvents: ITable;
  /** Where refused bodies are quarantined (PutItem only). */
  readonly rejectedCallEvents: ITable;
  /** Quarantined webhooks per period that raise the rejections alarm. @default 1 */
  readonly rejectedThreshold?: number;
  /** Requests without a valid token per period that raise the unauthorised alarm. @default 20 */
  readonly unauthorizedThreshold?: number;
}

/**
 * Access log fields. Deliberately no query string, headers or body: `?token=` and the token
 * headers carry the secret, and bodies carry phone numbers.
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: AccessLogField.contextRequestId(),
    requestTime: AccessLogField.contextRequestTime(),
    sourceIp: AccessLogField.contextIdentitySourceIp(),
    userAgent: AccessLogField.contextIdentityUserAgent(),
    httpMethod: AccessLogField.contextHttpMethod(),
    resourcePath: AccessLogField.contextResourcePath(),
    status: AccessLogField.contextStatus(),
    responseLength: AccessLogField.contextResponseLength(),
    responseLatency: AccessLogField.contextResponseLatency(),
    integrationStatus: AccessLogField.contextIntegrationStatus(),
    integrationLatency: AccessLogField.contextIntegrationLatency(),
    errorMessage: AccessLogField.contextErrorMessage(),
    xrayTraceId: AccessLogField.contextXrayTraceId(),
  }),
);

/**
 * With a resource policy present API Gateway needs an explicit Allow for unauthenticated calls;
 * the Deny then wins for every address outside the list.
 */
function sourceIpPolicy(cidrs: readonly string[]): PolicyDocument {
  const invoke = {
    principals: [new AnyPrincipal()],
    actions: ['execute-api:Invoke'],
    resources: ['execute-api:/*'],
  };
  return new PolicyDocument({
    statements: [
      new PolicyStatement({ ...invoke, effect: Effect.ALLOW }),
      new PolicyStatement({
        ...invoke,
        effect: Effect.DENY,
        conditions: { NotIpAddress: { 'aws:SourceIp': [...cidrs] } },
      }),
    ],
  });
}

export class WebhookApi extends Construct {
  readonly ingestFunction: BundledFunction;
  readonly restApi: RestApi;
  readonly accessLogs: LogGroup;
  /** Holds the generated webhook token; absent when a token hash is configured instead. */
  readonly tokenSecret?: Secret;
  /** Pseudonymous mode: the key of the customers' pseudonyms; absent in plain mode. */
  readonly customerNumberKey?: Secret;
  /** The full URL to give the provider. */
  readonly webhookUrl: string;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    const { config } = props;

    const environment: Record<string, string> = {
      [INGEST_ENV.callEventsTable]: props.callEvents.tableName,
      [INGEST_ENV.rejectedEventsTable]: props.rejectedCallEvents.tableName,
      [INGEST_ENV.timeZone]: config.timeZone,
      [INGEST_ENV.maxBodyBytes]: String(config.maxBodyBytes),
      [INGEST_ENV.rejectedRetentionDays]: String(config.rejectedRetentionDays),
    };
    if (config.retentionDays !== undefined) {
      environment[INGEST_ENV.retentionDays] = String(config.retentionDays);
    }
    if (config.webhookTokenSha256 === undefined) {
      // Secure by default: a deploy with no configuration still requires a token.
      this.tokenSecret = new Secret(this, 'WebhookToken', {
        description: 'Token the call-event provider sends with every webhook (X-Webhook-Token or ?token=)',
        generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      });
      environment[INGEST_ENV.tokenSecretArn] = this.tokenSecret.secretArn;
      acknowledge(this.tokenSecret, {
        'AwsSolutions-SMG4':
          "The webhook token is configured in the provider's PBX settings; an automatic rotation would make every webhook fail with 401 until someone re-enters the new token there, so it is rotated by hand.",
      });
    } else {
      environment[INGEST_ENV.tokenSha256] = config.webhookTokenSha256;
    }

    const pseudonymous = config.customerNumbers === 'pseudonymous';
    if (pseudonymous) {
      // Losing the key loses every lookup by number (a new key gives every customer a new
      // pseudonym), so it outlives the stack, and is never rotated.
      this.customerNumberKey = new Secret(this, 'CustomerNumberKey', {
        description:
          "Key of the customers' number pseudonyms (HMAC-SHA-256); the tools need it to find a customer by number",
        generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
        removalPolicy: RemovalPolicy.RETAIN,
      });
      environment[INGEST_ENV.customerNumberKeySecretArn] = this.customerNumberKey.secretArn;
      environment[INGEST_ENV.defaultCountry] = config.defaultCountry;
      acknowledge(this.customerNumberKey, {
        'AwsSolutions-SMG4':
          'A rotated key would give every customer a new pseudonym: their earlier calls would no longer be found, called back or counted with their later ones.',
      });
    }

    this.ingestFunction = new BundledFunction(this, 'IngestFunction', {
      kind: 'ingest',
      // Plain mode's bundle carries no phone library: the pseudonymous rewriter is its own entry.
      entry: pseudonymous
        ? 'lambda/functions/ingest-call-event-pseudonymous.ts'
        : 'lambda/functions/ingest-call-event.ts',
      description: pseudonymous
        ? "Authenticates, validates and stores one call-event webhook, the customer's number pseudonymized"
        : 'Authenticates, validates and stores one call-event webhook',
      environment,
    });
    // Least privilege: it only ever creates items (a conditional PutItem), never reads or updates.
    props.callEvents.grant(this.ingestFunction, 'dynamodb:PutItem');
    props.rejectedCallEvents.grant(this.ingestFunction, 'dynamodb:PutItem');
    this.tokenSecret?.grantRead(this.ingestFunction);
    this.customerNumberKey?.grantRead(this.ingestFunction);
    acknowledge(this.ingestFunction.executionRole, {
      'AwsSolutions-IAM5[Resource::*]': `${XRAY_WILDCARD_REASON}; every other statement names its table, secret or log group.`,
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH });
    this.restApi = new RestApi(this, 'Api', {
      // Named after the stack: API Gateway's metrics (and so the alarms) are keyed by ApiName.
      restApiName: `${Stack.of(this).stackName}-webhook`,
      description: 'Receives the cloud PBX call-event webhooks',
      endpointTypes: [EndpointType.REGIONAL],
      // Every body reaches the function base64-encoded, byte for byte: without a binary media
      // type API Gateway would turn it into text first, and invalid UTF-8 would arrive as U+FFFD
      // instead of being refused and quarantined exactly as sent.
      binaryMediaTypes: ['*/*'],
      cloudWatchRole: false,
      policy: config.allowedSourceIps && sourceIpPolicy(config.allowedSourceIps),
      deployOptions: {
        tracingEnabled: config.tracing,
        dataTraceEnabled: false,
        throttlingRateLimit: config.throttlingRateLimit,
        throttlingBurstLimit: config.throttlingBurstLimit,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: ACCESS_LOG_FORMAT,
      },
    });
    const method = this.restApi.root
      .addResource(WEBHOOK_PATH)
      .addMethod('POST', new LambdaIntegration(this.ingestFunction, { allowTestInvoke: false }), {
        authorizationType: AuthorizationType.NONE,
      });
    this.webhookUrl = this.restApi.urlForPath(`/${WEBHOOK_PATH}`);

    // Each on the one resource the rule checks, so the template shows it nowhere else.
    acknowledge(cfnResourceOf(this.restApi), {
      'AwsSolutions-APIG2':
        'Request bodies are validated by the ingest function against the zod contract; invalid bodies must reach it so they can be quarantined in RejectedCallEvents, not rejected at the edge.',
    });
    const providerAuth =
      'The PBX provider can only send a shared token (header or ?token=), not SigV4 or a Cognito JWT; the ingest function checks it in constant time against the secret or its SHA-256.';
    acknowledge(cfnResourceOf(method), {
      'AwsSolutions-APIG4': providerAuth,
      'AwsSolutions-COG4': providerAuth,
    });
    acknowledge(cfnResourceOf(this.restApi.deploymentStage), {
      'AwsSolutions-APIG3':
        'A WAF web ACL is optional and billed per ACL and request; stage throttling and the optional source-IP allowlist resource policy bound abuse of this single token-checked POST endpoint.',
      'AwsSolutions-APIG6':
        "Execution logging needs the account-wide API Gateway CloudWatch role, which this app must not take over; JSON access logs (without the query string) and the function's own structured logs cover each request.",
    });

    this.monitor(props);
  }

  private monitor(props: WebhookApiProps): void {
    const { monitoring } = props;
    const { ingest } = METRICS;
    const minutes = monitoring.period.toMinutes();
    const sum = { period: monitoring.period, statistic: Stats.SUM };
    monitoring.alarm(
      this,
      'RejectedAlarm',
      monitoring.emf(ingest.rejected),
      props.rejectedThreshold ?? 1,
      `Authenticated webhooks were rejected (invalid JSON or contract, or over the size limit) and quarantined. ` +
        `Read them in the RejectedCallEvents table (partition RejectedOn = today, UTC): Reason and Issues say why. ` +
        `A provider format change needs a contract change; the stored Body can be posted again once it is accepted.`,
    );
    monitoring.alarm(
      this,
      'IngestErrorAlarm',
      monitoring.emf(ingest.error),
      1,
      `The ingest function failed unexpectedly and answered 500; the provider may not retry. ` +
        `Find "Unexpected ingest failure" in the ingest function's logs (requestId), fix the cause, and ask the provider to resend those calls.`,
    );
    monitoring.alarm(
      this,
      'StorageUnavailableAlarm',
      monitoring.emf(ingest.storageUnavailable),
      1,
      `DynamoDB refused the CallEvents write and the provider was answered 503 (it retries). ` +
        `Check the ingest function's logs ("Storage unavailable") and the table's throttling and errors; sustained, events are late or lost once the provider stops retrying.`,
    );
    monitoring.alarm(
      this,
      'UnauthorizedAlarm',
      monitoring.emf(ingest.unauthorized),
      props.unauthorizedThreshold ?? 20,
      `Many webhook requests in ${minutes} min came without a valid token: the provider has a wrong or old token (after a rotation?), or someone is probing the URL. ` +
        `Compare the token configured at the provider with the deployed one; look at sourceIp in the API access logs; consider the allowedSourceIps allowlist.`,
    );
    monitoring.functionAlarms(this, this.ingestFunction, {
      errors:
        `The ingest Lambda function itself failed (cold-start configuration error, timeout or crash); API Gateway answered 5xx. ` +
        `Read the function's log group for the error; a configuration error names the environment variable to fix.`,
      // The provider is the caller: a throttled webhook is answered 5xx, not queued.
      throttles:
        `Ingest invocations were throttled (account or reserved concurrency exhausted); the provider got 5xx for them. ` +
        `Check the account's concurrent executions and other functions' usage; raise the concurrency quota or lower the API stage throttling.`,
    });
    monitoring.alarm(
      this,
      'Api5xxAlarm',
      this.restApi.metricServerError(sum),
      1,
      `The webhook API answered 5xx: a 503 (storage unavailable), a 500 (ingest error) or an API Gateway/Lambda failure. ` +
        `See the other ingest alarms and the API access logs (status, integrationStatus, errorMessage) for which.`,
    );

    const api = this.restApi;
    const p = (n: number) => ({ period: monitoring.period, statistic: Stats.percentile(n) });
    monitoring.addWidgets(
      new GraphWidget({
        title: 'Webhook requests',
        width: 12,
        left: [
          api.metricCount({ ...sum, label: 'Requests' }),
          api.metricClientError({ ...sum, label: '4XXError' }),
          api.metricServerError({ ...sum, label: '5XXError' }),
        ],
      }),
      new GraphWidget({
        title: 'Webhook latency (ms)',
        width: 12,
        left: [
          api.metricLatency({ ...p(50), label: 'Latency p50' }),
          api.metricLatency({ ...p(99), label: 'Latency p99' }),
        ],
      }),
    );
    monitoring.addWidgets(
      new GraphWidget({
        title: 'Ingest outcomes',
        width: 12,
        left: [
          ingest.accepted,
          ingest.duplicate,
          ingest.rejected,
          ingest.unauthorized,
          ingest.storageUnavailable,
          ingest.error,
        ].map((name) => monitoring.emf(name, name)),
      }),
      monitoring.functionGraph('Ingest function', this.ingestFunction, { width: 12, throttles: true }),
    );
  }
}
