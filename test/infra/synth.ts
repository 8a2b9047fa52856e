/** Builds the stack for a given context, as bin/ does, for the infra tests to assert on. */
import { type App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildCallEventsApp } from '../../lib/app';
import type { CallEventsStack } from '../../lib/call-events-stack';

export interface Synthesized {
  readonly app: App;
  readonly stack: CallEventsStack;
  readonly template: Template;
}

/**
 * Fast: no esbuild (the template differs only in asset hashes) and no built-in CloudFormation
 * validation (seconds per synth); the app test runs both, as `cdk synth` does.
 */
export function synthesize(context: Record<string, unknown> = {}): Synthesized {
  const { app, stack } = buildCallEventsApp({ context, bundle: false, validate: false });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(construct: IConstruct): string {
  const resource = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(resource).getLogicalId(resource);
}

export const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });
export const refOf = (construct: IConstruct) => ({ Ref: logicalId(construct) });

export interface Permission {
  readonly action: string;
  readonly resource: unknown;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every (action, resource) pair that the role's attached policies allow. */
export function permissionsOf(template: Template, roleLogicalId: string): Permission[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: roleLogicalId }] },
  });
  return Object.values(policies).flatMap((policy) =>
    (policy.Properties.PolicyDocument.Statement as Record<string, unknown>[]).flatMap((statement) => {
      expect(statement.Effect).toBe('Allow');
      return asArray(statement.Action as string | string[]).flatMap((action) =>
        asArray(statement.Resource).map((resource) => ({ action, resource })),
      );
    }),
  );
}

export const actionsOf = (permissions: Permission[]) => [...new Set(permissions.map((p) => p.action))].sort();
export const resourcesFor = (permissions: Permission[], action: string) =>
  permissions.filter((p) => p.action === action).map((p) => p.resource);

/** The value, or a test failure saying what was missing. */
export function defined<T>(value: T | undefined, what = 'value'): T {
  if (value === undefined) throw new Error(`expected a ${what}`);
  return value;
}
