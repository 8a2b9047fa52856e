/** The NDJSON appender with a size cap: rotation at the boundary, whole lines, appends in order. */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBoundedAppender, rotatedPath } from '../../local/bounded-file';

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bounded-file-'));
  file = join(dir, 'events.ndjson');
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);
/** A line of exactly `bytes` bytes, newline included. */
const line = (char: string, bytes: number) => `${char.repeat(bytes - 1)}\n`;

describe('createBoundedAppender', () => {
  it('appends below the cap, and fills the file exactly to it', async () => {
    const appender = createBoundedAppender(file, { maxBytes: 10 });
    await appender.append(line('a', 4));
    await appender.append(line('b', 6));

    expect(read(file)).toBe('aaa\nbbbbb\n');
    expect(statSync(file).size).toBe(10);
    expect(read(rotatedPath(file))).toBeUndefined();
  });

  it('one byte past the cap: the file becomes <path>.1 and the line begins a new one', async () => {
    const appender = createBoundedAppender(file, { maxBytes: 10 });
    await appender.append(line('a', 4));
    await appender.append(line('b', 5));
    await appender.append(line('c', 2));

    expect(read(rotatedPath(file))).toBe('aaa\nbbbb\n');
    expect(read(file)).toBe('c\n');
  });

  it('replaces an older .1, keeping one generation', async () => {
    const appender = createBoundedAppender(file, { maxBytes: 4 });
    for (const char of ['a', 'b', 'c']) await appender.append(line(char, 4));

    expect(read(rotatedPath(file))).toBe('bbb\n');
    expect(read(file)).toBe('ccc\n');
    expect(existsSync(join(dir, 'events.ndjson.2'))).toBe(false);
  });

  it('never splits a text: one larger than the cap gets a file of its own', async () => {
    const appender = createBoundedAppender(file, { maxBytes: 5 });
    await appender.append(line('a', 3));
    await appender.append(line('b', 12));
    await appender.append(line('c', 3));

    expect(read(rotatedPath(file))).toBe(line('b', 12));
    expect(read(file)).toBe(line('c', 3));
  });

  it('counts bytes, not characters', async () => {
    const appender = createBoundedAppender(file, { maxBytes: 8 });
    await appender.append('é€\n'); // 2 + 3 + 1 bytes
    await appender.append('xx\n');

    expect(read(rotatedPath(file))).toBe('é€\n');
    expect(read(file)).toBe('xx\n');
  });

  it('takes up an existing file at its size', async () => {
    writeFileSync(file, line('a', 8));
    await createBoundedAppender(file, { maxBytes: 10 }).append(line('b', 3));

    expect(read(rotatedPath(file))).toBe(line('a', 8));
    expect(read(file)).toBe(line('b', 3));
  });

  it('serializes appends not awaited one by one, across appenders of one file, rotating each time it must', async () => {
    const first = createBoundedAppender(file, { maxBytes: 40 });
    const second = createBoundedAppender(file, { maxBytes: 40 });
    const lines = Array.from({ length: 50 }, (_, i) => `${String(i).padStart(8, '0')}\n`);
    await Promise.all(lines.map((text, i) => (i % 2 === 0 ? first : second).append(text)));

    // 9-byte lines, 4 to a 40-byte file: 12 full files rotated away one after the other, 2 lines left.
    expect(read(rotatedPath(file))).toBe(lines.slice(44, 48).join(''));
    expect(read(file)).toBe(lines.slice(48).join(''));
  });

  it('creates the directory again when it was removed, and takes a truncated file as it is', async () => {
    const nested = join(dir, 'deliveries', 'Rule.ndjson');
    const appender = createBoundedAppender(nested, { maxBytes: 10 });
    await appender.append(line('a', 8));
    rmSync(join(dir, 'deliveries'), { recursive: true });
    await appender.append(line('b', 8));
    expect(read(nested)).toBe(line('b', 8));

    writeFileSync(nested, '');
    await appender.append(line('c', 8));
    expect(read(nested)).toBe(line('c', 8));
    expect(read(rotatedPath(nested))).toBeUndefined();
  });

  it('a failed append rejects, and the next one still runs', async () => {
    const blocked = join(dir, 'a-file');
    writeFileSync(blocked, '');
    const appender = createBoundedAppender(join(blocked, 'x.ndjson'));
    await expect(appender.append('x\n')).rejects.toThrow();

    const ok = createBoundedAppender(file);
    const failing = createBoundedAppender(join(blocked, 'y.ndjson'));
    const results = await Promise.allSettled([failing.append('x\n'), ok.append('y\n')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect(read(file)).toBe('y\n');
  });

  it('refuses a cap that is not positive', () => {
    expect(() => createBoundedAppender(file, { maxBytes: 0 })).toThrow(RangeError);
  });
});
