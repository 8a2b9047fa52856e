/** The app as bin/ builds it — cdk.json context, cdk-nag, esbuild, CloudFormation validation — synthesized once. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildSync } from 'esbuild';
import { synthesizeCallEventsApp } from '../../lib/app';
import type { CallEventsStack } from '../../lib/call-events-stack';
import { UNREACHED_SDK_MODULES } from '../../lib/constructs/bundled-function';
import { logicalId } from './synth';

let app: App;
let stack: CallEventsStack;
let nagChecks: AwsSolutionsChecks;
let assembly: CloudAssembly;
let template: Template;

beforeAll(() => {
  // Throws if cdk-nag reports an unacknowledged error.
  const synthesized = synthesizeCallEventsApp();
  ({ app, stack, nagChecks, assembly } = synthesized);
  template = Template.fromJSON(synthesized.template as Record<string, unknown>);
}, 120_000);

const describeViolations = (report: ReturnType<AwsSolutionsChecks['validateScope']>) =>
  report.violations.map(
    (v) => `${v.ruleName} (${v.severity}): ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
  );

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged, neither errors nor warnings', () => {
    expect(describeViolations(nagChecks.validateScope(app))).toEqual([]);
  });

  it("leaves the synth's validation report empty", () => {
    const report = JSON.parse(readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
  });

  it('adds no AwsSolutions errors or warnings to the stack annotations', () => {
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    expect(annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });

  it('does find what it should: an unencrypted queue without DLQ or TLS policy fails it', () => {
    const probe = new App();
    new Queue(new Stack(probe, 'Probe'), 'Plain', { encryption: QueueEncryption.UNENCRYPTED });
    const rules = new AwsSolutionsChecks().validateScope(probe).violations.map((v) => v.ruleName);
    expect(rules).toEqual(
      expect.arrayContaining(['AwsSolutions-SQS2', 'AwsSolutions-SQS3', 'AwsSolutions-SQS4']),
    );
  });
});

describe('acknowledged findings', () => {
  const GENERIC =
    /^(n\/?a|none|ok|todo|tbd|not (needed|required|applicable)|suppressed|false positive|by design|accepted)\b/i;

  const suppressions = () =>
    Object.entries(
      template.toJSON().Resources as Record<string, { Metadata?: Record<string, unknown> }>,
    ).flatMap(([resource, { Metadata }]) => {
      const nag = Metadata?.cdk_nag as { rules_to_suppress?: { id?: string; reason?: string }[] } | undefined;
      return (nag?.rules_to_suppress ?? []).map((rule) => ({ resource, ...rule }));
    });

  it('each names its rule and gives a specific reason', () => {
    expect(suppressions().length).toBeGreaterThan(0);
    const vague = suppressions().filter(
      ({ id, reason = '' }) =>
        !/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/.test(id ?? '') || reason.length < 40 || GENERIC.test(reason),
    );
    expect(vague).toEqual([]);
  });

  it('are exactly the conscious decisions listed here (a new one needs a reason and a test change)', () => {
    expect([...new Set(suppressions().map((s) => s.id))].sort()).toEqual([
      'AwsSolutions-APIG2', // body validation happens in the function, so invalid bodies are quarantined
      'AwsSolutions-APIG3', // no WAF: throttling + optional IP allowlist
      'AwsSolutions-APIG4', // the provider authenticates with a shared token
      'AwsSolutions-APIG6', // no execution logs: they need the account-wide CloudWatch role
      'AwsSolutions-COG4', // the provider cannot use Cognito
      'AwsSolutions-IAM5[Resource::*]', // X-Ray, dynamodb:ListStreams
      'AwsSolutions-SMG4', // the token is held by the provider; rotation would break delivery
      'AwsSolutions-SQS3', // the failure and target dead-letter queues are DLQs themselves
    ]);
  });

  it('acknowledges wildcard resources only on the function roles, never actions', () => {
    const wildcards = suppressions().filter((s) => s.id?.startsWith('AwsSolutions-IAM5'));
    const functions = [
      stack.webhook.ingestFunction,
      stack.publisher.publishFunction,
      stack.projector.projectFunction,
      stack.sweep.sweepFunction,
    ];
    const roleResources = functions.flatMap((fn) => [
      logicalId(fn.executionRole),
      logicalId(fn.executionRole.node.findChild('DefaultPolicy')),
    ]);
    expect(wildcards.map((s) => s.id)).toEqual(wildcards.map(() => 'AwsSolutions-IAM5[Resource::*]'));
    expect(wildcards.map((s) => s.resource).sort()).toEqual(roleResources.sort());
  });
});

/** The modules a bundle imports, statically or by `import()`, as esbuild parses them. */
function importsOf(file: string): { path: string; kind: string }[] {
  const { metafile } = buildSync({
    entryPoints: [file],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'node',
    external: ['*'],
    logLevel: 'silent',
  });
  return Object.values(metafile.inputs).flatMap((input) =>
    input.imports.map(({ path, kind }) => ({ path, kind })),
  );
}

describe('bundles', () => {
  it.each([
    ['ingest', () => stack.webhook.ingestFunction],
    ['publish', () => stack.publisher.publishFunction],
  ])('%s: one ESM file with the AWS SDK inside and require() defined for CommonJS code', (_name, fn) => {
    const code = template.toJSON().Resources[logicalId(fn())].Properties.Code;
    const assetHash = String(code.S3Key).replace(/\.zip$/, '');
    const file = path.join(assembly.directory, `asset.${assetHash}`, 'index.mjs');
    const bundle = readFileSync(file, 'utf8');
    expect(bundle.startsWith("import { createRequire as __cjsRequire } from 'node:module';")).toBe(true);
    expect(bundle).toContain('const require = __cjsRequire(import.meta.url);');
    // Every module the bundle imports is a Node built-in: the SDK and all other packages are in
    // it, except the SDK parts it never reaches, which the SDK loads only by dynamic import().
    // The imports are read by parsing the bundle (a regex over minified code also finds the
    // word "from" followed by a quote inside string literals).
    const imports = importsOf(file);
    const imported = imports.filter((i) => i.kind === 'import-statement').map((i) => i.path);
    expect(imported.length).toBeGreaterThan(0);
    expect(imported.filter((specifier) => !specifier.startsWith('node:'))).toEqual([]);
    const loadedLater = imports.filter((i) => i.kind === 'dynamic-import').map((i) => i.path);
    expect(loadedLater.filter((specifier) => !specifier.startsWith('node:')).sort()).toEqual(
      [...UNREACHED_SDK_MODULES].sort(),
    );
  });
});
