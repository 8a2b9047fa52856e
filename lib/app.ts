/** What bin/ puts in the app once the context is read: the stack and cdk-nag; the infra tests do the same. */
import type { App } from 'aws-cdk-lib';
import type { AwsSolutionsChecks } from 'cdk-nag';
import { CallEventsStack } from './call-events-stack';
import type { CallEventsConfig } from './config';
import { addNagChecks } from './nag';

export const STACK_NAME = 'CallEvents';

export function buildApp(
  app: App,
  config: CallEventsConfig,
): { stack: CallEventsStack; nagChecks: AwsSolutionsChecks } {
  const stack = new CallEventsStack(app, STACK_NAME, {
    config,
    description: 'Cloud PBX call-event webhooks → DynamoDB → EventBridge',
  });
  return { stack, nagChecks: addNagChecks(app) };
}
