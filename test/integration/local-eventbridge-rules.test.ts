/**
 * Users' own rules on the local EventBridge, through the real SDK client: PutRule, PutTargets,
 * deliveries of their matches, the refusals the API Reference gives (DeleteRule with targets,
 * invalid names and patterns, the stack's read-only rules), TestEventPattern, and rules kept
 * across a restart.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteRuleCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  type PutRuleCommandInput,
  PutTargetsCommand,
  RemoveTargetsCommand,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import type { LocalRule } from '../../local/eventbridge/rules';
import {
  type EventEnvelope,
  type LocalEventBridge,
  startLocalEventBridge,
} from '../../local/eventbridge/server';

const BUS = 'call-events';
const SOURCE = 'telephony.call-events';
const REGION = 'eu-central-1';
const STACK_RULES: LocalRule[] = [
  {
    name: 'MissedCalls',
    eventBusName: BUS,
    eventPattern: { source: [SOURCE], 'detail-type': ['MissedIncCall'] },
  },
];
const MY_PATTERN = { source: [SOURCE], 'detail-type': ['CallCompleted'], detail: { Outcome: ['missed'] } };
const QUEUE = `arn:aws:sqs:${REGION}:000000000000:my-missed-calls`;

const dirs: string[] = [];
const bridges: LocalEventBridge[] = [];

afterAll(async () => {
  for (const bridge of bridges) await bridge.close().catch(() => {});
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A bridge on a state directory (a fresh one unless given, to restart on the same state). */
async function startBridge(dir = mkdtempSync(join(tmpdir(), 'local-eventbridge-rules-'))) {
  if (!dirs.includes(dir)) dirs.push(dir);
  const delivered: [string, EventEnvelope][] = [];
  const bridge = await startLocalEventBridge({
    port: 0,
    rules: STACK_RULES,
    buses: [BUS],
    deliveriesDir: join(dir, 'deliveries'),
    eventsFile: join(dir, 'events.ndjson'),
    userRulesFile: join(dir, 'user-rules.json'),
    region: REGION,
    onDelivery: (rule, event) => delivered.push([rule, event]),
  });
  bridges.push(bridge);
  const client = new EventBridgeClient({
    endpoint: bridge.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deliveries = (rule: string): EventEnvelope[] => {
    const file = join(dir, 'deliveries', `${rule}.ndjson`);
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as EventEnvelope);
  };
  const send = (detailType: string, detail: object) =>
    client.send(
      new PutEventsCommand({
        Entries: [
          { Source: SOURCE, DetailType: detailType, Detail: JSON.stringify(detail), EventBusName: BUS },
        ],
      }),
    );
  return { dir, bridge, client, deliveries, delivered, send };
}

const putMyRule = (client: EventBridgeClient, extra: Partial<PutRuleCommandInput> = {}) =>
  client.send(
    new PutRuleCommand({
      Name: 'MyMissedCalls',
      EventBusName: BUS,
      EventPattern: JSON.stringify(MY_PATTERN),
      Description: 'missed calls, for my dashboard',
      ...extra,
    }),
  );

describe('users’ rules on the local EventBridge', () => {
  it('PutRule → PutTargets → PutEvents: the match is in the rule’s deliveries file, and printed', async () => {
    const { client, deliveries, delivered, send } = await startBridge();

    const { RuleArn } = await putMyRule(client);
    const targets = await client.send(
      new PutTargetsCommand({
        Rule: 'MyMissedCalls',
        EventBusName: BUS,
        Targets: [{ Id: 'queue', Arn: QUEUE }],
      }),
    );
    const put = await send('CallCompleted', { SessionID: 's-1', Outcome: 'missed' });
    await send('CallCompleted', { SessionID: 's-2', Outcome: 'answered' });

    expect(RuleArn).toBe(`arn:aws:events:${REGION}:000000000000:rule/${BUS}/MyMissedCalls`);
    expect(targets).toMatchObject({ FailedEntryCount: 0, FailedEntries: [] });
    expect(deliveries('MyMissedCalls')).toEqual([
      expect.objectContaining({
        id: put.Entries?.[0]?.EventId,
        detail: { SessionID: 's-1', Outcome: 'missed' },
      }),
    ]);
    expect(delivered.map(([rule, event]) => [rule, event.detail.SessionID])).toEqual([
      ['MyMissedCalls', 's-1'],
    ]);
  });

  it('a rule without targets, or disabled, delivers nothing', async () => {
    const { client, deliveries, send } = await startBridge();
    await putMyRule(client);
    await send('CallCompleted', { SessionID: 's-1', Outcome: 'missed' });
    expect(deliveries('MyMissedCalls')).toEqual([]);

    await putMyRule(client, { State: 'DISABLED' });
    await client.send(
      new PutTargetsCommand({
        Rule: 'MyMissedCalls',
        EventBusName: BUS,
        Targets: [{ Id: 'queue', Arn: QUEUE }],
      }),
    );
    await send('CallCompleted', { SessionID: 's-2', Outcome: 'missed' });
    expect(deliveries('MyMissedCalls')).toEqual([]);
  });

  it('DeleteRule is refused while the rule has targets, and succeeds once RemoveTargets removed them', async () => {
    const { client } = await startBridge();
    await putMyRule(client);
    await client.send(
      new PutTargetsCommand({
        Rule: 'MyMissedCalls',
        EventBusName: BUS,
        Targets: [{ Id: 'queue', Arn: QUEUE }],
      }),
    );

    await expect(
      client.send(new DeleteRuleCommand({ Name: 'MyMissedCalls', EventBusName: BUS })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: "Rule can't be deleted since it has targets.",
      $metadata: { httpStatusCode: 400 },
    });
    const removed = await client.send(
      new RemoveTargetsCommand({
        Rule: 'MyMissedCalls',
        EventBusName: BUS,
        Ids: ['queue', 'no-such-target'],
      }),
    );
    await client.send(new DeleteRuleCommand({ Name: 'MyMissedCalls', EventBusName: BUS }));

    expect(removed.FailedEntryCount).toBe(1);
    expect(removed.FailedEntries?.[0]).toMatchObject({
      TargetId: 'no-such-target',
      ErrorCode: 'ResourceNotFoundException',
    });
    await expect(
      client.send(new DescribeRuleCommand({ Name: 'MyMissedCalls', EventBusName: BUS })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: `Rule MyMissedCalls does not exist on EventBus ${BUS}.`,
    });
    // Deleting a rule that is not there succeeds, as in AWS.
    await expect(
      client.send(new DeleteRuleCommand({ Name: 'MyMissedCalls', EventBusName: BUS })),
    ).resolves.toBeDefined();
  });

  it('TestEventPattern: true, false, and InvalidEventPatternException for a pattern EventBridge refuses', async () => {
    const { client } = await startBridge();
    const event = {
      version: '0',
      id: '0d4c1a4e-6d1b-4c5e-9a8f-2f7e5b1c9d00',
      'detail-type': 'CallCompleted',
      source: SOURCE,
      account: '123456789012',
      time: '2021-01-28T11:15:22Z',
      region: REGION,
      resources: [],
      detail: { SessionID: 's-1', Outcome: 'missed' },
    };
    const test = (pattern: object | string, e: object = event) =>
      client.send(
        new TestEventPatternCommand({
          EventPattern: typeof pattern === 'string' ? pattern : JSON.stringify(pattern),
          Event: JSON.stringify(e),
        }),
      );

    expect((await test(MY_PATTERN)).Result).toBe(true);
    expect((await test({ ...MY_PATTERN, detail: { Outcome: ['answered'] } })).Result).toBe(false);
    expect(
      (await test({ detail: { 'Outcome.x': [{ exists: false }], Outcome: [{ wildcard: '' }] } })).Result,
    ).toBe(false);
    await expect(test({ source: SOURCE })).rejects.toMatchObject({
      name: 'InvalidEventPatternException',
      message: expect.stringMatching(/^Event pattern is not valid\. Reason: source:/),
      $metadata: { httpStatusCode: 400 },
    });
    await expect(test('{"source": [')).rejects.toMatchObject({ name: 'InvalidEventPatternException' });
    await expect(test({ detail: { id: [{ wildcard: '*:*:*:*:*:event-bus/*' }] } })).rejects.toMatchObject({
      name: 'InvalidEventPatternException',
      message: expect.stringContaining('Rule is too complex'),
    });
    const { resources: _, ...withoutResources } = event;
    await expect(test(MY_PATTERN, withoutResources)).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/^Parameter Event is not valid\..*resources/),
    });
  });

  it("lists and describes the stack's rules beside the users', and refuses to change or delete them", async () => {
    const { client } = await startBridge();
    await putMyRule(client);

    const listed = await client.send(new ListRulesCommand({ EventBusName: BUS }));
    const stack = await client.send(new DescribeRuleCommand({ Name: 'MissedCalls', EventBusName: BUS }));

    expect(listed.Rules?.map((r) => [r.Name, r.State])).toEqual([
      ['MissedCalls', 'ENABLED'],
      ['MyMissedCalls', 'ENABLED'],
    ]);
    expect(stack).toMatchObject({
      Name: 'MissedCalls',
      Arn: `arn:aws:events:${REGION}:000000000000:rule/${BUS}/MissedCalls`,
      EventBusName: BUS,
      CreatedBy: '000000000000',
    });
    expect(JSON.parse(stack.EventPattern ?? '')).toEqual(STACK_RULES[0]?.eventPattern);
    const readOnly = {
      name: 'ValidationException',
      message: expect.stringContaining('belongs to the stack'),
    };
    await expect(
      client.send(
        new PutRuleCommand({ Name: 'MissedCalls', EventBusName: BUS, EventPattern: '{"source":["x"]}' }),
      ),
    ).rejects.toMatchObject(readOnly);
    await expect(
      client.send(new DeleteRuleCommand({ Name: 'MissedCalls', EventBusName: BUS })),
    ).rejects.toMatchObject(readOnly);
    await expect(
      client.send(
        new PutTargetsCommand({ Rule: 'MissedCalls', EventBusName: BUS, Targets: [{ Id: 'x', Arn: QUEUE }] }),
      ),
    ).rejects.toMatchObject(readOnly);
    await expect(
      client.send(new RemoveTargetsCommand({ Rule: 'MissedCalls', EventBusName: BUS, Ids: ['x'] })),
    ).rejects.toMatchObject(readOnly);
  });

  it('ListRules: NamePrefix, Limit and NextToken, on the default bus unless named', async () => {
    const { client } = await startBridge();
    for (const name of ['b-rule', 'a-rule', 'c-rule', 'other']) {
      await client.send(new PutRuleCommand({ Name: name, EventPattern: '{"source":["x"]}' }));
    }
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListRulesCommand({ Limit: 2, NextToken: token }));
      names.push(...(page.Rules ?? []).map((r) => r.Name ?? ''));
      token = page.NextToken;
    } while (token);
    const prefixed = await client.send(new ListRulesCommand({ NamePrefix: 'b-' }));

    expect(names).toEqual(['a-rule', 'b-rule', 'c-rule', 'other']);
    expect(prefixed.Rules?.map((r) => r.Name)).toEqual(['b-rule']);
    expect(prefixed.Rules?.[0]?.Arn).toBe(`arn:aws:events:${REGION}:000000000000:rule/b-rule`);
    expect(
      (await client.send(new ListRulesCommand({ EventBusName: BUS }))).Rules?.map((r) => r.Name),
    ).toEqual(['MissedCalls']);
  });

  it.each([
    [
      'a name with a space',
      { Name: 'my rule' },
      'ValidationException',
      "Value 'my rule' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
    ],
    [
      'a name of 65 characters',
      { Name: 'r'.repeat(65) },
      'ValidationException',
      'Member must have length less than or equal to 64',
    ],
    [
      'an unknown state',
      { State: 'ON' as PutRuleCommandInput['State'] },
      'ValidationException',
      'Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]',
    ],
    [
      'a bus that does not exist',
      { EventBusName: 'nope' },
      'ResourceNotFoundException',
      'Event bus nope does not exist.',
    ],
    [
      'no pattern and no schedule',
      { EventPattern: undefined },
      'ValidationException',
      'Parameter(s) EventPattern or ScheduleExpression must be specified.',
    ],
    [
      'an invalid pattern',
      { EventPattern: '{"detail":{"$or":[{"prefix":["a"]},{"b":["c"]}]}}' },
      'InvalidEventPatternException',
      '"prefix" is a reserved word',
    ],
  ])('PutRule refuses %s', async (_name, input, type, message) => {
    const { client } = await startBridge();
    await expect(
      client.send(new PutRuleCommand({ Name: 'r', EventPattern: '{"source":["x"]}', ...input })),
    ).rejects.toMatchObject({
      name: type,
      message: expect.stringContaining(message),
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('PutTargets: up to 5 targets a rule, LimitExceededException past that; ListTargetsByRule lists them', async () => {
    const { client } = await startBridge();
    await putMyRule(client);
    const targets = (ids: string[]) => ids.map((Id) => ({ Id, Arn: QUEUE, Input: '{"from":"test"}' }));
    await client.send(
      new PutTargetsCommand({
        Rule: 'MyMissedCalls',
        EventBusName: BUS,
        Targets: targets(['1', '2', '3', '4', '5']),
      }),
    );

    await expect(
      client.send(
        new PutTargetsCommand({ Rule: 'MyMissedCalls', EventBusName: BUS, Targets: targets(['6']) }),
      ),
    ).rejects.toMatchObject({ name: 'LimitExceededException' });
    const listed = await client.send(
      new ListTargetsByRuleCommand({ Rule: 'MyMissedCalls', EventBusName: BUS }),
    );
    expect(listed.Targets).toEqual(targets(['1', '2', '3', '4', '5']));
    await expect(
      client.send(new PutTargetsCommand({ Rule: 'NoSuchRule', EventBusName: BUS, Targets: targets(['1']) })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('keeps users’ rules and targets across a restart, and they still deliver', async () => {
    const first = await startBridge();
    await putMyRule(first.client);
    await first.client.send(
      new PutTargetsCommand({
        Rule: 'MyMissedCalls',
        EventBusName: BUS,
        Targets: [{ Id: 'queue', Arn: QUEUE }],
      }),
    );
    await first.bridge.close();

    const again = await startBridge(first.dir);
    const rule = await again.client.send(
      new DescribeRuleCommand({ Name: 'MyMissedCalls', EventBusName: BUS }),
    );
    await again.send('CallCompleted', { SessionID: 's-9', Outcome: 'missed' });

    expect(rule).toMatchObject({ Description: 'missed calls, for my dashboard', State: 'ENABLED' });
    expect(JSON.parse(rule.EventPattern ?? '')).toEqual(MY_PATTERN);
    expect(again.deliveries('MyMissedCalls').map((e) => e.detail.SessionID)).toEqual(['s-9']);
  });
});
