/**
 * Reads the synthesized CloudFormation template of the stack, so that local mode, the benchmark
 * and the integration tests build their tables, find their functions and set their environments
 * from the stack's own definitions rather than restating them.
 */
import type {
  AttributeDefinition,
  CreateTableCommandInput,
  KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import { FUNCTION_KIND_TAG, type FunctionKind, isFunctionKind } from '../lambda/config/functions';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown }>;
}

/** A readable local name for a resource: its logical id without CDK's 8-character hash suffix. */
export function localName(logicalId: string): string {
  return logicalId.replace(/[0-9A-F]{8}$/, '');
}

export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/** What a function is, by its tag (`FUNCTION_KIND_TAG`); undefined for a function without one. */
export function functionKind(fn: CfnResource): FunctionKind | undefined {
  const tags = (fn.Properties?.Tags ?? []) as { Key?: unknown; Value?: unknown }[];
  const value = tags.find((tag) => tag.Key === FUNCTION_KIND_TAG)?.Value;
  if (value === undefined) return undefined;
  if (!isFunctionKind(value)) throw new Error(`A function is tagged ${FUNCTION_KIND_TAG}=${String(value)}`);
  return value;
}

/** Every function of the template that is tagged with a kind, by kind; two of one kind are an error. */
export function functionsByKind(template: CfnTemplate): Partial<Record<FunctionKind, string>> {
  const byKind: Partial<Record<FunctionKind, string>> = {};
  for (const [logicalId, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const kind = functionKind(fn);
    if (kind === undefined) continue;
    if (byKind[kind]) throw new Error(`Two functions are tagged ${FUNCTION_KIND_TAG}=${kind}`);
    byKind[kind] = logicalId;
  }
  return byKind;
}

export interface LocalTable {
  logicalId: string;
  input: CreateTableCommandInput;
  ttlAttribute?: string;
}

/** One CreateTable input per `AWS::DynamoDB::Table`: keys, attributes, indexes, stream; TTL beside it. */
export function tableDefinitions(template: CfnTemplate): LocalTable[] {
  return resourcesOfType(template, 'AWS::DynamoDB::Table').map(([logicalId, resource]) => {
    const p = resource.Properties ?? {};
    const stream = p.StreamSpecification as { StreamViewType?: string } | undefined;
    const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
    const gsis = p.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'];
    const lsis = p.LocalSecondaryIndexes as CreateTableCommandInput['LocalSecondaryIndexes'];
    const input: CreateTableCommandInput = {
      TableName: localName(logicalId),
      KeySchema: p.KeySchema as KeySchemaElement[],
      AttributeDefinitions: p.AttributeDefinitions as AttributeDefinition[],
      BillingMode: 'PAY_PER_REQUEST',
      ...(gsis ? { GlobalSecondaryIndexes: gsis.map(({ ProvisionedThroughput: _, ...i }) => i) } : {}),
      ...(lsis ? { LocalSecondaryIndexes: lsis } : {}),
      ...(stream?.StreamViewType
        ? {
            StreamSpecification: {
              StreamEnabled: true,
              StreamViewType: stream.StreamViewType as 'NEW_IMAGE',
            },
          }
        : {}),
    };
    return {
      logicalId,
      input,
      ...(ttl?.Enabled && ttl.AttributeName ? { ttlAttribute: ttl.AttributeName } : {}),
    };
  });
}

/**
 * A function's environment as the stack sets it, with `Ref`s to tables replaced by the
 * local table names; any other intrinsic is an error, so a new wiring is not silently missed.
 */
export function functionEnvironment(
  template: CfnTemplate,
  functionLogicalId: string,
  resolveRef: (logicalId: string) => string | undefined,
): Record<string, string> {
  const fn = template.Resources[functionLogicalId];
  if (!fn) throw new Error(`No resource ${functionLogicalId} in the template`);
  const variables = ((fn.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables ??
    {}) as Record<string, unknown>;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    if (typeof value === 'string') {
      env[name] = value;
      continue;
    }
    const ref = (value as { Ref?: string }).Ref;
    const resolved = ref ? resolveRef(ref) : undefined;
    if (resolved === undefined)
      throw new Error(`${functionLogicalId}: cannot resolve ${name}=${JSON.stringify(value)} locally`);
    env[name] = resolved;
  }
  return env;
}
