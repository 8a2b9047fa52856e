/** A restart reuses the previous build exactly while nothing it is built from changed. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildKey } from '../../local/synth';

function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'build-key-'));
  for (const dir of ['lambda/ingest', 'lib', 'bin']) mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, 'lambda/ingest/handler.ts'), 'export const a = 1;');
  writeFileSync(join(root, 'lib/stack.ts'), 'export const b = 2;');
  writeFileSync(join(root, 'bin/app.ts'), '');
  writeFileSync(join(root, 'cdk.json'), '{"context":{}}');
  writeFileSync(join(root, 'package-lock.json'), '{}');
  return root;
}

describe('the build key', () => {
  it('is the same for the same files and context, whatever the order of the context', () => {
    const root = project();
    expect(buildKey({ a: '1', b: '2' }, root)).toBe(buildKey({ b: '2', a: '1' }, root));
  });

  it.each([
    ['a function source', 'lambda/ingest/handler.ts', 'export const a = 2;'],
    ['a new file under lambda/', 'lambda/ingest/other.ts', ''],
    ['the stack', 'lib/stack.ts', 'export const b = 3;'],
    ['cdk.json', 'cdk.json', '{"context":{"timeZone":"UTC"}}'],
    ['the lockfile', 'package-lock.json', '{"lockfileVersion":3}'],
    ['tsconfig.json', 'tsconfig.json', '{}'],
  ])('changes with %s', (_what, file, content) => {
    const root = project();
    const before = buildKey({}, root);
    writeFileSync(join(root, file), content);
    expect(buildKey({}, root)).not.toBe(before);
  });

  it('changes with the context (a -c value, the token hash)', () => {
    const root = project();
    expect(buildKey({ webhookTokenSha256: 'a' }, root)).not.toBe(buildKey({ webhookTokenSha256: 'b' }, root));
  });

  it('does not change with files outside what the stack is built from', () => {
    const root = project();
    const before = buildKey({}, root);
    writeFileSync(join(root, 'README.md'), 'changed');
    mkdirSync(join(root, 'scripts'));
    writeFileSync(join(root, 'scripts/tool.ts'), '');
    expect(buildKey({}, root)).toBe(before);
  });
});
