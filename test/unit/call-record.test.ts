/**
 * The call record's one source: the zod schema gives the type, the JSON Schema for the
 * registry, and stays out of the fold's bundle (the fold imports it as a type only).
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { foldCall } from '../../lambda/calls/fold-call';
import { callRecordJsonSchema } from '../../lambda/calls/json-schemas';
import { CALL_OUTCOMES, type CallRecord, callRecordSchema } from '../../lambda/calls/record';
import { callOf, storedEvent } from '../support/call-events';

const REPO_ROOT = join(__dirname, '..', '..');

const ev = callOf({
  SessionID: 'ec22aab1-02f8-487d-9b40-1173f33ba242',
  CityNumber: '4950665310',
  Caller: '9582412128',
});
const answeredCall = () =>
  foldCall(
    [
      ev('CreateIncCall', { StartTime: '2021-01-28 14:15:22', Called: '4950665310' }),
      ev('AttemptIncCallBegin', { StartTime: '2021-01-28 14:15:30', Called: '80052002651' }),
      ev('ChangeIncCall', { StartDuration: '2021-01-28 14:15:41', Called: '80052002651' }),
      ev('EndIncCall', {
        EndTime: '2021-01-28 14:17:01',
        Duration: 80,
        ResultCode: '200',
        Called: '80052002651',
      }),
    ].map((b) => storedEvent(b)),
  );

describe('callRecordJsonSchema', () => {
  const schema = callRecordJsonSchema();

  it('is draft-04, as the EventBridge schema registry takes it, with a description for every field', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(schema.type).toBe('object');
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      expect([name, typeof property.description]).toEqual([name, 'string']);
    }
  });

  it('names every field of a folded record, and requires what every record has', () => {
    const record: CallRecord = { ...answeredCall(), Version: 1 };
    expect(Object.keys(schema.properties ?? {}).sort()).toEqual(
      expect.arrayContaining(Object.keys(record).sort()),
    );
    expect(schema.required).toEqual(
      expect.arrayContaining(['SessionID', 'Direction', 'Status', 'StartedAt', 'Attempts', 'Day', 'Version']),
    );
    expect(schema.required).not.toContain('Outcome');
    expect(schema.properties?.Outcome?.enum).toEqual([...CALL_OUTCOMES]);
    expect(schema.properties?.Attempts?.items?.required).toEqual(['Employee', 'BeganAt', 'Answered']);
  });

  it('is the same schema that validates the record', () => {
    expect(callRecordSchema().safeParse({ ...answeredCall(), Version: 1 }).success).toBe(true);
    // Version is the writer's: a folded record without it is not yet a Calls item.
    expect(callRecordSchema().safeParse(answeredCall()).success).toBe(false);
    expect(callRecordSchema().safeParse({ ...answeredCall(), Version: 1, Outcome: 'lost' }).success).toBe(
      false,
    );
  });
});

/** The source files and packages esbuild puts in the bundle of `entry`. */
async function bundledInputs(entry: string): Promise<string[]> {
  const result = await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs);
}

describe("the fold's bundle", () => {
  it('carries libphonenumber-js with its min metadata and no zod', async () => {
    const inputs = await bundledInputs('lambda/calls/fold-call.ts');
    expect(inputs.filter((path) => path.includes('node_modules/zod/'))).toEqual([]);
    expect(inputs).not.toContain('lambda/calls/record.ts');
    expect(inputs).not.toContain('lambda/contract/schema.ts');
    expect(inputs).toContain('node_modules/libphonenumber-js/metadata.min.json.js');
    expect(inputs.filter((path) => path.includes('metadata.max'))).toEqual([]);
  });

  it.each([
    'lambda/functions/project-calls.ts',
    'lambda/functions/sweep-calls.ts',
    'lambda/functions/publish-call-events.ts',
  ])('nor does %s, the handler of a function that works with call records, carry zod', async (entry) => {
    const inputs = await bundledInputs(entry);
    expect(inputs.filter((path) => path.includes('node_modules/zod/'))).toEqual([]);
    expect(inputs).not.toContain('lambda/calls/record.ts');
  });

  it("is not in a bundle that uses the contract's index for parsing (the ingest function)", async () => {
    const result = await build({
      absWorkingDir: REPO_ROOT,
      stdin: {
        contents: "export { parseCallEvent, toCallEventRecord } from './lambda/contract';",
        resolveDir: REPO_ROOT,
        loader: 'ts',
      },
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
    });
    const output = Object.values(result.metafile.outputs)[0];
    expect(output?.inputs['lambda/contract/schema.ts']?.bytesInOutput).toBeGreaterThan(0);
    expect(output?.inputs['lambda/calls/record.ts']?.bytesInOutput ?? 0).toBe(0);
  });
});
