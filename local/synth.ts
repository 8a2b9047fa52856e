/**
 * Synthesizes the stack in-process to read its template: the single source for local
 * tables, function environments and bundles, stream settings and rules. Uses cdk.json's
 * context (feature flags) as `cdk synth` would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { CallEventsStack } from '../lib/call-events-stack';
import { parseConfig } from '../lib/config';
import type { CfnTemplate } from './template';

export const STACK_ID = 'CallEvents';
const ROOT = join(__dirname, '..');

function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

function synth(
  context: Record<string, unknown>,
  appContext: Record<string, unknown>,
  outdir?: string,
): CfnTemplate {
  const merged = { ...cdkJsonContext(), ...context };
  const app = new App({ context: { ...merged, ...appContext }, ...(outdir ? { outdir } : {}) });
  const config = parseConfig(
    Object.fromEntries(Object.entries(merged).filter(([key]) => !/^(@aws-cdk|aws:|cdk-)/.test(key))),
  );
  const stack = new CallEventsStack(app, STACK_ID, { config });
  return app.synth().getStackByName(stack.stackName).template as CfnTemplate;
}

/** The template alone, without bundling the functions (fast; for tables and settings). */
export function synthesizeTemplate(context: Record<string, unknown> = {}): CfnTemplate {
  // An empty bundling list makes NodejsFunction skip esbuild.
  return synth(context, { 'aws:cdk:bundling-stacks': [] });
}

/**
 * The template with the functions bundled by esbuild exactly as for Lambda, into `outdir`;
 * each function's Metadata `aws:asset:path` names its bundle's folder there.
 */
export function synthesizeBundled(context: Record<string, unknown>, outdir: string): CfnTemplate {
  return synth(context, { 'aws:cdk:enable-asset-metadata': true }, outdir);
}
