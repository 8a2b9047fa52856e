/** Builds the stack for a given context, as bin/ does, for the infra tests to assert on. */
import { type App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { FUNCTION_KIND_TAG, type FunctionKind } from '../../lambda/config/functions';
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

/** A template resource as `Template.findResources` returns it. */
export type Resource = ReturnType<Template['findResources']>[string];

const resources = (template: Template, type: string) =>
  Object.entries(template.findResources(type)) as [string, Resource][];

/** The stack's functions tagged with `kind` (lambda/config/functions.ts), by logical id. */
export function functionsOfKind(template: Template, kind: FunctionKind): [string, Resource][] {
  return resources(template, 'AWS::Lambda::Function').filter(([, fn]) =>
    (fn.Properties.Tags ?? []).some(
      (tag: { Key: string; Value: string }) => tag.Key === FUNCTION_KIND_TAG && tag.Value === kind,
    ),
  );
}

/** The logical id of a `{ "Fn::GetAtt": [id, attribute] }`, if it is one. */
export function getAttOf(value: unknown, attribute = 'Arn'): string | undefined {
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
  return getAtt?.[1] === attribute ? getAtt[0] : undefined;
}

/** The alarms that watch `metricName` of `namespace` with exactly these dimensions. */
export function alarmsWatching(
  template: Template,
  namespace: string,
  metricName: string,
  dimensions: unknown[],
): [string, Resource][] {
  return resources(template, 'AWS::CloudWatch::Alarm').filter(
    ([, alarm]) =>
      alarm.Properties.Namespace === namespace &&
      alarm.Properties.MetricName === metricName &&
      JSON.stringify(alarm.Properties.Dimensions) === JSON.stringify(dimensions),
  );
}

/** The dimensions of a queue's AWS/SQS metrics. */
export const queueDimensions = (queueLogicalId: string) => [
  { Name: 'QueueName', Value: { 'Fn::GetAtt': [queueLogicalId, 'QueueName'] } },
];

/** The parts of a widget's JSON that the tests read. */
export interface DashboardWidget {
  readonly type: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly properties: { title?: string; alarms?: string[]; metrics?: unknown[][] };
}

/**
 * The dashboard's widgets as CloudWatch reads them, each token of the body written as text:
 * `{{Ref:Id}}`, `{{Id.Attribute}}` (so an alarm on the alarm widget is `{{<alarm id>.Arn}}`), or
 * any other as its JSON with single quotes, `{{{'Fn::Select':…}}}`.
 */
export function dashboardWidgets(template: Template): DashboardWidget[] {
  return resources(template, 'AWS::CloudWatch::Dashboard').flatMap(([, dashboard]) => {
    const body = dashboard.Properties.DashboardBody;
    const parts: unknown[] = typeof body === 'string' ? [body] : body['Fn::Join'][1];
    const text = parts
      .map((part) => {
        if (typeof part === 'string') return part;
        const token = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
        if (token.Ref) return `{{Ref:${token.Ref}}}`;
        if (token['Fn::GetAtt']) return `{{${token['Fn::GetAtt'].join('.')}}}`;
        return `{{${JSON.stringify(part).replaceAll('"', "'")}}}`;
      })
      .join('');
    return (JSON.parse(text) as { widgets: DashboardWidget[] }).widgets;
  });
}

/** The logical ids of the alarms that the dashboard's alarm-status widgets list. */
export function alarmsOnDashboard(template: Template): string[] {
  return dashboardWidgets(template)
    .filter((widget) => widget.type === 'alarm')
    .flatMap((widget) => widget.properties.alarms ?? [])
    .map((arn) => arn.replace(/^\{\{(.+)\.Arn\}\}$/, '$1'));
}

/** The graph widget titled `title`, or a test failure. */
export function graph(template: Template, title: string): DashboardWidget {
  return defined(
    dashboardWidgets(template).find(
      (widget) => widget.type === 'metric' && widget.properties.title === title,
    ),
    `graph titled ${title}`,
  );
}
