/**
 * Builds what the benchmark measures, with one source of truth for the esbuild settings:
 * - the functions exactly as the stack deploys them (`synthesizeBundled`, i.e. CDK's
 *   NodejsFunction through BundledFunction), with the environment the stack gives them; and the
 *   ingest as the stack deploys it in pseudonymous mode (a second synthesis, with
 *   `customerNumbers=pseudonymous`);
 * - the floors, the `intl` yardstick, the validation worker and an analysis copy of each
 *   function (with esbuild's metafile) through NodejsFunction with BundledFunction's own
 *   FUNCTION_BUNDLING;
 * - a floor built as if the runtime's AWS SDK were used (`@aws-sdk/*`, `@smithy/*` external),
 *   and the ingest without its lazily loaded Secrets Manager client (to measure that client).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { App, Stack } from 'aws-cdk-lib';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { FUNCTION_KINDS, type FunctionKind } from '../../lambda/config/functions';
import { FUNCTION_BUNDLING } from '../../lib/constructs/bundled-function';
import { synthesizeBundled } from '../../local/synth';
import { type CfnTemplate, functionEnvironment, functionsByKind, localName } from '../../local/template';

export const ROOT = join(__dirname, '..', '..');

export type BundleName =
  | 'ingest'
  | 'ingest-pseudonymous'
  | 'publish'
  | 'project'
  | 'hello'
  | 'intl'
  | 'put-item'
  | 'put-events'
  | 'get-query-put-query'
  | 'sweep'
  | 'query-query'
  | 'put-item-runtime-sdk'
  | 'ingest-without-secrets-manager'
  | 'validation-worker';

export interface PackageShare {
  name: string;
  bytes: number;
}

export interface Bundle {
  name: BundleName;
  path: string;
  bytes: number;
  gzipBytes: number;
  /** Bytes in the output by package (own code by folder), largest first; from esbuild's metafile. */
  packages?: PackageShare[];
  /** Modules left out of the bundle that it imports statically (each must exist at run time). */
  staticExternalImports?: string[];
}

/** The stack's functions the benchmark measures: every kind. */
export const STACK_FUNCTIONS = FUNCTION_KINDS;
export type StackFunction = FunctionKind;

/** The context that makes the stack deploy the pseudonymous ingest (`-c customerNumbers=pseudonymous`). */
export const PSEUDONYMOUS_CONTEXT = { customerNumbers: 'pseudonymous' } as const;

/** Every deployed bundle measured: the stack's functions, and its ingest in pseudonymous mode. */
export const DEPLOYED_BUNDLES = [...STACK_FUNCTIONS, 'ingest-pseudonymous'] as const;
export type DeployedBundle = (typeof DEPLOYED_BUNDLES)[number];

export interface Bundles {
  byName: Record<BundleName, Bundle>;
  /** The environment the stack gives each function, with table and bus names made local. */
  env: Record<DeployedBundle, Record<string, string>>;
  /** True when the analysis builds are byte-identical to the stack's bundles (same settings). */
  sameAsStack: Record<DeployedBundle, boolean>;
}

const ENTRIES: Record<
  Exclude<BundleName, 'put-item-runtime-sdk' | 'ingest-without-secrets-manager'>,
  string
> = {
  ingest: 'lambda/functions/ingest-call-event.ts',
  // Its analysis copy; the measured bundle is the stack's, and the two are checked byte-identical.
  'ingest-pseudonymous': 'lambda/functions/ingest-call-event-pseudonymous.ts',
  publish: 'lambda/functions/publish-call-events.ts',
  project: 'lambda/functions/project-calls.ts',
  sweep: 'lambda/functions/sweep-calls.ts',
  hello: 'bench/fixtures/hello-handler.ts',
  intl: 'bench/fixtures/intl-handler.ts',
  'put-item': 'bench/fixtures/put-item-handler.ts',
  'put-events': 'bench/fixtures/put-events-handler.ts',
  'get-query-put-query': 'bench/fixtures/get-query-put-query-handler.ts',
  'query-query': 'bench/fixtures/query-query-handler.ts',
  'validation-worker': 'bench/lib/validation-worker.ts',
};

type Metafile = {
  inputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }>;
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
};

function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (match?.[1]) return match[1];
  return input.split('/').slice(0, 2).join('/');
}

function analyse(metafile: Metafile): Pick<Bundle, 'packages' | 'staticExternalImports'> {
  const output = Object.values(metafile.outputs)[0];
  const shares = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    shares.set(packageOf(input), (shares.get(packageOf(input)) ?? 0) + bytesInOutput);
  }
  const staticExternal = new Set<string>();
  for (const { imports } of Object.values(metafile.inputs)) {
    for (const imp of imports) {
      if (imp.external && imp.kind === 'import-statement' && !imp.path.startsWith('node:')) {
        staticExternal.add(imp.path);
      }
    }
  }
  return {
    packages: [...shares].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes),
    staticExternalImports: [...staticExternal].sort(),
  };
}

