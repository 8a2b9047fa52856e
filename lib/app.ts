/**
 * The one way to build the app: context in, the validated configuration, the stack (with
 * cdk-nag) and, on synth, the assembly out. `bin/` (the CDK CLI), local mode, the bench and the
 * infra tests all build it here, so they cannot disagree on context or checks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { AwsSolutionsChecks } from 'cdk-nag';
import { CallEventsStack } from './call-events-stack';
import { type CallEventsConfig, readConfig } from './config';
import { addNagChecks } from './nag';

export const STACK_NAME = 'CallEvents';

export interface CallEventsAppOptions {
  /**
   * Context over cdk.json's, as `-c key=value` gives it. When the CDK CLI runs the app, its own
   * context (cdk.json and `-c`) comes on top of this.
   * @default none
   */
  readonly context?: Record<string, unknown>;
  /** Where the cloud assembly is written. @default CDK's (`CDK_OUTDIR`, else a temporary folder) */
  readonly outdir?: string;
  /** Bundle the functions with esbuild; without it the template differs only in asset hashes. @default true */
  readonly bundle?: boolean;
  /** Record each function's bundle folder in its Metadata (`aws:asset:path`), as local mode needs. @default false */
  readonly assetMetadata?: boolean;
  /** CloudFormation's built-in validation on synth (seconds per synth). @default true */
  readonly validate?: boolean;
}

export interface CallEventsApp {
  readonly app: App;
  readonly config: CallEventsConfig;
  readonly stack: CallEventsStack;
  readonly nagChecks: AwsSolutionsChecks;
}

/** cdk.json's context (feature flags and the project's settings), as `cdk synth` reads it. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/** Builds the app without synthesizing it; throws a `ConfigError` naming any bad context key. */
export function buildCallEventsApp(options: CallEventsAppOptions = {}): CallEventsApp {
  const context: Record<string, unknown> = { ...cdkJsonContext(), ...options.context };
  // An empty list of stacks to bundle makes NodejsFunction skip esbuild.
  if (options.bundle === false) context['aws:cdk:bundling-stacks'] = [];
  if (options.assetMetadata) context['aws:cdk:enable-asset-metadata'] = true;
  const app = new App({
    context,
    ...(options.outdir ? { outdir: options.outdir } : {}),
    ...(options.validate === false ? { builtinCloudFormationValidation: false } : {}),
  });
  const config = readConfig(app);
  const stack = new CallEventsStack(app, STACK_NAME, {
    config,
    description: 'Cloud PBX call-event webhooks → DynamoDB → EventBridge',
  });
  return { app, config, stack, nagChecks: addNagChecks(app) };
}

/** Builds and synthesizes the app: the assembly, and the stack's template as JSON. */
export function synthesizeCallEventsApp(
  options: CallEventsAppOptions = {},
): CallEventsApp & { assembly: CloudAssembly; template: unknown } {
  const built = buildCallEventsApp(options);
  const assembly = built.app.synth();
  return { ...built, assembly, template: assembly.getStackByName(built.stack.stackName).template };
}
