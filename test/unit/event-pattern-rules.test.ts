/** Reading the local EventBridge's buses and rules from a synthesized template. */
import { busesFromTemplate, eventBusNameOf, rulesFromTemplate } from '../../local/eventbridge/rules';
import type { CfnResource, CfnTemplate } from '../../local/template';

const MISSED = { source: ['telephony.call-events'], 'detail-type': ['MissedIncCall'] };
const ENDED = { source: ['telephony.call-events'], 'detail-type': ['EndIncCall'] };

const rule = (properties: Record<string, unknown>): CfnResource => ({
  Type: 'AWS::Events::Rule',
  Properties: properties,
});

/** The shape CDK synthesizes for the stack's routing (logical ids and properties as in cdk.out). */
const TEMPLATE: CfnTemplate = {
  Resources: {
    RoutingBusC7CA5072: { Type: 'AWS::Events::EventBus', Properties: { Name: 'call-events' } },
    RoutingBusArchive52092E23: {
      Type: 'AWS::Events::Archive',
      Properties: { EventPattern: { source: ['x'] } },
    },
    RoutingMissedCallsRuleF3855FA6: rule({
      EventBusName: { Ref: 'RoutingBusC7CA5072' },
      EventPattern: MISSED,
      State: 'ENABLED',
    }),
    RoutingEndedCallsRule0D0332F1: rule({
      EventBusName: { Ref: 'RoutingBusC7CA5072' },
      EventPattern: ENDED,
      State: 'ENABLED',
    }),
  },
};

describe('rulesFromTemplate', () => {
  it("reads the stack's rules under their local names, on the bus their Ref names", () => {
    expect(rulesFromTemplate(TEMPLATE)).toEqual([
      { name: 'RoutingMissedCallsRule', eventBusName: 'call-events', eventPattern: MISSED },
      { name: 'RoutingEndedCallsRule', eventBusName: 'call-events', eventPattern: ENDED },
    ]);
  });

  it('uses the resolver it is given for bus references', () => {
    const rules = rulesFromTemplate(TEMPLATE, (id) =>
      id === 'RoutingBusC7CA5072' ? 'local-bus' : undefined,
    );
    expect(rules.map((r) => r.eventBusName)).toEqual(['local-bus', 'local-bus']);
  });

  it.each([
    ['no EventBusName: the default bus', {}, 'default'],
    ['a bus name', { EventBusName: 'orders' }, 'orders'],
    ['a bus ARN', { EventBusName: 'arn:aws:events:eu-west-1:123456789012:event-bus/orders' }, 'orders'],
    [
      'Fn::GetAtt of the bus',
      { EventBusName: { 'Fn::GetAtt': ['RoutingBusC7CA5072', 'Name'] } },
      'call-events',
    ],
  ])('resolves %s', (_name, properties, busName) => {
    const template = {
      Resources: { ...TEMPLATE.Resources, Extra: rule({ EventPattern: MISSED, ...properties }) },
    };
    expect(rulesFromTemplate(template).find((r) => r.name === 'Extra')?.eventBusName).toBe(busName);
  });

  it('prefers the Name property, and parses a pattern given as a JSON string', () => {
    const template = {
      Resources: { R12345678: rule({ Name: 'missed-calls', EventPattern: JSON.stringify(MISSED) }) },
    };
    expect(rulesFromTemplate(template)).toEqual([
      { name: 'missed-calls', eventBusName: 'default', eventPattern: MISSED },
    ]);
  });

  it('skips disabled rules and scheduled rules, which never see PutEvents', () => {
    const template = {
      Resources: {
        Disabled: rule({ EventPattern: MISSED, State: 'DISABLED' }),
        Scheduled: rule({ ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED' }),
      },
    };
    expect(rulesFromTemplate(template)).toEqual([]);
  });

  it('fails naming the rule when its pattern is one EventBridge would refuse', () => {
    const template = {
      Resources: { BadRuleABCDEF12: rule({ EventPattern: { source: 'telephony.call-events' } }) },
    };
    expect(() => rulesFromTemplate(template)).toThrow(
      /BadRuleABCDEF12: Event pattern is not valid. Reason: source:/,
    );
  });

  it('fails naming the rule when its bus cannot be resolved locally', () => {
    const template = {
      Resources: { Orphan: rule({ EventPattern: MISSED, EventBusName: { Ref: 'Missing' } }) },
    };
    expect(() => rulesFromTemplate(template)).toThrow(/Orphan: cannot resolve EventBusName/);
  });
});

describe('busesFromTemplate and eventBusNameOf', () => {
  it('names every bus by logical id', () => {
    expect(busesFromTemplate(TEMPLATE)).toEqual({ RoutingBusC7CA5072: 'call-events' });
  });

  it('takes a bus name or ARN', () => {
    expect(eventBusNameOf('call-events')).toBe('call-events');
    expect(eventBusNameOf('arn:aws:events:us-east-1:000000000000:event-bus/call-events')).toBe('call-events');
  });
});
