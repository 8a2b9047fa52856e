/** Local mode's state files: written whole or not at all, and a checkpoint file that cannot be read is an error. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointFileError, readCheckpoints, writeFileAtomic } from '../../local/state-file';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'state-file-'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('replaces the content whole and leaves nothing beside the file', () => {
    const file = join(dir, 'stream-checkpoints-X.json');
    writeFileAtomic(file, '{"shard-1":"100"}');
    writeFileAtomic(file, '{"shard-1":"200"}');

    expect(readFileSync(file, 'utf8')).toBe('{"shard-1":"200"}');
    expect(readdirSync(dir)).toEqual(['stream-checkpoints-X.json']);
  });

  it('leaves the old content when the new one cannot be written', () => {
    const file = join(dir, 'runtime.json');
    writeFileAtomic(file, 'old');

    expect(() => writeFileAtomic(join(dir, 'missing-dir', 'runtime.json'), 'new')).toThrow();
    expect(readFileSync(file, 'utf8')).toBe('old');
  });
});

describe('readCheckpoints', () => {
  it('reads the shard → sequence number map a previous run wrote', () => {
    const file = join(dir, 'checkpoints.json');
    writeFileAtomic(file, JSON.stringify({ 'shardId-1': '000100', 'shardId-2': '000200' }));
    expect(readCheckpoints(file)).toEqual({ 'shardId-1': '000100', 'shardId-2': '000200' });
  });

  it('no file: nothing was published yet, the stream is read from its start', () => {
    expect(readCheckpoints(join(dir, 'none.json'))).toEqual({});
  });

  it.each([
    ['empty', '', 'it is empty'],
    ['cut short', '{"shardId-1":"0001', 'it is not valid JSON'],
    ['not a map of sequence numbers', '{"shardId-1":42}', 'it is not a map of shard ids to sequence numbers'],
    ['a list', '["000100"]', 'it is not a map of shard ids to sequence numbers'],
  ])(
    '%s: an error naming the file, why, and what to do, never "start from the beginning"',
    (_, text, why) => {
      const file = join(dir, 'checkpoints.json');
      writeFileSync(file, text);

      expect(() => readCheckpoints(file)).toThrow(CheckpointFileError);
      expect(() => readCheckpoints(file)).toThrow(
        `${file} cannot be read (${why}); it records how far the stream was published. Restore it, or delete it to publish every stored event again`,
      );
    },
  );
});
