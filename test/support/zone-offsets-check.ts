/**
 * Compares the zone offsets that the functions read through V8's Date (zone-offsets.ts) with
 * Intl's, in a process of its own: Jest gives each test file a `process.env` of its own that
 * V8 never sees, so there the offsets always come from Intl. Prints one JSON summary.
 *
 * Usage: node --import tsx test/support/zone-offsets-check.ts <fromYear> <toYear>
 */
import { localTimeToUtcIso } from '../../lambda/contract/local-time';
import {
  intlReader,
  isValidTimeZone,
  offsetSource,
  readYear,
  zoneReader,
} from '../../lambda/contract/zone-offsets';

/** Names that are not in Intl.supportedValuesOf but that a user may well configure, and names that must be refused. */
export const EXTRA_NAMES = [
  'Europe/Kyiv',
  'Asia/Kolkata',
  'America/Argentina/Buenos_Aires',
  'US/Eastern',
  'Etc/GMT-3',
  'Etc/GMT+12',
  'UTC',
  'Etc/UTC',
  'GMT',
  'EST5EDT',
  'europe/moscow',
  'GMT+3',
  '+03:00',
  'ABC-3',
  'EST5EDT,M3.2.0,M11.1.0',
  ':Europe/Moscow',
  '/usr/share/zoneinfo/Europe/Moscow',
  'Foo/Bar',
  'Europe/Moskva',
  'Moscow',
  '',
  'Not a zone',
];

function intlAccepts(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** `YYYY-MM-DD HH:mm:ss` of a wall-clock time held as if it were UTC. */
const providerTime = (wallMs: number) => new Date(wallMs).toISOString().slice(0, 19).replace('T', ' ');

const [fromYear, toYear] = process.argv.slice(2).map(Number) as [number, number];
const tzBefore = process.env.TZ;
const hoursBefore = new Date(0).getHours();

const names = [...new Set([...Intl.supportedValuesOf('timeZone'), ...EXTRA_NAMES])];
const validity = names
  .map((name) => ({ name, ours: isValidTimeZone(name), intl: intlAccepts(name) }))
  .filter((v) => v.ours !== v.intl);

/** A fixed sequence of pseudo-random numbers in [0, 1), the same on every run. */
let seed = 20_261_201;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};

const sources: Record<string, string> = {};
const mismatches: string[] = [];
let changes = 0;
let checks = 0;
for (const zone of names.filter(isValidTimeZone)) {
  const source = offsetSource(zone);
  sources[zone] = source;
  if (source !== 'date') continue;
  const ours = zoneReader(zone);
  const intl = intlReader(zone);
  const compare = (wallMs: number) => {
    const value = providerTime(wallMs);
    if (value < '1970') return;
    checks++;
    const mine = localTimeToUtcIso(value, zone);
    const theirs = localTimeToUtcIso(value, zone, intl);
    if (mine !== theirs || ours(wallMs) !== intl(wallMs))
      mismatches.push(`${zone} ${value}: ${mine} ≠ ${theirs}`);
  };
  for (let year = fromYear; year <= toYear; year++) {
    const { starts } = readYear(zone, year);
    changes += starts.length - 1;
    // Each change of offset: just before, at, just after, and in the gap or overlap it makes.
    for (const start of starts.slice(1)) {
      for (const delta of [-3_600_000, -1_800_000, -1000, 0, 1000, 1_800_000]) compare(start + delta);
    }
    const yearStart = Date.UTC(year, 0, 1);
    const yearMs = Date.UTC(year + 1, 0, 1) - yearStart;
    for (let i = 0; i < 12; i++) compare(yearStart + Math.floor((random() * yearMs) / 1000) * 1000);
  }
}

process.stdout.write(
  JSON.stringify({
    names: names.length,
    validity,
    sources,
    changes,
    checks,
    mismatches: mismatches.slice(0, 20),
    tz: {
      before: tzBefore ?? null,
      after: process.env.TZ ?? null,
      hoursBefore,
      hoursAfter: new Date(0).getHours(),
    },
  }),
);
