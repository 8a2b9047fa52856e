/**
 * What each folder may import (docs/ARCHITECTURE.md, "Where each concern lives"), checked on every
 * import of every source file rather than promised in comments: the layers import one way only,
 * the tools reach a function's logic only through its folder's `index.ts`, what `lib/` takes from
 * `lambda/` carries no AWS SDK, and each function's handler pulls in only its own layer.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
const FOLDERS = ['bin', 'lib', 'lambda', 'local', 'scripts', 'bench', 'test'] as const;
type Folder = (typeof FOLDERS)[number];

interface Import {
  /** As written: a package name or a relative path. */
  specifier: string;
  /** The repository file it resolves to, for a relative import. */
  file?: string;
  /** Erased at compile time (`import type`, or only `type` specifiers). */
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir))) {
    if (entry === 'node_modules' || entry === 'cdk.out' || entry === 'tmp') continue;
    const path = join(dir, entry);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mjs)$/.test(entry) && !entry.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function resolveFile(from: string, specifier: string): string | undefined {
  const base = join(dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, `${base}.mjs`, join(base, 'index.ts')])
    if (existsSync(join(ROOT, candidate)) && statSync(join(ROOT, candidate)).isFile()) return candidate;
  return undefined;
}

function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest);
  const found: Import[] = [];
  const add = (specifier: string, typeOnly: boolean) =>
    found.push({
      specifier,
      typeOnly,
      ...(specifier.startsWith('.') ? { file: resolveFile(file, specifier) } : {}),
    });
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const allTypes =
        clause !== undefined &&
        clause.name === undefined &&
        bindings !== undefined &&
        ts.isNamedImports(bindings) &&
        bindings.elements.length > 0 &&
        bindings.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier.text, clause?.isTypeOnly === true || allTypes);
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const clause = node.exportClause;
      const allTypes =
        clause !== undefined && ts.isNamedExports(clause) && clause.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier.text, node.isTypeOnly || allTypes);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      add(node.arguments[0].text, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const files = FOLDERS.flatMap((folder) => sourceFiles(folder));
const imports = new Map(files.map((file) => [file, importsOf(file)]));
const folderOf = (file: string) => file.split('/')[0] as Folder;
const posix = (path: string) => path.split('\\').join('/');

/** Every value import reached from `file`, files and packages, following relative imports. */
function closure(file: string): { files: Set<string>; packages: Set<string> } {
  const seen = new Set<string>([file]);
  const packages = new Set<string>();
  const queue = [file];
  while (queue.length > 0) {
    const next = queue.pop() as string;
    for (const imp of imports.get(next) ?? importsOf(next)) {
      if (imp.typeOnly) continue;
      if (imp.file === undefined) {
        if (!imp.specifier.startsWith('.')) packages.add(imp.specifier);
        continue;
      }
      if (!seen.has(imp.file)) {
        seen.add(imp.file);
        queue.push(imp.file);
      }
    }
  }
  return { files: seen, packages };
}

/** `file → target` for every relative import breaking `rule` (which says why, or nothing when allowed). */
function violations(rule: (file: string, target: string, imp: Import) => string | undefined): string[] {
  const out: string[] = [];
  for (const [file, list] of imports)
    for (const imp of list) {
      if (imp.file === undefined) continue;
      const why = rule(posix(file), posix(imp.file), imp);
      if (why) out.push(`${file} → ${imp.file}: ${why}`);
    }
  return out;
}

/** Tools (local/, scripts/, bench/) use a layer's logic only through its declared surface. */
const throughSurfaces = (file: string, target: string): string | undefined => {
  if (!['local', 'scripts', 'bench'].includes(folderOf(file))) return undefined;
  if (target.startsWith('lambda/functions/')) return 'a handler is the function itself';
  if (/^lambda\/(ingest|publish|calls)\//.test(target) && !target.endsWith('/index.ts'))
    return 'only the folder’s index.ts';
  return undefined;
};

describe('the import rules', () => {
  it('sees the whole tree, and every relative import resolves', () => {
    expect(files.length).toBeGreaterThan(150);
    const unresolved = [...imports].flatMap(([file, list]) =>
      list
        .filter((i) => i.specifier.startsWith('.') && i.file === undefined)
        .map((i) => `${file}: ${i.specifier}`),
    );
    expect(unresolved).toEqual([]);
  });

  it('run one way: lambda/ ← lib/ ← bin/, local/ ← scripts/ ← bench/; nothing but tests imports test/', () => {
    const allowed: Record<Folder, readonly Folder[]> = {
      lambda: ['lambda'],
      lib: ['lambda', 'lib'],
      bin: ['lib'],
      local: ['lambda', 'lib', 'local'],
      scripts: ['lambda', 'lib', 'local', 'scripts'],
      bench: ['lambda', 'lib', 'local', 'scripts', 'bench'],
      test: FOLDERS,
    };
    expect(
      violations((file, target) =>
        allowed[folderOf(file)].includes(folderOf(target))
          ? undefined
          : `${folderOf(file)}/ may not import it`,
      ),
    ).toEqual([]);
  });

  it('keep CDK out of lambda/', () => {
    const cdk = /^(aws-cdk-lib|constructs|cdk-nag)(\/|$)/;
    const found = files
      .filter((file) => folderOf(file) === 'lambda')
      .flatMap((file) => (imports.get(file) ?? []).filter((i) => cdk.test(i.specifier)).map(() => file));
    expect(found).toEqual([]);
  });

  it('let the tools reach ingest/, publish/ and calls/ only through their index.ts, and no handler', () => {
    expect(violations(throughSurfaces)).toEqual([]);
  });

  it('would catch a tool that reaches into a layer (the check can fail)', () => {
    const probe = 'scripts/probe.ts';
    imports.set(probe, [
      { specifier: '../lambda/calls/fold-call', file: 'lambda/calls/fold-call.ts', typeOnly: false },
    ]);
    try {
      expect(violations(throughSurfaces)).toEqual([
        `${probe} → lambda/calls/fold-call.ts: only the folder’s index.ts`,
      ]);
    } finally {
      imports.delete(probe);
    }
  });

  it('give lib/ from lambda/ only what carries no AWS SDK or Powertools, however deep', () => {
    const runtimeOnly = /^@aws-sdk\/|^@aws-lambda-powertools\//;
    const found = files
      .filter((file) => folderOf(file) === 'lib')
      .flatMap((file) =>
        (imports.get(file) ?? [])
          .filter((i) => !i.typeOnly && i.file?.startsWith('lambda'))
          .flatMap((i) =>
            [...closure(i.file as string).packages]
              .filter((p) => runtimeOnly.test(p))
              .map((p) => `${file} → ${i.file} → ${p}`),
          ),
      );
    expect(found).toEqual([]);
  });

  it('keep lambda/contract/ and lambda/config/ to themselves: no layer, no SDK', () => {
    expect(
      violations((file, target) => {
        if (!/^lambda\/(contract|config)\//.test(file)) return undefined;
        return /^lambda\/(contract|config)\//.test(target) || target === 'lambda/shared/time.ts'
          ? undefined
          : 'the contract and the settings stand alone';
      }),
    ).toEqual([]);
  });

  it('keep each handler to its own layer: the ingest carries nothing of the calls layer', () => {
    const handler = (name: string) => closure(`lambda/functions/${name}.ts`);
    const ingest = handler('ingest-call-event');
    expect(
      [...ingest.files].filter((f) => f.startsWith('lambda/calls/') || f.startsWith('lambda/publish/')),
    ).toEqual([]);
    expect([...ingest.packages].filter((p) => p.startsWith('libphonenumber-js'))).toEqual([]);
    // Pseudonymous mode's entry adds the phone library and its rewriter, and still nothing of calls/.
    const pseudonymous = handler('ingest-call-event-pseudonymous');
    expect(
      [...pseudonymous.files].filter((f) => f.startsWith('lambda/calls/') || f.startsWith('lambda/publish/')),
    ).toEqual([]);
    expect(pseudonymous.files).toContain('lambda/ingest/customer-numbers.ts');
    expect(ingest.files).not.toContain('lambda/ingest/customer-numbers.ts');
    for (const name of ['publish-call-events', 'project-calls', 'sweep-calls'])
      expect([...handler(name).files].filter((f) => f.startsWith('lambda/ingest/'))).toEqual([]);
    // The tools' stand-ins and surfaces are never in a bundle.
    for (const name of [
      'ingest-call-event',
      'ingest-call-event-pseudonymous',
      'publish-call-events',
      'project-calls',
      'sweep-calls',
    ])
      expect(
        [...handler(name).files].filter(
          (f) => /^lambda\/(ingest|publish|calls)\/index\.ts$/.test(f) || f.endsWith('memory-store.ts'),
        ),
      ).toEqual([]);
  });
});
