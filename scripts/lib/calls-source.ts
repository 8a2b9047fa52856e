/**
 * Which Calls table the calls tools (`npm run missed`, `npm run report`, `npm run calls`) read,
 * through which client, in which time zone and country: local mode's (`.local/runtime.json`) by
 * default, a deployed stack's with --aws; and how they find a public number's calls whatever
 * format the number is typed in.
 */
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import { type CountryCode, customerNumber, type StoredCall, type UtcRange } from '../../lambda/calls';
import { localDynamoDbClient, type RuntimeFile } from '../../local/runtime-file';
import { localModeNotRunning, UsageError } from './cli';
import { stackSettings } from './stack-settings';

export interface CallsSource {
  table: string;
  /** The zone of the records' `Day`: the stack's `timeZone`. */
  timeZone: string;
  /** The country a number without a country code is read in: the stack's `defaultCountry`. */
  defaultCountry: CountryCode;
  client: DynamoDBClientConfig;
  where: string;
}

/** How to do without local mode, said after the one not-running sentence. */
export const LOCAL_OR_AWS_TABLE = 'or pass --aws --table NAME';

export function resolveCallsSource(
  flags: { aws?: boolean | undefined; table?: string | undefined },
  runtime: RuntimeFile | undefined,
  settings: () => { timeZone: string; defaultCountry: string } = stackSettings,
): CallsSource {
  if (flags.aws) {
    if (!flags.table) throw new UsageError('--aws needs --table NAME (the CallsTableName output)');
    const { timeZone, defaultCountry } = settings();
    return {
      table: flags.table,
      timeZone,
      defaultCountry: defaultCountry as CountryCode,
      client: {},
      where: 'AWS',
    };
  }
  if (!runtime) throw localModeNotRunning(LOCAL_OR_AWS_TABLE);
  return {
    table: flags.table ?? runtime.tables.calls,
    timeZone: runtime.timeZone,
    defaultCountry: runtime.defaultCountry as CountryCode,
    client: localDynamoDbClient(runtime),
    where: 'local mode',
  };
}

/**
 * A public number as the tools take it: typed in any format (`+7 (495) 066-53-10`,
 * `84950665310`), it is the calls whose `CityNumber` the calls layer reads as the same number
 * (`customerNumber`, with the stack's `defaultCountry`), whichever way the provider spells it.
 */
export interface CityNumber {
  /** As typed, for titles. */
  given: string;
  /** As the calls layer reads it: E.164 when valid, else its digits. */
  normalised: string;
  /**
   * The spellings a provider may store it under, to look up in the ByCityNumberV2 index (which
   * keys on the number as sent): as typed (digits), national (`4950665310`), with the trunk
   * prefix (`84950665310`), international with and without `+`.
   */
  spellings: string[];
}

export function cityNumberOf(given: string, defaultCountry: CountryCode): CityNumber {
  const digits = given.replace(/\D/g, '');
  if (digits === '') throw new UsageError(`--city-number: not a phone number (got ${given})`);
  const normalised = customerNumber(given, defaultCountry);
  const spellings = new Set([digits]);
  const parsed = normalised.startsWith('+') ? parsePhoneNumberFromString(normalised) : undefined;
  if (parsed) {
    spellings.add(parsed.nationalNumber);
    spellings.add(parsed.formatNational().replace(/\D/g, ''));
    spellings.add(`${parsed.countryCallingCode}${parsed.nationalNumber}`);
    spellings.add(parsed.number);
  }
  return { given, normalised, spellings: [...spellings] };
}

/** Whether a call's `CityNumber` is this number, read as the calls layer reads numbers. */
export function isCityNumber(
  call: Pick<StoredCall, 'CityNumber'>,
  city: CityNumber,
  defaultCountry: CountryCode,
): boolean {
  return customerNumber(call.CityNumber, defaultCountry) === city.normalised;
}

/**
 * The calls of a public number that started in `range`: one ByCityNumberV2 Query per spelling,
 * kept when the calls layer reads their number as the one asked for, each call once.
 */
export async function cityNumberCallsOf(
  store: { cityNumberCalls(cityNumber: string, range: UtcRange): Promise<StoredCall[]> },
  city: CityNumber,
  range: UtcRange,
  defaultCountry: CountryCode,
): Promise<StoredCall[]> {
  const calls = new Map<string, StoredCall>();
  for (const spelling of city.spellings)
    for (const call of await store.cityNumberCalls(spelling, range))
      if (isCityNumber(call, city, defaultCountry)) calls.set(call.SessionID, call);
  return [...calls.values()].sort((a, b) =>
    a.StartedAt < b.StartedAt ? -1 : a.StartedAt > b.StartedAt ? 1 : 0,
  );
}
