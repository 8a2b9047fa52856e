/**
 * `-c callsIndexStep=N`: the upgrade of a stack deployed with the Calls table's earlier indexes.
 * Each deploy must be one CloudFormation can make (one index added or deleted, none changed in
 * place), and no function may read an index that the deploy creates or deletes.
 */
import { UPGRADE_STEPS } from '../../lambda/calls/index-upgrade';
import { EARLIER_CALLS_INDEXES } from '../../lambda/calls/table';
import { PROJECT_ENV } from '../../lambda/config/environment';
import { defined, logicalId, permissionsOf, resourcesFor, type Synthesized, synthesize } from './synth';

interface Gsi {
  IndexName: string;
  KeySchema: unknown;
  Projection: unknown;
}

const indexesOf = ({ stack, template }: Synthesized): Map<string, Gsi> => {
  const table = defined(
    template.findResources('AWS::DynamoDB::Table')[logicalId(stack.store.calls)],
    'Calls',
  );
  return new Map((table.Properties.GlobalSecondaryIndexes as Gsi[]).map((i) => [i.IndexName, i]));
};

/** The index names each function that reads the Calls table's indexes has in its environment, or would read by default. */
const readBy = ({ stack, template }: Synthesized): { projector: string[]; sweep: string[] } => {
  const functions = template.findResources('AWS::Lambda::Function');
  const fromEnvironment = (fn: typeof stack.sweep.sweepFunction) => {
    const value = functions[logicalId(fn)]?.Properties.Environment.Variables[PROJECT_ENV.callsIndexNames] as
      | string
      | undefined;
    return value === undefined
      ? ['ByCustomerNumberV2', 'ByCityNumberV2', 'ByDayV2', 'OpenCallsV2']
      : value.split(',').map((pair) => pair.split('=')[1] as string);
  };
  return {
    projector: fromEnvironment(stack.projector.projectFunction),
    sweep: fromEnvironment(stack.sweep.sweepFunction),
  };
};

/** The index names a function's role may Query. */
const queryableBy = (synthesized: Synthesized, role: Parameters<typeof logicalId>[0]): string[] =>
  resourcesFor(permissionsOf(synthesized.template, logicalId(role)), 'dynamodb:Query').flatMap((resource) => {
    const joined = JSON.stringify(resource).match(/\/index\/([A-Za-z0-9]+)/);
    return joined ? [joined[1] as string] : [];
  });

describe('the upgrade of the Calls table to its current indexes', () => {
  const steps = Array.from({ length: UPGRADE_STEPS + 1 }, (_, step) => synthesize({ callsIndexStep: step }));
  const current = synthesize();

  it('starts from the indexes a stack deployed before has: the same names, keys and whole records', () => {
    const first = indexesOf(steps[0] as Synthesized);
    for (const earlier of Object.values(EARLIER_CALLS_INDEXES))
      expect(first.get(earlier.indexName)).toMatchObject({ Projection: { ProjectionType: 'ALL' } });
    expect([...first.keys()].sort()).toEqual([
      'ByCityNumber',
      'ByCustomerNumber',
      'ByDay',
      'MissedCallsByCustomer',
      'OpenCalls',
      'PendingCallbacks',
    ]);
    expect(JSON.stringify(first.get('OpenCalls')?.KeySchema)).toContain('LastReceivedAt');
  });

  it('ends at the indexes of a stack without the setting, whose functions are given no index names', () => {
    expect(indexesOf(steps[UPGRADE_STEPS] as Synthesized)).toEqual(indexesOf(current));
    const functions = current.template.findResources('AWS::Lambda::Function');
    for (const fn of Object.values(functions))
      expect(fn.Properties.Environment?.Variables ?? {}).not.toHaveProperty(PROJECT_ENV.callsIndexNames);
  });

  it.each(Array.from({ length: UPGRADE_STEPS }, (_, i) => i + 1))(
    'step %i adds or deletes exactly one index and changes none in place',
    (step) => {
      const before = indexesOf(steps[step - 1] as Synthesized);
      const after = indexesOf(steps[step] as Synthesized);
      const added = [...after.keys()].filter((name) => !before.has(name));
      const deleted = [...before.keys()].filter((name) => !after.has(name));
      expect(added.length + deleted.length).toBe(1);
      for (const [name, index] of after) if (before.has(name)) expect(index).toEqual(before.get(name));
    },
  );

  it.each(Array.from({ length: UPGRADE_STEPS }, (_, i) => i + 1))(
    'at step %i the functions read only indexes there before and after the deploy, and may Query what either step reads',
    (step) => {
      const previous = steps[step - 1] as Synthesized;
      const next = steps[step] as Synthesized;
      const [before, after] = [indexesOf(previous), indexesOf(next)];
      for (const names of [...Object.values(readBy(next)), ...Object.values(readBy(previous))])
        for (const name of names) {
          // Not one being created by this deploy (it is filled only later), nor one it deletes.
          expect(before.has(name)).toBe(true);
          expect(after.has(name)).toBe(true);
        }
      const { projector, sweep } = readBy(next);
      const earlier = readBy(previous);
      const projectorMay = queryableBy(next, next.stack.projector.projectFunction.executionRole);
      const sweepMay = queryableBy(next, next.stack.sweep.sweepFunction.executionRole);
      // The projector reads the customer's calls; the sweep the open calls and the customer's calls.
      expect(projectorMay).toEqual(expect.arrayContaining([projector[0], earlier.projector[0]]));
      expect(sweepMay).toEqual(
        expect.arrayContaining([sweep[0], sweep[3], earlier.sweep[0], earlier.sweep[3]]),
      );
      for (const name of [...projectorMay, ...sweepMay]) expect(after.has(name)).toBe(true);
    },
  );

  it(`refuses a step outside 0..${UPGRADE_STEPS}`, () => {
    expect(() => synthesize({ callsIndexStep: UPGRADE_STEPS + 1 })).toThrow(/callsIndexStep/);
    expect(() => synthesize({ callsIndexStep: 'two' })).toThrow(/callsIndexStep/);
  });
});
