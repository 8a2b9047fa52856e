/**
 * cdk-nag (v3: a CDK policy-validation plugin) as the app runs it, and the one way this code
 * acknowledges a finding: on the construct it concerns, with a reason specific to it.
 */
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** Registers AwsSolutions checks on the app; synth fails on an unacknowledged error. */
export function addNagChecks(app: App): AwsSolutionsChecks {
  // The acknowledgements are also written into the template metadata (cdk_nag.rules_to_suppress)
  // so that reviewers and tests see every suppression and its reason next to the resource.
  const checks = new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true });
  Validations.of(app).addPlugins(checks);
  return checks;
}

/**
 * Acknowledges findings on `scope` and everything under it. Keys are rule ids, or a rule id
 * and one finding (`AwsSolutions-IAM5[Resource::*]`), which acknowledges that finding only.
 */
export function acknowledge(scope: IConstruct, reasons: Readonly<Record<string, string>>): void {
  for (const [id, reason] of Object.entries(reasons)) Validations.of(scope).acknowledge({ id, reason });
}

/** The CloudFormation resource of an L2 construct, to acknowledge a finding on it alone. */
export function cfnResourceOf(construct: IConstruct): IConstruct {
  return construct.node.defaultChild ?? construct;
}
