/** The provider-facing edge: REST API `POST /call-events` → ingest function, its token and its access logs. */

import { Stack } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { AnyPrincipal, Effect, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { INGEST_ENV, WEBHOOK_PATH } from '../../lambda/contract/runtime-config';
import { acknowledge, cfnResourceOf } from '../nag';
import { BundledFunction, XRAY_WILDCARD_REASON } from './bundled-function';

export interface WebhookApiProps {
  readonly callEvents: ITable;
  readonly rejectedCallEvents: ITable;
  /** IANA zone the provider's wall-clock times are read in. */
  readonly timeZone: string;
  /** Largest body accepted; a larger one is quarantined truncated and answered 413. */
  readonly maxBodyBytes: number;
  /** Days to keep CallEvents items. @default - kept for ever */
  readonly retentionDays?: number;
  /** Days to keep quarantined bodies. */
  readonly rejectedRetentionDays: number;
  /**
   * Hex SHA-256 of the webhook token, for an operator who manages the token outside AWS.
   * @default - a token is generated at deploy time and kept in a new Secrets Manager secret
   */
  readonly webhookTokenSha256?: string;
  /** @default - requests from any source address */
  readonly allowedSourceIps?: readonly string[];
  /** Stage steady-state requests per second. */
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
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
  /** The full URL to give the provider. */
  readonly webhookUrl: string;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);

    const environment: Record<string, string> = {
      [INGEST_ENV.callEventsTable]: props.callEvents.tableName,
      [INGEST_ENV.rejectedEventsTable]: props.rejectedCallEvents.tableName,
      [INGEST_ENV.timeZone]: props.timeZone,
      [INGEST_ENV.maxBodyBytes]: String(props.maxBodyBytes),
      [INGEST_ENV.rejectedRetentionDays]: String(props.rejectedRetentionDays),
    };
    if (props.retentionDays !== undefined) {
      environment[INGEST_ENV.retentionDays] = String(props.retentionDays);
    }
    if (props.webhookTokenSha256 === undefined) {
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
      environment[INGEST_ENV.tokenSha256] = props.webhookTokenSha256;
    }

    this.ingestFunction = new BundledFunction(this, 'IngestFunction', {
      entry: 'lambda/functions/ingest-call-event.ts',
      description: 'Authenticates, validates and stores one call-event webhook',
      environment,
    });
    // Least privilege: it only ever creates items (a conditional PutItem), never reads or updates.
    props.callEvents.grant(this.ingestFunction, 'dynamodb:PutItem');
    props.rejectedCallEvents.grant(this.ingestFunction, 'dynamodb:PutItem');
    this.tokenSecret?.grantRead(this.ingestFunction);
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
      policy: props.allowedSourceIps && sourceIpPolicy(props.allowedSourceIps),
      deployOptions: {
        tracingEnabled: true,
        dataTraceEnabled: false,
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
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
  }
}
