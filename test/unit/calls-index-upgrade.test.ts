/** The upgrade of the Calls table's indexes, one deploy an index: which are declared and read at each step, and what the tools read. */
import {
  declaredAtStep,
  indexNamesEnvironment,
  indexNamesFromEnvironment,
  readAtStep,
  readableIndexes,
  stepOfIndexes,
  UPGRADE_STEPS,
} from '../../lambda/calls/index-upgrade';
import { CURRENT_CALLS_INDEXES, EARLIER_CALLS_INDEXES } from '../../lambda/calls/table';
import { indexChanges } from '../../local/tables';
import { nextStep } from '../../scripts/indexes';

const names = (step: number | undefined) => declaredAtStep(step).map((index) => index.indexName);
const read = (step: number | undefined) => Object.values(readAtStep(step)).map((index) => index.indexName);

describe('declaredAtStep and readAtStep', () => {
  it('go from the earlier indexes to the current ones', () => {
    expect(names(0).sort()).toEqual(['ByCityNumber', 'ByCustomerNumber', 'ByDay', 'OpenCalls']);
    expect(read(0)).toEqual(['ByCustomerNumber', 'ByCityNumber', 'ByDay', 'OpenCalls']);
    expect(names(UPGRADE_STEPS).sort()).toEqual([
      'ByCityNumberV2',
      'ByCustomerNumberV2',
      'ByDayV2',
      'OpenCallsV2',
    ]);
    expect(names(undefined)).toEqual(names(UPGRADE_STEPS));
    expect(readAtStep(undefined)).toEqual(CURRENT_CALLS_INDEXES);
  });

  it('add every new index before deleting an earlier one, and read a new one from the step after its creation', () => {
    expect(names(1)).toContain('ByCustomerNumberV2');
    expect(read(1)).toContain('ByCustomerNumber');
    expect(read(2)).toContain('ByCustomerNumberV2');
    expect(names(4)).toHaveLength(8);
    expect(names(5)).not.toContain('ByCustomerNumber');
    expect(read(5)).toEqual(read(UPGRADE_STEPS));
  });
});

describe('readableIndexes: what the tools read, from the table as it is', () => {
  const active = (...indexNames: string[]) => indexNames.map((name) => ({ name, status: 'ACTIVE' }));

  it('reads a current index once it is ACTIVE, else the earlier one', () => {
    expect(readableIndexes(active('ByCustomerNumber', 'ByCityNumber', 'ByDay', 'OpenCalls'))).toEqual(
      EARLIER_CALLS_INDEXES,
    );
    const creating = [
      ...active('ByCustomerNumber', 'ByCityNumber'),
      { name: 'ByCustomerNumberV2', status: 'CREATING' },
    ];
    expect(readableIndexes(creating).byCustomerNumber).toBe(EARLIER_CALLS_INDEXES.byCustomerNumber);
    const both = active('ByCustomerNumber', 'ByCustomerNumberV2');
    expect(readableIndexes(both).byCustomerNumber).toBe(CURRENT_CALLS_INDEXES.byCustomerNumber);
  });

  it('reads the current ones from a table that has them, or none of either', () => {
    expect(readableIndexes(active('ByCustomerNumberV2', 'ByCityNumberV2', 'ByDayV2', 'OpenCallsV2'))).toEqual(
      CURRENT_CALLS_INDEXES,
    );
    expect(readableIndexes([])).toEqual(CURRENT_CALLS_INDEXES);
  });
});

describe('stepOfIndexes', () => {
  it.each(Array.from({ length: UPGRADE_STEPS + 1 }, (_, step) => step))(
    'knows step %i from its indexes',
    (step) => {
      expect(stepOfIndexes([...names(step), 'MissedCallsByCustomer', 'PendingCallbacks'])).toBe(step);
    },
  );

  it('knows no step from a mix no step has', () => {
    expect(stepOfIndexes(['ByCustomerNumberV2', 'ByDay'])).toBeUndefined();
  });
});

describe('the functions environment during an upgrade', () => {
  it('names each index read, and reads back the same indexes', () => {
    for (let step = 0; step <= UPGRADE_STEPS; step++)
      expect(indexNamesFromEnvironment(indexNamesEnvironment(readAtStep(step)))).toEqual(readAtStep(step));
    expect(indexNamesEnvironment(readAtStep(2))).toBe(
      'byCustomerNumber=ByCustomerNumberV2,byCityNumber=ByCityNumber,byDay=ByDay,openCalls=OpenCalls',
    );
    expect(indexNamesFromEnvironment(undefined)).toEqual(CURRENT_CALLS_INDEXES);
  });

  it('refuses an index it does not know, by name', () => {
    expect(() => indexNamesFromEnvironment('byDay=ByWeek')).toThrow(
      'CALLS_INDEX_NAMES: unknown index byDay=ByWeek',
    );
    expect(() => indexNamesFromEnvironment('byWeek=ByDay')).toThrow('unknown index byWeek=ByDay');
  });
});

describe('indexChanges: a kept local table given the template indexes', () => {
  const index = (IndexName: string, projection: object, sort = 'StartedAt') => ({
    IndexName,
    KeySchema: [
      { AttributeName: 'Day', KeyType: 'HASH' as const },
      { AttributeName: sort, KeyType: 'RANGE' as const },
    ],
    Projection: projection,
  });

  it('deletes what the template no longer has, creates what it lacks, and keeps what matches', () => {
    const existing = [
      index('ByDay', { ProjectionType: 'ALL' }),
      index('Kept', { ProjectionType: 'KEYS_ONLY' }),
    ];
    const wanted = [
      index('Kept', { ProjectionType: 'KEYS_ONLY' }),
      index('ByDayV2', { ProjectionType: 'KEYS_ONLY' }),
    ];
    expect(indexChanges(existing, wanted)).toEqual({ delete: ['ByDay'], create: [wanted[1]] });
    expect(indexChanges(wanted, wanted)).toEqual({ delete: [], create: [] });
  });

  it('replaces an index of the same name whose projection or key differs', () => {
    const existing = [index('Open', { ProjectionType: 'ALL' }, 'LastReceivedAt')];
    const wanted = [index('Open', { ProjectionType: 'ALL' })];
    expect(indexChanges(existing, wanted)).toEqual({ delete: ['Open'], create: wanted });
  });
});

describe('npm run indexes: what to do next', () => {
  const state = (step: number | undefined) =>
    [...names(step), 'PendingCallbacks'].map((name) => ({ name, status: 'ACTIVE', backfilling: false }));

  it('names the next deploy at each step, and nothing at the last', () => {
    expect(nextStep(state(0))).toBe(
      'At step 0 of 8 (the earlier indexes). Next: npx cdk deploy -c callsIndexStep=1',
    );
    expect(nextStep(state(5))).toBe('At step 5 of 8. Next: npx cdk deploy -c callsIndexStep=6');
    expect(nextStep(state(undefined))).toContain('deploy without callsIndexStep');
  });

  it('says to wait while an index is created or deleted', () => {
    const creating = [
      ...state(1).slice(1),
      { name: 'ByCityNumberV2', status: 'CREATING', backfilling: true },
    ];
    expect(nextStep(creating)).toBe(
      'Wait: ByCityNumberV2 is CREATING (being filled); then run npm run indexes again (--wait waits).',
    );
    expect(nextStep([{ name: 'Other', status: 'ACTIVE', backfilling: false }])).toContain('match no step');
  });
});