function measure(name: BundleName, path: string): Bundle {
  const code = readFileSync(path);
  return { name, path, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}

function assetFile(outdir: string, resource: { Metadata?: Record<string, unknown> }, file = 'index.mjs') {
  const asset = resource.Metadata?.['aws:asset:path'];
  if (typeof asset !== 'string') throw new Error('A function has no asset path; asset metadata is off');
  return join(outdir, asset, file);
}

/** The stack's own bundles, and the environment of each function, synthesized with `context`. */
function stackBundles(outdir: string, context: Record<string, unknown>) {
  const template: CfnTemplate = synthesizeBundled(context, outdir);
  const kinds = functionsByKind(template);
  const found = {} as Record<StackFunction, [string, unknown]>;
  for (const name of STACK_FUNCTIONS) {
    const logicalId = kinds[name];
    if (!logicalId) throw new Error(`No function of the stack is tagged as the ${name} function`);
    found[name] = [logicalId, template.Resources[logicalId]];
  }
  const resolveRef = (id: string) => localName(id);
  const each = <T>(f: (name: StackFunction, logicalId: string, resource: unknown) => T) =>
    Object.fromEntries(STACK_FUNCTIONS.map((n) => [n, f(n, found[n][0], found[n][1])])) as Record<
      StackFunction,
      T
    >;
  return {
    path: each((_, __, resource) => assetFile(outdir, resource as { Metadata?: Record<string, unknown> })),
    env: each((_, logicalId) => functionEnvironment(template, logicalId, resolveRef)),
  };
}

/** Floors, analysis copies and the validation worker, bundled by NodejsFunction with FUNCTION_BUNDLING. */
function benchBundles(outdir: string) {
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'BenchBundles');
  const add = (id: string, entry: string, bundling: BundlingOptions) =>
    new NodejsFunction(stack, id, {
      entry: join(ROOT, entry),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      projectRoot: ROOT,
      depsLockFilePath: join(ROOT, 'package-lock.json'),
      bundling,
    });
  const withMetafile: BundlingOptions = { ...FUNCTION_BUNDLING, metafile: true };
  const built = new Map<BundleName, NodejsFunction>();
  for (const [name, entry] of Object.entries(ENTRIES) as [BundleName, string][]) {
    built.set(name, add(name.replace(/[^A-Za-z0-9]/g, ''), entry, withMetafile));
  }
  // What CDK would build to use the Lambda runtime's own SDK: the SDK left to node_modules.
  built.set(
    'put-item-runtime-sdk',
    add('PutItemRuntimeSdk', ENTRIES['put-item'], {
      ...withMetafile,
      externalModules: ['@aws-sdk/*', '@smithy/*'],
    }),
  );
  // The ingest without the Secrets Manager client it loads only when the token is a secret
  // (not the hash configuration measured here): what inlining that client costs.
  built.set(
    'ingest-without-secrets-manager',
    add('IngestWithoutSecretsManager', ENTRIES.ingest, {
      ...withMetafile,
      externalModules: [...(FUNCTION_BUNDLING.externalModules ?? []), '@aws-sdk/client-secrets-manager'],
    }),
  );
  const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate & {
    Resources: Record<string, { Metadata?: Record<string, unknown> }>;
  };
  const paths = new Map<BundleName, string>();
  for (const [name, fn] of built) {
    const logicalId = stack.getLogicalId(fn.node.defaultChild as never);
    const resource = template.Resources[logicalId];
    if (!resource) throw new Error(`No resource for ${name}`);
    paths.set(name, assetFile(outdir, resource));
  }
  return paths;
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

export function buildBundles(tmpDir: string, tokenSha256: string, log: (line: string) => void): Bundles {
  log('Bundling the stack (synthesizeBundled)…');
  const stack = stackBundles(join(tmpDir, 'stack.out'), { webhookTokenSha256: tokenSha256 });
  log('Bundling the stack in pseudonymous mode (synthesizeBundled, customerNumbers=pseudonymous)…');
  const pseudonymous = stackBundles(join(tmpDir, 'stack-pseudonymous.out'), {
    webhookTokenSha256: tokenSha256,
    ...PSEUDONYMOUS_CONTEXT,
  });
  log('Bundling floors and analysis copies with FUNCTION_BUNDLING…');
  const bench = benchBundles(join(tmpDir, 'bench.out'));

  // Each deployed bundle: where the stack built it, and the environment the stack gives it.
  const deployed = {
    ...Object.fromEntries(STACK_FUNCTIONS.map((n) => [n, { path: stack.path[n], env: stack.env[n] }])),
    'ingest-pseudonymous': { path: pseudonymous.path.ingest, env: pseudonymous.env.ingest },
  } as Record<DeployedBundle, { path: string; env: Record<string, string> }>;

  const byName = {} as Record<BundleName, Bundle>;
  for (const [name, path] of bench) {
    const metafile = JSON.parse(readFileSync(join(path, '..', 'index.meta.json'), 'utf8')) as Metafile;
    byName[name] = { ...measure(name, path), ...analyse(metafile) };
  }
  // The measured functions are the stack's own bundles; the analysis copies lend their metafile.
  const env = {} as Record<DeployedBundle, Record<string, string>>;
  const sameAsStack = {} as Record<DeployedBundle, boolean>;
  for (const name of DEPLOYED_BUNDLES) {
    const { path } = deployed[name];
    byName[name] = { ...byName[name], ...measure(name, path) };
    env[name] = deployed[name].env;
    sameAsStack[name] = sha(path) === sha(bench.get(name) as string);
  }
  return { byName, env, sameAsStack };
}
