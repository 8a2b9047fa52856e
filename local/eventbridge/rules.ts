/** The local EventBridge's buses and rules, read from the stack's synthesized template rather than restated. */
import { type CfnTemplate, localName, resourcesOfType } from '../template';
import { type EventPattern, InvalidEventPatternError, validatePattern } from './event-pattern';

export const DEFAULT_EVENT_BUS = 'default';

/** One enabled rule with an event pattern, as the local EventBridge evaluates it. */
export interface LocalRule {
  /** The rule's `Name`, or else its logical id without CDK's hash: the deliveries file's name. */
  name: string;
  eventBusName: string;
  eventPattern: EventPattern;
  /** Logical ids of the SQS queues among its targets (absent when none): local mode's consumers read them. */
  queueTargets?: string[];
}

/** Resolves a bus's logical id (from a `Ref` or `Fn::GetAtt`) to its name; undefined when unknown. */
export type BusNameResolver = (logicalId: string) => string | undefined;

/** The `Name` of every `AWS::Events::EventBus` in the template, by logical id. */
export function busesFromTemplate(template: CfnTemplate): Record<string, string> {
  return Object.fromEntries(
    resourcesOfType(template, 'AWS::Events::EventBus').map(([logicalId, bus]) => {
      const name = bus.Properties?.Name;
      return [logicalId, typeof name === 'string' ? name : localName(logicalId)];
    }),
  );
}

/**
 * Every enabled `AWS::Events::Rule` that has an event pattern (scheduled rules have none and
 * never see PutEvents). Patterns are validated here, so that a pattern EventBridge would
 * refuse fails local mode at start, naming the rule, instead of silently matching nothing.
 */
export function rulesFromTemplate(
  template: CfnTemplate,
  resolveBusName: BusNameResolver = lookup(busesFromTemplate(template)),
): LocalRule[] {
  return resourcesOfType(template, 'AWS::Events::Rule').flatMap(([logicalId, rule]) => {
    const p = rule.Properties ?? {};
    if (p.EventPattern === undefined || !isEnabled(p.State)) return [];
    const name = typeof p.Name === 'string' ? p.Name : localName(logicalId);
    const queueTargets = ((p.Targets ?? []) as { Arn?: unknown }[])
      .map((target) => referencedLogicalId(target.Arn))
      .filter((id): id is string => id !== undefined && template.Resources[id]?.Type === 'AWS::SQS::Queue');
    return [
      {
        name,
        eventBusName: ruleBusName(logicalId, p.EventBusName, resolveBusName),
        eventPattern: rulePattern(logicalId, p.EventPattern),
        ...(queueTargets.length > 0 ? { queueTargets } : {}),
      },
    ];
  });
}

/** A bus given by name or by ARN (`arn:aws:events:<region>:<account>:event-bus/<name>`), as PutEvents accepts it. */
export function eventBusNameOf(nameOrArn: string): string {
  const match = /^arn:[^:]+:events:[^:]*:[^:]*:event-bus\/(.+)$/.exec(nameOrArn);
  return match?.[1] ?? nameOrArn;
}

const lookup =
  (names: Readonly<Record<string, string>>): BusNameResolver =>
  (logicalId) =>
    Object.hasOwn(names, logicalId) ? names[logicalId] : undefined;

// CloudFormation's default State is ENABLED; ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS is enabled too.
const isEnabled = (state: unknown) =>
  state === undefined || (typeof state === 'string' && state.startsWith('ENABLED'));

function ruleBusName(logicalId: string, value: unknown, resolveBusName: BusNameResolver): string {
  if (value === undefined) return DEFAULT_EVENT_BUS;
  if (typeof value === 'string') return eventBusNameOf(value);
  const ref = referencedLogicalId(value);
  const name = ref === undefined ? undefined : resolveBusName(ref);
  if (name === undefined) {
    throw new Error(`${logicalId}: cannot resolve EventBusName ${JSON.stringify(value)} locally`);
  }
  return name;
}

/** `{ Ref: id }` or `{ "Fn::GetAtt": [id, attribute] }`: both name the bus's resource. */
function referencedLogicalId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { Ref: ref, 'Fn::GetAtt': getAtt } = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
  if (typeof ref === 'string') return ref;
  return Array.isArray(getAtt) && typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
}

/** CDK writes the pattern as an object; a hand-written template may give it as a JSON string. */
function rulePattern(logicalId: string, value: unknown): EventPattern {
  try {
    const pattern: unknown = typeof value === 'string' ? JSON.parse(value) : value;
    validatePattern(pattern);
    return pattern;
  } catch (error) {
    if (error instanceof InvalidEventPatternError || error instanceof SyntaxError) {
      throw new Error(`${logicalId}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
