/**
 * The synthesized stack's template: the single source for local tables, function environments
 * and bundles, stream settings and rules. Built by lib/app.ts exactly as `cdk synth` builds it.
 *
 * `npm start` reuses the previous start's template and bundles while nothing they are built from
 * has changed (the code under lambda/, lib/ and bin/, cdk.json, the lockfile, the context), so
 * that a restart after a crash is ready in seconds rather than after loading CDK and esbuild.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { writeFileAtomic } from './state-file';
import type { CfnTemplate } from './template';

/** The project's root: the files the stack and its bundles are built from are read from here. */
const ROOT = resolve(__dirname, '..');

/** What a template and its bundles are built from, besides the context. */
const INPUT_DIRS = ['lambda', 'lib', 'bin'];
const INPUT_FILES = ['cdk.json', 'package-lock.json', 'tsconfig.json'];

/** Loaded on use, not with this module: CDK takes seconds to load, which a reused build spares. */
const cdkApp = (): typeof import('../lib/app') => require('../lib/app');

/** The template alone, without bundling the functions (fast; for tables and settings). */
export function synthesizeTemplate(context: Record<string, unknown> = {}): CfnTemplate {
  return cdkApp().synthesizeCallEventsApp({ context, bundle: false }).template as CfnTemplate;
}

/**
 * The template with the functions bundled by esbuild exactly as for Lambda, into `outdir`;
 * each function's Metadata `aws:asset:path` names its bundle's folder there.
 */
export function synthesizeBundled(context: Record<string, unknown>, outdir: string): CfnTemplate {
  const { AssetStaging }: typeof import('aws-cdk-lib') = require('aws-cdk-lib');
  const { synthesizeCallEventsApp } = cdkApp();
  // CDK remembers bundles per process and would point at a previous run's outdir, since removed.
  AssetStaging.clearAssetHashCache();
  return synthesizeCallEventsApp({ context, outdir, assetMetadata: true }).template as CfnTemplate;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** A digest of everything the bundled template is built from: equal digests, equal builds. */
export function buildKey(context: Record<string, unknown>, root: string = ROOT): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(Object.entries(context).sort(([a], [b]) => a.localeCompare(b))));
  const files = [
    ...INPUT_DIRS.flatMap((dir) => filesUnder(join(root, dir))),
    ...INPUT_FILES.map((f) => join(root, f)),
  ];
  for (const file of files) {
    hash.update(`\0${relative(root, file)}\0`);
    if (existsSync(file)) hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

const MANIFEST = 'local-build.json';

/** Every bundle folder a template's functions name, relative to the assembly. */
function assetPaths(template: CfnTemplate): string[] {
  return Object.values(template.Resources).flatMap((resource) => {
    const path = (resource as { Metadata?: Record<string, unknown> }).Metadata?.['aws:asset:path'];
    return typeof path === 'string' ? [path] : [];
  });
}

/**
 * The bundled template, reused from `outdir` when it was built from the same inputs (`reused`),
 * else built afresh there.
 */
export function synthesizeBundledReusing(
  context: Record<string, unknown>,
  outdir: string,
): { template: CfnTemplate; reused: boolean } {
  const key = buildKey(context);
  const manifest = join(outdir, MANIFEST);
  try {
    const kept = JSON.parse(readFileSync(manifest, 'utf8')) as { key?: string; template?: CfnTemplate };
    if (
      kept.key === key &&
      kept.template &&
      assetPaths(kept.template).every((p) => existsSync(join(outdir, p)))
    )
      return { template: kept.template, reused: true };
  } catch {
    // No previous build, or one that cannot be read: build.
  }
  rmSync(outdir, { recursive: true, force: true });
  const template = synthesizeBundled(context, outdir);
  writeFileAtomic(manifest, JSON.stringify({ key, template }));
  return { template, reused: false };
}
