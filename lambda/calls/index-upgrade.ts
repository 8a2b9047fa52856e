/**
 * Taking a deployed Calls table from its earlier indexes (EARLIER_CALLS_INDEXES, every attribute
 * projected) to the current ones (table.ts), without a moment in which a function reads an index
 * that is not there or not yet filled.
 *
 * A deployed table cannot change an index's projection or key: each is replaced by one of a new
 * name, and DynamoDB (so CloudFormation) takes one index creation or deletion at a time. So the
 * upgrade is a sequence of deploys, `-c callsIndexStep=1` to `UPGRADE_STEPS`: first each new index
 * is added, one a step; then each earlier one is deleted, one a step. At each step the functions
 * read a new index only once it was there at the step before (added and filled before this deploy
 * began), and an earlier index is deleted only once the functions of the step before no longer read
 * it. Step 0 is the earlier layout; the last step is the current one, what a stack without the
 * setting gets.
 */
import {
  type CallsIndex,
  type CallsIndexNames,
  CURRENT_CALLS_INDEXES,
  EARLIER_CALLS_INDEXES,
  type ReplacedCallsIndex,
} from './table';

/** The replaced indexes, in the order the upgrade adds and then deletes them. */
const ORDER: readonly ReplacedCallsIndex[] = ['byCustomerNumber', 'byCityNumber', 'byDay', 'openCalls'];

export const UPGRADE_STEPS = ORDER.length * 2;

/** The replaced indexes a stack at `step` declares (0..UPGRADE_STEPS; undefined: the current layout). */
export function declaredAtStep(step: number | undefined): CallsIndex[] {
  const s = step ?? UPGRADE_STEPS;
  const declared: CallsIndex[] = [];
  ORDER.forEach((name, i) => {
    if (s < ORDER.length + i + 1) declared.push(EARLIER_CALLS_INDEXES[name]);
    if (s >= i + 1) declared.push(CURRENT_CALLS_INDEXES[name]);
  });
  return declared;
}

/** The index each replaced one is read through by the functions of a stack at `step`. */
export function readAtStep(step: number | undefined): CallsIndexNames {
  const s = step ?? UPGRADE_STEPS;
  return Object.fromEntries(
    ORDER.map((name, i) => [name, s >= i + 2 ? CURRENT_CALLS_INDEXES[name] : EARLIER_CALLS_INDEXES[name]]),
  ) as CallsIndexNames;
}

/**
 * The index each replaced one is read through, given the table's indexes as DescribeTable gives
 * them (name and status): the current one once it is ACTIVE, else the earlier one. What the tools
 * use, which run against whatever step the deployed table is at.
 */
export function readableIndexes(indexes: readonly { name: string; status: string }[]): CallsIndexNames {
  const active = new Set(indexes.filter((i) => i.status === 'ACTIVE').map((i) => i.name));
  return Object.fromEntries(
    ORDER.map((name) => {
      const current = CURRENT_CALLS_INDEXES[name];
      const earlier = EARLIER_CALLS_INDEXES[name];
      return [name, active.has(current.indexName) || !active.has(earlier.indexName) ? current : earlier];
    }),
  ) as CallsIndexNames;
}

/** The step a table is at, from the names of the indexes it has (undefined when it matches none). */
export function stepOfIndexes(names: readonly string[]): number | undefined {
  const have = new Set(names);
  for (let step = UPGRADE_STEPS; step >= 0; step--) {
    const declared = new Set(declaredAtStep(step).map((i) => i.indexName));
    const replaced = ORDER.flatMap((n) => [
      CURRENT_CALLS_INDEXES[n].indexName,
      EARLIER_CALLS_INDEXES[n].indexName,
    ]);
    if (replaced.every((name) => declared.has(name) === have.has(name))) return step;
  }
  return undefined;
}

/** The functions' environment during an upgrade: the physical name of each replaced index. */
export function indexNamesEnvironment(names: CallsIndexNames): string {
  return ORDER.map((name) => `${name}=${names[name].indexName}`).join(',');
}

/** Reads CALLS_INDEX_NAMES (indexNamesEnvironment); absent: the current indexes. */
export function indexNamesFromEnvironment(value: string | undefined): CallsIndexNames {
  if (value === undefined || value === '') return CURRENT_CALLS_INDEXES;
  const names = { ...CURRENT_CALLS_INDEXES };
  for (const pair of value.split(',')) {
    const [name, indexName] = pair.split('=') as [ReplacedCallsIndex, string];
    const known = [CURRENT_CALLS_INDEXES[name], EARLIER_CALLS_INDEXES[name]].find(
      (i) => i?.indexName === indexName,
    );
    if (!ORDER.includes(name) || !known) throw new Error(`CALLS_INDEX_NAMES: unknown index ${pair}`);
    names[name] = known;
  }
  return names;
}
