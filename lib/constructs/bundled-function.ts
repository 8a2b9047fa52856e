/** A Node.js Lambda function with the project's defaults: arm64, Node 24, ESM bundle, own log group; X-Ray tracing when the stack's `tracing` is on. */
import * as path from 'node:path';
import { Duration, Tags } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { FUNCTION_KIND_TAG, type FunctionKind } from '../../lambda/config/functions';
import { METRICS } from '../../lambda/config/metrics';

const REPO_ROOT = path.join(__dirname, '..', '..');

/** Powertools metric namespace; the functions' EMF metrics and the alarms on them share it. */
export const METRICS_NAMESPACE = METRICS.namespace;
export const SERVICE_NAME = METRICS.service;

/** Why every traced function's role has `Resource::*`; owners of a function quote it in their cdk-nag reason. */
/**
 * Construct-tree context the stack sets from its `tracing` setting: every BundledFunction under
 * it traces with X-Ray (Tracing.ACTIVE) when true, not at all otherwise.
 */
export const TRACING_CONTEXT = 'call-events:tracing';
/**
 * Construct-tree context the stack sets from its `logLevel` setting: the application log level of
 * every BundledFunction under it, INFO unless DEBUG (a higher one would drop the EMF records,
 * which Lambda reads as INFO lines).
 */
export const LOG_LEVEL_CONTEXT = 'call-events:log-level';

export const XRAY_WILDCARD_REASON =
  'X-Ray tracing (Tracing.ACTIVE) needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions, so their resource is "*"';

/**
 * esbuild's ESM output has no `require`; CommonJS dependencies bundled into it call one, so the
 * banner defines it from `import.meta.url`.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);";

/**
 * Parts of the AWS SDK that the functions' code paths never reach, loaded by the SDK only
 * through dynamic `import()`, so leaving them out changes nothing unless such a path is taken
 * (then the error is a missing module). What it saves is in docs/BENCHMARKS.md.
 * - Credential providers after the default chain's first link: a Lambda function always has
 *   its role's credentials in the environment. They pull in the STS, SSO, SSO-OIDC and sign-in
 *   clients. The container/IMDS link stays (SnapStart-style container credentials).
 * - Event-stream serde: only operations with event-stream members use it, and DynamoDB,
 *   EventBridge and Secrets Manager have none.
 */
export const UNREACHED_SDK_MODULES = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-web-identity',
  '@smithy/core/event-streams',
];

/**
 * esbuild settings of every function. Exported so that the benchmark bundles its baselines
 * with exactly these (`npm run bench`).
 */
export const FUNCTION_BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node24',
  minify: true,
  sourceMap: false,
  mainFields: ['module', 'main'],
  // The AWS SDK v3 is bundled too: tree-shaken, it loads faster than the runtime's full copy
  // (measured by the benchmark).
  externalModules: UNREACHED_SDK_MODULES,
  banner: ESM_REQUIRE_BANNER,
  // Only problems: every synth (and `npm start`) bundles, and sizes are the benchmark's job.
  logLevel: LogLevel.WARNING,
};

export interface BundledFunctionProps {
  /**
   * Which of the stack's own functions it is: tagged on it, so that local mode and the benchmark
   * find it by that. @default - none: a consumer of the bus, found by its event source mapping
   */
  readonly kind?: FunctionKind;
  /** Handler entry file relative to the repository root; it must `export const handler`. */
  readonly entry: string;
  readonly description: string;
  /** @default - no extra variables beyond the Powertools ones */
  readonly environment?: Record<string, string>;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * Of {@link UNREACHED_SDK_MODULES}, those this function's clients do reach (the Lambda client
   * loads the event-stream serde for InvokeWithResponseStream): bundled after all. @default none
   */
  readonly reachedSdkModules?: readonly string[];
}

/**
 * Its role starts with only what the function itself needs (write to its own log group, X-Ray);
 * callers add the rest with L2 grants. No AWSLambdaBasicExecutionRole: that managed policy would
 * allow writing to any log group.
 */
export class BundledFunction extends NodejsFunction {
  /** The function's own role (never undefined, unlike `role`), for grants and acknowledgements. */
  readonly executionRole: Role;
  /** Its handler's entry file, relative to the repository root (as given). */
  readonly entry: string;

  constructor(scope: Construct, id: string, props: BundledFunctionProps) {
    // Created before super() because NodejsFunction takes both as props; they sit beside it.
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${id}`,
    });
    logGroup.grantWrite(role);

    super(scope, id, {
      entry: path.join(REPO_ROOT, props.entry),
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: scope.node.tryGetContext(TRACING_CONTEXT) === true ? Tracing.ACTIVE : Tracing.DISABLED,
      role,
      logGroup,
      // Lambda's own START, END and REPORT lines only when an invocation fails (timeout, crash, out
      // of memory): its metrics say how long each ran, and those lines were a third of the
      // functions' log bytes (docs/BENCHMARKS.md, "What a million calls cost"). Powertools writes
      // JSON with a level, which the application level (INFO; DEBUG with -c logLevel=DEBUG) filters.
      loggingFormat: LoggingFormat.JSON,
      systemLogLevelV2: SystemLogLevel.WARN,
      applicationLogLevelV2:
        scope.node.tryGetContext(LOG_LEVEL_CONTEXT) === 'DEBUG'
          ? ApplicationLogLevel.DEBUG
          : ApplicationLogLevel.INFO,
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...props.environment,
      },
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      bundling: {
        ...FUNCTION_BUNDLING,
        externalModules: UNREACHED_SDK_MODULES.filter((m) => !props.reachedSdkModules?.includes(m)),
      },
    });
    this.executionRole = role;
    this.entry = props.entry;
    if (props.kind)
      Tags.of(this).add(FUNCTION_KIND_TAG, props.kind, { includeResourceTypes: ['AWS::Lambda::Function'] });
  }
}
