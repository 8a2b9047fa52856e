/**
 * The synthesized stack's template: the single source for local tables, function environments
 * and bundles, stream settings and rules. Built by lib/app.ts exactly as `cdk synth` builds it.
 */
import { AssetStaging } from 'aws-cdk-lib';
import { synthesizeCallEventsApp } from '../lib/app';
import type { CfnTemplate } from './template';

/** The template alone, without bundling the functions (fast; for tables and settings). */
export function synthesizeTemplate(context: Record<string, unknown> = {}): CfnTemplate {
  return synthesizeCallEventsApp({ context, bundle: false }).template as CfnTemplate;
}

/**
 * The template with the functions bundled by esbuild exactly as for Lambda, into `outdir`;
 * each function's Metadata `aws:asset:path` names its bundle's folder there.
 */
export function synthesizeBundled(context: Record<string, unknown>, outdir: string): CfnTemplate {
  // CDK remembers bundles per process and would point at a previous run's outdir, since removed.
  AssetStaging.clearAssetHashCache();
  return synthesizeCallEventsApp({ context, outdir, assetMetadata: true }).template as CfnTemplate;
}
