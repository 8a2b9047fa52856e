/**
 * The functions read the provider's times through V8's Date with `TZ` set for a moment
 * (lambda/contract/zone-offsets.ts), not through Intl. Jest gives each test file a
 * `process.env` of its own that V8 never sees, so the comparison runs in a plain Node.js
 * process (test/support/zone-offsets-check.ts), as a function does.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '..', '..');

interface CheckSummary {
  names: number;
  validity: { name: string; ours: boolean; intl: boolean }[];
  sources: Record<string, 'date' | 'intl'>;
  changes: number;
  checks: number;
  mismatches: string[];
  tz: { before: string | null; after: string | null; hoursBefore: number; hoursAfter: number };
}

async function check(fromYear: number, toYear: number, tz?: string): Promise<CheckSummary> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (tz === undefined) delete env.TZ;
  else env.TZ = tz;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'test/support/zone-offsets-check.ts'), String(fromYear), String(toYear)],
    { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as CheckSummary;
}

describe('zone offsets read through Date, against Intl', () => {
  let summary: CheckSummary;
  beforeAll(async () => {
    summary = await check(1970, 2040);
  }, 240_000);

  it('give the same instant for every wall-clock time checked, in every zone the runtime knows, 1970–2040', () => {
    expect(summary.mismatches).toEqual([]);
    // Every change of offset of every zone: the seconds around it, its gap or overlap, plus
    // times through each year.
    expect(summary.changes).toBeGreaterThan(10_000);
    expect(summary.checks).toBeGreaterThan(summary.changes * 6);
  });

  it('accept and refuse exactly the zone names Intl does', () => {
    expect(summary.validity).toEqual([]);
    expect(summary.names).toBeGreaterThan(400);
  });

  it('read IANA zones through Date, and leave to Intl what Date cannot tell apart', () => {
    for (const zone of [
      'Europe/Moscow',
      'Europe/Berlin',
      'America/New_York',
      'Asia/Kolkata',
      'Europe/Kyiv',
      'Etc/GMT-3',
    ]) {
      expect([zone, summary.sources[zone]]).toEqual([zone, 'date']);
    }
    // Not Area/Location, a zone at UTC+0 all year (Date reads an unknown name the same way),
    // a name in the wrong case (Intl accepts it, Date reads it as UTC).
    for (const zone of ['UTC', 'EST5EDT', 'Africa/Abidjan', 'europe/moscow']) {
      expect([zone, summary.sources[zone]]).toEqual([zone, 'intl']);
    }
    const bySource = Object.values(summary.sources).filter((s) => s === 'date').length;
    expect(bySource).toBeGreaterThan(380);
  });

  it('leave the process without TZ as they found it', () => {
    expect(summary.tz).toEqual({ before: null, after: null, hoursBefore: 0, hoursAfter: 0 });
  });

  it("leave the process's own TZ as they found it", async () => {
    const tokyo = await check(2020, 2021, 'Asia/Tokyo');
    expect(tokyo.mismatches).toEqual([]);
    expect(tokyo.tz).toEqual({ before: 'Asia/Tokyo', after: 'Asia/Tokyo', hoursBefore: 9, hoursAfter: 9 });
  }, 120_000);
});
