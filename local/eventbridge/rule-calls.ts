/**
 * The rule actions of the EventBridge API (PutRule, ListRules, DescribeRule, DeleteRule,
 * PutTargets, ListTargetsByRule, RemoveTargets) and TestEventPattern, with the requests,
 * answers and refusals the API Reference gives them, so that a user can try a rule of their own
 * against local mode with the SDK or CLI they will use against AWS. The stack's own rules are
 * listed and described beside the users' ones, and cannot be changed here: they are the
 * template's, and change with the stack's code.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { compilePattern, type EventMatcher, InvalidEventPatternError } from './event-pattern';
import { AwsJsonError, LOCAL_ACCOUNT } from './put-events';
import { BUS_NAME_OR_ARN_PATTERN, NAME_PATTERN, RequestReader } from './request-validation';
import { DEFAULT_EVENT_BUS, eventBusNameOf, type LocalRule } from './rules';
import { readUserRules, type StoredRule, type StoredTarget, writeUserRules } from './user-rules-file';

/** The API's rule states; every one but DISABLED routes events. */
export const RULE_STATES = ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'] as const;
/** The EventBridge quota on targets per rule. */
export const MAX_TARGETS_PER_RULE = 5;
/** PutRule's and TestEventPattern's limit on EventPattern (API Reference). */
export const MAX_EVENT_PATTERN_LENGTH = 4096;
/** The page size of ListRules and ListTargetsByRule when no Limit is given. */
const DEFAULT_PAGE = 100;
/** TestEventPattern's Event must have these (API Reference, TestEventPattern, Event). */
export const TEST_EVENT_FIELDS = [
  'id',
  'account',
  'source',
  'time',
  'region',
  'resources',
  'detail-type',
] as const;

const NAME = { required: true, min: 1, max: 64, pattern: NAME_PATTERN };
const BUS = { min: 1, max: 1600, pattern: BUS_NAME_OR_ARN_PATTERN };

/** A rule the local bus routes to a deliveries file. */
export interface Route {
  name: string;
  eventBusName: string;
  matches: EventMatcher;
}

interface KnownRule {
  stored: StoredRule;
  matches: EventMatcher;
  fromStack: boolean;
}

export interface RuleCallsOptions {
  stackRules: readonly LocalRule[];
  /** The buses rules may be put on. */
  knownBuses: ReadonlySet<string>;
  region: string;
  /** Where users' rules are kept across restarts; without it they last as long as the process. */
  userRulesFile?: string;
}

export type RuleCall = (body: string) => object;

export interface RuleCalls {
  /** Each action by its X-Amz-Target operation name (`PutRule`, …). */
  calls: Readonly<Record<string, RuleCall>>;
  /** The rules an event on `eventBusName` is matched against: the stack's, then users' enabled rules with targets. */
  routes(eventBusName: string): Route[];
}

const patternError = (error: unknown) =>
  error instanceof InvalidEventPatternError
    ? new AwsJsonError('InvalidEventPatternException', error.message)
    : error;

/** A pattern as the API takes it, a JSON string, compiled or refused as InvalidEventPatternException. */
function compileText(text: string): EventMatcher {
  let pattern: unknown;
  try {
    pattern = JSON.parse(text);
  } catch (error) {
    throw new AwsJsonError(
      'InvalidEventPatternException',
      `Event pattern is not valid. Reason: ${(error as Error).message}`,
    );
  }
  try {
    return compilePattern(pattern);
  } catch (error) {
    throw patternError(error);
  }
}

function compileStackRule(rule: LocalRule): EventMatcher {
  try {
    return compilePattern(rule.eventPattern);
  } catch (error) {
    throw new Error(`Rule ${rule.name}: ${(error as Error).message}`, { cause: error });
  }
}

/** Pages of a sorted list, the token naming the last item given (opaque to callers). */
function page<T>(items: readonly T[], keyOf: (item: T) => string, nextToken?: string, limit?: number) {
  let start = 0;
  if (nextToken !== undefined) {
    let after: unknown;
    try {
      after = JSON.parse(Buffer.from(nextToken, 'base64url').toString('utf8')).after;
    } catch {
      after = undefined;
    }
    if (typeof after !== 'string')
      throw new AwsJsonError('ValidationException', 'The NextToken is not valid.');
    start = items.findIndex((item) => keyOf(item) > after);
    if (start === -1) start = items.length;
  }
  const size = limit ?? DEFAULT_PAGE;
  const slice = items.slice(start, start + size);
  const last = slice.at(-1);
  const more = start + size < items.length && last !== undefined;
  return {
    items: slice,
    ...(more ? { NextToken: Buffer.from(JSON.stringify({ after: keyOf(last) })).toString('base64url') } : {}),
  };
}

/**
 * The rule actions over the stack's rules and the users' ones. Users' rules are loaded from
 * `userRulesFile` (a file that cannot be read is an error: starting without them would lose them
 * at the next save) and saved after every change. A stack rule is listed with no targets: its
 * targets are the template's queues, which local mode stands in for with its deliveries file.
 */
export function createRuleCalls(options: RuleCallsOptions): RuleCalls {
  const { knownBuses, region } = options;
  const rules = new Map<string, KnownRule>();
  const keyOf = (bus: string, name: string) => `${bus}\u0000${name}`;

  for (const rule of options.stackRules) {
    rules.set(keyOf(rule.eventBusName, rule.name), {
      stored: {
        Name: rule.name,
        EventBusName: rule.eventBusName,
        EventPattern: JSON.stringify(rule.eventPattern),
        State: 'ENABLED',
        Targets: [],
      },
      matches: compileStackRule(rule),
      fromStack: true,
    });
  }
  for (const stored of options.userRulesFile ? readUserRules(options.userRulesFile) : []) {
    let matches: EventMatcher;
    try {
      matches = compileText(stored.EventPattern);
    } catch (error) {
      throw new Error(`${options.userRulesFile}: rule ${stored.Name}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    rules.set(keyOf(stored.EventBusName, stored.Name), { stored, matches, fromStack: false });
  }

  const save = () => {
    if (!options.userRulesFile) return;
    mkdirSync(dirname(options.userRulesFile), { recursive: true });
    writeUserRules(
      options.userRulesFile,
      [...rules.values()].filter((r) => !r.fromStack).map((r) => r.stored),
    );
  };

  const arnOf = (bus: string, name: string) =>
    `arn:aws:events:${region}:${LOCAL_ACCOUNT}:rule/${bus === DEFAULT_EVENT_BUS ? '' : `${bus}/`}${name}`;

  const busOf = (request: RequestReader) =>
    eventBusNameOf(request.string('EventBusName', 'eventBusName', BUS) ?? DEFAULT_EVENT_BUS);
  const requireBus = (bus: string) => {
    if (!knownBuses.has(bus))
      throw new AwsJsonError('ResourceNotFoundException', `Event bus ${bus} does not exist.`);
  };
  const find = (bus: string, name: string) => {
    requireBus(bus);
    const rule = rules.get(keyOf(bus, name));
    if (!rule)
      throw new AwsJsonError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${bus}.`);
    return rule;
  };
  const refuseStack = (rule: KnownRule) => {
    if (rule.fromStack) {
      throw new AwsJsonError(
        'ValidationException',
        `Rule ${rule.stored.Name} belongs to the stack: it is deployed from the stack's template, so it cannot be changed or deleted here; change it in the stack's code and restart npm start.`,
      );
    }
  };

  const describe = (rule: KnownRule) => {
    const s = rule.stored;
    return {
      Name: s.Name,
      Arn: arnOf(s.EventBusName, s.Name),
      EventPattern: s.EventPattern,
      State: s.State,
      ...(s.Description === undefined ? {} : { Description: s.Description }),
      ...(s.RoleArn === undefined ? {} : { RoleArn: s.RoleArn }),
      EventBusName: s.EventBusName,
    };
  };

  const sortedOn = (bus: string) =>
    [...rules.values()]
      .filter((r) => r.stored.EventBusName === bus)
      .sort((a, b) => (a.stored.Name < b.stored.Name ? -1 : a.stored.Name > b.stored.Name ? 1 : 0));

  /** PutRule replaces a user's rule whole but for its targets (omitted members are not kept, as in AWS). */
  function putRule(body: string) {
    const request = RequestReader.of(body);
    const name = request.string('Name', 'name', NAME) ?? '';
    const bus = busOf(request);
    const eventPattern = request.string('EventPattern', 'eventPattern', { max: MAX_EVENT_PATTERN_LENGTH });
    const schedule = request.string('ScheduleExpression', 'scheduleExpression', { max: 256 });
    const state = request.string('State', 'state', { enum: RULE_STATES }) ?? 'ENABLED';
    const description = request.string('Description', 'description', { max: 512 });
    const roleArn = request.string('RoleArn', 'roleArn', { min: 1, max: 1600 });
    request.done();
    requireBus(bus);
    const existing = rules.get(keyOf(bus, name));
    if (existing) refuseStack(existing);
    for (const other of rules.values()) {
      if (other.stored.Name !== name || other === existing) continue;
      refuseStack(other);
      throw new AwsJsonError(
        'ValidationException',
        `Rule ${name} already exists on event bus ${other.stored.EventBusName}: local mode delivers a rule's matches to <deliveries>/${name}.ndjson, so a name is used on one bus only.`,
      );
    }
    if (eventPattern === undefined && schedule === undefined) {
      throw new AwsJsonError(
        'ValidationException',
        'Parameter(s) EventPattern or ScheduleExpression must be specified.',
      );
    }
    if (schedule !== undefined) {
      if (bus !== DEFAULT_EVENT_BUS) {
        throw new AwsJsonError(
          'ValidationException',
          'ScheduleExpression is supported only on the default event bus.',
        );
      }
      throw new AwsJsonError(
        'ValidationException',
        "Local mode runs the stack's scheduled rules only; a rule of your own needs an EventPattern.",
      );
    }
    const pattern = eventPattern ?? '';
    const matches = compileText(pattern);
    rules.set(keyOf(bus, name), {
      stored: {
        Name: name,
        EventBusName: bus,
        EventPattern: pattern,
        State: state,
        ...(description === undefined ? {} : { Description: description }),
        ...(roleArn === undefined ? {} : { RoleArn: roleArn }),
        Targets: existing?.stored.Targets ?? [],
      },
      matches,
      fromStack: false,
    });
    save();
    return { RuleArn: arnOf(bus, name) };
  }

  function listRules(body: string) {
    const request = RequestReader.of(body);
    const prefix = request.string('NamePrefix', 'namePrefix', { min: 1, max: 64, pattern: NAME_PATTERN });
    const bus = busOf(request);
    const nextToken = request.string('NextToken', 'nextToken', { min: 1, max: 2048 });
    const limit = request.integer('Limit', 'limit', 1, 100);
    request.done();
    requireBus(bus);
    const listed = sortedOn(bus).filter((r) => prefix === undefined || r.stored.Name.startsWith(prefix));
    const { items, ...more } = page(listed, (r) => r.stored.Name, nextToken, limit);
    return { Rules: items.map(describe), ...more };
  }

  function describeRule(body: string) {
    const request = RequestReader.of(body);
    const name = request.string('Name', 'name', NAME) ?? '';
    const bus = busOf(request);
    request.done();
    return { ...describe(find(bus, name)), CreatedBy: LOCAL_ACCOUNT };
  }

  /**
   * As in AWS: deleting a rule that does not exist succeeds, one with targets is refused until
   * RemoveTargets has removed them (Force only concerns rules managed by an AWS service).
   */
  function deleteRule(body: string) {
    const request = RequestReader.of(body);
    const name = request.string('Name', 'name', NAME) ?? '';
    const bus = busOf(request);
    request.boolean('Force');
    request.done();
    requireBus(bus);
    const rule = rules.get(keyOf(bus, name));
    if (!rule) return {};
    refuseStack(rule);
    if (rule.stored.Targets.length > 0) {
      throw new AwsJsonError('ValidationException', "Rule can't be deleted since it has targets.");
    }
    rules.delete(keyOf(bus, name));
    save();
    return {};
  }

  function putTargets(body: string) {
    const request = RequestReader.of(body);
    const name = request.string('Rule', 'rule', NAME) ?? '';
    const bus = busOf(request);
    const targets = request.list('Targets', 'targets', { min: 1 }, (value, position): StoredTarget => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new AwsJsonError('SerializationException', 'Targets must be a list of objects');
      }
      const target = value as Record<string, unknown>;
      const at = (member: string) => `targets.${position}.member.${member}`;
      const id = request.stringValue(target.Id, 'Id', at('id'), NAME) ?? '';
      const arn =
        request.stringValue(target.Arn, 'Arn', at('arn'), { required: true, min: 1, max: 1600 }) ?? '';
      return { ...target, Id: id, Arn: arn };
    });
    request.done();
    const rule = find(bus, name);
    refuseStack(rule);
    const byId = new Map(rule.stored.Targets.map((t) => [t.Id, t]));
    for (const target of targets) byId.set(target.Id, target);
    if (byId.size > MAX_TARGETS_PER_RULE) {
      throw new AwsJsonError(
        'LimitExceededException',
        'The requested resource exceeds the maximum number allowed.',
      );
    }
    rule.stored.Targets = [...byId.values()];
    save();
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  function listTargetsByRule(body: string) {
    const request = RequestReader.of(body);
    const name = request.string('Rule', 'rule', NAME) ?? '';
    const bus = busOf(request);
    const nextToken = request.string('NextToken', 'nextToken', { min: 1, max: 2048 });
    const limit = request.integer('Limit', 'limit', 1, 100);
    request.done();
    const targets = [...find(bus, name).stored.Targets].sort((a, b) =>
      a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0,
    );
    const { items, ...more } = page(targets, (t) => t.Id, nextToken, limit);
    return { Targets: items, ...more };
  }

  /** An id the rule does not have is answered as a failed entry; the others are removed. */
  function removeTargets(body: string) {
    const request = RequestReader.of(body);
    const name = request.string('Rule', 'rule', NAME) ?? '';
    const bus = busOf(request);
    const ids = request.list(
      'Ids',
      'ids',
      { min: 1, max: 100 },
      (value, position) => request.stringValue(value, 'Ids', `ids.${position}.member`, NAME) ?? '',
    );
    request.boolean('Force');
    request.done();
    const rule = find(bus, name);
    refuseStack(rule);
    const present = new Set(rule.stored.Targets.map((t) => t.Id));
    const failed = ids
      .filter((id) => !present.has(id))
      .map((id) => ({
        TargetId: id,
        ErrorCode: 'ResourceNotFoundException',
        ErrorMessage: `Rule ${name} does not have a target with the Id ${id}.`,
      }));
    const removed = new Set(ids);
    rule.stored.Targets = rule.stored.Targets.filter((t) => !removed.has(t.Id));
    save();
    return { FailedEntryCount: failed.length, FailedEntries: failed };
  }

  /**
   * The pattern is checked first (InvalidEventPatternException), then the event: JSON with every
   * field the API Reference names as mandatory, or "Parameter Event is not valid." as AWS says it.
   */
  function testEventPattern(body: string) {
    const request = RequestReader.of(body);
    const eventPattern = request.string('EventPattern', 'eventPattern', {
      required: true,
      max: MAX_EVENT_PATTERN_LENGTH,
    });
    const eventText = request.string('Event', 'event', { required: true });
    request.done();
    const matches = compileText(eventPattern ?? '');
    let event: unknown;
    try {
      event = JSON.parse(eventText ?? '');
    } catch {
      throw new AwsJsonError('ValidationException', 'Parameter Event is not valid.');
    }
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      throw new AwsJsonError('ValidationException', 'Parameter Event is not valid.');
    }
    const missing = TEST_EVENT_FIELDS.filter((field) => !Object.hasOwn(event, field));
    if (missing.length > 0) {
      throw new AwsJsonError(
        'ValidationException',
        `Parameter Event is not valid. Reason: it lacks ${missing.join(', ')}.`,
      );
    }
    return { Result: matches(event) };
  }

  return {
    calls: {
      PutRule: putRule,
      ListRules: listRules,
      DescribeRule: describeRule,
      DeleteRule: deleteRule,
      PutTargets: putTargets,
      ListTargetsByRule: listTargetsByRule,
      RemoveTargets: removeTargets,
      TestEventPattern: testEventPattern,
    },
    routes: (eventBusName) => {
      const onBus = [...rules.values()].filter((r) => r.stored.EventBusName === eventBusName);
      const routed = (r: KnownRule) =>
        r.fromStack || (r.stored.State !== 'DISABLED' && r.stored.Targets.length > 0);
      return [...onBus.filter((r) => r.fromStack), ...onBus.filter((r) => !r.fromStack)]
        .filter(routed)
        .map((r) => ({ name: r.stored.Name, eventBusName, matches: r.matches }));
    },
  };
}
